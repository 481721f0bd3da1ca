r"""The allocation problem as arrays, for many solves: build a highspy model once, then change numbers.

:func:`tuoyu_model.allocation.create_model` builds PuLP objects, right for one run and its
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
import math
import time
from dataclasses import dataclass

import numpy as np

from tuoyu_model.allocation import TOL, AllocationInputs, centre_host_rule
from tuoyu_model.allocation_solver import quiet_stdout
from tuoyu_model.costs import CHANNELS
from tuoyu_model.errors import DataError

# PuLP replaces these characters in variable names by '_' (pulp.LpElement.illegal_chars); the
# column order is PuLP's, sorted by the sanitised name.
_ILLEGAL = str.maketrans(dict.fromkeys("-+[] ->/", "_"))
INF = math.inf


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
        What each row is (as :class:`tuoyu_model.allocation._Rows`).
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
    equal those PuLP hands to HiGHS bit for bit (``tests/test_sweep_lp.py``).
    """
    integer = (inputs.integer_classes or inputs.whole_slots) if integer is None else integer
    classes = integer and inputs.integer_classes
    budget_rhs = dict(inputs.budget if budget_rhs is None else budget_rhs)
    years = [int(y) for y in inputs.years]
    ypos = {y: j for j, y in enumerate(years)}
    units = list(inputs.units.index)
    S0 = inputs.units["initial_total"].to_dict()
    I0 = inputs.units["initial_inclusive"].to_dict()
    f = inputs.service_fraction
    ex = inputs.existing_channel
    ops = inputs.operating_subsidy
    op = {
        (int(y), c): float(v)
        for y, c, v in zip(
            ops["year"].tolist(), ops["channel"].tolist(), ops["subsidy_per_slot_year_yuan"].tolist(), strict=True
        )
    }
    missing = [(y, c) for y in years for c in CHANNELS if (y, c) not in op]
    if missing:
        raise DataError(
            f"allocation: no operating subsidy for channel '{missing[0][1]}' in {missing[0][0]} "
            "(pricing.operating_subsidy_table); give one row per year and channel"
        )

    def phi(tau: int, t: int) -> float:
        return f if t == tau else 1.0

    committed = {y: op[(y, ex)] * sum(I0.values()) for y in years}
    maximise = inputs.objective == "max_slots"
    if inputs.objective not in ("min_cost", "max_slots"):
        raise DataError(
            f"data/parameters/allocation.yaml: 'objective' = '{inputs.objective}'; expected min_cost or max_slots"
        )
    w_inc = inputs.inclusive_weight
    cp = inputs.capacity
    cap = {
        (i, c, int(y)): float(v)
        for i, c, y, v in zip(
            cp["town_id"].tolist(),
            cp["channel"].tolist(),
            cp["year"].tolist(),
            cp["capacity_slots"].tolist(),
            strict=True,
        )
        if c != "centre"
    }
    host = centre_host_rule(inputs)
    sites: list = []
    if host is not None:
        choose = inputs.integer_classes and inputs.centre_unit == "auto"
        q = inputs.slots_per_class.get("centre", 1) if inputs.integer_classes else 1
        ccap = math.ceil(inputs.centre_slots / q) * q
        for i in units if choose else [host]:
            for y in years:
                cap[(i, "centre", y)] = ccap
        if choose:
            sites = list(units)
    uc = inputs.unit_costs
    allowed = [
        (c, k, float(a))
        for c, k, a in zip(uc["channel"].tolist(), uc["kind"].tolist(), uc["capital_public_yuan"].tolist(), strict=True)
    ]

    # --- columns in creation order (sorted by name below, as PuLP orders them) ----------------------
    xm = []
    for i in units:
        for c, k, a in allowed:
            if max((cap.get((i, c, y), 0.0) for y in years), default=0.0) <= TOL:
                continue
            q = inputs.slots_per_class.get(c, 1) if classes else 1
            for y in years:
                if cap.get((i, c, y), 0.0) <= TOL:
                    continue
                xm.append((i, y, c, k, float(q), a))
    conv = inputs.conversion_capacity
    vcap = {
        (i, int(y)): float(v)
        for i, y, v in zip(
            conv["town_id"].tolist(), conv["year"].tolist(), conv["capacity_slots"].tolist(), strict=True
        )
    }
    vm = [(i, y) for i in units for y in years if vcap.get((i, y), 0.0) > TOL]
    tg = inputs.targets
    keys = list(zip(tg.town_id.tolist(), tg.year.astype(int).tolist(), strict=True))
    T = dict(zip(keys, tg.target_total.astype(float).tolist(), strict=True))
    TI = dict(zip(keys, tg.target_inclusive.astype(float).tolist(), strict=True))
    MI = dict(zip(keys, tg.min_inclusive.astype(float).tolist(), strict=True))
    short_keys = []
    for i in units:
        for y in years:
            short_keys.append(("total", i, y))
            short_keys.append(("inclusive", i, y))
            if MI[(i, y)] > TI[(i, y)]:
                short_keys.append(("coverage", i, y))
    for y in years:
        if inputs.share_target.get(y, 0) > 0:
            short_keys.append(("share", "district", y))
    cy = None
    if host is not None:
        cy = inputs.centre_year
        if cy < years[0] or cy > years[-1]:
            cy = None
        else:
            short_keys.append(("centre", "district", cy))

    names = [f"x_{i}_{y}_{c}_{k}" for i, y, c, k, _q, _a in xm]
    names += [f"v_{i}_{y}" for i, y in vm]
    names += [f"u_{fam}_{i}_{y}" if i != "district" else f"u_{fam}_{y}" for fam, i, y in short_keys]
    names += [f"site_{i}" for i in sites]
    clean = [n.translate(_ILLEGAL) for n in names]
    order = sorted(range(len(clean)), key=clean.__getitem__)
    pos = np.empty(len(order), dtype=np.int64)
    pos[order] = np.arange(len(order))
    nx, nv, ns = len(xm), len(vm), len(short_keys)
    x_idx, v_idx = pos[:nx], pos[nx : nx + nv]
    short_idx = pos[nx + nv : nx + nv + ns]
    site_idx = {i: int(p) for i, p in zip(sites, pos[nx + nv + ns :], strict=True)}
    n = len(names)
    lower = np.zeros(n)
    upper = np.full(n, INF)
    for p in site_idx.values():
        upper[p] = 1.0
    int_mask = np.zeros(n, dtype=bool)
    if integer:
        int_mask[:] = True  # x, v and u are integer in whole-slot mode; the sites too
    short_col = dict(zip(short_keys, short_idx.tolist(), strict=True))

    # --- rows, in create_model's order ---------------------------------------------------------
    r_lo: list = []
    r_hi: list = []
    starts: list = []
    index: list = []
    value: list = []
    fam_l: list = []
    town_l: list = []
    year_l: list = []

    def add(pairs: list, sense: str, rhs: float, family: str, town: str, year: int) -> None:
        starts.append(len(index))
        merged: dict = {}
        for col, coef in pairs:  # PuLP sums a variable named twice in one expression
            merged[col] = merged.get(col, 0) + coef if col in merged else coef
        index.extend(merged)
        value.extend(merged.values())
        r_lo.append(rhs if sense in ("G", "E") else -INF)
        r_hi.append(rhs if sense in ("L", "E") else INF)
        fam_l.append(family)
        town_l.append(town)
        year_l.append(year)

    xcol = x_idx.tolist()
    vcol = v_idx.tolist()
    by_unit_x: dict = {i: [] for i in units}
    for col, (i, y, c, k, q, _a) in zip(xcol, xm, strict=True):
        by_unit_x[i].append((col, y, c, k, q))
    by_unit_v: dict = {i: [] for i in units}
    for col, (i, y) in zip(vcol, vm, strict=True):
        by_unit_v[i].append((col, y))
    share_pairs: dict = {y: [] for y in years}
    centre_pairs: list = []
    for i in units:
        xs, vs = by_unit_x[i], by_unit_v[i]
        for y in years:
            tot = [(col, q) for col, tau, _c, _k, q in xs if tau <= y]
            inc = [(col, q) for col, tau, _c, k, q in xs if tau <= y and k == "inclusive"]
            inc += [(col, 1.0) for col, tau in vs if tau <= y]
            add(tot + [(short_col[("total", i, y)], 1.0)], "G", T[(i, y)] - S0[i], "total", i, y)
            add(inc + [(short_col[("inclusive", i, y)], 1.0)], "G", TI[(i, y)] - I0[i], "inclusive", i, y)
            if ("coverage", i, y) in short_col:
                add(inc + [(short_col[("coverage", i, y)], 1.0)], "G", MI[(i, y)] - I0[i], "coverage", i, y)
            s = inputs.share_target.get(y, 0)
            if s > 0:
                share_pairs[y].extend(
                    (col, q * ((1 - s) if k == "inclusive" else -s)) for col, tau, _c, k, q in xs if tau <= y
                )
                share_pairs[y].extend((col, 1.0) for col, tau in vs if tau <= y)
        for c in CHANNELS:
            cx = [(col, tau, q) for col, tau, cc, _k, q in xs if cc == c]
            if not cx:
                continue
            for y in years:
                pairs = [(col, q) for col, tau, q in cx if tau <= y]
                if c == "centre" and site_idx:
                    add(pairs + [(site_idx[i], -cap[(i, c, y)])], "L", 0.0, f"capacity_{c}", i, y)
                elif pairs:
                    add(pairs, "L", cap.get((i, c, y), 0.0), f"capacity_{c}", i, y)
            if c == "centre" and cy is not None:
                centre_pairs.extend((col, q) for col, tau, q in cx if tau <= cy)
        for y in years:
            pairs = [(col, 1.0) for col, tau in vs if tau <= y]
            if pairs:
                add(pairs, "L", vcap[(i, y)], "conversion", i, y)
    S0_all, I0_all = sum(S0.values()), sum(I0.values())
    for y in years:
        s = inputs.share_target.get(y, 0)
        if s > 0:
            add(
                share_pairs[y] + [(short_col[("share", "district", y)], 1.0)],
                "G",
                s * S0_all - I0_all,
                "share",
                "district",
                y,
            )
    if cy is not None:
        add(
            centre_pairs + [(short_col[("centre", "district", cy)], 1.0)],
            "G",
            inputs.centre_slots,
            "centre",
            "district",
            cy,
        )
    if site_idx:
        add([(z, 1.0) for z in site_idx.values()], "E", 1.0, "centre_site", "district", inputs.centre_year)

    # --- money and objective, as create_model computes them --------------------------------------
    spend: dict = {y: [] for y in years}
    cost = np.zeros(n)
    in_obj = np.zeros(n, dtype=bool)
    for col, (_i, tau, c, k, q, a) in zip(xcol, xm, strict=True):
        cst = q * (a + inputs.tie_break)
        for y in years[ypos[tau] :]:
            money = q * (a if y == tau else 0.0)
            if k == "inclusive":
                money += q * op[(y, c)] * phi(tau, y)
            if money:
                spend[y].append((col, money))
            if k == "inclusive":
                cst += q * op[(y, c)] * phi(tau, y)
        if maximise:
            cst = -q * (len(years) - ypos[tau]) * (w_inc if k == "inclusive" else 1.0)
        cost[col] = cst
        in_obj[col] = True
    g = inputs.conversion_cost_yuan
    for col, (_i, tau) in zip(vcol, vm, strict=True):
        cst = g
        for y in years[ypos[tau] :]:
            money = (g if y == tau else 0.0) + op[(y, ex)] * phi(tau, y)
            if money:
                spend[y].append((col, money))
            cst += op[(y, ex)] * phi(tau, y)
        if maximise:
            cst = -(w_inc - 1.0) * (len(years) - ypos[tau])
        cost[col] = cst
        in_obj[col] = True
    pen = dict(inputs.penalties)
    pen["centre"] = inputs.penalties["coverage"]
    for key, col in short_col.items():
        cost[col] = pen[key[0]]
        in_obj[col] = True
    for y in years:
        b = budget_rhs.get(y)
        if b is not None:
            add(spend[y], "L", max(0.0, b - committed[y]), "budget", "district", y)
    return ModelArrays(
        names=[clean[j] for j in order],
        lower=lower,
        upper=upper,
        cost=cost,
        in_objective=in_obj,
        integer=int_mask,
        row_lower=np.asarray(r_lo, dtype=float),
        row_upper=np.asarray(r_hi, dtype=float),
        starts=np.asarray(starts, dtype=np.int32),
        index=np.asarray(index, dtype=np.int32),
        value=np.asarray(value, dtype=float),
        row_family=fam_l,
        row_town=town_l,
        row_year=year_l,
        mip=bool(integer),
        x_idx=x_idx,
        v_idx=v_idx,
        x_meta={
            "town": np.array([m[0] for m in xm], dtype=object),
            "year": np.array([m[1] for m in xm], dtype=np.int64),
            "channel": np.array([m[2] for m in xm], dtype=object),
            "kind": np.array([m[3] for m in xm], dtype=object),
            "scale": np.array([m[4] for m in xm], dtype=float),
            "capital": np.array([m[5] for m in xm], dtype=float),
        },
        v_meta={
            "town": np.array([m[0] for m in vm], dtype=object),
            "year": np.array([m[1] for m in vm], dtype=np.int64),
        },
        short_keys=short_keys,
        short_idx=short_idx,
        committed=committed,
        site_idx=site_idx,
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
    >>> from tuoyu_model.allocation import _toy_inputs
    >>> s = PointSolver()
    >>> arrays = model_arrays(_toy_inputs())
    >>> s.solve(arrays, _toy_inputs()).status
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
        t0 = time.perf_counter()
        h.run()
        seconds = time.perf_counter() - t0
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
