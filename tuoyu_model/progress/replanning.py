"""Re-planning the rest of the period from the reported stock, compared with the scenario's own plan.

The original plan is the scenario's result (``run_model(scenario).tables``): it is read, never
solved again; only the re-plan is solved here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import numpy as np
import pandas as pd

from tuoyu_model.allocation import inputs_from_parameters, solve
from tuoyu_model.data import starting_stock
from tuoyu_model.errors import DataError, pick
from tuoyu_model.parameters import apply_overrides
from tuoyu_model.presentation.sentences import budget_item_labels
from tuoyu_model.progress.returns import annex_units, latest_reports

# The original plan's tables the comparison reads (names of run_model's result tables).
ORIGINAL_TABLES = ("allocation", "conversions", "stock", "budget")


def replan_stock(progress: pd.DataFrame, targets: pd.DataFrame, towns: pd.DataFrame) -> pd.DataFrame:
    """Return the re-plan's starting stock: latest report, or the end-2023 stock for units that did not report.

    Returns
    -------
    pandas.DataFrame
        ``town_id, town, total_slots, inclusive_slots, stock_source`` (``reported`` or
        ``not_reported_2023_stock``), in the annex's order.

    """
    latest = latest_reports(progress, targets)
    out = latest[["town_id", "town"]].copy()
    stock = starting_stock(towns)
    base_t, base_i = latest.town_id.map(stock["total"]), latest.town_id.map(stock["inclusive"])
    out["total_slots"] = latest.total_slots.where(latest.reported, base_t).astype(float)
    out["inclusive_slots"] = latest.inclusive_slots.where(latest.reported, base_i).astype(float)
    out["stock_source"] = np.where(latest.reported, "reported", "not_reported_2023_stock")
    return out


def _unit_money(allocation: pd.DataFrame, conversions: pd.DataFrame, inputs: object) -> pd.Series:
    """Public capital money (new slots and conversions) by unit, yuan, from a plan's tables."""
    cost = inputs.unit_costs.set_index(["channel", "kind"])["capital_public_yuan"]
    a = allocation
    money = (
        (a.new_slots * [cost.get((c, k), 0.0) for c, k in zip(a.channel, a.kind, strict=True)]).groupby(a.town_id).sum()
        if len(a)
        else pd.Series(dtype=float)
    )
    conv = (
        conversions.groupby("town_id")["slots"].sum() * inputs.conversion_cost_yuan
        if len(conversions)
        else pd.Series(dtype=float)
    )
    return money.add(conv, fill_value=0.0).reindex(inputs.units.index).fillna(0.0)


def channel_options(inputs: object, allocation: pd.DataFrame) -> pd.DataFrame:
    """Tabulate each unit's channels for the re-planned first year: room left and public money per slot.

    One row per unit × allowed channel × kind (district centre excluded): ``capacity_slots``
    (new slots the channel can open by the first re-planned year-end, from the parameters),
    ``replan_slots`` (what the re-plan builds there that year, either kind), ``room_slots``
    (capacity − re-plan, at least 0), ``public_yuan_per_slot`` (capital subsidy plus one
    year's operating subsidy of the kind: a market slot gets neither), ranked cheapest first
    within each unit and kind.
    """
    year = min(inputs.years)
    cap = inputs.capacity[(inputs.capacity.year == year) & (inputs.capacity.channel != "centre")]
    built = allocation[allocation.year == year].groupby(["town_id", "channel"])["new_slots"].sum()
    op = inputs.operating_subsidy[inputs.operating_subsidy.year == year].set_index("channel")
    costs = inputs.unit_costs[inputs.unit_costs.channel != "centre"]
    out = cap.merge(costs, on="channel")
    out["replan_slots"] = [float(built.get((t, c), 0.0)) for t, c in zip(out.town_id, out.channel, strict=True)]
    out["room_slots"] = (out.capacity_slots - out.replan_slots).clip(lower=0.0)
    operating = out.channel.map(op["subsidy_per_slot_year_yuan"]).fillna(0.0)
    out["public_yuan_per_slot"] = out.capital_public_yuan + operating.where(out.kind == "inclusive", 0.0)
    out = out.sort_values(["town_id", "kind", "public_yuan_per_slot"], kind="stable")
    cols = [
        "town_id",
        "year",
        "channel",
        "kind",
        "capacity_slots",
        "replan_slots",
        "room_slots",
        "public_yuan_per_slot",
    ]
    return out[cols].reset_index(drop=True)


def replan(
    progress: pd.DataFrame,
    params: Mapping,
    targets: pd.DataFrame,
    towns: pd.DataFrame,
    as_of: dt.date,
    original: Mapping[str, pd.DataFrame],
    stock: pd.DataFrame | None = None,
) -> dict[str, pd.DataFrame]:
    """Re-solve the allocation for the rest of the period from the reported stock, and compare.

    The original plan is the scenario's from the end-2023 stock, given as its result tables
    (``original``); the re-plan solves the years from ``as_of``'s year (the next year when
    ``as_of`` is 31 December) from the reported stock (:func:`replan_stock`). When a unit
    reports a district centre (区托育综合服务中心) in service, the re-plan no longer asks for one.

    Parameters
    ----------
    progress, targets, towns : DataFrame
        Returns, annex, unit table.
    params : Parameters
        Scenario parameters (those the original plan was solved with).
    as_of : date
        Evaluation date.
    original : mapping of str to DataFrame
        The original plan's tables ``allocation, conversions, stock, budget``: the scenario's
        :func:`~tuoyu_model.results.run_model` result ``.tables``.
    stock : DataFrame, optional
        Starting stock (``town_id, total_slots, inclusive_slots``) instead of :func:`replan_stock`.

    Returns
    -------
    dict of DataFrame
        ``replan_changes`` (one row per unit: ``town_id, town, stock_source, total_slots,
        inclusive_slots, built_since_2023, built_in_replan_years, new_slots_original,
        new_slots_replan, new_slots_change, capital_original_yuan, capital_replan_yuan,
        capital_change_yuan, shortfall_total_replan, shortfall_inclusive_replan``; both plans
        counted from the reported stock: ``new_slots_original`` is the original plan's new slots
        in the re-planned years less those already built in them (``built_in_replan_years``:
        reported stock − the original plan's stock at the start of those years, within
        [0, its new slots]), ``capital_original_yuan`` its public capital money for new and
        converted slots scaled by the share still to build),
        ``replan_allocation`` (the re-plan's ``town_id, town, year, channel, kind, new_slots``),
        ``replan_stock`` (its year-end stock), ``replan_budget`` (``plan, year, item, item_zh,
        amount_yuan`` for both plans over the re-planned years), ``replan_options`` (each
        unit's channels, room and public money per slot: :func:`channel_options`).

    Raises
    ------
    DataError
        ``as_of`` is after the end of the plan.
    KeyError
        ``original`` lacks one of the tables above.

    """
    first = as_of.year + 1 if (as_of.month, as_of.day) == (12, 31) else as_of.year
    last = int(params["plan_years"]["last"])
    if first > last:
        raise DataError(
            f"--as-of {as_of}：规划期到 {last} 年为止，没有剩余的年份可以重新测算",
            en=f"--as-of {as_of}: the plan ends in {last}; nothing left to re-plan",
        )
    missing = [name for name in ORIGINAL_TABLES if name not in original]
    if missing:
        lacks = ", ".join(missing)
        raise KeyError(
            pick(
                f"replan：原方案缺少表 {lacks}；请传入 run_model(...).tables",
                f"replan: the original plan lacks the tables {lacks}; pass run_model(...).tables",
            )
        )
    start = replan_stock(progress, targets, towns) if stock is None else stock
    rp_params = params
    if "institutions_centre" in progress and progress.institutions_centre.sum() > 0 and hasattr(params, "meta"):
        rp_params = apply_overrides(params, {"district_centre_slots": 0}, "进度报表（区托育综合服务中心已投入使用）")
    inputs = inputs_from_parameters(
        rp_params, targets, towns, initial_stock=start[["town_id", "total_slots", "inclusive_slots"]], first_year=first
    )
    result = solve(inputs)  # solve() silences HiGHS' native banner itself
    years = inputs.years
    orig_alloc = original["allocation"][original["allocation"].year.isin(years)]
    orig_conv = original["conversions"]
    orig_conv = orig_conv[orig_conv.year.isin(years)] if len(orig_conv) else orig_conv
    orig_stock, orig_budget = original["stock"], original["budget"]
    orig_new = orig_alloc.groupby("town_id")["new_slots"].sum()
    new = result.allocation.groupby("town_id")["new_slots"].sum()
    units = annex_units(targets).set_index("town_id")
    ch = pd.DataFrame({"town": units.town})
    st = start.set_index("town_id")
    ch["stock_source"] = st.get("stock_source", pd.Series("reported", index=st.index))
    ch["total_slots"] = st.total_slots
    ch["inclusive_slots"] = st.inclusive_slots
    ch["built_since_2023"] = st.total_slots - starting_stock(towns)["total"].reindex(ch.index)
    # Like with like: the re-plan builds from the reported stock, so the original plan is
    # counted from there too. What the original plan had at the start of the re-planned years
    # (end-2023 stock, or its own stock at the end of the year before) and the reported stock
    # differ by what has been built since (mid-year --as-of); that part of the original plan's
    # new slots, and pro rata of its capital money, is already done.
    if first - 1 < int(params["plan_years"]["first"]):
        plan_start = starting_stock(towns)["total"].reindex(ch.index)
    else:
        plan_start = orig_stock[orig_stock.year == first - 1].set_index("town_id").total_slots
    whole = orig_new.reindex(ch.index).fillna(0.0)
    ch["built_in_replan_years"] = (st.total_slots - plan_start.reindex(ch.index)).clip(lower=0.0).clip(upper=whole)
    ch["new_slots_original"] = whole - ch.built_in_replan_years
    ch["new_slots_replan"] = new.reindex(ch.index).fillna(0.0)
    ch["new_slots_change"] = ch.new_slots_replan - ch.new_slots_original
    left = (ch.new_slots_original / whole).where(whole > 0, 1.0)
    # Unit costs depend on the parameters only (not on the stock or the centre): the re-plan's
    # inputs price the original plan's slots as its own inputs did.
    ch["capital_original_yuan"] = _unit_money(orig_alloc, orig_conv, inputs) * left
    ch["capital_replan_yuan"] = _unit_money(result.allocation, result.conversions, inputs)
    ch["capital_change_yuan"] = ch.capital_replan_yuan - ch.capital_original_yuan
    end = result.stock[result.stock.year == last].set_index("town_id")
    ch["shortfall_total_replan"] = end.shortfall_total
    ch["shortfall_inclusive_replan"] = end.shortfall_inclusive
    budget = pd.concat(
        [
            orig_budget[orig_budget.year.isin(years)].assign(plan="original"),
            result.budget.assign(plan="replan"),
        ],
        ignore_index=True,
    )
    budget = budget_item_labels(budget.drop(columns="item_zh", errors="ignore"))
    budget = budget[["plan", "year", "item", "item_zh", "amount_yuan"]]
    return {
        "replan_changes": ch.reset_index(),
        "replan_allocation": result.allocation,
        "replan_stock": result.stock,
        "replan_budget": budget,
        "replan_options": channel_options(inputs, result.allocation),
    }


def replan_summary(tables: Mapping[str, pd.DataFrame]) -> dict:
    """Headline figures of the re-plan: years, new slots and public money, original vs re-plan.

    ``new_slots_*`` and ``capital_*`` count both plans from the reported stock (the original
    less what is already built, see :func:`replan`). ``new_money_*`` (capital, conversion and
    operating subsidies of new or converted slots) and ``public_cost_*`` (plus the operating
    subsidies of the slots in service) are whole re-planned years of each plan's budget: with a
    mid-year ``as_of`` the original's include what was spent before it.
    """
    ch, b = tables["replan_changes"], tables["replan_budget"]
    new_items = ["capital_subsidy", "conversion", "operating_subsidy_new"]

    def money(plan: str, items: list[str] | None = None) -> float:
        part = b[b.plan == plan]
        part = part[part.item.isin(items)] if items else part
        return float(part.amount_yuan.sum())

    years = sorted(b.loc[b.plan == "replan", "year"].unique())
    return {
        "first_year": int(years[0]),
        "last_year": int(years[-1]),
        "new_slots_original": float(ch.new_slots_original.sum()),
        "new_slots_replan": float(ch.new_slots_replan.sum()),
        "built_in_replan_years": float(ch.built_in_replan_years.sum()),
        "capital_original_yuan": float(ch.capital_original_yuan.sum()),
        "capital_replan_yuan": float(ch.capital_replan_yuan.sum()),
        "public_cost_original_yuan": money("original"),
        "public_cost_replan_yuan": money("replan"),
        "new_money_original_yuan": money("original", new_items),
        "new_money_replan_yuan": money("replan", new_items),
        "shortfall_total_replan": float(ch.shortfall_total_replan.sum()),
        "shortfall_inclusive_replan": float(ch.shortfall_inclusive_replan.sum()),
        "units_more_slots": ch.loc[ch.new_slots_change > 0.5, "town"].tolist(),
        "units_fewer_slots": ch.loc[ch.new_slots_change < -0.5, "town"].tolist(),
    }
