"""What families pay for an inclusive place, and how the fee cap moves with household size and income.

The family burden after the childcare allowance and the tax deduction (:func:`family_costs`) and
the cap's sensitivity to household size and income measure (:func:`cap_sensitivity`), read from
the fee cap of :mod:`tuoyu_model.pricing`::

    net monthly cost = fee + meals − childcare allowance / 12 − tax deduction × marginal tax rate
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from tuoyu_model.errors import DataError
from tuoyu_model.income import (
    INCOME_MEASURE_LABEL_ZH,
    INCOME_MEASURES,
    household_monthly_income,
    income_basis,
    parameter_file,
)
from tuoyu_model.pricing import fee_cap, inclusive_fee

HOUSEHOLD_LABEL_ZH = {"low": "低收入家庭", "middle": "中等收入家庭", "high": "高收入家庭"}


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
    >>> round(float(f.at["middle", "net_monthly_cost_yuan"]), 2)  # 2,477.79 + 600 − 300 − 200
    2577.79

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
            where = parameter_file(params, "marginal_tax_rate")
            raise DataError(
                f"{where}: 'marginal_tax_rate' 缺少家庭类型 '{hh}' 的值（household_income_multiplier 中列有它）；"
                f"请添加 '{hh}: …'",
                en=f"{where}: 'marginal_tax_rate' has no value for "
                f"household '{hh}' (listed in household_income_multiplier); add '{hh}: …'",
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
    urban and rural. The scenario's own ``income_area`` and ``fee_cap_share`` apply.

    Returns
    -------
    pandas.DataFrame
        ``variant, household_size, income_measure, income_measure_label_zh, income_year,
        income_area, income_status, income_per_capita_yuan, household_monthly_income_yuan,
        fee_cap_yuan, ratio_to_scenario_cap`` (1.0 on the scenario's own setting).

    Examples
    --------
    >>> from tuoyu_model.parameters import load_scenario
    >>> t = cap_sensitivity(load_scenario().parameters, 2025)
    >>> float(t.query("variant == 'three_person' and income_measure == 'all'").fee_cap_yuan.round(2).iloc[0])
    3110.2

    """
    own = fee_cap(params, year)
    share = float(params["fee_cap_share"])
    rows = []
    for variant, size in params["cap_sensitivity_household_sizes"].items():
        for measure in INCOME_MEASURES:
            basis = income_basis(params, year - 1, measure)
            income = household_monthly_income(params, year, household_size=float(size), measure=measure)
            cap = share * income
            rows.append(
                {
                    "variant": str(variant),
                    "household_size": float(size),
                    "income_measure": measure,
                    "income_measure_label_zh": INCOME_MEASURE_LABEL_ZH[measure],
                    "income_year": year - 1,
                    "income_area": basis["income_area"],
                    "income_status": basis["income_status"],
                    "income_per_capita_yuan": basis["income_per_capita_yuan"],
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
            raise DataError(
                f"{parameter_file(params, name)}: '{name}' 缺少 {year} 年的值；请添加 '{year}: …'",
                en=f"{parameter_file(params, name)}: '{name}' has no value for {year}; add '{year}: …'",
            )
        return value[key]
    return value
