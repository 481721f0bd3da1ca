"""The shadow prices' sentences: what one more slot, share point or yuan of each row is worth, in Chinese and English.

:func:`shadow_price_sentences` adds ``meaning``, ``meaning_en`` and ``value_slots_unit`` to the
allocation's shadow-price table (numbers and codes), and ``holds_zh`` (where a binding dual
holds) when the solver gave the ranges. :func:`tuoyu_model.presentation.sentences.worded` calls
it with the rest of a run's words.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from tuoyu_model.allocation import UNMET_TOL, ShadowReading
from tuoyu_model.presentation.vocabulary import CHANNEL_LABEL_ZH, WAN

# The budget rows' words: the total limit, the city's and the district's own (family -> zh, en).
BUDGET_SOURCE_WORDS = {
    "budget": ("预算", "budget"),
    "budget_city": ("市级资金上限", "city budget"),
    "budget_district": ("区级资金上限", "district budget"),
}


def slots_text(x: float) -> str:
    """Slots for a sentence: whole numbers without decimals, a fractional LP value with one."""
    return f"{x:,.0f}" if abs(x - round(x)) < 1e-6 else f"{x:,.1f}"


def _per(n: float) -> str:
    return f"{n:,.2f}" if n < 10 else f"{n:,.1f}"


def _sentence(
    family: str,
    town: str,
    town_id: str,
    year: int,
    value: float,
    binding: bool,
    shortfall: float,
    ctx: dict,
    n_slots: float = float("nan"),
) -> tuple[str, str]:
    """One Chinese and one English sentence for a shadow price, in the objective's unit.

    ``ctx``: ``unit`` (``yuan`` or ``weighted slot-years``), ``years`` (first, last planned year),
    ``penalised`` (some target is unmet, so duals may carry penalties), ``weighted`` (the unmet
    targets' penalties differ), ``share_binds`` (years whose district-share row binds with a
    non-zero dual). ``n_slots``: the dual in slots of shortfall (NaN when not penalty arithmetic).
    """
    v = f"{value:,.0f}"
    yuan = ctx["unit"] == "yuan"
    y0, y1 = ctx["years"]
    span = f"{y0}–{y1}" if y0 != y1 else f"{y0}"
    unmet = shortfall > UNMET_TOL
    in_slots = not math.isnan(n_slots)
    gap_zh = "个加权托位缺口" if ctx.get("weighted") else "个托位缺口"
    gap_en = "weighted slots of shortfall" if ctx.get("weighted") else "slots of shortfall"
    money_zh = "目标函数值（含缺口罚金）" if ctx["penalised"] else "财政资金"
    money_en = "objective (with shortfall penalties)" if ctx["penalised"] else "public money"
    horizon_zh, horizon_en = (f"按{span}年支出计", f"spending in {span}") if yuan else (f"按{span}年计", span)
    if family in ("total", "inclusive", "coverage", "centre", "share"):
        what_zh = {
            "total": "托位",
            "inclusive": "普惠托位",
            "coverage": "普惠托位（全覆盖下限）",
            "centre": "区托育综合服务中心托位",
            "share": "普惠托位占比",
        }[family]
        what_en = {
            "total": "slot",
            "inclusive": "inclusive slot",
            "coverage": "inclusive slot (coverage minimum)",
            "centre": "district centre slot",
            "share": "inclusive share",
        }[family]
        if unmet:
            s = slots_text(shortfall)
            if family == "share":
                return (
                    f"{year}年全区普惠占比目标尚缺约{s}个普惠托位（罚金计入目标函数）",
                    f"{year}: the district inclusive share target is about {s} inclusive slots short "
                    "(the penalty is in the objective)",
                )
            inclusive = family in ("inclusive", "coverage")
            slot_zh, slot_en = ("普惠托位", "inclusive slots") if inclusive else ("托位", "slots")
            return (
                f"{year}年{town}{what_zh}目标未完成，缺{s}个{slot_zh}（罚金计入目标函数）",
                f"{year} {town_id}: the {what_en} target is not met: {s} {slot_en} short "
                "(the penalty is in the objective)",
            )
        if in_slots:
            # met, but the dual carries another target's penalty: say it in slots of shortfall
            if family == "share":
                return (
                    f"{year}年全区普惠托位占比每提高1个百分点，约增加{_per(n_slots)}{gap_zh}"
                    "（按罚金折算：其他目标未完成）",
                    f"{year}: each more point of inclusive share adds about {_per(n_slots)} {gap_en} "
                    "(penalties translated: other targets are not met)",
                )
            return (
                f"{year}年{town}每多要求1个{what_zh}，约增加{_per(n_slots)}{gap_zh}"
                "（该目标已完成；按罚金折算：其他目标未完成）",
                f"{year} {town_id}: each more {what_en} required adds about {_per(n_slots)} {gap_en} "
                "(this target is met; penalties translated: other targets are not met)",
            )
        if value == 0 and not binding:
            return (
                f"{year}年{town}{what_zh}已超过目标，该目标不构成约束",
                f"{year} {town_id}: the {what_en} target is exceeded and does not bind",
            )
        if value == 0 and family != "share":
            return (
                f"{year}年{town}每增加1个{what_zh}需{money_zh}约0元（目标恰好达到，成本计入其他约束，如全区普惠占比）",
                f"{year} {town_id}: one more {what_en} costs about ¥0 of {money_en} (the target is just met; "
                "the cost sits on another constraint such as the district share)",
            )
        # What the value covers: the plan years' spending only, and for a unit's slot its effect on
        # the district share when that row binds (the dual is net of the share row's price).
        note_zh, note_en = horizon_zh, horizon_en
        if family in ("inclusive", "coverage", "centre") and year in ctx["share_binds"]:
            note_zh += "；已扣除其对全区普惠占比的贡献"
            note_en += "; net of its contribution to the district inclusive share"
        elif family == "total" and year in ctx["share_binds"]:
            note_zh += "；含其对全区普惠占比要求的影响"
            note_en += "; including what it adds to the district share requirement"
        if family == "share":
            if yuan:
                return (
                    f"{year}年全区普惠托位占比每提高1个百分点，{money_zh}增加约{v}元（{note_zh}）",
                    f"{year}: one more percentage point of inclusive share costs about ¥{v} of {money_en} ({note_en})",
                )
            return (
                f"{year}年全区普惠托位占比每提高1个百分点，约少提供{v}个加权托位·年（{note_zh}）",
                f"{year}: one more percentage point of inclusive share costs about {v} weighted slot-years ({note_en})",
            )
        if yuan:
            return (
                f"{year}年{town}每增加1个{what_zh}需{money_zh}约{v}元（{note_zh}）",
                f"{year} {town_id}: one more {what_en} costs about ¥{v} of {money_en} ({note_en})",
            )
        return (
            f"{year}年{town}每多要求1个{what_zh}，约少提供{v}个加权托位·年（{note_zh}）",
            f"{year} {town_id}: each more {what_en} required costs about {v} weighted slot-years ({note_en})",
        )
    if family in BUDGET_SOURCE_WORDS:
        b_zh, b_en = BUDGET_SOURCE_WORDS[family]
        if not binding:
            return (f"{year}年{b_zh}未用满（不构成约束）", f"{year}: the {b_en} is not used up (does not bind)")
        if value == 0:
            return (
                f"{year}年{b_zh}已用满，但影子价格为0：单独增加该年{b_zh}不改变本方案"
                "（瓶颈在其他年份或约束；实际增加一笔资金的效果见边际值表）",
                f"{year}: the {b_en} is used up but its shadow price is 0: more of it alone does not change "
                "this plan (the bottleneck is another year or constraint; see the marginal values for a real step)",
            )
        if in_slots:
            if n_slots >= 0.005:
                return (
                    f"{year}年每增加1万元{b_zh}，可减少约{_per(n_slots)}{gap_zh}",
                    f"{year}: each extra ¥10,000 of {b_en} removes about {_per(n_slots)} {gap_en}",
                )
            return (
                f"{year}年增加{b_zh}几乎不能减少托位缺口（缺口由产能等其他约束造成，每万元约{n_slots:.4f}个）",
                f"{year}: more {b_en} hardly reduces the shortfalls (capacity or other limits cause them; "
                f"{n_slots:.4f} per ¥10,000)",
            )
        if yuan:
            return (
                f"{year}年{b_zh}每增加1元，{money_zh}减少约{value:,.4f}元",
                f"{year}: one more yuan of {b_en} lowers the {money_en} by about {value:,.4f}",
            )
        per_wan = value * WAN
        return (
            f"{year}年每增加1万元{b_zh}可多提供约{per_wan:,.2f}个加权托位·年",
            f"{year}: each extra ¥10,000 of {b_en} buys about {per_wan:,.2f} more weighted slot-years",
        )
    if family.startswith("capacity") or family == "conversion":
        ch = family.split("_", 1)[1] if "_" in family else "conversion"
        ch_zh = CHANNEL_LABEL_ZH.get(ch, "存量转普惠")
        if not binding:
            return (
                f"{year}年{town}{ch_zh}产能未用满（不构成约束）",
                f"{year} {town_id}: {ch} capacity is not exhausted",
            )
        if value == 0:
            # used up (or zero) but worth nothing at the margin: another slot would not be used
            return (
                f"{year}年{town}{ch_zh}产能已用满（或为0），但增加产能不会改变方案（影子价格为0）",
                f"{year} {town_id}: {ch} capacity is used up (or zero) but one more slot would not "
                "change the plan (shadow price 0)",
            )
        if in_slots:
            return (
                f"{year}年{town}{ch_zh}产能每增加1个托位，约可减少{_per(n_slots)}{gap_zh}",
                f"{year} {town_id}: one more slot of {ch} capacity removes about {_per(n_slots)} {gap_en}",
            )
        if yuan:
            return (
                f"{year}年{town}{ch_zh}产能每增加1个托位，可节省{money_zh}约{v}元",
                f"{year} {town_id}: one more slot of {ch} capacity saves about ¥{v} of {money_en}",
            )
        return (
            f"{year}年{town}{ch_zh}产能每增加1个托位，可多提供约{v}个加权托位·年",
            f"{year} {town_id}: one more slot of {ch} capacity adds about {v} weighted slot-years",
        )
    return (f"{family} {town} {year}: {v}", f"{family} {town_id} {year}: {v}")


def shadow_price_sentences(shadow_prices: pd.DataFrame, reading: ShadowReading) -> pd.DataFrame:
    """Return the shadow-price table with its sentences: ``meaning``, ``meaning_en`` and ``value_slots_unit``.

    Parameters
    ----------
    shadow_prices : DataFrame
        ``AllocationResult.shadow_prices`` (numbers and codes).
    reading : ShadowReading
        ``AllocationResult.shadow_reading``: the years, the penalty that prices unmet targets,
        the unit names.

    Returns
    -------
    DataFrame
        The same rows, ``meaning`` and ``meaning_en`` after ``value_yuan``, ``value_slots_unit``
        (the unit of ``value_slots``, e.g. ``slots of shortfall per 万元``) last.

    """
    sp = shadow_prices
    fam = sp["family"].to_numpy(dtype=object)
    is_share = fam == "share"
    ctx = {
        "unit": str(sp["unit"].iloc[0]) if len(sp) else "yuan",
        "years": (reading.first_year, reading.last_year),
        "penalised": reading.penalty_per_slot is not None,
        "weighted": reading.weighted,
        "share_binds": {
            int(y)
            for y, b, val in zip(sp.year[is_share], sp.binding[is_share], sp.value[is_share], strict=True)
            if b and val != 0
        },
    }
    zh, en = [], []
    for f_, t_, y_, val, b, s_, n_ in zip(
        fam, sp.town_id, sp.year, sp.value, sp.binding, sp.shortfall, sp.value_slots, strict=True
    ):
        a, b_ = _sentence(f_, reading.towns.get(t_, "全区"), t_, y_, val, bool(b), s_, ctx, float(n_))
        zh.append(a)
        en.append(b_)
    out = sp.copy()
    at = out.columns.get_loc("value_yuan") + 1
    out.insert(at, "meaning", zh)
    out.insert(at + 1, "meaning_en", en)
    what = "weighted slots of shortfall" if reading.weighted else "slots of shortfall"
    per_text = np.where(fam == "budget", "per 万元", np.where(is_share, "per percentage point", "per slot"))
    out["value_slots_unit"] = np.where(sp["value_slots"].notna(), [f"{what} {p}" for p in per_text], "")
    nonunique = ~out["unique"].astype(bool) & out["binding"]
    out.loc[nonunique, "meaning"] += "；该值不唯一（退化解），只是可能的取值之一"
    out.loc[nonunique, "meaning_en"] += "; not unique (degenerate LP): one of several valid values"
    if "holds_down" in out.columns:
        out["holds_zh"] = ""
        for at, text in _range_clauses(out).items():
            out.at[at, "holds_zh"] = text
    return out


def _range_clauses(sp: pd.DataFrame) -> dict:
    """Row index → where a binding dual holds: it is an instantaneous rate (ranged rows only, HiGHS).

    ``holds_down``/``holds_up`` are in the row's own step (slots, share points, yuan); empty
    means no limit on that side.
    """
    out = {}
    ranged = sp["ranged"].astype(bool) & sp["binding"].astype(bool) & (sp["value"] != 0)
    rows = zip(sp.index[ranged], sp.family[ranged], sp.holds_down[ranged], sp.holds_up[ranged], strict=True)
    for at, fam, down, up in rows:
        unit, k = {"budget": ("万元", 1 / WAN), "share": ("个百分点", 1.0)}.get(fam, ("个托位", 1.0))
        d = "不限" if pd.isna(down) else f"{_per(down * k)}{unit}"
        u = "不限" if pd.isna(up) else f"{_per(up * k)}{unit}"
        out[at] = f"瞬时变化率：约束减少{d}至增加{u}之间成立，超出后须重新求解（见边际值表）"
    return out
