"""Evaluate one sweep point: parameter overrides → allocation inputs → a solve → one row of metrics.

A point changes a few parameters of one scenario. :class:`PointEvaluator` (one per worker) keeps
the scenario's parameters and data, and recomputes only the parts of the allocation inputs the
point changes. The inputs are :func:`tuoyu_model.allocation.inputs_from_tables` of two economics
tables, ``costs.capital_costs`` and ``pricing.operating_subsidy_table``; which parameters each of
the three reads is recorded once, by running them on the scenario (:func:`_reads`). The tables
are recomputed only when a parameter they read changes; ``inputs_from_tables`` (capacities,
targets — the slow part) only when a parameter it reads, other than the single numbers read per
point (share targets, budget, penalties …), changes. ``tests/test_sweep_lp.py`` perturbs every
parameter and checks the result equals a full recomputation. The solve goes through
:class:`tuoyu_model.sweep.lp.PointSolver`; no tables or sentences are made per point.
"""

from __future__ import annotations

import json
import math
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from tuoyu_model import costs, pricing
from tuoyu_model.allocation.build import TOL, create_model
from tuoyu_model.allocation.commitments import after_plan_years, subsidy_after_plan, subsidy_rates
from tuoyu_model.allocation.formulas import budget_by_year, costing_horizon, year_value
from tuoyu_model.allocation.inputs import KINDS, AllocationInputs, inputs_from_tables
from tuoyu_model.allocation.priority import solve_in_priority
from tuoyu_model.allocation.read import SHORTFALL_KINDS, UNMET_TOL
from tuoyu_model.allocation.shortfall import final_overlap, slots_missing
from tuoyu_model.costs import CHANNELS
from tuoyu_model.data import load_targets, load_towns
from tuoyu_model.errors import TuoyuError
from tuoyu_model.parameters import Parameters, apply_overrides, load_scenario
from tuoyu_model.sweep.lp import ModelArrays, PointSolver, Solution, model_arrays

# AllocationInputs fields read straight from one parameter each: recomputed for every point.
SCALAR_PARAMETERS = (
    "inclusive_share_target",
    "budget",
    "budget_share_of_need",
    "penalty_shortfall_total",
    "penalty_shortfall_inclusive",
    "penalty_shortfall_share",
    "penalty_shortfall_coverage",
    "district_centre_slots",
    "new_slot_service_fraction",
    "inclusive_weight",
    "tie_break_cost_per_slot",
    "mip_rel_gap",
    "city_share_of_capital",
    "city_share_of_operating",
    "discount_rate",
    "budget_city",
    "budget_district",
)
CACHE_SIZE = 32  # inputs and cost tables kept per worker (a grid axis rarely has more values)


class _Reads(Mapping):
    """A view of parameters that records the names read (``params[name]`` and ``by_year``)."""

    def __init__(self, params: Parameters, log: set) -> None:
        self._p, self._log = params, log

    def __getitem__(self, name: str) -> Any:
        self._log.add(name)
        return self._p[name]

    def by_year(self, name: str, year: int) -> Any:
        """Read a year-indexed value (recorded)."""
        self._log.add(name)
        return self._p.by_year(name, year)

    def __iter__(self) -> Iterator[str]:
        return iter(self._p)

    def __len__(self) -> int:
        return len(self._p)


def _plan(params: Mapping) -> list[int]:
    return list(range(int(params["plan_years"]["first"]), int(params["plan_years"]["last"]) + 1))


def _costed(params: Mapping) -> list[int]:
    """Return the years whose operating subsidy the allocation needs: the plan's, then to the horizon."""
    plan = _plan(params)
    return list(range(plan[0], costing_horizon(params, plan) + 1))


def _reads(params: Parameters, targets: pd.DataFrame, towns: pd.DataFrame) -> dict[str, set]:
    """Which parameters each part of the allocation inputs reads: ``body``, ``costs``, ``subsidy``.

    ``costs`` is what the unit capital costs read (:func:`_unit_costs`), ``subsidy`` what
    ``pricing.operating_subsidy_table`` reads, ``body`` what :func:`inputs_from_tables` reads
    itself, given the two tables.
    """
    logs: dict[str, set] = {"body": set(), "costs": set(), "subsidy": set()}
    cap = costs.capital_costs(_Reads(params, logs["costs"]))
    _unit_costs(cap, _Reads(params, logs["costs"]))
    sub = pricing.operating_subsidy_table(_Reads(params, logs["subsidy"]), _costed(params))
    inputs_from_tables(_Reads(params, logs["body"]), targets, towns, cap, sub)
    return logs


def _key(params: Parameters, names: set) -> str:
    return json.dumps({n: params[n] for n in sorted(names)}, sort_keys=True, default=str)


def nested(name: str, value: Any) -> dict[str, Any]:
    """Turn a dotted name (as in ``--set``) and its value into an override.

    Examples
    --------
    >>> nested("inclusive_share_target.2025", 0.6)
    {'inclusive_share_target': {'2025': 0.6}}

    """
    parts = name.split(".")
    out: Any = value
    for part in reversed(parts[1:]):
        out = {part: out}
    return {parts[0]: out}


def merge_overrides(values: Mapping[str, Any]) -> dict[str, Any]:
    """Merge ``{dotted name: value}`` into one nested override mapping.

    Examples
    --------
    >>> merge_overrides({"capital_cost.community": 1, "capital_cost.social": 2, "household_size": 3})
    {'capital_cost': {'community': 1, 'social': 2}, 'household_size': 3}

    """
    out: dict[str, Any] = {}
    for name, value in values.items():
        target = out
        parts = name.split(".")
        for part in parts[:-1]:
            target = target.setdefault(part, {})
        target[parts[-1]] = value
    return out


class _LRU(OrderedDict):
    def get_or(self, key: str, make: Any) -> Any:
        if key in self:
            self.move_to_end(key)
            return self[key]
        value = self[key] = make()
        if len(self) > CACHE_SIZE:
            self.popitem(last=False)
        return value


class PointEvaluator:
    """Evaluate points of one scenario on one worker (data loaded once, models reused).

    Parameters
    ----------
    scenario : str
        The scenario every point starts from (a name or a path).
    fixed : mapping, optional
        ``{dotted name: value}`` applied to every point (the spec's ``fixed``).

    Examples
    --------
    >>> ev = PointEvaluator("baseline")
    >>> row = ev.evaluate({"inclusive_share_target.2025": 0.6})
    >>> row["status"], row["public_cost_total_yuan"] > 0
    ('Optimal', True)

    """

    def __init__(self, scenario: str = "baseline", fixed: Mapping[str, Any] | None = None) -> None:
        self.scenario = load_scenario(scenario, merge_overrides(fixed or {}) or None)
        self.params = self.scenario.parameters
        self.targets = load_targets()
        self.towns = load_towns(targets=self.targets)
        self.base = self._full(self.params)
        reads = _reads(self.params, self.targets, self.towns)
        self.costs_reads = reads["costs"]
        self.subsidy_reads = reads["subsidy"]
        self.slow_reads = reads["body"] - set(SCALAR_PARAMETERS)
        self._slow = _LRU({_key(self.params, self.slow_reads): self.base})
        self._costs = _LRU()
        self._subsidy = _LRU()
        self.solver = PointSolver()

    def _full(self, params: Parameters, subsidy_table: Any = None) -> AllocationInputs:
        cap = costs.capital_costs(params)
        table = pricing.operating_subsidy_table if subsidy_table is None else subsidy_table
        return inputs_from_tables(params, self.targets, self.towns, cap, table(params, _costed(params)))

    def point_parameters(self, values: Mapping[str, Any]) -> Parameters:
        """Return the scenario's parameters with a point's ``{dotted name: value}`` applied (validated)."""
        return apply_overrides(self.params, merge_overrides(values), "sweep") if values else self.params

    def inputs(self, params: Parameters) -> AllocationInputs:
        """Allocation inputs for ``params``, recomputing only the parts whose parameters differ."""
        made: dict = {}  # the point's subsidy table, computed at most once for both parts below

        def subsidy_table(p: Parameters, years: list[int]) -> pd.DataFrame:
            if tuple(years) not in made:
                made[tuple(years)] = pricing.operating_subsidy_table(p, years)
            return made[tuple(years)]

        slow = self._slow.get_or(_key(params, self.slow_reads), lambda: self._full(params, subsidy_table))
        years = list(slow.years)
        unit_costs = self._costs.get_or(
            _key(params, self.costs_reads), lambda: _unit_costs(costs.capital_costs(params), params)
        )
        costed = list(range(years[0], int(slow.horizon) + 1))  # the horizon is read with the slow part
        subsidy = self._subsidy.get_or(
            _key(params, self.subsidy_reads) + str(costed),
            lambda: _subsidy(subsidy_table(params, costed), costed),
        )
        return replace(slow, unit_costs=unit_costs, operating_subsidy=subsidy, **scalar_fields(params, years))

    def evaluate(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """Metrics of one point (see :func:`solve_point`) plus its fee cap by year; errors become a status."""
        try:
            params = self.point_parameters(values)
            inputs = self.inputs(params)
            row = solve_point(inputs, self.solver)
            for y in inputs.years:
                row[f"fee_cap_{y}_yuan"] = _round(pricing.fee_cap(params, int(y)))
        except TuoyuError as exc:
            row = {"status": "error", "error": str(exc).splitlines()[0]}
        return row


def _unit_costs(capital: pd.DataFrame, params: Mapping) -> pd.DataFrame:
    """Public capital per new slot by allowed channel × kind, as :func:`inputs_from_tables` makes it."""
    cc = capital.set_index("channel") if "channel" in capital.columns else capital
    allowed = params["allowed_kinds"]
    return pd.DataFrame(
        [
            {"channel": c, "kind": k, "capital_public_yuan": float(cc.loc[c, f"public_capital_{k}_yuan"])}
            for c in CHANNELS
            for k in KINDS
            if allowed[c][k]
        ]
    )


def _subsidy(table: pd.DataFrame, years: list[int]) -> pd.DataFrame:
    """Operating subsidy per slot-year by year and channel, as :func:`inputs_from_tables` takes it."""
    ops = table.loc[table.year.isin(years), ["year", "channel", "subsidy_per_slot_year_yuan"]]
    return ops.reset_index(drop=True)


def scalar_fields(params: Mapping, years: list[int]) -> dict[str, Any]:
    """Return the AllocationInputs fields that are one parameter each, as :func:`inputs_from_tables` reads them."""
    return {
        "share_target": {y: float(year_value(params, "inclusive_share_target", y)) for y in years},
        "budget": budget_by_year(params, years),
        "budget_share_of_need": float(params["budget_share_of_need"]),
        "penalties": {
            "total": float(params["penalty_shortfall_total"]),
            "inclusive": float(params["penalty_shortfall_inclusive"]),
            "share": float(params["penalty_shortfall_share"]),
            "coverage": float(params["penalty_shortfall_coverage"]),
        },
        "centre_slots": float(params["district_centre_slots"]),
        "service_fraction": float(params["new_slot_service_fraction"]),
        "inclusive_weight": float(params["inclusive_weight"]),
        "tie_break": float(params["tie_break_cost_per_slot"]),
        "mip_rel_gap": float(params["mip_rel_gap"]),
        "city_share_capital": float(params["city_share_of_capital"]),
        "city_share_operating": float(params["city_share_of_operating"]),
        "discount_rate": float(params["discount_rate"]),
        "budget_city": budget_by_year(params, years, "budget_city"),
        "budget_district": budget_by_year(params, years, "budget_district"),
    }


# --------------------------------------------------------------------------------------------
# One solve and its metrics
# --------------------------------------------------------------------------------------------


def _clean(a: Any, digits: int) -> Any:
    return np.round(np.asarray(a, dtype=float), digits) + 0.0


def _round(x: float, digits: int = 2) -> float:
    v = round(float(x), digits)
    return 0.0 if v == 0 else v


def _values(a: ModelArrays, sol: Solution) -> tuple[np.ndarray, np.ndarray, dict]:
    """Return new slots (× class size), conversions and shortfalls as the allocation reads them."""
    col = sol.col.copy()
    col[np.abs(col) < TOL] = 0.0
    x, v, sv = col[a.x_idx] * 1.0, col[a.v_idx], col[a.short_idx]
    if a.mip:
        x, v = np.round(x), np.round(v)
        near = np.abs(sv - np.round(sv)) <= 1e-6 * np.maximum(1.0, np.abs(sv))
        sv = np.where(near, np.round(sv), sv)
    return x * a.x_meta["scale"], v, dict(zip(a.short_keys, sv.tolist(), strict=True))


def _spending(a: ModelArrays, inputs: AllocationInputs, value: np.ndarray, v: np.ndarray) -> dict[int, float]:
    """Public money by year (yuan), each item rounded to the fen as in ``tables/budget.csv``."""
    op = {
        (int(y), c): float(s)
        for y, c, s in zip(
            inputs.operating_subsidy["year"].tolist(),
            inputs.operating_subsidy["channel"].tolist(),
            inputs.operating_subsidy["subsidy_per_slot_year_yuan"].tolist(),
            strict=True,
        )
    }
    xm, vm, f = a.x_meta, a.v_meta, inputs.service_fraction
    out = {}
    for y in inputs.years:
        at = xm["year"] == y
        cap_y = float((xm["capital"][at] * value[at]).sum())
        conv_y = float(v[vm["year"] == y].sum()) * inputs.conversion_cost_yuan
        inc = (xm["kind"] == "inclusive") & (xm["year"] <= y)
        rate = np.array([op[(int(y), c)] for c in xm["channel"][inc]], dtype=float)
        phi = np.where(xm["year"][inc] == y, f, 1.0)
        op_new = float((value[inc] * rate * phi).sum())
        cv = vm["year"] <= y
        op_new += float((v[cv] * np.where(vm["year"][cv] == y, f, 1.0)).sum() * op[(int(y), inputs.existing_channel)])
        items = _clean([cap_y, conv_y, op_new, a.committed[y]], 2)
        out[int(y)] = float(sum(items.tolist()))
    return out


def _final_shortfall(inputs: AllocationInputs, a: ModelArrays, value: np.ndarray, short: dict) -> float:
    """Slots missing at the last year-end counted once, as ``summary.json``'s ``shortfall_final_slots``.

    Each kind summed as the stock table rounds it (6 decimals, then 2), the centre's as
    ``allocation.read.centre_shortfall`` counts it at the last year-end, then :func:`slots_missing`.
    """
    last = max(inputs.years)
    # each shortfall to 6 decimals as the stock table has it (one vectorised rounding, same values)
    six = dict(zip(short, _clean(list(short.values()), 6).tolist(), strict=True))
    by_kind = {f: _round(sum(u for k, u in six.items() if k[0] == f and k[2] == last)) for f in SHORTFALL_KINDS}
    centre = 0.0
    cy = inputs.centre_year
    if inputs.centre_slots > 0 and cy is not None and cy in inputs.years:
        if last == cy:
            centre = float(short.get(("centre", "district", cy), 0.0))
        elif last > cy:
            built = float(value[a.x_meta["channel"] == "centre"].sum())
            centre = float(_clean(max(0.0, inputs.centre_slots - built), 6))
    by_kind["centre"] = _round(centre)
    overlap = final_overlap(inputs, six)
    return _round(slots_missing(by_kind, overlap))


def _binding(a: ModelArrays, sol: Solution, short: dict) -> tuple[str, str]:
    """Which limits bind (budget by year, capacities by channel, conversions) and which targets are missed."""
    fam = np.array(a.row_family, dtype=object)
    limited = np.isfinite(a.row_upper) & ~np.isfinite(a.row_lower)
    upper = np.where(limited, a.row_upper, 0.0)
    tight = limited & (sol.row >= upper - 1e-6 * np.maximum(1.0, np.abs(upper)))
    parts = []
    for name in sorted(set(fam[tight].tolist())):
        rows = np.flatnonzero(tight & (fam == name))
        if name == "budget":
            parts.extend(f"budget-{a.row_year[r]}" for r in rows)
        else:
            parts.append(f"{name}:{len(rows)}")
    unmet: dict = {}
    for (f, _town, y), u in short.items():
        if u > 1e-6:
            unmet[f"{f}-{y}"] = unmet.get(f"{f}-{y}", 0.0) + u
    return ";".join(parts), ";".join(f"{k}:{_round(u)}" for k, u in sorted(unmet.items()))


def _solve_once(inputs: AllocationInputs, solver: PointSolver, budget: dict) -> tuple[ModelArrays, Solution]:
    a = model_arrays(inputs, budget)
    return a, solver.solve(a, inputs)


def _staged(inputs: AllocationInputs, a: ModelArrays, budget: dict) -> Solution:
    """Solve the plan through ``allocation.priority.solve_in_priority``, as a :class:`Solution` of ``a``.

    The columns are put back in ``a``'s order and the rows' activities computed from ``a``'s
    matrix, so the metrics read from it exactly as from an array solve.
    """
    solved = solve_in_priority(create_model(inputs, budget), "highs", first=False)
    col = np.zeros(len(a.names))
    col[a.x_idx] = solved.x
    col[a.v_idx] = solved.v
    col[a.short_idx] = [solved.short[k] for k in a.short_keys]
    for i, c in a.site_idx.items():
        col[c] = solved.model.centre_sites[i].varValue or 0.0
    ends = np.append(a.starts[1:], len(a.index))
    row = np.array([float(col[a.index[s:e]] @ a.value[s:e]) for s, e in zip(a.starts, ends, strict=True)])
    return Solution(solved.record.status, True, col, row, solved.record.solver_seconds, True)


def solve_point(inputs: AllocationInputs, solver: PointSolver) -> dict[str, Any]:
    """Solve the plan for ``inputs`` and return its metrics (money in yuan, shares as fractions).

    Keys: ``public_cost_<year>_yuan``, ``public_cost_total_yuan``, ``subsidy_commitment_<year>_yuan``
    (each year after the plan to the costing horizon, as ``tables/commitments.csv``) and
    ``subsidy_commitment_total_yuan``, ``shortfall_final_slots``,
    ``inclusive_share_<year>``, ``total_slots_final``, ``inclusive_slots_final``, ``status``,
    ``binding``, ``unmet``, ``solver_seconds``, ``rebuilt``; with ``budget_share_of_need`` ≠ 1
    the budget is first set from a solve without budget, as :func:`tuoyu_model.allocation.solve` does.
    """
    budget = dict(inputs.budget)
    seconds = 0.0
    if inputs.budget_share_of_need != 1 and any(budget.get(y) is None for y in inputs.years):
        a, sol = _solve_once(inputs, solver, {y: None for y in inputs.years})
        seconds += sol.solver_seconds
        if not sol.optimal:
            return {"status": sol.status, "solver_seconds": seconds}
        value, v, _ = _values(a, sol)
        need = _spending(a, inputs, value, v)
        for y in inputs.years:
            if budget.get(y) is None:
                budget[y] = inputs.budget_share_of_need * need[int(y)]
    short = False
    if inputs.integer_classes or inputs.whole_slots:
        # As allocation.solve: the relaxation first; when it is short, so is the whole-slot plan,
        # and its own-objective solve (costly under a binding budget) is not needed.
        ra = model_arrays(inputs, budget, integer=False)
        rsol = solver.solve(ra, inputs)
        seconds += rsol.solver_seconds
        short = rsol.optimal and any(u > UNMET_TOL for u in _values(ra, rsol)[2].values())
    a = model_arrays(inputs, budget)
    if not short:
        sol = solver.solve(a, inputs)
        seconds += sol.solver_seconds
        short = sol.optimal and any(u > UNMET_TOL for u in _values(a, sol)[2].values())
    if short:
        # A shortfall: who is short is decided by the priority stages, run by the allocation's
        # own code on the PuLP model (the same plan as tuoyu run; slower than one array solve).
        sol = _staged(inputs, a, budget)
        seconds += sol.solver_seconds
    row: dict[str, Any] = {"status": sol.status, "solver_seconds": seconds, "rebuilt": sol.rebuilt}
    if not sol.optimal:
        return row
    value, v, short = _values(a, sol)
    money = _spending(a, inputs, value, v)
    for y, m in money.items():
        row[f"public_cost_{y}_yuan"] = _round(m)
    row["public_cost_total_yuan"] = _round(sum(money.values()))
    row["shortfall_final_slots"] = _final_shortfall(inputs, a, value, short)
    # the operating subsidies the plan commits after its last year, as tables/commitments.csv
    inc_slots = pd.DataFrame({"channel": a.x_meta["channel"], "slots": value})[a.x_meta["kind"] == "inclusive"]
    rates = subsidy_rates(inputs)
    after = {
        y: float(_clean(list(subsidy_after_plan(inputs, inc_slots, float(np.sum(v)), y, rates).values()), 2).sum())
        for y in after_plan_years(inputs)
    }
    for y, m in after.items():
        row[f"subsidy_commitment_{y}_yuan"] = _round(m)
    row["subsidy_commitment_total_yuan"] = _round(sum(after.values()))
    s0 = float(inputs.units["initial_total"].sum())
    i0 = float(inputs.units["initial_inclusive"].sum())
    inc = a.x_meta["kind"] == "inclusive"
    for y in inputs.years:
        upto = a.x_meta["year"] <= y
        total = s0 + float(value[upto].sum())
        incl = i0 + float(value[upto & inc].sum()) + float(v[a.v_meta["year"] <= y].sum())
        row[f"inclusive_share_{y}"] = _round(incl / total if total > 0 else 0.0, 4)
        if y == max(inputs.years):
            row["total_slots_final"] = _round(total)
            row["inclusive_slots_final"] = _round(incl)
    row["binding"], row["unmet"] = _binding(a, sol, short)
    return row


def is_number(x: Any) -> bool:
    """Whether ``x`` is a finite real number (not a bool).

    Examples
    --------
    >>> is_number(1.5), is_number(True), is_number(float("nan"))
    (True, False, False)

    """
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)
