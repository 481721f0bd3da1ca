"""How the allocation's inputs are read from the parameters and the unit tables.

Each function reads one part of :class:`~tuoyu_model.allocation.inputs.AllocationInputs`: the
years to plan (refusing a start the stock cannot support), a yearly value or budget, the costing
horizon and the operating subsidies to it, the requirement priority, slots per whole class and
the projects' minimum size, and per unit the starting stock, the targets and the capacities
(the capacity formulas: spare kindergarten rooms × the 托大班 class size, idle premises ×
slots each, employers × slots × participation, residents per 1,000 × the social rate).
:func:`~tuoyu_model.allocation.inputs.inputs_from_tables` puts them together.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from tuoyu_model import costs
from tuoyu_model.data import STOCK_YEAR, starting_stock, target_set_for_year
from tuoyu_model.errors import DataError, ScenarioError
from tuoyu_model.pricing import operating_subsidy_table

# The shortfall families of the plan's requirements (data/parameters/allocation.yaml,
# requirement_priority names each once).
REQUIREMENTS = ("coverage", "centre", "share", "total", "inclusive")


def year_value(params: Mapping, name: str, year: int) -> float:
    """Read a year-indexed parameter strictly (Parameters.by_year when available)."""
    if hasattr(params, "by_year"):
        return params.by_year(name, year)
    value = params[name]
    if isinstance(value, Mapping):
        for k, v in value.items():
            if str(k) == str(year):
                return v
        raise DataError(
            f"data/parameters/allocation.yaml: '{name}' 缺少 {year} 年的值；请添加 '{year}: …'",
            en=f"data/parameters/allocation.yaml: '{name}' has no value for {year}; add '{year}: …'",
        )
    return value


def budget_by_year(params: Mapping, years: list[int], name: str = "budget") -> dict[int, float | None]:
    """Yearly budget ``name`` in yuan, ``None`` (null in the YAML) = no limit; a year outside plan_years is refused."""
    plan = params["plan_years"]
    given = params[name]
    if isinstance(given, Mapping):
        span = range(int(plan["first"]), int(plan["last"]) + 1)
        for key in given:
            if not str(key).isdigit() or int(key) not in span:
                raise ScenarioError(
                    f"{name}.{key} = {given[key]} 所在年份不在规划期 plan_years {span[0]}–{span[-1]} 内；"
                    "请删除这一项，或延长 plan_years",
                    en=f"{name}.{key} = {given[key]} is for a year outside plan_years "
                    f"{span[0]}–{span[-1]}; remove it or extend plan_years",
                )
    out = {}
    for y in years:
        value = year_value(params, name, y)
        out[y] = None if value is None else float(value)
    return out


def costing_horizon(params: Mapping, years: list[int]) -> int:
    """Return the last year the objective counts: ``costing_horizon``, or ``demand_years.last`` when empty.

    Raises
    ------
    ScenarioError
        A horizon before the last planned year.

    """
    value = params["costing_horizon"] if "costing_horizon" in params else years[-1]
    horizon = int(params["demand_years"]["last"]) if value is None else int(value)
    if horizon < years[-1]:
        raise ScenarioError(
            f"data/parameters/allocation.yaml: costing_horizon = {horizon} 早于规划末年 {years[-1]}；"
            f"请填写不早于 {years[-1]} 的年份，或留空（按需求测算末年计）"
        )
    return horizon


def costing_subsidy(params: Mapping, pricing: pd.DataFrame, years: list[int], horizon: int) -> pd.DataFrame:
    """Return ``year, channel, subsidy_per_slot_year_yuan`` from the first planned year to ``horizon``.

    The planned years come from ``pricing`` (the run's table); the years after the plan that it
    does not hold are computed by ``pricing.operating_subsidy_table`` (the fee follows the
    projected income, the costs grow at their rates).
    """
    cols = ["year", "channel", "subsidy_per_slot_year_yuan"]
    span = list(range(years[0], horizon + 1))
    ops = pricing.loc[pricing.year.isin(span), cols]
    later = [y for y in span if y not in set(ops.year.astype(int).tolist())]
    if later:
        ops = pd.concat([ops, operating_subsidy_table(params, later)[cols]], ignore_index=True)
    return ops.reset_index(drop=True)


def parse_priority(text: str) -> tuple:
    """Read ``requirement_priority`` ('coverage+centre > share > total+inclusive') into ordered tiers.

    Raises
    ------
    DataError
        A family named twice, an unknown one, or one left out.

    Examples
    --------
    >>> parse_priority("coverage+centre > share > total+inclusive")
    (('coverage', 'centre'), ('share',), ('total', 'inclusive'))

    """
    tiers = tuple(tuple(f.strip() for f in tier.split("+") if f.strip()) for tier in text.split(">"))
    named = [f for tier in tiers for f in tier]
    if sorted(named) != sorted(REQUIREMENTS) or any(not t for t in tiers):
        example = "'coverage+centre > share > total+inclusive'"
        raise DataError(
            f"data/parameters/allocation.yaml: 'requirement_priority' = '{text}' 写法不对；"
            f"{', '.join(REQUIREMENTS)} 每项各写一次，优先的在前，用 > 分隔，例如 {example}",
            en=f"data/parameters/allocation.yaml: 'requirement_priority' = '{text}'; name each of "
            f"{', '.join(REQUIREMENTS)} once, highest first, e.g. {example}",
        )
    return tiers


def slots_per_class(params: Mapping) -> dict[str, int]:
    """Return slots per whole class by channel: the channel's age mix × class sizes, rounded (a 托班 is 20)."""
    mix, class_size = params["age_mix"], params["class_size"]
    return {
        c: max(1, int(round(sum(float(mix[c][b]) * float(class_size[b]) for b in class_size)))) for c in costs.CHANNELS
    }


def project_min_slots(params: Mapping) -> dict[str, float]:
    """Return channel → the fewest new slots of one opening (``project_min_classes`` × slots per class)."""
    per_class = slots_per_class(params)
    return {c: float(n) * per_class[c] for c, n in params["project_min_classes"].items() if n}


def years_to_plan(params: Mapping, initial_stock: pd.DataFrame | None, first_year: int | None) -> list[int]:
    """Return the years to plan, refusing a start the stock cannot support."""
    plan = params["plan_years"]
    first = int(plan["first"]) if first_year is None else int(first_year)
    last = int(plan["last"])
    if first > last:
        raise DataError(
            f"data/parameters/allocation.yaml: 起始年份 {first} 晚于规划末年 plan_years.last = {last}，"
            "没有可规划的年份；请改正起始年份或 plan_years.last",
            en=f"allocation: first_year {first} is after the plan's last year {last} "
            "(allocation.yaml plan_years.last); nothing to plan",
        )
    if initial_stock is None and first > STOCK_YEAR + 1:
        # Without a reported stock the plan would start from end-2023 and silently drop the years between.
        name = "plan_years.first" if first_year is None else "first_year"
        raise ScenarioError(
            f"{name} = {first} 需要 {first - 1} 年底的存量托位；请用 'tuoyu progress' 按报送的存量重新规划，"
            f"或保持起始年份为 {STOCK_YEAR + 1}",
            en=f"{name} = {first} needs the end-{first - 1} stock; re-plan from reported stock "
            f"with 'tuoyu progress' or keep first = {STOCK_YEAR + 1}",
        )
    return list(range(first, last + 1))


def unit_stock(towns: pd.DataFrame, initial_stock: pd.DataFrame | None) -> pd.DataFrame:
    """Return the units' starting stock: towns.csv's end-2023 counts, or ``initial_stock``."""
    stock = starting_stock(towns)
    units = pd.DataFrame(
        {"town": towns["town"], "initial_total": stock["total"], "initial_inclusive": stock["inclusive"]}
    )
    units.index.name = "town_id"
    if initial_stock is None:
        return units
    st = initial_stock.set_index("town_id") if "town_id" in initial_stock.columns else initial_stock
    missing = sorted(set(units.index) - set(st.index))
    if missing:
        raise DataError(
            f"initial_stock：缺少属地 {', '.join(missing)}；请每个属地给一行，填写 total_slots 和 inclusive_slots",
            en=f"initial_stock: units missing: {', '.join(missing)}; give one row per unit "
            "with total_slots and inclusive_slots",
        )
    bad = st[st["inclusive_slots"] > st["total_slots"]]
    if len(bad):
        inclusive, total = bad["inclusive_slots"].iloc[0], bad["total_slots"].iloc[0]
        raise DataError(
            f"initial_stock：'{bad.index[0]}' 的 inclusive_slots {inclusive} 大于 total_slots {total}；"
            "普惠托位是托位总数的一部分，请改正",
            en=f"initial_stock: '{bad.index[0]}' has inclusive_slots {inclusive} "
            f"> total_slots {total}; inclusive slots are part of the total",
        )
    units["initial_total"] = st.loc[units.index, "total_slots"].astype(float)
    units["initial_inclusive"] = st.loc[units.index, "inclusive_slots"].astype(float)
    return units


def unit_targets(params: Mapping, targets: pd.DataFrame, units: pd.DataFrame, years: list[int]) -> pd.DataFrame:
    """Return the targets per unit and year-end, with the coverage minimum from ``min_inclusive_year`` on."""
    by_set: dict = {}  # target set -> its rows by town_id (a plain filter: a sweep calls this per draw)
    rows = []
    extra = params["extra_target_slots"]  # what-if slots on a unit's last-year total target (0: the annex's)
    for y in years:
        name = target_set_for_year(params, y)
        if name not in by_set:
            by_set[name] = targets[targets["target_set"] == name].set_index("town_id")
        part = by_set[name].loc[units.index]
        m = float(params["min_inclusive_slots_per_unit"]) if y >= int(params["min_inclusive_year"]) else 0.0
        add = [float(extra.get(i, 0)) if y == years[-1] else 0.0 for i in units.index]
        rows.append(
            pd.DataFrame(
                {
                    "town_id": units.index,
                    "year": y,
                    "target_total": part["total_slots"].to_numpy(float) + add,
                    "target_inclusive": part["inclusive_slots"].to_numpy(float),
                    "min_inclusive": m,
                }
            )
        )
    return pd.concat(rows, ignore_index=True)


def unit_capacities(
    params: Mapping, towns: pd.DataFrame, units: pd.DataFrame, years: list[int], replan: bool
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return the channel capacities and the conversion capacities, opened cumulatively by year."""
    class_size = params["class_size"]
    cap_total = pd.DataFrame(
        {
            "kindergarten": towns["spare_kindergarten_rooms"] * float(class_size["age_2_3"]),
            "community": towns["idle_premises"] * float(params["slots_per_idle_premise"]),
            "employer": towns["employers"]
            * float(params["slots_per_employer"])
            * float(params["employer_participation"]),
            "social": towns["population"] / 1000.0 * float(params["social_capacity_per_1000"]),
        },
        index=units.index,
    ).astype(float)
    if replan:
        # Slots added since end-2023 used part of the capacity; spread over channels pro rata.
        added = (units["initial_total"] - starting_stock(towns)["total"]).clip(lower=0)
        room = cap_total.sum(axis=1)
        used_share = (added / room.where(room > 0)).fillna(0).clip(upper=1)
        cap_total = cap_total.mul(1 - used_share, axis=0)
    market0 = (units["initial_total"] - units["initial_inclusive"]).clip(lower=0)
    willing = float(params["conversion_willingness"])
    # rows year by year, channel by channel, unit by unit; built as whole columns (a sweep calls this per draw)
    blocks = [(y, c) for y in years for c in cap_total.columns]
    share = {y: float(year_value(params, "build_share_by_year", y)) for y in years}
    cshare = {y: float(year_value(params, "conversion_build_share_by_year", y)) for y in years}
    ids, n = units.index.tolist(), len(units.index)
    cap = pd.DataFrame(
        {
            "town_id": ids * len(blocks),
            "channel": [c for _, c in blocks for _ in range(n)],
            "year": np.repeat(np.array([y for y, _ in blocks], dtype=np.int64), n),
            "capacity_slots": np.concatenate([cap_total[c].to_numpy() * share[y] for y, c in blocks]),
        }
    )
    conv = pd.DataFrame(
        {
            "town_id": ids * len(years),
            "year": np.repeat(np.array(years, dtype=np.int64), n),
            "capacity_slots": np.concatenate([(market0 * willing * cshare[y]).to_numpy() for y in years]),
        }
    )
    return cap, conv
