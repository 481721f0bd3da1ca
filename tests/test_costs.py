"""Cost of a slot: whole caregivers per class, the operating build-up, capital and conversion."""

import functools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tuoyu_model.costs import (
    CHANNELS,
    OPERATING_COLUMNS,
    capital_costs,
    caregivers_per_class,
    conversion_cost,
    health_fte_per_institution,
    operating_costs,
    operating_costs_by_band,
    utilities_saving,
)
from tuoyu_model.errors import DataError
from tuoyu_model.parameters import apply_overrides, default_parameters, load_scenario

YUAN = 0.005  # half a fen: hand figures are rounded to 2 decimals
REL = 1e-12  # identities up to floating-point rounding


@functools.cache
def defaults():
    return default_parameters()


def with_(params, **overrides):
    return apply_overrides(params, overrides, "test")


@pytest.fixture(scope="module")
def ops():
    # The hand-worked figures cost the bare ratios of the standard (cover factor 1);
    # test_cover_factor_scales_staff checks the shipped factor separately.
    return operating_costs(load_scenario("baseline", {"caregiver_cover_factor": 1.0}).parameters)


@pytest.mark.parametrize(
    "size, ratio, expected",
    [
        (20, 7, 3),  # 托大班: 20 / 7 = 2.86 → 3 whole caregivers
        (10, 3, 4),  # 乳儿班: 10 / 3 = 3.33 → 4
        (15, 5, 3),  # 托小班: 15 / 5 = 3 exactly
        (21, 7, 3),  # exact multiple stays 3
        (22, 7, 4),  # one child over → a fourth caregiver
        (1, 7, 1),  # a class of one still needs a caregiver
        (18, 5, 4),  # mixed class (18 months+) ≤ 18 at the 1:5 ratio: 3.6 → 4
    ],
)
def test_caregivers_per_class_are_whole_people(size, ratio, expected):
    assert caregivers_per_class(size, ratio) == expected


def test_caregivers_per_class_rejects_zero():
    with pytest.raises(DataError, match="class_size"):
        caregivers_per_class(20, 0)


@pytest.mark.parametrize(
    "slots, fte",
    [
        (20, 0.5),  # below 150 children: a half-time part-timer
        (60, 0.5),
        (150, 1.0),  # one full-time per 150 children
        (300, 2.0),
    ],
)
def test_health_staff_per_institution(slots, fte):
    assert health_fte_per_institution(slots, 150, 0.5) == pytest.approx(fte, rel=REL)


def test_kindergarten_cost_hand_worked(ops):
    k = ops.loc["kindergarten"]
    # age mix 100% 托大班: 3 caregivers / 20 children = 0.15 per slot
    assert k.caregivers_per_slot == pytest.approx(0.15, rel=REL)
    # staff: 0.15 × 6,000 × (1 + 35%) = 1,215.00
    assert k.staff_cost_yuan == pytest.approx(1215.00, abs=YUAN)
    # health: max(0.5, 20/150) = 0.5 FTE per 20-slot kindergarten = 0.025 per slot; × 7,000 × 1.35 = 236.25
    assert k.health_fte_per_slot == pytest.approx(0.025, rel=REL)
    assert k.health_cost_yuan == pytest.approx(236.25, abs=YUAN)
    # admin: 25% × 1,215 = 303.75; rent 0 (kindergarten rooms are free); utilities 8 m² × 6 = 48; other 400
    assert k.admin_cost_yuan == pytest.approx(303.75, abs=YUAN)
    assert k.rent_yuan == 0
    assert k.utilities_yuan == pytest.approx(48.0, rel=REL)
    # total 1,215 + 236.25 + 303.75 + 0 + 48 + 400 = 2,203.00, meals (600) outside it
    assert k.cost_per_slot_month_yuan == pytest.approx(2203.00, abs=YUAN)
    assert k.meals_yuan == pytest.approx(600.0, rel=REL)


def test_social_cost_hand_worked(ops):
    s = ops.loc["social"]
    # mix 10% 乳儿班 (4/10 = 0.4), 40% 托小班 (3/15 = 0.2), 50% 托大班 (3/20 = 0.15):
    # 0.04 + 0.08 + 0.075 = 0.195 caregivers per slot
    assert s.caregivers_per_slot == pytest.approx(0.195, rel=1e-9)
    # staff 0.195 × 8,100 = 1,579.50; health 0.5 / 60 × 9,450 = 78.75; admin 394.875
    # rent 8 m² × 4 yuan/m²/day × 365/12 days × 100% paid = 973.333; utilities 48; other 400
    assert s.rent_yuan == pytest.approx(973.33, abs=YUAN)
    # total 1,579.50 + 78.75 + 394.875 + 973.333 + 48 + 400 = 3,474.458
    assert s.cost_per_slot_month_yuan == pytest.approx(3474.46, abs=YUAN)


def test_total_is_the_sum_of_its_parts_and_excludes_meals(ops):
    parts = ["staff_cost_yuan", "health_cost_yuan", "admin_cost_yuan", "rent_yuan", "utilities_yuan", "other_yuan"]
    assert ops[parts].sum(axis=1).tolist() == pytest.approx(ops.cost_per_slot_month_yuan.tolist(), rel=REL)
    assert list(ops.columns) == OPERATING_COLUMNS
    assert list(ops.index) == list(CHANNELS)


def test_utilities_saving_item_10(ops):
    # 8 m² × (10 − 6) yuan/m²/month = 32 a slot-month, 384 a slot-year
    t = utilities_saving(load_scenario("baseline").parameters)
    assert t.saving_per_slot_month_yuan.tolist() == pytest.approx([32.0] * 5, rel=REL)
    assert t.saving_per_slot_year_yuan.tolist() == pytest.approx([384.0] * 5, rel=REL)
    assert (ops.utilities_commercial_yuan > ops.utilities_yuan).all()


def test_age_mix_must_add_up_to_one():
    p = with_(defaults(), age_mix={"community": {"age_1_2": 0.5}})  # 0 + 0.5 + 0.6 = 1.1
    with pytest.raises(DataError, match="age_mix.community' 之和为 1.1，应为 1"):
        operating_costs(p)


def test_band_costs_order(ops):
    t = operating_costs_by_band(load_scenario("baseline", {"caregiver_cover_factor": 1.0}).parameters).set_index(
        ["channel", "age_band"]
    )
    # a 乳儿班 place needs 0.4 caregivers against 0.15 in 托大班: the dearest place in every channel
    for ch in CHANNELS:
        assert (
            t.loc[(ch, "age_0_1"), "cost_per_slot_month_yuan"]
            > t.loc[(ch, "age_1_2"), "cost_per_slot_month_yuan"]
            > t.loc[(ch, "age_2_3"), "cost_per_slot_month_yuan"]
        )
    # kindergarten mix is 100% 托大班, so its band cost equals its channel cost
    assert t.loc[("kindergarten", "age_2_3"), "cost_per_slot_month_yuan"] == pytest.approx(
        ops.at["kindergarten", "cost_per_slot_month_yuan"], rel=REL
    )


def test_capital_costs_hand_worked():
    cap = capital_costs(load_scenario("baseline").parameters)
    assert list(cap.index) == list(CHANNELS)
    assert list(cap.columns) == ["capital_cost_yuan", "public_capital_inclusive_yuan", "public_capital_market_yuan"]
    # employer: 25,000 × 40% public = 10,000; community 30,000 × 100%
    assert cap.at["employer", "public_capital_inclusive_yuan"] == pytest.approx(10000, rel=REL)
    assert cap.at["community", "public_capital_inclusive_yuan"] == pytest.approx(30000, rel=REL)
    assert (cap.public_capital_market_yuan == 0).all()
    cap2 = capital_costs(with_(defaults(), market_capital_subsidy=5000))
    assert (cap2.public_capital_market_yuan == 5000).all()


def test_conversion_cost():
    assert conversion_cost(defaults()) == pytest.approx(3000, rel=REL)
    # 3,000 × 50% public = 1,500
    assert conversion_cost(with_(defaults(), conversion_public_share=0.5)) == pytest.approx(1500, rel=REL)


@settings(max_examples=40, deadline=None)
@given(
    w1=st.floats(2420, 30000),
    dw=st.floats(0, 10000),
    h1=st.floats(2420, 30000),
    dh=st.floats(0, 10000),
    o1=st.floats(0, 0.9),
    do=st.floats(0, 0.1),
)
def test_cost_never_falls_when_wages_rise(w1, dw, h1, dh, o1, do):
    lo = operating_costs(with_(defaults(), caregiver_wage=w1, health_staff_wage=h1, employer_oncost_rate=o1))
    hi = operating_costs(
        with_(defaults(), caregiver_wage=w1 + dw, health_staff_wage=h1 + dh, employer_oncost_rate=o1 + do)
    )
    assert (hi.cost_per_slot_month_yuan >= lo.cost_per_slot_month_yuan * (1 - 1e-12)).all()


@settings(max_examples=40, deadline=None)
@given(
    ratios=st.lists(st.integers(1, 20), min_size=3, max_size=3),
    tighten=st.lists(st.integers(0, 5), min_size=3, max_size=3),
)
def test_cost_never_falls_when_ratios_tighten(ratios, tighten):
    bands = ["age_0_1", "age_1_2", "age_2_3"]
    loose = dict(zip(bands, ratios, strict=True))
    tight = {b: max(1, r - t) for b, r, t in zip(bands, ratios, tighten, strict=True)}  # fewer children each
    lo = operating_costs(with_(defaults(), children_per_caregiver=loose))
    hi = operating_costs(with_(defaults(), children_per_caregiver=tight))
    assert (hi.caregivers_per_slot >= lo.caregivers_per_slot * (1 - 1e-12)).all()
    assert (hi.cost_per_slot_month_yuan >= lo.cost_per_slot_month_yuan * (1 - 1e-12)).all()


def test_cover_factor_scales_staff_and_admin_only(ops):
    shipped = operating_costs(load_scenario("baseline").parameters)
    k0, k1 = ops.loc["kindergarten"], shipped.loc["kindergarten"]
    # 1.4 employed per post: staff 1,215 × 1.4 = 1,701; admin 25% of it = 425.25
    assert k1.caregivers_per_slot == pytest.approx(0.15 * 1.4, rel=REL)
    assert k1.staff_cost_yuan == pytest.approx(1701.0, abs=YUAN)
    assert k1.admin_cost_yuan == pytest.approx(425.25, abs=YUAN)
    # everything else unchanged: 2,203 + 486 + 121.5 = 2,810.50
    assert k1.cost_per_slot_month_yuan == pytest.approx(2810.50, abs=YUAN)
    assert k1.rent_yuan == k0.rent_yuan and k1.health_cost_yuan == k0.health_cost_yuan
