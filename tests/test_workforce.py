"""Staff for a stock of slots, certification against the 90% goal, training for full coverage."""

import functools

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tuoyu_model.errors import DataError
from tuoyu_model.parameters import load_scenario
from tuoyu_model.workforce import WORKFORCE_COLUMNS, workforce_table


@functools.cache
def baseline():
    # Whole caregivers by the bare ratios (cover factor 1) keep the hand counts readable;
    # test_cover_factor_adds_employed_caregivers checks the shipped factor.
    return load_scenario("baseline", {"caregiver_cover_factor": 1.0}).parameters


@pytest.fixture(scope="module")
def params():
    return baseline()


def stock(rows):
    return pd.DataFrame(rows, columns=["town_id", "town", "year", "channel", "slots"])


def test_two_kindergarten_classes_hand_worked(params):
    w = workforce_table(params, stock([("jiugong", "旧宫镇", 2025, "kindergarten", 40.0)])).iloc[0]
    # two 20-child 托大班 × 3 caregivers = 6; two kindergartens of 20 slots → 2 directors
    assert (w.caregivers_needed, w.directors_needed) == (6, 2)
    # health: 2 × a half-time part-timer = 1.0 FTE
    assert w.health_staff_needed == 1
    # certified: 90% × 6 = 5.4 → 6 people; now 60% × 6 = 3.6 → 3 certified; gap 3
    assert (w.certified_target, w.certified_now_estimate, w.certification_gap) == (6, 3, 3)
    # training for 100% of 6 caregivers + 2 directors, half trained now: (1 − 0.5) × 8 = 4
    assert w.training_places_needed == 4


def test_channels_and_kinds_add_up_per_unit_and_year(params):
    s = stock(
        [
            ("jiugong", "旧宫镇", 2025, "kindergarten", 20.0),  # 0.15 × 20 = 3 caregivers
            ("jiugong", "旧宫镇", 2025, "social", 60.0),  # 0.195 × 60 = 11.7
            ("jiugong", "旧宫镇", 2025, "social", 60.0),  # market row of the same channel: 11.7
            ("yizhuang", "亦庄镇", 2024, "community", 30.0),  # 0.4×0.2 + 0.6×0.15 = 0.17 × 30 = 5.1
        ]
    )
    w = workforce_table(params, s).set_index("town_id")
    assert list(w.reset_index().columns) == WORKFORCE_COLUMNS
    # 3 + 11.7 + 11.7 = 26.4 → 27 whole caregivers; directors 1 + ceil(120 / 60) = 3
    assert w.at["jiugong", "caregivers_needed"] == 27
    assert w.at["jiugong", "directors_needed"] == 3
    assert w.at["yizhuang", "caregivers_needed"] == 6  # 5.1 → 6


def test_solver_noise_does_not_add_a_person(params):
    w = workforce_table(params, stock([("jiugong", "旧宫镇", 2025, "kindergarten", 20.0 + 1e-9)])).iloc[0]
    assert (w.caregivers_needed, w.directors_needed) == (3, 1)


def test_no_slots_no_staff(params):
    w = workforce_table(params, stock([("jiugong", "旧宫镇", 2025, "centre", 0.0)])).iloc[0]
    assert w[["caregivers_needed", "health_staff_needed", "directors_needed", "training_places_needed"]].sum() == 0


@pytest.mark.parametrize(
    "frame, words",
    [
        (
            pd.DataFrame({"town_id": ["a"], "year": [2025], "channel": ["social"], "slots": [1]}),
            "缺少列 'town'",
        ),
        (stock([("a", "甲", 2025, "nursery", 10)]), "未知渠道 'nursery'"),
        (stock([("a", "甲", 2025, "social", -5)]), "为负"),
    ],
)
def test_bad_stock_tables(params, frame, words):
    with pytest.raises(DataError, match=words):
        workforce_table(params, frame)


@settings(max_examples=30, deadline=None)
@given(
    slots=st.floats(0, 2000),
    extra=st.floats(0, 500),
    channel=st.sampled_from(["kindergarten", "community", "employer", "social", "centre"]),
)
def test_more_slots_never_need_fewer_staff(slots, extra, channel):
    p = baseline()
    cols = [
        "caregivers_needed",
        "health_staff_needed",
        "directors_needed",
        "certified_target",
        "training_places_needed",
    ]
    lo = workforce_table(p, stock([("a", "甲", 2025, channel, slots)])).iloc[0]
    hi = workforce_table(p, stock([("a", "甲", 2025, channel, slots + extra)])).iloc[0]
    assert all(hi[c] >= lo[c] for c in cols)
    assert hi.certified_target <= hi.caregivers_needed


def test_cover_factor_adds_employed_caregivers():
    p = load_scenario("baseline", {"caregiver_cover_factor": 1.4}).parameters
    w = workforce_table(p, stock([("jiugong", "旧宫镇", 2025, "kindergarten", 40.0)])).iloc[0]
    # two 托大班 × 3 posts × 1.4 = 8.4 → 9 caregivers employed
    assert w.caregivers_needed == 9
