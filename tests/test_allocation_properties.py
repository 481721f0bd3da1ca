"""Invariants of the allocation LP on random small districts (hypothesis)."""

from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.test_allocation import make_inputs
from tuoyu_model.allocation import CHANNELS, check_solution, highs_available, solve
from tuoyu_model.allocation.check import table_shortfalls

PENALTY = 1e9  # large, so a shortfall never trades against a bounded amount of money
REL = 1e-6
SETTINGS = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SOLVER = "highs" if highs_available() else "cbc"
YEARS = (2024, 2025)
BUILD = ("kindergarten", "inclusive"), ("community", "inclusive"), ("social", "inclusive"), ("social", "market")


@st.composite
def districts(draw, market_cost_min=0):
    n = draw(st.integers(1, 3))
    units, targets, capacity = {}, {}, {}
    for j in range(n):
        i = f"u{j}"
        s0 = draw(st.integers(0, 40))
        units[i] = (s0, draw(st.integers(0, s0)))
        t24 = draw(st.integers(0, 80))
        t25 = t24 + draw(st.integers(0, 60))
        targets[(i, 2024)] = (t24, draw(st.integers(0, t24)))
        targets[(i, 2025)] = (t25, draw(st.integers(targets[(i, 2024)][1], max(t25, targets[(i, 2024)][1]))))
        for c in ("kindergarten", "community", "social"):
            total = draw(st.integers(0, 60))
            capacity[(i, c, 2024)] = round(total * 0.6, 1)
            capacity[(i, c, 2025)] = total
    costs = {k: draw(st.integers(1000, 30000)) for k in BUILD}
    costs[("social", "market")] = draw(st.integers(market_cost_min, 5000))
    op = {(y, c): draw(st.integers(0, 10000)) for y in YEARS for c in CHANNELS}
    conversion = {
        (i, y): round(0.5 * (units[i][0] - units[i][1]) * (0.6 if y == 2024 else 1.0), 1) for i in units for y in YEARS
    }
    share = {2024: draw(st.sampled_from([0.0, 0.3])), 2025: draw(st.sampled_from([0.0, 0.3, 0.6]))}
    return make_inputs(
        units=units,
        targets=targets,
        capacity=capacity,
        costs=costs,
        years=YEARS,
        op=op,
        conversion=conversion,
        conversion_cost=float(draw(st.integers(1, 5000))),
        share=share,
        penalty=PENALTY,
        solver=SOLVER,
        tie_break=1.0,
    )


@pytest.mark.e2e
@SETTINGS
@given(inp=districts(), budget=st.integers(0, 2_000_000), extra=st.integers(0, 2_000_000))  # whole yuan
def test_more_budget_never_leaves_the_plan_worse_in_priority_order(inp, budget, extra):
    # The requirements are met lexicographically (issue 10): with more money every earlier stage's
    # feasible set only grows, so the stage values — each tier's slots missing, the equity share
    # before the unit targets' count — compared in order never get worse. (The slots missing all
    # told can rise: money that holds the share keeps out market slots a unit total needed.)
    small = solve(replace(inp, budget=dict.fromkeys(YEARS, float(budget))))
    large = solve(replace(inp, budget=dict.fromkeys(YEARS, float(budget + extra))))
    a, b = stage_values(small, inp), stage_values(large, inp)
    first = next((n for n in range(len(a)) if abs(a[n] - b[n]) > 1e-6 * max(1.0, abs(a[n]))), None)
    assert first is None or b[first] < a[first], (a, b)
    assert check_solution(small, inp) == [] and check_solution(large, inp) == []


def badly_scaled_district():
    """A district hypothesis found (seed 260565104743745742485398580150509135051): penalties of 1e9
    yuan beside costs of 15–10,000 yuan; with a budget of 29,472 yuan HiGHS's dual simplex stopped
    with 'Solve error' on one stage (an LP of 38 rows) before ``solver.run_highs`` retried it."""
    cap = {("u0", "kindergarten"): 10, ("u0", "community"): 29, ("u0", "social"): 30}
    cap |= {("u1", "kindergarten"): 60, ("u1", "community"): 40, ("u1", "social"): 49}
    op24 = {"kindergarten": 121, "community": 836, "employer": 10000, "social": 15, "centre": 3406}
    op25 = {"kindergarten": 2974, "community": 1865, "employer": 92, "social": 3020, "centre": 4120}
    return make_inputs(
        units={"u0": (33, 22), "u1": (22, 14)},
        targets={("u0", 2024): (79, 74), ("u0", 2025): (102, 95), ("u1", 2024): (48, 2), ("u1", 2025): (74, 73)},
        capacity={(i, c, y): round(t * 0.6, 1) if y == 2024 else t for (i, c), t in cap.items() for y in YEARS},
        costs=dict(zip(BUILD, (3597, 1021, 2986, 254), strict=True)),
        years=YEARS,
        op={(2024, c): v for c, v in op24.items()} | {(2025, c): v for c, v in op25.items()},
        conversion={("u0", 2024): 3.3, ("u0", 2025): 5.5, ("u1", 2024): 2.4, ("u1", 2025): 4.0},
        conversion_cost=4604.0,
        share={2024: 0.3, 2025: 0.6},
        penalty=PENALTY,
        solver=SOLVER,
        tie_break=1.0,
    )


def test_a_badly_scaled_district_still_solves_and_more_budget_does_not_hurt():
    inp = badly_scaled_district()
    test_more_budget_never_leaves_the_plan_worse_in_priority_order.hypothesis.inner_test(inp, 393, 29079)


def stage_values(r, inp) -> list:
    """Each tier's slots missing in priority order, the unit tier's preceded by its largest shortfall share."""
    short = table_shortfalls(r, inp)
    tg = inp.targets.set_index(["town_id", "year"])
    out = []
    for tier in inp.priority:
        if "total" in tier and inp.rationing == "equity":
            out.append(
                max(
                    (
                        u / tg.at[(i, y), f"target_{f}"]
                        for (f, i, y), u in short.items()
                        if f in ("total", "inclusive") and tg.at[(i, y), f"target_{f}"] > 0
                    ),
                    default=0.0,
                )
            )
        out.append(sum(u for k, u in short.items() if k[0] in tier))
    return out


@pytest.mark.e2e
@SETTINGS
@given(inp=districts(), s1=st.floats(0, 1), s2=st.floats(0, 1))
def test_a_higher_share_target_never_lowers_cost(inp, s1, s2):
    lo, hi = sorted((s1, s2))
    a = solve(replace(inp, share_target=dict.fromkeys(YEARS, lo)))
    b = solve(replace(inp, share_target=dict.fromkeys(YEARS, hi)))
    assert b.objective_value >= a.objective_value * (1 - REL) - 1e-6


@pytest.mark.e2e
@SETTINGS
@given(inp=districts(market_cost_min=1))
def test_zero_budget_leaves_every_gap_as_a_shortfall(inp):
    # every way to add or convert a slot costs public money here, so nothing can be done
    r = solve(replace(inp, budget=dict.fromkeys(YEARS, 0.0)))
    assert float(r.allocation.new_slots.sum()) == pytest.approx(0, abs=1e-6)
    assert float(r.conversions.slots.sum()) == pytest.approx(0, abs=1e-6)
    st_ = r.stock.set_index(["town_id", "year"])
    for (i, y), row in inp.targets.set_index(["town_id", "year"]).iterrows():
        s0, i0 = inp.units.at[i, "initial_total"], inp.units.at[i, "initial_inclusive"]
        assert st_.at[(i, y), "shortfall_total"] == pytest.approx(max(0.0, row.target_total - s0), abs=1e-6)
        assert st_.at[(i, y), "shortfall_inclusive"] == pytest.approx(max(0.0, row.target_inclusive - i0), abs=1e-6)
    assert check_solution(r, inp) == []


BUDGET_VALUES = st.one_of(st.none(), st.just(0), st.integers(1, 10**9))


@pytest.mark.e2e
@settings(max_examples=25, deadline=None)
@given(b24=BUDGET_VALUES, b25=BUDGET_VALUES)
def test_budget_reaches_the_lp_as_given_through_the_parameters(b24, b25):
    # null = no limit, 0 = zero money, anything else that many yuan — through load_scenario, as users set it
    from tuoyu_model.allocation import inputs_from_parameters
    from tuoyu_model.parameters import load_scenario

    inp = inputs_from_parameters(load_scenario("baseline", {"budget": {2024: b24, 2025: b25}}).parameters)
    assert inp.budget == {2024: None if b24 is None else float(b24), 2025: None if b25 is None else float(b25)}
