"""What the report notebooks show, in Chinese: headline text, scenario notes, shadow-price sentences.

The notebooks call these functions and display what they return; every number comes from
:class:`tuoyu_model.results.Results`. Tables for people are :mod:`tuoyu_model.presentation.tables`;
they are rendered to HTML here (``to_html`` with fixed formats, no random element ids) so the
exported report is the same on every run.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from tuoyu_model.data import TOWN_FIGURES
from tuoyu_model.parameters import Scenario
from tuoyu_model.presentation.tables import solver_zh, text_for_people
from tuoyu_model.presentation.vocabulary import (
    INCOME_MEASURE_LABEL_ZH,
    MODIFIED_MARK,
    PENALTY_HEADING,
    SHADOW_FAMILIES,
    SHEETS,
    UNIT_ZH,
    VALUE_LABELS,
    unit_zh,
    wan,
)
from tuoyu_model.pricing import INCOME_AREA_LABEL_ZH, fee_cap_headline
from tuoyu_model.results import Results


def _cjk(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in str(text))


def html_table(df: pd.DataFrame, digits: int = 1, index: bool = False, formats: Mapping[str, int] | None = None) -> Any:
    """Return an IPython HTML table; every number shown by :func:`tuoyu_model.presentation.tables.text_for_people`.

    Decimals follow the unit (row's ``单位`` or the header's brackets: 个/人/元 none, 万元 two,
    % one); ``digits`` applies to numbers without a known unit, ``formats`` to named columns.
    Missing values are blank cells.
    """
    from IPython.display import HTML  # lazy: only the notebooks need IPython

    text = text_for_people(df.reset_index() if index else df, digits, formats)
    return HTML(text.to_html(index=False, na_rep="", border=0, classes="tuoyu-table", justify="left"))


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

    The scenario's description is its file's text; after ``--set`` it may quote values the run
    no longer uses, so the changed parameters come before it, with a warning.
    """
    s = results.scenario
    meta = s.parameters.meta
    lines = [f"**情景：{report_title(s)}**（`{s.name}`）", ""]
    if s.cli_overrides:
        lines += [
            "**本次运行修改的参数**（命令行 `--set`，以下结果均按修改后的取值计算；情景说明中的数字以此为准）：",
            "",
        ]
        lines += [f"- **{meta[n]['label']['zh']}**（`{n}`）= {s.parameters[n]}" for n in s.cli_overrides]
        lines += [""]
    lines += [s.description]
    changed = {n: w for n, w in s.parameters.overridden.items() if n not in s.cli_overrides}
    if changed:
        items = [
            f"{meta[n]['label']['zh']}（`{n}`）= {s.parameters[n]}（来自 {where}）" for n, where in changed.items()
        ]
        lines += ["", "情景对默认参数的修改：", ""] + [f"- {x}" for x in items]
    return "\n".join(lines)


def notes_markdown(results: Results) -> str:
    """List the allocation's notes (district centre not built, a unit without inclusive slots …) in Chinese.

    Each note is stored as ``中文 / English``; the report shows the Chinese part.
    """
    notes = [str(n).split(" / ")[0] for n in results.summary.get("notes", [])]
    return "\n".join(["**说明**", ""] + [f"- {n}" for n in notes]) if notes else ""


REPORT_CSS = """
body, .jp-Notebook, .jp-RenderedHTMLCommon {
  font-family: "Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", "SimHei", sans-serif;
}
table.tuoyu-table { border-collapse: collapse; table-layout: auto; }
table.tuoyu-table th, table.tuoyu-table td { padding: 2px 8px; word-break: normal; overflow-wrap: normal; }
table.tuoyu-table td:first-child, table.tuoyu-table th { white-space: nowrap; }
table.tuoyu-table td { white-space: nowrap; }
table.tuoyu-table td.wrap { white-space: normal; min-width: 16em; }
@media print {
  body, .jp-RenderedHTMLCommon { font-size: 9pt; }
  table.tuoyu-table { font-size: 8pt; width: auto; max-width: 100%; page-break-inside: auto; }
  table.tuoyu-table td, table.tuoyu-table th { white-space: normal; word-break: keep-all; }
  table.tuoyu-table tr { page-break-inside: avoid; }
  .jp-Cell { page-break-inside: avoid; }
  @page { size: A4 landscape; margin: 12mm; }
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
    solver = s.get("solver", {})
    lines = [
        f"- **财政资金**：合计{wan(s['public_cost_yuan']['total'])}（{cost}）。",
        f"- **新增托位**：{new}；存量转普惠"
        + "，".join(f"{y}年{s['converted_slots'][y]:,.0f}个" for y in years)
        + "。",
        f"- **普惠托位占比**：{share}。",
        shortfall_line(s, years),
        f"- **收费上限**（上一年度家庭月可支配收入的{cap_share}，按本情景参数）：{caps}/人·月。",
        f"- **求解状态**：{solver_zh(solver)}。",
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
    """Count parameters by status and of town figures that are proxies or assumptions."""
    t = results.scenario.parameters.table()
    counts = t["status"].value_counts()
    towns = results["towns"]  # the unit data the run read, not the file as it is now
    flagged = sum(int(towns[f"{c}_source"].str.contains("ASSUMPTION|PROXY", case=False).sum()) for c in TOWN_FIGURES)
    return (
        f"本报告使用 {len(t)} 个参数：有出处 {counts.get('sourced', 0)} 个，推算 {counts.get('derived', 0)} 个，"
        f"代理值 {counts.get('proxy', 0)} 个，假设 {counts.get('assumption', 0)} 个（下表以 ⚠ 标出），"
        f"模型设置（如惩罚系数、求解器）{counts.get('setting', 0)} 个。"
        f"各属地基础数据（data/towns.csv）中有 {flagged} 项为代理值或假设，每项均在其来源列中说明，"
        "可用官方数据替换。"
    )


def not_modelled_markdown(results: Results) -> str:
    """List, from the scenario header, what the model leaves out."""
    items = results.scenario.not_modelled
    return "\n".join(f"- {x}" for x in items) if items else "（情景文件未列出。）"


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

    from tuoyu_model.paths import outputs_dir

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
