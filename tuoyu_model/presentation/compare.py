"""The comparison of scenarios: figures by year and by unit side by side, differences judged by meaning.

Numbers from each run's summary (:func:`tuoyu_model.summary.make_summary`) and, per unit, its
``stock`` and ``budget_by_town`` tables; the labels people read are the scenarios' titles. Each
figure says which way is better (:data:`COMPARE_METRICS`: more public money, more shortfall and
a lower inclusive share are worse, whatever the sign of the difference), so a difference is
coloured as ``worse`` (red) or ``better`` (green). Used by the compare notebook and
:func:`tuoyu_model.writers.write_comparison`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pandas as pd

from tuoyu_model.presentation.vocabulary import DISTRICT_TOTAL_ZH, SUMMARY_UNIT_FORMATS, TOTAL_ZH, WAN
from tuoyu_model.results import Results

HIGHER, LOWER, NEITHER = 1, -1, 0  # which way a figure is better


def _by_year(key: str) -> Callable[[Mapping[str, Any], str], float]:
    """Read ``summary[key][year]``; ``"total"`` is the summary's total, or the years' sum without one."""

    def value(s: Mapping[str, Any], year: str) -> float:
        by = s.get(key, {})
        if year == "total":
            return float(by["total"]) if "total" in by else float(sum(by.get(str(y), 0.0) for y in s["years"]))
        return float(by.get(year, 0.0))

    return value


# (label, unit, value of a summary in a year or "total", scale, better, with a 合计 row)
COMPARE_METRICS: list[tuple[str, str, Callable[[Mapping[str, Any], str], float], float, int, bool]] = [
    ("财政资金需求", "万元", _by_year("public_cost_yuan"), 1 / WAN, LOWER, True),
    ("新增托位", "个", _by_year("new_slots"), 1.0, NEITHER, True),
    ("存量转普惠托位", "个", _by_year("converted_slots"), 1.0, NEITHER, True),
    ("年底托位总数", "个", _by_year("total_slots"), 1.0, HIGHER, False),
    ("年底普惠托位占比", "%", _by_year("inclusive_share"), 100.0, HIGHER, False),
    ("年底托位缺口", "个", _by_year("shortfall_by_year"), 1.0, LOWER, False),
    ("收费上限", "元/人·月", _by_year("fee_cap_yuan"), 1.0, NEITHER, False),
    ("所需保育人员", "人", _by_year("caregivers_needed"), 1.0, NEITHER, False),
]

# Per unit at the last year-end (stock columns) and over the plan (public money): (column, label, unit, better)
UNIT_METRICS: list[tuple[str, str, str, int]] = [
    ("total_slots", "年底托位总数", "个", HIGHER),
    ("inclusive_slots", "年底普惠托位", "个", HIGHER),
    ("shortfall_total", "年底托位缺口", "个", LOWER),
    ("shortfall_inclusive", "年底普惠托位缺口", "个", LOWER),
    ("money", "财政资金合计", "万元", LOWER),
]

SAME_TOLERANCE = 0.005  # a difference below this (in the metric's unit) is shown as 0.0: "the same"
FIXED = ("label_zh", "unit_zh", "year", "better")  # compare_table's columns before the scenarios'


def compare_table(summaries: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """Figures side by side by year: one row per metric and year (合计 last where amounts add up).

    Columns: ``label_zh, unit_zh, year, better`` (1 higher is better, -1 lower, 0 neither), then
    one per scenario name. Years are the first scenario's.
    """
    years = [str(y) for y in summaries[0]["years"]]
    rows = []
    for label, unit, fn, scale, better, total in COMPARE_METRICS:
        for year in years + (["total"] if total else []):
            row: dict[str, Any] = {
                "label_zh": label,
                "unit_zh": unit,
                "year": TOTAL_ZH if year == "total" else int(year),
                "better": better,
            }
            for s in summaries:
                row[s["scenario"]] = fn(s, year) * scale
            rows.append(row)
    return pd.DataFrame(rows)


def unit_compare_table(runs: Sequence[Results]) -> pd.DataFrame:
    """Figures side by side by unit: the last year-end's slots and shortfalls and the plan's public money.

    Columns: ``town_id, town, label_zh, unit_zh, better``, then one per scenario name; one row per
    unit and metric, 全区合计 last. Units are the first scenario's.
    """
    year = max(runs[0].years)

    def figures(r: Results) -> pd.DataFrame:
        s = r["stock"]
        s = s[s.year == year].set_index("town_id")
        money = r["budget_by_town"].groupby("town_id")["amount_yuan"].sum() / WAN
        return s.assign(money=money.reindex(s.index).fillna(0.0))

    first = figures(runs[0])
    each = [figures(r).reindex(first.index) for r in runs]
    rows = []
    for town_id, town in list(first["town"].items()) + [("district", DISTRICT_TOTAL_ZH)]:
        for col, label, unit, better in UNIT_METRICS:
            row: dict[str, Any] = {
                "town_id": town_id,
                "town": town,
                "label_zh": label,
                "unit_zh": unit,
                "better": better,
            }
            for r, f in zip(runs, each, strict=True):
                row[r.scenario.name] = float(f[col].sum() if town_id == "district" else f.at[town_id, col])
            rows.append(row)
    return pd.DataFrame(rows)


def verdict(difference: float, better: int) -> str:
    """Judge a difference by what it means: ``worse``, ``better`` or ``''`` (the same, or neither way is better).

    Examples
    --------
    >>> verdict(120.0, LOWER), verdict(-2.5, HIGHER), verdict(3.0, HIGHER), verdict(5.0, NEITHER), verdict(0.001, LOWER)
    ('worse', 'worse', 'better', '', '')

    """
    if better == NEITHER or abs(difference) < SAME_TOLERANCE:
        return ""
    return "better" if difference * better > 0 else "worse"


def scenario_names(table: pd.DataFrame) -> list[str]:
    """Return the scenario columns of :func:`compare_table` or :func:`unit_compare_table`."""
    return [c for c in table.columns if c not in (*FIXED, "town_id", "town")]


def difference_table(table: pd.DataFrame) -> pd.DataFrame:
    """Each scenario's difference from the first, tidy: ``label_zh, unit_zh, year, scenario, difference, verdict``."""
    names = scenario_names(table)
    rows = []
    for _, r in table.iterrows():
        d = r.to_dict()
        for n in names[1:]:
            diff = d[n] - d[names[0]]
            rows.append(
                {
                    "label_zh": d["label_zh"],
                    "unit_zh": d["unit_zh"],
                    "year": d.get("year", ""),
                    "scenario": n,
                    "difference": diff,
                    "verdict": verdict(diff, int(d.get("better", NEITHER))),
                }
            )
    return pd.DataFrame(rows, columns=["label_zh", "unit_zh", "year", "scenario", "difference", "verdict"])


def headline_differences(diff: pd.DataFrame) -> pd.DataFrame:
    """Return the row of each figure the chart shows: its 合计, or its last year."""
    return diff.groupby(["label_zh", "scenario"], sort=False).tail(1).reset_index(drop=True)


def scenario_label(summary: Mapping[str, Any]) -> str:
    """Return a scenario's column header for people: the short Chinese title (its id only without a title).

    Examples
    --------
    >>> scenario_label({"scenario": "budget_cut_20", "title": "预算压减20%：基准目标下各年度财政资金只有需求的80%"})
    '预算压减20%'
    >>> scenario_label({"scenario": "x"})
    'x'

    """
    short = str(summary.get("title", "")).split("：")[0].strip()
    return short or str(summary["scenario"])


def scenario_labels(summaries: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """Return ``{scenario id: label}``; two scenarios with the same short title get their ids in brackets.

    Examples
    --------
    >>> scenario_labels([{"scenario": "a", "title": "试算"}, {"scenario": "b", "title": "试算：另一种"}])
    {'a': '试算（a）', 'b': '试算（b）'}

    """
    short = [scenario_label(s) for s in summaries]
    return {
        s["scenario"]: (f"{lab}（{s['scenario']}）" if short.count(lab) > 1 else lab)
        for s, lab in zip(summaries, short, strict=True)
    }


def scenario_line(summary: Mapping[str, Any]) -> str:
    """Return a scenario's line in the compare report: its short title, then what its title says after the colon.

    Examples
    --------
    >>> scenario_line({"scenario": "baseline", "title": "基准情景：2024年底线目标与2025年高质量发展目标"})
    '基准情景：2024年底线目标与2025年高质量发展目标（baseline）'
    >>> scenario_line({"scenario": "x", "title": "试算"})
    '试算（x）'

    """
    label = scenario_label(summary)
    _, _, rest = str(summary.get("title", "")).partition("：")
    return (f"{label}：{rest.strip()}" if rest.strip() else label) + f"（{summary['scenario']}）"


def same_metrics(diff: pd.DataFrame) -> list[str]:
    """Return the figures on which every scenario equals the first in every year (no chart is drawn for them)."""
    same = diff.groupby("label_zh", sort=False)["difference"].apply(lambda d: bool((d.abs() < SAME_TOLERANCE).all()))
    return [m for m, is_same in same.items() if is_same]


def same_metrics_markdown(diff: pd.DataFrame) -> str:
    """One sentence per figure the scenarios share, e.g. ``两情景收费上限相同。``."""
    n = diff["scenario"].nunique() + 1
    who = "两情景" if n == 2 else "各情景"
    return "".join(f"{who}{m}相同。" for m in same_metrics(diff))


def unit_format(unit: str) -> str:
    """Workbook number format of a figure in ``unit``: whole slots and people, 万元 to two decimals.

    Examples
    --------
    >>> [unit_format(u) for u in ["个", "人", "万元", "%", "元/人·月"]]
    ['int', 'int', 'wan', 'float1', 'yuan']

    """
    return SUMMARY_UNIT_FORMATS.get(unit, "yuan" if str(unit).startswith("元") else "float2")


def compare_for_people(
    table: pd.DataFrame, summaries: Sequence[Mapping[str, Any]]
) -> tuple[pd.DataFrame, dict[tuple[int, int], str]]:
    """Return a compare table as people read it, and the colour of each difference cell.

    Columns: (属地,) 指标, (年份,) 单位, each scenario's title, then ``<title>−<first title>`` for
    each scenario after the first. The colours map (row, column) of the difference cells to
    :func:`verdict`'s ``worse`` / ``better``; the same differences have no colour.
    """
    labels = scenario_labels(summaries)
    names = scenario_names(table)
    first = labels[names[0]]
    out = pd.DataFrame()
    if "town" in table:
        out["属地"] = table["town"]
    out["指标"] = table["label_zh"]
    if "year" in table:
        out["年份"] = [str(y) for y in table["year"]]
    out["单位"] = table["unit_zh"]
    for n in names:
        out[labels[n]] = table[n].to_numpy()
    colours: dict[tuple[int, int], str] = {}
    for n in names[1:]:
        col = f"{labels[n]}−{first}"
        diff = (table[n] - table[names[0]]).to_numpy()
        out[col] = diff
        j = list(out.columns).index(col)
        for i, (d, better) in enumerate(zip(diff, table["better"], strict=True)):
            if v := verdict(float(d), int(better)):
                colours[(i, j)] = v
    return out, colours


def changed_units(table: pd.DataFrame) -> pd.DataFrame:
    """Rows of :func:`unit_compare_table` for the units where some figure differs, and 全区合计."""
    names = scenario_names(table)
    differs = (table[names[1:]].sub(table[names[0]], axis=0).abs() >= SAME_TOLERANCE).any(axis=1)
    towns = set(table.loc[differs, "town_id"]) | {"district"}
    return table[table["town_id"].isin(towns)].reset_index(drop=True)
