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
from matplotlib.ticker import PercentFormatter

from tuoyu_model.presentation.chart_style import new_figure, save_figure, styled
from tuoyu_model.presentation.compare import scenario_label
from tuoyu_model.presentation.vocabulary import TARGET_SET_LABEL_ZH, VALUE_LABELS, WAN, date_zh


def pct(x: float | None) -> str:
    """Return a share as the report prints it, ``—`` when unknown.

    Examples
    --------
    >>> pct(0.9), pct(None)
    ('90.0%', '—')

    """
    return "—" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.1%}"


# What the re-plan's capital money covers, named wherever it is printed.
REPLAN_MONEY = "建设及转普惠补贴（新增托位建设补贴和存量托位转普惠补贴，不含运营补贴）"


def replan_cost_text(replan: Mapping) -> str:
    """Say what the re-planned years cost in all: every item of public money, both plans, whole years.

    Examples
    --------
    >>> replan_cost_text({"first_year": 2024, "last_year": 2025, "public_cost_replan_yuan": 7.2e7,
    ...                   "public_cost_original_yuan": 7.5e7})
    '2024—2025年财政资金合计（含建设、转普惠和全部运营补贴，按整年计）再规划7,200.0万元，原方案7,500.0万元'

    """
    return (
        f"{replan['first_year']}—{replan['last_year']}年财政资金合计（含建设、转普惠和全部运营补贴，按整年计）"
        f"再规划{replan['public_cost_replan_yuan'] / WAN:,.1f}万元，"
        f"原方案{replan['public_cost_original_yuan'] / WAN:,.1f}万元"
    )


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
        f"截至{date_zh(as_of)}：{s['units_reported']}/{s['units_total']}个属地报送，"
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
            f"{r['new_slots_original']:,.0f}个），{REPLAN_MONEY}{r['capital_replan_yuan'] / WAN:,.1f}万元"
            f"（原方案尚需{r['capital_original_yuan'] / WAN:,.1f}万元）；{replan_cost_text(r)}。"
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
    options = t.get("replan_options")
    for r in proj[proj.status == "at_risk"].itertuples():
        gap_total = max(0.0, r.target_total - r.total_slots)
        gap_inclusive = max(0.0, r.target_inclusive - r.inclusive_slots)
        text = (
            f"{r.town}：距{TARGET_SET_LABEL_ZH[r.target_set]}尚差托位{gap_total:,.0f}个、"
            f"普惠托位{gap_inclusive:,.0f}个；年底前需月均新增托位"
            f"{r.needed_total_per_month:,.1f}个（近期月均{r.rate_total_per_month:,.1f}个）。"
        )
        mine = options[options.town_id == r.town_id] if options is not None else None
        out.append(text + (unit_advice(mine, gap_total, gap_inclusive) if mine is not None else ""))
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
            f"{r['new_slots_replan']:,.0f}个、{REPLAN_MONEY}{r['capital_replan_yuan'] / WAN:,.1f}万元"
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


def _channel(code: str) -> str:
    return VALUE_LABELS["channel"].get(code, code)


def unit_advice(options: pd.DataFrame, gap_total: float, gap_inclusive: float) -> str:
    """Advise a lagging unit where to find its gap: the cheapest channels it still has room in.

    ``options`` is the unit's rows of ``replan_options``
    (:func:`tuoyu_model.progress.replanning.channel_options`): capacity this year and public
    money per slot. The inclusive gap goes to the cheapest inclusive channels with capacity, in
    order, until it is covered; the rest of the total gap to the cheapest market channel.

    Examples
    --------
    >>> o = pd.DataFrame({"channel": ["kindergarten", "community", "social"],
    ...                   "kind": ["inclusive", "inclusive", "market"], "capacity_slots": [10.0, 40.0, 30.0],
    ...                   "public_yuan_per_slot": [24500.0, 45500.0, 0.0]})
    >>> unit_advice(o, 30, 20)
    '普惠托位缺口最省的补法：幼儿园托班（每个托位财政资金约24,500元，本年度容量约10个）、社区托育点（约45,500元，容量约40个）；其余托位可由社会托育机构市场化托位补足（无财政补贴，容量约30个）。'
    >>> unit_advice(o.assign(capacity_slots=0.0), 30, 20)
    '本年度各渠道已无新增容量（按参数），需新增场地或调整目标。'

    """
    have = options[options.capacity_slots >= 1].sort_values("public_yuan_per_slot", kind="stable")
    inclusive, market = have[have.kind == "inclusive"], have[have.kind == "market"]
    parts = []
    if gap_inclusive >= 0.5 and len(inclusive):
        chosen, covered = [], 0.0
        for k, o in enumerate(inclusive.itertuples()):
            cap = int(o.capacity_slots)
            chosen.append(
                f"{_channel(o.channel)}（每个托位财政资金约{o.public_yuan_per_slot:,.0f}元，本年度容量约{cap:,}个）"
                if k == 0
                else f"{_channel(o.channel)}（约{o.public_yuan_per_slot:,.0f}元，容量约{cap:,}个）"
            )
            covered += cap
            if covered >= gap_inclusive:
                break
        short = "" if covered >= gap_inclusive else f"，仍差约{gap_inclusive - covered:,.0f}个需新增场地"
        parts.append("普惠托位缺口最省的补法：" + "、".join(chosen) + short)
    rest = gap_total - gap_inclusive
    if rest >= 0.5 and len(market):
        m = market.iloc[0]
        parts.append(
            f"其余托位可由{_channel(m.channel)}市场化托位补足（无财政补贴，容量约{int(m.capacity_slots):,}个）"
        )
    if not parts:
        return "本年度各渠道已无新增容量（按参数），需新增场地或调整目标。"
    return "；".join(parts) + "。"


def plot_completion(projection: pd.DataFrame, path: Path) -> Path:
    """Save each reporting unit's completion in % of both targets, now and projected at year-end (PNG).

    Two panels side by side, units in the same rows: 托位 (total slots against the total target)
    and 普惠托位 (inclusive slots against the inclusive target). Bars are today's completion
    (lagging units in orange), dots the year-end projected at the recent pace; the line marks a target met.
    """
    p = projection[projection.reported]
    y = np.arange(len(p))
    lag = (p.status == "at_risk").to_numpy()
    target = TARGET_SET_LABEL_ZH[p.target_set.iloc[0]] if len(p) else "目标"
    panels = (
        ("托位", p.total_slots / p.target_total, p.projected_completion_total),
        ("普惠托位", p.inclusive_slots / p.target_inclusive, p.projected_completion_inclusive),
    )
    with styled():
        fig = new_figure(10, max(4.5, 0.28 * len(p) + 1.8))
        axes = fig.subplots(1, 2, sharey=True)
        for ax, (name, now, projected) in zip(axes, panels, strict=True):
            now = now.to_numpy(float)
            ax.barh(y[~lag], now[~lag], color="#4C72B0", label="当前完成率")
            ax.barh(y[lag], now[lag], color="#DD8452", label="当前完成率（滞后属地）")
            ax.scatter(projected, y, color="#C44E52", zorder=3, s=14, label="预计年底完成率（按近期进度）")
            ax.axvline(1.0, color="black", lw=0.8)
            ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))  # shares shown as 50%
            ax.set_xlabel(f"{name}数占{target}的比例")
            ax.set_title(f"{name}完成率（%）")
        axes[0].set_yticks(y, p.town)
        axes[0].invert_yaxis()
        handles, labels = axes[0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="outside lower center", ncols=3, frameon=False)
        fig.suptitle("各属地托位目标完成情况")
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
    label = scenario_label({"scenario": name, "title": title})
    return f"{label}（{name}）" if label != name else name
