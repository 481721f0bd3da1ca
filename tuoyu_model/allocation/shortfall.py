"""What is still missing after a solve: the one rule counting slots missing, the centre, the notes.

:func:`slots_missing` is the one "slots missing, counted once" rule of the whole model (summary,
sweep, explorer, rounding); :func:`final_shortfall` applies it to a solve's shortfall values,
:func:`centre_shortfall` carries the district centre's shortfall to later year-ends, and
:func:`shortfall_notes` makes the notes people must not miss (centre not built, units with no
inclusive slot). Numbers and :class:`~tuoyu_model.allocation.read.Note` records only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from tuoyu_model.allocation.inputs import AllocationInputs
from tuoyu_model.allocation.read import SHORTFALL_KINDS, UNMET_TOL, Note, clean


def slots_missing(by_kind: Mapping[str, float], overlap: float = 0.0) -> float:
    """Return the slots missing at a year-end, each counted once: the one rule for the whole model.

    The inclusive targets overlap: a missing inclusive slot of a unit also counts against the
    unit's coverage minimum and the district's share, so the largest of the three counts, plus
    the town totals and the district centre. A unit short of both total and inclusive slots
    misses its inclusive slots among its total ones (one new inclusive slot closes both), so
    ``overlap`` (:func:`unit_overlap`: those slots summed over units) is counted once, not twice.

    Examples
    --------
    >>> slots_missing({"total": 4.0, "inclusive": 2.0, "coverage": 0.0, "share": 5.0, "centre": 0.0})
    9.0
    >>> slots_missing({"total": 50.0, "inclusive": 60.0, "coverage": 0.0, "share": 0.0, "centre": 0.0}, overlap=50.0)
    60.0

    """
    counted = by_kind["total"] + max(by_kind["inclusive"], by_kind["coverage"], by_kind["share"]) - overlap
    return counted + by_kind["centre"]


def unit_overlap(rows: Iterable[tuple[float, float, float]]) -> float:
    """Return the slots counted in both a unit's total and its inclusive (or coverage) shortfall.

    ``rows``: ``(total, inclusive, coverage)`` shortfalls of each unit at one year-end; each
    unit's overlap is ``min(total, max(inclusive, coverage))``.

    Examples
    --------
    >>> unit_overlap([(50.0, 60.0, 0.0), (3.0, 0.0, 0.0), (4.0, 1.0, 2.0)])
    52.0

    """
    return float(sum(min(t, max(i, c)) for t, i, c in rows))


def final_shortfall(inputs: AllocationInputs, short: dict) -> float:
    """Return the slots missing at the last year-end by :func:`slots_missing`, from a solve's shortfall values."""
    last = max(inputs.years)
    by_kind = {f: float(sum(u for k, u in short.items() if k[0] == f and k[2] == last)) for f in SHORTFALL_KINDS}
    by_kind["centre"] = float(sum(u for k, u in short.items() if k[0] == "centre"))
    return slots_missing(by_kind, final_overlap(inputs, short))


def final_overlap(inputs: AllocationInputs, short: Mapping) -> float:
    """Return :func:`unit_overlap` at the last year-end from a solve's ``(family, unit, year) → slots``."""
    last = max(inputs.years)
    units = [i for f, i, y in short if y == last and f == "total"]
    return unit_overlap(
        (short[("total", i, last)], short[("inclusive", i, last)], short.get(("coverage", i, last), 0.0)) for i in units
    )


def centre_shortfall(inp: AllocationInputs, dist: pd.DataFrame, short: dict) -> list[float]:
    """Return the centre slots missing at each year-end.

    In the centre year the model's shortfall; in later years what is still not built (the
    requirement stands); 0 before the centre is due.
    """
    cy = inp.centre_year
    if inp.centre_slots <= 0 or cy is None or cy not in inp.years:
        return [0.0] * len(dist)
    out = []
    for y, built in zip(dist.year, dist.centre_slots, strict=True):
        if y == cy:
            out.append(float(short.get(("centre", "district", y), 0.0)))
        elif y > cy:
            out.append(float(clean(max(0.0, inp.centre_slots - float(built)))))
        else:
            out.append(0.0)
    return out


def shortfall_notes(inputs: AllocationInputs, stock: pd.DataFrame, dist: pd.DataFrame) -> list[Note]:
    """Return notes people must not miss: the district centre not (fully) built, units with no inclusive slot.

    ``centre_short``: ``year, missing, built`` (slots) and ``first_year_yuan`` (public money of a
    centre slot in its first year); ``coverage_missed``: ``year, towns, town_ids``.
    """
    notes = []
    d = dist.set_index("year")
    cy = inputs.centre_year
    if inputs.centre_slots > 0 and cy in inputs.years and d.at[cy, "shortfall_centre"] > UNMET_TOL:
        uc = inputs.unit_costs.set_index(["channel", "kind"])["capital_public_yuan"]
        op = inputs.operating_subsidy.set_index(["year", "channel"])["subsidy_per_slot_year_yuan"]
        per = float(uc.get(("centre", "inclusive"), np.nan)) + inputs.service_fraction * float(
            op.get((cy, "centre"), 0)
        )
        missing, built = float(d.at[cy, "shortfall_centre"]), float(d.at[cy, "centre_slots"])
        notes.append(Note("centre_short", {"year": cy, "missing": missing, "built": built, "first_year_yuan": per}))
    for y in inputs.years:
        part = stock[(stock.year == y) & (stock.min_inclusive > 0)]
        none = part[part.inclusive_slots <= UNMET_TOL]
        if len(none):
            notes.append(Note("coverage_missed", {"year": y, "towns": list(none.town), "town_ids": list(none.town_id)}))
    return notes
