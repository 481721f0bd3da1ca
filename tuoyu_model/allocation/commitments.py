"""The operating subsidies a plan locks in after its last year: ``tables/commitments.csv``.

A slot built (inclusive) or converted in the plan years keeps costing its operating subsidy
every year it is in service; the end-2023 inclusive slots too. :func:`commitments_table` reads
them from a solution for every year after the plan up to the costing horizon (the years the
objective counts, ``costing_horizon``), in yuan of each year (never discounted), split between
city and district by the one rule :func:`tuoyu_model.allocation.read.city_share`.
:func:`check_commitments` rebuilds the same figures from the output tables (``allocation``,
``conversions``) for ``check_solution``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from tuoyu_model.allocation.inputs import AllocationInputs
from tuoyu_model.allocation.model import AllocationModel, costing_years
from tuoyu_model.allocation.read import city_share, clean

COMMITMENT_COLUMNS = ["year", "item", "amount_yuan", "city_yuan", "district_yuan"]
# The items a plan commits after its last year: the subsidies of its own slots, and of the existing ones.
COMMITMENT_ITEMS = ("operating_subsidy_new", "operating_subsidy_existing")
# Re-check tolerance, as check_solution's budget rows: relative, plus a cent of rounding.
REL, ABS = 1e-9, 0.01


def after_plan_years(inputs: AllocationInputs) -> list[int]:
    """Return the years after the plan up to the costing horizon (empty when the horizon is the plan's last year).

    Examples
    --------
    >>> from dataclasses import replace
    >>> from tuoyu_model.allocation.inputs import toy_inputs
    >>> after_plan_years(toy_inputs()), after_plan_years(replace(toy_inputs(), horizon=2026))
    ([], [2025, 2026])

    """
    return costing_years(inputs)[0][len(inputs.years) :]


def subsidy_rates(inputs: AllocationInputs) -> dict:
    """Return ``(year, channel)`` → operating subsidy per slot-year (yuan), as :func:`subsidy_after_plan` reads it."""
    ops = inputs.operating_subsidy
    return dict(
        zip(
            zip(ops["year"].tolist(), ops["channel"].tolist(), strict=True),
            ops["subsidy_per_slot_year_yuan"].tolist(),
            strict=True,
        )
    )


def subsidy_after_plan(
    inputs: AllocationInputs, inclusive: pd.DataFrame, converted: float, year: int, rates: dict | None = None
) -> dict:
    """Return item → yuan of ``year`` for ``inclusive`` (``channel, slots``), ``converted`` and existing slots.

    The one rule of the money after the plan: :func:`commitments_table`, :func:`check_commitments`
    and the sweep's points use it. ``rates`` is :func:`subsidy_rates` of ``inputs`` when the caller
    already has it (the sweep asks for every year after the plan of every point).
    """
    op = subsidy_rates(inputs) if rates is None else rates
    ex = float(op[(year, inputs.existing_channel)])
    rate = np.array([op.get((year, c), np.nan) for c in inclusive["channel"].tolist()], dtype=float)
    return {
        "operating_subsidy_new": float((inclusive.slots.to_numpy(float) * rate).sum()) + converted * ex,
        "operating_subsidy_existing": ex * float(inputs.units.initial_inclusive.sum()),
    }


def commitments_table(model: AllocationModel, x: np.ndarray, v: np.ndarray) -> pd.DataFrame:
    """Return the operating subsidies the solution ``x, v`` commits in each year after the plan.

    Every inclusive slot built and every slot converted in the plan years is in service the
    whole year (no part-year after its first); the existing inclusive slots are committed too.

    Returns
    -------
    DataFrame
        ``year, item, amount_yuan, city_yuan, district_yuan`` (yuan of that year, to the cent),
        items ``operating_subsidy_new`` and ``operating_subsidy_existing``; no rows when the
        costing horizon is the plan's last year.

    """
    inp = model.inputs
    xm = model.x_meta
    inc = pd.DataFrame({"channel": xm.channel, "slots": x * xm["scale"].to_numpy()})[xm.kind.to_numpy() == "inclusive"]
    converted = float(np.sum(v))
    rows = []
    for y in after_plan_years(inp):
        for item, amount in subsidy_after_plan(inp, inc, converted, y).items():
            city = city_share(inp, item)
            rows.append((y, item, amount, amount * city, amount * (1 - city)))
    out = pd.DataFrame(rows, columns=COMMITMENT_COLUMNS)
    for c in COMMITMENT_COLUMNS[2:]:
        out[c] = clean(out[c], 2)
    return out.astype({"year": "int64"})


def counted_money(model: AllocationModel, year_money: dict, x: np.ndarray, v: np.ndarray) -> float:
    """Return the public money the objective counts for a solution: the plan years' and the commitments after.

    ``year_money`` is year → the plan year's money (``solve.year_spending``); each year × its
    discount weight (:func:`~tuoyu_model.allocation.build.costing_years`). With the horizon at
    the plan's last year and no discounting it is the plan years' money.
    """
    disc = model.data.disc
    after = commitment_by_year(commitments_table(model, x, v))
    return sum(m * disc[y] for y, m in year_money.items()) + sum(m * disc[y] for y, m in after.items())


def commitment_by_year(commitments: pd.DataFrame) -> dict[int, float]:
    """Return year → yuan committed (all items), from :func:`commitments_table`.

    Examples
    --------
    >>> t = pd.DataFrame({"year": [2026, 2026], "item": list(COMMITMENT_ITEMS), "amount_yuan": [5.0, 2.0]})
    >>> commitment_by_year(t)
    {2026: 7.0}

    """
    if commitments is None or not len(commitments):
        return {}
    return {int(y): float(v) for y, v in commitments.groupby("year")["amount_yuan"].sum().items()}


def check_commitments(result, inputs: AllocationInputs) -> list[str]:
    """Rebuild ``result.commitments`` from ``result.allocation`` and ``result.conversions``; return the differences.

    Also checks the items, the years (every year after the plan to the horizon) and city +
    district = amount.
    """
    bad: list[str] = []
    got = getattr(result, "commitments", None)
    years = after_plan_years(inputs)
    if got is None or not len(got):
        return [f"commitments: no rows for the years {years[0]}–{years[-1]} after the plan"] if years else []
    if sorted(set(got.year)) != years or set(got.item) != set(COMMITMENT_ITEMS):
        bad.append(f"commitments: years {sorted(set(got.year))} or items {sorted(set(got.item))} not the model's")
    a = result.allocation
    inc = a.loc[a.kind == "inclusive", ["channel", "new_slots"]].rename(columns={"new_slots": "slots"})
    converted = float(result.conversions.slots.sum()) if len(result.conversions) else 0.0
    n_conv = len(result.conversions)
    for y in years:
        rows = got[got.year == y]
        # The tables give fractional slots (linear relaxation) to 1e-6: each row may be off by half
        # of that, so the money rebuilt from it by half of 1e-6 × its price (as check_solution allows).
        per_row = subsidy_after_plan(inputs, inc.assign(slots=1.0), float(n_conv), y)
        for item, amount in subsidy_after_plan(inputs, inc, converted, y).items():
            have = float(rows.loc[rows.item == item, "amount_yuan"].sum())
            rounding = 5e-7 * abs(per_row[item]) if item == "operating_subsidy_new" else 0.0
            if abs(have - amount) > REL * abs(amount) + ABS + rounding:
                bad.append(f"{y}: commitment {item} {have:,.2f} ≠ {amount:,.2f} rebuilt from the allocation")
    if not np.allclose(got.city_yuan + got.district_yuan, got.amount_yuan, atol=0.015):
        bad.append("commitments: city + district ≠ amount")
    return bad
