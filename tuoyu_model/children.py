"""Children under 3 by age band and unit at each year-end, and the births behind them.

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
"""

from __future__ import annotations

from collections.abc import Mapping

from tuoyu_model.costs import AGE_BANDS
from tuoyu_model.errors import DataError, ScenarioError


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
    has = ", ".join(map(str, sorted(rates)))
    raise DataError(
        f"{_where(params, 'birth_rate')}: 'birth_rate' 没有 {year} 年的值（现有 {has}）；t 年末 2–3 岁的幼儿"
        f"生于 t − 2 年，请加上 '{year}: …'，或让 demand_years 晚一些开始",
        en=f"{_where(params, 'birth_rate')}: 'birth_rate' has no value for {year} (has {has}); "
        f"children aged 2–3 at the end of year t were born in t − 2, so add '{year}: …' or start demand_years later",
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
    has = ", ".join(map(str, sorted(series)))
    raise DataError(
        f"{_where(params, 'beijing_population')}: 'beijing_population' 没有 {year} 年的值（现有 {has}）；"
        f"请按统计公报加上 '{year}: …'",
        en=f"{_where(params, 'beijing_population')}: 'beijing_population' has no value for {year} (has {has}); "
        f"add '{year}: …' from the statistical communiqué",
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
            f"{_where(params, 'census_year')}: {year} 年的需求早于幼儿数所依据的普查年份 {census}；"
            "请让 demand_years 从普查年份或以后开始",
            en=f"{_where(params, 'census_year')}: demand for {year} is before the census year {census} "
            "the children are anchored to; start demand_years in or after it",
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
                f"'under3_share_by_band' 缺少 {', '.join(missing)}；请为 {', '.join(AGE_BANDS)} 各给出占人口的比例",
                en=f"'under3_share_by_band' lacks {', '.join(missing)}; give a share of the "
                f"population for each of {', '.join(AGE_BANDS)}",
            )
        pop = population(census_population, params, year)
        births = district_births(params, year) * float(census_population) / float(params["district_census_population"])
        out = {b: pop * float(shares[b]) for b in AGE_BANDS}
        return {"births": births, **out, "method": "age_share"}
    part = float(census_population) / float(params["district_census_population"])
    district = district_children_by_band(params, year)
    return {key: value * part for key, value in district.items()} | {"method": "births"}
