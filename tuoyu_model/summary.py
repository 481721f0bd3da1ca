"""A run's headline figures (``summary.json``) and their one-row-a-figure table: numbers only.

:func:`make_summary` reads the tables :func:`tuoyu_model.results.run_model` produced (money in
yuan, shares as fractions, slots missing counted once by
:func:`tuoyu_model.allocation.slots_missing`); :func:`summary_table` lays the headline figures
(:data:`SUMMARY_METRICS`) out one row each for ``tables/summary.csv``. No Chinese, no files.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from tuoyu_model.allocation import SHORTFALL_KINDS, commitment_by_year, slots_missing, unit_overlap
from tuoyu_model.errors import ReportError
from tuoyu_model.parameters import Scenario


def rounded(x: float, digits: int = 2) -> float:
    """Round for summary.json; never "-0.0"."""
    v = round(float(x), digits)
    return 0.0 if v == 0 else v  # no "-0.0" in JSON


def make_summary(
    scenario: Scenario, years: list[int], tables: Mapping[str, pd.DataFrame], solver: Mapping[str, Any]
) -> dict[str, Any]:
    """Compute the headline figures of a run (``summary.json``); money in yuan, shares as fractions."""
    budget, stock, alloc = tables["budget"], tables["stock"], tables["allocation"]
    share, pricing, workforce = tables["inclusive_share"], tables["pricing"], tables["workforce"]
    cost = budget.groupby("year")["amount_yuan"].sum().reindex(years, fill_value=0.0)
    by_item = budget.groupby(["year", "item"])["amount_yuan"].sum()
    src = tables["budget_by_source"].groupby("funding_source")["amount_yuan"].sum()
    new = alloc.groupby("year")["new_slots"].sum().reindex(years, fill_value=0.0)
    new_incl = alloc[alloc.kind == "inclusive"].groupby("year")["new_slots"].sum().reindex(years, fill_value=0.0)
    conv = tables.get("conversions")
    conv_by_year = (
        conv.groupby("year")[_slot_col(conv)].sum().reindex(years, fill_value=0.0)
        if conv is not None and len(conv)
        else pd.Series(0.0, index=years)
    )
    last = max(years)
    # every kind of unmet target, by year: town totals, town inclusive, coverage minimum, share, centre
    short = stock.set_index("year")[
        [c for c in ("shortfall_total", "shortfall_inclusive", "shortfall_coverage") if c in stock.columns]
    ]
    district = tables.get("district")
    if district is not None and len(district):
        extra = district.set_index("year")[[c for c in ("shortfall_share", "shortfall_centre") if c in district]]
        short = pd.concat([short, extra])
    kinds = {str(y): _shortfall_kinds(short[short.index == y]) for y in years}
    caps = pricing.groupby("year")["fee_cap_yuan"].first()
    fees = pricing.groupby("year")["fee_yuan"].first()
    income = pricing.groupby("year")["household_monthly_income_yuan"].first()
    return {
        "scenario": scenario.name,
        "title": scenario.title,
        "years": years,
        "solver": dict(solver),
        "public_cost_yuan": {str(y): rounded(cost[y]) for y in years} | {"total": rounded(cost.sum())},
        "public_cost_by_item_yuan": {
            str(y): {str(i): rounded(v) for (yy, i), v in by_item.items() if yy == y} for y in years
        },
        "public_cost_by_source_yuan": {str(k): rounded(v) for k, v in src.items()},
        # Operating subsidies the plan locks in after its last year, to the costing horizon
        # (tables/commitments.csv, all items): money no plan year's budget shows.
        "subsidy_commitment_by_year": {
            str(y): rounded(v) for y, v in commitment_by_year(tables.get("commitments")).items()
        },
        "new_slots": {str(y): rounded(new[y]) for y in years} | {"total": rounded(new.sum())},
        "new_inclusive_slots": {str(y): rounded(new_incl[y]) for y in years},
        "converted_slots": {str(y): rounded(conv_by_year[y]) for y in years},
        "total_slots": {str(int(r.year)): rounded(r.total_slots) for r in share.itertuples()},
        "inclusive_slots": {str(int(r.year)): rounded(r.inclusive_slots) for r in share.itertuples()},
        "inclusive_share": {str(int(r.year)): rounded(r.inclusive_share, 4) for r in share.itertuples()},
        "inclusive_share_target": {str(int(r.year)): rounded(r.target, 4) for r in share.itertuples()},
        # Shortfalls are stocks at each year-end: a slot missing at the end of 2024 and still
        # missing at the end of 2025 is one slot, so years are never added up.
        "shortfall_by_kind_by_year": kinds,
        "shortfall_by_year": {y: k["slots"] for y, k in kinds.items()},
        "shortfall_final_slots": kinds[str(last)]["slots"],
        "household_monthly_income_yuan": {str(y): rounded(v) for y, v in income.items()},
        "fee_cap_yuan": {str(y): rounded(v) for y, v in caps.items()},
        "inclusive_fee_yuan": {str(y): rounded(v) for y, v in fees.items()},
        "caregivers_needed": {
            str(y): int(workforce.loc[workforce.year == y, "caregivers_needed"].sum()) for y in years
        },
        "last_year": last,
    }


SHORTFALL_COLS = ("shortfall_total", "shortfall_inclusive", "shortfall_coverage")  # a unit's, for the overlap


def _shortfall_kinds(short: pd.DataFrame) -> dict[str, float]:
    """One year-end's shortfalls by kind (slots), and ``slots``: the slots missing counted once.

    ``slots`` by the allocation's one rule, :func:`tuoyu_model.allocation.slots_missing` (below:
    the first unit's 2 missing inclusive slots are among its 3 missing slots, so 4 + 5 − 2).

    Examples
    --------
    >>> _shortfall_kinds(pd.DataFrame({"shortfall_total": [3.0, 1.0], "shortfall_inclusive": [2.0, 0.0],
    ...                                "shortfall_share": [float("nan"), 5.0]}))
    {'total': 4.0, 'inclusive': 2.0, 'coverage': 0.0, 'share': 5.0, 'centre': 0.0, 'slots': 7.0}

    """
    out = {
        k: rounded(short[f"shortfall_{k}"].fillna(0.0).sum()) if f"shortfall_{k}" in short else 0.0
        for k in SHORTFALL_KINDS
    }
    cols = [short[c].fillna(0.0) if c in short else 0.0 * short.index for c in SHORTFALL_COLS]
    out["slots"] = rounded(slots_missing(out, unit_overlap(zip(*cols, strict=True))))
    return out


def _slot_col(conv: pd.DataFrame) -> str:
    for c in ("converted_slots", "slots", "conversions"):
        if c in conv.columns:
            return c
    has = ", ".join(conv.columns)
    raise ReportError(
        f"allocation.solve: 转普惠表（conversions）没有托位数列（现有的列：{has}）；"
        "这是程序错误，请把这一行报告给维护者",
        en=f"allocation.solve: conversions table has no slot column ({has})",
    )


# Headline figures of summary.json that are by year (and total): the rows of :func:`summary_table`.
SUMMARY_METRICS = (
    "public_cost_yuan",
    "new_slots",
    "new_inclusive_slots",
    "converted_slots",
    "total_slots",
    "inclusive_slots",
    "inclusive_share",
    "inclusive_share_target",
    "shortfall_by_year",
    "household_monthly_income_yuan",
    "fee_cap_yuan",
    "inclusive_fee_yuan",
    "caregivers_needed",
)


def summary_table(summary: Mapping[str, Any]) -> pd.DataFrame:
    """Return the by-year headline figures as a tidy table: ``metric, year, value``.

    Values in the summary's units (yuan, slots, fractions); ``year`` is the year as a number,
    ``total`` for totals. Metrics in :data:`SUMMARY_METRICS` order; those missing are left out.

    Examples
    --------
    >>> summary_table({"public_cost_yuan": {"2024": 1.5e6, "total": 1.5e6}}).values.tolist()
    [['public_cost_yuan', 2024, 1500000.0], ['public_cost_yuan', 'total', 1500000.0]]

    """
    rows = []
    for key in SUMMARY_METRICS:
        values = summary.get(key)
        if not isinstance(values, Mapping):
            continue
        for year, v in values.items():
            rows.append({"metric": key, "year": "total" if year == "total" else int(year), "value": float(v)})
    return pd.DataFrame(rows, columns=["metric", "year", "value"])
