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
    SHORTFALL_KINDS,
    AllocationResult,
    Note,
    ShadowReading,
    commitment_by_year,
    funding_sources,
    inputs_from_tables,
    slots_missing,
    unit_overlap,
)
from tuoyu_model.allocation import solve as solve_allocation
from tuoyu_model.allocation.marginal import marginal_values
from tuoyu_model.data import load_targets, load_towns
from tuoyu_model.errors import ReportError, pick
from tuoyu_model.parameters import Scenario, load_scenario, parse_set_options

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
        :func:`summary_table`) and ``towns`` (the unit data read, ``data/towns.csv``).
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


def _round(x: float, digits: int = 2) -> float:
    v = round(float(x), digits)
    return 0.0 if v == 0 else v  # no "-0.0" in JSON


def make_summary(
    scenario: Scenario, years: list[int], tables: Mapping[str, pd.DataFrame], solver: Mapping[str, Any]
) -> dict[str, Any]:
    """Compute the headline figures of a run (``summary.json``); money in yuan, shares as fractions."""
    budget, stock, alloc = tables["budget"], tables["stock"], tables["allocation"]
    share, pricing, workforce = tables["inclusive_share"], tables["pricing"], tables["workforce"]
    cost = budget.groupby("year")["amount_yuan"].sum().reindex(years, fill_value=0.0)
    by_item = budget.groupby(["year", "item"])["amount_yuan"].sum()
    src = tables["budget_by_source"].groupby("funding_source")["amount_yuan"].sum()
    new = alloc.groupby("year")["new_slots"].sum().reindex(years, fill_value=0.0)
    new_incl = alloc[alloc.kind == "inclusive"].groupby("year")["new_slots"].sum().reindex(years, fill_value=0.0)
    conv = tables.get("conversions")
    conv_by_year = (
        conv.groupby("year")[_slot_col(conv)].sum().reindex(years, fill_value=0.0)
        if conv is not None and len(conv)
        else pd.Series(0.0, index=years)
    )
    last = max(years)
    # every kind of unmet target, by year: town totals, town inclusive, coverage minimum, share, centre
    short = stock.set_index("year")[
        [c for c in ("shortfall_total", "shortfall_inclusive", "shortfall_coverage") if c in stock.columns]
    ]
    district = tables.get("district")
    if district is not None and len(district):
        extra = district.set_index("year")[[c for c in ("shortfall_share", "shortfall_centre") if c in district]]
        short = pd.concat([short, extra])
    kinds = {str(y): _shortfall_kinds(short[short.index == y]) for y in years}
    caps = pricing.groupby("year")["fee_cap_yuan"].first()
    fees = pricing.groupby("year")["fee_yuan"].first()
    income = pricing.groupby("year")["household_monthly_income_yuan"].first()
    return {
        "scenario": scenario.name,
        "title": scenario.title,
        "years": years,
        "solver": dict(solver),
        "public_cost_yuan": {str(y): _round(cost[y]) for y in years} | {"total": _round(cost.sum())},
        "public_cost_by_item_yuan": {
            str(y): {str(i): _round(v) for (yy, i), v in by_item.items() if yy == y} for y in years
        },
        "public_cost_by_source_yuan": {str(k): _round(v) for k, v in src.items()},
        # Operating subsidies the plan locks in after its last year, to the costing horizon
        # (tables/commitments.csv, all items): money no plan year's budget shows.
        "subsidy_commitment_by_year": {
            str(y): _round(v) for y, v in commitment_by_year(tables.get("commitments")).items()
        },
        "new_slots": {str(y): _round(new[y]) for y in years} | {"total": _round(new.sum())},
        "new_inclusive_slots": {str(y): _round(new_incl[y]) for y in years},
        "converted_slots": {str(y): _round(conv_by_year[y]) for y in years},
        "total_slots": {str(int(r.year)): _round(r.total_slots) for r in share.itertuples()},
        "inclusive_slots": {str(int(r.year)): _round(r.inclusive_slots) for r in share.itertuples()},
        "inclusive_share": {str(int(r.year)): _round(r.inclusive_share, 4) for r in share.itertuples()},
        "inclusive_share_target": {str(int(r.year)): _round(r.target, 4) for r in share.itertuples()},
        # Shortfalls are stocks at each year-end: a slot missing at the end of 2024 and still
        # missing at the end of 2025 is one slot, so years are never added up.
        "shortfall_by_kind_by_year": kinds,
        "shortfall_by_year": {y: k["slots"] for y, k in kinds.items()},
        "shortfall_final_slots": kinds[str(last)]["slots"],
        "household_monthly_income_yuan": {str(y): _round(v) for y, v in income.items()},
        "fee_cap_yuan": {str(y): _round(v) for y, v in caps.items()},
        "inclusive_fee_yuan": {str(y): _round(v) for y, v in fees.items()},
        "caregivers_needed": {
            str(y): int(workforce.loc[workforce.year == y, "caregivers_needed"].sum()) for y in years
        },
        "last_year": last,
    }


SHORTFALL_COLS = ("shortfall_total", "shortfall_inclusive", "shortfall_coverage")  # a unit's, for the overlap


def _shortfall_kinds(short: pd.DataFrame) -> dict[str, float]:
    """One year-end's shortfalls by kind (slots), and ``slots``: the slots missing counted once.

    ``slots`` by the allocation's one rule, :func:`tuoyu_model.allocation.slots_missing` (below:
    the first unit's 2 missing inclusive slots are among its 3 missing slots, so 4 + 5 − 2).

    Examples
    --------
    >>> _shortfall_kinds(pd.DataFrame({"shortfall_total": [3.0, 1.0], "shortfall_inclusive": [2.0, 0.0],
    ...                                "shortfall_share": [float("nan"), 5.0]}))
    {'total': 4.0, 'inclusive': 2.0, 'coverage': 0.0, 'share': 5.0, 'centre': 0.0, 'slots': 7.0}

    """
    out = {
        k: _round(short[f"shortfall_{k}"].fillna(0.0).sum()) if f"shortfall_{k}" in short else 0.0
        for k in SHORTFALL_KINDS
    }
    cols = [short[c].fillna(0.0) if c in short else 0.0 * short.index for c in SHORTFALL_COLS]
    out["slots"] = _round(slots_missing(out, unit_overlap(zip(*cols, strict=True))))
    return out


def _slot_col(conv: pd.DataFrame) -> str:
    for c in ("converted_slots", "slots", "conversions"):
        if c in conv.columns:
            return c
    has = ", ".join(conv.columns)
    raise ReportError(
        f"allocation.solve: 转普惠表（conversions）没有托位数列（现有的列：{has}）；"
        "这是程序错误，请把这一行报告给维护者",
        en=f"allocation.solve: conversions table has no slot column ({has})",
    )


# Headline figures of summary.json that are by year (and total): the rows of :func:`summary_table`.
SUMMARY_METRICS = (
    "public_cost_yuan",
    "new_slots",
    "new_inclusive_slots",
    "converted_slots",
    "total_slots",
    "inclusive_slots",
    "inclusive_share",
    "inclusive_share_target",
    "shortfall_by_year",
    "household_monthly_income_yuan",
    "fee_cap_yuan",
    "inclusive_fee_yuan",
    "caregivers_needed",
)


def summary_table(summary: Mapping[str, Any]) -> pd.DataFrame:
    """Return the by-year headline figures as a tidy table: ``metric, year, value``.

    Values in the summary's units (yuan, slots, fractions); ``year`` is the year as a number,
    ``total`` for totals. Metrics in :data:`SUMMARY_METRICS` order; those missing are left out.

    Examples
    --------
    >>> summary_table({"public_cost_yuan": {"2024": 1.5e6, "total": 1.5e6}}).values.tolist()
    [['public_cost_yuan', 2024, 1500000.0], ['public_cost_yuan', 'total', 1500000.0]]

    """
    rows = []
    for key in SUMMARY_METRICS:
        values = summary.get(key)
        if not isinstance(values, Mapping):
            continue
        for year, v in values.items():
            rows.append({"metric": key, "year": "total" if year == "total" else int(year), "value": float(v)})
    return pd.DataFrame(rows, columns=["metric", "year", "value"])


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
            info[key] = _round(v) if isinstance(v, float) else v
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
