"""Projects of real size (issue 10): openings of at least one class, the district centre built whole.

Hand-worked examples on small inputs, the shipped scenarios' output tables (the golden files
``tests/golden/<scenario>/tables/allocation.csv`` that tests/test_golden.py keeps equal to a fresh
run) re-checked by :func:`tuoyu_model.allocation.check.project_violations`, and check_solution
catching a toy opening written into the tables.
"""

import dataclasses
from pathlib import Path

import pandas as pd
import pytest

from tests.test_allocation import make_inputs
from tuoyu_model.allocation import check_solution, inputs_from_parameters, solve
from tuoyu_model.allocation.check import project_violations
from tuoyu_model.parameters import list_scenarios, load_scenario

GOLDEN = Path(__file__).parent / "golden"


def _one_unit(**kw):
    # unit a needs 5 more slots; a community point (¥100 a slot) or a social addition (¥150)
    return make_inputs(
        units={"a": (10, 0)},
        targets={("a", 2024): (15, 0)},
        capacity={("a", "community", 2024): 60, ("a", "social", 2024): 60},
        costs={("community", "inclusive"): 100.0, ("social", "market"): 150.0},
        **kw,
    )


def test_a_community_point_opens_with_a_whole_class_or_the_cheaper_addition_wins():
    # no minimum: 5 community slots at ¥100 (+¥1 tie-break each)
    r = solve(_one_unit())
    assert r.allocation.set_index("channel").new_slots.to_dict() == {"community": 5.0}
    # a community point opens with at least 18 slots: 18 × ¥101 = ¥1,818 against 5 social
    # slots at ¥151 = ¥755, so the social addition is cheaper and nothing opens below 18
    inp = dataclasses.replace(_one_unit(), project_min_slots={"community": 18.0})
    r = solve(inp)
    assert r.allocation.set_index("channel").new_slots.to_dict() == {"social": 5.0}
    assert r.public_cost_yuan == pytest.approx(750.0)
    assert check_solution(r, inp) == []
    # with no other channel the point opens whole: 18 slots for a gap of 5
    only = dataclasses.replace(
        inp,
        capacity=inp.capacity[inp.capacity.channel == "community"].reset_index(drop=True),
        unit_costs=inp.unit_costs[inp.unit_costs.channel == "community"].reset_index(drop=True),
    )
    r = solve(only)
    assert r.allocation.new_slots.tolist() == [18.0]
    assert check_solution(r, only) == []


def test_the_relaxation_keeps_the_open_variables_continuous():
    inp = dataclasses.replace(_one_unit(whole_slots=False), project_min_slots={"community": 18.0})
    r = solve(inp)
    # the LP opens a fraction of a point: 5 community slots, as without the minimum
    assert r.allocation.set_index("channel").new_slots.to_dict() == {"community": 5.0}
    assert check_solution(r, inp) == []  # not a whole-slot plan: the projects are relaxed


def test_the_baseline_centre_is_one_project_in_its_year():
    params = load_scenario("baseline").parameters
    inputs = inputs_from_parameters(params)
    r = solve(inputs)
    centre = r.allocation[r.allocation.channel == "centre"]
    assert centre.year.tolist() == [int(params["district_centre_year"])]
    assert centre.new_slots.tolist() == [float(params["district_centre_slots"])]
    assert check_solution(r, inputs) == []
    # without the projects the same data opens toy points (issue 10: institutions of 4–5 slots)
    off = {"project_min_classes": dict.fromkeys(params["project_min_classes"], 0), "centre_one_project": False}
    loose = solve(inputs_from_parameters(load_scenario("baseline", off).parameters))
    small = loose.allocation[loose.allocation.channel.isin(["kindergarten", "community"])]
    assert (small.groupby(["town_id", "year", "channel"]).new_slots.sum() < 18).any() or (
        loose.allocation[loose.allocation.channel == "centre"].year.nunique() > 1
    )


@pytest.mark.parametrize("scenario", list_scenarios())
def test_every_shipped_scenario_honours_the_project_minimum(scenario):
    inputs = inputs_from_parameters(load_scenario(scenario).parameters)
    table = pd.read_csv(GOLDEN / scenario / "tables" / "allocation.csv", encoding="utf-8-sig")
    assert project_violations(table, inputs) == []
    opened = table.groupby(["town_id", "year", "channel"]).new_slots.sum()
    for (_i, _y, c), n in opened.items():
        if c in inputs.project_min_slots:
            assert n >= inputs.project_min_slots[c], (scenario, c, n)


def test_check_solution_catches_a_toy_opening_in_the_tables():
    inputs = inputs_from_parameters(load_scenario("baseline").parameters)
    r = solve(inputs)
    a = r.allocation.copy()
    at = a.index[a.channel == "kindergarten"][0]
    a.loc[at, "new_slots"] = 5.0
    found = project_violations(a, inputs)
    assert found and "fewer than one opening" in found[0]
    # the centre in tranches (5 then 95) is caught too
    c = a[a.channel == "centre"].iloc[0]
    tranche = pd.DataFrame([c.to_dict() | {"year": int(c.year) - 1, "new_slots": 5.0}])
    a2 = pd.concat([r.allocation, tranche], ignore_index=True)
    assert any("district centre" in m for m in project_violations(a2, inputs))
