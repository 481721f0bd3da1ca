"""Cross-checks of Daxing's demand and supply figures against a comparable district's published ones.

Changping is a suburban Beijing district of similar size (2.27 million residents against Daxing's
1.99 million at the 2020 census), also a "plain new town" under the same Beijing three-year
childcare plan (4.5 slots per 1,000 by 2025). Its figures were published by others (facts.md,
second round) and nobody here wrote them:

- slots: 5,580 at end-2024, 2,611 of them inclusive, 2.46 per 1,000 residents (People's Daily
  online, Med);
- children under 3: about 40,000 of 2,272,000 residents at end-2023, ≈1.76% (Beijing News, Med).

The model's Daxing figures need not equal Changping's, but they should fall in a range these
make plausible; each test's message says which assumption would have to move, and which way.
"""

import functools

import pytest

from tuoyu_model.data import load_targets, load_towns
from tuoyu_model.demand import demand_table, district_demand
from tuoyu_model.parameters import load_scenario

CHANGPING_RESIDENTS = 2_272_000
CHANGPING_UNDER3 = 40_000  # end-2023, "about"
CHANGPING_SLOTS = 5_580  # end-2024
CHANGPING_SLOTS_PER_1000 = 2.46  # end-2024, as published


@functools.cache
def district():
    targets = load_targets()
    towns = load_towns(targets=targets)
    return towns, district_demand(demand_table(load_scenario().parameters, towns, targets)).set_index("year")


CHILDREN_TOO_MANY = (
    "too many children — lower district_births_share or survival_factor in data/parameters/demand.yaml, "
    "or check the census anchor (census_children_age_0/_1_4, census_age_1_4_share_per_year)"
)
CHILDREN_TOO_FEW = "too few children — raise district_births_share or survival_factor, or check the census anchor"


def assert_within(value: float, lo: float, hi: float, what: str, if_high: str, if_low: str) -> None:
    """Fail with a message naming the figure, the range and which assumption to move which way."""
    assert value <= hi, f"{what} is above the plausible {lo:.4g}–{hi:.4g}: {if_high}"
    assert value >= lo, f"{what} is below the plausible {lo:.4g}–{hi:.4g}: {if_low}"


def test_changping_figures_are_consistent_with_each_other():
    # 5,580 / 2.27 million = 2.46 per 1,000; 40,000 / 2,272,000 = 1.76%
    assert CHANGPING_SLOTS / CHANGPING_RESIDENTS * 1000 == pytest.approx(CHANGPING_SLOTS_PER_1000, abs=0.01)
    assert CHANGPING_UNDER3 / CHANGPING_RESIDENTS == pytest.approx(0.0176, abs=0.0001)


def test_share_of_residents_under_3():
    """Daxing's children under 3 at end-2023 as a share of residents, against Changping's ≈1.76%.

    Tolerance 0.85×–1.30× Changping's share (1.50%–2.29%): Changping's count is rounded ("about
    40,000", ±3%); Daxing's share of Beijing's newborns at the census (10.0%) exceeds its share of
    the population (9.11%) by about 10%, so Daxing is expected above a district at Beijing's
    average, and Changping's own position is unknown; a difference beyond about a quarter either
    way would mean the births or the census anchor are off, not the districts.
    """
    _, d = district()
    share = d.at[2023, "children_under3"] / d.at[2023, "population"]
    changping = CHANGPING_UNDER3 / CHANGPING_RESIDENTS
    what = f"Daxing's under-3 share of residents at end-2023 ({share:.2%}, Changping {changping:.2%})"
    assert_within(share, 0.85 * changping, 1.30 * changping, what, CHILDREN_TOO_MANY, CHILDREN_TOO_FEW)


def test_slots_per_1000_residents_at_end_2024():
    """Daxing's slots per 1,000 residents at end-2024 (the 2024 floor target, which the baseline meets).

    Against Changping's 2.46: tolerance 0.6×–1.4× (1.48–3.44). Both districts work to the same
    Beijing plan of 4.5 per 1,000 by 2025 from a national 3.38 (2023) and 4.08 (2024); Changping
    was a pilot district ahead of others, so Daxing may be lower, but not at less than about
    two-thirds of a comparable district a year before the deadline, nor far above it.
    """
    _, d = district()
    per_1000 = d.at[2024, "target_total"] / d.at[2024, "population"] * 1000
    assert_within(
        per_1000,
        0.6 * CHANGPING_SLOTS_PER_1000,
        1.4 * CHANGPING_SLOTS_PER_1000,
        f"Daxing's slots per 1,000 residents at end-2024 ({per_1000:.2f}, Changping {CHANGPING_SLOTS_PER_1000})",
        "the population is too low (population_growth_rate, the populations in data/towns.csv)",
        "the population is too high (population_growth_rate, the populations in data/towns.csv)",
    )


def test_end_2023_stock_per_1000_residents():
    """The assumed end-2023 stock (``existing_slots_2023``: half of each unit's 2024 floor target).

    A year before Changping's 2.46 per 1,000; nationally slots per 1,000 rose 21% over 2024 (3.38
    → 4.08), so a district at Changping's end-2024 level had about 2.0 at end-2023. Tolerance
    0.4×–1.0× of that (0.81–2.03): Daxing's 2024 floor target is itself below Changping's level.
    """
    towns, d = district()
    per_1000 = towns.existing_slots_2023.sum() / d.at[2023, "population"] * 1000
    year_before = CHANGPING_SLOTS_PER_1000 / (4.08 / 3.38)
    assert_within(
        per_1000,
        0.4 * year_before,
        1.0 * year_before,
        f"the end-2023 stock per 1,000 residents ({per_1000:.2f}, ≈{year_before:.2f} at Changping's level)",
        "lower existing_slots_2023 in data/towns.csv",
        "raise existing_slots_2023 in data/towns.csv (the half-of-the-floor-target rule is too low)",
    )


def test_slots_per_child_under_3():
    """Slots at end-2024 per child under 3, against Changping's 5,580 / 40,000 ≈ 0.14.

    Tolerance 0.6×–1.5× (0.084–0.209), the two tolerances above combined: this ties the supply
    side (targets) to the demand side (children) without the population in between.
    """
    _, d = district()
    per_child = d.at[2024, "target_total"] / d.at[2024, "children_under3"]
    changping = CHANGPING_SLOTS / CHANGPING_UNDER3
    what = f"Daxing's slots per child under 3 at end-2024 ({per_child:.3f}, Changping {changping:.3f})"
    assert_within(per_child, 0.6 * changping, 1.5 * changping, what, CHILDREN_TOO_FEW, CHILDREN_TOO_MANY)


def test_the_edz_row_does_not_carry_beijing_e_towns_reported_supply():
    """The annex row 大兴经开区 (20 / 40 slots) cannot hold E-Town's reported 1,162 slots.

    Beijing News (Nov 2025) reports 36 providers and 1,162 slots in Beijing E-Town; the model
    takes the row to cover only the slots the plan assigns there, so neither the stock nor the
    row's targets may reach the reported supply.
    """
    towns, _ = district()
    targets = load_targets()
    reported = load_scenario().parameters["edz_reported_supply"]["slots"]
    row = targets[targets.town_id == "daxing_edz"].total_slots
    assert row.max() < reported / 10
    assert towns.at["daxing_edz", "existing_slots_2023"] < row.max()
