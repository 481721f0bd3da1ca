"""Solve the allocation: the budget, the plan, its relaxation, read into an :class:`AllocationResult`.

:func:`solve` runs the pre-solve check, then (with ``budget_share_of_need`` ≠ 1) a solve without
budget that sets the budget, with whole slots the linear relaxation at the same data (for the
shadow prices and the cost of rounding), and the plan's solve. A plan that meets every
requirement is one solve; otherwise :func:`tuoyu_model.allocation.priority.solve_in_priority`
runs the stated priority and rationing rule stage by stage (docs/formulation.md).
:func:`assign_solution` reads the solves into tables (:mod:`~tuoyu_model.allocation.read`) and
the relaxation's duals into the shadow prices (:mod:`~tuoyu_model.allocation.sensitivity`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from tuoyu_model.allocation.build import create_model
from tuoyu_model.allocation.check import presolve_notes
from tuoyu_model.allocation.commitments import commitments_table, counted_money
from tuoyu_model.allocation.inputs import AllocationInputs, inputs_from_parameters
from tuoyu_model.allocation.priority import Solved, solve_in_priority, solve_model
from tuoyu_model.allocation.read import (
    UNMET_TOL,
    AllocationResult,
    Note,
    clean,
    money_by_unit,
    money_table,
    stock_table,
)
from tuoyu_model.allocation.sensitivity import ranging, shadow_table
from tuoyu_model.allocation.shortfall import centre_shortfall, final_shortfall, shortfall_notes
from tuoyu_model.allocation.solver import resolve_solver


def year_spending(solved: Solved) -> dict:
    """Return year → public money (yuan) of a solve."""
    money = money_table(solved.model, solved.x, solved.v)
    return money.groupby("year")["amount_yuan"].sum().to_dict()


@dataclass
class _Clock:
    build: float = 0.0
    wall: float = 0.0
    solver: float = 0.0
    count: int = 0

    def add(self, solved: Solved) -> Solved:
        self.build += solved.model.build_seconds
        self.wall += solved.record.wall_seconds
        self.solver += solved.record.solver_seconds
        self.count += solved.solves
        return solved


def solve_staged_plan(inputs: AllocationInputs, budget: dict, solver: str) -> tuple[Solved, Solved]:
    """Solve the plan at ``budget`` in priority stages; return it and the solve its shadow prices come from.

    With whole slots the relaxation is solved first: it gives the shadow prices, and when it has a
    shortfall the plan has one too, so the plan's stages start without the costly whole-slot solve
    of step 1. In the linear program a plan with stages takes its shadow prices from the stages
    without the per-unit fixing, so the last tier's rows (and the budget) keep their penalty prices.
    """
    model = create_model(inputs, budget)
    if model.integer:
        lp_solved = solve_in_priority(create_model(inputs, budget, integer=False), solver, tie_break=False)
        return solve_in_priority(model, solver, first=not lp_solved.stages), lp_solved
    solved = solve_in_priority(model, solver)
    if solved.stages:
        return solved, solve_in_priority(create_model(inputs, budget), solver, tie_break=False)
    return solved, solved


def solve(inputs: AllocationInputs) -> AllocationResult:
    """Solve the allocation and return tidy tables; values are read only from an Optimal solve.

    Runs the pre-solve check first (its findings go to ``result.notes``), then the model; with
    ``budget_share_of_need`` ≠ 1 it solves once without budget (same mode: whole slots when the
    run is in whole slots) to set each year's budget; with whole slots or whole classes it also
    solves the linear relaxation at the same data, for the shadow prices and the cost of rounding.

    Parameters
    ----------
    inputs : AllocationInputs

    Returns
    -------
    AllocationResult

    Raises
    ------
    SolverError
        The solver did not report an optimal solution (the message names the status and the cause).

    Examples
    --------
    >>> from tuoyu_model.allocation.inputs import toy_inputs
    >>> r = solve(toy_inputs())
    >>> r.status, r.public_cost_yuan
    ('Optimal', 1000.0)

    """
    solver, fell_back = resolve_solver(inputs.solver)
    notes = [Note("solver_fallback", {"asked": inputs.solver, "used": solver})] if fell_back else []
    clock = _Clock()
    budget = dict(inputs.budget)
    basis = {y: ("absolute" if budget.get(y) is not None else "none") for y in inputs.years}
    if inputs.budget_share_of_need != 1 and any(budget.get(y) is None for y in inputs.years):
        # Same mode as the plan itself, so '80% of need' is 80% of what the uncut plan spends.
        need = year_spending(clock.add(solve_model(create_model(inputs, {y: None for y in inputs.years}), solver)))
        for y in inputs.years:
            if budget.get(y) is None:
                budget[y] = inputs.budget_share_of_need * need[y]
                basis[y] = "share_of_need"
        set_to = {y: budget[y] for y in inputs.years}
        notes.append(Note("budget_share_of_need", {"share": inputs.budget_share_of_need, "budget_yuan": set_to}))
    notes.extend(presolve_notes(inputs, budget))
    solved, lp_solved = solve_staged_plan(inputs, budget, solver)
    clock.add(solved)
    if lp_solved is not solved:
        clock.add(lp_solved)
    rounding = lp_obj = rounding_short = None
    if solved.model.integer:
        lp_obj = lp_solved.record.objective
        # Rounding is told in public money and in slots, never as an objective difference: with
        # unmet targets that difference is mostly shortfall penalties, which are not money.
        # ... and in the money the objective counts: to the costing horizon (commitments after the plan)
        rounding = counted_money(solved.model, year_spending(solved), solved.x, solved.v) - counted_money(
            lp_solved.model, year_spending(lp_solved), lp_solved.x, lp_solved.v
        )
        rounding_short = final_shortfall(inputs, solved.short) - final_shortfall(inputs, lp_solved.short)
        said = {"whole_classes": inputs.integer_classes, "money_yuan": rounding, "slots": rounding_short}
        notes.append(Note("rounding", said | {"last_year": max(inputs.years)}))
        notes.append(Note("relaxation_duals"))
    result = assign_solution(solved, lp_solved, budget, basis, notes)
    result.build_seconds, result.solve_seconds, result.solver_seconds = clock.build, clock.wall, clock.solver
    result.solve_count, result.stages = clock.count, solved.stages
    if rounding is not None:
        result.rounding_cost_yuan = float(clean(rounding, 2))
        result.rounding_shortfall_slots = float(clean(rounding_short))
    result.lp_objective_value = lp_obj
    result.plan = solved  # the built model and its values, for re-solving (allocation.marginal)
    return result


def assign_solution(solved: Solved, lp_solved: Solved, budget: dict, basis: dict, notes: list) -> AllocationResult:
    """Read the plan's solve (``solved``) and the duals of ``lp_solved`` into an :class:`AllocationResult`.

    Timings and the rounding figures are left at zero / ``None`` for :func:`solve` to fill.
    """
    model, inp = solved.model, solved.model.inputs
    xm = model.x_meta
    town = inp.units["town"]
    alloc = xm[["town_id", "year", "channel", "kind"]].assign(new_slots=clean(solved.x * xm["scale"].to_numpy()))
    alloc = alloc[alloc.new_slots > 0].copy()
    alloc.insert(1, "town", alloc.town_id.map(town))
    alloc = alloc.reset_index(drop=True)
    conv = model.v_meta.assign(slots=clean(solved.v))
    conv = conv[conv.slots > 0].copy()
    conv.insert(1, "town", conv.town_id.map(town))
    conv = conv[["town_id", "town", "year", "slots"]].reset_index(drop=True)
    stock = stock_table(model, solved.x, solved.v, solved.short)
    money = money_table(model, solved.x, solved.v)
    limits = pd.DataFrame(
        {
            "year": inp.years,
            "budget_yuan": [budget.get(y) if budget.get(y) is not None else np.nan for y in inp.years],
            "committed_yuan": [model.committed[y] for y in inp.years],
            "basis": [basis[y] for y in inp.years],
        }
    )
    dist = district_table(inp, stock, alloc, solved.short)
    lp_is_same = lp_solved is solved
    sp_stock = stock if lp_is_same else stock_table(lp_solved.model, lp_solved.x, lp_solved.v, lp_solved.short)
    # Duals from the LP; the shortfalls named in the sentences are the plan's own (whole) ones.
    shadow, degenerate, reading = shadow_table(
        lp_solved.model, ranging(lp_solved.model), sp_stock, solved.short, lp_solved.short
    )
    notes = list(notes) + shortfall_notes(inp, stock, dist)
    if degenerate:
        notes.append(Note("degenerate"))
    host = model.centre_host
    if model.centre_sites:
        host = next((i for i, z in model.centre_sites.items() if (z.varValue or 0) > 0.5), None)
    if float(alloc.loc[alloc.channel == "centre", "new_slots"].sum()) <= UNMET_TOL:
        host = None  # no centre slot built: naming a host would say the centre is somewhere
    return AllocationResult(
        allocation=alloc,
        conversions=conv,
        stock=stock,
        budget=money,
        budget_by_unit=money_by_unit(model, solved.x, solved.v, money),
        commitments=commitments_table(model, solved.x, solved.v),
        budget_limits=limits,
        district=dist,
        shadow_prices=shadow,
        binding=shadow[shadow.binding].reset_index(drop=True),
        status=solved.record.status,
        objective_value=solved.record.objective,
        public_cost_yuan=float(money["amount_yuan"].sum()),
        solver=solved.record.solver_name,
        solver_version=solved.record.solver_version,
        build_seconds=0.0,
        solve_seconds=0.0,
        solver_seconds=0.0,
        notes=notes,
        shadow_reading=reading,
        objective=inp.objective,
        integer_classes=bool(model.integer and inp.integer_classes),
        whole_slots=model.integer,
        centre_unit=host,
        degenerate=degenerate,
    )


def district_table(inputs: AllocationInputs, stock: pd.DataFrame, alloc: pd.DataFrame, short: dict) -> pd.DataFrame:
    """Return the district by year-end: slots, inclusive share against its target, centre slots, shortfalls."""
    dist = stock.groupby("year")[["total_slots", "inclusive_slots"]].sum().reset_index()
    dist["inclusive_share"] = clean(dist.inclusive_slots / dist.total_slots.where(dist.total_slots > 0), 6)
    dist["share_target"] = dist.year.map(inputs.share_target).fillna(0.0)
    dist["shortfall_share"] = [clean(short.get(("share", "district", y), 0.0)) + 0 for y in dist.year]
    cx = alloc[alloc.channel == "centre"].groupby("year")["new_slots"].sum().reindex(dist.year).fillna(0).cumsum()
    dist["centre_slots"] = cx.to_numpy()
    dist["shortfall_centre"] = centre_shortfall(inputs, dist, short)
    return dist


def solve_scenario(params: Mapping, **kwargs) -> AllocationResult:
    """Shortcut: :func:`~tuoyu_model.allocation.inputs.inputs_from_parameters` then :func:`solve`.

    Examples
    --------
    >>> from tuoyu_model.parameters import load_scenario
    >>> r = solve_scenario(load_scenario("baseline").parameters)
    >>> r.status, float(r.stock.shortfall_total.sum())
    ('Optimal', 0.0)

    """
    return solve(inputs_from_parameters(params, **kwargs))
