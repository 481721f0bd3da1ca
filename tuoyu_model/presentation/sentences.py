"""Sentences people read about an allocation: its notes, its rules and a run's words, in Chinese and English.

The allocation returns numbers and :class:`~tuoyu_model.allocation.Note` records; this module
words them: :func:`note_text` (one note, ``"中文 / English"``), :func:`priority_sentence` and
:func:`rationing_sentence` (the plan's rules), :func:`budget_item_labels` (the budget items'
Chinese names), and :func:`worded`, which adds every word to a run's tables — the shadow prices'
through :func:`tuoyu_model.presentation.shadow_sentences.shadow_price_sentences`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping

import pandas as pd

from tuoyu_model.allocation import UNMET_TOL, Note
from tuoyu_model.presentation.marginal_sentences import marginal_value_sentences
from tuoyu_model.presentation.shadow_sentences import shadow_price_sentences, slots_text
from tuoyu_model.presentation.vocabulary import BUDGET_ITEM_ZH, REQUIREMENT_EN, REQUIREMENT_ZH, wan
from tuoyu_model.results import CONTRACT, Results


def _yuan(x: float) -> str:
    """Money in the English half of a note; the Chinese half says 万元 (:func:`wan`)."""
    return f"¥{x:,.0f}"


def priority_sentence(priority: tuple) -> str:
    """Say the order in which the plan's requirements are met, in one sentence (``"中文 / English"``).

    Examples
    --------
    >>> print(priority_sentence((("coverage", "centre"), ("share",), ("total", "inclusive"))).split(" / ")[0])
    资金或产能不足以完成全部要求时，依次优先保证：各属地普惠全覆盖下限和区托育综合服务中心，其次全区普惠占比，\
最后各属地托位总数目标和各属地普惠托位目标。

    """
    zh = ["和".join(REQUIREMENT_ZH[f] for f in tier) for tier in priority]
    en = [" and ".join(REQUIREMENT_EN[f] for f in tier) for tier in priority]
    zh_text = zh[0] + "".join(("，最后" if n == len(zh) - 1 else "，其次") + t for n, t in enumerate(zh) if n)
    en_text = ", then ".join(en)
    return (
        f"资金或产能不足以完成全部要求时，依次优先保证：{zh_text}。 / "
        f"When money or capacity cannot meet every requirement, they are met in this order: {en_text}."
    )


def rationing_sentence(rule: str) -> str:
    """Say who is short when the unit targets cannot all be met, in one sentence (``"中文 / English"``).

    Examples
    --------
    >>> print(rationing_sentence("least_cost").split(" / ")[0])
    各属地目标不能全部完成时，先使缺口总数尽量少；缺口数相同的方案中，按targets.csv的属地顺序使靠前的属地少缺，再使财政资金最省。

    """
    ties = (
        "缺口数相同的方案中，按targets.csv的属地顺序使靠前的属地少缺，再使财政资金最省。 / ",
        "among plans as short, units listed earlier in targets.csv are kept less short, then the public "
        "money is made as little as possible.",
    )
    if rule == "equity":
        return (
            "各属地目标不能全部完成时，按公平原则分配缺口：先使缺口占本属地目标比例最大的属地比例尽量小，"
            f"再使缺口总数尽量少；{ties[0]}When the unit targets cannot all be met, the shortfall is shared "
            "by equity: the largest shortfall as a share of a unit's target is made as small as possible, "
            f"then the slots missing as few as possible; {ties[1]}"
        )
    return (
        f"各属地目标不能全部完成时，先使缺口总数尽量少；{ties[0]}When the unit targets cannot all be met, "
        f"the slots missing are made as few as possible; {ties[1]}"
    )


def budget_item_labels(budget: pd.DataFrame) -> pd.DataFrame:
    """Return ``budget`` with ``item_zh`` (the item's Chinese name) right after ``item``.

    Examples
    --------
    >>> b = pd.DataFrame({"year": [2024], "item": ["conversion"], "amount_yuan": [1.0]})
    >>> budget_item_labels(b).values.tolist()
    [[2024, 'conversion', '存量托位转普惠补贴', 1.0]]

    """
    out = budget.copy()
    out.insert(out.columns.get_loc("item") + 1, "item_zh", out["item"].map(BUDGET_ITEM_ZH))
    return out


def note_text(note: Note) -> str:
    """Return a note of the allocation as people read it: ``"中文 / English"``.

    Examples
    --------
    >>> note_text(Note("rounding", {"whole_classes": False, "money_yuan": 214.29, "slots": 0.0, "last_year": 2025}))
    '托位取整数使财政资金比线性规划（允许小数托位）增加0.02万元（取整代价，不含缺口罚金） / whole slots raise \
public spending by ¥214 over the linear program with fractional slots (the cost of rounding, without shortfall \
penalties)'

    """
    return _NOTES[note.code](**note.values)


def _solver_fallback(asked: str, used: str) -> str:
    return "HiGHS (highspy) is not installed; solved with PuLP's bundled CBC instead."


def _budget_share_of_need(share: float, budget_yuan: dict) -> str:
    return (
        f"预算按无约束方案支出的{share:.0%}确定："
        + "，".join(f"{y}年{wan(b, 2)}" for y, b in budget_yuan.items())
        + " / budget set to "
        f"{share:.0%} of the unconstrained plan's spending: "
        + ", ".join(f"{y} ¥{b:,.0f}" for y, b in budget_yuan.items())
    )


def _unit_total_unreachable(year: int, town_id: str, town: str, target: float, existing: float, reach: float) -> str:
    return (
        f"{year}年{town}托位目标{target:,.0f}个，但现有{existing:,.0f}个加各渠道产能最多{reach:,.0f}个，"
        f"至少缺{target - reach:,.0f}个 / {year} {town_id}: target {target:,.0f} slots but the existing "
        f"{existing:,.0f} plus channel capacity reach at most {reach:,.0f}: short by at least "
        f"{target - reach:,.0f}"
    )


def _unit_inclusive_unreachable(
    year: int, town_id: str, town: str, required: float, existing: float, reach: float
) -> str:
    return (
        f"{year}年{town}普惠托位需{required:,.0f}个，但现有普惠{existing:,.0f}个加普惠产能和存量转化最多"
        f"{reach:,.0f}个 / {year} {town_id}: {required:,.0f} inclusive slots required but the existing "
        f"{existing:,.0f} plus inclusive capacity and conversions reach at most {reach:,.0f}"
    )


def _district_inclusive_unreachable(year: int, required: float, share: float, reach: float) -> str:
    return (
        f"{year}年全区至少需要普惠托位{required:,.0f}个（占比目标{share:.0%}），"
        f"但最多只能有{reach:,.0f}个 / {year}: the district needs at least {required:,.0f} "
        f"inclusive slots ({share:.0%} share) but can reach at most {reach:,.0f}"
    )


def _centre_outside_years(centre_year: int, first_year: int, last_year: int) -> str:
    return (
        f"区托育综合服务中心要求在{centre_year}年建成，不在规划年份{first_year}–{last_year}内，"
        f"本次不作约束 / the district centre is due in {centre_year}, outside the planned years "
        f"{first_year}–{last_year}; not constrained in this run"
    )


def _budget_below_committed(year: int, budget_yuan: float, committed_yuan: float, existing_inclusive: float) -> str:
    return (
        f"{year}年预算{wan(budget_yuan, 2)}低于2023年底存量普惠托位{existing_inclusive:,.0f}个的运营补贴"
        f"{wan(committed_yuan, 2)}，新增和转化均无资金 / budget {year} of {_yuan(budget_yuan)} is below the "
        f"{_yuan(committed_yuan)} committed to the operating subsidies of the {existing_inclusive:,.0f} existing "
        "inclusive slots: nothing is left for new or converted slots"
    )


def _budget_below_need(
    first_year: int, year: int, free_yuan: float, slots: float, share: float, need_yuan: float, cheapest_yuan: float
) -> str:
    span = f"{first_year}–{year}" if year != first_year else f"{year}"
    return (
        f"{span}年预算扣除存量运营补贴后共{wan(free_yuan, 2)}，低于新增{slots:,.0f}个普惠托位"
        f"（单位目标及{share:.0%}占比要求）至少所需的{wan(need_yuan, 2)}"
        f"（按最便宜的渠道依次计算，每个托位最低约{cheapest_yuan:,.0f}元），将出现普惠缺口 / "
        f"budget {span} leaves {_yuan(free_yuan)} "
        f"after the committed subsidies of existing slots, below the {_yuan(need_yuan)} needed at least "
        f"for the {slots:,.0f} inclusive slots required by the unit targets and the "
        f"{share:.0%} share, taking the cheapest ways first "
        f"(from {_yuan(cheapest_yuan)} a slot); "
        "expect inclusive shortfalls"
    )


def _max_slots_without_budget() -> str:
    return (
        "目标为“托位最多”但未设预算：方案将用满各渠道产能 / objective 'max_slots' without a budget "
        "builds every slot the capacities allow"
    )


def _rounding(whole_classes: bool, money_yuan: float, slots: float, last_year: int) -> str:
    """Say what whole slots or whole classes cost, in public money and in slots of shortfall."""
    what_zh, what_en = ("按整班建设", "whole classes") if whole_classes else ("托位取整数", "whole slots")
    up_zh, up_en = ("增加", "raise") if money_yuan >= 0 else ("减少", "lower")
    zh = f"{what_zh}使财政资金比线性规划（允许小数托位）{up_zh}{wan(abs(money_yuan), 2)}（取整代价，不含缺口罚金）"
    en = (
        f"{what_en} {up_en} public spending by ¥{abs(money_yuan):,.0f} over the linear program with fractional "
        "slots (the cost of rounding, without shortfall penalties)"
    )
    if abs(slots) > UNMET_TOL:
        more_zh, more_en = ("多", "more") if slots > 0 else ("少", "fewer")
        zh += f"，{last_year}年底托位缺口{more_zh}{slots_text(abs(slots))}个"
        en += f", and {slots_text(abs(slots))} {more_en} slots of shortfall at end-{last_year}"
    return f"{zh} / {en}"


def _relaxation_duals() -> str:
    return (
        "影子价格取自同一数据的线性松弛（允许小数托位）的对偶值，表示边际上的变化 / the shadow prices are "
        "the duals of the linear relaxation at the same data (fractional slots allowed): changes at the "
        "margin"
    )


def _centre_short(year: int, missing: float, built: float, first_year_yuan: float) -> str:
    state_zh, state_en = (
        ("未建成", "is not built")
        if built <= UNMET_TOL
        else (f"未完全建成（建成{slots_text(built)}个）", f"is only partly built ({slots_text(built)} slots)")
    )
    return (
        f"区托育综合服务中心{state_zh}：{year}年缺{slots_text(missing)}个托位（预算不足时，模型优先把资金用于每元"
        f"能减少更多托位缺口的存量转化和较便宜的渠道；中心每个托位当年需财政资金约{first_year_yuan:,.0f}元） / the "
        f"district centre {state_en}: {slots_text(missing)} slots short in {year} (with too little budget the "
        "model first funds conversions and cheaper channels, which remove more shortfall per yuan; "
        f"a centre slot needs about ¥{first_year_yuan:,.0f} in its first year)"
    )


def _coverage_missed(year: int, towns: list, town_ids: list) -> str:
    return (
        f"普惠托育全覆盖未实现：{year}年末{'、'.join(towns)}（{len(towns)}个属地）没有普惠托位 / "
        f"inclusive coverage of every unit is missed: at end-{year} {', '.join(town_ids)} "
        f"({len(town_ids)} units) have no inclusive slot"
    )


def _degenerate() -> str:
    return (
        "线性规划解退化：部分影子价格不唯一（见影子价格表“是否唯一”列） / the LP solution is "
        "degenerate: some shadow prices are not unique (see column 'unique')"
    )


# Note code -> the function that words it (the note's values are its keyword arguments).
_NOTES: dict[str, Callable[..., str]] = {
    "solver_fallback": _solver_fallback,
    "budget_share_of_need": _budget_share_of_need,
    "unit_total_unreachable": _unit_total_unreachable,
    "unit_inclusive_unreachable": _unit_inclusive_unreachable,
    "district_inclusive_unreachable": _district_inclusive_unreachable,
    "centre_outside_years": _centre_outside_years,
    "budget_below_committed": _budget_below_committed,
    "budget_below_need": _budget_below_need,
    "max_slots_without_budget": _max_slots_without_budget,
    "rounding": _rounding,
    "relaxation_duals": _relaxation_duals,
    "centre_short": _centre_short,
    "coverage_missed": _coverage_missed,
    "degenerate": _degenerate,
}


# Columns the output contract puts first in a worded table (docs/design.md): the numbers'
# contract from results, and the sentence people read right after the shadow price.
WORDED_FIRST = {**CONTRACT, "shadow_prices": [*CONTRACT["shadow_prices"], "meaning"]}


def _contract_first(df: pd.DataFrame, name: str) -> pd.DataFrame:
    first = [c for c in WORDED_FIRST[name] if c in df.columns]
    return df[first + [c for c in df.columns if c not in first]].reset_index(drop=True)


def worded(results: Results) -> Results:
    """Return ``results`` as people read them: the sentences added to the numbers.

    The shadow prices get their sentences (``meaning``, ``meaning_en``, ``value_slots_unit``) and
    the binding rows with them, the budget and the per-unit budget their item names (``item_zh``),
    the marginal values their question and sentence, and the summary its ``notes`` (the
    allocation's :class:`~tuoyu_model.allocation.Note` records as text). Results already worded
    are returned unchanged, so every writer and notebook can call this.
    """
    tables = results.tables
    shadow = tables.get("shadow_prices")
    if isinstance(shadow, pd.DataFrame) and "meaning" in shadow.columns:
        return results
    words = dict(tables)
    if isinstance(shadow, pd.DataFrame) and results.shadow_reading is not None:
        sentenced = shadow_price_sentences(shadow, results.shadow_reading)
        words["shadow_prices"] = _contract_first(sentenced, "shadow_prices")
        words["binding"] = sentenced[sentenced.binding].reset_index(drop=True)
    if isinstance(tables.get("budget"), pd.DataFrame):
        words["budget"] = _contract_first(budget_item_labels(tables["budget"]), "budget")
    if isinstance(tables.get("budget_by_town"), pd.DataFrame):
        words["budget_by_town"] = budget_item_labels(tables["budget_by_town"])
    if isinstance(tables.get("marginal_values"), pd.DataFrame):
        words["marginal_values"] = _marginal_worded(results)
    summary = {**results.summary, "notes": [note_text(n) for n in results.notes]}
    return dataclasses.replace(results, tables=words, summary=summary)


def commitment_sentence(summary: Mapping) -> str:
    """Say what operating subsidy the plan locks in every year after it (``subsidy_commitment_by_year``).

    Empty when the costing horizon is the plan's last year (no year after the plan counted).

    Examples
    --------
    >>> commitment_sentence({"subsidy_commitment_by_year": {"2026": 41_603_833.58, "2030": 47_350_745.44}})
    '2026年起每年需持续安排运营补贴约4,160.4万元（含规划前已有的普惠托位），到2030年约4,735.1万元'
    >>> commitment_sentence({"subsidy_commitment_by_year": {}})
    ''

    """
    by_year = {int(y): float(v) for y, v in (summary.get("subsidy_commitment_by_year") or {}).items()}
    if not by_year:
        return ""
    first, last = min(by_year), max(by_year)
    text = f"{first}年起每年需持续安排运营补贴约{wan(by_year[first])}（含规划前已有的普惠托位）"
    return text if last == first else f"{text}，到{last}年约{wan(by_year[last])}"


def _marginal_worded(results: Results) -> pd.DataFrame:
    """Return the marginal values with their question and sentence (presentation.marginal_sentences)."""
    tables = results.tables
    towns = tables["towns"].set_index("town_id")["town"].to_dict() if "towns" in tables else {}
    dist = tables.get("district")
    share = dict(zip(dist["year"], dist["share_target"], strict=True)) if isinstance(dist, pd.DataFrame) else {}
    return marginal_value_sentences(tables["marginal_values"], towns, share, results.years)
