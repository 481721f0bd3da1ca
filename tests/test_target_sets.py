"""One rule for which annex target set applies at each year-end, used by allocation, demand and progress."""

import pytest

from tuoyu_model.allocation import inputs_from_parameters
from tuoyu_model.data import load_targets, target_for_year, target_set_for_year
from tuoyu_model.demand import target_for_year as demand_target_for_year
from tuoyu_model.errors import ScenarioError
from tuoyu_model.parameters import load_scenario
from tuoyu_model.progress import year_end_target_set


@pytest.mark.parametrize(
    "scenario, overrides, year, expected",
    [
        ("baseline", {}, 2024, "floor_2024"),
        ("baseline", {}, 2025, "high_quality_2025"),
        ("baseline", {}, 2027, "high_quality_2025"),  # target_after_plan: hold_2025
        ("plan_2025", {}, 2025, "plan_2025"),
        ("plan_2025", {}, 2030, "plan_2025"),
    ],
)
def test_target_set_for_year(scenario, overrides, year, expected):
    assert target_set_for_year(load_scenario(scenario, overrides).parameters, year) == expected


@pytest.mark.parametrize(
    "overrides, year, match",
    [
        ({}, 2023, r"附件没有 2023 年的目标.*请让年份从 2024 年或以后开始"),
        ({"target_after_plan": "none"}, 2026, r"2026 年没有目标.*--set target_after_plan=hold_2025"),
    ],
)
def test_years_without_a_target_set_are_a_clear_error(overrides, year, match):
    with pytest.raises(ScenarioError, match=match):
        target_set_for_year(load_scenario("baseline", overrides).parameters, year)


@pytest.mark.parametrize("scenario", ["baseline", "plan_2025"])
@pytest.mark.parametrize("after", ["hold_2025", "none"])
@pytest.mark.parametrize("year", [2023, 2024, 2025, 2026, 2030])
def test_allocation_demand_and_progress_agree(scenario, after, year):
    params = load_scenario(scenario, {"target_after_plan": after}).parameters
    demand_set, _ = demand_target_for_year(params, year)
    assert (demand_set, _) == target_for_year(params, year)
    try:
        rule = target_set_for_year(params, year)
    except ScenarioError:
        rule = ""
        with pytest.raises(ScenarioError):
            year_end_target_set(year, params)
    else:
        assert year_end_target_set(year, params) == rule
    assert demand_set == rule


def test_allocation_reads_its_targets_by_the_rule():
    params = load_scenario("plan_2025").parameters
    inp = inputs_from_parameters(params)
    annex = load_targets().groupby("target_set").total_slots.sum()
    by_year = inp.targets.groupby("year").target_total.sum()
    assert by_year[2024] == annex["floor_2024"] and by_year[2025] == annex["plan_2025"]
    with pytest.raises(ScenarioError, match="附件没有 2023 年的目标"):
        inputs_from_parameters(params, first_year=2023)
