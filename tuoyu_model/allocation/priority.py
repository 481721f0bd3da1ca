"""One solve, and the plan in priority stages when something is short.

:func:`solve_model` solves a built model once and reads its values (whole numbers snapped in
integer mode) into a :class:`Solved`; values are read only after the solver reports an optimal
solution (:func:`tuoyu_model.allocation.solver.run_solver` raises otherwise).
:func:`solve_in_priority` runs the stated priority and rationing rule stage by stage
(docs/formulation.md, "Priority of the requirements and the rationing rule"): each tier's slots
missing as few as possible and held, the equity stage (the largest shortfall as a share of a
unit's target, found by :func:`search_equity_ratio` under CBC), the tie-break of
:func:`tie_break_weights`, then the model's own objective. :mod:`tuoyu_model.allocation.solve`
calls it for the plan and its relaxation; :mod:`tuoyu_model.allocation.marginal`, the sweep and
the explorer call it again.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

import numpy as np
import pulp

from tuoyu_model.allocation.build import AllocationModel
from tuoyu_model.allocation.read import UNMET_TOL, values
from tuoyu_model.allocation.solver import Aggregated, SolveRecord, run_solver


@dataclass
class Solved:
    """One optimal solve: the model, the solver's record, and the values (slots per variable)."""

    model: AllocationModel
    record: SolveRecord
    x: np.ndarray
    v: np.ndarray
    short: dict
    stages: list = field(default_factory=list)
    solves: int = 1


def solve_model(
    model: AllocationModel,
    solver: str,
    exact: str | None = None,
    infeasible_ok: bool = False,
    aggregated: Aggregated | None = None,
) -> Solved:
    """Solve ``model`` with ``solver`` and read its values (whole numbers snapped in integer mode).

    ``exact`` (MIP only) overrides ``mip_rel_gap`` for a stage of :func:`solve_in_priority`:
    ``"whole"`` for an objective that takes whole values only (gap 0, absolute 0.5: the optimum
    is proved exactly), ``"ratio"`` for the equity ratio (relative and absolute gap 1e-9).
    ``infeasible_ok``: a proved infeasibility returns a :class:`Solved` whose record says
    'Infeasible' and that holds no values (instead of raising).
    ``aggregated``: one of the model's rows restated over whole-number sums, handed to HiGHS
    beside it (:class:`~tuoyu_model.allocation.solver.Aggregated`): the same problem, proved in
    fewer nodes.
    """
    inp = model.inputs
    method = inp.highs_method
    if method == "auto":
        method = "ipm" if len(model.prob.variables()) >= inp.ipm_min_variables else "simplex"
    gap, gap_abs = {None: (inp.mip_rel_gap, None), "whole": (0.0, 0.5), "ratio": (1e-9, 1e-9)}[exact]
    rec = run_solver(
        model.prob, solver, model.integer, gap, method, gap_abs, infeasible_ok, aggregated, inp.solver_threads
    )
    if rec.status != "Optimal":  # proved infeasible (infeasible_ok): nothing to read
        return Solved(model, rec, np.empty(0), np.empty(0), {})
    x = values(model.x_vars) * 1.0
    v = values(model.v_vars)
    sv = values(list(model.short.values()))
    if model.integer:
        # Integer columns come back within the solver's integrality tolerance (35.0000004); the
        # tables show whole numbers, so snap them, and snap shortfalls that are whole up to noise.
        x, v = np.round(x), np.round(v)
        near = np.abs(sv - np.round(sv)) <= 1e-6 * np.maximum(1.0, np.abs(sv))
        sv = np.where(near, np.round(sv), sv)
    short = dict(zip(model.short.keys(), sv, strict=True))
    return Solved(model, rec, x, v, short)


def _slack(model: AllocationModel, best: float) -> float:
    """Tolerance a held value may exceed its optimum by: 1e-6 slots (whole slots: far below one slot)."""
    return 1e-6 + (0.0 if model.integer else 1e-9 * abs(best))


def _hold(model: AllocationModel, name: str, expr: pulp.LpAffineExpression, best: float) -> None:
    """Keep ``expr`` at or below ``best`` (its optimum) in every later solve of ``model``."""
    rhs = best + _slack(model, best)
    model.prob.addConstraint(pulp.LpConstraint(expr, sense=pulp.LpConstraintLE, rhs=rhs, name=name))


def equity_rows(model: AllocationModel, tier: tuple) -> list:
    """Return the (shortfall variable, target) pairs the equity rule compares.

    The unit total and inclusive rows of ``tier`` whose target is positive.
    """
    d = model.data
    rows = [
        (var, d.T[(i, y)] if fam == "total" else d.TI[(i, y)])
        for (fam, i, y), var in model.short.items()
        if fam in tier and fam in ("total", "inclusive")
    ]
    return [r for r in rows if r[1] > 0]


def add_equity_ratio(model: AllocationModel, tier: tuple) -> pulp.LpVariable | None:
    """Add ``r`` ≥ every unit's shortfall in ``tier`` as a share of its target; return ``r`` (None: no unit row)."""
    rows = equity_rows(model, tier)
    if not rows:
        return None
    r = model.prob.add_variable("equity_ratio", lowBound=0, upBound=1)
    for var, target in rows:
        expr = pulp.LpAffineExpression([(var, 1.0), (r, -target)])
        name = "equity-" + var.name.removeprefix("u_")
        model.prob.addConstraint(pulp.LpConstraint(expr, sense=pulp.LpConstraintLE, rhs=0.0, name=name))
    return r


def largest_share(short: Mapping, targets: list) -> float:
    """Return the largest shortfall as a share of its target over ``targets`` ((key, target) pairs)."""
    return max((float(short[key]) / t for key, t in targets), default=0.0)


def _tier_sum(solved: Solved, keys: list) -> float:
    """Slots missing in ``keys`` ((key, variable) pairs) in a solve."""
    return float(sum(solved.short[k] for k, _var in keys))


def tie_break_weights(n: int) -> list:
    """Return the tie-break stage's weights for ``n`` shortfalls in order: ``round(10_000 * sqrt(p))``.

    ``p`` runs over the first ``n`` primes from the largest down.
    Distinct and decreasing (a shortfall earlier in the order weighs more, so it is kept smaller),
    and with no small whole-number relation between them: square roots of distinct primes are
    linearly independent over the rationals, so two plans that differ by moving a few slots
    between units never have the same weighted sum. Whole numbers, so the stage's optimum is
    proved exactly (gap 0.5 on a whole-valued objective).

    Examples
    --------
    >>> tie_break_weights(3)
    [22361.0, 17321.0, 14142.0]

    """
    primes: list = []
    k = 2
    while len(primes) < n:
        if all(k % p for p in primes if p * p <= k):
            primes.append(k)
        k += 1
    return [float(round(10_000 * math.sqrt(p))) for p in reversed(primes)]


@dataclass
class _Stages:
    """The stages of one :func:`solve_in_priority` run: the solver time summed, and what each held."""

    model: AllocationModel
    solver: str
    wall: float = 0.0
    own: float = 0.0
    count: int = 0
    held: list = field(default_factory=list)  # stage records: dicts of numbers and codes

    def run(self, objective: list, exact: str | None) -> Solved:
        self.model.prob.setObjective(pulp.LpAffineExpression(objective))
        return self.solve(exact)

    def solve(self, exact: str | None = None, infeasible_ok: bool = False) -> Solved:
        solved = solve_model(self.model, self.solver, exact if self.model.integer else None, infeasible_ok)
        self.wall += solved.record.wall_seconds
        self.own += solved.record.solver_seconds
        self.count += 1
        return solved


def search_equity_ratio(run: _Stages, tier: tuple, share: pulp.LpVariable, solved: Solved | None) -> Solved | None:
    """Return a plan with the least largest share of ``tier``, found by bisection (None: not applicable).

    For CBC with whole slots and whole targets. A plan's largest share is then one of the ratios
    k/T (k whole, T a unit's target), and "is there a plan with every share at most ρ" is "is
    there a plan with each shortfall at most floor(ρ·T)": whole bounds, which the relaxation
    alone mostly decides. CBC's branch and bound on min r (a continuous share) does not close
    its gap in minutes (budget_cut_20: bound 0.202 against the optimum 14/69 = 0.2029 after
    60 s); this search proves it in about a dozen solves of a second in all. Every step is
    proved: a plan found lowers the upper end to its own largest share; a proved infeasibility
    raises the lower end to ρ. The search ends when no ratio is left strictly between the two,
    so the last plan's share is the least one (the ``"ratio"`` stage's optimum, exactly).
    ``share`` is the stage's ``r``; ``solved`` (the previous stage's plan, feasible here) gives
    the first upper end.
    """
    model = run.model
    if run.solver != "cbc" or not model.integer:
        return None
    key_of = {var.name: key for key, var in model.short.items()}
    rows = [(key_of[var.name], var, t) for var, t in equity_rows(model, tier)]
    if not rows or any(var.cat != pulp.LpInteger or abs(t - round(t)) > 1e-9 for _k, var, t in rows):
        return None
    targets = [(key, t) for key, _var, t in rows]
    best, hi = solved, (largest_share(solved.short, targets) if solved is not None else 2.0)
    if hi > 1.0:  # no plan yet, or one beyond the ratio's bound 1: search from 1 (included) down
        best, hi = None, 1.0 + 1e-9
    lo = -1e-9  # just below the share 0, which is a candidate
    own_upper = {var.name: var.upBound for _k, var, _t in rows}
    denominators = sorted({round(t) for _k, _v, t in rows})
    # Any plan answers the question: the share ``r`` at weight 0 (an empty objective makes PuLP
    # add a dummy column that CBC then rejects in later stages).
    model.prob.setObjective(pulp.LpAffineExpression([(share, 0.0)]))
    try:
        while True:
            ratios = sorted({k / t for t in denominators for k in range(math.floor(lo * t) + 1, math.ceil(hi * t))})
            ratios = [q for q in ratios if lo + 1e-12 < q < hi - 1e-12]
            if not ratios:
                break
            rho = ratios[len(ratios) // 2]
            for _key, var, t in rows:
                var.upBound = math.floor(rho * t + 1e-9)
            found = run.solve(infeasible_ok=True)
            if found.record.status == "Optimal":
                best, hi = found, largest_share(found.short, targets)
            else:
                lo = rho
    finally:
        for _key, var, _t in rows:
            var.upBound = own_upper[var.name]
    return best


def solve_in_priority(model: AllocationModel, solver: str, tie_break: bool = True, first: bool = True) -> Solved:
    """Solve ``model`` meeting its requirements in ``inputs.priority`` order, rationing by ``inputs.rationing``.

    Lexicographic, every stage but the last solved exactly (whole slots: gap 0) and its optimum
    held in every later solve:

    1. the model as built; a plan with no slot missing is returned at once (0 is every stage's
       optimum, so it is also the lexicographic plan);
    2. each tier but the last: its slots missing as few as possible (a tier at 0 is held at 0
       without a solve);
    3. in the unit-target tier (wherever it stands), with ``equity`` first the largest shortfall
       as a share of a unit's target as small as possible; in the last tier the slots missing are
       made as few as possible only with ``tie_break``;
    4. ``tie_break``: every shortfall in the order of the tiers, then of ``data/targets.csv``'s
       units, then year and kind, as small as possible in turn and fixed — so which unit is short
       is decided by stated rules, never by the solver, and is the same under HiGHS and CBC;
    5. the model's own objective (public money; the penalties are constant once the shortfalls
       are fixed) at the scenario's ``mip_rel_gap``.

    Without ``tie_break`` (the linear relaxation solved for the shadow prices) steps 3's count and
    4 are skipped, so the last tier's penalties still price its rows. ``first=False`` skips step 1
    when a shortfall is already known (the relaxation had one, so the whole-slot plan has one too):
    the result is the same, and the costliest solve of a cut budget is saved. The stages run are
    recorded in ``solved.stages`` (for :func:`tuoyu_model.allocation.check.check_solution`).
    """
    inp = model.inputs
    run = _Stages(model, solver)
    solved = None
    if first:
        solved = run.solve()
        if not any(u > UNMET_TOL for u in solved.short.values()):
            return solved
    own = model.prob.objective
    tiers = [[(k, var) for k, var in model.short.items() if k[0] in tier] for tier in inp.priority]
    last = max((n for n, keys in enumerate(tiers) if keys), default=-1)
    for n, keys in enumerate(tiers):
        if not keys:
            continue
        families = "+".join(inp.priority[n])
        if inp.rationing == "equity" and (r := add_equity_ratio(model, inp.priority[n])) is not None:
            searched = search_equity_ratio(run, inp.priority[n], r, solved)
            solved = searched if searched is not None else run.run([(r, 1.0)], "ratio")
            best_r = float(r.varValue or 0.0)
            if model.integer:
                # The optimum is a ratio of whole numbers: read it exactly from the plan's shortfalls.
                target = {var.name: t for var, t in equity_rows(model, inp.priority[n])}
                best_r = largest_share(solved.short, [(k, target[u.name]) for k, u in keys if u.name in target])
            _hold(model, f"priority-equity-{n}", pulp.LpAffineExpression([(r, 1.0)]), best_r)
            run.held.append({"stage": "equity", "tier": n, "families": families, "value": best_r})
        if n == last and not tie_break:
            break  # the model's own objective meets the last tier (fewest slots missing, then money)
        best = None if solved is None else _tier_sum(solved, keys)
        if best is None or best > UNMET_TOL:
            solved = run.run([(u, 1.0) for _k, u in keys], "whole")
            best = _tier_sum(solved, keys)
        _hold(model, f"priority-{n}", pulp.LpAffineExpression([(u, 1.0) for _k, u in keys]), best)
        run.held.append({"stage": "tier", "tier": n, "families": families, "value": best})
    if tie_break:
        order = [kv for keys in tiers for kv in keys]
        weights = [(var, w) for (_k, var), w in zip(order, tie_break_weights(len(order)), strict=True)]
        if any(solved.short[k] > UNMET_TOL for k, _v in order):
            solved = run.run(weights, "whole")
        for key, var in order:
            best = float(solved.short[key])
            var.lowBound, var.upBound = best, best + _slack(model, best)
            if best > UNMET_TOL:
                run.held.append({"stage": "unit", "key": key, "value": best})
    model.prob.setObjective(own)
    solved = run.solve()
    rec = solved.record
    solved.record = replace(rec, wall_seconds=run.wall, solver_seconds=run.own)
    solved.stages, solved.solves = run.held, run.count
    return solved
