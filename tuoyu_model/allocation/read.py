"""Read a solved allocation back into tidy tables of numbers, and the notes as records.

Here lives the one city/district split of the money (:func:`money_table`, :func:`funding_sources`);
the slots still missing are counted in :mod:`tuoyu_model.allocation.shortfall`. Nothing here writes a
sentence: notes are :class:`Note` records and the shadow-price table holds numbers and codes;
:mod:`tuoyu_model.presentation.sentences` turns both into Chinese and English.
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
# Unit of the objective, hence of every dual: yuan (min_cost) or inclusive-weighted slot-years (max_slots).
OBJECTIVE_UNIT = {"min_cost": "yuan", "max_slots": "weighted slot-years"}
# Budget items and the city's share that funds each: capital (and conversions) or operating.
FUNDING_RULE = {
    "capital_subsidy": "capital",
    "conversion": "capital",
    "operating_subsidy_new": "operating",
    "operating_subsidy_existing": "operating",
}
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
# A budget dual is per yuan; in slots of shortfall it is read per 10,000 yuan (1 万元, the unit of
# money in the tables people read).
BUDGET_DUAL_STEP_YUAN = 10_000.0
# Families of the budget rows: the total, and the city's and the district's own limits (read alike).
BUDGET_FAMILIES = ("budget", "budget_city", "budget_district")
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
        What the plan's priority stages held (``allocation.solve.solve_in_priority``): ``stage``
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
    # The plan's solve (allocation.solve.Solved: the built model and its values), re-solved by allocation.marginal.
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


def penalty_reference(inp: AllocationInputs, *shorts: dict) -> tuple[float | None, bool]:
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


def shadow_table(
    model: AllocationModel, ranging: dict | None, stock: pd.DataFrame, short: dict, short_lp: dict
) -> tuple[pd.DataFrame, bool, ShadowReading]:
    """Return the shadow prices of the (LP) ``model`` as numbers, whether it is degenerate, and how to read them.

    ``short`` holds the plan's shortfalls (shown), ``short_lp`` the LP's. ``value`` is the dual
    in the objective's unit (``unit``), per slot, per share point (share rows) or per yuan
    (budget rows), positive when more of the right-hand side helps; ``value_slots`` the same in
    slots of shortfall where it is penalty arithmetic (NaN elsewhere).
    """
    inp = model.inputs
    rows = model.rows
    pis = np.array([c.pi if c.pi is not None else np.nan for c in rows.cons], dtype=float)
    slacks = np.array([c.slack if c.slack is not None else np.nan for c in rows.cons], dtype=float)
    fam = np.array(rows.family, dtype=object)
    is_budget = np.isin(fam, BUDGET_FAMILIES)
    # ≤ rows (capacity, budget) have duals ≤ 0 when minimising: report the saving as positive.
    sign = np.where(is_budget | np.char.startswith(fam.astype(str), "capacity") | (fam == "conversion"), -1.0, 1.0)
    # Budget duals are per yuan (max_slots: ~1e-4 slot-years), so they keep more digits.
    value = np.where(is_budget, clean(sign * np.nan_to_num(pis), 10), clean(sign * np.nan_to_num(pis), 4))
    binding = np.abs(np.nan_to_num(slacks)) <= 1e-6
    totals = stock.groupby("year")["total_slots"].sum()
    scale = np.array(rows.scale, dtype=float)
    years = np.array(rows.year)
    # share rows: value per percentage point = dual × 1% of the district's slots that year
    is_share = fam == "share"
    value = np.where(is_share, clean(value * scale * totals.reindex(years).fillna(0).to_numpy(), 4), value)
    n_vars = len(model.prob.variables())
    at_bound = sum(1 for v in model.prob.variables() if abs(v.varValue or 0.0) <= 1e-9)
    degenerate = bool(int(binding.sum()) + at_bound > n_vars)
    unique = ranging["unique"] if ranging is not None else ~(binding & degenerate)
    # The range over which each dual holds, in the row's own step (slots, share points, yuan):
    # a shadow price is an instantaneous rate, true only while the right-hand side stays in it.
    per_step = np.where(is_share, scale * totals.reindex(years).fillna(0).to_numpy(), 1.0)
    per_step = np.where(per_step > 0, per_step, np.nan)
    if ranging is not None:
        holds_down = np.where(np.isinf(ranging["down"]), np.nan, clean(ranging["down"] / per_step, 4))
        holds_up = np.where(np.isinf(ranging["up"]), np.nan, clean(ranging["up"] / per_step, 4))
    else:
        holds_down = holds_up = np.full(len(value), np.nan)
    # "Not met" is read from the row's own shortfall variable, never from the size of its dual.
    shortfall = np.array(
        [float(short.get((f_, t_, y_), 0.0)) for f_, t_, y_ in zip(rows.family, rows.town, rows.year, strict=True)]
    )
    unmet = shortfall > UNMET_TOL
    # Duals in slots of shortfall: value (objective per slot, per point, per yuan) / the penalty per slot.
    p_ref, weighted = penalty_reference(inp, short, short_lp)
    per = np.where(is_budget, BUDGET_DUAL_STEP_YUAN, 1.0)
    n_slots = value * per / p_ref if p_ref else np.full(len(value), np.nan)
    translated = ((is_budget & (value > 0)) | unmet | (n_slots >= PENALTY_LEVEL)) if p_ref else unmet & False
    unit = OBJECTIVE_UNIT[inp.objective]
    out = pd.DataFrame(
        {
            "constraint": [f"{f}-{t}-{y}" for f, t, y in zip(rows.family, rows.town, rows.year, strict=True)],
            "town_id": rows.town,
            "year": rows.year,
            "value_yuan": value if unit == "yuan" else np.full(len(value), np.nan),
            "family": rows.family,
            "unique": unique,
            "binding": binding,
            "value": value,
            "unit": unit,
            "shortfall": clean(shortfall),
            "value_slots": np.where(translated, clean(n_slots, 4), np.nan),
            "ranged": ranging is not None,
            "holds_down": holds_down,
            "holds_up": holds_up,
        }
    )
    # Project rows (openings of real size) bind by construction and price no requirement: left out.
    out = out[~out["family"].astype(str).str.startswith("project")].reset_index(drop=True)
    reading = ShadowReading(
        first_year=inp.years[0],
        last_year=inp.years[-1],
        penalty_per_slot=p_ref,
        weighted=weighted,
        towns=inp.units["town"].to_dict(),
    )
    return out, degenerate, reading


def ranging(model: AllocationModel) -> dict | None:
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
    # How far each right-hand side may fall or rise with its dual unchanged (inf: no limit that side).
    big = 1e29  # HiGHS writes an unlimited side as ±kHighsInf (1e30)
    down = np.where(np.abs(d) >= big, np.inf, np.maximum(rhs - d, 0.0))
    up_ = np.where(np.abs(u) >= big, np.inf, np.maximum(u - rhs, 0.0))
    return {"unique": unique, "down": down, "up": up_}
