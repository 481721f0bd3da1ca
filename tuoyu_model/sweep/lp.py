r"""The allocation problem as arrays, for many solves: build a highspy model once, then change numbers.

:func:`tuoyu_model.allocation.build.create_model` builds PuLP objects, right for one run and its
tables, too slow for a thousand points. :func:`model_arrays` computes the same problem —
the same columns in PuLP's order (sorted by name), the same rows in the same order, the same
coefficients computed with the same floating-point operations — straight from
:class:`~tuoyu_model.allocation.AllocationInputs` as numpy arrays. :class:`PointSolver` keeps one
``highspy.Highs`` per structure (which columns, rows and non-zeros exist) and, for a point with the
same structure, changes only the costs, bounds and coefficients that differ before solving again
(``changeColsCost``, ``changeColsBounds``, ``changeRowsBounds``, ``changeCoeff``); a new structure
gets a full build. Each solve starts from a cleared solver state, so a point's answer never
depends on the points solved before it on that worker (same numbers for any number of workers).

``tests/test_sweep_lp.py`` checks the arrays against the PuLP model entry by entry, and a solved
point against :func:`tuoyu_model.allocation.solve`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

from tuoyu_model.allocation.inputs import AllocationInputs
from tuoyu_model.allocation.model import SOURCE_BUDGETS, check_objective_inputs, costing_years
from tuoyu_model.allocation.solver import highs_threads, quiet_stdout, run_highs
from tuoyu_model.sweep.structure import (
    RowBuffer,
    static_structure,
)


@dataclass
class ModelArrays:
    """One allocation problem as arrays (columns in PuLP's order, rows in :func:`create_model`'s order).

    Attributes
    ----------
    names : list of str
        Column names, sorted (``x_<unit>_<year>_<channel>_<kind>``, ``v_…``, ``u_…``, ``site_…``).
    lower, upper, cost : ndarray
        Column bounds and objective coefficients (``cost`` is 0 for columns not in the objective).
    in_objective : ndarray of bool
        Columns PuLP passes to ``changeColsCost``.
    integer : ndarray of bool
        Integer columns (only when the model is solved as a MIP).
    row_lower, row_upper : ndarray
        Row bounds.
    starts, index, value : ndarray
        Row-wise matrix (as ``Highs.addRows`` takes it).
    row_family, row_town, row_year : list
        What each row is (as :class:`tuoyu_model.allocation.RowBuffer`).
    mip : bool
        Whether the problem is a mixed-integer program.
    x_idx, v_idx : ndarray of int
        Columns of the new-slot and conversion variables in ``x_meta`` / ``v_meta`` order.
    x_meta : dict of str to ndarray
        ``town``, ``year``, ``channel``, ``kind``, ``scale``, ``capital`` per new-slot variable.
    v_meta : dict of str to ndarray
        ``town``, ``year`` per conversion variable.
    short_keys : list of tuple
        ``(family, town, year)`` of each shortfall column, with ``short_idx`` its column.
    committed : dict
        Year → operating subsidy of the end-2023 inclusive stock (yuan).

    """

    names: list
    lower: np.ndarray
    upper: np.ndarray
    cost: np.ndarray
    in_objective: np.ndarray
    integer: np.ndarray
    row_lower: np.ndarray
    row_upper: np.ndarray
    starts: np.ndarray
    index: np.ndarray
    value: np.ndarray
    row_family: list
    row_town: list
    row_year: list
    mip: bool
    x_idx: np.ndarray
    v_idx: np.ndarray
    x_meta: dict
    v_meta: dict
    short_keys: list
    short_idx: np.ndarray
    committed: dict
    site_idx: dict

    def structure_key(self) -> str:
        """Hash of what exists (columns, integrality, rows and their non-zeros), not of the numbers."""
        h = hashlib.sha256()
        h.update("\n".join(self.names).encode())
        h.update(self.integer.tobytes())
        h.update(str(self.mip).encode())
        h.update(self.starts.tobytes())
        h.update(self.index.tobytes())
        h.update((self.value == 0).tobytes())  # HiGHS drops zeros: a zero is structure
        h.update(np.isinf(self.row_lower).tobytes() + np.isinf(self.row_upper).tobytes())
        return h.hexdigest()


def model_arrays(inputs: AllocationInputs, budget_rhs: dict | None = None, integer: bool | None = None) -> ModelArrays:
    """Return the allocation problem of ``inputs`` as arrays; same arguments as :func:`create_model`.

    Every coefficient is computed in the order :func:`create_model` computes it, so the arrays
    equal those PuLP hands to HiGHS bit for bit (``tests/test_sweep_lp.py``). The structure and
    the rows that only the units, targets and capacities decide are built once and reused while
    those tables are the same objects (as they are across a sweep's points); the share rows, the
    money (objective, budget rows) and the penalties are computed for every call.
    """
    integer = (inputs.integer_classes or inputs.whole_slots) if integer is None else integer
    budget_rhs = dict(inputs.budget if budget_rhs is None else budget_rhs)
    st = static_structure(inputs, budget_rhs, integer)
    years = st.years
    ypos = {y: j for j, y in enumerate(years)}
    f = inputs.service_fraction
    ex = inputs.existing_channel
    ops = inputs.operating_subsidy
    op = {
        (int(y), c): float(v)
        for y, c, v in zip(
            ops["year"].tolist(), ops["channel"].tolist(), ops["subsidy_per_slot_year_yuan"].tolist(), strict=True
        )
    }
    cyears, disc = costing_years(inputs)  # the objective counts money to the costing horizon
    check_objective_inputs(inputs, op, cyears)
    maximise = inputs.objective == "max_slots"
    w_inc = inputs.inclusive_weight
    capital = {
        (c, k): float(a)
        for c, k, a in zip(
            inputs.unit_costs["channel"].tolist(),
            inputs.unit_costs["kind"].tolist(),
            inputs.unit_costs["capital_public_yuan"].tolist(),
            strict=True,
        )
    }

    def phi(tau: int, t: int) -> float:
        return f if t == tau else 1.0

    committed = {y: op[(y, ex)] * st.I0_all for y in years}
    share = RowBuffer()
    for y, terms in st.share_terms.items():
        s = inputs.share_target.get(y, 0)
        pairs = [(col, 1.0 if q is None else q * ((1 - s) if k == "inclusive" else -s)) for col, q, k in terms]
        pairs.append((st.short_col[("share", "district", y)], 1.0))
        share.add(pairs, "G", s * st.S0_all - st.I0_all, "share", "district", y)

    # --- money and objective, as create_model computes them --------------------------------------
    n = len(st.names)
    spend: dict = {y: [] for y in years}
    cost = np.zeros(n)
    for col, (_i, tau, c, k, q) in zip(st.xcol, st.xm, strict=True):
        a = capital[(c, k)]
        cst = q * (a + inputs.tie_break) * disc[tau]
        for y in years[ypos[tau] :]:
            money = q * (a if y == tau else 0.0)
            if k == "inclusive":
                money += q * op[(y, c)] * phi(tau, y)
            if money:
                spend[y].append((col, money))
        if k == "inclusive":
            for y in cyears[ypos[tau] :]:
                cst += q * op[(y, c)] * phi(tau, y) * disc[y]
        if maximise:
            cst = -q * (len(years) - ypos[tau]) * (w_inc if k == "inclusive" else 1.0)
        cost[col] = cst
    g = inputs.conversion_cost_yuan
    for col, (_i, tau) in zip(st.vcol, st.vm, strict=True):
        cst = g * disc[tau]
        for y in years[ypos[tau] :]:
            money = (g if y == tau else 0.0) + op[(y, ex)] * phi(tau, y)
            if money:
                spend[y].append((col, money))
        for y in cyears[ypos[tau] :]:
            cst += op[(y, ex)] * phi(tau, y) * disc[y]
        if maximise:
            cst = -(w_inc - 1.0) * (len(years) - ypos[tau])
        cost[col] = cst
    pen = dict(inputs.penalties)
    pen["centre"] = inputs.penalties["coverage"]
    for key, col in st.short_col.items():
        cost[col] = pen[key[0]]
    in_obj = np.ones(n, dtype=bool)
    for p in [*st.site_idx.values(), *st.open_idx.values()]:
        in_obj[p] = False  # the sites and the projects' open columns are not in the objective
    budget = RowBuffer()
    for y in years:
        b = budget_rhs.get(y)
        if b is not None:
            budget.add(spend[y], "L", max(0.0, b - committed[y]), "budget", "district", y)
    # the city's and the district's own limits, as allocation.build.add_source_budget_constraints
    for family, (name, is_city) in SOURCE_BUDGETS.items():
        limits = getattr(inputs, name)
        if all(limits.get(y) is None for y in years):
            continue
        sc = inputs.city_share_capital if is_city else 1.0 - inputs.city_share_capital
        so = inputs.city_share_operating if is_city else 1.0 - inputs.city_share_operating
        src: dict = {y: [] for y in years}
        for col, (_i, tau, c, k, q) in zip(st.xcol, st.xm, strict=True):
            a = capital[(c, k)]
            for y in years[ypos[tau] :]:
                money = q * (a if y == tau else 0.0) * sc
                if k == "inclusive":
                    money += q * op[(y, c)] * phi(tau, y) * so
                if money:
                    src[y].append((col, money))
        for col, (_i, tau) in zip(st.vcol, st.vm, strict=True):
            for y in years[ypos[tau] :]:
                money = (g if y == tau else 0.0) * sc + op[(y, ex)] * phi(tau, y) * so
                if money:
                    src[y].append((col, money))
        for y in years:
            b = limits.get(y)
            if b is not None:
                budget.add(src[y], "L", max(0.0, b - committed[y] * so), family, "district", y)

    blocks = [st.head, share.block(), st.tail, budget.block(), st.project_tail]
    starts, offset = [], 0
    for blk in blocks:
        starts.extend(s + offset for s in blk[0])
        offset += len(blk[1])

    def cat(j: int) -> list:
        return [v for blk in blocks for v in blk[j]]

    return ModelArrays(
        names=st.names,
        lower=st.lower,
        upper=st.upper,
        cost=cost,
        in_objective=in_obj,
        integer=st.integer,
        row_lower=np.asarray(cat(3), dtype=float),
        row_upper=np.asarray(cat(4), dtype=float),
        starts=np.asarray(starts, dtype=np.int32),
        index=np.asarray(cat(1), dtype=np.int32),
        value=np.asarray(cat(2), dtype=float),
        row_family=cat(5),
        row_town=cat(6),
        row_year=cat(7),
        mip=bool(integer),
        x_idx=st.x_idx,
        v_idx=st.v_idx,
        x_meta=st.x_meta | {"capital": np.array([capital[(m[2], m[3])] for m in st.xm], dtype=float)},
        v_meta=st.v_meta,
        short_keys=st.short_keys,
        short_idx=st.short_idx,
        committed=committed,
        site_idx=st.site_idx,
    )


@dataclass
class Solution:
    """A solved point: status, column and row values, HiGHS's own time."""

    status: str
    optimal: bool
    col: np.ndarray
    row: np.ndarray
    solver_seconds: float
    rebuilt: bool


def _highs_method(inputs: AllocationInputs, n_cols: int) -> str:
    method = inputs.highs_method
    if method == "auto":
        method = "ipm" if n_cols >= inputs.ipm_min_variables else "simplex"
    return method


class PointSolver:
    """One worker's highspy models, one per structure, changed in place from point to point.

    Examples
    --------
    >>> from tuoyu_model.allocation.inputs import toy_inputs
    >>> s = PointSolver()
    >>> arrays = model_arrays(toy_inputs())
    >>> s.solve(arrays, toy_inputs()).status
    'Optimal'

    """

    def __init__(self, keep: int = 4) -> None:
        self.keep = keep  # structures kept per worker (a sweep rarely has more than two)
        self.models: dict = {}  # structure key -> (Highs, ModelArrays as last passed)
        self.builds = 0

    def _build(self, a: ModelArrays, inputs: AllocationInputs):
        import highspy  # heavy native library: imported where a model is built

        with quiet_stdout():
            h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        if inputs.solver_threads:  # 1 (shipped): the same plan on every machine (allocation.yaml)
            h.setOptionValue("threads", inputs.solver_threads)
        highs_threads(inputs.solver_threads)
        if a.mip:
            h.setOptionValue("mip_rel_gap", inputs.mip_rel_gap)
        else:
            h.setOptionValue("solver", _highs_method(inputs, len(a.names)))
            h.setOptionValue("run_crossover", "on")
        n = len(a.names)
        h.addVars(n, a.lower, a.upper)
        idx = np.flatnonzero(a.in_objective).astype(np.int32)
        if len(idx):
            h.changeColsCost(len(idx), idx, a.cost[idx])
        if a.mip and a.integer.any():
            ii = np.flatnonzero(a.integer).astype(np.int32)
            h.changeColsIntegrality(len(ii), ii, np.full(len(ii), highspy.HighsVarType.kInteger))
        m = len(a.row_lower)
        if m:
            h.addRows(m, a.row_lower, a.row_upper, len(a.index), a.starts, a.index, a.value)
        self.builds += 1
        return h

    @staticmethod
    def _update(h, old: ModelArrays, new: ModelArrays) -> None:
        ch = np.flatnonzero(old.cost != new.cost).astype(np.int32)
        if len(ch):
            h.changeColsCost(len(ch), ch, new.cost[ch])
        ch = np.flatnonzero((old.lower != new.lower) | (old.upper != new.upper)).astype(np.int32)
        if len(ch):
            h.changeColsBounds(len(ch), ch, new.lower[ch], new.upper[ch])
        ch = np.flatnonzero((old.row_lower != new.row_lower) | (old.row_upper != new.row_upper)).astype(np.int32)
        if len(ch):
            h.changeRowsBounds(len(ch), ch, new.row_lower[ch], new.row_upper[ch])
        ch = np.flatnonzero(old.value != new.value)
        if len(ch):
            rows = np.searchsorted(new.starts, ch, side="right") - 1
            for r, c, v in zip(rows.tolist(), new.index[ch].tolist(), new.value[ch].tolist(), strict=True):
                h.changeCoeff(r, c, v)

    def solve(self, a: ModelArrays, inputs: AllocationInputs) -> Solution:
        """Solve the problem ``a`` (from :func:`model_arrays` of ``inputs``), reusing a model of its structure."""
        key = a.structure_key()
        rebuilt = key not in self.models
        if rebuilt:
            if len(self.models) >= self.keep:
                self.models.pop(next(iter(self.models)))
            h = self._build(a, inputs)
        else:
            h, old = self.models.pop(key)
            self._update(h, old, a)
            h.clearSolver()  # no basis or incumbent from the previous point: same answer on any worker
        self.models[key] = (h, a)
        seconds = run_highs(h)
        status = h.modelStatusToString(h.getModelStatus())
        optimal = status == "Optimal"
        if optimal:
            sol = h.getSolution()
            col = np.asarray(sol.col_value, dtype=float)
            row = np.asarray(sol.row_value, dtype=float)
        else:
            col = np.full(len(a.names), np.nan)
            row = np.full(len(a.row_lower), np.nan)
        return Solution(status, optimal, col, row, seconds, rebuilt)
