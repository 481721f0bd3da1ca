"""What the report notebooks show, in Chinese: headline text, tables for people, sentences.

The notebooks call these functions and display what they return; every number comes from
:class:`tuoyu_model.model.Results`. Tables are rendered to HTML here (``to_html`` with fixed
formats, no random element ids) so the exported report is the same on every run.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from tuoyu_model.outputs import (
    VALUE_LABELS,
    WAN,
    for_people,
    parameters_for_people,
    people_number,
    solver_zh,
    text_for_people,
    unit_zh,
)

STATUS_MARK = {
    "assumption": "⚠ 假设",
    "proxy": "⚠ 代理值",
    "derived": "推算",
    "sourced": "有出处",
    "setting": "模型设置",
}


def _cjk(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in str(text))


def wan(yuan: float, digits: int = 1) -> str:
    """Format yuan as 万元 text.

    Examples
    --------
    >>> wan(12_345_678)
    '1,234.6万元'

    """
    return f"{yuan / WAN:,.{digits}f}万元"


def html_table(df: pd.DataFrame, digits: int = 1, index: bool = False, formats: Mapping[str, int] | None = None) -> Any:
    """Return an IPython HTML table; every number shown by :func:`tuoyu_model.outputs.text_for_people`.

    Decimals follow the unit (row's ``单位`` or the header's brackets: 个/人/元 none, 万元 two,
    % one); ``digits`` applies to numbers without a known unit, ``formats`` to named columns.
    Missing values are blank cells.
    """
    from IPython.display import HTML

    text = text_for_people(df.reset_index() if index else df, digits, formats)
    return HTML(text.to_html(index=False, na_rep="", border=0, classes="tuoyu-table", justify="left"))


MODIFIED_MARK = "（已修改参数）"


def report_title(scenario: Any) -> str:
    """Return the title of a run's report: the scenario's, marked when ``--set`` changed parameters.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> report_title(SimpleNamespace(title="基准情景", cli_overrides={"household_size": 3}))
    '基准情景（已修改参数）'

    """
    return scenario.title + (MODIFIED_MARK if scenario.cli_overrides else "")


def scenario_markdown(results: Any) -> str:
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


def notes_markdown(results: Any) -> str:
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
    from IPython.display import HTML

    return HTML(f"<style>{REPORT_CSS}</style>")


def headline_markdown(results: Any) -> str:
    """Write the 摘要 paragraph: public money by year, slots, inclusive share, shortfalls, fee cap."""
    s = results.summary
    years = [str(y) for y in results.years]
    cost = "，".join(f"{y}年{wan(s['public_cost_yuan'][y])}" for y in years)
    new = "，".join(f"{y}年{s['new_slots'][y]:,.0f}个" for y in years)
    share = "，".join(
        f"{y}年底{s['inclusive_share'][y]:.1%}（目标{s['inclusive_share_target'][y]:.0%}）" for y in years
    )
    caps = "，".join(f"{y}年{s['fee_cap_yuan'][y]:,.0f}元" for y in years if y in s["fee_cap_yuan"])
    solver = s.get("solver", {})
    lines = [
        f"- **财政资金**：合计{wan(s['public_cost_yuan']['total'])}（{cost}）。",
        f"- **新增托位**：{new}；存量转普惠"
        + "，".join(f"{y}年{s['converted_slots'][y]:,.0f}个" for y in years)
        + "。",
        f"- **普惠托位占比**：{share}。",
        shortfall_line(s, years),
        f"- **收费上限**（上一年度家庭月可支配收入的20%口径，按本情景参数）：{caps}/人·月。",
        f"- **求解状态**：{solver_zh(solver)}。",
    ]
    return "\n".join(lines)


def summary_table_for_people(results: Any) -> pd.DataFrame:
    """Return the headline figures as the report shows them: 指标, 年份, 数值 (as text, digits by unit), 单位.

    Slots and people without decimals, 万元 with two, percentages with one, yuan without.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> t = pd.DataFrame({"label_zh": ["新增托位", "财政资金需求"], "year": [2024, "合计"], "value": [2350.0, 521.0622],
    ...                   "unit_zh": ["个", "万元"]})
    >>> summary_table_for_people(SimpleNamespace(tables={"summary": t})).to_dict("list")["数值"]
    ['2,350', '521.06']

    """
    t = results.tables["summary"]
    return pd.DataFrame(
        {
            "指标": t["label_zh"],
            "年份": t["year"].astype(str),
            "数值": [people_number(v, u) for v, u in zip(t["value"], t["unit_zh"], strict=True)],
            "单位": t["unit_zh"],
        }
    )


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


def town_gap_table(results: Any, year: int | None = None) -> pd.DataFrame:
    """Slots reached against targets by town at the end of ``year`` (default the last), for people."""
    year = year or max(results.years)
    stock = results["stock"]
    df = stock[stock.year == year][
        [
            "town",
            "target_total",
            "total_slots",
            "shortfall_total",
            "target_inclusive",
            "inclusive_slots",
            "shortfall_inclusive",
        ]
    ]
    total = df.drop(columns="town").sum().to_frame().T.assign(town="全区合计")[df.columns]
    return for_people(pd.concat([df, total], ignore_index=True))


def demand_table_for_people(results: Any) -> pd.DataFrame:
    """District demand against the targets by year (the informative level under proxy populations)."""
    d = results["district_demand"]
    d = d[d.year.isin(results.years)][["year", "children_under3", "slots_demanded", "target_total"]]
    return for_people(d).rename(columns={"托位目标（个）": "托位目标（个，全区）"})


def share_table(results: Any) -> pd.DataFrame:
    """District inclusive share by year against the target, for people."""
    t = results["inclusive_share"][["year", "total_slots", "inclusive_slots", "inclusive_share", "target"]].copy()
    t["inclusive_share"] = t["inclusive_share"] * 100
    t["target"] = t["target"] * 100
    return for_people(t).rename(columns={"普惠占比": "普惠占比（%）", "target": "目标（%）"})


def budget_table(results: Any) -> pd.DataFrame:
    """Public money by year, item and funding source, in 万元 (with a total column)."""
    b = results["budget_by_source"].copy()
    b["item"] = b["item"].map(lambda v: VALUE_LABELS["item"].get(v, v))
    b["funding_source"] = b["funding_source"].map(lambda v: VALUE_LABELS["funding_source"].get(v, v))
    pivot = (
        b.pivot_table(
            index=["year", "item"], columns="funding_source", values="amount_yuan", aggfunc="sum", sort=False
        ).fillna(0.0)
        / WAN
    )
    pivot["合计"] = pivot.sum(axis=1)
    pivot = pivot.reset_index().rename(columns={"year": "年份", "item": "项目"})
    pivot.columns.name = None
    return pivot.rename(columns={c: f"{c}（万元）" for c in pivot.columns if c not in ("年份", "项目")})


def pricing_table_for_people(results: Any, year: int | None = None) -> pd.DataFrame:
    """Per channel: fee cap, fee, occupancy, fee revenue per slot, monthly cost and subsidy (= cost − revenue)."""
    year = year or max(results.years)
    p = results["pricing"]
    p = p[p.year == year][
        [
            "channel",
            "household_monthly_income_yuan",
            "fee_cap_yuan",
            "fee_yuan",
            "occupancy",
            "revenue_per_slot_month_yuan",
            "cost_per_slot_month_yuan",
            "subsidy_per_slot_month_yuan",
        ]
    ]
    out = for_people(p.assign(occupancy=p["occupancy"] * 100))
    # subsidy = cost − fee × occupancy: the revenue column makes the arithmetic visible
    return out.rename(columns={"入托率": "入托率（%）"})


def family_table(results: Any, year: int | None = None) -> pd.DataFrame:
    """Tabulate what low, middle and high income families pay per month for an inclusive place."""
    year = year or max(results.years)
    f = results["family_costs"]
    f = f[f.year == year]
    cols = {
        "household_label_zh": "家庭类型",
        "household_monthly_income_yuan": "家庭月可支配收入（元）",
        "fee_yuan": "普惠收费（元/月）",
        "meals_yuan": "伙食费（元/月）",
        "allowance_monthly_yuan": "育儿补贴（元/月）",
        "tax_saving_monthly_yuan": "个税专项附加扣除节税（元/月）",
        "net_monthly_cost_yuan": "家庭实际负担（元/月）",
        "net_share_of_income": "实际负担占收入（%）",
        "market_net_monthly_cost_yuan": "市场化机构实际负担（元/月）",
    }
    out = f[[c for c in cols if c in f.columns]].rename(columns=cols)
    if "实际负担占收入（%）" in out:
        out["实际负担占收入（%）"] = out["实际负担占收入（%）"] * 100
    return out.reset_index(drop=True)


def cap_table(results: Any, year: int | None = None) -> pd.DataFrame:
    """Tabulate the fee cap across household sizes (rows) and income measures (columns), yuan per month."""
    year = year or max(results.years)
    c = results["cap_sensitivity"]
    c = c[c.year == year]
    pivot = c.pivot_table(
        index="household_size", columns="income_measure_label_zh", values="fee_cap_yuan", sort=False
    ).reset_index()
    pivot.columns.name = None
    pivot["household_size"] = pivot["household_size"].map(lambda v: f"{v:g}")
    return pivot.rename(columns={"household_size": "户均人口（人）"})


def fee_cap_markdown(results: Any) -> str:
    """How the fee cap is computed: this scenario's numbers, whose income (sourced or derived), the 3-person cap."""
    p = results.scenario.parameters
    s = results.summary
    year = str(max(results.years))
    from tuoyu_model.pricing import INCOME_AREA_LABEL_ZH, INCOME_MEASURE_LABEL_ZH, fee_cap_headline

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
        f" × {float(p['fee_cap_share']):.0%}（工作方案：本区上一年度家庭月均可支配收入）。{basis}。"
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


# Shadow-price families in the order the report shows them: (family or prefix, heading). Values
# of different families are in different units (per slot, per percentage point, per yuan) and
# are never sorted against each other.
SHADOW_FAMILIES: list[tuple[str, str]] = [
    ("total", "托位总数目标（每个托位）"),
    ("inclusive", "普惠托位目标（每个普惠托位）"),
    ("coverage", "普惠服务全覆盖下限（每个普惠托位）"),
    ("centre", "区托育综合服务中心（每个托位）"),
    ("share", "全区普惠托位占比（每个百分点）"),
    ("budget", "年度预算"),  # the unit (每万元 / 每元) is read from the sentences: see _budget_heading
    ("capacity", "各渠道产能（每个托位）"),
    ("conversion", "存量转普惠产能（每个托位）"),
]
PENALTY_HEADING = "未完成的目标（缺口大于零，按缺口大小；其罚金计入目标函数，不是实际成本）"
SHADOW_UNIT_ZH = {"yuan": "元", "weighted slot-years": "加权托位·年"}


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


def shadow_price_groups(results: Any, limit: int = 5, tolerance: float = 1.0) -> list[tuple[str, list[str]]]:
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
            heading += f"（单位：{SHADOW_UNIT_ZH.get(unit, unit)}）"
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
SHADOW_PRICES_SHEET = "影子价格"


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


def shadow_price_markdown(results: Any, limit: int = 5) -> str:
    """Render :func:`shadow_price_groups` as markdown: a bold heading and a list per family."""
    groups = shadow_price_groups(results, limit)
    if not groups:
        return "没有起作用的约束。"
    return "\n\n".join(f"**{heading}**\n\n" + "\n".join(f"- {s}" for s in sentences) for heading, sentences in groups)


def shadow_price_sentences(results: Any, limit: int = 5, tolerance: float = 1.0) -> list[str]:
    """Return the sentences of :func:`shadow_price_groups`, family after family, in one list."""
    return [s for _, sentences in shadow_price_groups(results, limit, tolerance) for s in sentences]


def workforce_table_for_people(results: Any) -> pd.DataFrame:
    """District workforce needs by year, for people."""
    w = results["workforce"]
    cols = [c for c in w.columns if c not in ("town_id", "town", "year")]
    by_year = w.groupby("year", as_index=False)[cols].sum()
    names = {
        "directors_needed": "所需机构负责人（人）",
        "certified_now_estimate": "现有持证人员估计（人）",
        "certification_gap": "持证缺口（人）",
        "training_places_needed": "需培训人次（人）",
    }
    return for_people(by_year).rename(columns=names)


def assumptions_table(results: Any) -> pd.DataFrame:
    """Every parameter with its value, unit, source and status; assumptions and proxies marked.

    Generated from the parameter metadata (``data/parameters/*.yaml``), never written by hand.
    """
    t = parameters_for_people(results.scenario.parameters)
    out = pd.DataFrame(
        {
            "性质": t["status"].map(lambda s: STATUS_MARK.get(s, s)),
            "参数": t["label_zh"] + "（" + t["name"] + "）",
            "取值": t["value"],
            "单位": t["unit"].map(unit_zh),
            "来源": t["source"],
            "年份": t["year"],
            "可信度": t["confidence"].map(lambda c: VALUE_LABELS["confidence"].get(c, c)),
            "情景修改": t["overridden"].map(lambda w: "是" if w else ""),
        }
    )
    order = {"assumption": 0, "proxy": 1, "derived": 2, "sourced": 3, "setting": 4}
    return out.iloc[t["status"].map(order).argsort(kind="stable")].reset_index(drop=True)


def assumptions_markdown(results: Any) -> str:
    """Count parameters by status and of town figures that are proxies or assumptions."""
    from tuoyu_model.data import TOWN_FIGURES

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


def not_modelled_markdown(results: Any) -> str:
    """List, from the scenario header, what the model leaves out."""
    items = results.scenario.not_modelled
    return "\n".join(f"- {x}" for x in items) if items else "（情景文件未列出。）"


# --- comparison of scenarios -------------------------------------------------------------------

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
