"""Life-cycle money (issue 10): the costing horizon, commitments after the plan, city and district budgets.

The hand-worked example is also in docs/formulation.md ("Costing horizon").
"""

from __future__ import annotations

import json
from dataclasses import replace

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tuoyu_model.allocation import check_solution, inputs_from_parameters, solve
from tuoyu_model.allocation.commitments import after_plan_years, subsidy_after_plan
from tuoyu_model.allocation.inputs import AllocationInputs
from tuoyu_model.costs import CHANNELS, operating_costs, operating_costs_in_year
from tuoyu_model.income import income_basis
from tuoyu_model.parameters import load_scenario
from tuoyu_model.paths import PROJECT_ROOT
from tuoyu_model.presentation.sentences import commitment_sentence
from tuoyu_model.presentation.shadow_sentences import shadow_price_sentences

GOLDEN = PROJECT_ROOT / "tests" / "golden"
CENT = 0.011


def one_unit(
    horizon: int,
    conversion_once: float = 3000.0,
    conversion_yearly: float = 17600.0,
    kindergarten_once: float = 15000.0,
    kindergarten_yearly: float = 180.0,
    discount_rate: float = 0.0,
) -> AllocationInputs:
    """One unit with one market slot and no inclusive one; the plan (2024–2025) needs 1 inclusive slot by 2025.

    Two ways: convert the market slot (once + yearly, the existing channel's subsidy) or open a
    kindergarten 托班 slot (once + yearly); a slot opened in 2025 is in service half of 2025.
    """
    units = pd.DataFrame(
        {"town": ["甲"], "initial_total": [1.0], "initial_inclusive": [0.0]}, index=pd.Index(["a"], name="town_id")
    )
    years = list(range(2024, 2031))
    subsidy = {"kindergarten": kindergarten_yearly, "social": conversion_yearly}
    rate = [
        {"year": y, "channel": c, "subsidy_per_slot_year_yuan": subsidy.get(c, 0.0)} for y in years for c in CHANNELS
    ]
    return AllocationInputs(
        units=units,
        years=[2024, 2025],
        targets=pd.DataFrame(
            {
                "town_id": "a",
                "year": [2024, 2025],
                "target_total": [1.0, 1.0],
                "target_inclusive": [0.0, 1.0],
                "min_inclusive": 0.0,
            }
        ),
        capacity=pd.DataFrame(
            {"town_id": "a", "channel": "kindergarten", "year": [2024, 2025], "capacity_slots": [0.0, 10.0]}
        ),
        conversion_capacity=pd.DataFrame({"town_id": "a", "year": [2024, 2025], "capacity_slots": [0.0, 1.0]}),
        unit_costs=pd.DataFrame(
            {"channel": ["kindergarten"], "kind": ["inclusive"], "capital_public_yuan": [kindergarten_once]}
        ),
        operating_subsidy=pd.DataFrame(rate),
        conversion_cost_yuan=conversion_once,
        share_target={2024: 0.0, 2025: 0.0},
        budget={2024: None, 2025: None},
        penalties={"total": 1e6, "inclusive": 1e6, "share": 1e6, "coverage": 1e6},
        tie_break=0.0,
        existing_channel="social",
        service_fraction=0.5,
        horizon=horizon,
        discount_rate=discount_rate,
    )


def test_hand_worked_two_year_and_life_cycle_choices_differ():
    # Counting 2024–2025 only (today's count), the slot is needed in 2025 and serves half of it:
    #   convert:      3,000 + 0.5 × 17,600 = 11,800
    #   kindergarten: 15,000 + 0.5 × 180   = 15,090   → convert (cheaper by 3,290)
    two = solve(one_unit(2025))
    assert float(two.conversions.slots.sum()) == 1.0 and two.allocation.empty
    assert two.objective_value == pytest.approx(11_800.0, abs=1e-6)
    assert two.commitments.empty and after_plan_years(two_inputs := one_unit(2025)) == []
    assert check_solution(two, two_inputs) == []
    # One year more (2026) already turns it: 11,800 + 17,600 = 29,400 against 15,090 + 180 = 15,270.
    one_more = solve(one_unit(2026))
    assert one_more.conversions.empty and float(one_more.allocation.new_slots.sum()) == 1.0
    assert one_more.objective_value == pytest.approx(15_270.0, abs=1e-6)
    # To 2030 (the default: the last demand year), five whole years after the plan:
    #   convert:      11,800 + 5 × 17,600 = 99,800
    #   kindergarten: 15,090 + 5 × 180    = 15,990   → the 托班 slot; the plan commits 180 a year.
    life_inputs = one_unit(2030)
    life = solve(life_inputs)
    assert life.conversions.empty and life.allocation.channel.tolist() == ["kindergarten"]
    assert life.objective_value == pytest.approx(15_990.0, abs=1e-6)
    assert life.public_cost_yuan == pytest.approx(15_090.0)  # the plan years' money: 2025 only
    new = life.commitments[life.commitments.item == "operating_subsidy_new"]
    assert new.year.tolist() == [2026, 2027, 2028, 2029, 2030] and new.amount_yuan.tolist() == [180.0] * 5
    assert check_solution(life, life_inputs) == []


def test_discounting_weighs_later_years_less():
    # At 8% from 2024: converting in 2025 = (3,000 + 8,800) / 1.08 + 17,600 × Σ_{k=2..6} 1.08^-k.
    r = 0.08
    d = [(1 + r) ** -k for k in range(7)]
    convert = (3000 + 8800) * d[1] + 17600 * sum(d[2:])
    kindergarten = (15000 + 90) * d[1] + 180 * sum(d[2:])
    res = solve(one_unit(2030, discount_rate=r))
    assert res.objective_value == pytest.approx(min(convert, kindergarten), rel=1e-9)
    # Horizon 2026: converting is cheaper while (3,000 + Y/2) d1 + Y d2 < 15,090 d1 + 180 d2, i.e. below
    # Y* = (12,090 d1 + 180 d2) / (d1/2 + d2) = 8,595.6 yuan a year at 8%.
    y_star = (12090 * d[1] + 180 * d[2]) / (0.5 * d[1] + d[2])
    assert y_star == pytest.approx(8595.6, abs=0.1)
    assert solve(one_unit(2026, conversion_yearly=y_star + 1, discount_rate=r)).conversions.empty
    assert float(solve(one_unit(2026, conversion_yearly=y_star - 1, discount_rate=r)).conversions.slots.sum()) == 1


@settings(max_examples=25, deadline=None)
@given(
    # money in yuan: no subnormal amounts (5e-324 yuan underflows, and the suite raises on that)
    once=st.floats(0, 20_000, allow_subnormal=False),
    yearly=st.floats(0, 30_000, allow_subnormal=False),
    k_once=st.floats(0, 20_000, allow_subnormal=False),
    k_yearly=st.floats(0, 30_000, allow_subnormal=False),
    h1=st.integers(2025, 2029),
    extra=st.integers(1, 5),
)
@pytest.mark.e2e
def test_a_longer_horizon_never_raises_the_commitments_after_the_plan(once, yearly, k_once, k_yearly, h1, extra):
    # Exchange argument: plan A optimal to h1, B to h2 > h1; cost_h2 = cost_h1 + the subsidies of
    # (h1, h2], so B's subsidies over those years are at most A's.
    h2 = min(2030, h1 + extra)
    a = solve(one_unit(h1, once, yearly, k_once, k_yearly))
    b = solve(one_unit(h2, once, yearly, k_once, k_yearly))
    full = one_unit(2030, once, yearly, k_once, k_yearly)

    def committed(res, years):
        inc = res.allocation[res.allocation.kind == "inclusive"].rename(columns={"new_slots": "slots"})
        conv = float(res.conversions.slots.sum()) if len(res.conversions) else 0.0
        return sum(subsidy_after_plan(full, inc, conv, y)["operating_subsidy_new"] for y in years)

    span = range(h1 + 1, h2 + 1)
    assert committed(b, span) <= committed(a, span) + 1e-6 * max(1.0, a.objective_value)


@pytest.fixture(scope="module")
def baseline_by_horizon():
    out = {}
    for h in (2025, 2026, 2028, 2030):
        inputs = inputs_from_parameters(load_scenario("baseline", {"costing_horizon": h}).parameters)
        out[h] = (inputs, solve(inputs))
    return out


def test_baseline_commitments_fall_as_the_horizon_grows(baseline_by_horizon):
    full = baseline_by_horizon[2030][0]
    first = []
    for _h, (_inputs, res) in sorted(baseline_by_horizon.items()):
        inc = res.allocation[res.allocation.kind == "inclusive"].rename(columns={"new_slots": "slots"})
        first.append(subsidy_after_plan(full, inc, float(res.conversions.slots.sum()), 2026)["operating_subsidy_new"])
    assert first == sorted(first, reverse=True), first
    conv = [float(res.conversions.slots.sum()) for _h, (_i, res) in sorted(baseline_by_horizon.items())]
    assert conv[0] > conv[-1]  # the two-year count converts more market slots
    for inputs, res in baseline_by_horizon.values():
        assert check_solution(res, inputs) == []


def test_two_year_horizon_reproduces_the_earlier_baseline():
    # The baseline before life-cycle money and projects of real size (main at 42a9be1,
    # tests/golden/baseline/summary.json then): objective 75,465,159.90; public money
    # 34,482,987.89 (2024) and 40,979,717.01 (2025); 1,098 market slots converted in 2025. The
    # scenario with the project minimums off is that model exactly.
    no_projects = {
        "project_min_classes": {"kindergarten": 0, "community": 0, "employer": 0, "social": 0},
        "centre_one_project": False,
    }
    r = solve(inputs_from_parameters(load_scenario("two_year_horizon", no_projects).parameters))
    assert round(r.objective_value, 2) == 75_465_159.9
    spent = r.budget.groupby("year").amount_yuan.sum().round(2)
    assert spent.to_dict() == {2024: 34_482_987.89, 2025: 40_979_717.01}
    assert r.conversions.groupby("year").slots.sum().to_dict().get(2025) == 1098.0
    # the shipped scenario (with the projects) counts no commitment after the plan either
    summary = json.loads((GOLDEN / "two_year_horizon" / "summary.json").read_text(encoding="utf-8"))
    assert summary["subsidy_commitment_by_year"] == {}
    assert commitment_sentence(summary) == ""
    assert summary["solver"]["objective_value"] >= 75_465_159.9  # the projects only add constraints


@pytest.mark.parametrize("scenario", sorted(p.name for p in GOLDEN.iterdir() if p.is_dir()))
def test_commitments_add_up(scenario):
    folder = GOLDEN / scenario
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    c = pd.read_csv(folder / "tables" / "commitments.csv", encoding="utf-8-sig")
    assert list(c.columns) == ["year", "item", "amount_yuan", "city_yuan", "district_yuan"]
    assert ((c.city_yuan + c.district_yuan - c.amount_yuan).abs() <= CENT).all()
    by_year = {str(y): round(v, 2) for y, v in c.groupby("year").amount_yuan.sum().items()}
    assert by_year == pytest.approx(summary["subsidy_commitment_by_year"], abs=CENT)
    if scenario != "two_year_horizon":
        assert sorted(c.year.unique()) == list(range(summary["last_year"] + 1, 2031))
        assert (c.amount_yuan > 0).all()


def test_city_and_district_limits_hold_and_read_back():
    base = load_scenario("baseline").parameters
    free = solve(inputs_from_parameters(base))
    spent = free.budget.groupby("year").district_yuan.sum()
    limit = {2024: round(0.9 * spent[2024]), 2025: None}
    inputs = inputs_from_parameters(load_scenario("baseline", {"budget_district": limit}).parameters)
    res = solve(inputs)
    assert check_solution(res, inputs) == []
    got = res.budget.groupby("year").district_yuan.sum()
    assert got[2024] <= limit[2024] + 1.0
    row = res.shadow_prices[res.shadow_prices.constraint == "budget_district-district-2024"]
    assert len(row) == 1 and bool(row.binding.iloc[0]) and float(row.value.iloc[0]) > 0
    worded = shadow_price_sentences(res.shadow_prices, res.shadow_reading)
    text = worded.loc[worded.constraint == "budget_district-district-2024", "meaning"].iloc[0]
    assert "区级资金上限" in text
    # the same limit on the city's side binds the city's money; the total budget keeps applying
    both = {"budget_city": {2024: limit[2024], 2025: None}, "budget": {2024: 0.95 * free.public_cost_yuan / 2}}
    inputs2 = inputs_from_parameters(load_scenario("baseline", both).parameters)
    res2 = solve(inputs2)
    assert check_solution(res2, inputs2) == []
    assert res2.budget.groupby("year").city_yuan.sum()[2024] <= limit[2024] + 1.0
    assert res2.budget.groupby("year").amount_yuan.sum()[2024] <= both["budget"][2024] + 1.0


def test_check_solution_catches_broken_commitments_and_source_limits():
    inputs = inputs_from_parameters(load_scenario("baseline").parameters)
    res = solve(inputs)
    assert check_solution(res, inputs) == []
    bad = replace(res, commitments=res.commitments.assign(amount_yuan=res.commitments.amount_yuan * 1.01))
    assert any("commitment" in m for m in check_solution(bad, inputs))
    short = replace(res, commitments=res.commitments[res.commitments.year < 2030])
    assert any("commitments" in m for m in check_solution(short, inputs))
    split = res.budget.assign(city_yuan=res.budget.amount_yuan * 0.7, district_yuan=res.budget.amount_yuan * 0.3)
    assert any("city's share" in m for m in check_solution(replace(res, budget=split), inputs))
    tight = replace(inputs, budget_district={2024: 1_000_000.0, 2025: None})
    assert any("budget_district" in m and "above its limit" in m for m in check_solution(res, tight))


def test_costs_grow_and_income_is_projected_after_the_last_listed_year():
    p = load_scenario("baseline").parameters
    base = operating_costs(p)
    grown = operating_costs_in_year(p, 2030)
    six = 2030 - int(p["cost_price_year"])
    assert grown.staff_cost_yuan.to_numpy() == pytest.approx(base.staff_cost_yuan.to_numpy() * 1.0504**six)
    assert grown.rent_yuan.to_numpy() == pytest.approx(base.rent_yuan.to_numpy())  # rent flat (assumption)
    assert grown.other_yuan.to_numpy() == pytest.approx(base.other_yuan.to_numpy() * 1.02**six)
    flat = load_scenario("two_year_horizon").parameters
    assert operating_costs_in_year(flat, 2030).equals(operating_costs(flat))
    b = income_basis(p, 2026)  # Beijing 2024 × 1.0504² × the Daxing ratio
    assert b["income_status"] == "projected"
    assert b["income_per_capita_yuan"] == pytest.approx(85415 * 1.0504**2 * 0.7283)
