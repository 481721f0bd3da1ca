"""Children under 3 from births, take-up, targets by year, gap flags and the proxy circularity."""

import functools

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tuoyu_model.data import load_targets, load_towns
from tuoyu_model.demand import (
    DEMAND_COLUMNS,
    birth_rate,
    circularity_note,
    demand_table,
    district_births,
    district_children_by_band,
    district_demand,
    slots_per_1000_by_target_set,
    target_for_year,
)
from tuoyu_model.errors import DataError, ScenarioError
from tuoyu_model.parameters import apply_overrides, default_parameters, load_scenario

REL = 1e-9  # sums of a few products: floating-point rounding only


@functools.cache
def defaults():
    return default_parameters()


def with_(params, **overrides):
    return apply_overrides(params, overrides, "test")


@functools.cache
def annex():
    t = load_targets()
    return t, load_towns(targets=t)


def one_unit(population=100000, floor=100, high=200, plan=300, proxy=False):
    """A single made-up unit, so the arithmetic can be done by hand."""
    towns = pd.DataFrame(
        {"town": ["测试镇"], "population": [population], "population_source": ["PROXY test" if proxy else "census"]},
        index=pd.Index(["test"], name="town_id"),
    )
    targets = pd.DataFrame(
        {
            "town_id": "test",
            "town": "测试镇",
            "target_set": ["floor_2024", "high_quality_2025", "plan_2025"],
            "year": [2024, 2025, 2025],
            "total_slots": [floor, high, plan],
            "inclusive_slots": [30, 120, 180],
        }
    )
    return towns, targets


# Growth 0 and survival 1 make the hand arithmetic exact; with Beijing at 10 million, Daxing at
# 10% of its births and 1 million residents, a unit of 100,000 has births = rate × 100,000.
FLAT = {
    "population_growth_rate": 0.0,
    "survival_factor": 1.0,
    "beijing_population": dict.fromkeys(range(2021, 2025), 10_000_000),
    "district_births_share": 0.1,
    "district_census_population": 1_000_000,
}


def test_children_from_births_hand_worked():
    towns, targets = one_unit()
    d = demand_table(with_(defaults(), **FLAT), towns, targets).set_index("year")
    r = d.loc[2024]
    # births 2024 = 10% × 6.09‰ × 10,000,000 × 100,000 / 1,000,000 = 609 → aged 0–1 at end-2024
    # born 2023 at 5.63‰ → 563 aged 1–2; born 2022 at 5.67‰ → 567 aged 2–3; total 1,739
    assert (r.children_age_0_1, r.children_age_1_2, r.children_age_2_3) == pytest.approx((609, 563, 567), rel=REL)
    assert r.children_under3 == pytest.approx(1739, rel=REL)
    # take-up 10% / 30% / 60%: 60.9 + 168.9 + 340.2 = 570.0 places wanted
    assert r.slots_demanded == pytest.approx(570.0, rel=REL)
    # likely enrolment at 12%: 1,739 × 0.12 = 208.68
    assert r.likely_enrolment == pytest.approx(208.68, rel=REL)
    # target 100 (floor 2024): 1.0 per 1,000; benchmark 4.5 × 100 = 450; gap 100 − 570 = −470
    assert r.slots_per_1000_target == pytest.approx(1.0, rel=REL)
    assert r.benchmark_slots == pytest.approx(450, rel=REL)
    assert r.gap_target_minus_demand == pytest.approx(-470, rel=REL)
    assert r.flag == "unmet_need" and r.method == "births"


def test_survival_and_growth_hand_worked():
    towns, targets = one_unit()
    d = demand_table(defaults(), towns, targets).set_index("year")
    # population end-2024 = 100,000 × (1 − 0.0008)^(2024 − 2020)
    assert d.at[2024, "population"] == pytest.approx(100000 * 0.9992**4, rel=REL)
    # aged 2–3 at end-2024: born 2022 in Daxing (10.02% × 5.67‰ × 21,843,000) × 0.99³, the unit's
    # part 100,000 / 1,993,591 of the district (children do not grow with the unit's population)
    born_2022 = 0.1002 * 0.00567 * 21843000
    assert d.at[2024, "children_age_2_3"] == pytest.approx(born_2022 * 0.99**3 * 100000 / 1993591, rel=REL)


def test_future_years_use_the_assumed_birth_rate_and_population():
    p = defaults()
    assert birth_rate(p, 2024) == pytest.approx(0.00609, rel=REL)
    assert birth_rate(p, 2025) == pytest.approx(0.0060, rel=REL)
    # 2026: 10.02% × 6.0‰ × 21,832,000 × 0.9992²
    assert district_births(p, 2026) == pytest.approx(0.1002 * 0.006 * 21832000 * 0.9992**2, rel=REL)


def test_district_births_match_the_derived_figures():
    """Daxing births 2021–24 against facts.md's derived ≈13.9k / 12.4k / 12.3k / 13.3k.

    Those figures are 10.0% of Beijing's births (rounded to 100); the model's births are the
    same derivation from the communiqués' rates and year-end populations, so they agree to the
    rounding: within 0.5%.
    """
    p = defaults()
    published = {2021: 13900, 2022: 12400, 2023: 12300, 2024: 13300}
    for year, births in published.items():
        assert district_births(p, year) == pytest.approx(births, rel=0.005), year


def test_census_anchor_hand_worked():
    """Daxing's children under 3 on the census day: 15,296 aged 0 + 89,267 aged 1–4 × 2 / 4 ≈ 59,900."""
    p = defaults()
    c = district_children_by_band(p, 2020)
    assert (c["age_0_1"], c["age_1_2"], c["age_2_3"]) == pytest.approx((15296, 22316.75, 22316.75), rel=REL)
    assert sum(c[b] for b in ("age_0_1", "age_1_2", "age_2_3")) == pytest.approx(59900, rel=0.001)
    # a year on: the census cohorts age by one year (× 0.99); the newborns are 2021's births
    c = district_children_by_band(p, 2021)
    assert c["age_1_2"] == pytest.approx(15296 * 0.99, rel=REL)
    assert c["age_2_3"] == pytest.approx(22316.75 * 0.99, rel=REL)
    assert c["age_0_1"] == pytest.approx(district_births(p, 2021) * 0.99, rel=REL)
    # two years on only the census age-0 cohort is left; from 2023 everything follows births
    c = district_children_by_band(p, 2022)
    assert c["age_2_3"] == pytest.approx(15296 * 0.99**2, rel=REL)
    c = district_children_by_band(p, 2023)
    assert c["age_2_3"] == pytest.approx(district_births(p, 2021) * 0.99**3, rel=REL)


def test_census_shares_are_the_quotients_they_are_derived_from():
    p = defaults()
    age_0 = p["census_children_age_0"]
    # 15,296 / 152,730 = 0.10015, rounded to 4 decimals in demand.yaml
    assert p["district_births_share"] == pytest.approx(age_0["daxing"] / age_0["beijing"], abs=5e-5)


def test_units_add_up_to_the_district_anchor():
    """The per-unit split is a proxy but the units' children add up to the district's."""
    targets, towns = annex()
    p = with_(defaults(), demand_years={"first": 2021, "last": 2026})
    # towns.csv sums to the census within the rounding of the 20 proxy populations to whole persons
    part = towns.population.sum() / p["district_census_population"]
    assert part == pytest.approx(1.0, abs=10 / 1993591)
    d = demand_table(p, towns, targets).groupby("year").children_under3.sum()
    for year in d.index:
        c = district_children_by_band(p, year)
        assert d[year] == pytest.approx((c["age_0_1"] + c["age_1_2"] + c["age_2_3"]) * part, rel=REL), year


def test_a_year_before_the_anchor_or_a_birth_year_without_a_rate_is_an_error():
    towns, targets = one_unit()
    with pytest.raises(DataError, match="before the census year 2022"):
        demand_table(with_(defaults(), census_year=2022, demand_years={"first": 2021, "last": 2023}), towns, targets)
    # anchored in 2018, the end-2021 cohorts born in 2020 and 2019 need Beijing birth rates
    with pytest.raises(DataError, match="'birth_rate' has no value for 2020"):
        demand_table(with_(defaults(), census_year=2018, demand_years={"first": 2021, "last": 2023}), towns, targets)


def test_age_share_method():
    towns, targets = one_unit()
    p = with_(defaults(), **FLAT, under3_share_by_band={"age_0_1": 0.005, "age_1_2": 0.006, "age_2_3": 0.007})
    d = demand_table(p, towns, targets).set_index("year")
    # 100,000 × 0.5% / 0.6% / 0.7% = 500 / 600 / 700
    assert d.loc[2025, ["children_age_0_1", "children_age_1_2", "children_age_2_3"]].tolist() == pytest.approx(
        [500, 600, 700], rel=REL
    )
    assert (d.method == "age_share").all()


def test_age_share_needs_every_band():
    towns, targets = one_unit()
    p = with_(defaults(), under3_share_by_band={"age_0_1": 0.005})
    with pytest.raises(ScenarioError, match="age_1_2"):
        demand_table(p, towns, targets)


@pytest.mark.parametrize(
    "scenario, year, expected",
    [
        ("baseline", 2023, ("", "none")),
        ("baseline", 2024, ("floor_2024", "annex")),
        ("baseline", 2025, ("high_quality_2025", "annex")),
        ("baseline", 2028, ("high_quality_2025", "held_2025")),
        ("plan_2025", 2025, ("plan_2025", "annex")),
        ("plan_2025", 2030, ("plan_2025", "held_2025")),
    ],
)
def test_target_for_year(scenario, year, expected):
    assert target_for_year(load_scenario(scenario).parameters, year) == expected


def test_no_target_after_plan_when_asked():
    towns, targets = one_unit()
    d = demand_table(with_(defaults(), target_after_plan="none"), towns, targets).set_index("year")
    assert pd.isna(d.at[2026, "target_total"]) and d.at[2026, "flag"] == ""
    assert d.at[2025, "target_total"] == 200


@pytest.mark.parametrize(
    "target, expected",
    [
        # slots demanded in 2024 with FLAT = 570; tolerance 10%
        (570, ""),  # equal
        (626, ""),  # below 570 × 1.1 = 627: within tolerance
        (628, "vacancy_risk"),  # target above demand by more than 10%
        (519, ""),  # 519 × 1.1 = 570.9 ≥ 570: within tolerance
        (518, "unmet_need"),  # 518 × 1.1 = 569.8 < 570: demand above target by more than 10%
    ],
)
def test_flags_with_tolerance(target, expected):
    towns, targets = one_unit(floor=target)
    d = demand_table(with_(defaults(), **FLAT), towns, targets).set_index("year")
    assert d.at[2024, "flag"] == expected


def test_vacancy_view_uses_likely_enrolment():
    # likely enrolment 208.68 in 2024; target 300 > 208.68 × 1.1 = 229.5 → vacancy risk
    towns, targets = one_unit(floor=300)
    p = with_(defaults(), **FLAT, flag_demand_measure="likely_enrolment")
    d = demand_table(p, towns, targets).set_index("year")
    assert d.at[2024, "flag"] == "vacancy_risk"
    assert d.at[2024, "enrolment_fill_rate"] == pytest.approx(208.68 / 300, rel=REL)


def test_district_table_shape_and_circularity():
    targets, towns = annex()
    d = demand_table(defaults(), towns, targets)
    assert list(d.columns) == DEMAND_COLUMNS
    assert len(d) == 22 * 8  # 22 units × 2023–2030
    # only 旧宫镇 and 亦庄镇 have census populations; the other 20 are proxies from the targets
    assert sorted(set(d.town_id) - set(d.attrs["circular_units"])) == ["jiugong", "yizhuang"]
    assert d.circular_comparison.groupby(d.town_id).first().sum() == 20
    assert "circular" in d.attrs["circularity_note"] and d.attrs["method"] == "births"
    assert "all but 旧宫镇 and 亦庄镇" in d.attrs["circularity_note"]
    assert d.attrs["circularity_note_zh"].startswith("除旧宫镇、亦庄镇外")
    dist = district_demand(d).set_index("year")
    assert dist.at[2024, "target_total"] == 4700
    assert pd.isna(dist.at[2023, "target_total"])


def test_circularity_note_follows_the_proxy_marks():
    targets, towns = annex()
    t = towns.copy()
    t.loc["jiugong", "population_source"] = "PROXY: not the census"
    assert "(all but 亦庄镇)" in circularity_note(t) and circularity_note(t, zh=True).startswith("除亦庄镇外")
    t.loc["yizhuang", "population_source"] = "PROXY: not the census"
    assert "(all units)" in circularity_note(t) and circularity_note(t, zh=True).startswith("各属地人口")
    t["population_source"] = "7th census"
    assert circularity_note(t) == "" and circularity_note(t, zh=True) == ""


def test_proxy_units_are_proportional_to_their_targets():
    """Why the comparison is circular: proxy population ∝ 2025 plan target, so demand ∝ target."""
    targets, towns = annex()
    p = with_(defaults(), target_set_2025="plan_2025")
    d = demand_table(p, towns, targets).query("year == 2025 and circular_comparison")
    ratio = d.slots_demanded / d.target_total
    assert ratio.max() / ratio.min() == pytest.approx(1.0, abs=0.01)  # same ratio in every proxy unit (±1%)


def test_slots_per_1000_by_target_set():
    targets, towns = annex()
    s = slots_per_1000_by_target_set(defaults(), towns, targets).set_index(["town_id", "target_set"])
    # 旧宫镇 plan 2025: 880 / (189,300 × 0.9992⁵) × 1,000 = 4.67 ≥ 4.5
    assert s.at[("jiugong", "plan_2025"), "slots_per_1000"] == pytest.approx(880 / (189300 * 0.9992**5) * 1000, rel=REL)
    assert s.at[("jiugong", "plan_2025"), "meets_benchmark"]
    # district floor 2024: 4,700 slots for ≈1.99 million residents = 2.37 per 1,000
    assert s.at[("district", "floor_2024"), "slots_per_1000"] == pytest.approx(2.365, abs=0.001)


@settings(max_examples=30, deadline=None)
@given(
    base=st.lists(st.floats(0, 0.9), min_size=3, max_size=3), bump=st.lists(st.floats(0, 0.1), min_size=3, max_size=3)
)
def test_more_take_up_never_means_fewer_places_wanted(base, bump):
    towns, targets = one_unit()
    bands = ["age_0_1", "age_1_2", "age_2_3"]
    lo = demand_table(with_(defaults(), take_up_rate=dict(zip(bands, base, strict=True))), towns, targets)
    hi = demand_table(
        with_(defaults(), take_up_rate={b: x + d for b, x, d in zip(bands, base, bump, strict=True)}), towns, targets
    )
    assert (hi.slots_demanded >= lo.slots_demanded * (1 - 1e-12)).all()
    assert (hi.children_under3 == lo.children_under3).all()  # take-up changes wants, not children
