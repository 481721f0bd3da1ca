"""Fee-cap pricing, the operating subsidy of an inclusive slot, and what families pay.

The plan (第二部分第9(2)条) caps the public childcare fee per child per month, meals excluded, at
20% of the district's **previous year** household monthly disposable income::

    household monthly income(t) = income_per_capita_<measure>(t − 1) × district_income_ratio
                                  × household_size / 12
    fee cap(t)                  = fee_cap_share × household monthly income(t)
    inclusive fee(t)            = fee cap(t) × inclusive_fee_share_of_cap

A missing previous-year income is an error naming the year, never a fallback to another year.

The operating subsidy per inclusive slot in service (rule ``gap``) is
``max(0, cost − fee × occupancy)``; under rule ``flat`` it is ``flat_operating_subsidy ×
occupancy`` (a fixed amount per enrolled child). Per year it is × ``operating_months``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import pandas as pd

from tuoyu_model.costs import CHANNELS, operating_costs
from tuoyu_model.errors import DataError, ScenarioError

INCOME_MEASURES = ("all", "urban", "rural")
INCOME_MEASURE_LABEL_ZH = {"all": "全体居民", "urban": "城镇居民", "rural": "农村居民"}
HOUSEHOLD_LABEL_ZH = {"low": "低收入家庭", "middle": "中等收入家庭", "high": "高收入家庭"}
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
]


def _file(params: Mapping, name: str) -> str:
    return getattr(params, "meta", {}).get(name, {}).get("file", "data/parameters/pricing.yaml")


def income_per_capita(params: Mapping, year: int, measure: str | None = None) -> float:
    """Beijing per-capita disposable income of ``year`` for an income measure (yuan per year).

    Parameters
    ----------
    params : Parameters
        Resolved scenario parameters.
    year : int
        The income year (not the fee year).
    measure : {"all", "urban", "rural"}, optional
        Default the scenario's ``income_measure``.

    Raises
    ------
    DataError
        No income for ``year`` in the chosen series.

    Examples
    --------
    >>> from tuoyu_model.parameters import load_scenario
    >>> income_per_capita(load_scenario().parameters, 2023, "urban")
    88650.0

    """
    measure = measure or params["income_measure"]
    if measure not in INCOME_MEASURES:
        raise ScenarioError(f"income_measure = '{measure}' is unknown; expected one of {', '.join(INCOME_MEASURES)}")
    name = f"income_per_capita_{measure}"
    series = params[name]
    key = next((k for k in series if str(k) == str(year)), None)
    if key is None:
        raise DataError(
            f"{_file(params, name)}: '{name}' has no value for {year} "
            f"(has {', '.join(map(str, series))}); add '{year}: …' from the statistical communiqué"
        )
    return float(series[key])


def household_monthly_income(
    params: Mapping, year: int, household_size: float | None = None, measure: str | None = None
) -> float:
    """Household monthly disposable income that sets the fee cap of ``year`` (yuan per month).

    Per-capita income of ``year − 1`` × ``district_income_ratio`` × household size / 12.

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

    Raises
    ------
    DataError
        The previous year's income is missing: the message names both years.

    Examples
    --------
    >>> from tuoyu_model.parameters import load_scenario
    >>> round(household_monthly_income(load_scenario().parameters, 2024), 2)  # 81,752 × 2.31 / 12
    15737.26

    """
    try:
        per_capita = income_per_capita(params, year - 1, measure)
    except DataError as exc:
        raise DataError(
            f"the fee cap for {year} needs the previous year's ({year - 1}) per-capita income, which is missing: {exc}"
        ) from None
    size = float(params["household_size"] if household_size is None else household_size)
    return per_capita * float(params["district_income_ratio"]) * size / 12


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
    >>> round(fee_cap(p, 2024), 2), round(fee_cap(p, 2025), 2)  # 81,752 and 85,415 × 2.31 / 12 × 20%
    (3147.45, 3288.48)

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
    >>> round(inclusive_fee(p, 2024), 2)  # 3,147.45 × 0.8
    2517.96
    >>> inclusive_fee(load_scenario("baseline", {"inclusive_fee_set_price": 2160}).parameters, 2025)
    2160.0

    """
    cap = fee_cap(params, year)
    set_price = params["inclusive_fee_set_price"] if "inclusive_fee_set_price" in params else None
    if set_price is None:
        return cap * float(params["inclusive_fee_share_of_cap"])
    if float(set_price) > cap:
        raise ScenarioError(
            f"inclusive_fee_set_price = {set_price} yuan/month exceeds the {year} fee cap "
            f"{cap:,.2f} (fee_cap_share = {params['fee_cap_share']} of the household monthly income); "
            "lower the price or leave it empty to charge "
            "the cap × inclusive_fee_share_of_cap"
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
    raise ScenarioError(f"operating_subsidy_rule = '{rule}' is unknown; expected one of {', '.join(SUBSIDY_RULES)}")


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
    >>> round(float(t.set_index("channel").at["social", "subsidy_per_slot_month_yuan"]), 2)  # 4,264.20 − 2,675.33
    1588.87

    """
    ops = operating_costs(params)
    occupancy = float(params["occupancy_rate"])
    rule = params["operating_subsidy_rule"]
    flat = float(params["flat_operating_subsidy"])
    months = float(params["operating_months"])
    rows = []
    for year in years:
        fee = inclusive_fee(params, int(year))
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
        break_even_occupancy, meals_yuan``.

    Examples
    --------
    >>> from tuoyu_model.parameters import load_scenario
    >>> t = pricing_table(load_scenario().parameters, [2024, 2025])
    >>> t.groupby("year").fee_cap_yuan.first().round(2).to_dict()
    {2024: 3147.45, 2025: 3288.48}

    """
    years = [int(y) for y in years]
    sub = operating_subsidy_table(params, years)
    sub["household_monthly_income_yuan"] = sub.year.map({y: household_monthly_income(params, y) for y in years})
    sub["fee_cap_yuan"] = sub.year.map({y: fee_cap(params, y) for y in years})
    sub["meals_yuan"] = float(params["meals_fee"])
    return sub[PRICING_COLUMNS]


def family_costs(params: Mapping, year: int) -> pd.DataFrame:
    """Compute what a low, middle and high income family pays per month for an inclusive place.

    net = fee + meals − childcare allowance / 12 − tax deduction × marginal tax rate.

    Parameters
    ----------
    params : Parameters
        Resolved scenario parameters.
    year : int
        The fee year (income of the year before; the allowance of ``year``).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``household`` (low, middle, high): ``household_label_zh,
        household_monthly_income_yuan, fee_yuan, meals_yuan, allowance_monthly_yuan,
        marginal_tax_rate, tax_saving_monthly_yuan, net_monthly_cost_yuan, fee_share_of_income,
        net_share_of_income, market_fee_yuan, market_net_monthly_cost_yuan``. Income is the
        average household's × ``household_income_multiplier``.

    Examples
    --------
    >>> from tuoyu_model.parameters import load_scenario
    >>> f = family_costs(load_scenario().parameters, 2025)
    >>> round(float(f.at["middle", "net_monthly_cost_yuan"]), 2)  # 3,288.48 + 600 − 300 − 200
    3388.48

    """
    average = household_monthly_income(params, year)
    fee = inclusive_fee(params, year)
    meals = float(params["meals_fee"])
    allowance = float(_by_year(params, "childcare_allowance_yearly", year)) / 12
    deduction = float(params["tax_deduction_monthly"])
    market = float(params["market_fee"])
    rows = {}
    for hh, mult in params["household_income_multiplier"].items():
        income = average * float(mult)
        rate = float(params["marginal_tax_rate"][hh]) if hh in params["marginal_tax_rate"] else None
        if rate is None:
            raise DataError(
                f"{_file(params, 'marginal_tax_rate')}: 'marginal_tax_rate' has no value for "
                f"household '{hh}' (listed in household_income_multiplier); add '{hh}: …'"
            )
        saving = deduction * rate
        net = fee + meals - allowance - saving
        rows[hh] = {
            "household_label_zh": HOUSEHOLD_LABEL_ZH.get(hh, hh),
            "household_monthly_income_yuan": income,
            "fee_yuan": fee,
            "meals_yuan": meals,
            "allowance_monthly_yuan": allowance,
            "marginal_tax_rate": rate,
            "tax_saving_monthly_yuan": saving,
            "net_monthly_cost_yuan": net,
            "fee_share_of_income": fee / income if income > 0 else float("nan"),
            "net_share_of_income": net / income if income > 0 else float("nan"),
            "market_fee_yuan": market,
            "market_net_monthly_cost_yuan": market + meals - allowance - saving,
        }
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = "household"
    return out


def cap_sensitivity(params: Mapping, year: int) -> pd.DataFrame:
    """Tabulate the fee cap of ``year`` across household sizes and income measures.

    Household sizes come from ``cap_sensitivity_household_sizes``; measures are all residents,
    urban and rural. The scenario's own ``district_income_ratio`` and ``fee_cap_share`` apply.

    Returns
    -------
    pandas.DataFrame
        ``household_size, income_measure, income_measure_label_zh, income_year,
        income_per_capita_yuan, household_monthly_income_yuan, fee_cap_yuan,
        ratio_to_scenario_cap`` (1.0 on the scenario's own setting).

    Examples
    --------
    >>> from tuoyu_model.parameters import load_scenario
    >>> t = cap_sensitivity(load_scenario().parameters, 2024)
    >>> float(t.query("household_size == 3 and income_measure == 'all'").fee_cap_yuan.round(2).iloc[0])
    4087.6

    """
    own = fee_cap(params, year)
    share = float(params["fee_cap_share"])
    rows = []
    for size in params["cap_sensitivity_household_sizes"].values():
        for measure in INCOME_MEASURES:
            income = household_monthly_income(params, year, household_size=float(size), measure=measure)
            cap = share * income
            rows.append(
                {
                    "household_size": float(size),
                    "income_measure": measure,
                    "income_measure_label_zh": INCOME_MEASURE_LABEL_ZH[measure],
                    "income_year": year - 1,
                    "income_per_capita_yuan": income_per_capita(params, year - 1, measure),
                    "household_monthly_income_yuan": income,
                    "fee_cap_yuan": cap,
                    "ratio_to_scenario_cap": cap / own if own > 0 else float("nan"),
                }
            )
    return pd.DataFrame(rows)


def _by_year(params: Mapping, name: str, year: int) -> object:
    """``params.by_year`` when available (it names the file), else a plain lookup."""
    if hasattr(params, "by_year"):
        return params.by_year(name, year)
    value = params[name]
    if isinstance(value, Mapping):
        key = next((k for k in value if str(k) == str(year)), None)
        if key is None:
            raise DataError(f"'{name}' has no value for {year}; add '{year}: …'")
        return value[key]
    return value
