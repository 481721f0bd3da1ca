"""The sweep's fast path equals the model's own: arrays = the PuLP model, fast inputs = full inputs."""

from __future__ import annotations

import math
from dataclasses import fields

import numpy as np
import pandas as pd
import pulp
import pytest

from tuoyu_model import allocation
from tuoyu_model.errors import TuoyuError
from tuoyu_model.parameters import apply_overrides, load_scenario
from tuoyu_model.sweep.evaluate import PointEvaluator, solve_point
from tuoyu_model.sweep.lp import PointSolver, model_arrays


@pytest.fixture(scope="module")
def evaluator():
    return PointEvaluator("baseline")


def pulp_arrays(model: allocation.AllocationModel) -> dict:
    """What BulkHiGHS hands to highspy, read from the PuLP problem."""
    prob = model.prob
    variables = prob.variables()
    index = {v.name: i for i, v in enumerate(variables)}
    cost = np.zeros(len(variables))
    for v, c in prob.objective.items():
        cost[index[v.name]] = c
    rows = list(prob._constraints.values())
    return {
        "names": [v.name for v in variables],
        "lower": np.array([-math.inf if v.lowBound is None else v.lowBound for v in variables], dtype=float),
        "upper": np.array([math.inf if v.upBound is None else v.upBound for v in variables], dtype=float),
        "integer": np.array([v.cat == pulp.LpInteger for v in variables]),
        "cost": cost,
        "row_lower": np.array([-math.inf if c.getLb() is None else c.getLb() for c in rows], dtype=float),
        "row_upper": np.array([math.inf if c.getUb() is None else c.getUb() for c in rows], dtype=float),
        "entries": [[(index[v.name], a) for v, a in c.items()] for c in rows],
    }


VARIANTS = {
    "baseline": {},
    "lp": {"whole_slots": False},
    "classes": {"integer_classes": True},
    "max_slots": {"objective": "max_slots"},
    "budget": {"budget": {2024: 2.0e7, 2025: 1.5e7}},
    "fixed_centre": {"district_centre_unit": "jiugong"},
    "no_share": {"inclusive_share_target": {2024: 0.0, 2025: 0.0}},
    "source_budgets": {"budget_city": {2024: 1.2e7, 2025: 1.0e7}, "budget_district": {2024: 1.5e7, 2025: None}},
    "discounted": {"discount_rate": 0.08},
    "two_year": {"costing_horizon": 2025},
    # projects of real size: every channel with a minimum, and none at all (issue 10)
    "all_projects": {"project_min_classes": {"employer": 1, "social": 2}},
    "no_projects": {
        "project_min_classes": {"kindergarten": 0, "community": 0, "employer": 0, "social": 0},
        "centre_one_project": False,
    },
    "centre_2024": {"district_centre_year": 2024},
}


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_arrays_equal_the_pulp_model_entry_by_entry(variant):
    inputs = allocation.inputs_from_parameters(load_scenario("baseline", VARIANTS[variant]).parameters)
    model = allocation.create_model(inputs)
    want = pulp_arrays(model)
    got = model_arrays(inputs)
    assert got.names == want["names"]
    assert got.mip == model.integer
    for key in ("lower", "upper", "cost", "row_lower", "row_upper"):
        assert np.array_equal(getattr(got, key), want[key]), key  # bit for bit, not approximately
    assert np.array_equal(got.integer & got.mip, want["integer"] & model.integer)
    ends = [*got.starts.tolist()[1:], len(got.index)]
    entries = [
        list(zip(got.index[s:e].tolist(), got.value[s:e].tolist(), strict=True))
        for s, e in zip(got.starts.tolist(), ends, strict=True)
    ]
    assert entries == want["entries"]
    assert got.row_family == model.rows.family


def test_a_solved_point_has_the_money_and_shortfall_of_solve():
    params = load_scenario("budget_cut_20").parameters
    inputs = allocation.inputs_from_parameters(params)
    result = allocation.solve(inputs)
    row = solve_point(inputs, PointSolver())
    money = result.budget.groupby("year")["amount_yuan"].sum()
    for y in inputs.years:
        assert row[f"public_cost_{y}_yuan"] == round(float(money[y]), 2)
    assert row["public_cost_total_yuan"] == round(float(money.sum()), 2)
    assert row["shortfall_final_slots"] > 0  # a cut budget leaves targets unmet: the shortfall is tested too
    stock = result.stock[result.stock.year == max(inputs.years)]
    assert row["inclusive_slots_final"] == pytest.approx(float(stock.inclusive_slots.sum()))


def test_a_reused_model_gives_the_answer_of_a_fresh_one(evaluator):
    """Points solved one after another on one model equal each solved on a model of its own."""
    shared = PointSolver()
    for share in (0.5, 0.6, 0.55):
        inputs = evaluator.inputs(evaluator.point_parameters({"inclusive_share_target.2025": share}))
        a = solve_point(inputs, shared)
        b = solve_point(inputs, PointSolver())
        assert {k: v for k, v in a.items() if k not in ("solver_seconds", "rebuilt")} == {
            k: v for k, v in b.items() if k not in ("solver_seconds", "rebuilt")
        }
    # the share target changes numbers, not the structure: the relaxation (solved first, as
    # allocation.solve does) and the whole-slot model are each built once
    assert shared.builds == 2


def _equal_inputs(a: allocation.AllocationInputs, b: allocation.AllocationInputs) -> None:
    for f in fields(a):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if isinstance(x, pd.DataFrame):
            pd.testing.assert_frame_equal(x.reset_index(drop=True), y.reset_index(drop=True), check_exact=True)
        else:
            assert x == y, f.name


def _perturbed(value):
    """A nearby value of the same shape: the first number changed (×1.1 or +1), a bool flipped."""
    if isinstance(value, dict):
        for k, v in value.items():
            new = _perturbed(v)
            if new is not None:
                return {k: new}
        return None
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if isinstance(value, float):
        return value * 1.1 if value else 0.1
    return None


def test_fast_inputs_equal_a_full_recomputation_for_every_parameter(evaluator):
    """Perturb each parameter in turn: the evaluator's inputs must equal inputs_from_parameters'."""
    checked = 0
    for name, value in evaluator.params.data.items():
        change = _perturbed(value)
        if change is None:
            continue
        try:
            params = apply_overrides(evaluator.params, {name: change}, "test")
            want = allocation.inputs_from_parameters(params, evaluator.targets, evaluator.towns)
        except TuoyuError:
            continue  # a value the parameter refuses: nothing to compare
        _equal_inputs(evaluator.inputs(params), want)
        checked += 1
    assert checked > 60


def test_take_up_is_read_by_no_part_of_the_allocation(evaluator):
    """Why the sensitivity test's zero-effect parameter has no effect: the LP's inputs never read it."""
    read = evaluator.slow_reads | evaluator.costs_reads | evaluator.subsidy_reads
    assert "take_up_rate" not in read
    assert "caregiver_wage" in evaluator.subsidy_reads and "capital_cost" in evaluator.costs_reads


def test_arrays_from_the_cached_structure_equal_a_fresh_build(evaluator):
    """Points reuse the structure of the first (same tables); their arrays equal a build from copies."""
    import copy

    for values in (
        {"inclusive_share_target.2025": 0.55},
        {"caregiver_wage": 6500, "capital_cost.community": 41000},
        {"budget.2025": 3.0e7, "budget.2024": 2.5e7},
        {"new_slot_service_fraction": 0.25, "penalty_shortfall_share": 2.0e7},
    ):
        inputs = evaluator.inputs(evaluator.point_parameters(values))
        assert inputs.capacity is evaluator.base.capacity  # the same tables: the cached structure is used
        cached, fresh = model_arrays(inputs), model_arrays(copy.deepcopy(inputs))
        for key in ("names", "row_family", "row_year", "short_keys"):
            assert getattr(cached, key) == getattr(fresh, key), key
        for key in ("lower", "upper", "cost", "row_lower", "row_upper", "starts", "index", "value", "integer"):
            assert np.array_equal(getattr(cached, key), getattr(fresh, key)), (values, key)
