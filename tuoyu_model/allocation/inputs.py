"""The allocation's inputs: :class:`AllocationInputs`, built from the economics tables of a run.

:func:`inputs_from_tables` takes the tables a run has already computed (``costs.capital_costs``
and ``pricing.pricing_table``) with the parameters, the annex targets and the unit table;
:func:`inputs_from_parameters` computes those tables first, for callers that have none (tests,
the progress re-plan). Each part is read by a function of :mod:`tuoyu_model.allocation.formulas`
(years, budgets, horizon, priority, the units' stock, targets and capacities). Nothing here
builds or solves the LP.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd

from tuoyu_model import costs
from tuoyu_model.allocation.formulas import (
    budget_by_year,
    costing_horizon,
    costing_subsidy,
    parse_priority,
    project_min_slots,
    slots_per_class,
    unit_capacities,
    unit_stock,
    unit_targets,
    year_value,
    years_to_plan,
)
from tuoyu_model.data import load_targets, load_towns, target_set_for_year
from tuoyu_model.errors import DataError
from tuoyu_model.pricing import pricing_table

KINDS = ("inclusive", "market")
PENALTY_KEYS = ("total", "inclusive", "share", "coverage")
# The default order of priority of the plan's requirements (formulas.REQUIREMENTS): the plan's
# yes/no requirements (inclusive coverage of every unit, the district centre), then the
# district share, then the unit targets (data/parameters/allocation.yaml, requirement_priority).
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
    solver_threads: int = 1
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
    years = years_to_plan(params, initial_stock, first_year)
    units = unit_stock(towns, initial_stock)
    tgt = unit_targets(params, targets, units, years)  # first: a year without annex targets is the error to report
    capacity, conversion_capacity = unit_capacities(params, towns, units, years, initial_stock is not None)
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
        solver_threads=int(params["solver_threads"]),
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
    years = years_to_plan(params, initial_stock, first_year)
    for y in years:  # a year without annex targets is the error to report, before pricing's
        target_set_for_year(params, y)
    return inputs_from_tables(
        params, targets, towns, costs.capital_costs(params), pricing_table(params, years), initial_stock, first_year
    )


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
