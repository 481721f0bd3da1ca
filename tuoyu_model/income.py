"""The income the fee cap is a share of: per-capita disposable income by year, measure and area.

::

    per-capita income(y)        = daxing_income_per_capita_<measure>(y)            (sourced)
                                  or income_per_capita_<measure>(y) × district_income_ratio[<measure>]
                                                                                  (derived, a year
                                                                                  without a Daxing figure)
    household monthly income(t) = per-capita income(t − 1) × household_size / 12

``income_area = beijing`` uses Beijing's series instead (no ratio), for comparison. A year after
the last one listed grows from it at ``income_growth_rate`` (status ``projected``); any other
missing income is an error naming the year, never a fallback to another year. The fee cap and
the operating subsidy built on it are :mod:`tuoyu_model.pricing`.
"""

from __future__ import annotations

from collections.abc import Mapping

from tuoyu_model.errors import DataError, ScenarioError, did_you_mean

INCOME_MEASURES = ("all", "urban", "rural")
INCOME_MEASURE_LABEL_ZH = {"all": "全体居民", "urban": "城镇居民", "rural": "农村居民"}
INCOME_AREAS = ("daxing", "beijing")
INCOME_AREA_LABEL_ZH = {"daxing": "大兴区", "beijing": "北京市"}


def parameter_file(params: Mapping, name: str) -> str:
    """Return the parameter file that holds ``name`` (for messages), pricing.yaml when unknown."""
    return getattr(params, "meta", {}).get(name, {}).get("file", "data/parameters/pricing.yaml")


def refuse_unknown_choice(where: str, name: str, value: str, choices: tuple[str, ...]) -> None:
    """Refuse ``value`` of the setting ``name`` (in file ``where``) unless it is one of ``choices``.

    Examples
    --------
    >>> refuse_unknown_choice("pricing.yaml", "income_area", "daxin", INCOME_AREAS)
    Traceback (most recent call last):
    ...
    tuoyu_model.errors.ScenarioError: pricing.yaml: income_area = 'daxin' 不是可选值（是否想写 'daxing'？）；...

    """
    if value in choices:
        return
    listed = ", ".join(choices)
    raise ScenarioError(
        f"{where}: {name} = '{value}' 不是可选值{did_you_mean(value, choices)}；应为 {listed} 之一",
        en=f"{where}: {name} = '{value}' is unknown{did_you_mean(value, choices, en=True)}; expected one of {listed}",
    )


def _measure(params: Mapping, measure: str | None) -> str:
    measure = measure or params["income_measure"]
    refuse_unknown_choice(parameter_file(params, "income_measure"), "income_measure", measure, INCOME_MEASURES)
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
    refuse_unknown_choice(parameter_file(params, "income_area"), "income_area", area, INCOME_AREAS)
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
