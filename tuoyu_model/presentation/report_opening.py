"""The report's opening, in Chinese: title block, 目录, 主要结论, 测算口径, and where the district centre is.

Every number comes from :class:`tuoyu_model.results.Results`; every text from the scenario file
is HTML-escaped.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Sequence
from html import escape
from importlib.metadata import version

import pandas as pd

from tuoyu_model.data_status import status_counts
from tuoyu_model.parameters import Scenario
from tuoyu_model.presentation.vocabulary import (
    MODIFIED_MARK,
    REPORT_NAME,
    REPORT_SECTIONS,
    STATUS_MARK,
    TOTAL_ZH,
    date_zh,
    wan,
)
from tuoyu_model.pricing import fee_cap_headline
from tuoyu_model.results import Results


def report_title(scenario: Scenario) -> str:
    """Return the title of a run's report: the scenario's, marked when ``--set`` changed parameters.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> report_title(SimpleNamespace(title="基准情景", cli_overrides={"household_size": 3}))
    '基准情景（已修改参数）'

    """
    return scenario.title + (MODIFIED_MARK if scenario.cli_overrides else "")


def fee_cap_share(results: Results) -> float:
    """Return the fee cap as a share of household monthly income, read from the pricing table (last year).

    The share the run used (``fee_cap_share`` after the scenario and ``--set``), so the report
    never states a share of its own.
    """
    p = results["pricing"]
    row = p[p.year == max(results.years)].iloc[0]
    return float(row["fee_cap_yuan"]) / float(row["household_monthly_income_yuan"])


def percent_text(share: float) -> str:
    """Return a share as people read it in a sentence: whole percents plain, else one decimal.

    Examples
    --------
    >>> percent_text(0.2), percent_text(0.25000000000000006), percent_text(0.225)
    ('20%', '25%', '22.5%')

    """
    pct = round(share * 100, 1)
    return f"{pct:.0f}%" if pct == round(pct) else f"{pct:.1f}%"


def generated_on() -> dt.date:
    """Return the report's 生成日期: today, or the day of ``SOURCE_DATE_EPOCH`` when set (reproducible builds)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "")
    if epoch.strip().isdigit():
        return dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC).date()
    return dt.date.today()


def _status_counts(results: Results) -> tuple[dict[str, int], dict[str, int]]:
    """Count the parameters and the unit figures of ``towns.csv`` by status (``data_status.status_counts``)."""
    c = status_counts(results["towns"].set_index("town_id"), results.scenario.parameters)
    by = {g: dict(zip(part["status"], part["count"], strict=True)) for g, part in c.groupby("group")}
    return (
        {k: int(by.get("parameters", {}).get(k, 0)) for k in STATUS_MARK},
        {k: int(by.get("towns", {}).get(k, 0)) for k in STATUS_MARK},
    )


def input_status_counts(results: Results) -> dict[str, int]:
    """Count the run's inputs (parameters and unit figures) by status: ``{status: count}``."""
    params, unit = _status_counts(results)
    return {k: params[k] + unit[k] for k in STATUS_MARK}


def input_status_table(results: Results) -> pd.DataFrame:
    """Tabulate the inputs by status: parameters, unit figures (``towns.csv``) and both, one row per status."""
    params, unit = _status_counts(results)
    rows = [(STATUS_MARK[k], params[k], unit[k], params[k] + unit[k]) for k in STATUS_MARK]
    rows.append((TOTAL_ZH, sum(params.values()), sum(unit.values()), sum(params.values()) + sum(unit.values())))
    return pd.DataFrame(rows, columns=["性质", "参数（项）", "属地基础数据（项）", "合计（项）"])


def title_block(results: Results, day: dt.date | None = None) -> str:
    """Return the report's opening as HTML: report name, scenario title, 生成日期, version, inputs that are assumptions.

    Every text from the scenario file is escaped, so a title with markup shows as text.
    """
    s = results.scenario
    counts = input_status_counts(results)
    rows = [
        ("情景", f"{escape(report_title(s))}（{escape(s.name)}）"),
        ("生成日期", date_zh(day or generated_on())),
        ("测算程序", f"tuoyu-model {version('tuoyu-model')}"),
        (
            "输入数据",
            f"共{sum(counts.values())}项，其中假设{counts['assumption']}项、代理值{counts['proxy']}项"
            "（见“假设与数据来源”）",
        ),
    ]
    cells = "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in rows)
    return (
        f'<div class="tuoyu-title"><h1 id="report-title">{REPORT_NAME}</h1>'
        f'<p class="tuoyu-subtitle">{escape(report_title(s))}</p>'
        f'<table class="tuoyu-meta">{cells}</table></div>'
    )


def contents_markdown(sections: Sequence[str] = REPORT_SECTIONS) -> str:
    """Write the 目录: one linked line per section heading (the anchors nbconvert gives the headings)."""
    return "\n".join(f"{k}. [{name}](#{name})" for k, name in enumerate(sections, start=1))


def _money_leaders(results: Results, n: int = 3) -> tuple[list[tuple[str, float]], float]:
    b = results["budget_by_town"]
    by_town = b.groupby("town", sort=False)["amount_yuan"].sum().sort_values(ascending=False, kind="stable")
    total = float(by_town.sum())
    return [(t, float(v)) for t, v in by_town.head(n).items()], total


def conclusions(results: Results) -> list[str]:
    """主要结论: three to five plain sentences with the run's numbers (money, slots, share, units, fees)."""
    s = results.summary
    years = [str(y) for y in results.years]
    first, last = years[0], years[-1]
    span = f"{first}–{last}年" if len(years) > 1 else f"{first}年"
    cost = "，".join(f"{y}年{wan(s['public_cost_yuan'][y])}" for y in years)
    src = s.get("public_cost_by_source_yuan", {})
    split = f"，其中市级{wan(src['city'])}、区级{wan(src['district'])}" if src else ""
    out = [f"{span}共需财政资金{wan(s['public_cost_yuan']['total'])}（{cost}）{split}。"]
    new = s["new_slots"].get("total", sum(s["new_slots"].get(y, 0) for y in years))
    conv = sum(s["converted_slots"].get(y, 0) for y in years)
    final = s.get("shortfall_by_year", {}).get(last, 0)
    reach = "各属地托位目标均可完成" if final < 0.5 else f"仍有{final:,.0f}个托位目标未能完成（详见“托位目标与缺口”）"
    out.append(
        f"共新增托位{new:,.0f}个、存量托位转为普惠{conv:,.0f}个，{last}年底全区托位{s['total_slots'][last]:,.0f}个，{reach}。"
    )
    share, target = s["inclusive_share"][last], s["inclusive_share_target"].get(last)
    if target:
        verdict = "达到" if share + 1e-9 >= target else "未达到"
        out.append(f"{last}年底普惠托位占比{share:.1%}，{verdict}{target:.0%}的目标。")
    leaders, total = _money_leaders(results)
    if total > 0 and leaders:
        names = "、".join(f"{t}（{wan(v)}）" for t, v in leaders)
        top = sum(v for _, v in leaders) / total
        out.append(f"财政资金最多的{len(leaders)}个属地是{names}，合计占全区的{percent_text(top)}。")
    cap = s["fee_cap_yuan"].get(last)
    if cap is not None:
        out.append(_cap_conclusion(results, int(last), cap))
    return out[:5]


def _cap_conclusion(results: Results, year: int, cap: float) -> str:
    """Write the sentence on the fee cap: the cap, the three-person family's, why it is below Beijing's."""
    p = results.scenario.parameters
    h = fee_cap_headline(p, [year]).iloc[-1]
    text = (
        f"{year}年普惠托位收费上限为每人每月{cap:,.0f}元（家庭月可支配收入的{percent_text(fee_cap_share(results))}），"
        f"按三口之家计算为{h.fee_cap_family_yuan:,.0f}元"
    )
    if p["income_area"] != "beijing" and h.beijing_fee_cap_yuan - cap >= 0.5:
        text += (
            f"；工作方案要求按本区收入计算，大兴人均可支配收入{h.income_per_capita_yuan:,.0f}元，低于全市的"
            f"{h.beijing_income_per_capita_yuan:,.0f}元，所以上限比按北京市收入计算的{h.beijing_fee_cap_yuan:,.0f}元"
            f"低{h.beijing_fee_cap_yuan - cap:,.0f}元"
        )
    return text + "。"


def conclusions_markdown(results: Results) -> str:
    """:func:`conclusions` as a numbered list."""
    return "\n".join(f"{k}. {line}" for k, line in enumerate(conclusions(results), start=1))


def scope_markdown(results: Results) -> str:
    """测算口径: years, what the money covers, where targets and demand come from, what is minimised."""
    p = results.scenario.parameters
    years = results.years
    span = f"{years[0]}–{years[-1]}年" if len(years) > 1 else f"{years[0]}年"
    objective = "在完成托位目标的前提下使财政资金最少" if p["objective"] == "min_cost" else "在预算内使普惠托位最多"
    lines = [
        f"- **测算期**：{span}，按年度末存量计算托位，按年度计算资金。",
        "- **资金口径**：财政资金（市级、区级合计），含新增托位建设补贴、存量托位转普惠补贴、"
        "普惠托位运营补贴；不含家庭缴费和社会资本投入。金额单位除注明外为万元。",
        "- **目标来源**：各属地托位数和普惠托位数目标取自工作方案附件；全区普惠占比目标按方案。",
        f"- **测算方法**：线性规划，{objective}；各属地可用的渠道和容量见参数表。",
        "- **数据性质**：部分输入为假设或代理值（见“假设与数据来源”），结果随之变化，宜作为测算参考。",
    ]
    return "\n".join(lines)


def centre_markdown(results: Results) -> str:
    """Where the district centre is, and why there; or that none is built."""
    s = results.summary
    unit = s.get("solver", {}).get("centre_unit")
    if not unit:
        return "本情景未建设区托育综合服务中心（见“主要指标”下的说明）。"
    towns = results["towns"].set_index("town_id")
    name = towns["town"].get(unit, unit)
    p = results.scenario.parameters
    alloc = results["allocation"]
    slots = float(alloc.loc[alloc.channel == "centre", "new_slots"].sum())
    money = results["budget_by_town"]
    money = float(money.loc[money.town_id == unit, "amount_yuan"].sum())
    if str(p["district_centre_unit"]) != "auto":
        why = "按参数“区托育综合服务中心所在属地”指定"
    elif p["integer_classes"]:
        why = "由模型在各属地中比较选定（财政资金最省）"
    else:
        year = int(p["district_centre_year"])
        year = min(max(year, results.years[0]), results.years[-1])
        stock = results["stock"]
        target = stock[(stock.year == year) & (stock.town_id == unit)]["target_inclusive"]
        gap = float(target.iloc[0]) - float(towns.loc[unit, "existing_inclusive_2023"]) if len(target) else float("nan")
        why = (
            f"该属地{year}年普惠托位目标与2023年底普惠托位之差在各属地中最大（{gap:,.0f}个），"
            "中心设在这里最能补上普惠缺口"
        )
    return (
        f"区托育综合服务中心设在**{name}**（{slots:,.0f}个托位）：{why}。"
        f"选址为假设，可在情景文件中用 `district_centre_unit` 指定。"
        f"{name}的财政资金合计{wan(money)}，含中心建设和运营。"
    )
