"""Fee-cap pricing and the operating subsidy of an inclusive slot (what families pay: :mod:`tuoyu_model.family`).

The plan (第二部分第9(2)条) caps the public childcare fee per child per month, meals excluded, at
20% of **the district's own** (本区) **previous year** household monthly disposable income
(:func:`tuoyu_model.income.household_monthly_income`: per-capita income of t − 1 × household
size / 12, Daxing's own figure or Beijing's × the district ratio, projected after the last
published year)::

    fee cap(t)                  = fee_cap_share × household monthly income(t)
    inclusive fee(t)            = fee cap(t) × inclusive_fee_share_of_cap

The operating subsidy per inclusive slot in service (rule ``gap``) is
``max(0, cost − fee × occupancy)``; under rule ``flat`` it is ``flat_operating_subsidy ×
occupancy`` (a fixed amount per enrolled child). Per year it is × ``operating_months``. The cost
is that of the fee year, grown from ``cost_price_year`` (``costs.operating_costs_in_year``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import pandas as pd

from tuoyu_model.costs import CHANNELS, operating_costs, operating_costs_in_year
from tuoyu_model.errors import ScenarioError
from tuoyu_model.income import household_monthly_income, income_basis, parameter_file, refuse_unknown_choice

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
    refuse_unknown_choice("data/parameters/allocation.yaml", "operating_subsidy_rule", rule, SUBSIDY_RULES)
    if rule == "flat":
        return float(flat) * float(occupancy)
    return max(0.0, float(cost) - float(fee) * float(occupancy))


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
