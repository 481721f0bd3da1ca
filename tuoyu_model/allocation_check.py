"""Checks around the allocation LP: what cannot be met, and every constraint re-checked.

Before solving, :func:`presolve_notes` says what the inputs make impossible; after solving,
:func:`check_solution` re-checks every constraint on the output tables, independently of PuLP.

The pre-solve check follows spopt's habit: explain with numbers what the data make impossible,
so a shortfall in the results is never a surprise. The penalties keep the LP feasible, so these
findings are notes, not errors.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from tuoyu_model.allocation import AllocationInputs, AllocationResult, centre_host_rule, wan

CHECK_TOL = 1e-4  # slots or yuan; the solver's feasibility tolerance is 1e-7 relative
BUDGET_REL = 1e-9  # budget items rebuilt from the tables agree with result.budget to this share…
BUDGET_ABS = 0.01  # …plus a cent: result.budget is rounded to the cent


def _yuan(x: float) -> str:
    """Money in the English half of a note; the Chinese half says 万元 (:func:`wan`)."""
    return f"¥{x:,.0f}"


def presolve_notes(inputs: AllocationInputs, budget: dict | None = None) -> list[str]:
    """Return sentences (Chinese / English) on targets the inputs cannot meet, with numbers.

    Parameters
    ----------
    inputs : AllocationInputs
    budget : dict, optional
        Year → yuan (``None`` = no limit); default ``inputs.budget``.

    Returns
    -------
    list of str
        Empty when nothing is evidently out of reach.

    Examples
    --------
    >>> from tuoyu_model.allocation import _toy_inputs
    >>> from dataclasses import replace
    >>> presolve_notes(replace(_toy_inputs(), budget={2024: 500.0}))[0].split(" / ")[0]
    '2024年预算扣除存量运营补贴后共0.05万元，低于新增10个普惠托位（单位目标及0%占比要求）至少所需的0.10万元（按最便宜的渠道依次计算，每个托位最低约100元），将出现普惠缺口'


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
                notes.append(
                    f"{y}年{name}托位目标{target:,.0f}个，但现有{s0:,.0f}个加各渠道产能最多{reach:,.0f}个，"
                    f"至少缺{target - reach:,.0f}个 / {y} {i}: target {target:,.0f} slots but the existing "
                    f"{s0:,.0f} plus channel capacity reach at most {reach:,.0f}: short by at least "
                    f"{target - reach:,.0f}"
                )
            want = max(tg.at[(i, y), "target_inclusive"], tg.at[(i, y), "min_inclusive"])
            reach_i = i0 + cap_inc.get((i, y), 0.0) + conv.get((i, y), 0.0) + extra
            if want > reach_i + 1e-9:
                notes.append(
                    f"{y}年{name}普惠托位需{want:,.0f}个，但现有普惠{i0:,.0f}个加普惠产能和存量转化最多"
                    f"{reach_i:,.0f}个 / {y} {i}: {want:,.0f} inclusive slots required but the existing "
                    f"{i0:,.0f} plus inclusive capacity and conversions reach at most {reach_i:,.0f}"
                )
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
            notes.append(
                f"{y}年全区至少需要普惠托位{need_inc[y]:,.0f}个（占比目标{s:.0%}），"
                f"但最多只能有{max_inc:,.0f}个 / {y}: the district needs at least {need_inc[y]:,.0f} "
                f"inclusive slots ({s:.0%} share) but can reach at most {max_inc:,.0f}"
            )
    if inputs.centre_slots > 0 and inputs.centre_year is not None and not (years[0] <= inputs.centre_year <= years[-1]):
        notes.append(
            f"区托育综合服务中心要求在{inputs.centre_year}年建成，不在规划年份{years[0]}–{years[-1]}内，"
            f"本次不作约束 / the district centre is due in {inputs.centre_year}, outside the planned years "
            f"{years[0]}–{years[-1]}; not constrained in this run"
        )
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
            notes.append(
                f"{y}年预算{wan(b)}低于2023年底存量普惠托位{i0_all:,.0f}个的运营补贴"
                f"{wan(committed)}，新增和转化均无资金 / budget {y} of {_yuan(b)} is below the "
                f"{_yuan(committed)} committed to the operating subsidies of the {i0_all:,.0f} existing "
                "inclusive slots: nothing is left for new or converted slots"
            )
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
            span = f"{years[0]}–{y}" if y != years[0] else f"{y}"
            notes.append(
                f"{span}年预算扣除存量运营补贴后共{wan(free_money)}，低于新增{to_add:,.0f}个普惠托位"
                f"（单位目标及{inputs.share_target.get(y, 0):.0%}占比要求）至少所需的{wan(floor)}"
                f"（按最便宜的渠道依次计算，每个托位最低约{cheapest:,.0f}元），将出现普惠缺口 / "
                f"budget {span} leaves {_yuan(free_money)} "
                f"after the committed subsidies of existing slots, below the {_yuan(floor)} needed at least "
                f"for the {to_add:,.0f} inclusive slots required by the unit targets and the "
                f"{inputs.share_target.get(y, 0):.0%} share, taking the cheapest ways first "
                f"(from {_yuan(cheapest)} a slot); "
                "expect inclusive shortfalls"
            )
    if inputs.objective == "max_slots" and all(budget.get(y) is None for y in years):
        notes.append(
            "目标为“托位最多”但未设预算：方案将用满各渠道产能 / objective 'max_slots' without a budget "
            "builds every slot the capacities allow"
        )
    return notes


def check_solution(result: AllocationResult, inputs: AllocationInputs) -> list[str]:
    """Re-check every constraint on the output tables; return the violations (empty = all met).

    Uses only ``result``'s DataFrames and the inputs, never the solver's objects, so it also
    catches a mistake in reading the solution back.

    Examples
    --------
    >>> from tuoyu_model.allocation import _toy_inputs, solve
    >>> inp = _toy_inputs()
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
    # A coverage row exists only where the minimum exceeds the unit's inclusive target; elsewhere
    # the inclusive target (with its shortfall) already covers it.
    cover_short = np.where(tg.min_inclusive > tg.target_inclusive, s.shortfall_coverage, s.shortfall_inclusive)
    if ((s.inclusive_slots + cover_short) < tg.min_inclusive - tol).any():
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
        parts = money[money.year == y]
        for item, amount in rebuilt.items():
            got = float(parts.loc[parts.item == item, "amount_yuan"].sum())
            if abs(got - amount) > BUDGET_REL * abs(amount) + BUDGET_ABS:
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
    # whole classes
    if result.integer_classes:
        q = a.channel.map(inputs.slots_per_class)
        frac = (a.new_slots / q) - np.round(a.new_slots / q)
        if (np.abs(frac) > 1e-6).any():
            bad.append("integer mode: new slots not in whole classes")
    return bad
