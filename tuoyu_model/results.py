"""A scenario run as numbers: :func:`run_model`, its :class:`Results` and the headline summary.

Glue and derived figures only: demand (:mod:`tuoyu_model.demand`), costs and pricing
(:mod:`tuoyu_model.costs`, :mod:`tuoyu_model.pricing`), the allocation LP
(:mod:`tuoyu_model.allocation`) and workforce (:mod:`tuoyu_model.workforce`) each compute their
part; this module puts their tables under the names of the output contract
(``tables/<name>.csv``) and derives the headline figures (``summary.json``). Numbers only: the
Chinese words are the presentation's (:mod:`tuoyu_model.presentation`), the files the writers'
(:mod:`tuoyu_model.writers`).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from tuoyu_model import costs, demand, family, pricing, workforce
from tuoyu_model.allocation import (
    AllocationResult,
    Note,
    ShadowReading,
    funding_sources,
    inputs_from_tables,
)
from tuoyu_model.allocation import solve as solve_allocation
from tuoyu_model.allocation.marginal import marginal_values
from tuoyu_model.data import load_targets, load_towns
from tuoyu_model.errors import ReportError, pick
from tuoyu_model.parameters import Scenario, load_scenario, parse_set_options
from tuoyu_model.summary import make_summary, rounded, summary_table

# Columns of the output contract (docs/design.md); extra columns follow them.
CONTRACT: dict[str, list[str]] = {
    "allocation": ["town_id", "town", "year", "channel", "kind", "new_slots"],
    "stock": [
        "town_id",
        "town",
        "year",
        "total_slots",
        "inclusive_slots",
        "target_total",
        "target_inclusive",
        "shortfall_total",
        "shortfall_inclusive",
    ],
    "budget": ["year", "item", "amount_yuan"],
    "pricing": [
        "year",
        "household_monthly_income_yuan",
        "fee_cap_yuan",
        "fee_yuan",
        "cost_per_slot_month_yuan",
        "subsidy_per_slot_month_yuan",
    ],
    "demand": ["town_id", "town", "year", "children_under3", "slots_demanded", "slots_per_1000"],
    "workforce": ["town_id", "town", "year", "caregivers_needed", "health_staff_needed", "certified_target"],
    "shadow_prices": ["constraint", "town_id", "year", "value_yuan"],  # + meaning, worded by presentation
}


# Tables written to tables/*.csv: the contract's, then supporting ones.
CSV_TABLES = list(CONTRACT) + [
    "budget_by_town",
    "commitments",
    "marginal_values",
    "conversions",
    "family_costs",
    "cap_sensitivity",
    "operating_costs",
    "capital_costs",
]


# Where each contract table comes from, for error messages.
PRODUCER = {
    "allocation": "allocation.solve",
    "stock": "allocation.solve",
    "budget": "allocation.solve",
    "shadow_prices": "allocation.solve",
    "pricing": "pricing.pricing_table",
    "demand": "demand.demand_table",
    "workforce": "workforce.workforce_table",
}


@dataclass
class Results:
    """Everything a scenario run produces.

    Attributes
    ----------
    scenario : Scenario
        The resolved scenario (title, description, ``not_modelled``, parameters).
    years : list of int
        The planning years.
    tables : dict of str to DataFrame
        Tidy tables named after the contract files (``allocation``, ``stock``, ``budget``,
        ``pricing``, ``demand``, ``workforce``, ``shadow_prices``) plus ``conversions``,
        ``binding``, ``inclusive_share``, ``subsidy``, ``family_costs``, ``cap_sensitivity``,
        ``operating_costs``, ``capital_costs``, ``district_demand``, ``district``,
        ``budget_limits``, ``budget_by_source``, ``summary`` (the by-year headline figures,
        :func:`tuoyu_model.summary.summary_table`) and ``towns`` (the unit data read, ``data/towns.csv``).
    summary : dict
        The headline figures written to ``summary.json``.
    timings : dict of str to float
        Seconds spent in each part (not written to the reproducible files).
    notes : list of Note
        The allocation's findings as codes and numbers (:class:`tuoyu_model.allocation.Note`);
        :func:`tuoyu_model.presentation.sentences.worded` turns them into ``summary["notes"]``.
    shadow_reading : ShadowReading, optional
        What the shadow prices are read against (objective unit, penalty reference), for wording them.

    Numbers only: the tables hold codes and numbers, no sentences; everything people read is
    added by :func:`tuoyu_model.presentation.sentences.worded`, which the writers and the
    report notebooks call.

    """

    scenario: Scenario
    years: list[int]
    tables: dict[str, pd.DataFrame]
    summary: dict[str, Any]
    timings: dict[str, float] = field(default_factory=dict)
    notes: list[Note] = field(default_factory=list)
    shadow_reading: ShadowReading | None = None

    def __getitem__(self, name: str) -> pd.DataFrame:
        try:
            return self.tables[name]
        except KeyError:
            known = ", ".join(self.tables)
            raise KeyError(pick(f"没有表 '{name}'；现有的表：{known}", f"no table '{name}'; tables: {known}")) from None


def plan_years(params: Mapping) -> list[int]:
    """Return the planning years from ``plan_years`` ({first, last}).

    Examples
    --------
    >>> plan_years({"plan_years": {"first": 2024, "last": 2025}})
    [2024, 2025]

    """
    span = params["plan_years"]
    return list(range(int(span["first"]), int(span["last"]) + 1))


def _contract(df: Any, name: str) -> pd.DataFrame:
    """Check a producer's table has the contract columns; put them first."""
    if not isinstance(df, pd.DataFrame):
        producer, got = PRODUCER.get(name, name), type(df).__name__
        raise ReportError(
            f"{producer} 为表 '{name}' 返回了 {got}，应为 DataFrame；这是程序错误，请把这一行报告给维护者",
            en=f"{producer} returned {got} for '{name}', expected a DataFrame",
        )
    cols = CONTRACT[name]
    missing = [c for c in cols if c not in df.columns]
    if missing:
        producer, wanted, has = PRODUCER.get(name, name), ", ".join(cols), ", ".join(map(str, df.columns))
        raise ReportError(
            f"{producer}: 表 '{name}' 缺少输出约定（{wanted}）中的列 '{missing[0]}'，现有的列：{has}；"
            "这是程序错误，请把这一行报告给维护者",
            en=f"{producer}: table '{name}' lacks column '{missing[0]}' of the output contract ({wanted}); "
            f"it has {has}",
        )
    return df[cols + [c for c in df.columns if c not in cols]].reset_index(drop=True)


def budget_by_source(budget: pd.DataFrame) -> pd.DataFrame:
    """Public money by year, item and funding source (city 市级 / district 区级).

    The allocation's own split (``city_yuan``/``district_yuan``, :func:`tuoyu_model.allocation.funding_sources`),
    never a second one.

    Returns
    -------
    pandas.DataFrame
        ``year, item, funding_source, amount_yuan``.

    """
    return funding_sources(budget)


def budget_by_town(by_unit: pd.DataFrame, towns: pd.DataFrame) -> pd.DataFrame:
    """Public money by unit, year and item (``tables/budget_by_town.csv``), units in ``towns.csv`` order.

    The allocation's :func:`tuoyu_model.allocation.read.money_by_unit`: for every year and item
    the units add up to ``budget.csv`` to the cent.

    Returns
    -------
    pandas.DataFrame
        ``town_id, town, year, item, amount_yuan`` (the item's Chinese name is added by
        :func:`tuoyu_model.presentation.sentences.worded`).

    """
    order = {t: n for n, t in enumerate(towns.index)}
    out = by_unit.assign(_order=by_unit["town_id"].map(order)).sort_values(["year", "_order"], kind="stable")
    out = out.drop(columns="_order")
    out.insert(1, "town", out["town_id"].map(towns["town"]))
    return out.reset_index(drop=True)


def inclusive_share_table(district: pd.DataFrame, years: list[int]) -> pd.DataFrame:
    """District inclusive share by year-end against the plan's target, read from the allocation.

    The allocation's ``district`` table (:class:`tuoyu_model.allocation.AllocationResult`)
    already holds the district's slots, share, target and share shortfall; this only puts them
    under the report's names. A target of 0 (no share row that year) becomes NaN: no target.

    Returns
    -------
    pandas.DataFrame
        ``year, total_slots, inclusive_slots, inclusive_share, target, shortfall_share``.

    Examples
    --------
    >>> district = pd.DataFrame({"year": [2024, 2025], "total_slots": [200.0, 400.0],
    ...                          "inclusive_slots": [60.0, 0.0], "inclusive_share": [0.3, 0.0],
    ...                          "share_target": [0.3, 0.0], "shortfall_share": [0.0, 0.0]})
    >>> inclusive_share_table(district, [2024, 2025]).values.tolist()
    [[2024.0, 200.0, 60.0, 0.3, 0.3, 0.0], [2025.0, 400.0, 0.0, 0.0, nan, 0.0]]

    """
    d = district.set_index("year").reindex(years)
    target = d["share_target"]
    return pd.DataFrame(
        {
            "year": years,
            "total_slots": d["total_slots"].to_numpy(),
            "inclusive_slots": d["inclusive_slots"].to_numpy(),
            "inclusive_share": d["inclusive_share"].fillna(0.0).to_numpy(),
            "target": target.where(target > 0).to_numpy(),
            "shortfall_share": d["shortfall_share"].fillna(0.0).to_numpy(),
        }
    )


def _timed(timings: dict[str, float], key: str, fn: Any, *args: Any) -> Any:
    t0 = time.perf_counter()
    out = fn(*args)
    timings[key] = timings.get(key, 0.0) + time.perf_counter() - t0
    return out


def _solver_info(result: AllocationResult) -> dict[str, Any]:
    info = {}
    for key, attr in (
        ("status", "status"),
        ("objective_value", "objective_value"),
        ("name", "solver"),
        ("version", "solver_version"),
        ("integer_classes", "integer_classes"),
        ("rounding_cost_yuan", "rounding_cost_yuan"),
        ("rounding_shortfall_slots", "rounding_shortfall_slots"),
        ("whole_slots", "whole_slots"),
        ("degenerate", "degenerate"),
        ("centre_unit", "centre_unit"),
    ):
        v = getattr(result, attr, None)
        if v is not None and not callable(v) and (isinstance(v, str | int | float | bool)):
            info[key] = rounded(v) if isinstance(v, float) else v
    return info


def run_model(
    scenario: str | Scenario = "baseline", set_options: list[str] | Mapping[str, Any] | None = None
) -> Results:
    """Run a scenario through demand, costs, pricing, allocation and workforce.

    Parameters
    ----------
    scenario : str or Scenario, default "baseline"
        A shipped scenario name, a path to a scenario YAML, or a loaded :class:`Scenario`.
    set_options : list of str or mapping, optional
        ``--set`` overrides (``["household_size=3"]`` or ``{"household_size": 3}``); ignored
        when ``scenario`` is already a :class:`Scenario`.

    Returns
    -------
    Results
        Tables under the contract's names and the headline ``summary``.

    Raises
    ------
    ScenarioError, DataError
        A bad scenario or data file.
    SolverError
        The allocation LP was not solved to optimality.
    ReportError
        A part of the model is missing or returned a table without the contract's columns.

    """
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    if not isinstance(scenario, Scenario):
        overrides = set_options if isinstance(set_options, Mapping) else parse_set_options(list(set_options or []))
        scenario = load_scenario(scenario, overrides)
    params = scenario.parameters
    targets = load_targets()
    towns = load_towns(targets=targets)
    years = plan_years(params)
    timings["load"] = time.perf_counter() - t0

    tables: dict[str, pd.DataFrame] = {}
    tables["demand"] = _contract(_timed(timings, "demand", demand.demand_table, params, towns, targets), "demand")
    tables["district_demand"] = demand.district_demand(tables["demand"])
    tables["capital_costs"] = _timed(timings, "costs", costs.capital_costs, params).reset_index()
    tables["operating_costs"] = _timed(timings, "costs", costs.operating_costs, params).reset_index()
    tables["pricing"] = _contract(_timed(timings, "pricing", pricing.pricing_table, params, years), "pricing")
    # pricing_table already holds operating_subsidy_table's columns: no second computation
    tables["subsidy"] = tables["pricing"][pricing.SUBSIDY_COLUMNS].copy()
    tables["family_costs"] = pd.concat(
        [family.family_costs(params, y).reset_index().assign(year=y) for y in years], ignore_index=True
    )
    tables["cap_sensitivity"] = pd.concat(
        [family.cap_sensitivity(params, y).assign(year=y) for y in years], ignore_index=True
    )

    t1 = time.perf_counter()
    inputs = inputs_from_tables(params, targets, towns, tables["capital_costs"], tables["pricing"])
    result = solve_allocation(inputs)  # silences HiGHS' native banner itself
    timings["allocation"] = time.perf_counter() - t1
    for name in ("allocation", "stock", "budget", "shadow_prices"):
        tables[name] = _contract(getattr(result, name, None), name)
    for name in ("conversions", "binding", "district", "budget_limits"):
        df = getattr(result, name, None)
        tables[name] = df.reset_index(drop=True) if isinstance(df, pd.DataFrame) else pd.DataFrame()
    tables["budget_by_source"] = budget_by_source(tables["budget"])
    tables["budget_by_town"] = budget_by_town(result.budget_by_unit, towns)
    tables["commitments"] = result.commitments.reset_index(drop=True)
    # The bureau's finite questions, answered by re-solving the plan's own model (not rebuilding it).
    steps = params["marginal_value_steps"]
    tables["marginal_values"] = _timed(timings, "marginal_values", marginal_values, result, steps)

    stock = workforce.workforce_stock(tables["allocation"], towns, years, str(params["existing_slots_channel"]))
    tables["workforce"] = _contract(_timed(timings, "workforce", workforce.workforce_table, params, stock), "workforce")
    tables["inclusive_share"] = inclusive_share_table(tables["district"], years)
    summary = make_summary(scenario, years, tables, _solver_info(result))
    tables["summary"] = summary_table(summary)
    tables["towns"] = towns.reset_index()  # the unit data this run used (for the report's notes)
    timings["total"] = time.perf_counter() - t0
    return Results(
        scenario, years, tables, summary, timings, notes=list(result.notes), shadow_reading=result.shadow_reading
    )
