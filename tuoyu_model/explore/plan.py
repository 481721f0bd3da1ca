"""The explorer's re-plan and what people read of it: the headline figures and the sentence of what changed.

:func:`solve_plan` solves the same allocation model as ``tuoyu run`` — same inputs, same
whole-slot program, same budget rule — but skips what only the full report needs (the linear
relaxation for shadow prices, ranging, the sentences and the other tables), and reuses the
starting scenario's inputs for what a change does not touch (:func:`plan_inputs`).
``tests/test_explore.py`` checks its public money and shortfall against
:func:`tuoyu_model.results.run_model`. With ``whole_slots=False`` it solves the linear
relaxation instead: the preview the page shows while the whole-slot plan is being solved.
"""

from __future__ import annotations

import dataclasses
import functools
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from tuoyu_model import pricing
from tuoyu_model.allocation.build import create_model
from tuoyu_model.allocation.formulas import budget_by_year, year_value
from tuoyu_model.allocation.inputs import AllocationInputs, inputs_from_parameters
from tuoyu_model.allocation.priority import solve_in_priority, solve_model
from tuoyu_model.allocation.read import money_table, stock_table
from tuoyu_model.allocation.shortfall import final_shortfall
from tuoyu_model.allocation.solve import solve_staged_plan, year_spending
from tuoyu_model.allocation.solver import resolve_solver
from tuoyu_model.explore.controls import Control
from tuoyu_model.parameters import Parameters
from tuoyu_model.presentation.tables import people_number
from tuoyu_model.presentation.vocabulary import WAN
from tuoyu_model.results import plan_years


@dataclass
class Plan:
    """The numbers one re-plan shows.

    Attributes
    ----------
    years : list of int
    public_cost_yuan : dict of int to float
        Public money by year (capital, conversions, operating subsidies), as ``budget.csv`` adds up.
    budget_yuan : dict of int to float or None
        The budget each year's plan had to keep to (``None`` = no limit).
    shortfall_final_slots : float
        Slots missing at the last year-end, each counted once (as ``summary.json``).
    inclusive_share, share_target : dict of int to float
        District inclusive share at each year-end, and its target.
    fee_cap_yuan, fee_yuan : dict of int to float
        Fee cap and the inclusive fee charged, per child per month.
    subsidy : DataFrame
        ``year, channel, subsidy_per_slot_month_yuan``: operating subsidy per inclusive slot.
    read_stock : callable
        Returns :attr:`stock`: per unit and year: ``town_id, town, year, total_slots, inclusive_slots, target_total,
        target_inclusive, shortfall_total, shortfall_inclusive`` …
    seconds : float
        Time the re-plan took.
    preview : bool
        The linear relaxation of the plan (连续近似: slots may be fractional), shown while the
        whole-slot plan — the one ``tuoyu run`` reports — is being solved.

    """

    years: list[int]
    public_cost_yuan: dict[int, float]
    budget_yuan: dict[int, float | None]
    shortfall_final_slots: float
    inclusive_share: dict[int, float]
    share_target: dict[int, float]
    fee_cap_yuan: dict[int, float]
    fee_yuan: dict[int, float]
    subsidy: pd.DataFrame
    read_stock: Callable[[], pd.DataFrame]
    seconds: float = 0.0
    preview: bool = False  # the linear relaxation (slots may be fractional), shown until the whole-slot plan is solved

    @functools.cached_property
    def stock(self) -> pd.DataFrame:
        """Per unit and year: slots, targets and shortfalls (read on first use: the chart comes after the numbers)."""
        return self.read_stock()

    @property
    def public_cost_total_yuan(self) -> float:
        """Public money over all plan years (yuan)."""
        return float(sum(self.public_cost_yuan.values()))


# Controls whose parameters reach the allocation inputs through one field each: a change to them
# replaces that field of the starting inputs instead of rebuilding every table (capacities,
# targets, units). Any other control rebuilds the inputs in full. tests/test_explore.py changes
# every control and compares the result with allocation.inputs_from_parameters, field by field.
BUDGET_FIELDS = ("budget", "inclusive_share_target")
SUBSIDY_PARAMETERS = (
    "fee_cap_share",
    "inclusive_fee_share_of_cap",
    "district_income_ratio",
    "household_size",
    "occupancy_rate",
    "caregiver_wage",
)


def plan_inputs(
    params: Parameters,
    start: AllocationInputs,
    changed: set[str],
    targets: pd.DataFrame,
    towns: pd.DataFrame,
) -> tuple[AllocationInputs, pd.DataFrame]:
    """Allocation inputs for ``params`` from the starting inputs, and the operating subsidy table.

    ``changed`` names the parameters that differ from the start; only the fields they feed are
    recomputed when they are all in :data:`BUDGET_FIELDS` or :data:`SUBSIDY_PARAMETERS`.
    """
    years = list(start.years)
    costed = list(range(years[0], int(start.horizon or years[-1]) + 1))  # the objective's years, to the horizon
    table = pricing.operating_subsidy_table(params, costed)
    subsidy = table[table.year.isin(years)].reset_index(drop=True)
    if not changed <= set(BUDGET_FIELDS) | set(SUBSIDY_PARAMETERS):
        return inputs_from_parameters(params, targets, towns), subsidy
    fields: dict[str, Any] = {
        "budget": budget_by_year(params, years),
        "share_target": {y: float(year_value(params, "inclusive_share_target", y)) for y in years},
    }
    if changed & set(SUBSIDY_PARAMETERS):
        fields["operating_subsidy"] = table[["year", "channel", "subsidy_per_slot_year_yuan"]].copy()
    return dataclasses.replace(start, **fields), subsidy


def solve_plan(
    params: Parameters,
    targets: pd.DataFrame,
    towns: pd.DataFrame,
    start: AllocationInputs | None = None,
    changed: set[str] | None = None,
    whole_slots: bool = True,
) -> Plan:
    """Plan ``params`` as ``tuoyu run`` does, reading only the explorer's numbers.

    Parameters
    ----------
    params : Parameters
    targets, towns : DataFrame
        The data, loaded once.
    start : AllocationInputs, optional
        The starting scenario's inputs, reused for what ``changed`` does not touch.
    changed : set of str, optional
        Parameters that differ from the start (with ``start``).
    whole_slots : bool, default True
        Solve the model as ``tuoyu run`` does (whole slots or classes when the scenario says
        so); ``False`` solves its linear relaxation, in milliseconds even when a budget binds
        and the whole-slot program takes seconds (:attr:`Plan.preview`).

    Raises
    ------
    SolverError
        The allocation was not solved to optimality.
    ScenarioError, DataError
        Parameters the model refuses (e.g. a set price above the cap).

    """
    t0 = time.perf_counter()
    years = plan_years(params)
    if start is None:
        inputs = inputs_from_parameters(params, targets, towns)
        subsidy = pricing.operating_subsidy_table(params, years)
    else:
        inputs, subsidy = plan_inputs(params, start, changed or set(), targets, towns)
    solver, _ = resolve_solver(inputs.solver)
    integer = None if whole_slots else False  # None: as the inputs say (create_model's default)
    budget = dict(inputs.budget)
    if inputs.budget_share_of_need != 1 and any(budget.get(y) is None for y in inputs.years):
        # the same rule as allocation.solve: a share of what the plan without budget spends
        free = solve_model(create_model(inputs, {y: None for y in inputs.years}, integer=integer), solver)
        need = year_spending(free)
        budget = {y: inputs.budget_share_of_need * need[y] if budget.get(y) is None else budget[y] for y in years}
    if whole_slots:  # the plan tuoyu run gives (priority stages)
        solved = solve_staged_plan(inputs, budget, solver)[0]
    else:  # the preview: the relaxation, in the same priority stages
        solved = solve_in_priority(create_model(inputs, budget, integer=False), solver)
    model = solved.model
    money = money_table(model, solved.x, solved.v)
    cost = money.groupby("year")["amount_yuan"].sum()
    sums = _district_slots(model, solved.x, solved.v, years)
    return Plan(
        years=years,
        public_cost_yuan={y: float(cost.get(y, 0.0)) for y in years},
        budget_yuan={y: budget.get(y) for y in years},
        shortfall_final_slots=float(final_shortfall(inputs, solved.short)),
        inclusive_share={
            y: float(sums.at[y, "inclusive_slots"] / sums.at[y, "total_slots"]) if sums.at[y, "total_slots"] else 0.0
            for y in years
        },
        share_target={y: float(inputs.share_target.get(y, 0.0)) for y in years},
        fee_cap_yuan={y: pricing.fee_cap(params, y) for y in years},
        fee_yuan={y: pricing.inclusive_fee(params, y) for y in years},
        subsidy=subsidy[["year", "channel", "subsidy_per_slot_month_yuan"]].reset_index(drop=True),
        read_stock=lambda: stock_table(model, solved.x, solved.v, solved.short),
        seconds=time.perf_counter() - t0,
        preview=not whole_slots and bool(inputs.integer_classes or inputs.whole_slots),
    )


def _district_slots(model: Any, x: np.ndarray, v: np.ndarray, years: list[int]) -> pd.DataFrame:
    """District total and inclusive slots at each year-end (what ``stock.csv`` adds up to)."""
    units, xm = model.inputs.units, model.x_meta
    new = x * xm["scale"].to_numpy()
    year, incl = xm["year"].to_numpy(), (xm["kind"] == "inclusive").to_numpy()
    vy = model.v_meta["year"].to_numpy()
    rows = {
        y: {
            "total_slots": float(units["initial_total"].sum()) + float(new[year <= y].sum()),
            "inclusive_slots": float(units["initial_inclusive"].sum())
            + float(new[(year <= y) & incl].sum())
            + float(v[vy <= y].sum()),
        }
        for y in years
    }
    return pd.DataFrame.from_dict(rows, orient="index")


def _wan(yuan: float | None) -> str:
    return "不设上限" if yuan is None else f"{people_number(yuan / WAN, '万元')}万元"


def headline(plan: Plan) -> dict[str, str]:
    """Return the headline figures as the report formats them, keyed for the page.

    Keys: ``public_cost_<year>``, ``budget_<year>`` (the limit the plan kept to),
    ``public_cost_total``, ``shortfall``, ``inclusive_share_<year>``, ``fee_cap_<year>``,
    ``fee_<year>``, ``subsidy_<year>_<channel>``.
    """
    out = {f"public_cost_{y}": _wan(plan.public_cost_yuan[y]) for y in plan.years}
    out |= {f"budget_{y}": _wan(plan.budget_yuan[y]) for y in plan.years}
    out["public_cost_total"] = _wan(plan.public_cost_total_yuan)
    out["shortfall"] = f"{people_number(plan.shortfall_final_slots, '个')}个"
    for y in plan.years:
        share, target = plan.inclusive_share[y] * 100, plan.share_target[y] * 100
        out[f"inclusive_share_{y}"] = f"{people_number(share, '%')}%（目标{people_number(target, '%')}%）"
        out[f"fee_cap_{y}"] = f"{people_number(plan.fee_cap_yuan[y], '元')}元/人·月"
        out[f"fee_{y}"] = f"{people_number(plan.fee_yuan[y], '元')}元/人·月"
    for r in plan.subsidy.itertuples():
        out[f"subsidy_{r.year}_{r.channel}"] = f"{people_number(r.subsidy_per_slot_month_yuan, '元')}元"
    return out


def _difference(before: float, after: float, unit_text: str, fmt: Any) -> str:
    if abs(after - before) < 0.005:
        return f"不变（{fmt(after)}）"
    more = "增加" if after > before else "减少"
    return f"由{fmt(before)}变为{fmt(after)}（{more}{unit_text.format(fmt(abs(after - before)))}）"


def change_sentence(start: Plan, plan: Plan, changes: Sequence[tuple[Control, Any, Any]], start_title: str) -> str:
    """Say in Chinese what was changed against the starting scenario and what that does to the plan.

    ``changes`` holds ``(control, value at the start, value now)`` in parameter units.
    """
    if not changes:
        return f"当前设置与起始情景“{start_title}”相同。"
    said = "，".join(f"{c.label}由{c.said(old)}改为{c.said(new)}" for c, old, new in changes)
    last = max(plan.years)

    def wan(yuan: float) -> str:
        return _wan(yuan)

    def slots(n: float) -> str:
        return f"{people_number(n, '个')}个"

    def pct(s: float) -> str:
        return f"{people_number(s * 100, '%')}%"

    money = _difference(start.public_cost_total_yuan, plan.public_cost_total_yuan, "{}", wan)
    short = _difference(start.shortfall_final_slots, plan.shortfall_final_slots, "{}", slots)
    share = _difference(start.inclusive_share[last], plan.inclusive_share[last], "{}", pct)
    return (
        f"与起始情景“{start_title}”相比：{said}。财政资金合计{money}；{last}年底目标缺口{short}；"
        f"{last}年底普惠托位占比{share}。"
    )
