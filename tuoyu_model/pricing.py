"""Fee-cap pricing and the operating subsidy of an inclusive slot (what families pay: :mod:`tuoyu_model.family`).

The plan (第二部分第9(2)条) caps the public childcare fee per child per month, meals excluded, at
20% of **the district's own** (本区) **previous year** household monthly disposable income::

    per-capita income(y)        = daxing_income_per_capita_<measure>(y)            (sourced)
                                  or income_per_capita_<measure>(y) × district_income_ratio[<measure>]
                                                                                  (derived, a year
                                                                                  without a Daxing figure)
    household monthly income(t) = per-capita income(t − 1) × household_size / 12
    fee cap(t)                  = fee_cap_share × household monthly income(t)
    inclusive fee(t)            = fee cap(t) × inclusive_fee_share_of_cap

``income_area = beijing`` uses Beijing's series instead (no ratio), for comparison. A year after
the last one listed grows from it at ``income_growth_rate`` (status ``projected``: the fee cap of
the years after the plan, up to the costing horizon); any other missing previous-year income is
an error naming the year, never a fallback to another year.

The operating subsidy per inclusive slot in service (rule ``gap``) is
``max(0, cost − fee × occupancy)``; under rule ``flat`` it is ``flat_operating_subsidy ×
occupancy`` (a fixed amount per enrolled child). Per year it is × ``operating_months``. The cost
is that of the fee year, grown from ``cost_price_year`` (``costs.operating_costs_in_year``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import pandas as pd

from tuoyu_model.costs import CHANNELS, operating_costs, operating_costs_in_year
from tuoyu_model.errors import DataError, ScenarioError, did_you_mean

INCOME_MEASURES = ("all", "urban", "rural")
INCOME_MEASURE_LABEL_ZH = {"all": "全体居民", "urban": "城镇居民", "rural": "农村居民"}
INCOME_AREAS = ("daxing", "beijing")
INCOME_AREA_LABEL_ZH = {"daxing": "大兴区", "beijing": "北京市"}
SUBSIDY_RULES = ("gap", "flat")

SUBSIDY_COLUMNS = [
    "year",
    "channel",
    "cost_per_slot_month_yuan",
    "fee_yuan",
    "occupancy",
    "revenue_per_slot_month_yuan",
    "subsidy_per_slot_month_yuan",
    "subsidy_per_slot_year_yuan",
    "break_even_occupancy",
]
PRICING_COLUMNS = [
    "year",
    "channel",
    "household_monthly_income_yuan",
    "fee_cap_yuan",
    "fee_yuan",
    "cost_per_slot_month_yuan",
    "subsidy_per_slot_month_yuan",
    "occupancy",
    "revenue_per_slot_month_yuan",
    "subsidy_per_slot_year_yuan",
    "break_even_occupancy",
    "meals_yuan",
    "income_year",
    "income_area",
    "income_per_capita_yuan",
    "income_status",
]


def parameter_file(params: Mapping, name: str) -> str:
    """Return the parameter file that holds ``name`` (for messages), pricing.yaml when unknown."""
    return getattr(params, "meta", {}).get(name, {}).get("file", "data/parameters/pricing.yaml")


def _measure(params: Mapping, measure: str | None) -> str:
    measure = measure or params["income_measure"]
    if measure not in INCOME_MEASURES:
        choices = ", ".join(INCOME_MEASURES)
        raise ScenarioError(
            f"{parameter_file(params, 'income_measure')}: income_measure = '{measure}' 不是可选值"
            f"{did_you_mean(measure, INCOME_MEASURES)}；应为 {choices} 之一",
            en=f"income_measure = '{measure}' is unknown; expected one of {choices}",
        )
    return measure


def _year_value(params: Mapping, name: str, year: int) -> float | None:
    """``name``'s value for ``year`` as a float, or None when the year is not listed."""
    series = params[name]
    key = next((k for k in series if str(k) == str(year)), None)
    return None if key is None else float(series[key])


def _basis(income: float, status: str, city: float, ratio: float) -> dict:
    return {
        "income_per_capita_yuan": float(income),
        "income_status": status,
        "beijing_income_per_capita_yuan": float(city),
        "district_income_ratio": float(ratio),
    }


def beijing_income_per_capita(params: Mapping, year: int, measure: str | None = None) -> float:
    """Beijing's per-capita disposable income of ``year`` for an income measure (yuan per year).

    Raises
    ------
    DataError
        No income for ``year`` in the chosen series.

    Examples
    --------
    >>> from tuoyu_model.parameters import load_scenario
    >>> beijing_income_per_capita(load_scenario().parameters, 2023, "urban")
    88650.0

    """
    return _beijing_income(params, year, _measure(params, measure))[0]


def _beijing_income(params: Mapping, year: int, measure: str) -> tuple[float, bool]:
    """Beijing's income of ``year`` and whether it is projected (after the last year listed)."""
    name = f"income_per_capita_{measure}"
    value = _year_value(params, name, year)
    growth = params["income_growth_rate"] if "income_growth_rate" in params else None
    listed = [int(k) for k in params[name]]
    if value is None and growth is not None and listed and year > max(listed):
        last = max(listed)
        return float(_year_value(params, name, last)) * (1.0 + float(growth)) ** (year - last), True
    if value is None:
        has = ", ".join(map(str, params[name]))
        raise DataError(
            f"{parameter_file(params, name)}: '{name}' 缺少 {year} 年的值（现有 {has}）；请按统计公报添加 '{year}: …'",
            en=f"{parameter_file(params, name)}: '{name}' has no value for {year} "
            f"(has {has}); add '{year}: …' from the statistical communiqué",
        )
    return value, False


def income_basis(params: Mapping, year: int, measure: str | None = None, area: str | None = None) -> dict:
    """Return the per-capita income of ``year`` the fee cap uses, and whether it is sourced or derived.

    Under ``income_area = daxing`` a year listed in ``daxing_income_per_capita_<measure>`` is
    sourced; any other year is Beijing's figure × ``district_income_ratio[<measure>]``, derived.
    Under ``beijing`` it is Beijing's figure, sourced.

    Parameters
    ----------
    params : Parameters
        Resolved scenario parameters.
    year : int
        The income year (not the fee year).
    measure : {"all", "urban", "rural"}, optional
        Default the scenario's ``income_measure``.
    area : {"daxing", "beijing"}, optional
        Default the scenario's ``income_area``.

    Returns
    -------
    dict
        ``income_year``, ``income_area``, ``income_measure``, ``income_per_capita_yuan``,
        ``income_status`` (``sourced``, ``derived``, or ``projected`` after the last listed year),
        ``beijing_income_per_capita_yuan`` (NaN
        when not needed and not known) and ``district_income_ratio`` (NaN when not applied).

    Raises
    ------
    DataError
        Neither a Daxing figure nor a Beijing one for ``year``: the message names both series.

    Examples
    --------
    >>> from tuoyu_model.parameters import load_scenario
    >>> p = load_scenario().parameters
    >>> b = income_basis(p, 2024)
    >>> b["income_per_capita_yuan"], b["income_status"]
    (62204.0, 'sourced')
    >>> b = income_basis(p, 2023)  # no Daxing figure: 81,752 × 0.7283
    >>> round(b["income_per_capita_yuan"], 2), b["income_status"]
    (59539.98, 'derived')

    """
    measure = _measure(params, measure)
    area = area or params["income_area"]
    if area not in INCOME_AREAS:
        choices = ", ".join(INCOME_AREAS)
        raise ScenarioError(
            f"{parameter_file(params, 'income_area')}: income_area = '{area}' 不是可选值"
            f"{did_you_mean(area, INCOME_AREAS)}；应为 {choices} 之一",
            en=f"income_area = '{area}' is unknown; expected one of {choices}",
        )
    nan = float("nan")
    out = {"income_year": int(year), "income_area": area, "income_measure": measure}
    own = _year_value(params, f"daxing_income_per_capita_{measure}", year) if area == "daxing" else None
    if own is not None:
        city = _year_value(params, f"income_per_capita_{measure}", year)
        return {**out, **_basis(own, "sourced", nan if city is None else city, nan)}
    try:
        city, projected = _beijing_income(params, year, measure)
    except DataError as exc:
        if area == "beijing":
            raise
        name = f"daxing_income_per_capita_{measure}"
        raise DataError(
            f"{parameter_file(params, name)}: '{name}' 缺少 {year} 年的值，用来推算它的北京市数据也缺少：{exc.zh}",
            en=f"{parameter_file(params, name)}: '{name}' has no value for {year}, and the Beijing figure it "
            f"would be derived from is missing too: {exc.en or exc.zh}",
        ) from None
    if area == "beijing":
        return {**out, **_basis(city, "projected" if projected else "sourced", city, nan)}
    ratio = params["district_income_ratio"]
    if not isinstance(ratio, Mapping) or measure not in ratio:
        where, choices = parameter_file(params, "district_income_ratio"), ", ".join(INCOME_MEASURES)
        raise DataError(
            f"{where}: 'district_income_ratio' 缺少收入口径 '{measure}' 的值；请为 {choices} 各给一个",
            en=f"{where}: 'district_income_ratio' has no value for the "
            f"income measure '{measure}'; give one for each of {choices}",
        )
    r = float(ratio[measure])
    return {**out, **_basis(city * r, "projected" if projected else "derived", city, r)}


def income_per_capita(params: Mapping, year: int, measure: str | None = None, area: str | None = None) -> float:
    """Per-capita disposable income of ``year`` the fee cap uses (yuan per year): see :func:`income_basis`.

    Examples
    --------
    >>> from tuoyu_model.parameters import load_scenario
    >>> income_per_capita(load_scenario().parameters, 2024, "urban")
    71870.0
    >>> income_per_capita(load_scenario().parameters, 2024, area="beijing")
    85415.0

    """
    return float(income_basis(params, year, measure, area)["income_per_capita_yuan"])


def household_monthly_income(
    params: Mapping,
    year: int,
    household_size: float | None = None,
    measure: str | None = None,
    area: str | None = None,
) -> float:
    """Household monthly disposable income that sets the fee cap of ``year`` (yuan per month).

    Per-capita income of ``year − 1`` (:func:`income_per_capita`) × household size / 12.

    Parameters
    ----------
    params : Parameters
        Resolved scenario parameters.
    year : int
        The fee year; the income used is that of the year before.
    household_size : float, optional
        Default the scenario's ``household_size``.
    measure : {"all", "urban", "rural"}, optional
        Default the scenario's ``income_measure``.
    area : {"daxing", "beijing"}, optional
        Default the scenario's ``income_area``.

    Raises
    ------
    DataError
        The previous year's income is missing: the message names both years.

    Examples
    --------
    >>> from tuoyu_model.parameters import load_scenario
    >>> round(household_monthly_income(load_scenario().parameters, 2025), 2)  # 62,204 × 2.39 / 12
    12388.96

    """
    try:
        per_capita = income_per_capita(params, year - 1, measure, area)
    except DataError as exc:
        raise DataError(
            f"{year} 年的收费上限需要上一年（{year - 1} 年）的人均可支配收入，但缺少：{exc.zh}",
            en=f"the fee cap for {year} needs the previous year's ({year - 1}) per-capita income, "
            f"which is missing: {exc.en or exc.zh}",
        ) from None
    size = float(params["household_size"] if household_size is None else household_size)
    return per_capita * size / 12


def fee_cap(params: Mapping, year: int) -> float:
    """Fee cap per child per month of ``year``, meals excluded (yuan).

    ``fee_cap_share`` × :func:`household_monthly_income`.

    Raises
    ------
    DataError
        The previous year's income is missing.

    Examples
    --------
    >>> from tuoyu_model.parameters import load_scenario
    >>> p = load_scenario().parameters
    >>> round(fee_cap(p, 2025), 2)  # Daxing 2024: 62,204 × 2.39 / 12 × 20%
    2477.79
    >>> round(fee_cap(load_scenario("beijing_income").parameters, 2025), 2)  # 85,415 × 2.31 / 12 × 20%
    3288.48

    """
    return float(params["fee_cap_share"]) * household_monthly_income(params, year)


def inclusive_fee(params: Mapping, year: int) -> float:
    """Inclusive fee charged per child per month (yuan).

    The set price ``inclusive_fee_set_price`` when the scenario gives one, otherwise the cap ×
    ``inclusive_fee_share_of_cap``.

    Raises
    ------
    ScenarioError
        A set price above the year's cap (``fee_cap_share`` of the household monthly income).

    Examples
    --------
    >>> from tuoyu_model.parameters import load_scenario
    >>> p = load_scenario("baseline", {"inclusive_fee_share_of_cap": 0.8}).parameters
    >>> round(inclusive_fee(p, 2025), 2)  # 2,477.79 × 0.8
    1982.23
    >>> inclusive_fee(load_scenario("baseline", {"inclusive_fee_set_price": 2160}).parameters, 2025)
    2160.0

    """
    cap = fee_cap(params, year)
    set_price = params["inclusive_fee_set_price"] if "inclusive_fee_set_price" in params else None
    if set_price is None:
        return cap * float(params["inclusive_fee_share_of_cap"])
    if float(set_price) > cap:
        share = params["fee_cap_share"]
        raise ScenarioError(
            f"{parameter_file(params, 'inclusive_fee_set_price')}: inclusive_fee_set_price = {set_price} 元/月"
            f"高于 {year} 年的收费上限 {cap:,.2f} 元/月（家庭月收入的 fee_cap_share = {share}）；"
            "请降低价格，或留空（按上限 × inclusive_fee_share_of_cap 收费）",
            en=f"inclusive_fee_set_price = {set_price} yuan/month exceeds the {year} fee cap "
            f"{cap:,.2f} (fee_cap_share = {share} of the household monthly income); "
            "lower the price or leave it empty to charge the cap × inclusive_fee_share_of_cap",
        )
    return float(set_price)


def operating_subsidy(cost: float, fee: float, occupancy: float, rule: str = "gap", flat: float = 0.0) -> float:
    """Public operating money per inclusive slot-month in service (yuan).

    Parameters
    ----------
    cost : float
        Operating cost per slot-month.
    fee : float
        Fee per enrolled child per month.
    occupancy : float
        Share of slots filled.
    rule : {"gap", "flat"}, default "gap"
        ``gap``: ``max(0, cost − fee × occupancy)``; ``flat``: ``flat × occupancy``.
    flat : float, default 0.0
        The flat subsidy per enrolled child per month.

    Examples
    --------
    >>> operating_subsidy(3474.0, 3000.0, 0.85)   # 3,474 − 2,550
    924.0
    >>> operating_subsidy(2000.0, 3000.0, 0.85)   # revenue covers cost: no subsidy
    0.0
    >>> operating_subsidy(3474.0, 3000.0, 0.85, "flat", 1000.0)
    850.0

    """
    if rule == "gap":
        return max(0.0, float(cost) - float(fee) * float(occupancy))
    if rule == "flat":
        return float(flat) * float(occupancy)
    choices = ", ".join(SUBSIDY_RULES)
    raise ScenarioError(
        f"data/parameters/allocation.yaml: operating_subsidy_rule = '{rule}' 不是可选值"
        f"{did_you_mean(rule, SUBSIDY_RULES)}；应为 {choices} 之一",
        en=f"operating_subsidy_rule = '{rule}' is unknown; expected one of {choices}",
    )


def operating_subsidy_table(params: Mapping, years: Iterable[int]) -> pd.DataFrame:
    """Public operating money per inclusive slot in service, by year and channel.

    Parameters
    ----------
    params : Parameters
        Resolved scenario parameters.
    years : iterable of int
        Fee years (each needs the previous year's income).

    Returns
    -------
    pandas.DataFrame
        ``year, channel, cost_per_slot_month_yuan, fee_yuan, occupancy,
        revenue_per_slot_month_yuan, subsidy_per_slot_month_yuan, subsidy_per_slot_year_yuan,
        break_even_occupancy``. Revenue is ``fee × occupancy``; the subsidy follows
        ``operating_subsidy_rule``; per year is × ``operating_months``. Break-even occupancy is
        ``cost / fee`` (above 1: the fee cannot cover the cost even when full; NaN when the fee is 0).

    Examples
    --------
    >>> from tuoyu_model.parameters import load_scenario
    >>> t = operating_subsidy_table(load_scenario().parameters, [2024])
    >>> round(float(t.set_index("channel").at["social", "subsidy_per_slot_month_yuan"]), 2)  # 4,264.21 − 2,015.92
    2248.28

    """
    base = operating_costs(params)
    occupancy = float(params["occupancy_rate"])
    rule = params["operating_subsidy_rule"]
    flat = float(params["flat_operating_subsidy"])
    months = float(params["operating_months"])
    rows = []
    for year in years:
        fee = inclusive_fee(params, int(year))
        ops = operating_costs_in_year(params, int(year), base)
        for ch in CHANNELS:
            cost = float(ops.at[ch, "cost_per_slot_month_yuan"])
            sub = operating_subsidy(cost, fee, occupancy, rule, flat)
            rows.append(
                {
                    "year": int(year),
                    "channel": ch,
                    "cost_per_slot_month_yuan": cost,
                    "fee_yuan": fee,
                    "occupancy": occupancy,
                    "revenue_per_slot_month_yuan": fee * occupancy,
                    "subsidy_per_slot_month_yuan": sub,
                    "subsidy_per_slot_year_yuan": sub * months,
                    "break_even_occupancy": cost / fee if fee > 0 else float("nan"),
                }
            )
    return pd.DataFrame(rows, columns=SUBSIDY_COLUMNS)


def pricing_table(params: Mapping, years: Iterable[int]) -> pd.DataFrame:
    """Build the pricing output table (``tables/pricing.csv``): one row per year × channel.

    Returns
    -------
    pandas.DataFrame
        ``year, channel, household_monthly_income_yuan, fee_cap_yuan, fee_yuan,
        cost_per_slot_month_yuan, subsidy_per_slot_month_yuan`` (the output contract), then
        ``occupancy, revenue_per_slot_month_yuan, subsidy_per_slot_year_yuan,
        break_even_occupancy, meals_yuan``, and the income behind the cap: ``income_year``
        (the year before), ``income_area`` (daxing or beijing), ``income_per_capita_yuan`` and
        ``income_status`` (``sourced``, or ``derived`` = Beijing × ``district_income_ratio``).

    Examples
    --------
    >>> from tuoyu_model.parameters import load_scenario
    >>> t = pricing_table(load_scenario().parameters, [2024, 2025])
    >>> t.groupby("year").fee_cap_yuan.first().round(2).to_dict()
    {2024: 2371.68, 2025: 2477.79}

    """
    years = [int(y) for y in years]
    sub = operating_subsidy_table(params, years)
    sub["household_monthly_income_yuan"] = sub.year.map({y: household_monthly_income(params, y) for y in years})
    sub["fee_cap_yuan"] = sub.year.map({y: fee_cap(params, y) for y in years})
    sub["meals_yuan"] = float(params["meals_fee"])
    basis = pd.DataFrame([income_basis(params, y - 1) for y in years], index=years)
    for col in ("income_year", "income_area", "income_per_capita_yuan", "income_status"):
        sub[col] = sub.year.map(basis[col])
    return sub[PRICING_COLUMNS]


def fee_cap_headline(params: Mapping, years: Iterable[int]) -> pd.DataFrame:
    """Tabulate the fee cap by year with what it rests on, for the report's headline on the cap.

    Per fee year: the scenario's cap (its income area and measure, ``household_size``), the
    three-person-family cap (``family_household_size``) and the comparison cap on Beijing's
    income with Beijing's census household size (``beijing_household_size``), which was the
    default before Daxing's own figures were used.

    Returns
    -------
    pandas.DataFrame
        ``year, income_year, income_area, income_measure, income_status,
        income_per_capita_yuan, beijing_income_per_capita_yuan, district_income_ratio,
        household_size, fee_cap_yuan, family_household_size, fee_cap_family_yuan,
        beijing_household_size, beijing_fee_cap_yuan``.

    Examples
    --------
    >>> from tuoyu_model.parameters import load_scenario
    >>> h = fee_cap_headline(load_scenario().parameters, [2024, 2025]).set_index("year")
    >>> h.loc[2025, ["fee_cap_yuan", "fee_cap_family_yuan", "beijing_fee_cap_yuan"]].astype(float).round(2).tolist()
    [2477.79, 3110.2, 3288.48]
    >>> h.at[2024, "income_status"], h.at[2025, "income_status"]
    ('derived', 'sourced')

    """
    share = float(params["fee_cap_share"])
    family = float(params["family_household_size"])
    city_size = float(params["beijing_household_size"])
    rows = []
    for year in (int(y) for y in years):
        basis = income_basis(params, year - 1)
        rows.append(
            {
                "year": year,
                **basis,
                "household_size": float(params["household_size"]),
                "fee_cap_yuan": fee_cap(params, year),
                "family_household_size": family,
                "fee_cap_family_yuan": share * household_monthly_income(params, year, household_size=family),
                "beijing_household_size": city_size,
                "beijing_fee_cap_yuan": share
                * household_monthly_income(params, year, household_size=city_size, area="beijing"),
            }
        )
    cols = ["year", "income_year", "income_area", "income_measure", "income_status", "income_per_capita_yuan"]
    rest = [c for c in rows[0] if c not in cols] if rows else []
    return pd.DataFrame(rows, columns=cols + rest)
