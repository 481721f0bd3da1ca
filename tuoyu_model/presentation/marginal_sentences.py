"""The marginal values in words: what one more point of share, 100万元 or ten slots actually change.

:func:`marginal_value_sentences` adds ``question_zh`` and ``sentence_zh`` to the table
:func:`tuoyu_model.allocation.marginal.marginal_values` computes (numbers and codes);
:func:`lead_markdown` is the report's opening paragraph on them: what 100万元 buys and what a
point of share costs, in distinct slots and 万元, before any shadow price (which the report
keeps, labelled as instantaneous rates, in its technical appendix).
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from tuoyu_model.presentation.vocabulary import wan

# Where the Chinese columns go in tables/marginal_values.csv (issue 10's column order).
ORDER = [
    "question",
    "question_zh",
    "year",
    "step",
    "step_unit",
    "public_cost_change_yuan",
    "slots_change",
    "sentence_zh",
]


def _n(x: float) -> str:
    """Slots in a sentence: whole numbers without decimals."""
    return f"{abs(x):,.0f}" if abs(x - round(x)) < 1e-6 else f"{abs(x):,.1f}"


def _pct(share: float) -> str:
    return f"{share * 100:.0f}%" if abs(share * 100 - round(share * 100)) < 1e-9 else f"{share * 100:.1f}%"


def _money(yuan: float) -> str:
    """'需增加财政资金约X万元' / '可节省财政资金约X万元' / '财政资金不变'."""
    if abs(yuan) < 0.5:
        return "财政资金不变"
    return f"{'需增加' if yuan > 0 else '可节省'}财政资金约{wan(abs(yuan))}"


def question_zh(question: str, step: float, town: str = "") -> str:
    """Return the question in Chinese, e.g. '全区普惠托位占比目标提高1个百分点'.

    Examples
    --------
    >>> question_zh("budget", 1_000_000), question_zh("unit_target", 10, "旧宫镇")
    ('年度预算增加100万元', '旧宫镇年末托位目标增加10个')

    """
    if question == "share_point":
        return f"全区普惠托位占比目标提高{step:g}个百分点"
    if question == "budget":
        return f"年度预算增加{step / 10_000:g}万元"
    return f"{town}年末托位目标增加{step:g}个"


def sentence_zh(row: Mapping, town: str, share_target: Mapping, years: tuple[int, int]) -> str:
    """Return one row's sentence: the question, the money over the plan years and the slots, each counted once."""
    y, q = int(row["year"]), row["question"]
    span = f"{years[0]}–{years[1]}年合计" if years[0] != years[1] else f"{years[0]}年"
    if not bool(row["available"]):
        if q == "budget":
            return f"本情景{y}年未设预算上限，方案不受资金约束，增加预算不改变方案。"
        return f"{y}年没有可提高的全区普惠占比目标，未测算。"
    money = _money(float(row["public_cost_change_yuan"]))
    short = float(row["shortfall_change_slots"])
    gap = ""
    if short > 0.5:
        gap = f"，但托位缺口增加{_n(short)}个（资金或场地不足）"
    if q == "share_point":
        s = float(share_target.get(y, 0.0))
        inc = float(row["inclusive_slots_change"])
        if abs(inc) < 0.5 and abs(float(row["public_cost_change_yuan"])) < 0.5 and short <= 0.5:
            return f"{y}年普惠占比目标由{_pct(s)}提高到{_pct(s + row['step'] / 100)}不需增加资金：现方案已达到该占比。"
        return (
            f"{y}年普惠占比目标由{_pct(s)}提高到{_pct(s + row['step'] / 100)}，{money}（{span}），"
            f"年末普惠托位{'增加' if inc >= 0 else '减少'}{_n(inc)}个{gap}。"
        )
    if q == "budget":
        removed = float(row["slots_change"])
        what = f"可减少{y}年末托位缺口{_n(removed)}个（每个托位只计一次）" if removed > 0.5 else "托位缺口不变"
        used = wan(row["public_cost_change_yuan"])
        return f"{y}年预算增加{wan(row['step'], 0)}，{what}；方案实际多用资金约{used}（{span}）。"
    tot, inc = float(row["total_slots_change"]), float(row["inclusive_slots_change"])
    if max(abs(tot), abs(inc), abs(float(row["public_cost_change_yuan"]))) < 0.5 and short <= 0.5:
        return f"{town}{y}年末托位目标增加{row['step']:g}个不需增加资金：现方案在该属地的托位已超过新目标。"
    more_tot, more_inc = ("增加" if tot >= 0 else "减少"), ("增加" if inc >= 0 else "减少")
    return (
        f"{town}{y}年末托位目标增加{row['step']:g}个，{money}（{span}），"
        f"全区年末托位{more_tot}{_n(tot)}个（普惠{more_inc}{_n(inc)}个）{gap}。"
    )


def marginal_value_sentences(
    table: pd.DataFrame, towns: Mapping[str, str], share_target: Mapping[int, float], years: list[int]
) -> pd.DataFrame:
    """Return ``table`` with ``question_zh`` and ``sentence_zh``, the issue's columns first.

    Parameters
    ----------
    table : DataFrame
        :func:`tuoyu_model.allocation.marginal.marginal_values`.
    towns : mapping
        Unit id → name.
    share_target : mapping
        Year → the district's inclusive share target (the plan's).
    years : list of int
        The plan years (money is counted over them).

    """
    out = table.copy()
    span = (min(years), max(years))
    names = [towns.get(t, t) if isinstance(t, str) and t else "" for t in out.get("town_id", [""] * len(out))]
    out["question_zh"] = [
        question_zh(q, float(s), n) for q, s, n in zip(out["question"], out["step"], names, strict=True)
    ]
    out["sentence_zh"] = [
        sentence_zh(r, n, share_target, span) for r, n in zip(out.to_dict("records"), names, strict=True)
    ]
    return out[ORDER + [c for c in out.columns if c not in ORDER]].reset_index(drop=True)


def lead_markdown(table: pd.DataFrame, mip_rel_gap: float = 0.0) -> str:
    """Return the report's opening paragraph on marginal values (worded table in, Markdown out).

    What one more 100万元 buys (where a budget binds) and what one more point of share costs, in
    distinct slots and 万元, from re-solving the plan; then where the per-unit answers and the
    instantaneous rates (shadow prices, technical appendix) are. ``mip_rel_gap`` above 1e-6 (a
    plan proved optimal only to that tolerance) adds that small money changes are within it.
    """
    lines = []
    for q in ("budget", "share_point", "unit_target"):
        part = table[table.question == q]
        if q == "budget" and len(part) and not part["available"].astype(bool).any():
            lines.append(f"- 本情景各年度未设预算上限：{part.iloc[0]['sentence_zh'].split('，', 1)[1]}")
            continue
        lines.extend(f"- {s}" for s in part["sentence_zh"])
    head = (
        "以下各项均为重新求解整个方案后的实际变化（与原方案相减），托位每个只计一次，资金为规划期合计；"
        "影子价格只是某一点上的瞬时变化率，见技术附录。"
    )
    if mip_rel_gap > 1e-6:
        lines.append(
            f"- 本情景整数规划只求解到{mip_rel_gap:.1%}的最优性误差以内，"
            "几千元的资金变化可能只是求解误差，不代表实际差别。"
        )
    return head + "\n\n" + "\n".join(lines)


def rates_markdown(shadow_prices: pd.DataFrame, marginal: pd.DataFrame) -> str:
    """Return the appendix's lines setting each share and budget dual beside the re-solved answer.

    A dual is an instantaneous rate, true only within its range (``holds_down``/``holds_up``);
    the re-solve is the finite step's actual change. Worded tables in, Markdown out; empty when
    no share or budget row binds.
    """
    sp = shadow_prices
    if "holds_down" not in sp.columns:
        return ""
    lines = []
    for fam, q in (("share", "share_point"), ("budget", "budget")):
        met = pd.to_numeric(sp.get("shortfall", 0.0), errors="coerce").fillna(0.0) <= 1e-6  # unmet: penalties
        rows = sp[(sp.family == fam) & sp.binding.astype(bool) & (sp.value != 0) & sp.unit.eq("yuan") & met]
        for r in rows.itertuples(index=False):
            y = int(r.year)
            if fam == "share":
                rate = f"{y}年全区普惠占比的影子价格为每个百分点约{wan(r.value)}"
                unit, k = "个百分点", 1.0
            else:
                rate = f"{y}年预算的影子价格为每1元预算目标函数值减少约{r.value:,.2f}元（含罚金）"
                unit, k = "万元", 1 / 10_000
            span = "、".join(
                f"{word}{'不限' if pd.isna(v) else f'{v * k:,.2f}{unit}'}"
                for word, v in (("可减少", r.holds_down), ("可增加", r.holds_up))
            )
            found = marginal[(marginal.question == q) & (marginal.year == y) & marginal.available.astype(bool)]
            after = f"；重新求解：{found.iloc[0]['sentence_zh']}" if len(found) else "。"
            lines.append(f"- {rate}（瞬时变化率，{span}）{after}")
    if not lines:
        return ""
    return "**影子价格与重新求解的对照**\n\n" + "\n".join(lines)
