"""One call that runs a scenario through every part of the model: :func:`run_model`.

Glue only: demand (:mod:`tuoyu_model.demand`), costs and pricing (:mod:`tuoyu_model.costs`,
:mod:`tuoyu_model.pricing`), the allocation LP (:mod:`tuoyu_model.allocation`) and workforce
(:mod:`tuoyu_model.workforce`) each compute their part; this module puts their tables under the
names of the output contract (``tables/<name>.csv``), derives the headline figures
(``summary.json``) and writes everything with :func:`write_outputs`. The report notebooks call
these two functions and only show what they return.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from tuoyu_model.allocation import SHORTFALL_KINDS, funding_sources, inputs_from_tables, slots_missing
from tuoyu_model.allocation import solve as solve_allocation
from tuoyu_model.errors import ReportError
from tuoyu_model.outputs import parameters_for_people
from tuoyu_model.parameters import Scenario, load_scenario, parse_set_options
from tuoyu_model.presentation import sentences

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
    "shadow_prices": ["constraint", "town_id", "year", "value_yuan", "meaning"],
}
# Tables written to tables/*.csv: the contract's, then supporting ones.
CSV_TABLES = list(CONTRACT) + ["conversions", "family_costs", "cap_sensitivity", "operating_costs", "capital_costs"]
# Columns of pricing.operating_subsidy_table, all also in pricing.pricing_table.
SUBSIDY_COLUMNS = [
    "year",
    "channel",
    "cost_per_slot_month_yuan",
    "fee_yuan",
    "occupancy",
    "revenue_per_slot_month_yuan",
    "subsidy_per_slot_month_yuan",
    "subsidy_per_slot_year_yuan",
    "break_even_occupancy",
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
        ``operating_costs``, ``capital_costs``, ``district_demand``, ``budget_by_source``,
        ``summary`` (headline figures as a table), ``parameters`` and ``towns`` (the unit data
        read, ``data/towns.csv``).
    summary : dict
        The headline figures written to ``summary.json``.
    timings : dict of str to float
        Seconds spent in each part (not written to the reproducible files).

    """

    scenario: Scenario
    years: list[int]
    tables: dict[str, pd.DataFrame]
    summary: dict[str, Any]
    timings: dict[str, float] = field(default_factory=dict)

    def __getitem__(self, name: str) -> pd.DataFrame:
        try:
            return self.tables[name]
        except KeyError:
            raise KeyError(f"no table '{name}'; tables: {', '.join(self.tables)}") from None


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
        raise ReportError(f"{PRODUCER.get(name, name)} returned {type(df).__name__} for '{name}', expected a DataFrame")
    cols = CONTRACT[name]
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise ReportError(
            f"{PRODUCER.get(name, name)}: table '{name}' lacks column '{missing[0]}' of the output "
            f"contract ({', '.join(cols)}); it has {', '.join(map(str, df.columns))}"
        )
    return df[cols + [c for c in df.columns if c not in cols]].reset_index(drop=True)


def workforce_stock(
    allocation: pd.DataFrame, towns: pd.DataFrame, years: list[int], existing_channel: str
) -> pd.DataFrame:
    """Slots in service by unit, year-end and channel, for :func:`workforce.workforce_table`.

    Existing (end-2023) slots and converted ones are counted under ``existing_channel`` (the
    ``existing_slots_channel`` parameter); new slots are cumulated over the years by channel.
    Conversions only relabel existing slots, so they do not add staff.

    Examples
    --------
    >>> alloc = pd.DataFrame({"town_id": ["a", "a"], "town": ["甲", "甲"], "year": [2024, 2025],
    ...                       "channel": ["kindergarten"] * 2, "kind": ["inclusive"] * 2, "new_slots": [20.0, 20.0]})
    >>> towns = pd.DataFrame({"town": ["甲"], "existing_slots_2023": [50]}, index=pd.Index(["a"], name="town_id"))
    >>> workforce_stock(alloc, towns, [2024, 2025], "social").to_dict("records")[-2:]
    [{'town_id': 'a', 'town': '甲', 'year': 2025, 'channel': 'kindergarten', 'slots': 40.0}, \
{'town_id': 'a', 'town': '甲', 'year': 2025, 'channel': 'social', 'slots': 50.0}]

    """
    rows = []
    new = allocation.groupby(["town_id", "channel", "year"])["new_slots"].sum()
    for town_id, town in towns.iterrows():
        for year in years:
            cum: dict[str, float] = {}
            for (tid, ch, y), v in new.items():
                if tid == town_id and y <= year:
                    cum[ch] = cum.get(ch, 0.0) + float(v)
            cum[existing_channel] = cum.get(existing_channel, 0.0) + float(town["existing_slots_2023"])
            for ch in sorted(cum):
                rows.append({"town_id": town_id, "town": town["town"], "year": year, "channel": ch, "slots": cum[ch]})
    return pd.DataFrame(rows, columns=["town_id", "town", "year", "channel", "slots"])


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


def inclusive_share_table(
    stock: pd.DataFrame, params: Mapping, years: list[int], district: pd.DataFrame | None = None
) -> pd.DataFrame:
    """District inclusive share by year-end against the plan's target.

    Returns
    -------
    pandas.DataFrame
        ``year, total_slots, inclusive_slots, inclusive_share, target``.

    Examples
    --------
    >>> stock = pd.DataFrame({"year": [2024, 2024], "total_slots": [100.0, 100.0], "inclusive_slots": [20.0, 40.0]})
    >>> inclusive_share_table(stock, {"inclusive_share_target": {2024: 0.3}}, [2024]).values.tolist()
    [[2024.0, 200.0, 60.0, 0.3, 0.3]]

    """
    by_year = stock.groupby("year")[["total_slots", "inclusive_slots"]].sum().reindex(years)
    target = params["inclusive_share_target"]
    out = by_year.reset_index()
    out["inclusive_share"] = [
        i / t if t > 0 else 0.0 for i, t in zip(out.inclusive_slots, out.total_slots, strict=True)
    ]
    out["target"] = [
        float(target[y]) if isinstance(target, Mapping) and y in target else float("nan") for y in out.year
    ]
    if district is not None and "shortfall_share" in district.columns:
        out["shortfall_share"] = district.set_index("year")["shortfall_share"].reindex(years).fillna(0.0).to_numpy()
    return out


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


def _shortfall_kinds(short: pd.DataFrame) -> dict[str, float]:
    """One year-end's shortfalls by kind (slots), and ``slots``: the slots missing counted once.

    ``slots`` by the allocation's one rule, :func:`tuoyu_model.allocation.slots_missing`.

    Examples
    --------
    >>> _shortfall_kinds(pd.DataFrame({"shortfall_total": [3.0, 1.0], "shortfall_inclusive": [2.0, 0.0],
    ...                                "shortfall_share": [float("nan"), 5.0]}))
    {'total': 4.0, 'inclusive': 2.0, 'coverage': 0.0, 'share': 5.0, 'centre': 0.0, 'slots': 9.0}

    """
    out = {
        k: _round(short[f"shortfall_{k}"].fillna(0.0).sum()) if f"shortfall_{k}" in short else 0.0
        for k in SHORTFALL_KINDS
    }
    out["slots"] = _round(slots_missing(out))
    return out


def _slot_col(conv: pd.DataFrame) -> str:
    for c in ("converted_slots", "slots", "conversions"):
        if c in conv.columns:
            return c
    raise ReportError(f"allocation.solve: conversions table has no slot column ({', '.join(conv.columns)})")


SUMMARY_ROWS = [  # (summary key, Chinese label, unit, scale)
    ("public_cost_yuan", "财政资金需求", "万元", 1e-4),
    ("new_slots", "新增托位", "个", 1.0),
    ("new_inclusive_slots", "其中：新增普惠托位", "个", 1.0),
    ("converted_slots", "存量转普惠托位", "个", 1.0),
    ("total_slots", "年底托位总数", "个", 1.0),
    ("inclusive_slots", "年底普惠托位", "个", 1.0),
    ("inclusive_share", "普惠托位占比", "%", 100.0),
    ("inclusive_share_target", "普惠托位占比目标", "%", 100.0),
    ("shortfall_by_year", "年底未完成目标的托位缺口", "个", 1.0),
    ("household_monthly_income_yuan", "家庭月可支配收入（上年）", "元/月", 1.0),
    ("fee_cap_yuan", "收费上限", "元/人·月", 1.0),
    ("inclusive_fee_yuan", "普惠收费", "元/人·月", 1.0),
    ("caregivers_needed", "所需保育人员", "人", 1.0),
]


def summary_table(summary: Mapping[str, Any]) -> pd.DataFrame:
    """Return the headline figures as a table for people: ``label_zh, year, value, unit_zh``.

    Money in 万元, shares in percent; ``year`` is the year as a number, ``合计`` for totals.
    The solver status and the allocation's notes are not rows of the table (see
    :func:`summary_notes`).

    Examples
    --------
    >>> summary_table({"public_cost_yuan": {"2024": 1.5e6, "total": 1.5e6}}).values.tolist()
    [['财政资金需求', 2024, 150.0, '万元'], ['财政资金需求', '合计', 150.0, '万元']]

    """
    rows = []
    for key, label, unit, scale in SUMMARY_ROWS:
        values = summary.get(key)
        if not isinstance(values, Mapping):
            continue
        for year, v in values.items():
            rows.append(
                {
                    "label_zh": label,
                    "year": "合计" if year == "total" else int(year),
                    "value": round(float(v) * scale, 4),
                    "unit_zh": unit,
                }
            )
    return pd.DataFrame(rows, columns=["label_zh", "year", "value", "unit_zh"])


def summary_notes(summary: Mapping[str, Any]) -> list[str]:
    """Lines under the headline figures: the solver status, then the allocation's notes in Chinese.

    Examples
    --------
    >>> summary_notes({"solver": {"status": "Optimal", "name": "highs"}, "notes": ["中心未建成 / centre not built"]})
    ['求解状态：最优解（求解器 HiGHS）', '说明：中心未建成']

    """
    from tuoyu_model.outputs import solver_zh

    solver = summary.get("solver", {})
    lines = [f"求解状态：{solver_zh(solver)}"] if solver else []
    return lines + [f"说明：{str(n).split(' / ')[0]}" for n in summary.get("notes", [])]


def _timed(timings: dict[str, float], key: str, fn: Any, *args: Any) -> Any:
    t0 = time.perf_counter()
    out = fn(*args)
    timings[key] = timings.get(key, 0.0) + time.perf_counter() - t0
    return out


def _solver_info(result: Any) -> dict[str, Any]:
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
    from tuoyu_model.data import load_targets, load_towns

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

    from tuoyu_model import costs, demand, pricing, workforce

    tables: dict[str, pd.DataFrame] = {}
    tables["demand"] = _contract(_timed(timings, "demand", demand.demand_table, params, towns, targets), "demand")
    tables["district_demand"] = demand.district_demand(tables["demand"])
    tables["capital_costs"] = _timed(timings, "costs", costs.capital_costs, params).reset_index()
    tables["operating_costs"] = _timed(timings, "costs", costs.operating_costs, params).reset_index()
    tables["pricing"] = _contract(_timed(timings, "pricing", pricing.pricing_table, params, years), "pricing")
    # pricing_table already holds operating_subsidy_table's columns: no second computation
    tables["subsidy"] = tables["pricing"][SUBSIDY_COLUMNS].copy()
    tables["family_costs"] = pd.concat(
        [pricing.family_costs(params, y).reset_index().assign(year=y) for y in years], ignore_index=True
    )
    tables["cap_sensitivity"] = pd.concat(
        [pricing.cap_sensitivity(params, y).assign(year=y) for y in years], ignore_index=True
    )

    t1 = time.perf_counter()
    inputs = inputs_from_tables(params, targets, towns, tables["capital_costs"], tables["pricing"])
    result = solve_allocation(inputs)  # silences HiGHS' native banner itself
    timings["allocation"] = time.perf_counter() - t1
    # Words for the numbers (to move to the writers): shadow-price sentences, budget item names.
    shadow = sentences.shadow_price_sentences(result.shadow_prices, result.shadow_reading)
    worded = {
        "shadow_prices": shadow,
        "binding": shadow[shadow.binding],
        "budget": sentences.budget_item_labels(result.budget),
    }
    for name in ("allocation", "stock", "budget", "shadow_prices"):
        tables[name] = _contract(worded.get(name, getattr(result, name, None)), name)
    for name in ("conversions", "binding", "district", "budget_limits"):
        df = worded.get(name, getattr(result, name, None))
        tables[name] = df.reset_index(drop=True) if isinstance(df, pd.DataFrame) else pd.DataFrame()
    tables["budget_by_source"] = budget_by_source(tables["budget"])

    stock = workforce_stock(tables["allocation"], towns, years, str(params["existing_slots_channel"]))
    tables["workforce"] = _contract(_timed(timings, "workforce", workforce.workforce_table, params, stock), "workforce")
    tables["inclusive_share"] = inclusive_share_table(tables["stock"], params, years, tables["district"])
    summary = make_summary(scenario, years, tables, _solver_info(result))
    summary["notes"] = [sentences.note_text(n) for n in result.notes]
    tables["summary"] = summary_table(summary)
    tables["parameters"] = parameters_for_people(params)  # values as people read them (参数 sheet, report)
    tables["towns"] = towns.reset_index()  # the unit data this run used (for the report's notes)
    timings["total"] = time.perf_counter() - t0
    return Results(scenario, years, tables, summary, timings)


def _scratch_folder(prefix: str) -> Path:
    """Make a temporary folder for a notebook run on its own, removed when the Python process exits.

    The report shows its figures until the last cell, so it cannot be removed any earlier.
    """
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


def write_outputs(results: Results, folder: str | Path | None = None, tables: bool = True) -> dict[str, Path]:
    """Write a run's files: ``tables/*.csv``, ``results.xlsx``, ``figures/*.png``, ``summary.json``.

    Parameters
    ----------
    results : Results
        From :func:`run_model`.
    folder : path, optional
        The run's output folder. Without one (a notebook executed on its own), only the figures
        are drawn, into a temporary folder, so the report can show them.
    tables : bool, default True
        Also write the tables, the workbook and the JSON (ignored without ``folder``).

    Returns
    -------
    dict of str to Path
        ``figure:<name>`` for each chart, and ``results.xlsx``, ``summary.json``,
        ``tables/<name>.csv`` when written.

    """
    from tuoyu_model.figures import save_figure, scenario_figures
    from tuoyu_model.outputs import write_csv, write_json, write_workbook

    if folder is None or str(folder) == "":
        folder, tables = _scratch_folder("tuoyu-report-"), False
    folder = Path(folder)
    written: dict[str, Path] = {}
    t = results.tables
    for name, fig in scenario_figures(t, results.years).items():
        written[f"figure:{name}"] = save_figure(fig, folder / "figures" / f"{name}.png")
    if tables:
        for name in CSV_TABLES:
            if name in t and isinstance(t[name], pd.DataFrame):
                written[f"tables/{name}.csv"] = write_csv(t[name], folder / "tables" / f"{name}.csv")
        sheets = dict(t)
        sheets["budget"] = t["budget"].drop(columns=["item_zh"], errors="ignore")
        written["results.xlsx"] = write_workbook(
            sheets, folder / "results.xlsx", results.scenario.title, notes={"summary": summary_notes(results.summary)}
        )
        written["summary.json"] = write_json(results.summary, folder / "summary.json")
    return written


def write_comparison(runs: list[Results], folder: str | Path | None = None) -> dict[str, Path]:
    """Write a comparison of scenarios: ``tables/comparison.csv``, ``comparison.xlsx``, figures.

    Without ``folder`` only the figure is drawn, into a temporary folder.

    Returns
    -------
    dict of str to Path
        ``figure:differences`` and, with ``folder``, the table and workbook paths.

    """
    from tuoyu_model.figures import plot_differences, save_figure
    from tuoyu_model.outputs import Sheet, write_csv, write_json, write_sheets
    from tuoyu_model.report import (
        compare_table,
        compare_table_for_people,
        difference_table,
        difference_table_for_people,
        same_metrics,
    )

    write_tables = folder is not None and str(folder) != ""
    folder = Path(folder) if write_tables else _scratch_folder("tuoyu-compare-")
    summaries = [r.summary for r in runs]
    table = compare_table(summaries)
    diff = difference_table(table)
    # figures the scenarios share get a sentence in the report, not a chart with a meaningless axis
    shown = diff[~diff["label_zh"].isin(same_metrics(diff))]
    labels = difference_table_for_people(shown, summaries)["情景"]
    written = {
        "figure:differences": save_figure(
            plot_differences(shown.assign(scenario=labels.to_numpy())), folder / "figures" / "differences.png"
        )
    }
    if write_tables:
        written["tables/comparison.csv"] = write_csv(table, folder / "tables" / "comparison.csv")
        written["tables/differences.csv"] = write_csv(diff, folder / "tables" / "differences.csv")
        people, people_diff = compare_table_for_people(table, summaries), difference_table_for_people(diff, summaries)
        sheets = [
            Sheet("情景比较", people, ("text", "text") + ("float2",) * (people.shape[1] - 2)),
            Sheet("与第一个情景之差", people_diff, ("text",) * 3 + ("float2",)),
        ]
        written["comparison.xlsx"] = write_sheets(sheets, folder / "comparison.xlsx", "情景比较")
        written["summary.json"] = write_json({r.scenario.name: r.summary for r in runs}, folder / "summary.json")
    return written
