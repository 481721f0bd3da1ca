"""Checks around the allocation LP: what cannot be met, and every constraint re-checked.

Before solving, :func:`presolve_notes` says what the inputs make impossible; after solving,
:func:`check_solution` re-checks every constraint on the output tables, independently of PuLP.

The pre-solve check follows spopt's habit: explain with numbers what the data make impossible,
so a shortfall in the results is never a surprise. The penalties keep the LP feasible, so these
findings are notes (:class:`~tuoyu_model.allocation.read.Note` records, worded by
:func:`tuoyu_model.presentation.sentences.note_text`), not errors.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from tuoyu_model.allocation.build import SOURCE_BUDGETS
from tuoyu_model.allocation.commitments import check_commitments
from tuoyu_model.allocation.inputs import AllocationInputs, centre_host_rule
from tuoyu_model.allocation.read import AllocationResult, Note, city_share

CHECK_TOL = 1e-4  # slots or yuan; the solver's feasibility tolerance is 1e-7 relative
BUDGET_REL = 1e-9  # budget items rebuilt from the tables agree with result.budget to this share…
BUDGET_ABS = 0.01  # …plus a cent: result.budget is rounded to the cent


def presolve_notes(inputs: AllocationInputs, budget: dict | None = None) -> list[Note]:
    """Return notes on targets the inputs cannot meet, with the numbers that show it.

    Parameters
    ----------
    inputs : AllocationInputs
    budget : dict, optional
        Year → yuan (``None`` = no limit); default ``inputs.budget``.

    Returns
    -------
    list of Note
        Empty when nothing is evidently out of reach. Codes: ``unit_total_unreachable``,
        ``unit_inclusive_unreachable``, ``district_inclusive_unreachable``,
        ``centre_outside_years``, ``budget_below_committed``, ``budget_below_need``,
        ``max_slots_without_budget``.

    Examples
    --------
    >>> from tuoyu_model.allocation.inputs import toy_inputs
    >>> from dataclasses import replace
    >>> presolve_notes(replace(toy_inputs(), budget={2024: 500.0}))
    [Note(code='budget_below_need', values={'first_year': 2024, 'year': 2024, 'free_yuan': 500.0, \
'slots': 10.0, 'share': 0.0, 'need_yuan': 1000.0, 'cheapest_yuan': 100.0})]

    """
    budget = dict(inputs.budget if budget is None else budget)
    notes: list[str] = []
    years = list(inputs.years)
    units = inputs.units
    tg = inputs.targets.set_index(["town_id", "year"])
    cap = inputs.capacity[inputs.capacity.channel != "centre"]
    allowed = inputs.unit_costs
    inc_channels = set(allowed.loc[allowed.kind == "inclusive", "channel"])
    host = centre_host_rule(inputs)
    cap_all = cap.groupby(["town_id", "year"])["capacity_slots"].sum()
    cap_inc = cap[cap.channel.isin(inc_channels)].groupby(["town_id", "year"])["capacity_slots"].sum()
    conv = inputs.conversion_capacity.set_index(["town_id", "year"])["capacity_slots"]
    centre_cap = inputs.centre_slots if host is not None else 0.0
    need_inc = {}
    for y in years:
        for i in units.index:
            s0, i0 = units.at[i, "initial_total"], units.at[i, "initial_inclusive"]
            extra = centre_cap if (i == host or (inputs.integer_classes and inputs.centre_unit == "auto")) else 0.0
            reach = s0 + cap_all.get((i, y), 0.0) + extra
            target = tg.at[(i, y), "target_total"]
            name = units.at[i, "town"]
            if target > reach + 1e-9:
                said = {"year": y, "town_id": i, "town": name, "target": target, "existing": s0, "reach": reach}
                notes.append(Note("unit_total_unreachable", said))
            want = max(tg.at[(i, y), "target_inclusive"], tg.at[(i, y), "min_inclusive"])
            reach_i = i0 + cap_inc.get((i, y), 0.0) + conv.get((i, y), 0.0) + extra
            if want > reach_i + 1e-9:
                said = {"year": y, "town_id": i, "town": name, "required": want, "existing": i0, "reach": reach_i}
                notes.append(Note("unit_inclusive_unreachable", said))
        # The district's inclusive slots needed: unit targets, and the share of the slots that
        # the unit totals force at least.
        s = inputs.share_target.get(y, 0.0)
        t = tg.xs(y, level="year").reindex(units.index)
        total_min = float(np.maximum(t.target_total, units.initial_total).sum())
        unit_need = float(np.maximum(t.target_inclusive, t.min_inclusive).sum())
        need_inc[y] = max(unit_need, s * total_min)
        # by year, not .xs: a district with no inclusive channel has an empty capacity table
        max_inc = float(
            units.initial_inclusive.sum()
            + cap_inc.groupby(level="year").sum().get(y, 0.0)
            + conv.groupby(level="year").sum().get(y, 0.0)
            + centre_cap
        )
        if need_inc[y] > max_inc + 1e-9:
            said = {"year": y, "required": need_inc[y], "share": s, "reach": max_inc}
            notes.append(Note("district_inclusive_unreachable", said))
    if inputs.centre_slots > 0 and inputs.centre_year is not None and not (years[0] <= inputs.centre_year <= years[-1]):
        said = {"centre_year": inputs.centre_year, "first_year": years[0], "last_year": years[-1]}
        notes.append(Note("centre_outside_years", said))
    # Money: the committed subsidies of the existing inclusive slots come first each year; then the
    # inclusive slots required by year y must have been paid from the budgets up to y, each at
    # least at the cheapest way to add one (capital + part-year subsidy, or a conversion).
    op = inputs.operating_subsidy.set_index(["year", "channel"])["subsidy_per_slot_year_yuan"]
    i0_all = float(units.initial_inclusive.sum())
    ex = inputs.existing_channel
    f = inputs.service_fraction
    free_money = 0.0
    for y in years:
        b = budget.get(y)
        if b is None:
            break  # an unlimited year makes every later bound void
        committed = float(op.loc[(y, ex)]) * i0_all
        if b < committed - 1e-6:
            said = {"year": y, "budget_yuan": b, "committed_yuan": committed, "existing_inclusive": i0_all}
            notes.append(Note("budget_below_committed", said))
        free_money += max(0.0, b - committed)
        # Cheapest first over the district's pools (a fractional knapsack): a valid lower bound,
        # since each slot costs at least its capital plus part of a year's subsidy in some year ≤ y.
        pools = []
        for r in allowed[allowed.kind == "inclusive"].itertuples(index=False):
            unit = min(float(r.capital_public_yuan) + f * float(op.loc[(yy, r.channel)]) for yy in years if yy <= y)
            room = (
                centre_cap
                if r.channel == "centre"
                else float(cap.loc[(cap.channel == r.channel) & (cap.year == y), "capacity_slots"].sum())
            )
            pools.append((unit, room))
        unit = min(inputs.conversion_cost_yuan + f * float(op.loc[(yy, ex)]) for yy in years if yy <= y)
        pools.append((unit, float(conv.groupby(level="year").sum().get(y, 0.0))))
        to_add = max(0.0, need_inc[y] - i0_all)
        floor, left = 0.0, to_add
        for unit, room in sorted(pools):
            take = min(left, max(room, 0.0))
            floor += take * unit
            left -= take
        # the cheapest way that has room: an empty pool (no conversions possible) prices nothing
        cheapest = min((u for u, room in pools if room > 0), default=min(u for u, _ in pools))
        if to_add > 0 and free_money < floor - 1e-6:
            said = {
                "first_year": years[0],
                "year": y,
                "free_yuan": free_money,
                "slots": to_add,
                "share": inputs.share_target.get(y, 0),
                "need_yuan": floor,
                "cheapest_yuan": cheapest,
            }
            notes.append(Note("budget_below_need", said))
    if inputs.objective == "max_slots" and all(budget.get(y) is None for y in years):
        notes.append(Note("max_slots_without_budget"))
    return notes


def check_solution(result: AllocationResult, inputs: AllocationInputs) -> list[str]:
    """Re-check every constraint on the output tables; return the violations (empty = all met).

    Uses only ``result``'s DataFrames and the inputs, never the solver's objects, so it also
    catches a mistake in reading the solution back.

    Examples
    --------
    >>> from tuoyu_model.allocation import solve, toy_inputs
    >>> inp = toy_inputs()
    >>> check_solution(solve(inp), inp)
    []

    """
    bad: list[str] = []
    tol = CHECK_TOL
    a, st, conv = result.allocation, result.stock, result.conversions
    units = inputs.units
    years = list(inputs.years)
    if (a.new_slots < -tol).any() or (conv.slots < -tol).any():
        bad.append("negative new slots or conversions")
    for col in ("shortfall_total", "shortfall_inclusive", "shortfall_coverage"):
        if (st[col] < -tol).any():
            bad.append(f"negative {col}")
    allowed = set(zip(inputs.unit_costs.channel, inputs.unit_costs.kind, strict=True))
    odd = [(c, k) for c, k in zip(a.channel, a.kind, strict=True) if (c, k) not in allowed]
    if odd:
        bad.append(f"slots in channel/kind not allowed: {odd[:3]}")
    # stock = start + cumulative additions
    grid = pd.MultiIndex.from_product([units.index, years], names=["town_id", "year"])
    add_t = a.groupby(["town_id", "year"])["new_slots"].sum().reindex(grid, fill_value=0.0)
    add_i = a[a.kind == "inclusive"].groupby(["town_id", "year"])["new_slots"].sum().reindex(grid, fill_value=0.0)
    add_v = conv.groupby(["town_id", "year"])["slots"].sum().reindex(grid, fill_value=0.0)
    cum_t = add_t.groupby(level="town_id").cumsum()
    cum_i = (add_i + add_v).groupby(level="town_id").cumsum()
    s = st.set_index(["town_id", "year"]).reindex(grid)
    exp_t = units.initial_total.reindex(grid.get_level_values(0)).to_numpy() + cum_t.to_numpy()
    exp_i = units.initial_inclusive.reindex(grid.get_level_values(0)).to_numpy() + cum_i.to_numpy()
    if not np.allclose(s.total_slots.to_numpy(), exp_t, atol=tol):
        bad.append("stock total_slots ≠ initial stock + cumulative new slots")
    if not np.allclose(s.inclusive_slots.to_numpy(), exp_i, atol=tol):
        bad.append("stock inclusive_slots ≠ initial inclusive + cumulative inclusive new slots + conversions")
    if (s.inclusive_slots > s.total_slots + tol).any():
        bad.append("inclusive slots above total slots")
    tg = inputs.targets.set_index(["town_id", "year"]).reindex(grid)
    if ((s.total_slots + s.shortfall_total) < tg.target_total - tol).any():
        bad.append("total target not met even with the reported shortfall")
    if ((s.inclusive_slots + s.shortfall_inclusive) < tg.target_inclusive - tol).any():
        bad.append("inclusive target not met even with the reported shortfall")
    # Every unit below its minimum shows it in its own coverage shortfall (never in another's).
    if ((s.inclusive_slots + s.shortfall_coverage) < tg.min_inclusive - tol).any():
        bad.append("coverage minimum not met even with the reported shortfall")
    if not np.allclose(s.target_total, tg.target_total) or not np.allclose(s.target_inclusive, tg.target_inclusive):
        bad.append("stock table targets differ from the inputs")
    # capacities (cumulative) and conversions
    capv = inputs.capacity.set_index(["town_id", "channel", "year"])["capacity_slots"]
    cum_c = (
        a[a.channel != "centre"]
        .groupby(["town_id", "channel", "year"])["new_slots"]
        .sum()
        .reindex(capv.index, fill_value=0.0)
        .groupby(level=["town_id", "channel"])
        .cumsum()
    )
    over = cum_c - capv
    if (over > tol).any():
        bad.append(f"channel capacity exceeded at {over[over > tol].index[0]}")
    leftover = set(a[a.channel != "centre"].groupby(["town_id", "channel", "year"]).groups) - set(capv.index)
    if leftover:
        bad.append(f"slots where no capacity is given: {sorted(leftover)[:3]}")
    cv = inputs.conversion_capacity.set_index(["town_id", "year"])["capacity_slots"]
    cum_v = add_v.groupby(level="town_id").cumsum().reindex(cv.index, fill_value=0.0)
    if ((cum_v - cv) > tol).any():
        bad.append("conversion capacity exceeded")
    market0 = units.initial_total - units.initial_inclusive
    if (add_v.groupby(level="town_id").sum().reindex(units.index, fill_value=0) > market0 + tol).any():
        bad.append("more slots converted than the existing market slots")
    # district share and centre
    d = result.district.set_index("year")
    for y in years:
        share = inputs.share_target.get(y, 0.0)
        tot = float(s.xs(y, level="year").total_slots.sum())
        inc = float(s.xs(y, level="year").inclusive_slots.sum())
        if inc + float(d.at[y, "shortfall_share"]) < share * tot - tol:
            bad.append(f"{y}: inclusive share {inc / tot:.4f} below {share} beyond the reported shortfall")
    centre = a[a.channel == "centre"]
    if inputs.centre_slots > 0 and inputs.centre_year in years:
        got = float(centre[centre.year <= inputs.centre_year].new_slots.sum())
        if got + float(d.at[inputs.centre_year, "shortfall_centre"]) < inputs.centre_slots - tol:
            bad.append("district centre slots below the requirement beyond the reported shortfall")
    if centre.town_id.nunique() > 1:
        bad.append(f"centre slots in more than one unit: {sorted(centre.town_id.unique())}")
    if (centre.kind != "inclusive").any():
        bad.append("centre slots that are not inclusive")
    # budget rows: each year's spending rebuilt from the allocation and conversion tables, never
    # from result.budget (which comes from the same code as the LP's money rows), then compared.
    money = result.budget
    lim = result.budget_limits.set_index("year")
    unit_cost = inputs.unit_costs.set_index(["channel", "kind"])["capital_public_yuan"]
    op = inputs.operating_subsidy.set_index(["year", "channel"])["subsidy_per_slot_year_yuan"]
    f, ex = inputs.service_fraction, inputs.existing_channel
    inc = a[a.kind == "inclusive"]
    unknown = set(money.item) - {"capital_subsidy", "conversion", "operating_subsidy_new", "operating_subsidy_existing"}
    if unknown:
        bad.append(f"budget items not in the model: {sorted(unknown)}")
    for y in years:
        new_y = a[a.year == y]
        served = inc[inc.year <= y]  # inclusive slots in service in y: a part-year in their first
        conv_served = conv[conv.year <= y]
        rebuilt = {
            "capital_subsidy": float(
                (
                    new_y.new_slots.to_numpy()
                    * unit_cost.reindex(list(zip(new_y.channel, new_y.kind, strict=True))).to_numpy()
                ).sum()
            ),
            "conversion": float(conv[conv.year == y].slots.sum()) * inputs.conversion_cost_yuan,
            "operating_subsidy_new": float(
                (
                    served.new_slots.to_numpy()
                    * np.where(served.year == y, f, 1.0)
                    * op.reindex([(y, c) for c in served.channel]).to_numpy()
                ).sum()
            )
            + float((conv_served.slots.to_numpy() * np.where(conv_served.year == y, f, 1.0)).sum())
            * float(op.loc[(y, ex)]),
            "operating_subsidy_existing": float(op.loc[(y, ex)]) * float(units.initial_inclusive.sum()),
        }
        # The tables give fractional slots (linear relaxation) to 1e-6: each row's slots may be off
        # by half of that, so the money rebuilt from them by half of 1e-6 × its price per slot.
        prices = {
            "capital_subsidy": unit_cost.reindex(list(zip(new_y.channel, new_y.kind, strict=True))).to_numpy(),
            "operating_subsidy_new": np.r_[
                op.reindex([(y, c) for c in served.channel]).to_numpy(), np.full(len(conv_served), op.loc[(y, ex)])
            ],
            "conversion": np.full(int((conv.year == y).sum()), inputs.conversion_cost_yuan),
        }
        parts = money[money.year == y]
        for item, amount in rebuilt.items():
            got = float(parts.loc[parts.item == item, "amount_yuan"].sum())
            rounding = 5e-7 * float(np.abs(prices.get(item, np.zeros(0))).sum())
            if abs(got - amount) > BUDGET_REL * abs(amount) + BUDGET_ABS + rounding:
                bad.append(f"{y}: budget item {item} {got:,.2f} ≠ {amount:,.2f} rebuilt from the allocation")
        b = lim.at[y, "budget_yuan"]
        total = sum(rebuilt.values())
        committed = rebuilt["operating_subsidy_existing"]
        if not pd.isna(b) and total > max(b, committed) + max(1.0, 1e-7 * b):
            bad.append(f"{y}: spending {total:,.2f} above the budget {b:,.2f}")
        if not np.allclose(parts.city_yuan + parts.district_yuan, parts.amount_yuan, atol=0.05):
            bad.append(f"{y}: city + district ≠ amount")
    # whole slots: new slots, conversions and every shortfall (the share's rounded up) in whole numbers
    if getattr(result, "whole_slots", False):
        d = result.district
        for what, col in (
            ("new slots", a.new_slots),
            ("conversions", conv.slots),
            ("shortfalls", st[["shortfall_total", "shortfall_inclusive", "shortfall_coverage"]]),
            ("district shortfalls", d[["shortfall_share", "shortfall_centre"]]),
        ):
            vals = np.asarray(col, dtype=float)
            if (np.abs(vals - np.round(vals)) > 1e-6).any():
                bad.append(f"whole slots: {what} not whole")
    if getattr(result, "whole_slots", False):  # the relaxation (whole_slots false) relaxes the projects too
        bad.extend(project_violations(a, inputs))
    # whole classes
    if result.integer_classes:
        q = a.channel.map(inputs.slots_per_class)
        frac = (a.new_slots / q) - np.round(a.new_slots / q)
        if (np.abs(frac) > 1e-6).any():
            bad.append("integer mode: new slots not in whole classes")
    return bad + check_stages(result, inputs) + check_source_budgets(result, inputs) + check_commitments(result, inputs)


def check_source_budgets(result: AllocationResult, inputs: AllocationInputs) -> list[str]:
    """Check each year's city and district money in ``result.budget`` against its split rule and its limit.

    The items' amounts are checked against the allocation by :func:`check_solution`; here each
    item's ``city_yuan`` must be its amount × :func:`~tuoyu_model.allocation.read.city_share`, and
    each source's total at most its limit (``budget_city``, ``budget_district``), or its share of
    the committed subsidies of the existing slots when the limit is below that.
    """
    bad: list[str] = []
    money = result.budget
    share = money.item.map(lambda item: city_share(inputs, item)).to_numpy(float)
    if not np.allclose(money.city_yuan, money.amount_yuan * share, atol=0.015):
        bad.append("city_yuan ≠ amount × the city's share of its item")
    for family, (name, is_city) in SOURCE_BUDGETS.items():
        col = "city_yuan" if is_city else "district_yuan"
        so = inputs.city_share_operating if is_city else 1.0 - inputs.city_share_operating
        for y, b in getattr(inputs, name).items():
            if b is None:
                continue
            parts = money[money.year == y]
            spent = float(parts[col].sum())
            committed = float(parts.loc[parts.item == "operating_subsidy_existing", "amount_yuan"].sum()) * so
            if spent > max(b, committed) + max(1.0, 1e-7 * b):
                bad.append(f"{y}: {family} spending {spent:,.2f} above its limit {b:,.2f}")
    return bad


def table_shortfalls(result: AllocationResult, inputs: AllocationInputs) -> dict:
    """Return every shortfall of the plan read from its tables: ``(family, unit or 'district', year) → slots``."""
    out = {}
    for r in result.stock.itertuples():
        for fam in ("total", "inclusive", "coverage"):
            out[(fam, r.town_id, int(r.year))] = float(getattr(r, f"shortfall_{fam}"))
    for r in result.district.itertuples():
        out[("share", "district", int(r.year))] = float(r.shortfall_share)
        if inputs.centre_slots > 0 and int(r.year) == inputs.centre_year:
            out[("centre", "district", int(r.year))] = float(r.shortfall_centre)
    return out


def check_stages(result: AllocationResult, inputs: AllocationInputs) -> list[str]:
    """Re-check the priority stages (``result.stages``) on the output tables; return the violations.

    A plan without stages has no shortfall (its first solve met every requirement); with stages,
    they follow ``requirement_priority`` in order, each tier's slots missing in the tables equal
    what its stage held, the equity stage (with ``rationing_rule: equity`` only) equals the largest
    shortfall as a share of a unit's target in the last tier, and every shortfall fixed by the
    tie-break stage is the one in the tables (none elsewhere).
    """
    bad: list[str] = []
    tol = CHECK_TOL
    short = table_shortfalls(result, inputs)
    stages = list(result.stages)
    if not stages:
        if any(u > tol for u in short.values()):
            bad.append("a shortfall in the tables but no priority stage was run")
        return bad
    tiers = [n for n, tier in enumerate(inputs.priority) if any(k[0] in tier for k in short)]
    seen = [s["tier"] for s in stages if s["stage"] in ("tier", "equity")]
    if seen != sorted(seen) or not set(seen) <= set(tiers):
        bad.append(f"priority stages out of the stated order: tiers {seen}")
    tg = inputs.targets.set_index(["town_id", "year"])
    for s in stages:
        if s["stage"] in ("tier", "equity") and s["families"] != "+".join(inputs.priority[s["tier"]]):
            bad.append(f"priority stage {s['tier']} is '{s['families']}', not the stated tier")
            continue
        if s["stage"] == "tier":
            got = sum(u for k, u in short.items() if k[0] in inputs.priority[s["tier"]])
            if abs(got - s["value"]) > tol * max(1.0, len(short)):
                bad.append(f"tier '{s['families']}': {got:g} slots missing in the tables, {s['value']:g} held")
        elif s["stage"] == "equity":
            shares = [
                u / float(tg.at[(i, y), f"target_{fam}"])
                for (fam, i, y), u in short.items()
                if fam in inputs.priority[s["tier"]]
                and fam in ("total", "inclusive")
                and float(tg.at[(i, y), f"target_{fam}"]) > 0
            ]
            # The held ratio may be exceeded by its slack (1e-6) plus the solver's feasibility
            # tolerance; 1e-5 of a target is far below one slot for every unit (targets < 10⁴).
            if abs(max(shares, default=0.0) - s["value"]) > 1e-5:
                bad.append(f"equity: largest shortfall share {max(shares, default=0.0):.6f} ≠ {s['value']:.6f} held")
    equity = [s for s in stages if s["stage"] == "equity"]
    if inputs.rationing != "equity" and equity:
        bad.append(f"an equity stage under rationing_rule '{inputs.rationing}'")
    units_short = any(u > tol for k, u in short.items() if k[0] in ("total", "inclusive"))
    if inputs.rationing == "equity" and units_short and not equity:
        bad.append("rationing_rule 'equity' but no equity stage for the unit targets")
    fixed = {s["key"]: s["value"] for s in stages if s["stage"] == "unit"}
    if fixed:
        for k, u in short.items():
            if abs(u - fixed.get(k, 0.0)) > tol:
                bad.append(f"shortfall {k}: {u:g} in the tables, {fixed.get(k, 0.0):g} fixed by the tie-break stage")
    return bad


def project_violations(allocation: pd.DataFrame, inputs: AllocationInputs) -> list[str]:
    """Return where the allocation table breaks the projects of real size (empty: none).

    A year's new slots of a channel in a unit (both kinds) are 0 or at least its
    ``project_min_slots``; with ``centre_one_project`` the centre is built only in its year, all
    of it (``district_centre_slots``, whole classes in class mode) or none.

    Examples
    --------
    >>> from tuoyu_model.allocation.inputs import toy_inputs
    >>> inp = toy_inputs()
    >>> inp.project_min_slots = {"community": 20.0}
    >>> a = pd.DataFrame({"town_id": ["a"], "year": [2024], "channel": ["community"], "new_slots": [5.0]})
    >>> project_violations(a, inp)
    ['a 2024 community: 5 new slots, fewer than one opening (20)']

    """
    bad = []
    opened = allocation.groupby(["town_id", "year", "channel"])["new_slots"].sum()
    for (i, y, c), n in opened.items():
        least = float(inputs.project_min_slots.get(c, 0.0)) if c != "centre" else 0.0
        if CHECK_TOL < n < least - CHECK_TOL:
            bad.append(f"{i} {y} {c}: {n:g} new slots, fewer than one opening ({least:g})")
    if inputs.centre_one_project and inputs.centre_year in inputs.years and inputs.centre_slots > 0:
        q = inputs.slots_per_class.get("centre", 1) if inputs.integer_classes else 1
        size = math.ceil(inputs.centre_slots / q) * q
        centre = opened[opened.index.get_level_values("channel") == "centre"]
        centre = centre[centre > CHECK_TOL]
        for (i, y, _c), n in centre.items():
            if y != inputs.centre_year or abs(n - size) > CHECK_TOL:
                bad.append(
                    f"district centre: {n:g} slots in {i} in {y}, not one project of {size:g} in {inputs.centre_year}"
                )
    return bad
