"""What the plan's projects are: openings of at least one class, the centre built whole, market slots.

:func:`projects_markdown` words the rules of :func:`tuoyu_model.allocation.build.add_project_size_constraints`
for the report's 测算口径 (numbers from the parameters and the allocation table), and says that the
market slots are assumed to come from private operators.
"""

from __future__ import annotations

from tuoyu_model.allocation.formulas import project_min_slots
from tuoyu_model.presentation.vocabulary import CHANNEL_LABEL_ZH
from tuoyu_model.results import Results


def projects_markdown(results: Results) -> str:
    """Return the 测算口径 lines on project sizes and market slots (Markdown list items)."""
    p = results.scenario.parameters
    least = project_min_slots(p)
    lines = []
    if least:
        named = "、".join(f"{CHANNEL_LABEL_ZH[c]}至少{n:,.0f}个托位" for c, n in least.items())
        free = [CHANNEL_LABEL_ZH[c] for c in p["project_min_classes"] if c not in least]
        rest = f"；{'、'.join(free)}的新增托位视为在现有机构上扩充，不设下限" if free else ""
        lines.append(f"- **项目规模**：新设托育点按一个班起建（{named}），否则不建{rest}。")
    if p["centre_one_project"] and float(p["district_centre_slots"]) > 0:
        lines.append(
            f"- **区托育综合服务中心**：按{float(p['district_centre_slots']):,.0f}个托位作为一个项目，"
            f"在{int(p['district_centre_year'])}年一次建成，不分批。"
        )
    a = results["allocation"]
    market = a[a.kind == "market"]
    if len(market):
        by_year = market.groupby("year").new_slots.sum()
        years = "，".join(f"{int(y)}年{v:,.0f}个" for y, v in by_year.items())
        aid = float(p["market_capital_subsidy"])
        money = "不需财政建设补贴" if aid <= 0 else f"财政每个托位补贴建设资金{aid:,.0f}元"
        lines.append(
            f"- **市场化托位**（{years}）：假定由民办托育机构、用人单位等社会力量自行投资建设和运营，"
            f"{money}、不享受运营补贴；只在各渠道容量参数允许的属地和数量内出现，能否实现取决于社会投资意愿。"
        )
    return "\n".join(lines)
