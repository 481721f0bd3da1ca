"""Children under 3 and the childcare places their families want, by unit and year.

Method ``births`` (the default)::

    population(t)  = census population × (1 + population_growth_rate) ** (t − census_year)
    births(t)      = birth_rate(t) × district_birth_rate_factor × population(t)
                     (birth_rate_future for years after the last published rate)
    age_0_1(t)     = births(t)     × s          children at the end of year t,
    age_1_2(t)     = births(t − 1) × s²         s = survival_factor (survival and net migration)
    age_2_3(t)     = births(t − 2) × s³

Method ``age_share`` (when ``under3_share_by_band`` is set): ``age_b(t) = population(t) ×
share_b``, for users who have the unit's age structure.

Slots demanded = Σ_b children_b × take_up_rate_b (families wanting a place); likely enrolment =
children under 3 × enrolment_rate (what actual enrolment rates would fill).

Targets by year: 2024 → ``floor_2024``; 2025 → the scenario's ``target_set_2025``; after 2025
the 2025 target is held when ``target_after_plan`` is ``hold_2025`` (the plan sets no later
target, and slots built stay in service); before 2024 there is no target (NaN, no flag).

.. warning::
   Only 旧宫镇 and 亦庄镇 have published census populations. The other 20 units' populations are a
   PROXY derived from the plan's own 2025 targets (``data/towns.csv``), so for them the demand
   derived from population and the target are proportional by construction: the comparison is
   circular and says nothing about whether the target suits the unit. Their rows carry
   ``circular_comparison = True``; only the district total and the two census units are
   informative until official populations replace the proxy.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from tuoyu_model.costs import AGE_BANDS
from tuoyu_model.data import target_for_year  # the one rule for which target set applies
from tuoyu_model.errors import DataError, ScenarioError

DEMAND_COLUMNS = [
    "town_id",
    "town",
    "year",
    "population",
    "births",
    "children_under3",
    "children_age_0_1",
    "children_age_1_2",
    "children_age_2_3",
    "slots_demanded",
    "likely_enrolment",
    "target_set",
    "target_basis",
    "target_total",
    "target_inclusive",
    "slots_per_1000_target",
    "slots_per_1000",
    "benchmark_slots",
    "gap_target_minus_demand",
    "enrolment_fill_rate",
    "flag",
    "method",
    "population_proxy",
    "circular_comparison",
]
CIRCULARITY_NOTE = (
    "Units whose population is a PROXY derived from the plan's 2025 targets (all but 旧宫镇 and 亦庄镇): "
    "their demand is proportional to their target by construction, so the demand-vs-target comparison "
    "is circular; replace the population in data/towns.csv with official figures to make it informative."
)
CIRCULARITY_NOTE_ZH = (
    "除旧宫镇、亦庄镇外，各属地人口为按2025年规划目标推算的代理值，需求与目标的比较存在循环论证，仅供参考。"
)


def _year_range(params: Mapping, name: str) -> list[int]:
    span = params[name]
    if not isinstance(span, Mapping) or "first" not in span or "last" not in span:
        raise ScenarioError(f"'{name}' must be a mapping {{first: YEAR, last: YEAR}}, got {span!r}")
    first, last = int(span["first"]), int(span["last"])
    if last < first:
        raise ScenarioError(f"'{name}': last year {last} is before first year {first}; swap them")
    return list(range(first, last + 1))


def birth_rate(params: Mapping, year: int) -> float:
    """Births per resident in ``year`` for Daxing (Beijing's rate × ``district_birth_rate_factor``).

    Published years use ``birth_rate``; years after the last published one use
    ``birth_rate_future``; years before the first published one are an error.

    Raises
    ------
    DataError
        ``year`` is before the first published birth rate.

    Examples
    --------
    >>> from tuoyu_model.parameters import load_scenario
    >>> p = load_scenario().parameters
    >>> birth_rate(p, 2023), birth_rate(p, 2027)
    (0.00563, 0.006)

    """
    rates = {int(k): float(v) for k, v in params["birth_rate"].items()}
    factor = float(params["district_birth_rate_factor"])
    if year in rates:
        return rates[year] * factor
    if year > max(rates):
        return float(params["birth_rate_future"]) * factor
    where = getattr(params, "meta", {}).get("birth_rate", {}).get("file", "data/parameters/demand.yaml")
    raise DataError(
        f"{where}: 'birth_rate' has no value for {year} (has "
        f"{', '.join(map(str, sorted(rates)))}); children aged 2–3 at the end of year t were born "
        f"in t − 2, so add '{year}: …' or start demand_years later"
    )


def population(census_population: float, params: Mapping, year: int) -> float:
    """Resident population of a unit at the end of ``year``, grown from the census.

    Examples
    --------
    >>> from tuoyu_model.parameters import load_scenario
    >>> round(population(189300, load_scenario().parameters, 2024))  # 189,300 × 0.9992⁴
    188695

    """
    years = year - int(params["census_year"])
    return float(census_population) * (1.0 + float(params["population_growth_rate"])) ** years


def children_by_band(census_population: float, params: Mapping, year: int) -> dict[str, float]:
    """Children under 3 at the end of ``year`` by age band, and the births of ``year``.

    Returns
    -------
    dict
        ``births``, ``age_0_1``, ``age_1_2``, ``age_2_3`` and ``method`` (``births`` or
        ``age_share``).

    Examples
    --------
    >>> from tuoyu_model.parameters import load_scenario
    >>> c = children_by_band(100000, load_scenario().parameters, 2024)
    >>> round(c["age_0_1"]), c["method"]  # 6.09‰ × 100,000 × 0.9992⁴ × 0.99
    (601, 'births')

    """
    shares = params["under3_share_by_band"]
    births = birth_rate(params, year) * population(census_population, params, year)
    if shares is not None:
        missing = [b for b in AGE_BANDS if b not in shares]
        if missing:
            raise ScenarioError(
                f"'under3_share_by_band' lacks {', '.join(missing)}; give a share of the "
                f"population for each of {', '.join(AGE_BANDS)}"
            )
        pop = population(census_population, params, year)
        out = {b: pop * float(shares[b]) for b in AGE_BANDS}
        return {"births": births, **out, "method": "age_share"}
    s = float(params["survival_factor"])
    out = {}
    for k, band in enumerate(AGE_BANDS):
        born = year - k
        out[band] = birth_rate(params, born) * population(census_population, params, born) * s ** (k + 1)
    return {"births": births, **out, "method": "births"}


def _flag(target: float, demand: float, tolerance: float) -> str:
    if np.isnan(target):
        return ""
    if target > demand * (1.0 + tolerance):
        return "vacancy_risk"
    if demand > target * (1.0 + tolerance):
        return "unmet_need"
    return ""


def demand_table(params: Mapping, towns: pd.DataFrame, targets: pd.DataFrame) -> pd.DataFrame:
    """Children, places wanted and the gap to the plan's targets, by unit and year.

    Parameters
    ----------
    params : Parameters
        Resolved scenario parameters (``demand.yaml``; ``target_set_2025``).
    towns : DataFrame
        :func:`tuoyu_model.data.load_towns` (index ``town_id``; ``town``, ``population``,
        ``population_source``).
    targets : DataFrame
        :func:`tuoyu_model.data.load_targets` (tidy annex).

    Returns
    -------
    pandas.DataFrame
        One row per unit × year over ``demand_years``: ``town_id, town, year, population,
        births, children_under3, children_age_0_1, children_age_1_2, children_age_2_3,
        slots_demanded, likely_enrolment, target_set, target_basis, target_total,
        target_inclusive, slots_per_1000_target, slots_per_1000`` (the output contract's name for
        the same figure), ``benchmark_slots`` (population × 4.5 / 1,000),
        ``gap_target_minus_demand`` (target − slots demanded), ``enrolment_fill_rate`` (likely
        enrolment ÷ target), ``flag``, ``method``, ``population_proxy``,
        ``circular_comparison``.

        ``flag`` compares the target with the demand measure ``flag_demand_measure``
        (``slots_demanded`` by default): ``vacancy_risk`` when the target exceeds it by more
        than ``demand_flag_tolerance``, ``unmet_need`` when it exceeds the target by more than
        the tolerance, ``''`` otherwise or without a target. ``attrs`` hold ``method``,
        ``circularity_note`` and ``circular_units``.

    Notes
    -----
    For the 20 units whose population is a PROXY derived from the plan's 2025 targets
    (``circular_comparison = True``), demand is proportional to the target by construction: the
    demand-vs-target gap and flag are circular there and must not be read as evidence. Only
    旧宫镇, 亦庄镇 and the district total (:func:`district_demand`) are informative.

    Examples
    --------
    >>> from tuoyu_model.data import load_targets, load_towns
    >>> from tuoyu_model.parameters import load_scenario
    >>> t = load_targets()
    >>> d = demand_table(load_scenario().parameters, load_towns(targets=t), t)
    >>> row = d.query("town_id == 'jiugong' and year == 2025").iloc[0]
    >>> float(row.target_total), bool(row.circular_comparison), row.flag
    (490.0, False, 'unmet_need')

    """
    years = _year_range(params, "demand_years")
    take_up = params["take_up_rate"]
    missing = [b for b in AGE_BANDS if b not in take_up]
    if missing:
        raise ScenarioError(f"'take_up_rate' lacks {', '.join(missing)}; give a share for each age band")
    enrol = float(params["enrolment_rate"])
    bench = float(params["slots_per_1000_benchmark"])
    tol = float(params["demand_flag_tolerance"])
    measure = params["flag_demand_measure"]
    wide = targets.set_index(["town_id", "target_set"])
    rows = []
    for town_id, town in towns.iterrows():
        proxy = "PROXY" in str(town.get("population_source", "")).upper()
        for year in years:
            c = children_by_band(float(town.population), params, year)
            pop = population(float(town.population), params, year)
            under3 = c["age_0_1"] + c["age_1_2"] + c["age_2_3"]
            wanted = sum(c[b] * float(take_up[b]) for b in AGE_BANDS)
            likely = under3 * enrol
            target_set, basis = target_for_year(params, year)
            if target_set:
                if (town_id, target_set) not in wide.index:
                    raise DataError(f"data/targets.csv: no '{target_set}' row for unit '{town_id}'")
                total = float(wide.at[(town_id, target_set), "total_slots"])
                inclusive = float(wide.at[(town_id, target_set), "inclusive_slots"])
            else:
                total = inclusive = float("nan")
            compare = wanted if measure == "slots_demanded" else likely
            per_1000 = total / pop * 1000 if pop > 0 else float("nan")
            rows.append(
                {
                    "town_id": town_id,
                    "town": town.town,
                    "year": year,
                    "population": pop,
                    "births": c["births"],
                    "children_under3": under3,
                    "children_age_0_1": c["age_0_1"],
                    "children_age_1_2": c["age_1_2"],
                    "children_age_2_3": c["age_2_3"],
                    "slots_demanded": wanted,
                    "likely_enrolment": likely,
                    "target_set": target_set,
                    "target_basis": basis,
                    "target_total": total,
                    "target_inclusive": inclusive,
                    "slots_per_1000_target": per_1000,
                    "slots_per_1000": per_1000,
                    "benchmark_slots": pop * bench / 1000,
                    "gap_target_minus_demand": total - wanted,
                    "enrolment_fill_rate": likely / total if total > 0 else float("nan"),
                    "flag": _flag(total, compare, tol),
                    "method": c["method"],
                    "population_proxy": proxy,
                    "circular_comparison": proxy,
                }
            )
    out = pd.DataFrame(rows, columns=DEMAND_COLUMNS)
    out.attrs["method"] = str(out["method"].iloc[0]) if len(out) else ""
    out.attrs["circularity_note"] = CIRCULARITY_NOTE
    out.attrs["circularity_note_zh"] = CIRCULARITY_NOTE_ZH
    out.attrs["circular_units"] = sorted(out.loc[out.circular_comparison, "town_id"].unique().tolist())
    return out


def district_demand(demand: pd.DataFrame) -> pd.DataFrame:
    """District totals by year of :func:`demand_table` (the informative level under proxy populations).

    Returns
    -------
    pandas.DataFrame
        ``year, population, births, children_under3, slots_demanded, likely_enrolment,
        target_total, slots_per_1000_target, benchmark_slots, gap_target_minus_demand``.

    Examples
    --------
    >>> from tuoyu_model.data import load_targets, load_towns
    >>> from tuoyu_model.parameters import load_scenario
    >>> t = load_targets()
    >>> d = district_demand(demand_table(load_scenario().parameters, load_towns(targets=t), t))
    >>> int(d.set_index("year").at[2024, "target_total"])
    4700

    """
    sums = demand.groupby("year")[
        [
            "population",
            "births",
            "children_under3",
            "slots_demanded",
            "likely_enrolment",
            "target_total",
            "benchmark_slots",
        ]
    ].sum(min_count=1)
    sums["slots_per_1000_target"] = sums.target_total / sums.population * 1000
    sums["gap_target_minus_demand"] = sums.target_total - sums.slots_demanded
    return sums.reset_index()


def slots_per_1000_by_target_set(params: Mapping, towns: pd.DataFrame, targets: pd.DataFrame) -> pd.DataFrame:
    """Slots per 1,000 residents of every annex target set, by unit, against the benchmark.

    Returns
    -------
    pandas.DataFrame
        ``town_id, town, target_set, year, population, total_slots, slots_per_1000,
        benchmark, meets_benchmark, population_proxy``; the population is grown to the target's
        year. A ``district`` row per target set gives the totals.

    Examples
    --------
    >>> from tuoyu_model.data import load_targets, load_towns
    >>> from tuoyu_model.parameters import load_scenario
    >>> t = load_targets()
    >>> s = slots_per_1000_by_target_set(load_scenario().parameters, load_towns(targets=t), t)
    >>> round(float(s.query("town_id == 'district' and target_set == 'plan_2025'").slots_per_1000.iloc[0]), 2)
    4.33

    """
    bench = float(params["slots_per_1000_benchmark"])
    rows = []
    for _, r in targets.iterrows():
        town = towns.loc[r.town_id]
        pop = population(float(town.population), params, int(r.year))
        rows.append(
            {
                "town_id": r.town_id,
                "town": r.town,
                "target_set": r.target_set,
                "year": int(r.year),
                "population": pop,
                "total_slots": float(r.total_slots),
                "population_proxy": "PROXY" in str(town.get("population_source", "")).upper(),
            }
        )
    out = pd.DataFrame(rows)
    district = out.groupby(["target_set", "year"], as_index=False)[["population", "total_slots"]].sum()
    district["town_id"], district["town"], district["population_proxy"] = "district", "大兴区合计", False
    out = pd.concat([out, district], ignore_index=True)
    out["slots_per_1000"] = out.total_slots / out.population * 1000
    out["benchmark"] = bench
    out["meets_benchmark"] = out.slots_per_1000 >= bench
    return out[
        [
            "town_id",
            "town",
            "target_set",
            "year",
            "population",
            "total_slots",
            "slots_per_1000",
            "benchmark",
            "meets_benchmark",
            "population_proxy",
        ]
    ]
