"""The built allocation problem's containers, and the inputs indexed for the builders.

:class:`AllocationModel` (the PuLP problem with the metadata to read it back), the constraint
rows' metadata (:class:`_Rows`), the coefficient lookups every builder shares (:class:`_Data`,
made by :func:`prepare`), the row blocks that order the rows, and the objective's costing years
(:func:`costing_years`). The builders themselves are in :mod:`tuoyu_model.allocation.build`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
import pulp

from tuoyu_model.allocation.inputs import AllocationInputs
from tuoyu_model.costs import CHANNELS
from tuoyu_model.errors import DataError

TOL = 1e-6  # values below this (slots or yuan) are solver noise
GE, LE, EQ = pulp.LpConstraintGE, pulp.LpConstraintLE, pulp.LpConstraintEQ
# Row blocks, in the order rows reach the solver within a unit (then the district's rows).
TARGETS, CAPACITY, CONVERSION, PROJECT = 0, 1, 2, 3
SHARE, CENTRE, CENTRE_SITE, BUDGET, BUDGET_SOURCE, CENTRE_PROJECT = 0, 1, 2, 3, 4, 5
# Budget rows per source: family -> (the AllocationInputs field of its limits, whether it is the city's).
SOURCE_BUDGETS = {"budget_city": ("budget_city", True), "budget_district": ("budget_district", False)}


@dataclass
class _Rows:
    """Metadata of the named constraints, in the order they were added to the problem."""

    cons: list = field(default_factory=list)
    family: list = field(default_factory=list)
    town: list = field(default_factory=list)
    year: list = field(default_factory=list)
    scale: list = field(default_factory=list)  # e.g. slots per share point, for reading the duals
    pending: list = field(default_factory=list)  # (order key, row) until commit()

    def add(
        self,
        key: tuple,
        pairs: list,
        sense: int,
        rhs: float,
        family: str,
        town: str,
        year: int,
        scale: float = 1.0,
    ) -> None:
        """Queue the row ``family-town-year``; ``key`` places it (unit position, block)."""
        self.pending.append((key, pairs, sense, rhs, family, town, year, scale))

    def commit(self, prob: pulp.LpProblem) -> None:
        """Add the queued rows to ``prob``, sorted by key (stable: a builder's own order holds)."""
        for _key, pairs, sense, rhs, family, town, year, scale in sorted(self.pending, key=lambda r: r[0]):
            con = pulp.LpConstraint(
                pulp.LpAffineExpression(pairs), sense=sense, name=f"{family}-{town}-{year}", rhs=rhs
            )
            prob.addConstraint(con)
            self.cons.append(con)
            self.family.append(family)
            self.town.append(town)
            self.year.append(year)
            self.scale.append(scale)
        self.pending.clear()


@dataclass
class AllocationModel:
    """A built (not yet solved) allocation problem with the metadata to read it back.

    ``x_meta`` holds ``town_id, year, channel, kind, scale`` (slots per unit of the variable) and
    ``capital`` (public yuan per slot) of each new-slot variable; ``v_meta`` ``town_id, year`` of
    each conversion variable; ``short`` maps ``(family, town, year)`` to its shortfall variable.
    """

    prob: pulp.LpProblem
    inputs: AllocationInputs
    integer: bool
    x_vars: list = field(default_factory=list)
    x_meta: pd.DataFrame = field(default_factory=pd.DataFrame)
    v_vars: list = field(default_factory=list)
    v_meta: pd.DataFrame = field(default_factory=pd.DataFrame)
    short: dict = field(default_factory=dict)
    rows: _Rows = field(default_factory=_Rows)
    centre_sites: dict = field(default_factory=dict)  # town_id -> binary var (integer auto mode)
    centre_host: str | None = None
    committed: dict = field(default_factory=dict)  # year -> committed operating subsidy (yuan)
    committed_after: dict = field(default_factory=dict)  # year after the plan -> the same, to the horizon
    budget_rhs: dict = field(default_factory=dict)  # year -> yuan limit on decided spending, or None
    opens: dict = field(default_factory=dict)  # (town_id, channel, year) -> open variable (projects of real size)
    build_seconds: float = 0.0
    data: _Data | None = None


@dataclass
class _Data:
    """The inputs as the coefficient lookups the builders share."""

    years: list
    ypos: dict
    units: list
    upos: dict
    S0: dict
    I0: dict
    op: dict  # (year, channel) -> operating subsidy per slot-year
    cap: dict  # (town, channel, year) -> cumulative capacity (centre added by rule)
    vcap: dict  # (town, year) -> cumulative conversion capacity
    allowed: list  # (channel, kind, public capital per slot)
    T: dict
    TI: dict
    MI: dict
    centre_year: int | None  # the centre row's year (None: no row)
    classes: bool
    cat: str
    cyears: list = field(default_factory=list)  # costing years: the planned years, then those to the horizon
    disc: dict = field(default_factory=dict)  # costing year -> discount weight (1 when undiscounted)
    xm: list = field(default_factory=list)  # per x variable: (town, year, channel, kind, slots per unit, capital)
    vm: list = field(default_factory=list)  # per v variable: (town, year)
    by_unit_x: dict = field(default_factory=dict)  # town -> [(var, year, channel, kind, slots per unit)]
    by_unit_v: dict = field(default_factory=dict)  # town -> [(var, year)]


def _phi(tau: int, t: int, f: float) -> float:
    """Share of year ``t`` a slot opened in ``tau`` is in service: ``f`` in its first year, else 1."""
    return f if t == tau else 1.0


def costing_years(inputs: AllocationInputs) -> tuple[list[int], dict[int, float]]:
    """Return the years whose money the objective counts (the plan's, then to the horizon) and their weights.

    Year t weighs (1 + r)^−(t − first planned year); with r = 0 every weight is exactly 1.

    Examples
    --------
    >>> from dataclasses import replace
    >>> from tuoyu_model.allocation.inputs import toy_inputs
    >>> years, weight = costing_years(replace(toy_inputs(), horizon=2026, discount_rate=0.08))
    >>> years, [round(w, 4) for w in weight.values()]  # 1, 1/1.08, 1/1.08²
    ([2024, 2025, 2026], [1.0, 0.9259, 0.8573])

    """
    years = [int(y) for y in inputs.years]
    horizon = years[-1] if inputs.horizon is None else int(inputs.horizon)
    cyears = years + list(range(years[-1] + 1, horizon + 1))
    r = float(inputs.discount_rate)
    return cyears, {y: (1.0 + r) ** -(y - years[0]) if r else 1.0 for y in cyears}


def check_objective_inputs(inputs: AllocationInputs, op: dict[tuple[int, str], float], cyears: list[int]) -> None:
    """Refuse an objective the model cannot price: a year and channel without operating subsidy, or an unknown name.

    ``op`` maps (year, channel) to the operating subsidy per slot and year; ``cyears`` are the
    years the objective counts (:func:`costing_years`). The LP's builders and the sweep's
    matrices both check with this.

    Raises
    ------
    DataError
        No operating subsidy for some year and channel, or an objective other than min_cost / max_slots.

    """
    missing = [(y, c) for y in cyears for c in CHANNELS if (y, c) not in op]
    if missing:
        (year, channel) = missing[0]
        raise DataError(
            f"data/parameters/allocation.yaml：运营补贴表（pricing.operating_subsidy_table）缺少 {year} 年"
            f"渠道 '{channel}' 的补贴；请检查 operating_subsidy_rule 和 costing_horizon，"
            "使计入的每个年份和渠道都有补贴标准",
            en=f"allocation: no operating subsidy for channel '{channel}' in {year} "
            "(pricing.operating_subsidy_table); give one row per year and channel",
        )
    if inputs.objective not in ("min_cost", "max_slots"):
        raise DataError(
            f"data/parameters/allocation.yaml: 'objective' = '{inputs.objective}' 不是可选值；"
            "应为 min_cost 或 max_slots",
            en=f"data/parameters/allocation.yaml: 'objective' = '{inputs.objective}'; expected min_cost or max_slots",
        )


def _rows(df: pd.DataFrame, *cols: str):
    """Iterate the columns ``cols`` of ``df`` as plain tuples (much faster than itertuples)."""
    return zip(*(df[c].tolist() for c in cols), strict=True)


def prepare(inputs: AllocationInputs, integer: bool) -> _Data:
    """Check the inputs the model needs and index them for the builders.

    Raises
    ------
    DataError
        No operating subsidy for some year and channel, or an unknown objective.

    """
    years = list(inputs.years)
    cyears, disc = costing_years(inputs)
    units = list(inputs.units.index)
    op = {
        (int(r[0]), r[1]): float(r[2])
        for r in _rows(inputs.operating_subsidy, "year", "channel", "subsidy_per_slot_year_yuan")
    }
    check_objective_inputs(inputs, op, cyears)
    tgt = inputs.targets
    keys = list(zip(tgt.town_id.tolist(), tgt.year.astype(int).tolist(), strict=True))
    return _Data(
        years=years,
        ypos={y: j for j, y in enumerate(years)},
        units=units,
        upos={i: n for n, i in enumerate(units)},
        S0=inputs.units["initial_total"].to_dict(),
        I0=inputs.units["initial_inclusive"].to_dict(),
        op=op,
        cap={
            (i, c, int(y)): float(v)
            for i, c, y, v in _rows(inputs.capacity, "town_id", "channel", "year", "capacity_slots")
            if c != "centre"
        },
        vcap={
            (i, int(y)): float(v) for i, y, v in _rows(inputs.conversion_capacity, "town_id", "year", "capacity_slots")
        },
        allowed=[(c, k, float(a)) for c, k, a in _rows(inputs.unit_costs, "channel", "kind", "capital_public_yuan")],
        T=dict(zip(keys, tgt.target_total.astype(float).tolist(), strict=True)),
        TI=dict(zip(keys, tgt.target_inclusive.astype(float).tolist(), strict=True)),
        MI=dict(zip(keys, tgt.min_inclusive.astype(float).tolist(), strict=True)),
        centre_year=None,
        classes=integer and inputs.integer_classes,
        cat=pulp.LpInteger if integer else pulp.LpContinuous,
        cyears=cyears,
        disc=disc,
    )
