"""Solver plumbing for the allocation LP: pick HiGHS or CBC, time it, check the status.

Kept apart from the model so the builders in :mod:`tuoyu_model.allocation.build` read as
mathematics. PuLP's HiGHS bridge passes the model to highspy one column and one row at a
time; :class:`BulkHiGHS` hands it over in three array calls instead, so the transfer does not
dominate the solve on large districts.

A whole-slot solve may be handed an :class:`Aggregated` row: one of the model's rows restated
over whole-number sums of its columns, given to HiGHS beside the row itself (a column per sum,
an equality defining it, the restated row). The problem is the same (same feasible plans, same
objective); only the proof is shorter. The one user is the marginal question "one more point of
share" (:mod:`tuoyu_model.allocation.marginal`), whose row has fractional coefficients (1 − s
and −s) on whole slots: HiGHS needs 26,209 branch-and-bound nodes (8.6 s) to prove that no mix
of slots covers the row's fractional remainder more cheaply than one more conversion, and 3 to
15 nodes with the row written K + (1 − s)·Y ≥ R over the whole numbers K and Y (Daxing
baseline, 2025).
"""

from __future__ import annotations

import contextlib
import functools
import math
import os
import re
import shutil
import sys
import tempfile
import threading
import time
from dataclasses import dataclass

import numpy as np
import pulp
from pulp.apis.coin_api import pulp_cbc_path

from tuoyu_model.allocation import solve_cache
from tuoyu_model.errors import SolverError, did_you_mean

SOLVERS = ("highs", "cbc")


def highs_available() -> bool:
    """Return whether highspy can be imported (PuLP's HiGHS bridge needs it)."""
    try:
        return bool(pulp.HiGHS().available())
    except Exception:  # noqa: BLE001 - any import or licence failure means 'not available'
        return False


# quiet_stdout's state: fd 1 is one per process, so threads that solve at once (the explorer's
# preview beside its background whole-slot plan) share one redirection: the first in silences
# fd 1, the last out restores it. Without this, a thread could save the other's /dev/null as the
# "original" and leave the process's output silenced for good.
_QUIET_LOCK = threading.Lock()
# HiGHS keeps one scheduler per process, made by its first run for that run's thread count, and
# refuses ("Not Solved") a later run asking for another count: highs_threads() remakes it first.
_SCHEDULER_LOCK = threading.Lock()
_SCHEDULER: dict[str, int | None] = {"threads": None}
_QUIET = {"depth": 0, "saved": None, "devnull": None}


@contextlib.contextmanager
def quiet_stdout():
    """Silence output written straight to file descriptor 1 by native code (HiGHS' banner).

    HiGHS prints from C++ to fd 1 when a model is created. fd 1 itself is redirected, not
    ``sys.stdout.fileno()``: in a Jupyter kernel the latter is a saved copy of the original
    descriptor, so silencing it would let the banner into the report. Python-level output is
    flushed first and untouched outside the block. Safe across threads (nested blocks share
    one redirection).
    """
    with _QUIET_LOCK:
        if _QUIET["depth"] == 0:
            sys.stdout.flush()
            try:
                saved = os.dup(1)
            except OSError:  # no fd 1 (some embedded interpreters): nothing to silence
                saved = None
            if saved is not None:
                devnull = os.open(os.devnull, os.O_WRONLY)
                os.dup2(devnull, 1)
                _QUIET["saved"], _QUIET["devnull"] = saved, devnull
        _QUIET["depth"] += 1
    try:
        yield
    finally:
        with _QUIET_LOCK:
            _QUIET["depth"] -= 1
            if _QUIET["depth"] == 0 and _QUIET["saved"] is not None:
                sys.stdout.flush()
                os.dup2(_QUIET["saved"], 1)
                os.close(_QUIET["saved"])
                os.close(_QUIET["devnull"])
                _QUIET["saved"] = _QUIET["devnull"] = None


@dataclass(frozen=True)
class Aggregated:
    """A ≥ row restated over whole-number sums of its columns: Σ_g ``coefficients[g]`` · S_g ≥ ``lower``.

    ``sums[g]`` holds the (variable, coefficient) pairs of S_g = Σ coefficient · variable, every
    variable integer and every coefficient a whole number, so that S_g is a whole number in every
    plan. It must state the same row as one of the model's own (the caller's rule): the solver
    gets it in addition to the model's rows, so a wrong one would cut plans off.
    """

    sums: tuple
    coefficients: tuple
    lower: float

    def key(self) -> str:
        """Return the text the solve cache adds to the problem's fingerprint (names and coefficients, to the bit)."""
        parts = [";".join(f"{var.name}={coef!r}" for var, coef in terms) for terms in self.sums]
        return f"aggregated|{'|'.join(parts)}|{self.coefficients!r}|{self.lower!r}"


# HiGHS options for a solve with an Aggregated row. Presolve's aggregator (presolve rule 12)
# would substitute the sums' columns back out of the rows, undoing the restatement; the root
# reduced-cost heuristic (a sub-MIP over the columns it fixes) then costs more time than the
# whole branch and bound (measured 3 of 5.5 s). Neither changes what is optimal.
AGGREGATED_OPTIONS = {"presolve_rule_off": 1 << 12, "mip_heuristic_run_root_reduced_cost": False}


class BulkHiGHS(pulp.HiGHS):
    """PuLP's HiGHS bridge with the model passed in bulk and the solver's own time recorded."""

    run_seconds: float = float("nan")
    aggregated: Aggregated | None = None

    def buildSolverModel(self, lp: pulp.LpProblem) -> None:  # noqa: N802 - PuLP's method name
        """Pass columns, objective and rows to highspy as arrays (one call each)."""
        import highspy  # optional (PuLP's HiGHS bridge); imported only when HiGHS solves

        inf = highspy.kHighsInf
        h = lp.solverModel
        variables = lp.variables()
        n = len(variables)
        lower = np.empty(n)
        upper = np.empty(n)
        integer = []
        for i, var in enumerate(variables):
            var.index = i
            lower[i] = -inf if var.lowBound is None else var.lowBound
            upper[i] = inf if var.upBound is None else var.upBound
            if var.cat == pulp.LpInteger and self.mip:
                integer.append(i)
        sign = -1.0 if lp.sense == pulp.LpMaximize else 1.0
        obj_items = [(v.index, c) for v, c in lp.objective.items()]
        h.addVars(n, lower, upper)
        if obj_items:
            idx, val = zip(*obj_items, strict=True)
            h.changeColsCost(len(idx), np.asarray(idx, dtype=np.int32), sign * np.asarray(val, dtype=float))
        if integer:
            h.changeColsIntegrality(
                len(integer), np.asarray(integer, dtype=np.int32), np.full(len(integer), highspy.HighsVarType.kInteger)
            )
        constraints = list(lp._constraints.values())
        m = len(constraints)
        starts = np.empty(m, dtype=np.int32)
        row_lo = np.empty(m)
        row_hi = np.empty(m)
        index: list[int] = []
        value: list[float] = []
        for j, con in enumerate(constraints):
            con.index = j
            starts[j] = len(index)
            index.extend(v.index for v in con)
            value.extend(con.values())
            lo, hi = con.getLb(), con.getUb()
            row_lo[j] = -inf if lo is None else lo
            row_hi[j] = inf if hi is None else hi
        if m:
            h.addRows(
                m, row_lo, row_hi, len(index), starts, np.asarray(index, dtype=np.int32), np.asarray(value, dtype=float)
            )
        if self.aggregated is not None and self.mip:
            _add_aggregated(h, self.aggregated, n, highspy)

    def callSolver(self, lp: pulp.LpProblem) -> None:  # noqa: N802 - PuLP's method name
        """Run HiGHS (:func:`run_highs`) and keep its own wall time."""
        self.run_seconds = run_highs(lp.solverModel)


def highs_threads(threads: int) -> None:
    """Make HiGHS's process-wide scheduler fit a run with ``threads`` threads (0: HiGHS's own choice).

    Call before every HiGHS run: the first one makes the scheduler; a later run asking for
    another count (``--set solver_threads=2`` after a run with 1 in the same process) would be
    refused, so the scheduler is remade for it (``Highs.resetGlobalScheduler``, after any run
    in progress).
    """
    import highspy  # heavy native library: imported where a model is solved

    with _SCHEDULER_LOCK:
        if _SCHEDULER["threads"] not in (None, threads):
            highspy.Highs.resetGlobalScheduler(True)
        _SCHEDULER["threads"] = threads


def _add_aggregated(h, agg: Aggregated, first: int, highspy) -> None:
    """Append ``agg`` to the highspy model ``h`` of ``first`` columns: a column and an equality per sum, then the row.

    The new columns come after the model's own, the new rows after its rows, so PuLP reads the
    model's values and row activities by their indices as usual and never sees them.
    """
    inf = highspy.kHighsInf
    k = len(agg.sums)
    h.addVars(k, np.full(k, -inf), np.full(k, inf))
    cols = np.arange(first, first + k, dtype=np.int32)
    h.changeColsIntegrality(k, cols, np.full(k, highspy.HighsVarType.kInteger))
    for col, terms in zip(cols, agg.sums, strict=True):
        idx = np.asarray([var.index for var, _c in terms] + [col], dtype=np.int32)
        val = np.asarray([float(c) for _v, c in terms] + [-1.0])
        h.addRow(0.0, 0.0, len(idx), idx, val)
    h.addRow(float(agg.lower), inf, k, cols, np.asarray(agg.coefficients, dtype=float))


# Above this the objective is scaled down for the retry of a numerical failure (HiGHS's own advice).
LARGE_COST = 1e6


def run_highs(h) -> float:
    """Run the highspy model ``h``; return its wall time (seconds).

    The allocation's penalties (1e9 yuan per missing slot) beside costs of a few hundred yuan make
    some small problems badly scaled: HiGHS's dual simplex can then stop with 'Solve error'
    ("excessive dual values: consider scaling down the LP objective coefficients"). That is the
    one case retried, once, with the objective scaled by a power of two (``user_objective_scale``,
    exact in floating point; HiGHS reports values and duals in the problem's own units) so that
    its largest cost is about :data:`LARGE_COST`. Any other status is left for the caller to judge.
    """
    t0 = time.perf_counter()
    h.run()
    if h.modelStatusToString(h.getModelStatus()) == "Solve error":
        costs = np.abs(np.asarray(h.getLp().col_cost_, dtype=float))
        big = float(costs.max()) if costs.size else 0.0
        if big > LARGE_COST:
            h.setOptionValue("user_objective_scale", -math.ceil(math.log2(big / LARGE_COST)))
            h.clearSolver()
            h.run()
            h.setOptionValue("user_objective_scale", 0)  # a reused model solves its next problem unscaled
    return time.perf_counter() - t0


@dataclass
class SolveRecord:
    """What one solver call did: status, timings and the solver's name and version.

    ``cached``: the answer was read back from :mod:`tuoyu_model.allocation.solve_cache` (the same
    problem solved before by the same solver); ``solver_seconds`` is then 0.
    """

    status: str
    solution_status: str
    objective: float
    wall_seconds: float
    solver_seconds: float
    solver_name: str
    solver_version: str
    cached: bool = False


def cbc_path() -> str:
    """Return the CBC executable: one on PATH, else the binary bundled with PuLP.

    PuLP 3.3 deprecates ``PULP_CBC_CMD``; ``COIN_CMD`` pointed at the bundled binary is the same
    solver without the warning.
    """
    found = shutil.which("cbc")
    return found or pulp.COIN_CMD.executableExtension(pulp_cbc_path)


@functools.cache
def solver_version(name: str) -> str:
    """Return the version text of ``name`` ('highs' → highspy's HiGHS, 'cbc' → PuLP's CBC)."""
    if name == "highs":
        import highspy

        with quiet_stdout():
            h = highspy.Highs()
        return f"HiGHS {h.version()} (highspy)"
    path = cbc_path()
    return f"CBC ({'bundled with PuLP ' + pulp.__version__ if 'solverdir' in path else path})"


def resolve_solver(name: str) -> tuple[str, bool]:
    """Return the solver actually used, and whether it is CBC because HiGHS was asked for but is missing.

    Raises
    ------
    SolverError
        An unknown solver name.

    """
    if name not in SOLVERS:
        raise SolverError(
            f"data/parameters/allocation.yaml: 'solver' = '{name}' 不是可选的求解器{did_you_mean(name, SOLVERS)}；"
            f"应为 {', '.join(SOLVERS)} 之一（如 --set solver=cbc）",
            en=f"data/parameters/allocation.yaml: 'solver' = '{name}' is unknown"
            f"{did_you_mean(name, SOLVERS, en=True)}; "
            f"expected one of {', '.join(SOLVERS)} (e.g. --set solver=cbc)",
        )
    if name == "highs" and not highs_available():
        return "cbc", True
    return name, False


def run_solver(
    prob: pulp.LpProblem,
    name: str,
    mip: bool,
    gap: float,
    method: str = "simplex",
    gap_abs: float | None = None,
    infeasible_ok: bool = False,
    aggregated: Aggregated | None = None,
    threads: int = 1,
) -> SolveRecord:
    """Solve ``prob`` and return the record; raises unless the solve is optimal.

    ``method`` ('simplex' or 'ipm') picks HiGHS's LP algorithm; interior point runs with
    crossover so the solution is basic and the duals and ranging stay meaningful. ``gap_abs``
    (MIP only) stops the search when the incumbent is within that much of the bound; with an
    objective that only takes whole values, ``gap=0, gap_abs=0.5`` proves the exact optimum.
    ``infeasible_ok`` returns a record with status 'Infeasible' (proved: no values to read)
    instead of raising, for a question whose answer may be "no such plan" (the equity search).
    ``aggregated`` (HiGHS, MIP only; ignored otherwise) hands HiGHS one of ``prob``'s rows restated
    over whole-number sums (:class:`Aggregated`), with :data:`AGGREGATED_OPTIONS`; its answer is
    kept in the solve cache under a key of its own. ``threads`` (HiGHS): how many threads it may
    use, 0 for its own choice (half the cores); the shipped 1 (allocation.yaml's
    ``solver_threads``) gives the same whole-slot plan on every machine. Part of the cache key.

    Raises
    ------
    SolverError
        Any status but Optimal (infeasible, unbounded, not solved, stopped early), naming it and
        what to check.

    """
    t0 = time.perf_counter()
    cbc_seconds = float("nan")
    if name != "highs" or not mip:
        aggregated = None
    extra = "" if aggregated is None else aggregated.key()
    if name == "highs" and mip:  # another thread count may stop at another plan of the same cost
        extra += f"|threads={threads}"
    key = solve_cache.fingerprint(prob, name, solver_version(name), mip, gap, gap_abs, extra) if _cached(mip) else None
    entry = solve_cache.lookup(key, prob) if key else None
    if entry is not None:
        solve_cache.restore(prob, entry)
        own = 0.0
    elif name == "highs":
        options = {} if mip else {"solver": method, "run_crossover": "on"}
        gaps = {"gapRel": gap, "gapAbs": gap_abs} if mip else {}
        if aggregated is not None:
            options = dict(AGGREGATED_OPTIONS)
        solver = BulkHiGHS(msg=False, mip=mip, threads=threads or None, **gaps, **options)
        solver.aggregated = aggregated
        highs_threads(threads)
        with quiet_stdout():
            prob.solve(solver)
        own = solver.run_seconds
    else:
        with tempfile.TemporaryDirectory(prefix="tuoyu-cbc-") as tmp:
            log = os.path.join(tmp, "cbc.log")
            gaps = {"gapRel": gap, "gapAbs": gap_abs} if mip else {}
            solver = pulp.COIN_CMD(path=cbc_path(), msg=False, mip=mip, logPath=log, **gaps)
            prob.solve(solver)
            with contextlib.suppress(OSError):
                with open(log, encoding="utf-8", errors="replace") as fh:
                    found = re.findall(
                        r"Total time \(CPU seconds\):\s*([\d.]+)\s*\(Wallclock seconds\):\s*([\d.]+)", fh.read()
                    )
                if found:
                    cbc_seconds = float(found[-1][1])
        own = cbc_seconds
    proved = prob.status == pulp.LpStatusInfeasible or (
        prob.status == pulp.LpStatusOptimal and prob.sol_status == pulp.LpSolutionOptimal
    )
    if key and entry is None and proved:  # only a proved answer is kept
        solve_cache.store(key, prob, own)
    wall = time.perf_counter() - t0
    status = pulp.LpStatus.get(prob.status, str(prob.status))
    sol_status = pulp.LpSolution.get(prob.sol_status, str(prob.sol_status))
    if infeasible_ok and prob.status == pulp.LpStatusInfeasible:
        return SolveRecord(status, sol_status, float("nan"), wall, own, name, solver_version(name), entry is not None)
    if prob.status != pulp.LpStatusOptimal or prob.sol_status != pulp.LpSolutionOptimal:
        hint, hint_en = {
            "Infeasible": (
                "没有方案能满足硬约束（产能、预算、综合服务中心选址）；请查看求解前的提示，"
                "检查是否有负的产能，或预算低于已承诺的支出",
                "no plan meets the hard constraints (capacities, budget rows, centre site); "
                "check the pre-solve notes, a negative capacity or a budget below committed spending",
            ),
            "Unbounded": (
                "目标可以无限改善；目标为 'max_slots' 时请给每个渠道设定有限的产能",
                "the objective can improve without limit; with objective 'max_slots' give every "
                "channel a finite capacity",
            ),
            "Not Solved": (
                "求解器未得出结果就停止了；请改用 --set solver=cbc，或缩小模型",
                "the solver stopped before an answer; try --set solver=cbc or a smaller model",
            ),
        }.get(
            status,
            (
                "求解器提前停止（时间或迭代次数上限）；请重新运行或换一个求解器",
                "the solver stopped early (time or iteration limit); rerun or switch solver",
            ),
        )
        raise SolverError(
            f"data/parameters/allocation.yaml: {name.upper()} 求解结束时状态为 '{status}'（解的状态 '{sol_status}'），"
            f"不是 'Optimal'，未读取任何结果。原因：{hint}。",
            en=f"allocation: the {name.upper()} solve ended with status '{status}' "
            f"(solution '{sol_status}'), not 'Optimal'; no values were read. Cause: {hint_en}.",
        )
    objective = float(pulp.value(prob.objective) or 0.0)
    return SolveRecord(
        status=status,
        solution_status=sol_status,
        objective=objective,
        wall_seconds=wall,
        solver_seconds=own,
        solver_name=name,
        solver_version=solver_version(name),
        cached=entry is not None,
    )


def _cached(mip: bool) -> bool:
    """Whether this solve's answer is looked up and kept (whole-slot MIPs, caching not off)."""
    return mip and solve_cache.enabled()
