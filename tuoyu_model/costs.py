"""The cost of a childcare slot: capital, conversion and monthly operating cost by channel.

Every figure comes from ``data/parameters/costs.yaml`` (and ``meals_fee`` from
``pricing.yaml``); this module only does the arithmetic.

Operating cost per slot-month, for a channel :math:`c` with age mix :math:`m_{c,b}`::

    caregivers per slot   g_c = cover · Σ_b m_{c,b} · ceil(size_b / ratio_b) / size_b
    health FTE per slot   h_c = max(part_time_fte, slots_c / children_per_health) / slots_c
    staff cost            g_c · caregiver_wage · (1 + oncost)
    health cost           h_c · health_wage · (1 + oncost)
    admin cost            director_admin_share · staff cost
    rent                  area_per_child · rent · DAYS_PER_MONTH · rent_share_paid_c
    utilities             area_per_child · utilities_residential
    other                 other_running_cost
    total                 staff + health + admin + rent + utilities + other   (meals excluded)

A later year's operating cost grows from ``cost_price_year``: wages (staff, health, admin) at
``wage_growth_rate``, rent at ``rent_growth_rate``, utilities and other costs at
``other_cost_growth_rate`` (:func:`operating_costs_in_year`).

Caregivers per class are whole people (a 20-child 托大班 at 1:7 needs 3, a 10-child 乳儿班 at
1:3 needs 4), so the cost per child of a full class is what the standards really require.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from tuoyu_model.errors import DataError

CHANNELS = ("kindergarten", "community", "employer", "social", "centre")
AGE_BANDS = ("age_0_1", "age_1_2", "age_2_3")

# Calendar arithmetic, not policy: rent is quoted per m² per day, costs are per month.
DAYS_PER_MONTH = 365 / 12
# Shares of an age mix must add up to 1 within rounding of hand-typed YAML values.
AGE_MIX_TOLERANCE = 1e-6

OPERATING_COLUMNS = [
    "caregivers_per_slot",
    "health_fte_per_slot",
    "staff_cost_yuan",
    "health_cost_yuan",
    "admin_cost_yuan",
    "rent_yuan",
    "utilities_yuan",
    "utilities_commercial_yuan",
    "other_yuan",
    "cost_per_slot_month_yuan",
    "meals_yuan",
]


def _by_key(params: Mapping, name: str, key: str) -> float:
    """Read ``params[name][key]`` and fail with the parameter file's name when the key is absent."""
    value = params[name]
    if not isinstance(value, Mapping) or key not in value:
        where = getattr(params, "meta", {}).get(name, {}).get("file", "data/parameters")
        have = ", ".join(map(str, value)) if isinstance(value, Mapping) else repr(value)
        raise DataError(
            f"{where}: '{name}' 没有 '{key}' 的值（现有 {have}）；请加上 '{key}: …'",
            en=f"{where}: '{name}' has no value for '{key}' (has {have}); add '{key}: …'",
        )
    return float(value[key])


def caregivers_per_class(class_size: int, children_per_caregiver: int) -> int:
    """Whole caregivers a full class needs: ``ceil(class_size / children_per_caregiver)``.

    Parameters
    ----------
    class_size : int
        Children in the class.
    children_per_caregiver : int
        The standard's ratio (3 for 乳儿班, 5 for 托小班, 7 for 托大班).

    Returns
    -------
    int

    Examples
    --------
    >>> caregivers_per_class(20, 7), caregivers_per_class(10, 3), caregivers_per_class(15, 5)
    (3, 4, 3)

    """
    if class_size <= 0 or children_per_caregiver <= 0:
        raise DataError(
            f"data/parameters/costs.yaml: 班额 {class_size} 和每名保育人员照护的幼儿数 {children_per_caregiver} "
            "都应大于 0；请检查 class_size 和 children_per_caregiver",
            en=f"class size {class_size} and children per caregiver {children_per_caregiver} "
            "must both be positive; check class_size and children_per_caregiver in costs.yaml",
        )
    # Integer ceiling: float division would turn 21/7 into 3.0000000001 on some inputs.
    return -(-int(class_size) // int(children_per_caregiver))


def caregivers_per_slot_by_band(params: Mapping) -> pd.Series:
    """Caregivers per child in a full class, by age band (whole caregivers per class ÷ class size).

    Examples
    --------
    >>> from tuoyu_model.parameters import load_scenario
    >>> caregivers_per_slot_by_band(load_scenario().parameters).round(3).to_dict()
    {'age_0_1': 0.4, 'age_1_2': 0.2, 'age_2_3': 0.15}

    """
    out = {}
    for band in AGE_BANDS:
        size = _by_key(params, "class_size", band)
        per_class = caregivers_per_class(int(size), int(_by_key(params, "children_per_caregiver", band)))
        out[band] = per_class / size
    return pd.Series(out, name="caregivers_per_slot")


def _age_mix(params: Mapping, channel: str) -> dict[str, float]:
    mix_all = params["age_mix"]
    if channel not in mix_all:
        raise DataError(
            f"data/parameters/costs.yaml: 'age_mix' 没有渠道 '{channel}'；"
            f"请加上一项，给出 {', '.join(AGE_BANDS)} 的比例",
            en=f"data/parameters/costs.yaml: 'age_mix' has no entry for channel '{channel}'; "
            f"add one with shares for {', '.join(AGE_BANDS)}",
        )
    mix = {b: float(mix_all[channel].get(b, 0.0)) for b in AGE_BANDS}
    total = sum(mix.values())
    if abs(total - 1.0) > AGE_MIX_TOLERANCE:
        raise DataError(
            f"data/parameters/costs.yaml: 'age_mix.{channel}' 之和为 {total:g}，应为 1；三个年龄段的比例之和必须为 1",
            en=f"data/parameters/costs.yaml: 'age_mix.{channel}' adds up to {total:g}, expected 1; "
            "the shares of the three age bands must sum to 1",
        )
    return mix


def health_fte_per_institution(slots: float, children_per_health_staff: float, part_time_fte: float) -> float:
    """Health-care staff (FTE) of one institution: at least a part-timer, one full-timer per N children.

    Examples
    --------
    >>> health_fte_per_institution(60, 150, 0.5), health_fte_per_institution(300, 150, 0.5)
    (0.5, 2.0)

    """
    return max(float(part_time_fte), float(slots) / float(children_per_health_staff))


def operating_costs(params: Mapping) -> pd.DataFrame:
    """Operating cost build-up per slot-month by channel, in yuan (meals reported separately).

    Parameters
    ----------
    params : Parameters
        Resolved scenario parameters (``costs.yaml`` and ``meals_fee``).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``channel`` (kindergarten, community, employer, social, centre), columns
        ``caregivers_per_slot, health_fte_per_slot, staff_cost_yuan, health_cost_yuan,
        admin_cost_yuan, rent_yuan, utilities_yuan, utilities_commercial_yuan, other_yuan,
        cost_per_slot_month_yuan, meals_yuan``. ``cost_per_slot_month_yuan`` is the sum of staff,
        health, admin, rent, utilities (residential prices) and other; it excludes meals and
        ``utilities_commercial_yuan`` (shown only to measure the plan's item 10 saving).

    Raises
    ------
    DataError
        An age mix that does not add up to 1, or a channel missing from a by-channel parameter.

    Examples
    --------
    >>> from tuoyu_model.parameters import load_scenario
    >>> ops = operating_costs(load_scenario().parameters)
    >>> round(float(ops.at["kindergarten", "caregivers_per_slot"]), 2)  # 3 per 20 children × cover 1.4
    0.21
    >>> round(float(ops.at["kindergarten", "cost_per_slot_month_yuan"]))
    2810

    """
    by_band = caregivers_per_slot_by_band(params)
    oncost = 1.0 + float(params["employer_oncost_rate"])
    area = float(params["area_per_child"])
    rows = {}
    for ch in CHANNELS:
        mix = _age_mix(params, ch)
        # The ratios say who must be present; shifts over a long day and leave need more employed.
        caregivers = sum(mix[b] * by_band[b] for b in AGE_BANDS) * float(params["caregiver_cover_factor"])
        slots = _by_key(params, "institution_slots", ch)
        health = (
            health_fte_per_institution(slots, params["children_per_health_staff"], params["part_time_health_fte"])
            / slots
        )
        staff = caregivers * float(params["caregiver_wage"]) * oncost
        health_cost = health * float(params["health_staff_wage"]) * oncost
        # The director/admin share is applied to the caregiver bill with on-costs: it stands for
        # people employed on the same terms.
        admin = float(params["director_admin_share"]) * staff
        rent = area * float(params["rent"]) * DAYS_PER_MONTH * _by_key(params, "rent_share_paid", ch)
        utilities = area * float(params["utilities_residential"])
        utilities_commercial = area * float(params["utilities_commercial"])
        other = float(params["other_running_cost"])
        rows[ch] = {
            "caregivers_per_slot": caregivers,
            "health_fte_per_slot": health,
            "staff_cost_yuan": staff,
            "health_cost_yuan": health_cost,
            "admin_cost_yuan": admin,
            "rent_yuan": rent,
            "utilities_yuan": utilities,
            "utilities_commercial_yuan": utilities_commercial,
            "other_yuan": other,
            "cost_per_slot_month_yuan": staff + health_cost + admin + rent + utilities + other,
            "meals_yuan": float(params["meals_fee"]),
        }
    out = pd.DataFrame.from_dict(rows, orient="index")[OPERATING_COLUMNS]
    out.index.name = "channel"
    return out


# Cost items by the growth rate that moves them from cost_price_year (operating_costs_in_year).
GROWTH_OF_ITEM = {
    "staff_cost_yuan": "wage_growth_rate",
    "health_cost_yuan": "wage_growth_rate",
    "admin_cost_yuan": "wage_growth_rate",
    "rent_yuan": "rent_growth_rate",
    "utilities_yuan": "other_cost_growth_rate",
    "utilities_commercial_yuan": "other_cost_growth_rate",
    "other_yuan": "other_cost_growth_rate",
}


def operating_costs_in_year(params: Mapping, year: int, ops: pd.DataFrame | None = None) -> pd.DataFrame:
    """Return :func:`operating_costs` in the prices of ``year``: each item grown from ``cost_price_year``.

    Item × (1 + its growth rate)^(year − cost_price_year) (:data:`GROWTH_OF_ITEM`), the total
    summed again; ``ops`` is :func:`operating_costs` when already computed. With every rate 0
    the table is returned unchanged.

    Examples
    --------
    >>> from tuoyu_model.parameters import load_scenario
    >>> p = load_scenario().parameters
    >>> round(float(operating_costs_in_year(p, 2024).at["kindergarten", "cost_per_slot_month_yuan"]))
    2810
    >>> grown = operating_costs_in_year(p, 2026)  # wages +5.04% a year, rent flat, other +2%
    >>> staff = grown.at["kindergarten", "staff_cost_yuan"] / operating_costs(p).at["kindergarten", "staff_cost_yuan"]
    >>> round(float(staff), 4)  # 1.0504²
    1.1033

    """
    ops = operating_costs(params) if ops is None else ops
    n = int(year) - int(params["cost_price_year"])
    factor = {name: (1.0 + float(params[name])) ** n for name in set(GROWTH_OF_ITEM.values())}
    if all(f == 1.0 for f in factor.values()):
        return ops
    # column arrays, one DataFrame at the end (a sweep calls this for every point and year)
    cols = {c: ops[c].to_numpy() for c in ops.columns}
    for item, name in GROWTH_OF_ITEM.items():
        cols[item] = cols[item] * factor[name]
    cols["cost_per_slot_month_yuan"] = (
        cols["staff_cost_yuan"]
        + cols["health_cost_yuan"]
        + cols["admin_cost_yuan"]
        + cols["rent_yuan"]
        + cols["utilities_yuan"]
        + cols["other_yuan"]
    )
    return pd.DataFrame(cols, index=ops.index, columns=ops.columns)


def operating_costs_by_band(params: Mapping) -> pd.DataFrame:
    """Operating cost per slot-month of a class of one age band, for each channel (yuan).

    The channel's premises, health staff and running costs with the caregiver ratio of a single
    age band: what a 乳儿班 place costs against a 托大班 place in the same setting.

    Returns
    -------
    pandas.DataFrame
        Columns ``channel, age_band, caregivers_per_slot, cost_per_slot_month_yuan``.

    Examples
    --------
    >>> from tuoyu_model.parameters import load_scenario
    >>> t = operating_costs_by_band(load_scenario().parameters)
    >>> t.query("channel == 'social'").set_index("age_band").caregivers_per_slot.round(2).to_dict()
    {'age_0_1': 0.4, 'age_1_2': 0.2, 'age_2_3': 0.15}

    """
    by_band = caregivers_per_slot_by_band(params)
    oncost = 1.0 + float(params["employer_oncost_rate"])
    ops = operating_costs(params)
    rows = []
    for ch in CHANNELS:
        fixed = float(
            ops.at[ch, "cost_per_slot_month_yuan"] - ops.at[ch, "staff_cost_yuan"] - ops.at[ch, "admin_cost_yuan"]
        )
        for band in AGE_BANDS:
            staff = by_band[band] * float(params["caregiver_cover_factor"]) * float(params["caregiver_wage"]) * oncost
            admin = float(params["director_admin_share"]) * staff
            rows.append(
                {
                    "channel": ch,
                    "age_band": band,
                    "caregivers_per_slot": by_band[band],
                    "cost_per_slot_month_yuan": fixed + staff + admin,
                }
            )
    return pd.DataFrame(rows)


def capital_costs(params: Mapping) -> pd.DataFrame:
    """Capital cost of a new slot by channel, and the public money in it.

    Parameters
    ----------
    params : Parameters
        Resolved scenario parameters.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``channel``; columns ``capital_cost_yuan`` (per new slot),
        ``public_capital_inclusive_yuan`` (``capital_cost × public_capital_share``: public money
        per new inclusive slot) and ``public_capital_market_yuan`` (``market_capital_subsidy``:
        public money per new market slot).

    Examples
    --------
    >>> from tuoyu_model.parameters import load_scenario
    >>> cap = capital_costs(load_scenario().parameters)
    >>> cap.loc["social"].to_dict()  # 40,000 × 25% public
    {'capital_cost_yuan': 40000.0, 'public_capital_inclusive_yuan': 10000.0, 'public_capital_market_yuan': 0.0}

    """
    rows = {}
    for ch in CHANNELS:
        cost = _by_key(params, "capital_cost", ch)
        rows[ch] = {
            "capital_cost_yuan": cost,
            "public_capital_inclusive_yuan": cost * _by_key(params, "public_capital_share", ch),
            "public_capital_market_yuan": float(params["market_capital_subsidy"]),
        }
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = "channel"
    return out


def conversion_cost(params: Mapping) -> float:
    """Public money to convert one existing market slot to inclusive (yuan, one-off).

    ``conversion_cost × conversion_public_share``.

    Examples
    --------
    >>> from tuoyu_model.parameters import load_scenario
    >>> conversion_cost(load_scenario().parameters)
    3000.0

    """
    return float(params["conversion_cost"]) * float(params["conversion_public_share"])


def utilities_saving(params: Mapping) -> pd.DataFrame:
    """Measure what residential utility prices (the plan's item 10) save per slot-month and slot-year.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``channel``: ``utilities_yuan`` (residential), ``utilities_commercial_yuan``,
        ``saving_per_slot_month_yuan`` and ``saving_per_slot_year_yuan`` (× operating_months).

    Examples
    --------
    >>> from tuoyu_model.parameters import load_scenario
    >>> float(utilities_saving(load_scenario().parameters).at["social", "saving_per_slot_month_yuan"])
    32.0

    """
    ops = operating_costs(params)
    out = ops[["utilities_yuan", "utilities_commercial_yuan"]].copy()
    out["saving_per_slot_month_yuan"] = out.utilities_commercial_yuan - out.utilities_yuan
    out["saving_per_slot_year_yuan"] = out.saving_per_slot_month_yuan * float(params["operating_months"])
    return out
