"""Staff a stock of slots needs, and the certification and training goals of the plan (第13条).

For the slots in service at a year-end, by unit and channel::

    caregivers     = Σ_c slots_c × caregivers_per_slot_c        (whole caregivers per class, see costs)
    health staff   = Σ_c slots_c × health_fte_per_slot_c        (≥ a part-timer per institution)
    directors      = Σ_c ceil(slots_c / institution_slots_c)     (one per institution)

Totals per unit and year are rounded up to whole people. The certified target is
``ceil(certified_share_target × caregivers)``; the current estimate applies
``certified_share_current``. Training places for ``training_coverage_target`` of directors and
caregivers are those not yet trained at ``trained_share_current``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import pandas as pd

from tuoyu_model.costs import CHANNELS, operating_costs
from tuoyu_model.data import STOCK_TOTAL
from tuoyu_model.errors import DataError

WORKFORCE_COLUMNS = [
    "town_id",
    "town",
    "year",
    "caregivers_needed",
    "health_staff_needed",
    "directors_needed",
    "certified_target",
    "certified_now_estimate",
    "certification_gap",
    "training_places_needed",
]
STOCK_COLUMNS = ["town_id", "town", "year", "channel", "slots"]
# Slots come out of a linear program as floats such as 19.999999997; this tolerance keeps
# rounding-up from adding a whole person for solver noise.
SLOT_NOISE = 1e-6


def _ceil(x: float) -> int:
    return int(math.ceil(x - SLOT_NOISE)) if x > 0 else 0


def workforce_table(params: Mapping, stock: pd.DataFrame) -> pd.DataFrame:
    """Caregivers, health staff and directors a stock of slots needs, with certification and training.

    Parameters
    ----------
    params : Parameters
        Resolved scenario parameters (``costs.yaml`` staffing, ``workforce.yaml`` goals).
    stock : DataFrame
        Slots in service at year-end: ``town_id, town, year, channel, slots`` (one row per unit ×
        year × channel; inclusive and market rows may repeat and are added up).

    Returns
    -------
    pandas.DataFrame
        One row per unit × year: ``town_id, town, year, caregivers_needed,
        health_staff_needed, directors_needed, certified_target, certified_now_estimate,
        certification_gap, training_places_needed`` (whole people).

    Raises
    ------
    DataError
        A missing column, an unknown channel or negative slots.

    Examples
    --------
    >>> from tuoyu_model.parameters import load_scenario
    >>> stock = pd.DataFrame({"town_id": ["jiugong"], "town": ["旧宫镇"], "year": [2025],
    ...                       "channel": ["kindergarten"], "slots": [40.0]})
    >>> w = workforce_table(load_scenario().parameters, stock)
    >>> w[["caregivers_needed", "directors_needed", "certified_target"]].iloc[0].tolist()  # 2 托大班 × 3 × 1.4
    [9, 2, 9]

    """
    missing = [c for c in STOCK_COLUMNS if c not in stock.columns]
    if missing:
        raise DataError(f"workforce stock table: missing column '{missing[0]}'; expected {', '.join(STOCK_COLUMNS)}")
    unknown = sorted(set(stock.channel) - set(CHANNELS))
    if unknown:
        raise DataError(f"workforce stock table: unknown channel '{unknown[0]}'; expected one of {', '.join(CHANNELS)}")
    if (stock.slots < -SLOT_NOISE).any():
        bad = stock[stock.slots < -SLOT_NOISE].iloc[0]
        raise DataError(f"workforce stock table: negative slots {bad.slots} for {bad.town_id} {bad.year} {bad.channel}")
    ops = operating_costs(params)
    inst = params["institution_slots"]
    by_channel = stock.groupby(["town_id", "town", "year", "channel"], as_index=False, sort=False)["slots"].sum()
    by_channel["caregivers"] = by_channel.slots * by_channel.channel.map(ops.caregivers_per_slot)
    by_channel["health"] = by_channel.slots * by_channel.channel.map(ops.health_fte_per_slot)
    by_channel["directors"] = [
        _ceil(s / float(inst[c])) for s, c in zip(by_channel.slots, by_channel.channel, strict=True)
    ]
    grouped = by_channel.groupby(["town_id", "town", "year"], as_index=False, sort=False)[
        ["caregivers", "health", "directors"]
    ].sum()
    certified_share = float(params["certified_share_target"])
    certified_now = float(params["certified_share_current"])
    coverage = float(params["training_coverage_target"])
    trained_now = float(params["trained_share_current"])
    rows = []
    for r in grouped.itertuples(index=False):
        caregivers = _ceil(r.caregivers)
        directors = int(r.directors)
        target = _ceil(certified_share * caregivers)
        now = int(math.floor(certified_now * caregivers + SLOT_NOISE))
        people = caregivers + directors
        rows.append(
            {
                "town_id": r.town_id,
                "town": r.town,
                "year": int(r.year),
                "caregivers_needed": caregivers,
                "health_staff_needed": _ceil(r.health),
                "directors_needed": directors,
                "certified_target": target,
                "certified_now_estimate": now,
                "certification_gap": max(0, target - now),
                "training_places_needed": _ceil(max(0.0, coverage - trained_now) * people),
            }
        )
    return pd.DataFrame(rows, columns=WORKFORCE_COLUMNS)


def workforce_stock(
    allocation: pd.DataFrame, towns: pd.DataFrame, years: list[int], existing_channel: str
) -> pd.DataFrame:
    """Slots in service by unit, year-end and channel, for :func:`workforce.workforce_table`.

    Existing (end-2023) slots and converted ones are counted under ``existing_channel`` (the
    ``existing_slots_channel`` parameter); new slots are cumulated over the years by channel.
    Conversions only relabel existing slots, so they do not add staff.

    Examples
    --------
    >>> alloc = pd.DataFrame({"town_id": ["a", "a"], "town": ["甲", "甲"], "year": [2024, 2025],
    ...                       "channel": ["kindergarten"] * 2, "kind": ["inclusive"] * 2, "new_slots": [20.0, 20.0]})
    >>> towns = pd.DataFrame({"town": ["甲"], "existing_slots_2023": [50]}, index=pd.Index(["a"], name="town_id"))
    >>> workforce_stock(alloc, towns, [2024, 2025], "social").to_dict("records")[-2:]
    [{'town_id': 'a', 'town': '甲', 'year': 2025, 'channel': 'kindergarten', 'slots': 40.0}, \
{'town_id': 'a', 'town': '甲', 'year': 2025, 'channel': 'social', 'slots': 50.0}]

    """
    rows = []
    new = allocation.groupby(["town_id", "channel", "year"])["new_slots"].sum()
    for town_id, town in towns.iterrows():
        for year in years:
            cum: dict[str, float] = {}
            for (tid, ch, y), v in new.items():
                if tid == town_id and y <= year:
                    cum[ch] = cum.get(ch, 0.0) + float(v)
            cum[existing_channel] = cum.get(existing_channel, 0.0) + float(town[STOCK_TOTAL])
            for ch in sorted(cum):
                rows.append({"town_id": town_id, "town": town["town"], "year": year, "channel": ch, "slots": cum[ch]})
    return pd.DataFrame(rows, columns=["town_id", "town", "year", "channel", "slots"])
