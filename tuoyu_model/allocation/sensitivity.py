"""Sensitivity of the plan: the shadow prices of the (LP) model and the range each one holds over.

:func:`shadow_table` reads the duals of the linear program (the plan's own, or with whole slots
its relaxation at the same data) into a table of numbers and codes, each dual also translated
into slots of shortfall where it is penalty arithmetic (docs/formulation.md, "Reading the shadow
prices"), with a :class:`~tuoyu_model.allocation.read.ShadowReading` of what reading it needs;
:func:`ranging` asks HiGHS how far each right-hand side may move with its dual unchanged.
:mod:`tuoyu_model.presentation.shadow_sentences` words the table.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from tuoyu_model.allocation.build import AllocationModel
from tuoyu_model.allocation.inputs import AllocationInputs
from tuoyu_model.allocation.read import UNMET_TOL, ShadowReading, clean

# Unit of the objective, hence of every dual: yuan (min_cost) or inclusive-weighted slot-years (max_slots).
OBJECTIVE_UNIT = {"min_cost": "yuan", "max_slots": "weighted slot-years"}
# Family of a shortfall row -> its penalty key (the centre shares the coverage penalty).
PENALTY_OF = {
    "total": "total",
    "inclusive": "inclusive",
    "share": "share",
    "coverage": "coverage",
    "centre": "coverage",
}
# A met target's or a capacity's dual is read as penalty arithmetic (and translated into slots of
# shortfall) from half a slot of shortfall per slot on: no real way to provide a slot costs half a
# shortfall penalty (the penalties are set far above every cost, allocation.yaml).
PENALTY_LEVEL = 0.5
# A budget dual is per yuan; in slots of shortfall it is read per 10,000 yuan (1 万元, the unit of
# money in the tables people read).
BUDGET_DUAL_STEP_YUAN = 10_000.0
# Families of the budget rows: the total, and the city's and the district's own limits (read alike).
BUDGET_FAMILIES = ("budget", "budget_city", "budget_district")


def penalty_reference(inp: AllocationInputs, *shorts: dict) -> tuple[float | None, bool]:
    """Return the penalty per slot that prices the unmet targets, and whether several differ ('weighted').

    ``None`` when every target is met. With several different penalties among the unmet families
    the smallest is the reference: one 'weighted slot of shortfall' is one slot of the cheapest
    unmet target, a slot of a dearer target counts penalty / reference (docs/formulation.md).
    """
    keys = {PENALTY_OF[k[0]] for sh in shorts for k, u in sh.items() if u > UNMET_TOL}
    if not keys:
        return None, False
    pens = {float(inp.penalties[k]) for k in keys}
    return min(pens), len(pens) > 1


def shadow_table(
    model: AllocationModel, ranging: dict | None, stock: pd.DataFrame, short: dict, short_lp: dict
) -> tuple[pd.DataFrame, bool, ShadowReading]:
    """Return the shadow prices of the (LP) ``model`` as numbers, whether it is degenerate, and how to read them.

    ``short`` holds the plan's shortfalls (shown), ``short_lp`` the LP's. ``value`` is the dual
    in the objective's unit (``unit``), per slot, per share point (share rows) or per yuan
    (budget rows), positive when more of the right-hand side helps; ``value_slots`` the same in
    slots of shortfall where it is penalty arithmetic (NaN elsewhere).
    """
    inp = model.inputs
    rows = model.rows
    pis = np.array([c.pi if c.pi is not None else np.nan for c in rows.cons], dtype=float)
    slacks = np.array([c.slack if c.slack is not None else np.nan for c in rows.cons], dtype=float)
    fam = np.array(rows.family, dtype=object)
    is_budget = np.isin(fam, BUDGET_FAMILIES)
    # ≤ rows (capacity, budget) have duals ≤ 0 when minimising: report the saving as positive.
    sign = np.where(is_budget | np.char.startswith(fam.astype(str), "capacity") | (fam == "conversion"), -1.0, 1.0)
    # Budget duals are per yuan (max_slots: ~1e-4 slot-years), so they keep more digits.
    value = np.where(is_budget, clean(sign * np.nan_to_num(pis), 10), clean(sign * np.nan_to_num(pis), 4))
    binding = np.abs(np.nan_to_num(slacks)) <= 1e-6
    totals = stock.groupby("year")["total_slots"].sum()
    scale = np.array(rows.scale, dtype=float)
    years = np.array(rows.year)
    # share rows: value per percentage point = dual × 1% of the district's slots that year
    is_share = fam == "share"
    value = np.where(is_share, clean(value * scale * totals.reindex(years).fillna(0).to_numpy(), 4), value)
    n_vars = len(model.prob.variables())
    at_bound = sum(1 for v in model.prob.variables() if abs(v.varValue or 0.0) <= 1e-9)
    degenerate = bool(int(binding.sum()) + at_bound > n_vars)
    unique = ranging["unique"] if ranging is not None else ~(binding & degenerate)
    # The range over which each dual holds, in the row's own step (slots, share points, yuan):
    # a shadow price is an instantaneous rate, true only while the right-hand side stays in it.
    per_step = np.where(is_share, scale * totals.reindex(years).fillna(0).to_numpy(), 1.0)
    per_step = np.where(per_step > 0, per_step, np.nan)
    if ranging is not None:
        holds_down = np.where(np.isinf(ranging["down"]), np.nan, clean(ranging["down"] / per_step, 4))
        holds_up = np.where(np.isinf(ranging["up"]), np.nan, clean(ranging["up"] / per_step, 4))
    else:
        holds_down = holds_up = np.full(len(value), np.nan)
    # "Not met" is read from the row's own shortfall variable, never from the size of its dual.
    shortfall = np.array(
        [float(short.get((f_, t_, y_), 0.0)) for f_, t_, y_ in zip(rows.family, rows.town, rows.year, strict=True)]
    )
    unmet = shortfall > UNMET_TOL
    # Duals in slots of shortfall: value (objective per slot, per point, per yuan) / the penalty per slot.
    p_ref, weighted = penalty_reference(inp, short, short_lp)
    per = np.where(is_budget, BUDGET_DUAL_STEP_YUAN, 1.0)
    n_slots = value * per / p_ref if p_ref else np.full(len(value), np.nan)
    translated = ((is_budget & (value > 0)) | unmet | (n_slots >= PENALTY_LEVEL)) if p_ref else unmet & False
    unit = OBJECTIVE_UNIT[inp.objective]
    out = pd.DataFrame(
        {
            "constraint": [f"{f}-{t}-{y}" for f, t, y in zip(rows.family, rows.town, rows.year, strict=True)],
            "town_id": rows.town,
            "year": rows.year,
            "value_yuan": value if unit == "yuan" else np.full(len(value), np.nan),
            "family": rows.family,
            "unique": unique,
            "binding": binding,
            "value": value,
            "unit": unit,
            "shortfall": clean(shortfall),
            "value_slots": np.where(translated, clean(n_slots, 4), np.nan),
            "ranged": ranging is not None,
            "holds_down": holds_down,
            "holds_up": holds_up,
        }
    )
    # Project rows (openings of real size) bind by construction and price no requirement: left out.
    out = out[~out["family"].astype(str).str.startswith("project")].reset_index(drop=True)
    reading = ShadowReading(
        first_year=inp.years[0],
        last_year=inp.years[-1],
        penalty_per_slot=p_ref,
        weighted=weighted,
        towns=inp.units["town"].to_dict(),
    )
    return out, degenerate, reading


def ranging(model: AllocationModel) -> dict | None:
    """Dual uniqueness from HiGHS's ranging: a dual valid only on one side of the rhs is not unique."""
    h = getattr(model.prob, "solverModel", None)
    if h is None or model.integer:
        return None
    try:
        status, rng = h.getRanging()
    except Exception:  # noqa: BLE001 - ranging is a nicety; fall back to the degeneracy count
        return None
    if str(status) != "HighsStatus.kOk":
        return None
    up = np.asarray(rng.row_bound_up.value_, dtype=float)
    dn = np.asarray(rng.row_bound_dn.value_, dtype=float)
    rhs = np.array([-(c.constant) for c in model.rows.cons], dtype=float)
    idx = np.array([c.index for c in model.rows.cons])
    if len(up) <= (idx.max() if len(idx) else -1):
        return None
    u, d = up[idx], dn[idx]
    tol = 1e-7 * (1 + np.abs(rhs))
    unique = ~((np.abs(u - rhs) <= tol) | (np.abs(d - rhs) <= tol))
    # How far each right-hand side may fall or rise with its dual unchanged (inf: no limit that side).
    big = 1e29  # HiGHS writes an unlimited side as ±kHighsInf (1e30)
    down = np.where(np.abs(d) >= big, np.inf, np.maximum(rhs - d, 0.0))
    up_ = np.where(np.abs(u) >= big, np.inf, np.maximum(u - rhs, 0.0))
    return {"unique": unique, "down": down, "up": up_}
