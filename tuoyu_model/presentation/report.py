"""What the report notebooks show, in Chinese: headline text, scenario notes, shadow-price sentences.

The notebooks call these functions and display what they return; every number comes from
:class:`tuoyu_model.results.Results`. Tables for people are :mod:`tuoyu_model.presentation.tables`;
they are rendered to HTML here (``to_html`` with fixed formats, no random element ids) so the
exported report is the same on every run.
"""

from __future__ import annotations

import base64
import datetime as dt
import os
from collections.abc import Mapping, Sequence
from html import escape
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pandas as pd

from tuoyu_model.allocation.inputs import parse_priority
from tuoyu_model.data_status import status_counts
from tuoyu_model.parameters import Scenario
from tuoyu_model.paths import outputs_dir
from tuoyu_model.presentation.sentences import priority_sentence, rationing_sentence
from tuoyu_model.presentation.tables import assumptions_table, solver_zh, text_for_people, unit_comparison_table
from tuoyu_model.presentation.vocabulary import (
    CHANNEL_LABEL_ZH,
    COMPARISON_SECTION,
    DISTRICT_TOTAL_ZH,
    FIGURE_ALT_ZH,
    INCOME_MEASURE_LABEL_ZH,
    MODIFIED_MARK,
    PENALTY_HEADING,
    REPORT_NAME,
    REPORT_SECTIONS,
    SHADOW_FAMILIES,
    SHEETS,
    STATUS_MARK,
    TECHNICAL_NOTES,
    TOTAL_ZH,
    UNIT_ZH,
    VALUE_LABELS,
    WAN,
    date_zh,
    unit_zh,
    wan,
)
from tuoyu_model.pricing import INCOME_AREA_LABEL_ZH, fee_cap_headline
from tuoyu_model.results import Results


def _cjk(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in str(text))


def html_table(
    df: pd.DataFrame,
    digits: int = 1,
    index: bool = False,
    formats: Mapping[str, int] | None = None,
    classes: str = "",
) -> Any:
    """Return an IPython HTML table; every number shown by :func:`tuoyu_model.presentation.tables.text_for_people`.

    Decimals follow the unit (row's ``单位`` or the header's brackets: 个/人/元 none, 万元 two,
    % one); ``digits`` applies to numbers without a known unit, ``formats`` to named columns.
    Missing values are blank cells. ``classes`` adds CSS classes: ``compact`` (headers wrap,
    for wide tables of numbers), ``wrap`` (text cells wrap, for tables of sentences).
    """
    from IPython.display import HTML  # lazy: only the notebooks need IPython

    text = text_for_people(df.reset_index() if index else df, digits, formats)
    css = " ".join(["tuoyu-table", *classes.split()])
    return HTML(text.to_html(index=False, na_rep="", border=0, classes=css, justify="left", escape=True))


class ReportFigure:
    """A chart of the report: the PNG (for the notebook) and an ``<img>`` with its Chinese alt text (for the HTML)."""

    def __init__(self, path: Any, alt: str) -> None:
        self.data = base64.b64encode(Path(path).read_bytes()).decode("ascii")
        self.alt = alt

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        img = f'<img class="tuoyu-figure" alt="{escape(self.alt)}" src="data:image/png;base64,{self.data}">'
        return {"image/png": self.data, "text/html": img, "text/plain": self.alt}


def figure(files: Mapping[str, Any], name: str) -> ReportFigure:
    """Return the chart ``figure:<name>`` written by the run, with its alt text from :data:`FIGURE_ALT_ZH`."""
    return ReportFigure(files[f"figure:{name}"], FIGURE_ALT_ZH.get(name, "图表"))


def report_title(scenario: Scenario) -> str:
    """Return the title of a run's report: the scenario's, marked when ``--set`` changed parameters.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> report_title(SimpleNamespace(title="基准情景", cli_overrides={"household_size": 3}))
    '基准情景（已修改参数）'

    """
    return scenario.title + (MODIFIED_MARK if scenario.cli_overrides else "")


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


REPORT_CSS = """
body, .jp-Notebook, .jp-RenderedHTMLCommon {
  font-family: "Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", "SimHei", sans-serif;
}
.jp-Notebook { max-width: 100%; box-sizing: border-box; }
.jp-OutputArea-output { max-width: 100%; overflow-x: auto; }
.tuoyu-title h1 { margin-bottom: 0.2em; }
.tuoyu-subtitle { font-size: 1.3em; margin: 0 0 0.6em 0; }
table.tuoyu-meta th { text-align: left; padding-right: 1em; white-space: nowrap; }
img.tuoyu-figure { max-width: 100%; height: auto; }
table.tuoyu-table { border-collapse: collapse; table-layout: auto; max-width: 100%; }
table.tuoyu-table th, table.tuoyu-table td { padding: 2px 8px; word-break: normal; overflow-wrap: normal; }
table.tuoyu-table td { white-space: nowrap; }
table.tuoyu-table th { white-space: nowrap; }
table.tuoyu-table.compact th { white-space: normal; min-width: 4em; vertical-align: bottom; }
table.tuoyu-table.compact th, table.tuoyu-table.compact td { padding: 2px 5px; font-size: 0.92em; }
table.tuoyu-table.wrap td { white-space: normal; min-width: 5em; max-width: 32em; vertical-align: top; }
table.tuoyu-table.wrap td:first-child { min-width: 4em; }
@media print {
  @page { size: A4 landscape; margin: 12mm; }
  body, .jp-RenderedHTMLCommon { font-size: 9pt; }
  .jp-OutputArea-output { overflow: visible; }
  h1, h2, h3, h4 { break-after: avoid; page-break-after: avoid; break-inside: avoid; }
  .jp-MarkdownCell { break-after: avoid; page-break-after: avoid; }
  table.tuoyu-table { font-size: 8pt; width: auto; max-width: 100%; }
  table.tuoyu-table td, table.tuoyu-table th { word-break: keep-all; }
  table.tuoyu-table tr { break-inside: avoid; page-break-inside: avoid; }
  .jp-OutputArea-child, img, table.tuoyu-meta { break-inside: avoid; page-break-inside: avoid; }
  img.tuoyu-figure { max-height: 110mm; max-width: 100%; width: auto; }
}
"""


def report_style() -> Any:
    """Return the report's stylesheet as HTML: Chinese fonts, tables that keep words whole, a print layout."""
    from IPython.display import HTML  # lazy: only the notebooks need IPython

    return HTML(f"<style>{REPORT_CSS}</style>")


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


def _family_of(family: str) -> str:
    for key, _ in SHADOW_FAMILIES:
        if family == key or family.startswith(f"{key}_"):
            return key
    return family


UNMET_SLOTS = 1e-6  # a shortfall below this (slots) is solver noise, not an unmet target


def _unmet_rows(sp: pd.DataFrame) -> pd.Series:
    """Rows whose target is not met: the row's ``shortfall`` (slots) is above solver noise.

    A table without the column (no allocation writes one now) has no unmet rows to show.
    """
    if "shortfall" not in sp:
        return pd.Series(False, index=sp.index)
    return pd.to_numeric(sp["shortfall"], errors="coerce").fillna(0.0) > UNMET_SLOTS


def _merge_towns(rows: pd.DataFrame, towns: Mapping[str, str]) -> list[str]:
    """One sentence per meaning, units with the same sentence named together (旧宫镇、瀛海镇（2个属地）)."""
    groups: dict[str, list[str]] = {}  # sentence with the unit's name taken out -> units
    for r in rows.itertuples(index=False):
        town = towns.get(r.town_id, "") if isinstance(r.town_id, str) else ""
        if _cjk(r.meaning):
            text = str(r.meaning)
        else:
            year = f"{int(r.year)}年" if pd.notna(r.year) else ""
            text = f"约束“{r.constraint}”（{town or '全区'}{year}）：放宽一个单位，目标函数值变化 {r.value:,.4g}"
        key = text.replace(town, "{town}", 1) if town and town in text else text
        groups.setdefault(key, []).append(town)
    out = []
    for key, names in groups.items():
        if len(names) > 1:
            shown = "、".join(names[:5]) + (f"等{len(names)}个属地" if len(names) > 5 else f"（{len(names)}个属地）")
            out.append(key.replace("{town}", shown))
        else:
            out.append(key.replace("{town}", names[0]))
    return out


def shadow_price_groups(results: Results, limit: int = 5, tolerance: float = 1.0) -> list[tuple[str, list[str]]]:
    """Return the shadow prices as ``(heading, sentences)`` by constraint family.

    Each family (:data:`SHADOW_FAMILIES`) is sorted by size within itself, at most ``limit``
    sentences; values are in the family's unit (per slot, per percentage point, per yuan), so
    families are never ranked against each other. Rows of unmet targets (their ``shortfall``
    > 0) carry penalties, not costs: they are listed apart under :data:`PENALTY_HEADING`. Rows
    below ``tolerance`` in their own unit are left out, except a binding budget row, which is
    always shown. Values are read from ``value`` (in the table's ``unit``) when the table has
    it, else from ``value_yuan``; a unit other than yuan (objective ``max_slots``) is named in
    the heading.
    """
    sp = results["shadow_prices"].copy()
    if sp.empty:
        return []
    towns = results["stock"].drop_duplicates("town_id").set_index("town_id")["town"].to_dict()
    families = sp["family"] if "family" in sp else sp["constraint"].astype(str).str.split("-").str[0]
    sp["group"] = families.astype(str).map(_family_of)
    if "value" not in sp:  # tables before the 'unit' column: values in yuan
        sp["value"] = sp["value_yuan"]
    sp["value"] = pd.to_numeric(sp["value"], errors="coerce").fillna(0.0)
    size = sp.value.abs()
    is_unmet = _unmet_rows(sp)
    binding = sp["binding"].astype(bool) if "binding" in sp else size > 0
    keep = (size >= tolerance) | ((sp.group == "budget") & binding) | is_unmet
    out: list[tuple[str, list[str]]] = []
    for key, heading in SHADOW_FAMILIES:
        part = sp[keep & ~is_unmet & (sp.group == key)]
        if part.empty:
            continue
        part = part.loc[part.value.abs().sort_values(ascending=False, kind="stable").index]
        if "unit" in part and part["unit"].nunique() == 1 and str(part["unit"].iloc[0]) != "yuan":
            unit = str(part["unit"].iloc[0])
            heading += f"（单位：{UNIT_ZH.get(unit, unit)}）"
        sentences = _merge_towns(part, towns)[:limit]
        out.append((_budget_heading(heading, sentences) if key == "budget" else heading, sentences))
    unmet = sp[is_unmet]
    if len(unmet):
        unmet = unmet.loc[
            pd.to_numeric(unmet["shortfall"], errors="coerce").sort_values(ascending=False, kind="stable").index
        ]
        if "value_slots" in unmet:
            unmet = unmet.assign(meaning=[_with_value_slots(r) for r in unmet.itertuples(index=False)])
        # district targets (share, centre, coverage of the district) are always shown; units up to the limit
        district = unmet[unmet["town_id"].isna() | (unmet["town_id"].astype(str).isin(["", "district"]))]
        towns_part = _merge_towns(unmet.drop(district.index), towns)
        rest = (
            [f"其余{len(towns_part) - limit}个属地见 {SHADOW_PRICES_CSV} 或 Excel {SHADOW_PRICES_SHEET}表"]
            if len(towns_part) > limit
            else []
        )
        out.append((PENALTY_HEADING, _merge_towns(district, towns) + towns_part[:limit] + rest))
    return out


SHADOW_PRICES_CSV = "tables/shadow_prices.csv"
SHADOW_PRICES_SHEET = {key: name for name, key in SHEETS}["shadow_prices"]


def _budget_heading(heading: str, sentences: Sequence[str]) -> str:
    """Name the budget group's unit as its sentences do: per 万元 (shortfall slots) or per 元 (cost).

    Examples
    --------
    >>> _budget_heading("年度预算", ["2025年每增加1万元预算，可减少约0.6个托位缺口"])
    '年度预算（每万元）'
    >>> _budget_heading("年度预算", ["2025年预算每增加1元，公共支出减少约0.1元"])
    '年度预算（每元）'
    >>> _budget_heading("年度预算", ["2025年每增加1万元预算 …", "2024年预算每增加1元 …"])
    '年度预算（每万元或每元，见各句）'

    """
    wan = any("万元" in s for s in sentences)
    yuan = any("1元" in s for s in sentences)
    return heading + ("（每万元或每元，见各句）" if wan and yuan else "（每万元）" if wan else "（每元）")


def _with_value_slots(row: Any) -> str:
    """Append the shadow price of an unmet target in slots of shortfall, with its unit."""
    v = getattr(row, "value_slots", None)
    unit = getattr(row, "value_slots_unit", "") or ""
    if v is None or pd.isna(v) or not unit:
        return str(row.meaning)
    return f"{row.meaning}；影子价格 {float(v):,.2f} {unit_zh(unit)}"


def shadow_price_markdown(results: Results, limit: int = 5) -> str:
    """Render :func:`shadow_price_groups` as markdown: a bold heading and a list per family."""
    groups = shadow_price_groups(results, limit)
    if not groups:
        return "没有起作用的约束。"
    return "\n\n".join(f"**{heading}**\n\n" + "\n".join(f"- {s}" for s in sentences) for heading, sentences in groups)


def shadow_price_sentences(results: Results, limit: int = 5, tolerance: float = 1.0) -> list[str]:
    """Return the sentences of :func:`shadow_price_groups`, family after family, in one list."""
    return [s for _, sentences in shadow_price_groups(results, limit, tolerance) for s in sentences]


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
    from pathlib import Path

    return (Path(output_dir).resolve().parent if output_dir else outputs_dir()) / "sweeps"


def uncertainty_markdown(results: Results, sweeps_dir: Any) -> str:
    """Return the 不确定性 section when a sweep of this scenario exists in ``sweeps_dir``, else ''.

    A matching sweep starts from the scenario with nothing fixed (and the run has no ``--set``):
    a Monte Carlo sweep gives the P10–P90 band of the public money, a Morris or Sobol sweep the
    assumptions that move it most; the section points to their reports.
    """
    import json
    from pathlib import Path

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


def assumptions_summary_table(results: Results) -> pd.DataFrame:
    """Return the assumptions and proxies among the parameters: what a reader should check first (short columns)."""
    t = assumptions_table(results)
    keep = t[t["性质"].isin([STATUS_MARK["assumption"], STATUS_MARK["proxy"]])]
    return keep[["性质", "参数", "取值", "单位"]].reset_index(drop=True)


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
