"""What the scenario report notebook shows, in Chinese: one function per section, in report order.

The notebook imports this module as ``R`` and displays what its functions return; every number
comes from :class:`tuoyu_model.results.Results`. The sections live in their own modules and are
named here for the notebook: the opening (title block, 目录, 主要结论, 测算口径, centre) in
:mod:`~tuoyu_model.presentation.report_opening`, the 与基准情景比较 section in
:mod:`~tuoyu_model.presentation.baseline_comparison`, the shadow prices in
:mod:`~tuoyu_model.presentation.shadow_prices`, HTML rendering (tables, charts, stylesheet) in
:mod:`~tuoyu_model.presentation.report_html`. This module holds the scenario, headline, pricing,
assumptions and uncertainty sections. Tables for people are :mod:`tuoyu_model.presentation.tables`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from html import escape
from pathlib import Path
from typing import Any

import pandas as pd

from tuoyu_model.allocation.formulas import parse_priority
from tuoyu_model.income import INCOME_AREA_LABEL_ZH
from tuoyu_model.paths import outputs_dir
from tuoyu_model.presentation.baseline_comparison import BASELINE, comparison_markdown, is_baseline, report_sections
from tuoyu_model.presentation.formatting import solver_zh
from tuoyu_model.presentation.report_html import ReportFigure, figure, html_table, report_style
from tuoyu_model.presentation.report_opening import (
    centre_markdown,
    conclusions,
    conclusions_markdown,
    contents_markdown,
    fee_cap_share,
    generated_on,
    input_status_counts,
    input_status_table,
    percent_text,
    report_title,
    scope_markdown,
    title_block,
)
from tuoyu_model.presentation.sentences import priority_sentence, rationing_sentence
from tuoyu_model.presentation.shadow_prices import shadow_price_groups, shadow_price_markdown, shadow_price_sentences
from tuoyu_model.presentation.tables import assumptions_table
from tuoyu_model.presentation.vocabulary import (
    COMPARISON_SECTION,
    INCOME_MEASURE_LABEL_ZH,
    STATUS_MARK,
    TECHNICAL_NOTES,
    VALUE_LABELS,
    wan,
)
from tuoyu_model.pricing import fee_cap_headline
from tuoyu_model.results import Results

__all__ = [  # the notebook's names: this module's sections and those of the section modules
    "BASELINE",
    "COMPARISON_SECTION",
    "ReportFigure",
    "assumptions_markdown",
    "assumptions_summary_table",
    "centre_markdown",
    "comparison_markdown",
    "conclusions",
    "conclusions_markdown",
    "contents_markdown",
    "factor_label",
    "family_burden_line",
    "family_burden_markdown",
    "family_burden_rows",
    "fee_cap_markdown",
    "fee_cap_share",
    "figure",
    "generated_on",
    "headline_markdown",
    "html_table",
    "input_status_counts",
    "input_status_table",
    "is_baseline",
    "not_modelled_markdown",
    "notes_markdown",
    "percent_text",
    "report_sections",
    "report_style",
    "report_title",
    "scenario_markdown",
    "scope_markdown",
    "shadow_price_groups",
    "shadow_price_markdown",
    "shadow_price_sentences",
    "shortfall_line",
    "sweeps_folder",
    "technical_markdown",
    "title_block",
    "uncertainty_markdown",
]


def scenario_markdown(results: Results) -> str:
    """Title, description and overrides of the scenario; parameters changed by ``--set`` first and prominently.

    Text from the scenario file and the command line is HTML-escaped: markup in a title shows as text.

    The scenario's description is its file's text; after ``--set`` it may quote values the run
    no longer uses, so the changed parameters come before it, with a warning.
    """
    s = results.scenario
    meta = s.parameters.meta
    lines = [f"**情景：{escape(report_title(s))}**（`{s.name}`）", ""]
    if s.cli_overrides:
        lines += [
            "**本次运行修改的参数**（命令行 `--set`，以下结果均按修改后的取值计算；情景说明中的数字以此为准）：",
            "",
        ]
        lines += [f"- **{meta[n]['label']['zh']}**（`{n}`）= {escape(str(s.parameters[n]))}" for n in s.cli_overrides]
        lines += [""]
    lines += [escape(s.description)]
    changed = {n: w for n, w in s.parameters.overridden.items() if n not in s.cli_overrides}
    if changed:
        items = [
            f"{meta[n]['label']['zh']}（`{n}`）= {escape(str(s.parameters[n]))}（来自 {escape(str(where))}）"
            for n, where in changed.items()
        ]
        lines += ["", "情景对默认参数的修改：", ""] + [f"- {x}" for x in items]
    return "\n".join(lines)


def notes_markdown(results: Results) -> str:
    """List the allocation's notes (district centre not built, a unit without inclusive slots …) in Chinese.

    Each note is stored as ``中文 / English``; the report shows the Chinese part.
    """
    notes = [n for n, tech in _notes_zh(results) if not tech]
    return "\n".join(["**说明**", ""] + [f"- {n}" for n in notes]) if notes else ""


def _notes_zh(results: Results) -> list[tuple[str, bool]]:
    """Return the allocation's notes in Chinese, each with whether it is technical (:data:`TECHNICAL_NOTES`)."""
    texts = [str(n).split(" / ")[0] for n in results.summary.get("notes", [])]
    codes = [getattr(n, "code", "") for n in getattr(results, "notes", [])]
    if len(codes) != len(texts):  # notes without their records: nothing is known to be technical
        codes = [""] * len(texts)
    return [(t, c in TECHNICAL_NOTES) for t, c in zip(texts, codes, strict=True)]


def technical_markdown(results: Results) -> str:
    """Write the appendix's facts for modellers: solver status, objective value, rounding and degeneracy notes."""
    solver = results.summary.get("solver", {})
    lines = [f"- **求解状态**：{solver_zh(solver)}。"]
    if "objective_value" in solver:
        lines.append(
            f"- **目标函数值**：{solver['objective_value']:,.2f}（财政资金加未完成目标的罚金；罚金不是实际支出）。"
        )
    lines += [f"- {n}" for n, tech in _notes_zh(results) if tech]
    lines += rationing_lines(results)  # the rules that decide who is short, said even when no one is
    return "\n".join(lines)


def headline_markdown(results: Results) -> str:
    """Write the 摘要 paragraph: public money by year, slots, inclusive share, shortfalls, fee cap."""
    s = results.summary
    years = [str(y) for y in results.years]
    cost = "，".join(f"{y}年{wan(s['public_cost_yuan'][y])}" for y in years)
    new = "，".join(f"{y}年{s['new_slots'][y]:,.0f}个" for y in years)
    share = "，".join(
        f"{y}年底{s['inclusive_share'][y]:.1%}（目标{s['inclusive_share_target'][y]:.0%}）" for y in years
    )
    caps = "，".join(f"{y}年{s['fee_cap_yuan'][y]:,.0f}元" for y in years if y in s["fee_cap_yuan"])
    cap_share = percent_text(fee_cap_share(results))
    lines = [
        f"- **财政资金**：合计{wan(s['public_cost_yuan']['total'])}（{cost}）。",
        f"- **新增托位**：{new}；存量转普惠"
        + "，".join(f"{y}年{s['converted_slots'][y]:,.0f}个" for y in years)
        + "。",
        f"- **普惠托位占比**：{share}。",
        shortfall_line(s, years),
        *rationing_lines(results, s.get("shortfall_by_year", {}).get(years[-1], 0) >= 0.5),
        f"- **收费上限**（上一年度家庭月可支配收入的{cap_share}，按本情景参数）：{caps}/人·月。",
    ]
    return "\n".join(lines)


def shortfall_line(summary: Mapping[str, Any], years: Sequence[str]) -> str:
    """Write the 摘要's line on unmet targets: the final year-end's shortfall by kind, earlier year-ends after it.

    Shortfalls are stocks at a year-end, never added across years.

    Examples
    --------
    >>> s = {"shortfall_by_year": {"2024": 120.0, "2025": 0.0}, "shortfall_by_kind_by_year": {}}
    >>> shortfall_line(s, ["2024", "2025"])
    '- **目标缺口**：2025年底全部托位目标均可完成（2024年底缺口120个）。'

    """
    by_year = summary.get("shortfall_by_year", {})
    last = years[-1]
    earlier = [f"{y}年底缺口{by_year.get(y, 0):,.0f}个" for y in years[:-1] if by_year.get(y, 0) >= 0.5]
    tail = f"（{'，'.join(earlier)}）" if earlier else ""
    final = by_year.get(last, 0)
    if final < 0.5:
        return f"- **目标缺口**：{last}年底全部托位目标均可完成{tail}。"
    k = summary.get("shortfall_by_kind_by_year", {}).get(last, {})
    parts = [f"托位总数缺口{k.get('total', 0):,.0f}个", f"普惠托位缺口{k.get('inclusive', 0):,.0f}个"]
    parts += [
        f"{label}{k[key]:,.0f}个"
        for key, label in (
            ("coverage", "普惠全覆盖下限差"),
            ("share", "全区普惠占比差"),
            ("centre", "区托育综合服务中心缺"),
        )
        if k.get(key, 0) >= 0.5
    ]
    return (
        f"- **目标缺口**：{last}年底仍有**{final:,.0f}个**托位目标未能完成（{'，'.join(parts)}；"
        f"普惠各项目标相互重叠，只计最大者）{tail}，详见“托位目标与缺口”。"
    )


def rationing_lines(results: Results, short: bool = True) -> list[str]:
    """Return the order of the plan's requirements and the rationing rule, one line each (only when ``short``)."""
    if not short:
        return []
    p = results.scenario.parameters
    order = priority_sentence(parse_priority(str(p["requirement_priority"]))).split(" / ")[0]
    rule = rationing_sentence(str(p["rationing_rule"])).split(" / ")[0]
    return [f"- **优先次序**：{order}", f"- **缺口分配规则**：{rule}"]


def fee_cap_markdown(results: Results) -> str:
    """How the fee cap is computed: this scenario's numbers, whose income (sourced or derived), the 3-person cap."""
    p = results.scenario.parameters
    s = results.summary
    year = str(max(results.years))
    measure = INCOME_MEASURE_LABEL_ZH.get(p["income_measure"], p["income_measure"])
    area = INCOME_AREA_LABEL_ZH.get(p["income_area"], p["income_area"])
    h = fee_cap_headline(p, results.years)
    basis = "；".join(
        f"{r.year}年上限用{r.income_year}年{area}收入{r.income_per_capita_yuan:,.0f}元"
        + (
            "（有出处）"
            if r.income_status == "sourced"
            else f"（无大兴数据，按北京市{r.beijing_income_per_capita_yuan:,.0f}元×{r.district_income_ratio:g}推算）"
        )
        for r in h.itertuples()
    )
    last = h.iloc[-1]
    return (
        f"收费上限 = 上一年度{area}{measure}人均可支配收入 × 户均人口 {p['household_size']} ÷ 12"
        f" × {percent_text(fee_cap_share(results))}（工作方案：本区上一年度家庭月均可支配收入）。{basis}。"
        f"{year}年家庭月可支配收入 {s['household_monthly_income_yuan'][year]:,.0f} 元，"
        f"收费上限 {s['fee_cap_yuan'][year]:,.0f} 元/人·月，"
        f"普惠收费 {s['inclusive_fee_yuan'][year]:,.0f} 元/人·月。"
        f"按三口之家（{last.family_household_size:g}人）计算，上限为 {last.fee_cap_family_yuan:,.0f} 元"
        + (
            f"；按北京市收入和北京户均人口 {last.beijing_household_size:g} 人计算，"
            f"为 {last.beijing_fee_cap_yuan:,.0f} 元。"
            if p["income_area"] != "beijing"
            else "。"
        )
        + "运营成本高于收费的部分即补贴缺口，由财政运营补贴承担（见下表）。"
    )


def family_burden_line(results: Results) -> float:
    """Return the family burden line, a share of income: the run's fee-cap share × ``family_burden_line_of_cap``.

    Tied to the fee-cap share the run used (:func:`fee_cap_share`), so ``--set fee_cap_share=…``
    moves the line with the cap and the report never states a share of its own.
    """
    return fee_cap_share(results) * float(results.scenario.parameters["family_burden_line_of_cap"])


def family_burden_rows(results: Results, year: int | None = None) -> pd.DataFrame:
    """Return the families whose net monthly cost is above the burden line, per kind of place.

    The line is :func:`family_burden_line` of the family's monthly disposable income; the cost
    is the ``family_costs`` table's net cost (fee + meals − allowance − tax saving), for an
    inclusive place and for a market one. Columns: ``family``,
    ``place`` (普惠托位 / 市场化托位), ``share`` (of income), ``points`` (percentage points above
    the line), ``yuan`` (a month above the line).
    """
    year = year or max(results.years)
    limit = family_burden_line(results)
    f = results["family_costs"]
    rows = []
    for r in f[f.year == year].itertuples(index=False):
        income = float(r.household_monthly_income_yuan)
        for place, cost in (("普惠托位", r.net_monthly_cost_yuan), ("市场化托位", r.market_net_monthly_cost_yuan)):
            if income > 0 and float(cost) > limit * income + 0.5:  # above the line by more than half a yuan
                share = float(cost) / income
                rows.append((r.household_label_zh, place, share, (share - limit) * 100, float(cost) - limit * income))
    return pd.DataFrame(rows, columns=["family", "place", "share", "points", "yuan"])


def family_burden_markdown(results: Results, year: int | None = None) -> str:
    """Say which families pay more than the burden line of their income, for which places, and by how much."""
    year = year or max(results.years)
    limit = percent_text(family_burden_line(results))
    rows = family_burden_rows(results, year)
    head = (
        f"按家庭实际负担超过家庭月可支配收入的{limit}计"
        "（负担参照线为假设：收费上限比例×参数 `family_burden_line_of_cap`）"
    )
    if rows.empty:
        return f"{head}，{year}年各类家庭的实际负担均未超过这一比例。"
    parts = []
    for place, part in rows.groupby("place", sort=False):
        who = "、".join(
            f"{r.family}{r.share:.1%}（高{r.points:.1f}个百分点，每月多{r.yuan:,.0f}元）" for r in part.itertuples()
        )
        parts.append(f"{place}：{who}")
    return f"**家庭负担提示**：{head}，{year}年负担偏重的有——" + "；".join(parts) + "。"


def assumptions_markdown(results: Results) -> str:
    """Say how many inputs are sourced, derived, proxies, assumptions or settings, and where each is listed."""
    counts = input_status_counts(results)
    return (
        f"本次测算共使用{sum(counts.values())}项输入数据：有出处{counts['sourced']}项，推算{counts['derived']}项，"
        f"代理值{counts['proxy']}项，假设{counts['assumption']}项，模型设置（如罚金系数、求解器）{counts['setting']}项。"
        "假设和代理值在获得官方数据后应替换，替换方法见 data/README.md；"
        "参数的假设和代理值列在本节之后，各属地基础数据的来源见 data/towns.csv 的来源列。"
    )


def not_modelled_markdown(results: Results) -> str:
    """List, from the scenario header, what the model leaves out."""
    items = results.scenario.not_modelled
    return "\n".join(f"- {escape(str(x))}" for x in items) if items else "（情景文件未列出。）"


TOP_ASSUMPTIONS = 5  # assumptions named in the 不确定性 section


def factor_label(name: str, labels: Mapping[str, str]) -> str:
    """Chinese label of a parameter named as in ``--set``, keys translated (channels, age bands).

    Examples
    --------
    >>> factor_label("capital_cost.community", {"capital_cost": "新增托位建设成本"})
    '新增托位建设成本（社区托育点）'

    """
    top, *rest = name.split(".")
    keys = {**VALUE_LABELS["channel"], **VALUE_LABELS["age_band"]}
    zh = labels.get(top, top)
    return f"{zh}（{'.'.join(keys.get(k, k) for k in rest)}）" if rest else zh


def sweeps_folder(output_dir: str) -> Any:
    """Return where ``tuoyu sweep`` writes beside a run's folder: ``<outputs>/sweeps``.

    A run's notebook works in a folder inside the outputs folder (``output_dir`` '.'); without
    one (the notebook opened on its own) the default outputs folder.
    """
    return (Path(output_dir).resolve().parent if output_dir else outputs_dir()) / "sweeps"


def uncertainty_markdown(results: Results, sweeps_dir: Any) -> str:
    """Return the 不确定性 section when a sweep of this scenario exists in ``sweeps_dir``, else ''.

    A matching sweep starts from the scenario with nothing fixed (and the run has no ``--set``):
    a Monte Carlo sweep gives the P10–P90 band of the public money, a Morris or Sobol sweep the
    assumptions that move it most; the section points to their reports.
    """
    if results.scenario.cli_overrides:
        return ""
    band, top = None, None
    for path in sorted(Path(sweeps_dir).glob("*/summary.json")):
        try:
            s = json.loads(path.read_text("utf-8"))
        except (OSError, ValueError):
            continue
        if s.get("scenario") != results.scenario.name or s.get("fixed"):
            continue
        if band is None and "public_cost_total_yuan" in s:
            band = (path.parent.name, s)
        if top is None and s.get("top_factors"):
            top = (path.parent.name, s)
    if band is None and top is None:
        return ""
    meta = results.scenario.parameters.meta
    lines = ["## 不确定性", ""]
    if band is not None:
        name, s = band
        q = s["public_cost_total_yuan"]
        lines.append(
            f"- 对有取值范围的假设抽样 {s['n_points']:,} 次（{s['title']}）：财政资金合计的 P10–P90 区间为 "
            f"{wan(q['p10'], 2)}–{wan(q['p90'], 2)}，中位数 {wan(q['p50'], 2)}；详见 sweeps/{name}/report.html"
        )
    if top is not None:
        name, s = top
        zh = {n: m["label"]["zh"] for n, m in meta.items()}
        labels = [factor_label(f, zh) for f in s["top_factors"][:TOP_ASSUMPTIONS]]
        lines.append(f"- 对财政资金影响最大的假设（{s['title']}）：{'、'.join(labels)}；详见 sweeps/{name}/report.html")
    return "\n".join(lines)


def assumptions_summary_table(results: Results) -> pd.DataFrame:
    """Return the assumptions and proxies among the parameters: what a reader should check first (short columns)."""
    t = assumptions_table(results)
    keep = t[t["性质"].isin([STATUS_MARK["assumption"], STATUS_MARK["proxy"]])]
    return keep[["性质", "参数", "取值", "单位"]].reset_index(drop=True)
