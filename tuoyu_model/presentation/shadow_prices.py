"""The report's shadow prices in words: one group per constraint family, unmet targets apart.

Reads ``shadow_prices`` (with the ``meaning`` sentences :func:`tuoyu_model.presentation.sentences.worded`
adds) and groups, sorts and merges them for people: units with the same sentence are named
together, values stay in each family's own unit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from tuoyu_model.presentation.vocabulary import PENALTY_HEADING, SHADOW_FAMILIES, SHEETS
from tuoyu_model.results import Results
from tuoyu_model.units import UNIT_ZH, unit_zh


def _cjk(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in str(text))


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
