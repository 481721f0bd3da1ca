"""The progress report's words and chart: the summary lines, the recommendations, the completion chart.

Numbers in, words out: every function reads the tables and the summary that
:mod:`tuoyu_model.progress` computed (nothing is evaluated here).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from tuoyu_model.presentation.compare import scenario_label
from tuoyu_model.presentation.figures import new_figure, save_figure, styled
from tuoyu_model.presentation.vocabulary import TARGET_SET_LABEL_ZH, WAN


def pct(x: float | None) -> str:
    """Return a share as the report prints it, ``—`` when unknown.

    Examples
    --------
    >>> pct(0.9), pct(None)
    ('90.0%', '—')

    """
    return "—" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.1%}"


def summary_lines(summary: Mapping, as_of: dt.date, notes: Sequence[str] = ()) -> list[str]:
    """Return the short Chinese summary printed by ``tuoyu progress`` and shown atop the report.

    Parameters
    ----------
    summary : mapping
        :func:`tuoyu_model.progress.evaluation.district_summary`, with ``replan``
        (:func:`tuoyu_model.progress.replanning.replan_summary`) when there is a re-plan.
    as_of : date
        Evaluation date.
    notes : sequence of str
        Lines added at the end.

    """
    s = summary
    ts = s["year_end_target_set"]
    year_end = s["by_target_set"][ts]
    lines = [
        f"截至{as_of:%Y年%m月%d日}：{s['units_reported']}/{s['units_total']}个属地报送，"
        f"在营托位{s['total_slots']:,}个，其中普惠{s['inclusive_slots']:,}个（占比{pct(s['inclusive_share'])}"
        + (
            f"，年度目标{pct(s['inclusive_share_target'])}）。"
            if s.get("inclusive_share_target") is not None
            else "）。"
        ),
        f"{year_end['label_zh']}：全区完成{pct(year_end['completion_total_all_units'])}"
        f"（已报送属地完成{pct(year_end['completion_total_reported_units'])}），"
        f"{year_end['units_done']}个属地已达标。",
    ]
    if s["units_at_risk"]:
        lines.append(
            f"按近期进度年底可能完不成目标的属地（{len(s['units_at_risk'])}个）："
            + "、".join(s["units_at_risk"])
            + "。"
        )
    else:
        lines.append("按近期进度，已报送属地均可按期完成年度目标。")
    if s["units_not_reported"]:
        lines.append(f"未报送（未计为0）：{'、'.join(s['units_not_reported'])}。")
    if s["units_without_inclusive_service"]:
        lines.append(f"尚无普惠托位的属地：{'、'.join(s['units_without_inclusive_service'])}。")
    lines.append(
        f"队伍建设：持证上岗率{pct(s['certified_share'])}（目标{pct(s['certified_share_target'])}），"
        f"培训覆盖率{pct(s['training_coverage'])}（目标{pct(s['training_coverage_target'])}），"
        f"尚缺卫生保健人员{s['health_staff_needed']}人。"
    )
    if "replan" in s:
        r = s["replan"]
        lines.append(
            f"再规划（{r['first_year']}—{r['last_year']}年，从报送存量起算）：还需新增托位"
            f"{r['new_slots_replan']:,.0f}个（原方案扣除已建{r['built_in_replan_years']:,.0f}个后尚需"
            f"{r['new_slots_original']:,.0f}个），建设及转普惠补贴{r['capital_replan_yuan'] / WAN:,.1f}万元"
            f"（原方案尚需{r['capital_original_yuan'] / WAN:,.1f}万元）。"
        )
    lines.extend(notes)
    return lines


def recommendations(summary: Mapping, tables: Mapping[str, pd.DataFrame]) -> list[str]:
    """Return the report's 下一步调整建议 as Chinese sentences, each built from the tables.

    One sentence per lagging unit (slots a month needed against the recent pace), then the
    units to chase for returns, inclusive coverage, the workforce, and the re-plan's changes.
    """
    t = tables
    out = []
    proj = t["projection"]
    for r in proj[proj.status == "at_risk"].itertuples():
        out.append(
            f"{r.town}：距{TARGET_SET_LABEL_ZH[r.target_set]}尚差托位"
            f"{max(0, r.target_total - r.total_slots):,.0f}个、"
            f"普惠托位{max(0, r.target_inclusive - r.inclusive_slots):,.0f}个；年底前需月均新增托位"
            f"{r.needed_total_per_month:,.1f}个（近期月均{r.rate_total_per_month:,.1f}个），"
            "建议区卫生健康委、区教委约谈督导，优先挖掘幼儿园托班和闲置国有房屋资源。"
        )
    miss = t["not_reported"]
    if len(miss):
        out.append(f"督促{'、'.join(miss.town)}按季度报送统计表（模板见 data/templates/），未报送属地未计入完成数。")
    cov = t["coverage"]
    low = cov[cov.reported & (cov.covered == False)]  # noqa: E712 - a nullable boolean column
    if len(low):
        out.append(
            f"{'、'.join(low.town)}普惠托位不足{int(low.min_inclusive_slots.iloc[0])}个，"
            "需落实“普惠托育服务街道（镇）全覆盖”，可通过存量托位转普惠或幼儿园托班尽快补齐。"
        )
    wf = t["workforce"]
    wr = wf[wf.reported]
    if wr.certified_needed.sum() > 0:
        out.append(
            f"保育人员持证：还需{int(wr.certified_needed.sum())}人取得育婴员、保育师等证书方可达到"
            f"{pct(summary['certified_share_target'])}，重点在"
            f"{'、'.join(wr.sort_values('certified_needed', ascending=False).town.head(3))}。"
        )
    if wr.training_needed.sum() > 0:
        out.append(f"培训：还需培训机构负责人和保育人员{int(wr.training_needed.sum())}人次以实现培训全覆盖。")
    if wr.health_staff_needed.sum() > 0:
        out.append(
            f"卫生保健：{'、'.join(wr[wr.health_staff_needed > 0].town)}尚有机构未配备卫生保健人员，"
            f"共缺{int(wr.health_staff_needed.sum())}人。"
        )
    if "replan_changes" in t:
        ch = t["replan_changes"]
        more = ch[ch.new_slots_change > 0.5].sort_values("new_slots_change", ascending=False)
        r = summary["replan"]
        out.append(
            f"按报送存量重新测算（{r['first_year']}—{r['last_year']}年），剩余期内需新增托位"
            f"{r['new_slots_replan']:,.0f}个、建设及转普惠补贴{r['capital_replan_yuan'] / WAN:,.1f}万元"
            f"（原方案扣除已建部分后尚需{r['new_slots_original']:,.0f}个、"
            f"{r['capital_original_yuan'] / WAN:,.1f}万元）。"
            + (f"需较原方案多建的属地：{'、'.join(more.town.head(5))}。" if len(more) else "")
        )
        if r["shortfall_total_replan"] > 0.5 or r["shortfall_inclusive_replan"] > 0.5:
            out.append(
                f"在现有渠道容量和预算下仍有缺口：托位{r['shortfall_total_replan']:,.0f}个、普惠托位"
                f"{r['shortfall_inclusive_replan']:,.0f}个，需增加场地供给或资金。"
            )
    if not out:
        out.append("各项指标均按进度推进，建议保持现有工作安排并按季度继续监测。")
    return out


def plot_completion(projection: pd.DataFrame, path: Path) -> Path:
    """Save a bar chart of each reporting unit's completion now and projected at year-end (PNG)."""
    with styled():
        fig = new_figure(9, 5)
        ax = fig.add_subplot()
        p = projection[projection.reported]
        y = np.arange(len(p))
        lag = (p.status == "at_risk").to_numpy()
        now = (p.total_slots / p.target_total).to_numpy(float)
        ax.barh(y[~lag], now[~lag], color="#4C72B0", label="当前完成率")
        ax.barh(y[lag], now[lag], color="#DD8452", label="当前完成率（滞后属地）")
        ax.scatter(p.projected_completion_total, y, color="#C44E52", zorder=3, label="预计年底完成率（按近期进度）")
        ax.axvline(1.0, color="black", lw=0.8)
        ax.set_yticks(y, p.town)
        ax.invert_yaxis()
        ax.set_xlabel(f"占{TARGET_SET_LABEL_ZH[p.target_set.iloc[0]]}的比例" if len(p) else "完成率")
        ax.set_title("各属地托位完成情况")
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=3, frameon=False)
        return save_figure(fig, path)


def scenario_heading(title: str, name: str) -> str:
    """Return the scenario as the report's header shows it: the short Chinese title, the id in brackets.

    Examples
    --------
    >>> scenario_heading("基准情景：方案附件目标，现行补贴标准", "baseline")
    '基准情景（baseline）'
    >>> scenario_heading("", "baseline")
    'baseline'

    """
    return scenario_label({"scenario": name, "title": title})
