r"""Allocation: a PuLP linear program that places slots and subsidy money across towns and years.

Public API: :func:`inputs_from_parameters` (scenario parameters → :class:`AllocationInputs`),
:func:`solve` (inputs → :class:`AllocationResult`); the model itself is built by
:func:`create_model`. The formulation (also in ``docs/formulation.md``):

.. math::

    \min \; \sum_{i,t,c,k} \gamma_{tck}\, x_{itck} + \sum_{i,t} \gamma^{v}_{t}\, v_{it}
         + \sum_{i,t} \big(P^{T} u^{T}_{it} + P^{I} u^{I}_{it} + P^{C} u^{C}_{it}\big)
         + \sum_t P^{S} u^{S}_t + P^{C} u^{Z} + K

with :math:`\gamma_{\tau ck} = a_{ck} + \epsilon + [k=\mathrm{inc}]\sum_{t\ge\tau} o_{tc}\,\phi_{\tau t}`,
:math:`\gamma^v_\tau = g + \sum_{t\ge\tau} o_{te}\,\phi_{\tau t}`, :math:`\phi_{\tau t} = f` if
:math:`t=\tau` else 1, and :math:`K = \sum_t o_{te}\sum_i I^0_i` (committed), subject to

.. math::

    S^0_i + \sum_{\tau\le t}\sum_{c,k} x_{i\tau ck} + u^T_{it} &\ge T_{it}
        && \text{total-}i\text{-}t\\
    I_{it} := I^0_i + \sum_{\tau\le t}\Big(\sum_c x_{i\tau c,\mathrm{inc}} + v_{i\tau}\Big),\quad
    I_{it} + u^I_{it} &\ge T^{I}_{it} && \text{inclusive-}i\text{-}t\\
    I_{it} + u^C_{it} &\ge m_{it} \quad (m_{it} > T^I_{it}) && \text{coverage-}i\text{-}t\\
    \sum_i I_{it} + u^S_t &\ge s_t \sum_i S_{it} && \text{share-district-}t\\
    \sum_{i}\sum_{\tau\le y^Z} x_{i\tau,\mathrm{centre},\mathrm{inc}} + u^Z &\ge Z && \text{centre-district-}y^Z\\
    \sum_{\tau\le t}\sum_k x_{i\tau ck} &\le \bar X_{ict} && \text{capacity\_}c\text{-}i\text{-}t\\
    \sum_{\tau\le t} v_{i\tau} &\le \bar V_{it} && \text{conversion-}i\text{-}t\\
    \sum_{i,c,k} a_{ck} x_{itck} + g\sum_i v_{it}
        + \sum_{i}\sum_{\tau\le t}\phi_{\tau t}\Big(\sum_c o_{tc} x_{i\tau c,\mathrm{inc}} + o_{te} v_{i\tau}\Big)
        &\le B_t - o_{te}\sum_i I^0_i && \text{budget-district-}t

and all variables :math:`\ge 0`. Legend: :math:`i` unit (street/town/zone), :math:`t,\tau` year,
:math:`c` channel, :math:`k` kind (inclusive/market); :math:`x` new slots, :math:`v` market
slots converted to inclusive, :math:`u` shortfalls (slots); :math:`S^0, I^0` end-of-previous-year
total and inclusive stock (towns.csv or a progress return); :math:`T, T^I` annex targets;
:math:`m` minimum inclusive slots per unit (from ``min_inclusive_year``); :math:`s_t` inclusive
share target; :math:`Z, y^Z` centre slots and year; :math:`\bar X` cumulative channel capacity
(towns.csv counts × allocation.yaml, × ``build_share_by_year``); :math:`\bar V` cumulative
conversion capacity (``conversion_willingness`` × existing market slots); :math:`a_{ck}` public
capital per new slot (costs.capital_costs), :math:`g` per conversion (costs.conversion_cost),
:math:`o_{tc}` operating subsidy per inclusive slot-year (pricing.operating_subsidy_table),
:math:`e` the channel of existing and converted slots, :math:`f` the share of its first year a
new slot is subsidised, :math:`\epsilon` a token tie-break per new slot, :math:`P` penalties
(yuan per slot), :math:`B_t` the yearly budget (rows only where a budget is set). Integer mode:
:math:`x = n_{\cdot}\,q_c` with :math:`n` integer and :math:`q_c` slots per class; with
``district_centre_unit: auto`` a binary :math:`z_i` (:math:`\sum_i z_i = 1`) opens the centre.
Objective ``max_slots`` replaces the cost terms by :math:`-\sum_t\sum_i (w I_{it} + M_{it})`
(slot-years, inclusive weighted by :math:`w`), keeping the penalties and the budget rows.
Whole slots (``whole_slots``, the default): :math:`x`, :math:`v` and the shortfalls :math:`u`
are integer (a mixed-integer program; the share's :math:`u^S_t` is the inclusive slots still
missing, rounded up). The shadow prices are the duals of the linear relaxation at the same data.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pulp

from tuoyu_model.allocation_solver import SolveRecord, resolve_solver, run_solver
from tuoyu_model.costs import CHANNELS
from tuoyu_model.errors import DataError, ScenarioError, SolverError

# channel names of the sentences, until they move to presentation/sentences.py (issue 9)
from tuoyu_model.presentation.vocabulary import CHANNEL_LABEL_ZH

KINDS = ("inclusive", "market")
PENALTY_KEYS = ("total", "inclusive", "share", "coverage")
BUDGET_ITEMS = {  # item -> (Chinese label, funding rule: capital or operating share of the city)
    "capital_subsidy": ("新增托位建设补贴", "capital"),
    "conversion": ("存量托位转普惠补贴", "capital"),
    "operating_subsidy_new": ("新增及转化普惠托位运营补贴", "operating"),
    "operating_subsidy_existing": ("2023年底存量普惠托位运营补贴", "operating"),
}
TOL = 1e-6  # values below this (slots or yuan) are solver noise
UNMET_TOL = 1e-6  # slots: a row's shortfall above this means its target is not met
# Unit of the objective, hence of every dual: yuan (min_cost) or inclusive-weighted slot-years (max_slots).
OBJECTIVE_UNIT = {"min_cost": "yuan", "max_slots": "weighted slot-years"}
STOCK_YEAR = 2023  # towns.csv holds the stock at the end of this year (existing_slots_2023)


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
        ``year, channel, subsidy_per_slot_year_yuan``.
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
    whole_slots : bool, default True
        New slots and conversions in whole numbers (a mixed-integer program); ``False`` solves the
        linear program with fractional slots. ``integer_classes`` (whole classes) implies it.

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
    slots_per_class: dict[str, int] = field(default_factory=lambda: {c: 1 for c in CHANNELS})
    solver: str = "highs"
    mip_rel_gap: float = 1e-6
    highs_method: str = "auto"
    ipm_min_variables: int = 20000
    tie_break: float = 1.0
    city_share_capital: float = 0.5
    city_share_operating: float = 0.5


@dataclass
class AllocationResult:
    """Tidy results of one allocation solve (columns as in docs/design.md's output contract).

    Attributes
    ----------
    allocation : DataFrame
        ``town_id, town, year, channel, kind, new_slots`` (non-zero rows).
    conversions : DataFrame
        ``town_id, town, year, slots``.
    stock : DataFrame
        ``town_id, town, year, total_slots, inclusive_slots, target_total, target_inclusive,
        shortfall_total, shortfall_inclusive, market_slots, min_inclusive, shortfall_coverage``.
    budget : DataFrame
        ``year, item, item_zh, amount_yuan, city_yuan, district_yuan`` (items capital_subsidy,
        conversion, operating_subsidy_new, operating_subsidy_existing, total).
    budget_limits : DataFrame
        ``year, budget_yuan, committed_yuan, basis`` (basis: none / absolute / share_of_need).
    district : DataFrame
        ``year, total_slots, inclusive_slots, inclusive_share, share_target, shortfall_share,
        centre_slots, shortfall_centre``.
    shadow_prices : DataFrame
        ``constraint, town_id, year, value_yuan, meaning, meaning_en, family, unique, binding``.
    binding : DataFrame
        The binding rows of ``shadow_prices``.
    notes : list of str
        Pre-solve findings and remarks (Chinese / English), in order.
    whole_slots : bool
        Whether slots and conversions were solved as whole numbers (MILP); then the shadow prices
        come from the linear relaxation at the same data, and
        ``rounding_cost_yuan`` = public money of the MILP plan − that of the relaxation (yuan, no
        penalties; may be negative when rounding leaves more slots unbuilt) and
        ``rounding_shortfall_slots`` = the plan's final-year shortfall − the relaxation's (slots,
        counted once as in ``summary.json``'s ``shortfall_final_slots``).
    centre_unit : str or None
        The unit hosting the district centre; ``None`` when no centre slot is built.

    """

    allocation: pd.DataFrame
    conversions: pd.DataFrame
    stock: pd.DataFrame
    budget: pd.DataFrame
    budget_limits: pd.DataFrame
    district: pd.DataFrame
    shadow_prices: pd.DataFrame
    binding: pd.DataFrame
    status: str
    objective_value: float
    public_cost_yuan: float
    solver: str
    solver_version: str
    build_seconds: float
    solve_seconds: float
    solver_seconds: float
    notes: list[str]
    objective: str = "min_cost"
    integer_classes: bool = False
    whole_slots: bool = False
    rounding_cost_yuan: float | None = None
    lp_objective_value: float | None = None
    rounding_shortfall_slots: float | None = None
    centre_unit: str | None = None
    degenerate: bool = False

    @property
    def district_share(self) -> pd.Series:
        """Inclusive share of all slots reached at each year-end, indexed by year."""
        return self.district.set_index("year")["inclusive_share"]


# --------------------------------------------------------------------------------------------
# Inputs from the scenario parameters
# --------------------------------------------------------------------------------------------


def _year_value(params: Mapping, name: str, year: int) -> float:
    """Read a year-indexed parameter strictly (Parameters.by_year when available)."""
    if hasattr(params, "by_year"):
        return params.by_year(name, year)
    value = params[name]
    if isinstance(value, Mapping):
        for k, v in value.items():
            if str(k) == str(year):
                return v
        raise DataError(f"data/parameters/allocation.yaml: '{name}' has no value for {year}; add '{year}: …'")
    return value


def _budget_by_year(params: Mapping, years: list[int]) -> dict[int, float | None]:
    """Yearly budget in yuan, ``None`` (null in the YAML) = no limit; a year outside plan_years is refused."""
    plan = params["plan_years"]
    given = params["budget"]
    if isinstance(given, Mapping):
        span = range(int(plan["first"]), int(plan["last"]) + 1)
        for key in given:
            if not str(key).isdigit() or int(key) not in span:
                raise ScenarioError(
                    f"budget.{key} = {given[key]} is for a year outside plan_years "
                    f"{span[0]}–{span[-1]}; remove it or extend plan_years"
                )
    out = {}
    for y in years:
        value = _year_value(params, "budget", y)
        out[y] = None if value is None else float(value)
    return out


def inputs_from_parameters(
    params: Mapping,
    targets: pd.DataFrame | None = None,
    towns: pd.DataFrame | None = None,
    initial_stock: pd.DataFrame | None = None,
    first_year: int | None = None,
) -> AllocationInputs:
    """Build the LP's inputs from scenario parameters, the annex and the unit table.

    Parameters
    ----------
    params : Parameters
        Resolved scenario parameters (``load_scenario(...).parameters``).
    targets : DataFrame, optional
        ``tuoyu_model.data.load_targets()`` (loaded when omitted).
    towns : DataFrame, optional
        ``tuoyu_model.data.load_towns()`` (loaded when omitted).
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
    >>> from tuoyu_model.parameters import load_scenario
    >>> inp = inputs_from_parameters(load_scenario("baseline").parameters)
    >>> inp.years, len(inp.units), int(inp.targets.query("year == 2025").target_total.sum())
    ([2024, 2025], 22, 4700)

    """
    from tuoyu_model.costs import capital_costs, conversion_cost
    from tuoyu_model.data import load_targets, load_towns, target_set_for_year
    from tuoyu_model.pricing import operating_subsidy_table

    targets = load_targets() if targets is None else targets
    towns = load_towns(targets=targets) if towns is None else towns
    plan = params["plan_years"]
    first = int(plan["first"]) if first_year is None else int(first_year)
    last = int(plan["last"])
    if first > last:
        raise DataError(
            f"allocation: first_year {first} is after the plan's last year {last} "
            "(allocation.yaml plan_years.last); nothing to plan"
        )
    if initial_stock is None and first > STOCK_YEAR + 1:
        # Without a reported stock the plan would start from end-2023 and silently drop the years between.
        name = "plan_years.first" if first_year is None else "first_year"
        raise ScenarioError(
            f"{name} = {first} needs the end-{first - 1} stock; re-plan from reported stock "
            f"with 'tuoyu progress' or keep first = {STOCK_YEAR + 1}"
        )
    years = list(range(first, last + 1))
    towns = towns.copy()
    units = pd.DataFrame(
        {
            "town": towns["town"],
            "initial_total": towns["existing_slots_2023"].astype(float),
            "initial_inclusive": towns["existing_inclusive_2023"].astype(float),
        }
    )
    units.index.name = "town_id"
    base_total = units["initial_total"].copy()
    if initial_stock is not None:
        st = initial_stock.set_index("town_id") if "town_id" in initial_stock.columns else initial_stock
        missing = sorted(set(units.index) - set(st.index))
        if missing:
            raise DataError(
                f"initial_stock: units missing: {', '.join(missing)}; give one row per unit "
                "with total_slots and inclusive_slots"
            )
        bad = st[st["inclusive_slots"] > st["total_slots"]]
        if len(bad):
            raise DataError(
                f"initial_stock: '{bad.index[0]}' has inclusive_slots {bad['inclusive_slots'].iloc[0]} "
                f"> total_slots {bad['total_slots'].iloc[0]}; inclusive slots are part of the total"
            )
        units["initial_total"] = st.loc[units.index, "total_slots"].astype(float)
        units["initial_inclusive"] = st.loc[units.index, "inclusive_slots"].astype(float)

    # Targets per year-end; coverage minimum from min_inclusive_year on.
    sets = {y: target_set_for_year(params, y) for y in years}
    rows = []
    tt = targets.set_index(["target_set", "town_id"])
    for y in years:
        part = tt.loc[sets[y]].loc[units.index]
        m = float(params["min_inclusive_slots_per_unit"]) if y >= int(params["min_inclusive_year"]) else 0.0
        rows.append(
            pd.DataFrame(
                {
                    "town_id": units.index,
                    "year": y,
                    "target_total": part["total_slots"].to_numpy(float),
                    "target_inclusive": part["inclusive_slots"].to_numpy(float),
                    "min_inclusive": m,
                }
            )
        )
    tgt = pd.concat(rows, ignore_index=True)

    # Channel capacities over the plan, opened cumulatively by build_share_by_year.
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
    if initial_stock is not None:
        # Slots added since end-2023 used part of the capacity; spread over channels pro rata.
        added = (units["initial_total"] - base_total).clip(lower=0)
        room = cap_total.sum(axis=1)
        used_share = (added / room.where(room > 0)).fillna(0).clip(upper=1)
        cap_total = cap_total.mul(1 - used_share, axis=0)
    cap_rows = []
    conv_rows = []
    market0 = (units["initial_total"] - units["initial_inclusive"]).clip(lower=0)
    willing = float(params["conversion_willingness"])
    for y in years:
        share = float(_year_value(params, "build_share_by_year", y))
        for c in cap_total.columns:
            cap_rows.append(
                pd.DataFrame(
                    {"town_id": units.index, "channel": c, "year": y, "capacity_slots": cap_total[c].to_numpy() * share}
                )
            )
        cshare = float(_year_value(params, "conversion_build_share_by_year", y))
        conv_rows.append(
            pd.DataFrame({"town_id": units.index, "year": y, "capacity_slots": (market0 * willing * cshare).to_numpy()})
        )
    capacity = pd.concat(cap_rows, ignore_index=True)
    conv_cap = pd.concat(conv_rows, ignore_index=True)

    cc = capital_costs(params)
    allowed = params["allowed_kinds"]
    uc = []
    for c in CHANNELS:
        for k in KINDS:
            if allowed[c][k]:
                col = "public_capital_inclusive_yuan" if k == "inclusive" else "public_capital_market_yuan"
                uc.append({"channel": c, "kind": k, "capital_public_yuan": float(cc.loc[c, col])})
    ops = operating_subsidy_table(params, years)[["year", "channel", "subsidy_per_slot_year_yuan"]].copy()
    # Slots per whole class: the channel's age mix × class sizes, rounded (a 托班 is 20).
    mix = params["age_mix"]
    per_class = {
        c: max(1, int(round(sum(float(mix[c][b]) * float(class_size[b]) for b in class_size)))) for c in CHANNELS
    }
    budget = _budget_by_year(params, years)
    return AllocationInputs(
        units=units,
        years=years,
        targets=tgt,
        capacity=capacity,
        conversion_capacity=conv_cap,
        unit_costs=pd.DataFrame(uc),
        operating_subsidy=ops,
        conversion_cost_yuan=float(conversion_cost(params)),
        share_target={y: float(_year_value(params, "inclusive_share_target", y)) for y in years},
        budget=budget,
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
    )


# --------------------------------------------------------------------------------------------
# The model
# --------------------------------------------------------------------------------------------


@dataclass
class _Rows:
    """Metadata of the named constraints, in the order they were added."""

    cons: list = field(default_factory=list)
    family: list = field(default_factory=list)
    town: list = field(default_factory=list)
    year: list = field(default_factory=list)
    scale: list = field(default_factory=list)  # e.g. slots per share point, for the sentences

    def add(
        self,
        prob: pulp.LpProblem,
        pairs: list,
        sense: int,
        rhs: float,
        family: str,
        town: str,
        year: int,
        scale: float = 1.0,
    ) -> None:
        con = pulp.LpConstraint(pulp.LpAffineExpression(pairs), sense=sense, name=f"{family}-{town}-{year}", rhs=rhs)
        prob.addConstraint(con)
        self.cons.append(con)
        self.family.append(family)
        self.town.append(town)
        self.year.append(year)
        self.scale.append(scale)


@dataclass
class AllocationModel:
    """A built (not yet solved) allocation problem with the metadata to read it back."""

    prob: pulp.LpProblem
    inputs: AllocationInputs
    integer: bool
    x_vars: list
    x_meta: pd.DataFrame  # town_id, year, channel, kind, scale, capital, op weights…
    v_vars: list
    v_meta: pd.DataFrame  # town_id, year
    short: dict  # (kind, town, year) -> var
    rows: _Rows
    centre_sites: dict  # town_id -> binary var (integer auto mode)
    centre_host: str | None
    committed: dict  # year -> committed operating subsidy (yuan)
    budget_rhs: dict  # year -> yuan limit on decided spending, or None
    build_seconds: float = 0.0


def _rows(df: pd.DataFrame, *cols: str):
    """Iterate the columns ``cols`` of ``df`` as plain tuples (much faster than itertuples)."""
    return zip(*(df[c].tolist() for c in cols), strict=True)


def centre_host_rule(inputs: AllocationInputs) -> str | None:
    """Host of the district centre in the LP when ``centre_unit`` is 'auto'.

    The unit with the largest inclusive gap at the centre year (inclusive target minus inclusive
    slots at the start), ties broken by the units' order; ``None`` when no centre is required.

    Examples
    --------
    >>> from dataclasses import replace
    >>> centre_host_rule(replace(_toy_inputs(), centre_slots=10, centre_year=2024))
    'a'

    """
    if inputs.centre_slots <= 0 or inputs.centre_year is None:
        return None
    if inputs.centre_unit != "auto":
        if inputs.centre_unit not in inputs.units.index:
            raise DataError(
                f"data/parameters/allocation.yaml: 'district_centre_unit' = '{inputs.centre_unit}' "
                f"is not a unit id; expected 'auto' or one of {', '.join(inputs.units.index[:5])}, …"
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


def create_model(
    inputs: AllocationInputs,
    budget_rhs: dict | None = None,
    integer: bool | None = None,
) -> AllocationModel:
    """Build the PuLP problem (see the module docstring for the formulation).

    Expressions are assembled from prepared coefficient lists, never by repeated ``+=``, so
    building stays well below the solver's time at every size.

    Parameters
    ----------
    inputs : AllocationInputs
    budget_rhs : dict, optional
        Year → absolute budget in yuan (``None`` = no row); default ``inputs.budget``.
    integer : bool, optional
        Integer decisions (default ``inputs.integer_classes or inputs.whole_slots``): whole
        slots, and whole classes when ``inputs.integer_classes``; ``False`` builds the linear
        relaxation (the duals come from it).

    Returns
    -------
    AllocationModel

    """
    t0 = time.perf_counter()
    integer = (inputs.integer_classes or inputs.whole_slots) if integer is None else integer
    classes = integer and inputs.integer_classes
    budget_rhs = dict(inputs.budget if budget_rhs is None else budget_rhs)
    years = list(inputs.years)
    ypos = {y: j for j, y in enumerate(years)}
    units = list(inputs.units.index)
    S0 = inputs.units["initial_total"].to_dict()
    I0 = inputs.units["initial_inclusive"].to_dict()
    f = inputs.service_fraction
    ex = inputs.existing_channel
    op = {
        (int(r[0]), r[1]): float(r[2])
        for r in _rows(inputs.operating_subsidy, "year", "channel", "subsidy_per_slot_year_yuan")
    }

    missing = [(y, c) for y in years for c in CHANNELS if (y, c) not in op]
    if missing:
        raise DataError(
            f"allocation: no operating subsidy for channel '{missing[0][1]}' in {missing[0][0]} "
            "(pricing.operating_subsidy_table); give one row per year and channel"
        )
    opr = op.__getitem__

    def phi(tau: int, t: int) -> float:
        return f if t == tau else 1.0

    committed = {y: opr((y, ex)) * sum(I0.values()) for y in years}
    maximise = inputs.objective == "max_slots"
    if inputs.objective not in ("min_cost", "max_slots"):
        raise DataError(
            f"data/parameters/allocation.yaml: 'objective' = '{inputs.objective}'; expected min_cost or max_slots"
        )
    w_inc = inputs.inclusive_weight
    prob = pulp.LpProblem("tuoyu_allocation", pulp.LpMinimize)
    cat = pulp.LpInteger if integer else pulp.LpContinuous

    # --- capacities (cumulative, by unit × channel × year), centre added by rule --------------
    cap = {
        (i, c, int(y)): float(v)
        for i, c, y, v in _rows(inputs.capacity, "town_id", "channel", "year", "capacity_slots")
        if c != "centre"
    }
    host = centre_host_rule(inputs)
    centre_sites: dict = {}
    if host is not None:
        # In integer mode the site is chosen by binaries; its linear relaxation (solved for the
        # rounding cost and the duals) keeps the same rows with 0 ≤ z ≤ 1, so it is a true
        # relaxation and the rounding cost is never negative.
        choose = inputs.integer_classes and inputs.centre_unit == "auto"
        q = inputs.slots_per_class.get("centre", 1) if inputs.integer_classes else 1
        ccap = math.ceil(inputs.centre_slots / q) * q
        for i in units if choose else [host]:
            for y in years:
                cap[(i, "centre", y)] = ccap
        if choose:
            centre_sites = {
                i: prob.add_variable(
                    f"site_{i}", lowBound=0, upBound=1, cat=pulp.LpInteger if integer else pulp.LpContinuous
                )
                for i in units
            }
    allowed = [(c, k, float(a)) for c, k, a in _rows(inputs.unit_costs, "channel", "kind", "capital_public_yuan")]

    # --- variables ------------------------------------------------------------------------------
    x_vars, xm = [], []
    for i in units:
        for c, k, a in allowed:
            caps = [cap.get((i, c, y), 0.0) for y in years]
            if max(caps, default=0.0) <= TOL:
                continue
            q = inputs.slots_per_class.get(c, 1) if classes else 1
            for y in years:
                if cap.get((i, c, y), 0.0) <= TOL:
                    continue
                x_vars.append(prob.add_variable(f"x_{i}_{y}_{c}_{k}", lowBound=0, cat=cat))
                xm.append((i, y, c, k, float(q), a))
    cols = list(zip(*xm, strict=True)) if xm else [()] * 6
    x_meta = pd.DataFrame(
        {
            "town_id": pd.Series(cols[0], dtype=object),
            "year": pd.Series(cols[1], dtype="int64"),
            "channel": pd.Series(cols[2], dtype=object),
            "kind": pd.Series(cols[3], dtype=object),
            "scale": pd.Series(cols[4], dtype=float),
            "capital": pd.Series(cols[5], dtype=float),
        }
    )
    v_vars, vm = [], []
    vcap = {(i, int(y)): float(v) for i, y, v in _rows(inputs.conversion_capacity, "town_id", "year", "capacity_slots")}
    for i in units:
        for y in years:
            if vcap.get((i, y), 0.0) > TOL:
                v_vars.append(prob.add_variable(f"v_{i}_{y}", lowBound=0, cat=cat))
                vm.append((i, y))
    cols = list(zip(*vm, strict=True)) if vm else [(), ()]
    v_meta = pd.DataFrame({"town_id": pd.Series(cols[0], dtype=object), "year": pd.Series(cols[1], dtype="int64")})

    tgt = inputs.targets
    keys = list(zip(tgt.town_id.tolist(), tgt.year.astype(int).tolist(), strict=True))
    T = dict(zip(keys, tgt.target_total.astype(float).tolist(), strict=True))
    TI = dict(zip(keys, tgt.target_inclusive.astype(float).tolist(), strict=True))
    MI = dict(zip(keys, tgt.min_inclusive.astype(float).tolist(), strict=True))
    short: dict = {}
    # With whole slots the shortfalls are whole too: with whole targets and stock they would come
    # out whole anyway, but s·S of the share row is fractional (rounded up: slots still missing),
    # and integer shortfalls let CBC prove optimality under a tight budget (budget_cut_20: 0.5 s,
    # against no proof in 40 s with continuous ones), so HiGHS and CBC agree.
    for i in units:
        for y in years:
            short[("total", i, y)] = prob.add_variable(f"u_total_{i}_{y}", lowBound=0, cat=cat)
            short[("inclusive", i, y)] = prob.add_variable(f"u_inclusive_{i}_{y}", lowBound=0, cat=cat)
            if MI[(i, y)] > TI[(i, y)]:
                short[("coverage", i, y)] = prob.add_variable(f"u_coverage_{i}_{y}", lowBound=0, cat=cat)
    for y in years:
        if inputs.share_target.get(y, 0) > 0:
            short[("share", "district", y)] = prob.add_variable(f"u_share_{y}", lowBound=0, cat=cat)
    cy = None
    if host is not None:
        cy = inputs.centre_year
        if cy < years[0] or cy > years[-1]:
            cy = None  # reported by the pre-solve check
        else:
            short[("centre", "district", cy)] = prob.add_variable(f"u_centre_{cy}", lowBound=0, cat=cat)

    # --- per-unit cumulative lists (the stock expressions) --------------------------------------
    by_unit_x: dict = {i: [] for i in units}
    for var, (i, y, c, k, q, _a) in zip(x_vars, xm, strict=True):
        by_unit_x[i].append((var, y, c, k, q))
    by_unit_v: dict = {i: [] for i in units}
    for var, (i, y) in zip(v_vars, vm, strict=True):
        by_unit_v[i].append((var, y))

    rows = _Rows()
    GE, LE = pulp.LpConstraintGE, pulp.LpConstraintLE
    share_pairs: dict = {y: [] for y in years}
    centre_pairs: list = []
    for i in units:
        xs, vs = by_unit_x[i], by_unit_v[i]
        for y in years:
            tot = [(var, q) for var, tau, _c, _k, q in xs if tau <= y]
            inc = [(var, q) for var, tau, _c, k, q in xs if tau <= y and k == "inclusive"]
            inc += [(var, 1.0) for var, tau in vs if tau <= y]
            rows.add(prob, tot + [(short[("total", i, y)], 1.0)], GE, T[(i, y)] - S0[i], "total", i, y)
            rows.add(prob, inc + [(short[("inclusive", i, y)], 1.0)], GE, TI[(i, y)] - I0[i], "inclusive", i, y)
            if ("coverage", i, y) in short:
                rows.add(prob, inc + [(short[("coverage", i, y)], 1.0)], GE, MI[(i, y)] - I0[i], "coverage", i, y)
            s = inputs.share_target.get(y, 0)
            if s > 0:
                share_pairs[y].extend(
                    (var, q * ((1 - s) if k == "inclusive" else -s)) for var, tau, _c, k, q in xs if tau <= y
                )
                share_pairs[y].extend((var, 1.0) for var, tau in vs if tau <= y)
        # capacities per channel and year
        for c in CHANNELS:
            cx = [(var, tau, q) for var, tau, cc, _k, q in xs if cc == c]
            if not cx:
                continue
            for y in years:
                pairs = [(var, q) for var, tau, q in cx if tau <= y]
                if c == "centre" and centre_sites:
                    rows.add(prob, pairs + [(centre_sites[i], -cap[(i, c, y)])], LE, 0.0, f"capacity_{c}", i, y)
                elif pairs:
                    rows.add(prob, pairs, LE, cap.get((i, c, y), 0.0), f"capacity_{c}", i, y)
            if c == "centre" and cy is not None:
                centre_pairs.extend((var, q) for var, tau, q in cx if tau <= cy)
        for y in years:
            pairs = [(var, 1.0) for var, tau in vs if tau <= y]
            if pairs:
                rows.add(prob, pairs, LE, vcap[(i, y)], "conversion", i, y)
    S0_all, I0_all = sum(S0.values()), sum(I0.values())
    for y in years:
        s = inputs.share_target.get(y, 0)
        if s > 0:
            # one share point is 1% of the district's slots at that year-end
            rows.add(
                prob,
                share_pairs[y] + [(short[("share", "district", y)], 1.0)],
                GE,
                s * S0_all - I0_all,
                "share",
                "district",
                y,
                scale=0.01,
            )
    if cy is not None:
        rows.add(
            prob,
            centre_pairs + [(short[("centre", "district", cy)], 1.0)],
            GE,
            inputs.centre_slots,
            "centre",
            "district",
            cy,
        )
    if centre_sites:
        rows.add(
            prob,
            [(z, 1.0) for z in centre_sites.values()],
            pulp.LpConstraintEQ,
            1.0,
            "centre_site",
            "district",
            inputs.centre_year,
        )

    # --- money: per variable, capital in its year and operating subsidies in every later year ---
    spend: dict = {y: [] for y in years}
    obj: list = []
    for var, (_i, tau, c, k, q, a) in zip(x_vars, xm, strict=True):
        cost = q * (a + inputs.tie_break)
        for y in years[ypos[tau] :]:
            money = q * (a if y == tau else 0.0)
            if k == "inclusive":
                money += q * opr((y, c)) * phi(tau, y)
            if money:
                spend[y].append((var, money))
            if k == "inclusive":
                cost += q * opr((y, c)) * phi(tau, y)
        if maximise:
            n_years = len(years) - ypos[tau]
            obj.append((var, -q * n_years * (w_inc if k == "inclusive" else 1.0)))
        else:
            obj.append((var, cost))
    g = inputs.conversion_cost_yuan
    for var, (_i, tau) in zip(v_vars, vm, strict=True):
        cost = g
        for y in years[ypos[tau] :]:
            money = (g if y == tau else 0.0) + opr((y, ex)) * phi(tau, y)
            if money:
                spend[y].append((var, money))
            cost += opr((y, ex)) * phi(tau, y)
        if maximise:
            obj.append((var, -(w_inc - 1.0) * (len(years) - ypos[tau])))
        else:
            obj.append((var, cost))
    pen = {
        "total": inputs.penalties["total"],
        "inclusive": inputs.penalties["inclusive"],
        "coverage": inputs.penalties["coverage"],
        "share": inputs.penalties["share"],
        "centre": inputs.penalties["coverage"],
    }
    obj.extend((var, pen[key[0]]) for key, var in short.items())
    for y in years:
        b = budget_rhs.get(y)
        if b is not None:
            rows.add(prob, spend[y], LE, max(0.0, b - committed[y]), "budget", "district", y)
    constant = 0.0 if maximise else sum(committed.values())
    prob.setObjective(pulp.LpAffineExpression(obj, constant=constant))
    return AllocationModel(
        prob=prob,
        inputs=inputs,
        integer=integer,
        x_vars=x_vars,
        x_meta=x_meta,
        v_vars=v_vars,
        v_meta=v_meta,
        short=short,
        rows=rows,
        centre_sites=centre_sites,
        centre_host=host,
        committed=committed,
        budget_rhs=budget_rhs,
        build_seconds=time.perf_counter() - t0,
    )


# --------------------------------------------------------------------------------------------
# Reading the solution into tidy tables
# --------------------------------------------------------------------------------------------


def _values(variables: list) -> np.ndarray:
    vals = np.fromiter(
        (v.varValue if v.varValue is not None else np.nan for v in variables), float, count=len(variables)
    )
    if np.isnan(vals).any():
        raise SolverError(
            "allocation: the solver returned no value for some variables although it reported "
            "'Optimal'; rerun with --set solver=cbc"
        )
    vals[np.abs(vals) < TOL] = 0.0
    return vals


def _clean(a: np.ndarray | pd.Series, digits: int = 6):
    """Round solver output so two runs write identical files (and -0.0 never shows)."""
    return np.round(np.asarray(a, dtype=float), digits) + 0.0


def _money_tables(model: AllocationModel, x: np.ndarray, v: np.ndarray) -> pd.DataFrame:
    inp = model.inputs
    years = list(inp.years)
    xm = model.x_meta.assign(value=x * model.x_meta["scale"])
    op = inp.operating_subsidy.set_index(["year", "channel"])["subsidy_per_slot_year_yuan"]
    f = inp.service_fraction
    rows = []
    conv = model.v_meta.assign(value=v)
    for y in years:
        cap_y = float((xm.loc[xm.year == y, "capital"] * xm.loc[xm.year == y, "value"]).sum())
        conv_y = float(conv.loc[conv.year == y, "value"].sum()) * inp.conversion_cost_yuan
        inc = xm[(xm.kind == "inclusive") & (xm.year <= y)]
        rate = op.loc[y].reindex(inc.channel).to_numpy()
        phi = np.where(inc.year.to_numpy() == y, f, 1.0)
        op_new = float((inc["value"].to_numpy() * rate * phi).sum())
        cv = conv[conv.year <= y]
        op_new += float(
            (cv["value"].to_numpy() * np.where(cv.year.to_numpy() == y, f, 1.0)).sum()
            * op.loc[(y, inp.existing_channel)]
        )
        amounts = {
            "capital_subsidy": cap_y,
            "conversion": conv_y,
            "operating_subsidy_new": op_new,
            "operating_subsidy_existing": model.committed[y],
        }
        for item, amount in amounts.items():
            zh, rule = BUDGET_ITEMS[item]
            city = inp.city_share_capital if rule == "capital" else inp.city_share_operating
            rows.append((y, item, zh, amount, amount * city, amount * (1 - city)))
    out = pd.DataFrame(rows, columns=["year", "item", "item_zh", "amount_yuan", "city_yuan", "district_yuan"])
    for c in ("amount_yuan", "city_yuan", "district_yuan"):
        out[c] = _clean(out[c], 2)
    return out


def _stock_table(model: AllocationModel, x: np.ndarray, v: np.ndarray, short: dict) -> pd.DataFrame:
    inp = model.inputs
    xm = model.x_meta.assign(value=x * model.x_meta["scale"])
    grid = inp.targets[["town_id", "year", "target_total", "target_inclusive", "min_inclusive"]].copy()
    add_tot = xm.groupby(["town_id", "year"])["value"].sum()
    add_inc = xm[xm.kind == "inclusive"].groupby(["town_id", "year"])["value"].sum()
    add_conv = model.v_meta.assign(value=v).groupby(["town_id", "year"])["value"].sum()
    key = pd.MultiIndex.from_frame(grid[["town_id", "year"]])
    grid["new_slots"] = add_tot.reindex(key).fillna(0).to_numpy(dtype=float)
    grid["new_inclusive"] = add_inc.reindex(key).fillna(0).to_numpy(dtype=float)
    grid["converted"] = add_conv.reindex(key).fillna(0).to_numpy(dtype=float)
    grid = grid.sort_values(["town_id", "year"])
    cum = grid.groupby("town_id")[["new_slots", "new_inclusive", "converted"]].cumsum()
    S0 = grid.town_id.map(inp.units["initial_total"])
    I0 = grid.town_id.map(inp.units["initial_inclusive"])
    grid["total_slots"] = S0 + cum["new_slots"]
    grid["inclusive_slots"] = I0 + cum["new_inclusive"] + cum["converted"]
    grid["market_slots"] = grid["total_slots"] - grid["inclusive_slots"]
    grid["shortfall_total"] = [short.get(("total", i, y), 0.0) for i, y in zip(grid.town_id, grid.year, strict=True)]
    grid["shortfall_inclusive"] = [
        short.get(("inclusive", i, y), 0.0) for i, y in zip(grid.town_id, grid.year, strict=True)
    ]
    grid["shortfall_coverage"] = [
        short.get(("coverage", i, y), 0.0) for i, y in zip(grid.town_id, grid.year, strict=True)
    ]
    grid["town"] = grid.town_id.map(inp.units["town"])
    order = {u: n for n, u in enumerate(inp.units.index)}
    grid = grid.sort_values(["year", "town_id"], key=lambda s: s.map(order) if s.name == "town_id" else s)
    cols = [
        "town_id",
        "town",
        "year",
        "total_slots",
        "inclusive_slots",
        "target_total",
        "target_inclusive",
        "shortfall_total",
        "shortfall_inclusive",
        "market_slots",
        "min_inclusive",
        "shortfall_coverage",
        "new_slots",
        "converted",
    ]
    out = grid[cols].reset_index(drop=True)
    for c in cols[3:]:
        out[c] = _clean(out[c])
    return out


# Family of a shortfall row -> its penalty key (the centre shares the coverage penalty).
PENALTY_OF = {
    "total": "total",
    "inclusive": "inclusive",
    "share": "share",
    "coverage": "coverage",
    "centre": "coverage",
}
# A met target's or a capacity's dual is read as penalty arithmetic (and translated into slots of
# shortfall) from half a slot of shortfall per slot on: no real way to provide a slot costs half a
# shortfall penalty (the penalties are set far above every cost, allocation.yaml).
PENALTY_LEVEL = 0.5
WAN = 10_000.0  # yuan per 万元: budget duals are per yuan, read per 万元


def _penalty_reference(inp: AllocationInputs, *shorts: dict) -> tuple[float | None, bool]:
    """Return the penalty per slot that prices the unmet targets, and whether several differ ('weighted').

    ``None`` when every target is met. With several different penalties among the unmet families
    the smallest is the reference: one 'weighted slot of shortfall' is one slot of the cheapest
    unmet target, a slot of a dearer target counts penalty / reference (docs/formulation.md).
    """
    keys = {PENALTY_OF[k[0]] for sh in shorts for k, u in sh.items() if u > UNMET_TOL}
    if not keys:
        return None, False
    pens = {float(inp.penalties[k]) for k in keys}
    return min(pens), len(pens) > 1


def _shadow_table(
    model: AllocationModel, ranging: dict | None, record: SolveRecord, stock: pd.DataFrame, short: dict, short_lp: dict
) -> tuple[pd.DataFrame, bool]:
    """Shadow prices of the (LP) ``model``; ``short`` the plan's shortfalls shown, ``short_lp`` the LP's."""
    inp = model.inputs
    rows = model.rows
    pis = np.array([c.pi if c.pi is not None else np.nan for c in rows.cons], dtype=float)
    slacks = np.array([c.slack if c.slack is not None else np.nan for c in rows.cons], dtype=float)
    fam = np.array(rows.family, dtype=object)
    # ≤ rows (capacity, budget) have duals ≤ 0 when minimising: report the saving as positive.
    sign = np.where(
        np.isin(fam, ["budget"]) | np.char.startswith(fam.astype(str), "capacity") | (fam == "conversion"), -1.0, 1.0
    )
    # Budget duals are per yuan (max_slots: ~1e-4 slot-years), so they keep more digits.
    value = np.where(fam == "budget", _clean(sign * np.nan_to_num(pis), 10), _clean(sign * np.nan_to_num(pis), 4))
    binding = np.abs(np.nan_to_num(slacks)) <= 1e-6
    totals = stock.groupby("year")["total_slots"].sum()
    scale = np.array(rows.scale, dtype=float)
    years = np.array(rows.year)
    # share rows: value per percentage point = dual × 1% of the district's slots that year
    is_share = fam == "share"
    value = np.where(is_share, _clean(value * scale * totals.reindex(years).fillna(0).to_numpy(), 4), value)
    n_vars = len(model.prob.variables())
    at_bound = sum(1 for v in model.prob.variables() if abs(v.varValue or 0.0) <= 1e-9)
    degenerate = bool(int(binding.sum()) + at_bound > n_vars)
    if ranging is not None:
        unique = ranging["unique"]
    else:
        unique = ~(binding & degenerate)
    # "Not met" is read from the row's own shortfall variable, never from the size of its dual.
    shortfall = np.array(
        [float(short.get((f_, t_, y_), 0.0)) for f_, t_, y_ in zip(rows.family, rows.town, rows.year, strict=True)]
    )
    unmet = shortfall > UNMET_TOL
    # Duals in slots of shortfall: value (objective per slot, per point, per yuan) / the penalty per slot.
    p_ref, weighted = _penalty_reference(inp, short, short_lp)
    per = np.where(fam == "budget", WAN, 1.0)
    n_slots = value * per / p_ref if p_ref else np.full(len(value), np.nan)
    translated = (((fam == "budget") & (value > 0)) | unmet | (n_slots >= PENALTY_LEVEL)) if p_ref else unmet & False
    value_slots = np.where(translated, _clean(n_slots, 4), np.nan)
    what = "weighted slots of shortfall" if weighted else "slots of shortfall"
    per_text = np.where(fam == "budget", "per 万元", np.where(is_share, "per percentage point", "per slot"))
    slots_unit = np.where(translated, [f"{what} {p}" for p in per_text], "")
    ctx = {
        "unit": OBJECTIVE_UNIT[inp.objective],
        "years": (inp.years[0], inp.years[-1]),
        "penalised": p_ref is not None,
        "weighted": weighted,
        "share_binds": {
            int(y)
            for y, b, val in zip(years[is_share], binding[is_share], value[is_share], strict=True)
            if b and val != 0
        },
    }
    names = inp.units["town"].to_dict()
    zh, en = [], []
    for f_, t_, y_, val, b, s_, n_ in zip(
        fam, rows.town, rows.year, value, binding, shortfall, value_slots, strict=True
    ):
        a, b_ = _sentence(f_, names.get(t_, "全区"), t_, y_, val, bool(b), s_, ctx, float(n_))
        zh.append(a)
        en.append(b_)
    unit = ctx["unit"]
    out = pd.DataFrame(
        {
            "constraint": [f"{f}-{t}-{y}" for f, t, y in zip(rows.family, rows.town, rows.year, strict=True)],
            "town_id": rows.town,
            "year": rows.year,
            "value_yuan": value if unit == "yuan" else np.full(len(value), np.nan),
            "meaning": zh,
            "meaning_en": en,
            "family": rows.family,
            "unique": unique,
            "binding": binding,
            "value": value,
            "unit": unit,
            "shortfall": _clean(shortfall),
            "value_slots": value_slots,
            "value_slots_unit": slots_unit,
        }
    )
    nonunique = ~out["unique"].astype(bool) & out["binding"]
    out.loc[nonunique, "meaning"] += "；该值不唯一（退化解），只是可能的取值之一"
    out.loc[nonunique, "meaning_en"] += "; not unique (degenerate LP): one of several valid values"
    return out, degenerate


def _count(x: float) -> str:
    """Slots for a sentence: whole numbers without decimals, a fractional LP value with one."""
    return f"{x:,.0f}" if abs(x - round(x)) < 1e-6 else f"{x:,.1f}"


def _per(n: float) -> str:
    return f"{n:,.2f}" if n < 10 else f"{n:,.1f}"


def _sentence(
    family: str,
    town: str,
    town_id: str,
    year: int,
    value: float,
    binding: bool,
    shortfall: float,
    ctx: dict,
    n_slots: float = float("nan"),
) -> tuple[str, str]:
    """One Chinese and one English sentence for a shadow price, in the objective's unit.

    ``ctx``: ``unit`` (``yuan`` or ``weighted slot-years``), ``years`` (first, last planned year),
    ``penalised`` (some target is unmet, so duals may carry penalties), ``weighted`` (the unmet
    targets' penalties differ), ``share_binds`` (years whose district-share row binds with a
    non-zero dual). ``n_slots``: the dual in slots of shortfall (NaN when not penalty arithmetic).
    """
    v = f"{value:,.0f}"
    yuan = ctx["unit"] == "yuan"
    y0, y1 = ctx["years"]
    span = f"{y0}–{y1}" if y0 != y1 else f"{y0}"
    unmet = shortfall > UNMET_TOL
    in_slots = not math.isnan(n_slots)
    gap_zh = "个加权托位缺口" if ctx.get("weighted") else "个托位缺口"
    gap_en = "weighted slots of shortfall" if ctx.get("weighted") else "slots of shortfall"
    money_zh = "目标函数值（含缺口罚金）" if ctx["penalised"] else "财政资金"
    money_en = "objective (with shortfall penalties)" if ctx["penalised"] else "public money"
    horizon_zh, horizon_en = (f"按{span}年支出计", f"spending in {span}") if yuan else (f"按{span}年计", span)
    if family in ("total", "inclusive", "coverage", "centre", "share"):
        what_zh = {
            "total": "托位",
            "inclusive": "普惠托位",
            "coverage": "普惠托位（全覆盖下限）",
            "centre": "区托育综合服务中心托位",
            "share": "普惠托位占比",
        }[family]
        what_en = {
            "total": "slot",
            "inclusive": "inclusive slot",
            "coverage": "inclusive slot (coverage minimum)",
            "centre": "district centre slot",
            "share": "inclusive share",
        }[family]
        if unmet:
            s = _count(shortfall)
            if family == "share":
                return (
                    f"{year}年全区普惠占比目标尚缺约{s}个普惠托位（罚金计入目标函数）",
                    f"{year}: the district inclusive share target is about {s} inclusive slots short "
                    "(the penalty is in the objective)",
                )
            inclusive = family in ("inclusive", "coverage")
            slot_zh, slot_en = ("普惠托位", "inclusive slots") if inclusive else ("托位", "slots")
            return (
                f"{year}年{town}{what_zh}目标未完成，缺{s}个{slot_zh}（罚金计入目标函数）",
                f"{year} {town_id}: the {what_en} target is not met: {s} {slot_en} short "
                "(the penalty is in the objective)",
            )
        if in_slots:
            # met, but the dual carries another target's penalty: say it in slots of shortfall
            if family == "share":
                return (
                    f"{year}年全区普惠托位占比每提高1个百分点，约增加{_per(n_slots)}{gap_zh}"
                    "（按罚金折算：其他目标未完成）",
                    f"{year}: each more point of inclusive share adds about {_per(n_slots)} {gap_en} "
                    "(penalties translated: other targets are not met)",
                )
            return (
                f"{year}年{town}每多要求1个{what_zh}，约增加{_per(n_slots)}{gap_zh}"
                "（该目标已完成；按罚金折算：其他目标未完成）",
                f"{year} {town_id}: each more {what_en} required adds about {_per(n_slots)} {gap_en} "
                "(this target is met; penalties translated: other targets are not met)",
            )
        if value == 0 and not binding:
            return (
                f"{year}年{town}{what_zh}已超过目标，该目标不构成约束",
                f"{year} {town_id}: the {what_en} target is exceeded and does not bind",
            )
        if value == 0 and family != "share":
            return (
                f"{year}年{town}每增加1个{what_zh}需{money_zh}约0元（目标恰好达到，成本计入其他约束，如全区普惠占比）",
                f"{year} {town_id}: one more {what_en} costs about ¥0 of {money_en} (the target is just met; "
                "the cost sits on another constraint such as the district share)",
            )
        # What the value covers: the plan years' spending only, and for a unit's slot its effect on
        # the district share when that row binds (the dual is net of the share row's price).
        note_zh, note_en = horizon_zh, horizon_en
        if family in ("inclusive", "coverage", "centre") and year in ctx["share_binds"]:
            note_zh += "；已扣除其对全区普惠占比的贡献"
            note_en += "; net of its contribution to the district inclusive share"
        elif family == "total" and year in ctx["share_binds"]:
            note_zh += "；含其对全区普惠占比要求的影响"
            note_en += "; including what it adds to the district share requirement"
        if family == "share":
            if yuan:
                return (
                    f"{year}年全区普惠托位占比每提高1个百分点，{money_zh}增加约{v}元（{note_zh}）",
                    f"{year}: one more percentage point of inclusive share costs about ¥{v} of {money_en} ({note_en})",
                )
            return (
                f"{year}年全区普惠托位占比每提高1个百分点，约少提供{v}个加权托位·年（{note_zh}）",
                f"{year}: one more percentage point of inclusive share costs about {v} weighted slot-years ({note_en})",
            )
        if yuan:
            return (
                f"{year}年{town}每增加1个{what_zh}需{money_zh}约{v}元（{note_zh}）",
                f"{year} {town_id}: one more {what_en} costs about ¥{v} of {money_en} ({note_en})",
            )
        return (
            f"{year}年{town}每多要求1个{what_zh}，约少提供{v}个加权托位·年（{note_zh}）",
            f"{year} {town_id}: each more {what_en} required costs about {v} weighted slot-years ({note_en})",
        )
    if family == "budget":
        if in_slots:
            if n_slots >= 0.005:
                return (
                    f"{year}年每增加1万元预算，可减少约{_per(n_slots)}{gap_zh}",
                    f"{year}: each extra ¥10,000 of budget removes about {_per(n_slots)} {gap_en}",
                )
            return (
                f"{year}年增加预算几乎不能减少托位缺口（缺口由产能等其他约束造成，每万元约{n_slots:.4f}个）",
                f"{year}: more budget hardly reduces the shortfalls (capacity or other limits cause them; "
                f"{n_slots:.4f} per ¥10,000)",
            )
        if yuan:
            return (
                f"{year}年预算每增加1元，{money_zh}减少约{value:,.4f}元",
                f"{year}: one more yuan of budget lowers the {money_en} by about {value:,.4f}",
            )
        per_wan = value * WAN
        return (
            f"{year}年每增加1万元预算可多提供约{per_wan:,.2f}个加权托位·年",
            f"{year}: each extra ¥10,000 of budget buys about {per_wan:,.2f} more weighted slot-years",
        )
    if family.startswith("capacity") or family == "conversion":
        ch = family.split("_", 1)[1] if "_" in family else "conversion"
        ch_zh = CHANNEL_LABEL_ZH.get(ch, "存量转普惠")
        if not binding:
            return (
                f"{year}年{town}{ch_zh}产能未用满（不构成约束）",
                f"{year} {town_id}: {ch} capacity is not exhausted",
            )
        if value == 0:
            # used up (or zero) but worth nothing at the margin: another slot would not be used
            return (
                f"{year}年{town}{ch_zh}产能已用满（或为0），但增加产能不会改变方案（影子价格为0）",
                f"{year} {town_id}: {ch} capacity is used up (or zero) but one more slot would not "
                "change the plan (shadow price 0)",
            )
        if in_slots:
            return (
                f"{year}年{town}{ch_zh}产能每增加1个托位，约可减少{_per(n_slots)}{gap_zh}",
                f"{year} {town_id}: one more slot of {ch} capacity removes about {_per(n_slots)} {gap_en}",
            )
        if yuan:
            return (
                f"{year}年{town}{ch_zh}产能每增加1个托位，可节省{money_zh}约{v}元",
                f"{year} {town_id}: one more slot of {ch} capacity saves about ¥{v} of {money_en}",
            )
        return (
            f"{year}年{town}{ch_zh}产能每增加1个托位，可多提供约{v}个加权托位·年",
            f"{year} {town_id}: one more slot of {ch} capacity adds about {v} weighted slot-years",
        )
    return (f"{family} {town} {year}: {v}", f"{family} {town_id} {year}: {v}")


def _centre_shortfall(inp: AllocationInputs, dist: pd.DataFrame, short: dict) -> list[float]:
    """Return the centre slots missing at each year-end.

    In the centre year the model's shortfall; in later years what is still not built (the
    requirement stands); 0 before the centre is due.
    """
    cy = inp.centre_year
    if inp.centre_slots <= 0 or cy is None or cy not in inp.years:
        return [0.0] * len(dist)
    out = []
    for y, built in zip(dist.year, dist.centre_slots, strict=True):
        if y == cy:
            out.append(float(short.get(("centre", "district", y), 0.0)))
        elif y > cy:
            out.append(float(_clean(max(0.0, inp.centre_slots - float(built)))))
        else:
            out.append(0.0)
    return out


def _shortfall_notes(inp: AllocationInputs, stock: pd.DataFrame, dist: pd.DataFrame) -> list[str]:
    """Return notes people must not miss: the district centre not (fully) built, units with no inclusive slot."""
    notes = []
    d = dist.set_index("year")
    cy = inp.centre_year
    if inp.centre_slots > 0 and cy in inp.years and d.at[cy, "shortfall_centre"] > UNMET_TOL:
        miss, built = float(d.at[cy, "shortfall_centre"]), float(d.at[cy, "centre_slots"])
        uc = inp.unit_costs.set_index(["channel", "kind"])["capital_public_yuan"]
        op = inp.operating_subsidy.set_index(["year", "channel"])["subsidy_per_slot_year_yuan"]
        per = float(uc.get(("centre", "inclusive"), np.nan)) + inp.service_fraction * float(op.get((cy, "centre"), 0))
        state_zh, state_en = (
            ("未建成", "is not built")
            if built <= UNMET_TOL
            else (f"未完全建成（建成{_count(built)}个）", f"is only partly built ({_count(built)} slots)")
        )
        notes.append(
            f"区托育综合服务中心{state_zh}：{cy}年缺{_count(miss)}个托位（预算不足时，模型优先把资金用于每元"
            f"能减少更多托位缺口的存量转化和较便宜的渠道；中心每个托位当年需财政资金约{per:,.0f}元） / the "
            f"district centre {state_en}: {_count(miss)} slots short in {cy} (with too little budget the "
            "model first funds conversions and cheaper channels, which remove more shortfall per yuan; "
            f"a centre slot needs about ¥{per:,.0f} in its first year)"
        )
    for y in inp.years:
        part = stock[(stock.year == y) & (stock.min_inclusive > 0)]
        none = part[part.inclusive_slots <= UNMET_TOL]
        if len(none):
            notes.append(
                f"普惠托育全覆盖未实现：{y}年末{'、'.join(none.town)}（{len(none)}个属地）没有普惠托位 / "
                f"inclusive coverage of every unit is missed: at end-{y} {', '.join(none.town_id)} "
                f"({len(none)} units) have no inclusive slot"
            )
    return notes


def _ranging(model: AllocationModel) -> dict | None:
    """Dual uniqueness from HiGHS's ranging: a dual valid only on one side of the rhs is not unique."""
    h = getattr(model.prob, "solverModel", None)
    if h is None or model.integer:
        return None
    try:
        status, rng = h.getRanging()
    except Exception:  # noqa: BLE001 - ranging is a nicety; fall back to the degeneracy count
        return None
    if str(status) != "HighsStatus.kOk":
        return None
    up = np.asarray(rng.row_bound_up.value_, dtype=float)
    dn = np.asarray(rng.row_bound_dn.value_, dtype=float)
    rhs = np.array([-(c.constant) for c in model.rows.cons], dtype=float)
    idx = np.array([c.index for c in model.rows.cons])
    if len(up) <= (idx.max() if len(idx) else -1):
        return None
    u, d = up[idx], dn[idx]
    tol = 1e-7 * (1 + np.abs(rhs))
    unique = ~((np.abs(u - rhs) <= tol) | (np.abs(d - rhs) <= tol))
    return {"unique": unique}


# --------------------------------------------------------------------------------------------
# Solve
# --------------------------------------------------------------------------------------------


@dataclass
class _Solved:
    model: AllocationModel
    record: SolveRecord
    x: np.ndarray
    v: np.ndarray
    short: dict


def _solve_model(model: AllocationModel, solver: str) -> _Solved:
    inp = model.inputs
    method = inp.highs_method
    if method == "auto":
        method = "ipm" if len(model.prob.variables()) >= inp.ipm_min_variables else "simplex"
    rec = run_solver(model.prob, solver, model.integer, inp.mip_rel_gap, method=method)
    x = _values(model.x_vars) * 1.0
    v = _values(model.v_vars)
    sv = _values(list(model.short.values()))
    if model.integer:
        # Integer columns come back within the solver's integrality tolerance (35.0000004); the
        # tables show whole numbers, so snap them, and snap shortfalls that are whole up to noise.
        x, v = np.round(x), np.round(v)
        near = np.abs(sv - np.round(sv)) <= 1e-6 * np.maximum(1.0, np.abs(sv))
        sv = np.where(near, np.round(sv), sv)
    short = dict(zip(model.short.keys(), sv, strict=True))
    return _Solved(model, rec, x, v, short)


def _year_spending(solved: _Solved) -> dict:
    money = _money_tables(solved.model, solved.x, solved.v)
    return money.groupby("year")["amount_yuan"].sum().to_dict()


def wan(yuan: float) -> str:
    """Money for a sentence people read: 万元 with two decimals (tables and the report speak 万元).

    Examples
    --------
    >>> wan(34_300_057), wan(214.29)
    ('3,430.01万元', '0.02万元')

    """
    return f"{yuan / WAN:,.2f}万元"


def _final_shortfall(inp: AllocationInputs, short: dict) -> float:
    """Slots missing at the last year-end, each counted once (as ``summary.json`` counts them).

    Town totals, plus the largest of the overlapping inclusive targets (units' inclusive targets,
    their coverage minimum, the district share), plus the district centre.
    """
    last = max(inp.years)

    def fam(f: str) -> float:
        return float(sum(u for k, u in short.items() if k[0] == f and k[2] == last))

    centre = float(sum(u for k, u in short.items() if k[0] == "centre"))
    return fam("total") + max(fam("inclusive"), fam("coverage"), fam("share")) + centre


def _rounding_note(inp: AllocationInputs, money: float, slots: float) -> str:
    """Say what whole slots or whole classes cost, in public money and in slots of shortfall.

    Examples
    --------
    >>> _rounding_note(_toy_inputs(), 214.29, 0.0).split(" / ")[0]
    '托位取整数使财政资金比线性规划（允许小数托位）增加0.02万元（取整代价，不含缺口罚金）'

    """
    what_zh, what_en = ("按整班建设", "whole classes") if inp.integer_classes else ("托位取整数", "whole slots")
    up_zh, up_en = ("增加", "raise") if money >= 0 else ("减少", "lower")
    zh = f"{what_zh}使财政资金比线性规划（允许小数托位）{up_zh}{wan(abs(money))}（取整代价，不含缺口罚金）"
    en = (
        f"{what_en} {up_en} public spending by ¥{abs(money):,.0f} over the linear program with fractional "
        "slots (the cost of rounding, without shortfall penalties)"
    )
    last = max(inp.years)
    if abs(slots) > UNMET_TOL:
        more_zh, more_en = ("多", "more") if slots > 0 else ("少", "fewer")
        zh += f"，{last}年底托位缺口{more_zh}{_count(abs(slots))}个"
        en += f", and {_count(abs(slots))} {more_en} slots of shortfall at end-{last}"
    return f"{zh} / {en}"


def solve(inputs: AllocationInputs) -> AllocationResult:
    """Solve the allocation and return tidy tables; values are read only from an Optimal solve.

    Runs the pre-solve check first (its findings go to ``result.notes``), then the model; with
    ``budget_share_of_need`` ≠ 1 it solves once without budget (same mode: whole slots when the
    run is in whole slots) to set each year's budget; with whole slots or whole classes it also
    solves the linear relaxation at the same data, for the shadow prices and the cost of rounding.

    Parameters
    ----------
    inputs : AllocationInputs

    Returns
    -------
    AllocationResult

    Raises
    ------
    SolverError
        The solver did not report an optimal solution (the message names the status and the cause).

    Examples
    --------
    >>> r = solve(_toy_inputs())
    >>> r.status, r.public_cost_yuan
    ('Optimal', 1000.0)

    """
    from tuoyu_model.allocation_check import presolve_notes

    solver, note = resolve_solver(inputs.solver)
    notes = [note] if note else []
    build = solve_time = own = 0.0
    budget = dict(inputs.budget)
    basis = {y: ("absolute" if budget.get(y) is not None else "none") for y in inputs.years}
    if inputs.budget_share_of_need != 1 and any(budget.get(y) is None for y in inputs.years):
        # Same mode as the plan itself, so '80% of need' is 80% of what the uncut plan spends.
        free = create_model(inputs, {y: None for y in inputs.years})
        s0 = _solve_model(free, solver)
        build += free.build_seconds
        solve_time += s0.record.wall_seconds
        own += s0.record.solver_seconds
        need = _year_spending(s0)
        for y in inputs.years:
            if budget.get(y) is None:
                budget[y] = inputs.budget_share_of_need * need[y]
                basis[y] = "share_of_need"
        notes.append(
            f"预算按无约束方案支出的{inputs.budget_share_of_need:.0%}确定："
            + "，".join(f"{y}年{wan(budget[y])}" for y in inputs.years)
            + " / budget set to "
            f"{inputs.budget_share_of_need:.0%} of the unconstrained plan's spending: "
            + ", ".join(f"{y} ¥{budget[y]:,.0f}" for y in inputs.years)
        )
    notes.extend(presolve_notes(inputs, budget))
    model = create_model(inputs, budget)
    build += model.build_seconds
    solved = _solve_model(model, solver)
    solve_time += solved.record.wall_seconds
    own += solved.record.solver_seconds
    lp_solved = solved
    rounding = lp_obj = rounding_short = None
    if model.integer:
        relax = create_model(inputs, budget, integer=False)
        build += relax.build_seconds
        lp_solved = _solve_model(relax, solver)
        solve_time += lp_solved.record.wall_seconds
        own += lp_solved.record.solver_seconds
        lp_obj = lp_solved.record.objective
        # Rounding is told in public money and in slots, never as an objective difference: with
        # unmet targets that difference is mostly shortfall penalties, which are not money.
        rounding = sum(_year_spending(solved).values()) - sum(_year_spending(lp_solved).values())
        rounding_short = _final_shortfall(inputs, solved.short) - _final_shortfall(inputs, lp_solved.short)
        notes.append(_rounding_note(inputs, rounding, rounding_short))
        notes.append(
            "影子价格取自同一数据的线性松弛（允许小数托位）的对偶值，表示边际上的变化 / the shadow prices are "
            "the duals of the linear relaxation at the same data (fractional slots allowed): changes at the "
            "margin"
        )
    return _result(solved, lp_solved, budget, basis, notes, build, solve_time, own, rounding, lp_obj, rounding_short)


def _result(
    solved: _Solved,
    lp_solved: _Solved,
    budget: dict,
    basis: dict,
    notes: list,
    build: float,
    solve_time: float,
    own: float,
    rounding,
    lp_obj,
    rounding_short=None,
) -> AllocationResult:
    model, inp = solved.model, solved.model.inputs
    xm = model.x_meta
    newv = solved.x * xm["scale"].to_numpy()
    town = inp.units["town"]
    alloc = xm[["town_id", "year", "channel", "kind"]].assign(new_slots=_clean(newv))
    alloc = alloc[alloc.new_slots > 0].copy()
    alloc.insert(1, "town", alloc.town_id.map(town))
    alloc = alloc.reset_index(drop=True)
    conv = model.v_meta.assign(slots=_clean(solved.v))
    conv = conv[conv.slots > 0].copy()
    conv.insert(1, "town", conv.town_id.map(town))
    conv = conv[["town_id", "town", "year", "slots"]].reset_index(drop=True)
    stock = _stock_table(model, solved.x, solved.v, solved.short)
    money = _money_tables(model, solved.x, solved.v)
    limits = pd.DataFrame(
        {
            "year": inp.years,
            "budget_yuan": [budget.get(y) if budget.get(y) is not None else np.nan for y in inp.years],
            "committed_yuan": [model.committed[y] for y in inp.years],
            "basis": [basis[y] for y in inp.years],
        }
    )
    dist = stock.groupby("year")[["total_slots", "inclusive_slots"]].sum().reset_index()
    dist["inclusive_share"] = _clean(dist.inclusive_slots / dist.total_slots.where(dist.total_slots > 0), 6)
    dist["share_target"] = dist.year.map(inp.share_target).fillna(0.0)
    dist["shortfall_share"] = [_clean(solved.short.get(("share", "district", y), 0.0)) + 0 for y in dist.year]
    cx = alloc[alloc.channel == "centre"].groupby("year")["new_slots"].sum().reindex(dist.year).fillna(0).cumsum()
    dist["centre_slots"] = cx.to_numpy()
    dist["shortfall_centre"] = _centre_shortfall(inp, dist, solved.short)
    lp_is_same = lp_solved is solved
    sp_stock = stock if lp_is_same else _stock_table(lp_solved.model, lp_solved.x, lp_solved.v, lp_solved.short)
    # Duals from the LP; the shortfalls named in the sentences are the plan's own (whole) ones.
    shadow, degenerate = _shadow_table(
        lp_solved.model, _ranging(lp_solved.model), lp_solved.record, sp_stock, solved.short, lp_solved.short
    )
    notes.extend(_shortfall_notes(inp, stock, dist))
    if degenerate:
        notes.append(
            "线性规划解退化：部分影子价格不唯一（见影子价格表“是否唯一”列） / the LP solution is "
            "degenerate: some shadow prices are not unique (see column 'unique')"
        )
    binding = shadow[shadow.binding].reset_index(drop=True)
    host = model.centre_host
    if model.centre_sites:
        host = next((i for i, z in model.centre_sites.items() if (z.varValue or 0) > 0.5), None)
    if float(alloc.loc[alloc.channel == "centre", "new_slots"].sum()) <= UNMET_TOL:
        host = None  # no centre slot built: naming a host would say the centre is somewhere
    public = float(money["amount_yuan"].sum())
    return AllocationResult(
        allocation=alloc,
        conversions=conv,
        stock=stock,
        budget=money,
        budget_limits=limits,
        district=dist,
        shadow_prices=shadow,
        binding=binding,
        status=solved.record.status,
        objective_value=solved.record.objective,
        public_cost_yuan=public,
        solver=solved.record.solver_name,
        solver_version=solved.record.solver_version,
        build_seconds=build,
        solve_seconds=solve_time,
        solver_seconds=own,
        notes=notes,
        objective=inp.objective,
        integer_classes=bool(model.integer and inp.integer_classes),
        whole_slots=model.integer,
        rounding_cost_yuan=None if rounding is None else float(_clean(rounding, 2)),
        lp_objective_value=lp_obj,
        rounding_shortfall_slots=None if rounding_short is None else float(_clean(rounding_short)),
        centre_unit=host,
        degenerate=degenerate,
    )


def solve_scenario(params: Mapping, **kwargs) -> AllocationResult:
    """Shortcut: :func:`inputs_from_parameters` then :func:`solve`.

    Examples
    --------
    >>> from tuoyu_model.parameters import load_scenario
    >>> r = solve_scenario(load_scenario("baseline").parameters)
    >>> r.status, float(r.stock.shortfall_total.sum())
    ('Optimal', 0.0)

    """
    return solve(inputs_from_parameters(params, **kwargs))


def _toy_inputs() -> AllocationInputs:
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
        operating_subsidy=pd.DataFrame({"year": 2024, "channel": list(CHANNELS), "subsidy_per_slot_year_yuan": 0.0}),
        conversion_cost_yuan=0.0,
        share_target={2024: 0.0},
        budget={2024: None},
        penalties=dict.fromkeys(PENALTY_KEYS, 1e6),
        tie_break=0.0,
    )
