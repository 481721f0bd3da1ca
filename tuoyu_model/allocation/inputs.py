"""The allocation's inputs: :class:`AllocationInputs`, built from the economics tables of a run.

:func:`inputs_from_tables` takes the tables a run has already computed (``costs.capital_costs``
and ``pricing.pricing_table``) with the parameters, the annex targets and the unit table;
:func:`inputs_from_parameters` computes those tables first, for callers that have none (tests,
the progress re-plan). Nothing here builds or solves the LP.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd

from tuoyu_model import costs
from tuoyu_model.data import STOCK_YEAR, load_targets, load_towns, starting_stock, target_set_for_year
from tuoyu_model.errors import DataError, ScenarioError
from tuoyu_model.pricing import operating_subsidy_table, pricing_table

KINDS = ("inclusive", "market")
PENALTY_KEYS = ("total", "inclusive", "share", "coverage")
# The shortfall families of the plan's requirements, and their default order of priority: the
# plan's yes/no requirements (inclusive coverage of every unit, the district centre), then the
# district share, then the unit targets (data/parameters/allocation.yaml, requirement_priority).
REQUIREMENTS = ("coverage", "centre", "share", "total", "inclusive")
DEFAULT_PRIORITY = (("coverage", "centre"), ("share",), ("total", "inclusive"))
RATIONING_RULES = ("equity", "least_cost")


@dataclass
class AllocationInputs:
    """Everything the LP needs, as plain tidy tables (no parameters object needed).

    Attributes
    ----------
    units : DataFrame
        Index ``town_id``; columns ``town``, ``initial_total``, ``initial_inclusive`` (stock at
        the end of the year before the first planned year).
    years : list of int
        Planned year-ends, consecutive.
    targets : DataFrame
        ``town_id, year, target_total, target_inclusive, min_inclusive`` (slots).
    capacity : DataFrame
        ``town_id, channel, year, capacity_slots``: new slots a channel can open by that
        year-end, cumulative from the first planned year (centre excluded: see ``centre_*``).
    conversion_capacity : DataFrame
        ``town_id, year, capacity_slots``: market slots convertible by that year-end, cumulative.
    unit_costs : DataFrame
        ``channel, kind, capital_public_yuan``; one row per allowed channel × kind.
    operating_subsidy : DataFrame
        ``year, channel, subsidy_per_slot_year_yuan`` for every planned year and every year after
        the plan up to ``horizon``.
    conversion_cost_yuan : float
        Public money per converted slot.
    share_target : dict
        Year → district inclusive share (0 = no row).
    budget : dict
        Year → yuan or ``None`` (no budget row); 0 is a real limit (no money for new decisions).
    budget_share_of_need : float
        For years with ``None``: if ≠ 1, solve without budget first and set the budget to this
        share of that year's public spending.
    centre_slots, centre_year, centre_unit : float, int, str
        The district centre: slots, year-end by which it serves, host ``town_id`` or ``'auto'``.
    penalties : dict
        Yuan per slot of shortfall: total, inclusive, share, coverage (coverage also for the centre).
    horizon : int, optional
        Last year whose public money the objective counts (``costing_horizon``; default the
        last planned year): a slot decided in the plan keeps costing its operating subsidy
        every year up to it.
    discount_rate : float, default 0
        Money of year t weighs (1 + r)^−(t − first planned year) in the objective.
    budget_city, budget_district : dict
        Year → yuan or ``None``: optional limits on the city's and the district's shares of
        each year's public money (``city_share_*`` per item).
    whole_slots : bool, default True
        New slots and conversions in whole numbers (a mixed-integer program); ``False`` solves the
        linear program with fractional slots. ``integer_classes`` (whole classes) implies it.
    project_min_slots : dict, default {}
        Channel → the fewest new slots one opening of that channel has (a year's new slots of a
        channel in a unit are 0 or at least this); channels not named have no minimum.
    centre_one_project : bool, default False
        The district centre is built whole, in one year.

    """

    units: pd.DataFrame
    years: list[int]
    targets: pd.DataFrame
    capacity: pd.DataFrame
    conversion_capacity: pd.DataFrame
    unit_costs: pd.DataFrame
    operating_subsidy: pd.DataFrame
    conversion_cost_yuan: float
    share_target: dict[int, float]
    budget: dict[int, float | None]
    penalties: dict[str, float]
    budget_share_of_need: float = 1.0
    centre_slots: float = 0.0
    centre_year: int | None = None
    centre_unit: str = "auto"
    existing_channel: str = "social"
    service_fraction: float = 0.5
    objective: str = "min_cost"
    inclusive_weight: float = 2.0
    integer_classes: bool = False
    whole_slots: bool = True
    slots_per_class: dict[str, int] = field(default_factory=lambda: {c: 1 for c in costs.CHANNELS})
    solver: str = "highs"
    mip_rel_gap: float = 1e-6
    highs_method: str = "auto"
    ipm_min_variables: int = 20000
    tie_break: float = 1.0
    city_share_capital: float = 0.5
    city_share_operating: float = 0.5
    horizon: int | None = None
    discount_rate: float = 0.0
    budget_city: dict = field(default_factory=dict)
    budget_district: dict = field(default_factory=dict)
    priority: tuple = DEFAULT_PRIORITY
    rationing: str = "equity"
    # Projects of real size (allocation.build.add_project_size_constraints): channel → minimum new
    # slots of one opening (empty: none), and whether the district centre is one project.
    project_min_slots: dict[str, float] = field(default_factory=dict)
    centre_one_project: bool = False


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


def inputs_from_tables(
    params: Mapping,
    targets: pd.DataFrame,
    towns: pd.DataFrame,
    capital_costs: pd.DataFrame,
    pricing: pd.DataFrame,
    initial_stock: pd.DataFrame | None = None,
    first_year: int | None = None,
) -> AllocationInputs:
    """Build the LP's inputs from the economics tables a run has already computed.

    Parameters
    ----------
    params : Parameters
        Resolved scenario parameters (``load_scenario(...).parameters``): the allocation's
        settings, capacities, targets rule and penalties.
    targets : DataFrame
        ``tuoyu_model.data.load_targets()``.
    towns : DataFrame
        ``tuoyu_model.data.load_towns()``.
    capital_costs : DataFrame
        ``costs.capital_costs(params)``, indexed by ``channel`` or with a ``channel`` column:
        ``public_capital_inclusive_yuan``, ``public_capital_market_yuan`` per new slot.
    pricing : DataFrame
        ``pricing.pricing_table(params, years)`` (or ``operating_subsidy_table``): ``year,
        channel, subsidy_per_slot_year_yuan`` for every planned year and channel; the years
        after the plan up to the costing horizon are computed when it lacks them
        (:func:`costing_subsidy`).
    initial_stock : DataFrame, optional
        ``town_id, total_slots, inclusive_slots[, market_slots]`` at the end of the year before
        ``first_year`` (a progress return); default the end-2023 stock in towns.csv.
    first_year : int, optional
        First year to plan (default ``plan_years.first``); with ``initial_stock`` this re-plans
        the rest of the period.

    Returns
    -------
    AllocationInputs

    Raises
    ------
    DataError
        A missing unit in ``initial_stock``, inclusive above total, or a year outside the plan.
    ScenarioError
        A first year after 2024 without ``initial_stock`` (the end-2023 stock would be planned
        from as if it were the later year's), or a ``budget`` year outside ``plan_years``.

    Examples
    --------
    >>> from tuoyu_model.costs import capital_costs
    >>> from tuoyu_model.parameters import load_scenario
    >>> from tuoyu_model.pricing import operating_subsidy_table, pricing_table
    >>> p = load_scenario("baseline").parameters
    >>> inp = inputs_from_tables(p, load_targets(), load_towns(), capital_costs(p), pricing_table(p, [2024, 2025]))
    >>> inp.years, len(inp.units), float(inp.conversion_cost_yuan)
    ([2024, 2025], 22, 3000.0)

    """
    years = _plan_years(params, initial_stock, first_year)
    units = _units(towns, initial_stock)
    tgt = _targets(params, targets, units, years)  # first: a year without annex targets is the error to report
    capacity, conversion_capacity = _capacities(params, towns, units, years, initial_stock is not None)
    cc = capital_costs.set_index("channel") if "channel" in capital_costs.columns else capital_costs
    allowed = params["allowed_kinds"]
    unit_costs = pd.DataFrame(
        [
            {"channel": c, "kind": k, "capital_public_yuan": float(cc.loc[c, f"public_capital_{k}_yuan"])}
            for c in costs.CHANNELS
            for k in KINDS
            if allowed[c][k]
        ]
    )
    horizon = costing_horizon(params, years)
    ops = costing_subsidy(params, pricing, years, horizon)
    per_class = slots_per_class(params)
    return AllocationInputs(
        units=units,
        years=years,
        targets=tgt,
        capacity=capacity,
        conversion_capacity=conversion_capacity,
        unit_costs=unit_costs,
        operating_subsidy=ops,
        conversion_cost_yuan=float(costs.conversion_cost(params)),
        share_target={y: float(year_value(params, "inclusive_share_target", y)) for y in years},
        budget=budget_by_year(params, years),
        budget_share_of_need=float(params["budget_share_of_need"]),
        penalties={
            "total": float(params["penalty_shortfall_total"]),
            "inclusive": float(params["penalty_shortfall_inclusive"]),
            "share": float(params["penalty_shortfall_share"]),
            "coverage": float(params["penalty_shortfall_coverage"]),
        },
        centre_slots=float(params["district_centre_slots"]),
        centre_year=int(params["district_centre_year"]),
        centre_unit=str(params["district_centre_unit"]),
        existing_channel=str(params["existing_slots_channel"]),
        service_fraction=float(params["new_slot_service_fraction"]),
        objective=str(params["objective"]),
        inclusive_weight=float(params["inclusive_weight"]),
        integer_classes=bool(params["integer_classes"]),
        whole_slots=bool(params["whole_slots"]),
        slots_per_class=per_class,
        solver=str(params["solver"]),
        mip_rel_gap=float(params["mip_rel_gap"]),
        tie_break=float(params["tie_break_cost_per_slot"]),
        highs_method=str(params["highs_method"]),
        ipm_min_variables=int(params["highs_ipm_min_variables"]),
        city_share_capital=float(params["city_share_of_capital"]),
        city_share_operating=float(params["city_share_of_operating"]),
        horizon=horizon,
        discount_rate=float(params["discount_rate"]),
        budget_city=budget_by_year(params, years, "budget_city"),
        budget_district=budget_by_year(params, years, "budget_district"),
        priority=parse_priority(str(params["requirement_priority"])),
        rationing=str(params["rationing_rule"]),
        project_min_slots=project_min_slots(params),
        centre_one_project=bool(params["centre_one_project"]),
    )


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


def inputs_from_parameters(
    params: Mapping,
    targets: pd.DataFrame | None = None,
    towns: pd.DataFrame | None = None,
    initial_stock: pd.DataFrame | None = None,
    first_year: int | None = None,
) -> AllocationInputs:
    """Compute the economics tables the LP needs from ``params``, then :func:`inputs_from_tables`.

    For callers without a run's tables (tests, the progress re-plan); ``targets`` and ``towns``
    are loaded when omitted. Arguments and errors as in :func:`inputs_from_tables`.

    Examples
    --------
    >>> from tuoyu_model.parameters import load_scenario
    >>> inp = inputs_from_parameters(load_scenario("baseline").parameters)
    >>> inp.years, len(inp.units), int(inp.targets.query("year == 2025").target_total.sum())
    ([2024, 2025], 22, 4700)

    """
    targets = load_targets() if targets is None else targets
    towns = load_towns(targets=targets) if towns is None else towns
    years = _plan_years(params, initial_stock, first_year)
    for y in years:  # a year without annex targets is the error to report, before pricing's
        target_set_for_year(params, y)
    return inputs_from_tables(
        params, targets, towns, costs.capital_costs(params), pricing_table(params, years), initial_stock, first_year
    )


def _plan_years(params: Mapping, initial_stock: pd.DataFrame | None, first_year: int | None) -> list[int]:
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


def _units(towns: pd.DataFrame, initial_stock: pd.DataFrame | None) -> pd.DataFrame:
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


def _targets(params: Mapping, targets: pd.DataFrame, units: pd.DataFrame, years: list[int]) -> pd.DataFrame:
    """Return the targets per unit and year-end, with the coverage minimum from ``min_inclusive_year`` on."""
    tt = targets.set_index(["target_set", "town_id"])
    rows = []
    extra = params["extra_target_slots"]  # what-if slots on a unit's last-year total target (0: the annex's)
    for y in years:
        part = tt.loc[target_set_for_year(params, y)].loc[units.index]
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


def _capacities(
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
    cap_rows, conv_rows = [], []
    for y in years:
        share = float(year_value(params, "build_share_by_year", y))
        for c in cap_total.columns:
            cap_rows.append(
                pd.DataFrame(
                    {"town_id": units.index, "channel": c, "year": y, "capacity_slots": cap_total[c].to_numpy() * share}
                )
            )
        cshare = float(year_value(params, "conversion_build_share_by_year", y))
        conv_rows.append(
            pd.DataFrame({"town_id": units.index, "year": y, "capacity_slots": (market0 * willing * cshare).to_numpy()})
        )
    return pd.concat(cap_rows, ignore_index=True), pd.concat(conv_rows, ignore_index=True)


def centre_host_rule(inputs: AllocationInputs) -> str | None:
    """Host of the district centre in the LP when ``centre_unit`` is 'auto'.

    The unit with the largest inclusive gap at the centre year (inclusive target minus inclusive
    slots at the start), ties broken by the units' order; ``None`` when no centre is required.

    Examples
    --------
    >>> from dataclasses import replace
    >>> centre_host_rule(replace(toy_inputs(), centre_slots=10, centre_year=2024))
    'a'

    """
    if inputs.centre_slots <= 0 or inputs.centre_year is None:
        return None
    if inputs.centre_unit != "auto":
        if inputs.centre_unit not in inputs.units.index:
            some = ", ".join(inputs.units.index[:5])
            raise DataError(
                f"data/parameters/allocation.yaml: 'district_centre_unit' = '{inputs.centre_unit}' "
                f"不是属地代码；应为 'auto' 或 {some} 等属地代码之一",
                en=f"data/parameters/allocation.yaml: 'district_centre_unit' = '{inputs.centre_unit}' "
                f"is not a unit id; expected 'auto' or one of {some}, …",
            )
        return inputs.centre_unit
    year = min(max(inputs.centre_year, inputs.years[0]), inputs.years[-1])
    tg = inputs.targets
    at_year = tg.year.to_numpy() == year
    target = dict(
        zip(tg.town_id.to_numpy()[at_year].tolist(), tg.target_inclusive.to_numpy()[at_year].tolist(), strict=True)
    )
    i0 = inputs.units["initial_inclusive"].tolist()
    ids = inputs.units.index.tolist()
    gaps = [target.get(i, 0.0) - v for i, v in zip(ids, i0, strict=True)]
    return str(ids[gaps.index(max(gaps))])  # index() keeps the first of equal maxima: the units' order


def toy_inputs() -> AllocationInputs:
    """Two units, one year, for doctests: unit a needs 10 more inclusive slots at ¥100 each."""
    units = pd.DataFrame(
        {"town": ["甲", "乙"], "initial_total": [0.0, 5.0], "initial_inclusive": [0.0, 5.0]},
        index=pd.Index(["a", "b"], name="town_id"),
    )
    return AllocationInputs(
        units=units,
        years=[2024],
        targets=pd.DataFrame(
            {
                "town_id": ["a", "b"],
                "year": 2024,
                "target_total": [10.0, 5.0],
                "target_inclusive": [10.0, 5.0],
                "min_inclusive": 0.0,
            }
        ),
        capacity=pd.DataFrame(
            {"town_id": ["a", "b"], "channel": "community", "year": 2024, "capacity_slots": [50.0, 50.0]}
        ),
        conversion_capacity=pd.DataFrame({"town_id": ["a", "b"], "year": 2024, "capacity_slots": [0.0, 0.0]}),
        unit_costs=pd.DataFrame({"channel": ["community"], "kind": ["inclusive"], "capital_public_yuan": [100.0]}),
        operating_subsidy=pd.DataFrame(
            {"year": 2024, "channel": list(costs.CHANNELS), "subsidy_per_slot_year_yuan": 0.0}
        ),
        conversion_cost_yuan=0.0,
        share_target={2024: 0.0},
        budget={2024: None},
        penalties=dict.fromkeys(PENALTY_KEYS, 1e6),
        tie_break=0.0,
    )
