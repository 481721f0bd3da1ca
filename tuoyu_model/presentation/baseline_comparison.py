"""The report's 与基准情景比较 section: how a scenario differs from the baseline, by unit and by channel."""

from __future__ import annotations

import pandas as pd

from tuoyu_model.presentation.tables import unit_comparison_table
from tuoyu_model.presentation.vocabulary import (
    CHANNEL_LABEL_ZH,
    COMPARISON_SECTION,
    DISTRICT_TOTAL_ZH,
    REPORT_SECTIONS,
    VALUE_LABELS,
    WAN,
    wan,
)
from tuoyu_model.results import Results

BASELINE = "baseline"  # the scenario every other one is compared with in its report


def is_baseline(results: Results) -> bool:
    """Whether the run is the baseline itself (no 与基准情景比较 section), without ``--set`` changes."""
    return results.scenario.name == BASELINE and not results.scenario.cli_overrides


def report_sections(results: Results) -> list[str]:
    """Return the report's sections: :data:`REPORT_SECTIONS`, and 与基准情景比较 when not the baseline."""
    sections = list(REPORT_SECTIONS)
    if not is_baseline(results):
        sections.insert(sections.index("假设与数据来源"), COMPARISON_SECTION)
    return sections


def _signed(x: float, unit: str, digits: int = 0) -> str:
    return f"{'增加' if x > 0 else '减少'}{abs(x):,.{digits}f}{unit}"


def comparison_markdown(results: Results, base: Results) -> str:
    """Tell how the scenario differs from the baseline: money, targets, who loses, channels, the centre."""
    s, b = results.summary, base.summary
    last = str(max(results.years))
    lines = []
    d_cost = s["public_cost_yuan"]["total"] - b["public_cost_yuan"]["total"]
    if abs(d_cost) >= 50:
        lines.append(
            f"- **财政资金**：合计{wan(s['public_cost_yuan']['total'])}，比基准情景{_signed(d_cost / WAN, '万元', 1)}。"
        )
    d_short = s.get("shortfall_final_slots", 0) - b.get("shortfall_final_slots", 0)
    d_share = s["inclusive_share"][last] - b["inclusive_share"][last]
    share, share_base = s["inclusive_share"][last], b["inclusive_share"][last]
    than = "持平" if abs(d_share) < 0.0005 else ("高" if d_share > 0 else "低") + f"{abs(d_share) * 100:.1f}个百分点"
    short, short_base = s.get("shortfall_final_slots", 0), b.get("shortfall_final_slots", 0)
    lines.append(
        f"- **目标完成**：{last}年底普惠托位占比{share:.1%}（基准{share_base:.1%}，{than}）；"
        f"未完成的托位目标{short:,.0f}个（基准{short_base:,.0f}个"
        f"{'' if abs(d_short) < 0.5 else '，' + _signed(d_short, '个')}）。"
    )
    t = unit_comparison_table(results, base)
    t = t[t["属地"] != DISTRICT_TOTAL_ZH]
    lose = t[(t["普惠托位·差（个）"] < -0.5) | (t["托位·差（个）"] < -0.5)]
    if len(lose):
        worst = lose.sort_values("普惠托位·差（个）", kind="stable").head(5)
        names = "、".join(f"{r['属地']}（普惠{r['普惠托位·差（个）']:+,.0f}个）" for _, r in worst.iterrows())
        lines.append(f"- **少于基准的属地**：{len(lose)}个，普惠托位减少最多的是{names}。")
    shift = _channel_shift(results, base)
    if shift:
        lines.append(f"- **渠道变化**（新增托位，本情景减基准）：{'；'.join(shift)}。")
    centre, centre_base = s.get("solver", {}).get("centre_unit"), b.get("solver", {}).get("centre_unit")
    if centre_base and not centre:
        lines.append("- **区托育综合服务中心**：基准情景建设，本情景未建设。")
    elif centre and not centre_base:
        lines.append("- **区托育综合服务中心**：本情景建设，基准情景未建设。")
    return "\n".join(lines)


def _channel_shift(results: Results, base: Results) -> list[str]:
    """Return the channels × kinds whose new slots differ from the baseline's, largest change first."""

    def by(r: Results) -> pd.Series:
        return r["allocation"].groupby(["channel", "kind"])["new_slots"].sum()

    d = by(results).sub(by(base), fill_value=0.0)
    d = d[d.abs() >= 0.5]
    d = d.loc[d.abs().sort_values(ascending=False, kind="stable").index]
    return [
        f"{CHANNEL_LABEL_ZH.get(c, c)}{VALUE_LABELS['kind'].get(k, k)}托位{_signed(v, '个')}" for (c, k), v in d.items()
    ]
