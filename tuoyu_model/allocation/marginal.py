"""Marginal values by solving again: what one more point of share, 100万元 or ten slots actually change.

A dual (``shadow_prices``) is an instantaneous rate: it holds only over its range, and with
unmet targets it is mostly penalty arithmetic. A finance bureau asks finite questions instead —
one more percentage point of inclusive share in a year, one more 100万元 of budget in a year,
ten more slots in a unit's target — and this module answers them by changing the right-hand
side (and, for the share, the row's coefficients) of the plan's own built model, solving it
again through :func:`tuoyu_model.allocation.priority.solve_model` — or, where the plan or the
changed problem has a shortfall, on a model built afresh through
:func:`~tuoyu_model.allocation.priority.solve_in_priority`, so the stated priority and rationing
rule decide the re-solve as they decide the plan — reading the public money and the slots, and
putting the row back. A higher share or target only tightens the problem, so where the plan
already meets the changed row it stays optimal (under lexicographic stages too, stage by stage)
and is not solved again. Nothing is rebuilt; afterwards the model's variables hold the values of
the last re-solve made in this process (the plan's own are in ``result.plan``).

Time (a cold run, every whole-slot problem solved; ``tests/benchmarks/bench_model.py``):

- the share question's re-solve hands HiGHS the changed row over whole numbers as well
  (:func:`share_sums`, K + (1 − s)·Y ≥ s·S⁰ − I⁰): the same problem, whose optimum HiGHS
  otherwise proves in thousands of nodes (baseline 2025: 26,209 nodes, 7–16 s; with the
  restated row 13 nodes, about 1 s);
- where the system can fork, this process runs no other thread (not a report's notebook kernel)
  and a core is spare, every other question that needs a solve is answered in a forked child
  while this process answers the rest (:func:`_answers`; the same table, the child's solves in
  this process's solve cache too): budget_cut_20's seven staged questions take about two thirds
  of the time.

Each answer is the difference of two whole plans: ``public_cost_change_yuan`` (public money over
the plan years, yuan), the change in the district's total and inclusive slots at the question's
year-end, and in the slots missing there, each counted once
(:func:`~tuoyu_model.allocation.read.slots_missing`).
``slots_change`` is the figure the question is about: inclusive slots for a point of share,
slots of shortfall removed for the budget, the district's slots for a unit's target.
Numbers and codes only; :mod:`tuoyu_model.presentation.marginal_sentences` words them.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import select
import signal
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

import pandas as pd
import pulp

from tuoyu_model.allocation import solve_cache
from tuoyu_model.allocation.build import AllocationModel, create_model
from tuoyu_model.allocation.inputs import AllocationInputs
from tuoyu_model.allocation.priority import Solved, solve_in_priority, solve_model
from tuoyu_model.allocation.read import (
    UNMET_TOL,
    AllocationResult,
    clean,
    money_table,
    stock_table,
)
from tuoyu_model.allocation.shortfall import slots_missing, unit_overlap
from tuoyu_model.allocation.solve import district_table
from tuoyu_model.allocation.solver import Aggregated
from tuoyu_model.machine import spare_core

# Columns of tables/marginal_values.csv before the Chinese ones are added (presentation inserts
# question_zh after question and sentence_zh after slots_change).
COLUMNS = [
    "question",
    "year",
    "step",
    "step_unit",
    "public_cost_change_yuan",
    "slots_change",
    "town_id",
    "available",
    "total_slots_change",
    "inclusive_slots_change",
    "shortfall_change_slots",
]
QUESTIONS = ("share_point", "budget", "unit_target")
STEP_UNIT = {"share_point": "percentage point", "budget": "yuan", "unit_target": "slots"}
# A forked child (marginal_values' fork) that sends nothing for this long is stopped and its
# questions are answered in the parent: a slow question costs time, a hung child never the run.
CHILD_TIMEOUT_S = 900
# The --set that asks no question (every step 0): the plan alone, one solve fewer per question.
# The plan never depends on the questions; a run that only needs the plan's figures uses it.
NO_QUESTIONS = "marginal_value_steps={share_points: 0, budget_yuan: 0, target_slots: 0, target_units: 0}"


@dataclass(frozen=True)
class Question:
    """One finite question: ``question`` (a code of :data:`QUESTIONS`), its year, step and unit.

    ``available`` is False where the question has no row to change (no budget row that year, no
    share target, a share already at 100%); its numbers are then empty.
    """

    question: str
    year: int
    step: float
    town_id: str = ""
    available: bool = True


@dataclass
class Timing:
    """Seconds spent: ``resolve`` (changing rows and solving again, all questions), ``solver`` and ``count``.

    ``by_question``: one (question, year, town_id, seconds, solves) per question, in the table's
    order (``tests/benchmarks/bench_model.py`` prints them).
    """

    resolve: float = 0.0
    solver: float = 0.0
    count: int = 0
    by_question: list = field(default_factory=list)


def plan_figures(solved: Solved) -> dict:
    """Return a solve's public money (yuan, plan years) and, by year-end, total, inclusive and missing slots.

    The slots missing are counted once by the model's one rule, as ``summary.json``'s
    ``shortfall_by_year``.
    """
    model = solved.model
    money = float(money_table(model, solved.x, solved.v)["amount_yuan"].sum())
    stock = stock_table(model, solved.x, solved.v, solved.short)
    xm = model.x_meta
    alloc = xm[["town_id", "year", "channel"]].assign(new_slots=solved.x * xm["scale"].to_numpy())
    dist = district_table(model.inputs, stock, alloc, solved.short).set_index("year")
    by_year = {}
    for y in model.inputs.years:
        part = stock[stock.year == y]
        kinds = {k: float(part[f"shortfall_{k}"].sum()) for k in ("total", "inclusive", "coverage")}
        kinds["share"] = float(dist.at[y, "shortfall_share"])
        kinds["centre"] = float(dist.at[y, "shortfall_centre"])
        by_year[y] = {
            "total": float(part.total_slots.sum()),
            "inclusive": float(part.inclusive_slots.sum()),
            "missing": slots_missing(
                kinds,
                unit_overlap(zip(part.shortfall_total, part.shortfall_inclusive, part.shortfall_coverage, strict=True)),
            ),
        }
    return {"money": money, "by_year": by_year}


def questions(model: AllocationModel, steps: Mapping) -> list[Question]:
    """Return the questions asked of this plan, in the table's order.

    One point of share and one budget step in every plan year (the budget question marked not
    available in a year without a budget row); ``target_slots`` more slots in the last-year total
    target of the ``target_units`` units with the largest last-year total target (annex order).
    A step of 0 asks nothing (``--set marginal_value_steps.share_points=0``; all three 0: no
    re-solve). The largest only, not every short unit: under a budget cut nearly every unit is short (22
    re-solves), and there a higher target only adds to the unit's shortfall, at no cost.
    """
    inp = model.inputs
    years, last = list(inp.years), max(inp.years)
    share, money, slots = (float(steps[k]) for k in ("share_points", "budget_yuan", "target_slots"))
    out = [Question("share_point", y, share) for y in years] if share > 0 else []
    if money > 0:
        out += [Question("budget", y, money, available=_row(model, "budget", "district", y) is not None) for y in years]
    tg = inp.targets[inp.targets.year == last].set_index("town_id")
    n_units = int(steps["target_units"]) if slots > 0 else 0
    largest = set(tg.sort_values("target_total", ascending=False, kind="stable").index[:n_units])
    out += [Question("unit_target", last, slots, town_id=i) for i in inp.units.index if i in largest]
    return out


def _row(model: AllocationModel, family: str, town: str, year: int):
    """Return the named constraint ``family-town-year`` of ``model``, or None."""
    for con, f, t, y in zip(model.rows.cons, model.rows.family, model.rows.town, model.rows.year, strict=True):
        if f == family and t == town and y == year:
            return con
    return None


@contextlib.contextmanager
def changed(model: AllocationModel, q: Question) -> Iterator[bool]:
    """Change the row(s) ``q`` is about in place, yield whether it could, and put them back.

    Share: the row ``Σ (1 − s) x_inc − s x_mkt + v + u ≥ s·S⁰ − I⁰`` is rewritten at
    ``s + step/100`` (coefficients and right-hand side). Budget: the limit on decided spending
    rises by the step (``max(0, B + step − committed)``). Unit target: the unit's last-year total
    row's right-hand side rises by the step.
    """
    inp, d = model.inputs, model.data
    y = q.year
    saved: list = []
    con = None
    if q.question == "share_point":
        con = _row(model, "share", "district", y)
        s_new = share_value(inp, q)
        if con is None or s_new > 1:
            yield False
            return
        saved = [(con, dict(con.expr), con.constant)]
        for i in d.units:
            for var, tau, _c, k, qq in d.by_unit_x[i]:
                if tau <= y:
                    con.expr[var] = qq * ((1 - s_new) if k == "inclusive" else -s_new)
        con.changeRHS(s_new * sum(d.S0.values()) - sum(d.I0.values()))
    elif q.question == "budget":
        con = _row(model, "budget", "district", y)
        if con is None:
            yield False
            return
        saved = [(con, None, con.constant)]
        con.changeRHS(max(0.0, model.budget_rhs[y] + q.step - model.committed[y]))
    else:
        con = _row(model, "total", q.town_id, y)
        saved = [(con, None, con.constant)]
        con.changeRHS(-con.constant + q.step)
    try:
        yield True
    finally:
        for c, expr, constant in saved:
            if expr is not None:
                for var, coef in expr.items():
                    c.expr[var] = coef
            c.constant = constant
            c.modified = True


def share_sums(model: AllocationModel, q: Question) -> Aggregated | None:
    """Return the changed share row of ``q`` over whole numbers, K + (1 − s)·Y ≥ s·S⁰ − I⁰ (None: not a share question).

    Y = Σ q·x is every new slot by the year-end and K = Σ v + u − Σ q·x_market the conversions
    and the shortfall less the new market slots: (1 − s) on an inclusive slot and −s on a market
    one, as the row :func:`changed` writes. With whole slots (and whole slots per class) K and Y
    are whole numbers, and HiGHS proves the re-solve's optimum in a few nodes instead of
    thousands (:class:`~tuoyu_model.allocation.solver.Aggregated`). None as well in the linear
    relaxation or when a column is not integer.
    """
    if q.question != "share_point" or not model.integer:
        return None
    d, y = model.data, q.year
    s = share_value(model.inputs, q)
    share = model.short.get(("share", "district", y))
    if share is None:
        return None
    rest: list = [(share, 1.0)]
    slots: list = []
    for i in d.units:
        for var, tau, _c, k, qq in d.by_unit_x[i]:
            if tau <= y:
                slots.append((var, qq))
                if k != "inclusive":
                    rest.append((var, -qq))
        rest.extend((var, 1.0) for var, tau in d.by_unit_v[i] if tau <= y)
    terms = rest + slots
    if any(var.cat != pulp.LpInteger or coef != round(coef) for var, coef in terms):
        return None
    lower = s * sum(d.S0.values()) - sum(d.I0.values())
    return Aggregated(sums=(tuple(rest), tuple(slots)), coefficients=(1.0, 1.0 - s), lower=lower)


def share_value(inp: AllocationInputs, q: Question) -> float:
    """Return the share target a share question asks about (``s + step/100``), as ``--set`` gives it."""
    return round(inp.share_target.get(q.year, 0.0) + q.step / 100.0, 12)


def marginal_values(
    result: AllocationResult, steps: Mapping, timing: Timing | None = None, fork: bool | None = None
) -> pd.DataFrame:
    """Answer the bureau's questions by solving the plan's model again; one row per question.

    Parameters
    ----------
    result : AllocationResult
        From :func:`tuoyu_model.allocation.solve`; its ``plan`` (the solved model) is re-solved.
    steps : mapping
        ``share_points``, ``budget_yuan``, ``target_slots``, ``target_units``
        (``marginal_value_steps`` in data/parameters/allocation.yaml).
    timing : Timing, optional
        Filled with the seconds spent re-solving.
    fork : bool, optional
        Answer about half of the questions that need a solve in a forked process meanwhile
        (:func:`_answers`); default: :func:`_can_fork` (the system can fork, no other thread
        runs here, a core is spare).
        The table is the same either way.

    Returns
    -------
    DataFrame
        :data:`COLUMNS`: money in yuan, slots counted once; empty numbers where not ``available``.

    """
    plan: Solved = result.plan
    base = plan_figures(plan)
    timing = timing if timing is not None else Timing()
    asked = questions(plan.model, steps)
    answers = _answers(plan, asked, _can_fork() if fork is None else fork)
    rows = []
    for q, answer in zip(asked, answers, strict=True):
        row = {
            "question": q.question,
            "year": q.year,
            "step": q.step,
            "step_unit": STEP_UNIT[q.question],
            "town_id": q.town_id,
        }
        timing.resolve += answer.seconds
        timing.solver += answer.solver_seconds
        timing.by_question.append((q.question, q.year, q.town_id, answer.seconds, answer.solves))
        if not answer.available:
            rows.append(row | {"available": False})
            continue
        timing.count += answer.figures is not None
        new = answer.figures if answer.figures is not None else base
        b, n = base["by_year"][q.year], new["by_year"][q.year]
        change = {
            "public_cost_change_yuan": float(clean(new["money"] - base["money"], 2)),
            "total_slots_change": float(clean(n["total"] - b["total"])),
            "inclusive_slots_change": float(clean(n["inclusive"] - b["inclusive"])),
            "shortfall_change_slots": float(clean(n["missing"] - b["missing"])),
        }
        key = {"share_point": "inclusive_slots_change", "unit_target": "total_slots_change"}.get(q.question)
        slots = change[key] if key else -change["shortfall_change_slots"]
        rows.append(row | {"available": True, "slots_change": float(clean(slots) + 0.0)} | change)
    return pd.DataFrame(rows).reindex(columns=COLUMNS)


@dataclass(frozen=True)
class _Answer:
    """One question answered: whether it could be asked, the new plan's figures (None: the plan's own), the time."""

    available: bool
    figures: dict | None
    seconds: float = 0.0
    solver_seconds: float = 0.0
    solves: int = 0


def _needs_solve(plan: Solved, q: Question) -> bool:
    """Whether answering ``q`` takes a solve: it can be asked and the plan does not already meet it."""
    with changed(plan.model, q) as ok:
        # A higher share or target only tightens the problem: if the plan still meets the
        # changed row it stays optimal, and the answer is 'no change' without solving.
        return ok and not (q.question != "budget" and _still_met(plan.model, q, plan))


def _answer(plan: Solved, q: Question, needs_solve: bool) -> _Answer:
    """Answer ``q`` on the plan's model: change its row, solve again if ``needs_solve``, put the row back."""
    model, solver = plan.model, plan.record.solver_name
    t0 = time.perf_counter()
    if not needs_solve:
        with changed(model, q) as ok:
            return _Answer(ok, None, time.perf_counter() - t0)
    with changed(model, q):
        if plan.stages:
            # The plan's model holds its priority stages' results: the change is solved
            # in stages on a model built afresh, so the stated rule decides who is short.
            again = _staged_again(model, q, solver)
        else:
            again = solve_model(model, solver, aggregated=share_sums(model, q))
            if any(u > UNMET_TOL for u in again.short.values()):
                again = _staged_again(model, q, solver)  # the change leaves a shortfall
    seconds = time.perf_counter() - t0
    return _Answer(True, plan_figures(again), seconds, again.record.solver_seconds, again.solves)


def _answers(plan: Solved, asked: list[Question], fork: bool) -> list[_Answer]:
    """Answer ``asked`` in order; with ``fork``, every other question that needs a solve in a forked process.

    The child is a copy of this process at the fork: it answers its questions on its own copy
    of the plan's model (HiGHS with a thread pool of its own, so the same solves as here), sends
    back the figures and the answers it added to the solve cache's memory (the folder it writes
    itself), and exits. Meanwhile this process answers the others. A child that fails or dies
    only costs time: its questions are answered here. Without ``fork``, or with fewer than two
    questions to solve, all are answered here one after the other.
    """
    solving = [n for n, q in enumerate(asked) if _needs_solve(plan, q)]
    theirs = solving[1::2] if fork and len(solving) > 1 else []
    got: dict[int, _Answer] = {}
    child = _start_child(plan, asked, theirs) if theirs else None
    try:
        for n, q in enumerate(asked):
            if n not in theirs:
                got[n] = _answer(plan, q, n in solving)
    except BaseException:
        if child is not None:
            _stop_child(*child)
        raise
    if child is not None:
        got |= _child_answers(*child)
    for n in theirs:
        if n not in got:  # the child failed: answer here
            got[n] = _answer(plan, asked[n], True)
    return [got[n] for n in range(len(asked))]


def _start_child(plan: Solved, asked: list[Question], theirs: list[int]) -> tuple[int, int] | None:
    """Fork a child answering ``theirs``; return its pid and the pipe's read end (None: no fork)."""
    read_fd, write_fd = os.pipe()
    known = solve_cache.memory_keys()
    try:
        pid = os.fork()
    except OSError:
        os.close(read_fd)
        os.close(write_fd)
        return None
    if pid == 0:  # the child
        os.close(read_fd)
        report: dict = {}
        try:
            highspy = sys.modules.get("highspy")
            if highspy is not None:
                # The parent's HiGHS thread pool is not in a forked process: start one of its own.
                highspy.Highs.resetGlobalScheduler(False)
            report["answers"] = {n: _answer(plan, asked[n], True) for n in theirs}
            report["cache"] = solve_cache.memory_since(known)
        except BaseException as exc:  # noqa: BLE001 - the parent answers the questions itself
            report = {"error": f"{type(exc).__name__}: {exc}"}
        try:
            with os.fdopen(write_fd, "wb") as pipe:
                pipe.write(pickle.dumps(report))
        finally:
            os._exit(0)  # no atexit handlers, no flush of the parent's streams (a notebook kernel's)
    os.close(write_fd)
    return pid, read_fd


def _child_answers(pid: int, read_fd: int) -> dict[int, _Answer]:
    """Wait for the child; return its answers (empty if it failed) after remembering its cached solves."""
    data, done = b"", False
    try:
        with os.fdopen(read_fd, "rb") as pipe:
            while select.select([pipe], [], [], CHILD_TIMEOUT_S)[0]:
                chunk = os.read(pipe.fileno(), 1 << 16)
                if not chunk:
                    done = True
                    break
                data += chunk
    finally:
        if not done:  # silent for CHILD_TIMEOUT_S: stopped, its questions are answered here
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
            data = b""
        os.waitpid(pid, 0)
    try:
        report = pickle.loads(data) if data else {}
    except (pickle.UnpicklingError, EOFError, AttributeError, ValueError):
        report = {}
    for key, entry in report.get("cache", []):
        solve_cache.remember(key, entry)
    return report.get("answers", {})


def _stop_child(pid: int, read_fd: int) -> None:
    """Stop the child and reap it."""
    with contextlib.suppress(OSError):
        os.close(read_fd)
        os.kill(pid, signal.SIGKILL)
    with contextlib.suppress(OSError):
        os.waitpid(pid, 0)


def _can_fork() -> bool:
    """Whether to fork a child: the system can, this process runs no other thread, and a core is spare.

    Spare: :func:`tuoyu_model.machine.spare_core` (on a busy machine the child would only compete
    with this process). Another Python thread could hold a lock at the fork that
    the child would then wait for for ever, or share a socket with it: the explorer solves in a
    thread of its own, and a report's model runs in the notebook kernel, whose I/O threads carry
    its output to the client.
    """
    return hasattr(os, "fork") and threading.active_count() == 1 and spare_core()


def _staged_again(model: AllocationModel, q: Question, solver: str) -> Solved:
    """Build the plan's model afresh at its budget, change it as ``q`` asks, and solve it in priority stages.

    The stages of :func:`~tuoyu_model.allocation.priority.solve_in_priority` hold each stage's optimum
    in the model, so a plan that ran them cannot be re-solved in place; this is the slower path,
    taken only when something is short (the plan, or the changed problem). The stages start at
    once (``first=False``): the model's own penalised objective over whole slots is the slowest
    solve of a short plan (minutes for ``budget_cut_20`` at a fee cap of 18%, against seconds for
    all the stages), and a problem with nothing short comes out of the stages the same.
    """
    fresh = create_model(model.inputs, model.budget_rhs, integer=model.integer)
    with changed(fresh, q):
        return solve_in_priority(fresh, solver, first=False)


def _still_met(model: AllocationModel, q: Question, plan: Solved) -> bool:
    """Whether the plan's own values meet the row ``q`` changed (share or unit total, a ≥ row)."""
    con = (
        _row(model, "share", "district", q.year)
        if q.question == "share_point"
        else _row(model, "total", q.town_id, q.year)
    )
    value = dict(zip(model.x_vars, plan.x, strict=True)) | dict(zip(model.v_vars, plan.v, strict=True))
    value |= {model.short[k]: u for k, u in plan.short.items()}
    lhs = sum(coef * float(value[var]) for var, coef in con.expr.items())
    return lhs >= -con.constant - 1e-9 * max(1.0, abs(con.constant))
