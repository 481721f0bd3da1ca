"""Build the allocation LP: :func:`create_model` is a list of builders, each adding one part.

Each builder is a verb named after what it adds (the way PyPSA's ``create_model`` reads):
variables, targets, capacities, the district share and centre, the budget rows, the objective.
Constraint names are ``<family>-<town>-<year>``; rows are added unit by unit, then the district's,
whatever the order of the builders. The containers and the indexed inputs the builders share
(:class:`AllocationModel`, :func:`prepare`) are in :mod:`tuoyu_model.allocation.model`. The
formulation is written out in the package docstring (:mod:`tuoyu_model.allocation`) and in
``docs/formulation.md``.
"""

from __future__ import annotations

import math
import time

import pandas as pd
import pulp

from tuoyu_model.allocation.inputs import AllocationInputs, centre_host_rule
from tuoyu_model.allocation.model import (
    BUDGET,
    BUDGET_SOURCE,
    CAPACITY,
    CENTRE,
    CENTRE_PROJECT,
    CENTRE_SITE,
    CONVERSION,
    EQ,
    GE,
    LE,
    PROJECT,
    SHARE,
    SOURCE_BUDGETS,
    TARGETS,
    TOL,
    AllocationModel,
    _Data,
    _phi,
    prepare,
)
from tuoyu_model.costs import CHANNELS


def create_model(
    inputs: AllocationInputs,
    budget_rhs: dict | None = None,
    integer: bool | None = None,
) -> AllocationModel:
    """Build the PuLP problem (the formulation is in the package docstring).

    Expressions are assembled from prepared coefficient lists, never by repeated ``+=``, so
    building stays well below the solver's time at every size.

    Parameters
    ----------
    inputs : AllocationInputs
    budget_rhs : dict, optional
        Year → absolute budget in yuan (``None`` = no row); default ``inputs.budget``.
    integer : bool, optional
        Integer decisions (default ``inputs.integer_classes or inputs.whole_slots``): whole
        slots, and whole classes when ``inputs.integer_classes``; ``False`` builds the linear
        relaxation (the duals come from it).

    Returns
    -------
    AllocationModel

    Examples
    --------
    >>> from tuoyu_model.allocation.inputs import toy_inputs
    >>> m = create_model(toy_inputs())
    >>> list(zip(m.rows.family, m.rows.town, m.rows.year))[:3], len(m.x_vars)
    ([('total', 'a', 2024), ('inclusive', 'a', 2024), ('capacity_community', 'a', 2024)], 2)

    """
    t0 = time.perf_counter()
    integer = (inputs.integer_classes or inputs.whole_slots) if integer is None else integer
    m = AllocationModel(pulp.LpProblem("tuoyu_allocation", pulp.LpMinimize), inputs, integer)
    m.budget_rhs = dict(inputs.budget if budget_rhs is None else budget_rhs)
    m.data = prepare(inputs, integer)
    add_committed_spending(m)
    add_centre_sites(m)
    add_slot_variables(m)
    add_conversion_variables(m)
    add_shortfall_variables(m)
    add_target_constraints(m)
    add_capacity_constraints(m)
    add_conversion_constraints(m)
    add_share_constraints(m)
    add_centre_constraints(m)
    add_budget_constraints(m)
    add_source_budget_constraints(m)
    add_project_size_constraints(m)
    add_objective(m)
    m.rows.commit(m.prob)
    m.build_seconds = time.perf_counter() - t0
    return m


def add_committed_spending(m: AllocationModel) -> None:
    """Record each year's operating subsidy committed to the existing inclusive slots (yuan).

    Not a decision: a constant of the objective (min_cost, to the horizon) and taken off each
    budget row; ``committed_after`` holds the years after the plan.
    """
    inp, d = m.inputs, m.data
    m.committed = {y: d.op[(y, inp.existing_channel)] * sum(d.I0.values()) for y in d.years}
    m.committed_after = {y: d.op[(y, inp.existing_channel)] * sum(d.I0.values()) for y in d.cyears[len(d.years) :]}


def add_centre_sites(m: AllocationModel) -> None:
    """Give the district centre its capacity in its host, or a binary site choice per unit.

    With ``district_centre_unit: auto`` in whole classes every unit may host it and binaries
    ``site_<unit>`` choose one; otherwise the host is :func:`centre_host_rule`'s.
    """
    inp, d = m.inputs, m.data
    m.centre_host = host = centre_host_rule(inp)
    if host is None:
        return
    # In integer mode the site is chosen by binaries; its linear relaxation (solved for the
    # rounding cost and the duals) keeps the same rows with 0 ≤ z ≤ 1, so it is a true
    # relaxation and the rounding cost is never negative.
    choose = inp.integer_classes and inp.centre_unit == "auto"
    q = inp.slots_per_class.get("centre", 1) if inp.integer_classes else 1
    ccap = math.ceil(inp.centre_slots / q) * q
    for i in d.units if choose else [host]:
        for y in d.years:
            d.cap[(i, "centre", y)] = ccap
    if choose:
        m.centre_sites = {
            i: m.prob.add_variable(
                f"site_{i}", lowBound=0, upBound=1, cat=pulp.LpInteger if m.integer else pulp.LpContinuous
            )
            for i in d.units
        }
    cy = inp.centre_year
    d.centre_year = cy if d.years[0] <= cy <= d.years[-1] else None  # outside: the pre-solve check says so


def add_slot_variables(m: AllocationModel) -> None:
    """Add ``x_<unit>_<year>_<channel>_<kind>``: new slots (or whole classes) where a channel has room."""
    inp, d = m.inputs, m.data
    xm = d.xm
    for i in d.units:
        for c, k, a in d.allowed:
            if max((d.cap.get((i, c, y), 0.0) for y in d.years), default=0.0) <= TOL:
                continue
            q = inp.slots_per_class.get(c, 1) if d.classes else 1
            for y in d.years:
                if d.cap.get((i, c, y), 0.0) <= TOL:
                    continue
                m.x_vars.append(m.prob.add_variable(f"x_{i}_{y}_{c}_{k}", lowBound=0, cat=d.cat))
                xm.append((i, y, c, k, float(q), a))
    cols = list(zip(*xm, strict=True)) if xm else [()] * 6
    m.x_meta = pd.DataFrame(
        {
            "town_id": pd.Series(cols[0], dtype=object),
            "year": pd.Series(cols[1], dtype="int64"),
            "channel": pd.Series(cols[2], dtype=object),
            "kind": pd.Series(cols[3], dtype=object),
            "scale": pd.Series(cols[4], dtype=float),
            "capital": pd.Series(cols[5], dtype=float),
        }
    )
    d.by_unit_x = {i: [] for i in d.units}
    for var, (i, y, c, k, q, _a) in zip(m.x_vars, xm, strict=True):
        d.by_unit_x[i].append((var, y, c, k, q))


def add_conversion_variables(m: AllocationModel) -> None:
    """Add ``v_<unit>_<year>``: existing market slots converted to inclusive, where some are convertible."""
    d = m.data
    vm = d.vm
    for i in d.units:
        for y in d.years:
            if d.vcap.get((i, y), 0.0) > TOL:
                m.v_vars.append(m.prob.add_variable(f"v_{i}_{y}", lowBound=0, cat=d.cat))
                vm.append((i, y))
    cols = list(zip(*vm, strict=True)) if vm else [(), ()]
    m.v_meta = pd.DataFrame({"town_id": pd.Series(cols[0], dtype=object), "year": pd.Series(cols[1], dtype="int64")})
    d.by_unit_v = {i: [] for i in d.units}
    for var, (i, y) in zip(m.v_vars, vm, strict=True):
        d.by_unit_v[i].append((var, y))


def add_shortfall_variables(m: AllocationModel) -> None:
    """Add the shortfall ``u_<family>_…`` of every target row: unit totals, inclusive, coverage, share, centre.

    A coverage row exists wherever the unit's minimum exceeds its inclusive stock at the start,
    whatever its inclusive target: a unit below its minimum always shows a coverage shortfall
    (issue 10: a row made only where the minimum exceeded the target hid 大兴经开区's).

    With whole slots the shortfalls are whole too: with whole targets and stock they would come
    out whole anyway, but s·S of the share row is fractional (rounded up: slots still missing),
    and integer shortfalls let CBC prove optimality under a tight budget (budget_cut_20: 0.5 s,
    against no proof in 40 s with continuous ones), so HiGHS and CBC agree.
    """
    inp, d, add = m.inputs, m.data, m.prob.add_variable
    for i in d.units:
        for y in d.years:
            m.short[("total", i, y)] = add(f"u_total_{i}_{y}", lowBound=0, cat=d.cat)
            m.short[("inclusive", i, y)] = add(f"u_inclusive_{i}_{y}", lowBound=0, cat=d.cat)
            if d.MI[(i, y)] > d.I0[i]:  # every unit whose minimum the stock does not meet yet
                m.short[("coverage", i, y)] = add(f"u_coverage_{i}_{y}", lowBound=0, cat=d.cat)
    for y in d.years:
        if inp.share_target.get(y, 0) > 0:
            m.short[("share", "district", y)] = add(f"u_share_{y}", lowBound=0, cat=d.cat)
    if d.centre_year is not None:
        cy = d.centre_year
        m.short[("centre", "district", cy)] = add(f"u_centre_{cy}", lowBound=0, cat=d.cat)


def _inclusive_pairs(d: _Data, i: str, y: int) -> list:
    """Coefficients of unit ``i``'s inclusive slots added by year-end ``y`` (new inclusive + conversions)."""
    inc = [(var, q) for var, tau, _c, k, q in d.by_unit_x[i] if tau <= y and k == "inclusive"]
    return inc + [(var, 1.0) for var, tau in d.by_unit_v[i] if tau <= y]


def add_target_constraints(m: AllocationModel) -> None:
    """Add ``total-``, ``inclusive-`` and ``coverage-<unit>-<year>``: stock plus additions plus shortfall ≥ target."""
    d = m.data
    for i in d.units:
        key = (d.upos[i], TARGETS)
        for y in d.years:
            tot = [(var, q) for var, tau, _c, _k, q in d.by_unit_x[i] if tau <= y]
            inc = _inclusive_pairs(d, i, y)
            rhs_t, rhs_i = d.T[(i, y)] - d.S0[i], d.TI[(i, y)] - d.I0[i]
            m.rows.add(key, tot + [(m.short[("total", i, y)], 1.0)], GE, rhs_t, "total", i, y)
            m.rows.add(key, inc + [(m.short[("inclusive", i, y)], 1.0)], GE, rhs_i, "inclusive", i, y)
            if ("coverage", i, y) in m.short:
                rhs_c = d.MI[(i, y)] - d.I0[i]
                m.rows.add(key, inc + [(m.short[("coverage", i, y)], 1.0)], GE, rhs_c, "coverage", i, y)


def add_capacity_constraints(m: AllocationModel) -> None:
    """Add ``capacity_<channel>-<unit>-<year>``: cumulative new slots of a channel ≤ its capacity by then.

    The centre's row in a chosen site is ``x ≤ capacity × site``.
    """
    d = m.data
    for i in d.units:
        key = (d.upos[i], CAPACITY)
        for c in CHANNELS:
            cx = [(var, tau, q) for var, tau, cc, _k, q in d.by_unit_x[i] if cc == c]
            if not cx:
                continue
            for y in d.years:
                pairs = [(var, q) for var, tau, q in cx if tau <= y]
                if c == "centre" and m.centre_sites:
                    site = [(m.centre_sites[i], -d.cap[(i, c, y)])]
                    m.rows.add(key, pairs + site, LE, 0.0, f"capacity_{c}", i, y)
                elif pairs:
                    m.rows.add(key, pairs, LE, d.cap.get((i, c, y), 0.0), f"capacity_{c}", i, y)


def add_conversion_constraints(m: AllocationModel) -> None:
    """Add ``conversion-<unit>-<year>``: cumulative conversions ≤ the convertible market slots by then."""
    d = m.data
    for i in d.units:
        for y in d.years:
            pairs = [(var, 1.0) for var, tau in d.by_unit_v[i] if tau <= y]
            if pairs:
                m.rows.add((d.upos[i], CONVERSION), pairs, LE, d.vcap[(i, y)], "conversion", i, y)


def add_share_constraints(m: AllocationModel) -> None:
    """Add ``share-district-<year>``: inclusive slots + shortfall ≥ the share target × all slots.

    Written as Σ (1 − s) x_inc − s x_market + v + u ≥ s·S⁰ − I⁰; the row's ``scale`` 0.01 says
    one share point is 1% of the district's slots at that year-end.
    """
    inp, d = m.inputs, m.data
    s0_all, i0_all = sum(d.S0.values()), sum(d.I0.values())
    for y in d.years:
        s = inp.share_target.get(y, 0)
        if s <= 0:
            continue
        pairs = []
        for i in d.units:
            pairs.extend(
                (var, q * ((1 - s) if k == "inclusive" else -s)) for var, tau, _c, k, q in d.by_unit_x[i] if tau <= y
            )
            pairs.extend((var, 1.0) for var, tau in d.by_unit_v[i] if tau <= y)
        pairs.append((m.short[("share", "district", y)], 1.0))
        m.rows.add((len(d.units), SHARE), pairs, GE, s * s0_all - i0_all, "share", "district", y, scale=0.01)


def add_centre_constraints(m: AllocationModel) -> None:
    """Add ``centre-district-<year>`` (centre slots by then + shortfall ≥ required) and ``centre_site`` (Σ z = 1)."""
    inp, d = m.inputs, m.data
    cy = d.centre_year
    if cy is not None:
        pairs = [(var, q) for i in d.units for var, tau, c, _k, q in d.by_unit_x[i] if c == "centre" and tau <= cy] + [
            (m.short[("centre", "district", cy)], 1.0)
        ]
        m.rows.add((len(d.units), CENTRE), pairs, GE, inp.centre_slots, "centre", "district", cy)
    if m.centre_sites:
        pairs = [(z, 1.0) for z in m.centre_sites.values()]
        m.rows.add((len(d.units), CENTRE_SITE), pairs, EQ, 1.0, "centre_site", "district", inp.centre_year)


def spending_pairs(m: AllocationModel) -> dict:
    """Return year → coefficients of that year's public money: capital when built, operating subsidies after."""
    inp, d = m.inputs, m.data
    f, ex, g = inp.service_fraction, inp.existing_channel, inp.conversion_cost_yuan
    spend: dict = {y: [] for y in d.years}
    for var, (_i, tau, c, k, q, a) in zip(m.x_vars, d.xm, strict=True):
        for y in d.years[d.ypos[tau] :]:
            money = q * (a if y == tau else 0.0)
            if k == "inclusive":
                money += q * d.op[(y, c)] * _phi(tau, y, f)
            if money:
                spend[y].append((var, money))
    for var, (_i, tau) in zip(m.v_vars, d.vm, strict=True):
        for y in d.years[d.ypos[tau] :]:
            money = (g if y == tau else 0.0) + d.op[(y, ex)] * _phi(tau, y, f)
            if money:
                spend[y].append((var, money))
    return spend


def add_budget_constraints(m: AllocationModel) -> None:
    """Add ``budget-district-<year>``: that year's new spending ≤ budget − committed subsidies (rows only where set)."""
    spend = spending_pairs(m)
    for y in m.data.years:
        b = m.budget_rhs.get(y)
        if b is not None:
            rhs = max(0.0, b - m.committed[y])
            m.rows.add((len(m.data.units), BUDGET), spend[y], LE, rhs, "budget", "district", y)


def add_source_budget_constraints(m: AllocationModel) -> None:
    """Add ``budget_city-`` / ``budget_district-district-<year>``: a source's share of the year's money ≤ its limit.

    A source pays ``city_share_of_capital`` (or the rest) of capital and conversions and
    ``city_share_of_operating`` (or the rest) of operating subsidies; its share of the committed
    subsidies of the existing inclusive slots is taken off its limit. Rows only where a limit is
    set (``budget_city``, ``budget_district``); the total ``budget`` row keeps applying.
    """
    inp, d = m.inputs, m.data
    f, ex, g = inp.service_fraction, inp.existing_channel, inp.conversion_cost_yuan
    for family, (name, is_city) in SOURCE_BUDGETS.items():
        limits = getattr(inp, name)
        if all(limits.get(y) is None for y in d.years):
            continue
        sc = inp.city_share_capital if is_city else 1.0 - inp.city_share_capital
        so = inp.city_share_operating if is_city else 1.0 - inp.city_share_operating
        spend: dict = {y: [] for y in d.years}
        for var, (_i, tau, c, k, q, a) in zip(m.x_vars, d.xm, strict=True):
            for y in d.years[d.ypos[tau] :]:
                money = q * (a if y == tau else 0.0) * sc
                if k == "inclusive":
                    money += q * d.op[(y, c)] * _phi(tau, y, f) * so
                if money:
                    spend[y].append((var, money))
        for var, (_i, tau) in zip(m.v_vars, d.vm, strict=True):
            for y in d.years[d.ypos[tau] :]:
                money = (g if y == tau else 0.0) * sc + d.op[(y, ex)] * _phi(tau, y, f) * so
                if money:
                    spend[y].append((var, money))
        for y in d.years:
            b = limits.get(y)
            if b is not None:
                rhs = max(0.0, b - m.committed[y] * so)
                m.rows.add((len(d.units), BUDGET_SOURCE), spend[y], LE, rhs, family, "district", y)


def add_objective(m: AllocationModel) -> None:
    """Set the objective: public money to the horizon (min_cost) or −weighted slot-years (max_slots), plus penalties.

    Under min_cost a decision costs its capital once and its operating subsidy every year from
    its first to the costing horizon, each year's money × its discount weight
    (:func:`costing_years`). The committed subsidies of the existing inclusive slots, to the
    horizon, are a constant (min_cost only).
    """
    inp, d = m.inputs, m.data
    f, ex, g = inp.service_fraction, inp.existing_channel, inp.conversion_cost_yuan
    maximise, w_inc = inp.objective == "max_slots", inp.inclusive_weight
    obj: list = []
    for var, (_i, tau, c, k, q, a) in zip(m.x_vars, d.xm, strict=True):
        n_years = len(d.years) - d.ypos[tau]
        if maximise:
            obj.append((var, -q * n_years * (w_inc if k == "inclusive" else 1.0)))
            continue
        cost = q * (a + inp.tie_break) * d.disc[tau]
        if k == "inclusive":
            for y in d.cyears[d.ypos[tau] :]:
                cost += q * d.op[(y, c)] * _phi(tau, y, f) * d.disc[y]
        obj.append((var, cost))
    for var, (_i, tau) in zip(m.v_vars, d.vm, strict=True):
        if maximise:
            obj.append((var, -(w_inc - 1.0) * (len(d.years) - d.ypos[tau])))
            continue
        cost = g * d.disc[tau]
        for y in d.cyears[d.ypos[tau] :]:
            cost += d.op[(y, ex)] * _phi(tau, y, f) * d.disc[y]
        obj.append((var, cost))
    pen = dict(inp.penalties) | {"centre": inp.penalties["coverage"]}  # the centre shares the coverage penalty
    obj.extend((var, pen[key[0]]) for key, var in m.short.items())
    committed = sum(m.committed[y] * d.disc[y] for y in d.years)
    constant = 0.0 if maximise else committed + sum(v * d.disc[y] for y, v in m.committed_after.items())
    m.prob.setObjective(pulp.LpAffineExpression(obj, constant=constant))


def add_project_size_constraints(m: AllocationModel) -> None:
    """Add projects of real size: openings of at least a minimum, and the district centre built whole.

    Per unit, channel with a minimum m_c (``project_min_slots``) and year with new slots: an open
    variable o (binary in the MILP; 0 ≤ o ≤ 1 in the relaxation the duals come from) and the rows
    ``project_min_<c>-<unit>-<year>`` (Σ_k x ≥ m_c·o) and ``project_max_<c>-…`` (Σ_k x ≤ X̄·o):
    a year's new slots of a channel are 0 or at least one opening. With ``centre_one_project``
    the centre is built in its year only, whole: ``project_centre-<host>-<year>`` is Σ x = Z'·o
    in the centre year (Z' its size) and Σ x = 0 in the others, and Σ o ≤ 1 over the hosts
    (``project_centre_once-district-<year>``). The open variables are not in the objective.
    """
    inp, d = m.inputs, m.data
    cat = pulp.LpInteger if m.integer else pulp.LpContinuous
    centre: list = []
    whole_centre = inp.centre_one_project and d.centre_year is not None
    for i in d.units:
        key = (d.upos[i], PROJECT)
        for c in CHANNELS:
            least = float(inp.project_min_slots.get(c, 0.0)) if c != "centre" else 0.0
            if (c == "centre" and not whole_centre) or (c != "centre" and least <= 0):
                continue
            for y in d.years:
                pairs = [(var, q) for var, tau, cc, _k, q in d.by_unit_x[i] if cc == c and tau == y]
                if not pairs:
                    continue
                if c == "centre" and y != d.centre_year:
                    m.rows.add(key, pairs, EQ, 0.0, "project_centre", i, y)
                    continue
                o = m.prob.add_variable(f"open_{i}_{y}_{c}", lowBound=0, upBound=1, cat=cat)
                m.opens[(i, c, y)] = o
                size = d.cap[(i, c, y)]
                if c == "centre":
                    m.rows.add(key, pairs + [(o, -size)], EQ, 0.0, "project_centre", i, y)
                    centre.append(o)
                    continue
                m.rows.add(key, pairs + [(o, -least)], GE, 0.0, f"project_min_{c}", i, y)
                m.rows.add(key, pairs + [(o, -size)], LE, 0.0, f"project_max_{c}", i, y)
    if centre:
        pairs = [(o, 1.0) for o in centre]
        m.rows.add((len(d.units), CENTRE_PROJECT), pairs, LE, 1.0, "project_centre_once", "district", d.centre_year)
