"""Read a solved allocation back into tidy tables of numbers, and the notes as records.

Here lives the one city/district split of the money (:func:`money_table`, :func:`funding_sources`);
the slots still missing are counted in :mod:`tuoyu_model.allocation.shortfall`, the shadow prices
read in :mod:`tuoyu_model.allocation.sensitivity`. Nothing here writes a sentence: notes are
:class:`Note` records; :mod:`tuoyu_model.presentation.sentences` words them in Chinese and English.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np
import pandas as pd

from tuoyu_model.allocation.build import AllocationModel
from tuoyu_model.allocation.inputs import AllocationInputs
from tuoyu_model.errors import SolverError

TOL = 1e-6  # values below this (slots or yuan) are solver noise
UNMET_TOL = 1e-6  # slots: a row's shortfall above this means its target is not met
# Budget items and the city's share that funds each: capital (and conversions) or operating.
FUNDING_RULE = {
    "capital_subsidy": "capital",
    "conversion": "capital",
    "operating_subsidy_new": "operating",
    "operating_subsidy_existing": "operating",
}
SHORTFALL_KINDS = ("total", "inclusive", "coverage", "share", "centre")


@dataclass(frozen=True)
class Note:
    """A finding of the allocation worth telling people, as a code and its numbers.

    ``code`` names the finding (e.g. ``centre_short``, ``rounding``); ``values`` holds what the
    sentence needs. :func:`tuoyu_model.presentation.sentences.note_text` words it.
    """

    code: str
    values: dict = field(default_factory=dict)


@dataclass(frozen=True)
class ShadowReading:
    """What reading the shadow prices needs beyond the table: the years, the penalties, the names.

    ``penalty_per_slot`` is the penalty (objective per slot) that prices the unmet targets
    (``None``: every target met, so no dual carries a penalty); ``weighted``: the unmet targets'
    penalties differ, so a slot of shortfall is weighted by its penalty; ``towns``: unit id → name.
    """

    first_year: int
    last_year: int
    penalty_per_slot: float | None
    weighted: bool
    towns: Mapping[str, str]


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
        ``year, item, amount_yuan, city_yuan, district_yuan`` (items capital_subsidy,
        conversion, operating_subsidy_new, operating_subsidy_existing).
    budget_limits : DataFrame
        ``year, budget_yuan, committed_yuan, basis`` (basis: none / absolute / share_of_need).
    budget_by_unit : DataFrame
        ``town_id, year, item, amount_yuan``: ``budget`` by unit, adding up to it to the cent
        (:func:`money_by_unit`).
    commitments : DataFrame
        ``year, item, amount_yuan, city_yuan, district_yuan``: the operating subsidies the plan
        commits in each year after it, to the costing horizon
        (:func:`tuoyu_model.allocation.commitments.commitments_table`).
    district : DataFrame
        ``year, total_slots, inclusive_slots, inclusive_share, share_target, shortfall_share,
        centre_slots, shortfall_centre``.
    shadow_prices : DataFrame
        ``constraint, town_id, year, value_yuan, family, unique, binding, value, unit,
        shortfall, value_slots`` (numbers and codes; the sentences are added by
        :func:`tuoyu_model.presentation.shadow_sentences.shadow_price_sentences` with ``shadow_reading``).
    binding : DataFrame
        The binding rows of ``shadow_prices``.
    notes : list of Note
        Pre-solve findings and remarks, in order (:func:`~tuoyu_model.presentation.sentences.note_text`).
    whole_slots : bool
        Whether slots and conversions were solved as whole numbers (MILP); then the shadow prices
        come from the linear relaxation at the same data, and
        ``rounding_cost_yuan`` = public money of the MILP plan − that of the relaxation (yuan, no
        penalties; may be negative when rounding leaves more slots unbuilt) and
        ``rounding_shortfall_slots`` = the plan's final-year shortfall − the relaxation's (slots,
        counted once as in ``summary.json``'s ``shortfall_final_slots``).
    centre_unit : str or None
        The unit hosting the district centre; ``None`` when no centre slot is built.
    solve_count : int
        Solver calls made (the budget-setting solve, the plan's stages, the relaxation's).
    stages : list of dict
        What the plan's priority stages held (``allocation.priority.solve_in_priority``): ``stage``
        (``tier``, ``equity`` or ``unit``), ``tier``, ``families``, ``key`` and ``value``; empty
        when the first solve met every requirement.

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
    notes: list[Note]
    shadow_reading: ShadowReading | None = None
    objective: str = "min_cost"
    integer_classes: bool = False
    whole_slots: bool = False
    rounding_cost_yuan: float | None = None
    lp_objective_value: float | None = None
    rounding_shortfall_slots: float | None = None
    centre_unit: str | None = None
    degenerate: bool = False
    budget_by_unit: pd.DataFrame = field(default_factory=pd.DataFrame)
    commitments: pd.DataFrame = field(default_factory=pd.DataFrame)
    solve_count: int = 0
    stages: list = field(default_factory=list)
    # The plan's solve (allocation.priority.Solved: the built model and its values), re-solved by allocation.marginal.
    plan: Any = None

    def __deepcopy__(self, memo: dict) -> AllocationResult:
        # The tables are copied; the solved model (``plan``, holding the live solver) is shared,
        # as it cannot be copied and a copy's tables no longer describe it.
        out = copy.copy(self)
        for f in fields(self):
            if f.name != "plan":
                setattr(out, f.name, copy.deepcopy(getattr(self, f.name), memo))
        return out

    @property
    def district_share(self) -> pd.Series:
        """Inclusive share of all slots reached at each year-end, indexed by year."""
        return self.district.set_index("year")["inclusive_share"]


def values(variables: list) -> np.ndarray:
    """Return the solved values of ``variables``, solver noise set to 0.

    Raises
    ------
    SolverError
        Some variable has no value although the solve reported 'Optimal'.

    """
    vals = np.fromiter(
        (v.varValue if v.varValue is not None else np.nan for v in variables), float, count=len(variables)
    )
    if np.isnan(vals).any():
        raise SolverError(
            "data/parameters/allocation.yaml: 求解器报告 'Optimal'，却没有给出部分变量的取值；"
            "请换一个求解器重新运行（--set solver=cbc）",
            en="allocation: the solver returned no value for some variables although it reported "
            "'Optimal'; rerun with --set solver=cbc",
        )
    vals[np.abs(vals) < TOL] = 0.0
    return vals


def clean(a: np.ndarray | pd.Series, digits: int = 6):
    """Round solver output so two runs write identical files (and -0.0 never shows)."""
    return np.round(np.asarray(a, dtype=float), digits) + 0.0


def city_share(inputs: AllocationInputs, item: str) -> float:
    """Return the city's share of a budget item: the one city/district split rule.

    Examples
    --------
    >>> from tuoyu_model.allocation.inputs import toy_inputs
    >>> city_share(toy_inputs(), "conversion"), city_share(toy_inputs(), "operating_subsidy_new")
    (0.5, 0.5)

    """
    rule = FUNDING_RULE[item]
    return inputs.city_share_capital if rule == "capital" else inputs.city_share_operating


def money_table(model: AllocationModel, x: np.ndarray, v: np.ndarray) -> pd.DataFrame:
    """Return the public money of a solution by year and item, split between city and district.

    Capital in the year a slot is built, operating subsidies for every inclusive slot in service
    (a part-year in its first year), the committed subsidies of the existing inclusive slots.

    Returns
    -------
    DataFrame
        ``year, item, amount_yuan, city_yuan, district_yuan`` (yuan, to the cent).

    """
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
            city = city_share(inp, item)
            rows.append((y, item, amount, amount * city, amount * (1 - city)))
    out = pd.DataFrame(rows, columns=["year", "item", "amount_yuan", "city_yuan", "district_yuan"])
    for c in ("amount_yuan", "city_yuan", "district_yuan"):
        out[c] = clean(out[c], 2)
    return out


def money_by_unit(model: AllocationModel, x: np.ndarray, v: np.ndarray, budget: pd.DataFrame) -> pd.DataFrame:
    """Return :func:`money_table`'s public money by unit, year and item, adding up to it to the cent.

    The same rules as :func:`money_table` applied unit by unit: capital where a slot is built,
    operating subsidies where the inclusive slot (or converted slot) is in service, the committed
    subsidies of each unit's existing inclusive slots. Each unit's amount is rounded to the cent
    and the rounding remainder of a year and item (a few cents at most) given to its largest
    unit, so the units add up to ``budget`` (``money_table``'s rounded rows) exactly.

    Returns
    -------
    DataFrame
        ``town_id, year, item, amount_yuan`` for every unit, year and item (zeros included).

    """
    inp, d = model.inputs, model.data
    op = inp.operating_subsidy.set_index(["year", "channel"])["subsidy_per_slot_year_yuan"]
    f = inp.service_fraction
    xm = model.x_meta.assign(value=x * model.x_meta["scale"])
    conv = model.v_meta.assign(value=v)
    units = list(d.units)
    rows = []
    for y in inp.years:
        xy = xm[xm.year == y]
        capital = (xy["capital"] * xy["value"]).groupby(xy["town_id"]).sum()
        conversion = conv[conv.year == y].groupby("town_id")["value"].sum() * inp.conversion_cost_yuan
        inc = xm[(xm.kind == "inclusive") & (xm.year <= y)]
        op_x = inc["value"] * op.loc[y].reindex(inc.channel).to_numpy() * np.where(inc.year == y, f, 1.0)
        cv = conv[conv.year <= y]
        op_v = cv["value"] * np.where(cv.year == y, f, 1.0) * op.loc[(y, inp.existing_channel)]
        op_new = op_x.groupby(inc["town_id"]).sum().add(op_v.groupby(cv["town_id"]).sum(), fill_value=0.0)
        existing = pd.Series({i: op.loc[(y, inp.existing_channel)] * d.I0[i] for i in units})
        for item, by_unit in (
            ("capital_subsidy", capital),
            ("conversion", conversion),
            ("operating_subsidy_new", op_new),
            ("operating_subsidy_existing", existing),
        ):
            by_unit = by_unit.reindex(units, fill_value=0.0).astype(float)
            cents = np.round(by_unit.to_numpy() * 100)
            total = budget.loc[(budget.year == y) & (budget.item == item), "amount_yuan"]
            target = round(float(total.iloc[0]) * 100) if len(total) else cents.sum()
            cents[int(np.argmax(np.abs(cents)))] += target - cents.sum()  # the cents of rounding
            rows += [(i, y, item, c / 100) for i, c in zip(units, cents, strict=True)]
    out = pd.DataFrame(rows, columns=["town_id", "year", "item", "amount_yuan"])
    out["amount_yuan"] = clean(out["amount_yuan"], 2)
    return out


def funding_sources(budget: pd.DataFrame) -> pd.DataFrame:
    """Return :func:`money_table`'s city/district split as rows: ``year, item, funding_source, amount_yuan``.

    Examples
    --------
    >>> b = pd.DataFrame({"year": [2025], "item": ["capital_subsidy"], "amount_yuan": [100.0],
    ...                   "city_yuan": [50.0], "district_yuan": [50.0]})
    >>> funding_sources(b).values.tolist()
    [[2025, 'capital_subsidy', 'city', 50.0], [2025, 'capital_subsidy', 'district', 50.0]]

    """
    rows = []
    for r in budget.itertuples(index=False):
        for source, amount in (("city", float(r.city_yuan)), ("district", float(r.district_yuan))):
            rows.append({"year": int(r.year), "item": r.item, "funding_source": source, "amount_yuan": amount})
    return pd.DataFrame(rows, columns=["year", "item", "funding_source", "amount_yuan"])


def stock_table(model: AllocationModel, x: np.ndarray, v: np.ndarray, short: dict) -> pd.DataFrame:
    """Return the stock at each year-end by unit against its targets, with the shortfalls of ``short``."""
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
        out[c] = clean(out[c])
    return out
