"""The report's tables, built from a run's :class:`~tuoyu_model.results.Results`, as people read them.

Chinese headers with units, codes in words, 万元, 合计 rows; the conversions they go through
(:func:`~tuoyu_model.presentation.formatting.for_people`, ``people_number``, ``text_for_people``)
are :mod:`tuoyu_model.presentation.formatting`, named here too for the notebook's ``T.``.
"""

from __future__ import annotations

import pandas as pd

from tuoyu_model.presentation.formatting import (
    column,
    for_people,
    header_unit,
    is_blank,
    parameter_text,
    parameters_for_people,
    people_number,
    solver_zh,
    summary_for_people,
    summary_notes,
    text_for_people,
    unit_digits,
)
from tuoyu_model.presentation.vocabulary import (
    BUDGET_ITEM_SHORT_ZH,
    DISTRICT_TOTAL_ZH,
    STATUS_MARK,
    TOTAL_ZH,
    VALUE_LABELS,
    WAN,
)
from tuoyu_model.results import Results
from tuoyu_model.units import unit_zh

__all__ = [  # the report's tables, and the conversions of formatting (older imports name them here)
    "assumptions_table",
    "budget_by_town_table",
    "budget_table",
    "cap_table",
    "column",
    "demand_table_for_people",
    "family_table",
    "for_people",
    "header_unit",
    "is_blank",
    "parameter_text",
    "parameters_for_people",
    "people_number",
    "pricing_table_for_people",
    "share_table",
    "solver_zh",
    "summary_for_people",
    "summary_notes",
    "summary_table_for_people",
    "text_for_people",
    "town_gap_table",
    "unit_comparison_table",
    "unit_digits",
    "workforce_table_for_people",
]


def summary_table_for_people(results: Results) -> pd.DataFrame:
    """Return the headline figures as the report shows them: 指标, 单位, one column per year, 合计 last.

    Numbers as text, decimals by unit (slots and people none, 万元 two, % one, 元 none); a
    figure without a value in a year is a blank cell.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> s = {"new_slots": {"2024": 2350.0, "total": 2350.0}, "public_cost_yuan": {"total": 5_210_622.0}}
    >>> summary_table_for_people(SimpleNamespace(summary=s)).values.tolist()
    [['财政资金需求', '万元', '', '521.06'], ['新增托位', '个', '2,350', '2,350']]

    """
    t = summary_for_people(results.summary)
    t = t.assign(year=t["year"].astype(str))
    years = list(dict.fromkeys(y for y in t["year"] if y != TOTAL_ZH)) + (
        [TOTAL_ZH] if (t["year"] == TOTAL_ZH).any() else []
    )
    labels = list(dict.fromkeys(t["label_zh"]))
    rows = []
    for label in labels:
        part = t[t["label_zh"] == label]
        unit = part["unit_zh"].iloc[0]
        values = dict(zip(part["year"], part["value"], strict=True))
        rows.append([label, unit] + [people_number(values[y], unit) if y in values else "" for y in years])
    return pd.DataFrame(rows, columns=["指标", "单位", *years])


def town_gap_table(results: Results, year: int | None = None) -> pd.DataFrame:
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
    total = df.drop(columns="town").sum().to_frame().T.assign(town=DISTRICT_TOTAL_ZH)[df.columns]
    return for_people(pd.concat([df, total], ignore_index=True))


def demand_table_for_people(results: Results) -> pd.DataFrame:
    """District demand against the targets by year (the informative level under proxy populations)."""
    d = results["district_demand"]
    d = d[d.year.isin(results.years)][["year", "children_under3", "slots_demanded", "target_total"]]
    return for_people(d).rename(columns={"托位目标（个）": "托位目标（个，全区）"})


def share_table(results: Results) -> pd.DataFrame:
    """District inclusive share by year against the target, for people."""
    t = results["inclusive_share"][["year", "total_slots", "inclusive_slots", "inclusive_share", "target"]].copy()
    t["inclusive_share"] = t["inclusive_share"] * 100
    t["target"] = t["target"] * 100
    return for_people(t).rename(columns={"普惠占比": "普惠占比（%）", "target": "目标（%）"})


def budget_table(results: Results) -> pd.DataFrame:
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


def budget_by_town_table(results: Results) -> pd.DataFrame:
    """Public money by unit (rows, 全区合计 last), year and item (columns, 小计 per year, 合计 last), in 万元.

    From ``tables/budget_by_town.csv``; items without money in any unit and year are left out.
    Headers name year and item (``2024年 建设补贴``); every number is 万元 (the caption says so).
    """
    b = results["budget_by_town"]
    items = [i for i in BUDGET_ITEM_SHORT_ZH if (b.loc[b["item"] == i, "amount_yuan"].abs() > 0).any()]
    towns = list(dict.fromkeys(b["town"]))
    out = pd.DataFrame({"属地": towns + [DISTRICT_TOTAL_ZH]})
    grand = pd.Series(0.0, index=towns)
    for y in results.years:
        part = b[b["year"] == y].pivot_table(index="town", columns="item", values="amount_yuan", aggfunc="sum")
        part = part.reindex(index=towns, columns=items, fill_value=0.0).fillna(0.0) / WAN
        for i in items:
            out[f"{y}年 {BUDGET_ITEM_SHORT_ZH[i]}"] = list(part[i]) + [part[i].sum()]
        sub = part.sum(axis=1)
        out[f"{y}年 小计"] = list(sub) + [sub.sum()]
        grand = grand + sub
    out[TOTAL_ZH] = list(grand) + [grand.sum()]
    return out


def pricing_table_for_people(results: Results, year: int | None = None) -> pd.DataFrame:
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


def family_table(results: Results, year: int | None = None) -> pd.DataFrame:
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


def cap_table(results: Results, year: int | None = None) -> pd.DataFrame:
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


def workforce_table_for_people(results: Results) -> pd.DataFrame:
    """District workforce needs by year, for people."""
    w = results["workforce"]
    cols = [c for c in w.columns if c not in ("town_id", "town", "year")]
    by_year = w.groupby("year", as_index=False)[cols].sum()
    return for_people(by_year)


def assumptions_table(results: Results) -> pd.DataFrame:
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


def unit_comparison_table(results: Results, base: Results, year: int | None = None) -> pd.DataFrame:
    """Per unit, this scenario against the baseline at the end of ``year`` (default the last), for people.

    Slots and inclusive slots at the year-end and the public money of the plan years (万元), each
    as 基准 / 本情景 / 差; only the units where something differs, then 全区合计.
    """
    year = year or max(results.years)

    def unit_figures(r: Results) -> pd.DataFrame:
        s = r["stock"]
        s = s[s.year == year].set_index("town")[["total_slots", "inclusive_slots"]]
        money = r["budget_by_town"].groupby("town")["amount_yuan"].sum() / WAN
        return s.assign(money=money.reindex(s.index).fillna(0.0))

    a, b = unit_figures(base), unit_figures(results).reindex(unit_figures(base).index).fillna(0.0)
    names = {"total_slots": "托位", "inclusive_slots": "普惠托位", "money": "财政资金"}
    units = {"total_slots": "个", "inclusive_slots": "个", "money": "万元"}
    out = pd.DataFrame({"属地": list(a.index)})
    for col, name in names.items():
        u = units[col]
        out[f"{name}·基准（{u}）"] = a[col].to_numpy()
        out[f"{name}·本情景（{u}）"] = b[col].to_numpy()
        out[f"{name}·差（{u}）"] = (b[col] - a[col]).to_numpy()
    diff_cols = [c for c in out.columns if "·差" in c]
    changed = out[(out[diff_cols].abs() > 0.005).any(axis=1)]
    total = out.drop(columns="属地").sum().to_frame().T.assign(属地=DISTRICT_TOTAL_ZH)[out.columns]
    return pd.concat([changed, total], ignore_index=True)
