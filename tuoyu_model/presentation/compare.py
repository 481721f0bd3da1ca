"""The comparison of scenarios: headline figures side by side, differences, scenario labels.

Numbers from each run's ``summary.json`` (:func:`tuoyu_model.results.make_summary`); the
labels people read. Used by the compare notebook and :func:`tuoyu_model.writers.write_comparison`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from tuoyu_model.presentation.vocabulary import WAN

COMPARE_METRICS = [  # (label, unit, function of a summary, scale)
    ("财政资金需求合计", "万元", lambda s: s["public_cost_yuan"]["total"], 1 / WAN),
    ("新增托位合计", "个", lambda s: s["new_slots"]["total"], 1.0),
    ("末年普惠托位占比", "%", lambda s: s["inclusive_share"][str(s["last_year"])], 100.0),
    ("末年年底托位缺口", "个", lambda s: s["shortfall_final_slots"], 1.0),
    ("末年收费上限", "元/人·月", lambda s: s["fee_cap_yuan"][str(s["last_year"])], 1.0),
    ("末年所需保育人员", "人", lambda s: s["caregivers_needed"][str(s["last_year"])], 1.0),
]


def compare_table(summaries: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """Headline figures side by side: one row per metric, one column per scenario.

    Columns: ``label_zh, unit_zh`` then one per scenario name.
    """
    rows = []
    for label, unit, fn, scale in COMPARE_METRICS:
        row = {"label_zh": label, "unit_zh": unit}
        for s in summaries:
            row[s["scenario"]] = float(fn(s)) * scale
        rows.append(row)
    return pd.DataFrame(rows)


def difference_table(table: pd.DataFrame) -> pd.DataFrame:
    """Each scenario's difference from the first scenario, tidy: ``label_zh, unit_zh, scenario, difference``."""
    names = [c for c in table.columns if c not in ("label_zh", "unit_zh")]
    rows = []
    for _, r in table.iterrows():
        d = r.to_dict()
        for n in names[1:]:
            rows.append(
                {"label_zh": d["label_zh"], "unit_zh": d["unit_zh"], "scenario": n, "difference": d[n] - d[names[0]]}
            )
    return pd.DataFrame(rows, columns=["label_zh", "unit_zh", "scenario", "difference"])


SAME_TOLERANCE = 0.005  # a difference below this (in the metric's unit) is shown as 0.0: "the same"


def scenario_label(summary: Mapping[str, Any]) -> str:
    """Return a scenario's column header for people: the short Chinese title with the id in brackets.

    Examples
    --------
    >>> scenario_label({"scenario": "budget_cut_20", "title": "预算压减20%：基准目标下各年度财政资金只有需求的80%"})
    '预算压减20%（budget_cut_20）'

    """
    short = str(summary.get("title", "")).split("：")[0].strip()
    return f"{short}（{summary['scenario']}）" if short else str(summary["scenario"])


def scenario_line(summary: Mapping[str, Any]) -> str:
    """Return a scenario's line in the compare report: its label, then what its title says after the colon.

    Examples
    --------
    >>> scenario_line({"scenario": "baseline", "title": "基准情景：2024年底线目标与2025年高质量发展目标"})
    '基准情景（baseline）：2024年底线目标与2025年高质量发展目标'
    >>> scenario_line({"scenario": "x", "title": "试算"})
    '试算（x）'

    """
    label = scenario_label(summary)
    _, _, rest = str(summary.get("title", "")).partition("：")
    return f"{label}：{rest.strip()}" if rest.strip() else label


def same_metrics(diff: pd.DataFrame) -> list[str]:
    """Return the headline figures on which every scenario equals the first (no chart is drawn for them)."""
    same = diff.groupby("label_zh", sort=False)["difference"].apply(lambda d: bool((d.abs() < SAME_TOLERANCE).all()))
    return [m for m, is_same in same.items() if is_same]


def same_metrics_markdown(diff: pd.DataFrame) -> str:
    """One sentence per headline figure the scenarios share, e.g. ``两情景末年收费上限相同。``."""
    n = diff["scenario"].nunique() + 1
    who = "两情景" if n == 2 else "各情景"
    return "".join(f"{who}{m}相同。" for m in same_metrics(diff))


def compare_table_for_people(table: pd.DataFrame, summaries: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """Return :func:`compare_table` with Chinese headers: 指标, 单位, then each scenario's label."""
    labels = {s["scenario"]: scenario_label(s) for s in summaries}
    return table.rename(columns={"label_zh": "指标", "unit_zh": "单位", **labels})


def difference_table_for_people(diff: pd.DataFrame, summaries: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """Return :func:`difference_table` with Chinese headers and scenario labels."""
    labels = {s["scenario"]: scenario_label(s) for s in summaries}
    first = scenario_label(summaries[0])
    return diff.assign(scenario=diff["scenario"].map(lambda n: labels.get(n, n))).rename(
        columns={"label_zh": "指标", "unit_zh": "单位", "scenario": "情景", "difference": f"与{first}之差"}
    )
