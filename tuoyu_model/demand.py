"""Children under 3 and the childcare places their families want, by unit and year.

Method ``births`` (the default) works on the district, anchored to the 2020 census, and splits
it by unit::

    Beijing births(t)  = birth_rate(t) × beijing_population(t)
                         (birth_rate_future and population_growth_rate after the last published year)
    district births(t) = district_births_share × Beijing births(t)
    census single ages = c0 = census_children_age_0[daxing], c1 = c2 = census_age_1_4_share_per_year
                         × census_children_age_1_4[daxing]          (at the census, end of census_year)
    district age band k (k = 0, 1, 2) at the end of year t, born in t − k, s = survival_factor:
        born after the census year:  district births(t − k) × s^(k+1)
        born in or before it:        c_(k − (t − census_year)) × s^(t − census_year)
    unit band(t)       = district band(t) × unit census population ÷ district_census_population

so in the census year the district's children under 3 are c0 + c1 + c2 (≈59,900) and afterwards
they follow the births. The per-unit split is a proxy (children in proportion to population).

Method ``age_share`` (when ``under3_share_by_band`` is set): ``age_b(t) = population(t) ×
share_b`` by unit, for users who have each unit's age structure.

Slots demanded = Σ_b children_b × take_up_rate_b (families wanting a place); likely enrolment =
children under 3 × enrolment_rate (what actual enrolment rates would fill).

Targets by year: 2024 → ``floor_2024``; 2025 → the scenario's ``target_set_2025``; after 2025
the 2025 target is held when ``target_after_plan`` is ``hold_2025`` (the plan sets no later
target, and slots built stay in service); before 2024 there is no target (NaN, no flag).

.. warning::
   Units whose ``population_source`` in ``data/towns.csv`` is marked PROXY (today all but the two
   with census figures) have populations derived from the plan's own 2025 targets, so for them
   the demand derived from population and the target are proportional by construction: the
   comparison is circular and says nothing about whether the target suits the unit. Their rows
   carry ``circular_comparison = True``; only the district total and the census units are
   informative until official populations replace the proxy (:func:`circularity_note`).
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


def _is_proxy(source: object) -> bool:
    return "PROXY" in str(source).upper()


def census_units(towns: pd.DataFrame) -> list[str]:
    """Names of the units whose population is not marked PROXY in ``towns.csv``, in file order."""
    keep = ~towns["population_source"].map(_is_proxy) if "population_source" in towns else pd.Series(True, towns.index)
    return [str(t) for t in towns.loc[keep, "town"]]


def circularity_note(towns: pd.DataFrame, zh: bool = False) -> str:
    """Say why the demand-vs-target comparison of the proxy-population units is circular (English, or Chinese).

    The units with census populations are read from the PROXY marks in ``towns.csv``; empty
    when no unit's population is a proxy.

    Examples
    --------
    >>> from tuoyu_model.data import load_towns
    >>> circularity_note(load_towns()).split(":")[0]
    "Units whose population is a PROXY derived from the plan's 2025 targets (all but 旧宫镇 and 亦庄镇)"
    >>> circularity_note(load_towns(), zh=True).split("，")[0]
    '除旧宫镇、亦庄镇外'

    """
    census = census_units(towns)
    if len(census) == len(towns):
        return ""
    if zh:
        which = f"除{'、'.join(census)}外，各属地" if census else "各属地"
        return f"{which}人口为按2025年规划目标推算的代理值，需求与目标的比较存在循环论证，仅供参考。"
    which = f"all but {' and '.join(census)}" if census else "all units"
    return (
        f"Units whose population is a PROXY derived from the plan's 2025 targets ({which}): "
        "their demand is proportional to their target by construction, so the demand-vs-target comparison "
        "is circular; replace the population in data/towns.csv with official figures to make it informative."
    )


EDZ_UNIT = "daxing_edz"  # the annex row 大兴经开区 (data/targets.csv)


def edz_note_zh(params: Mapping, targets: pd.DataFrame) -> str:
    """Say what the annex row 大兴经开区 is taken to cover, with the figures behind it (Chinese, for the report).

    The row's targets (from ``targets``) against the supply Beijing E-Town reported for itself
    (``edz_reported_supply``), which is not in the stock. Empty when the row is absent.

    Examples
    --------
    >>> from tuoyu_model.data import load_targets
    >>> from tuoyu_model.parameters import load_scenario
    >>> edz_note_zh(load_scenario().parameters, load_targets()).split("，")[0]
    '工作方案附件中“大兴经开区”一行的托位目标为2024年20个、2025年20个（规划目标40个）'

    """
    row = targets[targets.town_id == EDZ_UNIT].set_index("target_set").total_slots
    if row.empty:
        return ""
    reported = params["edz_reported_supply"]
    goals = {k: int(row[k]) for k in ("floor_2024", "high_quality_2025", "plan_2025") if k in row}
    return (
        f"工作方案附件中“大兴经开区”一行的托位目标为2024年{goals.get('floor_2024', 0)}个、"
        f"2025年{goals.get('high_quality_2025', 0)}个（规划目标{goals.get('plan_2025', 0)}个），"
        f"远小于北京经开区自报的{int(reported['providers'])}家托育服务机构、{int(reported['slots']):,}个托位"
        "（2025年11月）。经开区单独管理，本模型将该行理解为区工作方案在经开区范围内分配的托位任务，"
        "经开区自建自管的托位不计入存量和目标；全区人口和需求测算则包含经开区大兴部分的居民，"
        "因此全区需求与目标的差距可能高估，最多约为经开区自报的托位数。"
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
    """Beijing's births per resident in ``year``.

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
    if year in rates:
        return rates[year]
    if year > max(rates):
        return float(params["birth_rate_future"])
    raise DataError(
        f"{_where(params, 'birth_rate')}: 'birth_rate' has no value for {year} (has "
        f"{', '.join(map(str, sorted(rates)))}); children aged 2–3 at the end of year t were born "
        f"in t − 2, so add '{year}: …' or start demand_years later"
    )


def _where(params: Mapping, name: str) -> str:
    return getattr(params, "meta", {}).get(name, {}).get("file", "data/parameters/demand.yaml")


def beijing_population(params: Mapping, year: int) -> float:
    """Beijing's year-end resident population; after the last published year grown at ``population_growth_rate``.

    Examples
    --------
    >>> from tuoyu_model.parameters import load_scenario
    >>> p = load_scenario().parameters
    >>> beijing_population(p, 2024), round(beijing_population(p, 2025))  # 21,832,000 × 0.9992
    (21832000.0, 21814534)

    """
    series = {int(k): float(v) for k, v in params["beijing_population"].items()}
    if year in series:
        return series[year]
    last = max(series)
    if year > last:
        return series[last] * (1.0 + float(params["population_growth_rate"])) ** (year - last)
    raise DataError(
        f"{_where(params, 'beijing_population')}: 'beijing_population' has no value for {year} (has "
        f"{', '.join(map(str, sorted(series)))}); add '{year}: …' from the statistical communiqué"
    )


def district_births(params: Mapping, year: int) -> float:
    """Daxing's births in ``year``: ``district_births_share`` × Beijing's births (rate × population).

    Examples
    --------
    >>> from tuoyu_model.parameters import load_scenario
    >>> round(district_births(load_scenario().parameters, 2021))  # 10.02% × 6.35‰ × 21,886,000
    13925

    """
    return float(params["district_births_share"]) * birth_rate(params, year) * beijing_population(params, year)


def district_children_by_band(params: Mapping, year: int) -> dict[str, float]:
    """Daxing's children under 3 at the end of ``year`` by age band, anchored to the 2020 census.

    A cohort born after ``census_year`` comes from :func:`district_births`; one born in or
    before it is the census count of its age (age 0, and ages 1 and 2 each
    ``census_age_1_4_share_per_year`` of the 1–4 band), × ``survival_factor`` per year since.

    Raises
    ------
    DataError
        ``year`` is before ``census_year``, or a birth year lacks a birth rate.

    Examples
    --------
    >>> from tuoyu_model.parameters import load_scenario
    >>> c = district_children_by_band(load_scenario().parameters, 2020)  # the census day
    >>> c["age_0_1"], c["age_1_2"], round(sum(c[b] for b in AGE_BANDS), 1)  # 15,296 + 89,267 / 2
    (15296.0, 22316.75, 59929.5)

    """
    census = int(params["census_year"])
    if year < census:
        raise DataError(
            f"{_where(params, 'census_year')}: demand for {year} is before the census year {census} "
            "the children are anchored to; start demand_years in or after it"
        )
    one_year = float(params["census_age_1_4_share_per_year"]) * float(params["census_children_age_1_4"]["daxing"])
    at_census = [float(params["census_children_age_0"]["daxing"]), one_year, one_year]
    s = float(params["survival_factor"])
    out = {"births": district_births(params, year) if year > census else float("nan")}
    for k, band in enumerate(AGE_BANDS):
        born = year - k
        if born > census:
            out[band] = district_births(params, born) * s ** (k + 1)
        else:
            out[band] = at_census[k - (year - census)] * s ** (year - census)
    return out


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
    """Children under 3 of a unit at the end of ``year`` by age band, and the births of ``year``.

    Method ``births``: the district's (:func:`district_children_by_band`) × the unit's census
    population ÷ ``district_census_population`` (a proxy split). Method ``age_share``: the unit's
    population × ``under3_share_by_band``.

    Returns
    -------
    dict
        ``births``, ``age_0_1``, ``age_1_2``, ``age_2_3`` and ``method`` (``births`` or
        ``age_share``).

    Examples
    --------
    >>> from tuoyu_model.parameters import load_scenario
    >>> c = children_by_band(199359.1, load_scenario().parameters, 2024)  # a tenth of Daxing
    >>> round(c["age_0_1"]), c["method"]  # 10.02% × 6.09‰ × 21,832,000 × 0.99 / 10
    (1319, 'births')

    """
    shares = params["under3_share_by_band"]
    if shares is not None:
        missing = [b for b in AGE_BANDS if b not in shares]
        if missing:
            raise ScenarioError(
                f"'under3_share_by_band' lacks {', '.join(missing)}; give a share of the "
                f"population for each of {', '.join(AGE_BANDS)}"
            )
        pop = population(census_population, params, year)
        births = district_births(params, year) * float(census_population) / float(params["district_census_population"])
        out = {b: pop * float(shares[b]) for b in AGE_BANDS}
        return {"births": births, **out, "method": "age_share"}
    part = float(census_population) / float(params["district_census_population"])
    district = district_children_by_band(params, year)
    return {key: value * part for key, value in district.items()} | {"method": "births"}


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
        ``circularity_note``, ``circularity_note_zh``, ``edz_note_zh`` (:func:`edz_note_zh`) and
        ``circular_units``.

    Notes
    -----
    For the units whose population is a PROXY derived from the plan's 2025 targets
    (``circular_comparison = True``), demand is proportional to the target by construction: the
    demand-vs-target gap and flag are circular there and must not be read as evidence. Only the
    census units and the district total (:func:`district_demand`) are informative.

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
        proxy = _is_proxy(town.get("population_source", ""))
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
    out.attrs["circularity_note"] = circularity_note(towns)
    out.attrs["circularity_note_zh"] = circularity_note(towns, zh=True)
    out.attrs["edz_note_zh"] = edz_note_zh(params, targets)
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
                "population_proxy": _is_proxy(town.get("population_source", "")),
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
