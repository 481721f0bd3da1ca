"""Dynamic evaluation (动态评估): progress against the annex's targets from the statistics returns.

The plan's 保障措施 4 asks the health commission to track progress against the targets and report
to the district government. From the returns of the 22 units
(:func:`tuoyu_model.progress.returns.read_progress`) this module computes:

- completion of every target set per unit (:func:`completion_table`),
- inclusive share and inclusive coverage per unit (:func:`coverage_table`),
- units at risk of missing the year-end target, from a linear trend (:func:`projection_table`),
- the workforce against the certification and training goals of ``workforce.yaml``
  (:func:`workforce_progress`),
- the district's headline figures (:func:`district_summary`).

Units that did not report are kept in every table with ``reported = False`` and blank figures:
never as zero.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping

import numpy as np
import pandas as pd

from tuoyu_model.costs import DAYS_PER_MONTH
from tuoyu_model.data import TARGET_SETS, starting_stock, target_set_for_year, target_set_years
from tuoyu_model.presentation.vocabulary import TARGET_SET_LABEL_ZH
from tuoyu_model.progress.cells import INSTITUTION_COLUMNS, parse_date
from tuoyu_model.progress.returns import annex_units, latest_reports
from tuoyu_model.progress.vocabulary import STATUS_ZH

# Floating shares like 0.9 × 30 = 27.000000000000004 must not round up to 28 people.
_EPS = 1e-9


def _ratio(num: pd.Series, den: pd.Series) -> pd.Series:
    """``num / den`` with NaN where the denominator is 0 or missing (no division warnings)."""
    num = pd.to_numeric(num, errors="coerce").astype(float)
    den = pd.to_numeric(den, errors="coerce").astype(float)
    ok = den.notna() & (den != 0) & num.notna()
    out = pd.Series(np.nan, index=num.index)
    out[ok] = num[ok] / den[ok]
    return out


def completion_table(progress: pd.DataFrame, targets: pd.DataFrame) -> pd.DataFrame:
    """Completion of every target set per unit from its latest report.

    Returns
    -------
    pandas.DataFrame
        One row per unit × target set: ``town_id, town, target_set, year, reported, date,
        total_slots, inclusive_slots, target_total, target_inclusive, completion_total,
        completion_inclusive, gap_total, gap_inclusive`` (completion as a share, gaps in slots
        ≥ 0; blank for units that did not report).

    Examples
    --------
    >>> from tuoyu_model.data import load_targets
    >>> p = pd.DataFrame({"town_id": ["jiugong"], "date": [pd.Timestamp("2024-06-30")],
    ...                   "total_slots": [245], "inclusive_slots": [147]})
    >>> c = completion_table(p, load_targets())
    >>> r = c[(c.town_id == "jiugong") & (c.target_set == "floor_2024")].iloc[0]
    >>> float(r.completion_total), float(r.gap_total), float(r.completion_inclusive)   # 245/490, 490−245
    (0.5, 245.0, 1.0)

    """
    latest = latest_reports(progress, targets)
    rows = []
    due = target_set_years(targets)
    for ts in TARGET_SETS:
        t = targets[targets.target_set == ts].set_index("town_id")
        part = latest[["seq", "town_id", "town", "reported", "date", "total_slots", "inclusive_slots"]].copy()
        part.insert(3, "target_set", ts)
        part.insert(4, "year", due[ts])
        part["target_total"] = part.town_id.map(t.total_slots)
        part["target_inclusive"] = part.town_id.map(t.inclusive_slots)
        part["completion_total"] = _ratio(part.total_slots, part.target_total)
        part["completion_inclusive"] = _ratio(part.inclusive_slots, part.target_inclusive)
        part["gap_total"] = (part.target_total - part.total_slots).clip(lower=0)
        part["gap_inclusive"] = (part.target_inclusive - part.inclusive_slots).clip(lower=0)
        rows.append(part)
    return pd.concat(rows, ignore_index=True).drop(columns="seq")


def coverage_table(progress: pd.DataFrame, targets: pd.DataFrame, params: Mapping) -> pd.DataFrame:
    """Inclusive share and inclusive coverage (普惠托育服务街道（镇）全覆盖) per unit.

    A unit counts as covered when it has at least ``min_inclusive_slots_per_unit`` inclusive
    slots in service (the allocation's own reading of "inclusive service in every unit").

    Returns
    -------
    pandas.DataFrame
        ``town_id, town, reported, date, total_slots, inclusive_slots, inclusive_share,
        inclusive_service`` (any inclusive slot), ``min_inclusive_slots, covered``.

    """
    latest = latest_reports(progress, targets)
    out = latest[["town_id", "town", "reported", "date", "total_slots", "inclusive_slots"]].copy()
    out["inclusive_share"] = _ratio(out.inclusive_slots, out.total_slots)
    minimum = params["min_inclusive_slots_per_unit"]
    out["inclusive_service"] = (out.inclusive_slots > 0).where(out.reported)
    out["min_inclusive_slots"] = minimum
    out["covered"] = (out.inclusive_slots >= minimum).where(out.reported)
    return out


def year_end_target_set(year: int, params: Mapping) -> str:
    """Target set due on 31 December of ``year`` (:func:`tuoyu_model.data.target_set_for_year`).

    Examples
    --------
    >>> year_end_target_set(2024, {"target_set_2025": "high_quality_2025"})
    'floor_2024'

    """
    return target_set_for_year(params, year)


def projection_table(
    progress: pd.DataFrame, targets: pd.DataFrame, towns: pd.DataFrame, params: Mapping, as_of: dt.date | None = None
) -> pd.DataFrame:
    """Project each unit's slots linearly to 31 December and flag units at risk of missing the target.

    The trend is the change between the unit's last two reports; with a single report it is the
    change since the end-2023 stock of ``data/towns.csv`` (dated ``stock_2023_date``). A unit is
    at risk when the projected completion of its total or inclusive target is below
    ``at_risk_completion_threshold``.

    Parameters
    ----------
    progress, targets, towns : DataFrame
        From :func:`~tuoyu_model.progress.returns.read_progress`, :func:`~tuoyu_model.data.load_targets`,
        :func:`~tuoyu_model.data.load_towns`.
    params : mapping
        Needs ``target_set_2025``, ``at_risk_completion_threshold``, ``stock_2023_date``.
    as_of : date, optional
        Evaluation date (default: the latest report); the year-end is that year's 31 December.

    Returns
    -------
    pandas.DataFrame
        ``town_id, town, reported, status, status_zh, year, target_set, date, basis,
        total_slots, inclusive_slots, rate_total_per_month, rate_inclusive_per_month,
        projected_total, projected_inclusive, target_total, target_inclusive,
        projected_completion_total, projected_completion_inclusive, needed_total_per_month,
        needed_inclusive_per_month, at_risk``.

    Examples
    --------
    One report of 245 slots on 2024-06-30 for 旧宫镇, whose end-2023 stock is 245: no growth in
    six months, so the projection stays at 245 of 490 and the unit is at risk; it needs
    245 slots in the 184 days (6.05 months) left, about 40.5 a month.

    >>> from tuoyu_model.data import load_targets, load_towns
    >>> from tuoyu_model.parameters import default_parameters
    >>> t = load_targets()
    >>> p = pd.DataFrame({"town_id": ["jiugong"], "date": [pd.Timestamp("2024-06-30")],
    ...                   "total_slots": [245], "inclusive_slots": [147]})
    >>> r = projection_table(p, t, load_towns(targets=t), default_parameters()).set_index("town_id").loc["jiugong"]
    >>> float(r.projected_total), bool(r.at_risk), round(float(r.needed_total_per_month), 1)
    (245.0, True, 40.5)

    """
    as_of = as_of or progress.date.max().date()
    year = as_of.year
    ts = year_end_target_set(year, params)
    year_end = dt.date(year, 12, 31)
    base_date = parse_date(params["stock_2023_date"], "parameter 'stock_2023_date'")
    threshold = params["at_risk_completion_threshold"]
    target = targets[targets.target_set == ts].set_index("town_id")
    stock = starting_stock(towns)
    rows = []
    for u in annex_units(targets).itertuples():
        own = progress[(progress.town_id == u.town_id) & (progress.date <= pd.Timestamp(as_of))].sort_values("date")
        row = {
            "town_id": u.town_id,
            "town": u.town,
            "reported": not own.empty,
            "year": year,
            "target_set": ts,
            "target_total": int(target.at[u.town_id, "total_slots"]),
            "target_inclusive": int(target.at[u.town_id, "inclusive_slots"]),
        }
        if own.empty:
            rows.append({**row, "status": "not_reported"})
            continue
        last = own.iloc[-1]
        d2 = last.date.date()
        if len(own) >= 2:
            prev = own.iloc[-2]
            d1, t1, i1, basis = prev.date.date(), prev.total_slots, prev.inclusive_slots, "trend_last_two_reports"
        else:
            d1, basis = base_date, "trend_since_2023_stock"
            t1, i1 = stock.at[u.town_id, "total"], stock.at[u.town_id, "inclusive"]
        months = (d2 - d1).days / DAYS_PER_MONTH
        rate_t = (last.total_slots - t1) / months if months > 0 else 0.0
        rate_i = (last.inclusive_slots - i1) / months if months > 0 else 0.0
        left = max(0.0, (year_end - d2).days / DAYS_PER_MONTH)
        proj_t = max(0.0, last.total_slots + rate_t * left)
        proj_i = max(0.0, last.inclusive_slots + rate_i * left)
        gap_t = max(0, row["target_total"] - last.total_slots)
        gap_i = max(0, row["target_inclusive"] - last.inclusive_slots)
        comp_t, comp_i = proj_t / row["target_total"], proj_i / row["target_inclusive"]
        at_risk = bool(comp_t < threshold - _EPS or comp_i < threshold - _EPS)
        status = "done" if gap_t == 0 and gap_i == 0 else "at_risk" if at_risk else "on_track"
        rows.append(
            {
                **row,
                "status": status,
                "date": last.date,
                "basis": basis,
                "total_slots": int(last.total_slots),
                "inclusive_slots": int(last.inclusive_slots),
                "rate_total_per_month": rate_t,
                "rate_inclusive_per_month": rate_i,
                "projected_total": proj_t,
                "projected_inclusive": proj_i,
                "projected_completion_total": comp_t,
                "projected_completion_inclusive": comp_i,
                "needed_total_per_month": gap_t / left if left > 0 else float(gap_t),
                "needed_inclusive_per_month": gap_i / left if left > 0 else float(gap_i),
                "at_risk": at_risk,
            }
        )
    cols = [
        "town_id",
        "town",
        "reported",
        "status",
        "status_zh",
        "year",
        "target_set",
        "date",
        "basis",
        "total_slots",
        "inclusive_slots",
        "rate_total_per_month",
        "rate_inclusive_per_month",
        "projected_total",
        "projected_inclusive",
        "target_total",
        "target_inclusive",
        "projected_completion_total",
        "projected_completion_inclusive",
        "needed_total_per_month",
        "needed_inclusive_per_month",
        "at_risk",
    ]
    out = pd.DataFrame(rows)
    out["status_zh"] = out.status.map(STATUS_ZH)
    out["at_risk"] = out["at_risk"].astype("boolean")
    return out.reindex(columns=cols)


def _ceil_people(x: float) -> int:
    return math.ceil(x - _EPS)


def workforce_progress(progress: pd.DataFrame, targets: pd.DataFrame, params: Mapping) -> pd.DataFrame:
    """Workforce per unit against the plan's goals (item 13).

    Certified share = certified / caregivers against ``certified_share_target``; training
    coverage = (directors trained + caregivers trained) / (institutions + caregivers) against
    ``training_coverage_target`` (both in ``data/parameters/workforce.yaml``), counting one
    director per institution; every institution needs one qualified health staff member.

    Returns
    -------
    pandas.DataFrame
        ``town_id, town, reported, date, institutions, caregivers, certified_caregivers,
        certified_share, certified_needed, directors_trained, caregivers_trained,
        training_coverage, training_needed, health_staff, health_staff_needed,
        meets_certified, meets_training, meets_health`` (``*_needed``: more people to reach the goal).

    Examples
    --------
    >>> from tuoyu_model.data import load_targets
    >>> p = pd.DataFrame({"town_id": ["jiugong"], "date": [pd.Timestamp("2024-06-30")], "caregivers": [64],
    ...     "certified_caregivers": [50], "directors_trained": [8], "caregivers_trained": [55], "health_staff": [9],
    ...     **{c: [n] for c, n in zip(INSTITUTION_COLUMNS, [3, 1, 1, 4, 0])}})
    >>> w = workforce_progress(p, load_targets(), {"certified_share_target": 0.9, "training_coverage_target": 1.0})
    >>> r = w.set_index("town_id").loc["jiugong"]
    >>> int(r.certified_needed), int(r.training_needed), int(r.health_staff_needed)  # ⌈57.6⌉−50, 73−63, 9−9
    (8, 10, 0)

    """
    latest = latest_reports(progress, targets)
    out = latest[["town_id", "town", "reported", "date"]].copy()
    out["institutions"] = latest[INSTITUTION_COLUMNS].sum(axis=1, min_count=1)
    for c in ("caregivers", "certified_caregivers", "directors_trained", "caregivers_trained", "health_staff"):
        out[c] = latest[c]
    cert, train = params["certified_share_target"], params["training_coverage_target"]
    out["certified_share"] = _ratio(out.certified_caregivers, out.caregivers)
    out["certified_needed"] = [
        max(0, _ceil_people(cert * c) - k) if r else np.nan
        for r, c, k in zip(out.reported, out.caregivers, out.certified_caregivers, strict=True)
    ]
    trainees = out.institutions + out.caregivers
    trained = out.directors_trained + out.caregivers_trained
    out["training_coverage"] = _ratio(trained, trainees)
    out["training_needed"] = [
        max(0, _ceil_people(train * n) - k) if r else np.nan
        for r, n, k in zip(out.reported, trainees, trained, strict=True)
    ]
    out["health_staff_needed"] = (out.institutions - out.health_staff).clip(lower=0)
    out["meets_certified"] = (out.certified_needed == 0).where(out.reported)
    out["meets_training"] = (out.training_needed == 0).where(out.reported)
    out["meets_health"] = (out.health_staff_needed == 0).where(out.reported)
    return out


def district_summary(
    progress: pd.DataFrame, tables: Mapping[str, pd.DataFrame], params: Mapping, as_of: dt.date
) -> dict:
    """Headline figures of the district for the summary and the report.

    Totals add up reported units only; ``units_not_reported`` lists the others by name.
    """
    cov = tables["coverage"]
    rep = cov[cov.reported]
    comp = tables["completion"]
    proj = tables["projection"]
    wf = tables["workforce"]
    total, inclusive = int(rep.total_slots.sum()), int(rep.inclusive_slots.sum())
    by_set = {}
    for ts in TARGET_SETS:
        c = comp[comp.target_set == ts]
        c_rep = c[c.reported]
        by_set[ts] = {
            "label_zh": TARGET_SET_LABEL_ZH[ts],
            "target_total_all_units": int(c.target_total.sum()),
            "target_total_reported_units": int(c_rep.target_total.sum()),
            "completion_total_reported_units": total / c_rep.target_total.sum() if len(c_rep) else None,
            "completion_total_all_units": total / c.target_total.sum(),
            "completion_inclusive_all_units": inclusive / c.target_inclusive.sum(),
            "units_done": int(((c_rep.gap_total == 0) & (c_rep.gap_inclusive == 0)).sum()),
        }
    wr = wf[wf.reported]
    caregivers = wr.caregivers.sum()
    trainees = wr.institutions.sum() + caregivers
    year = as_of.year
    share_target = params.by_year("inclusive_share_target", year) if hasattr(params, "by_year") else None
    return {
        "as_of": as_of.isoformat(),
        "units_reported": int(cov.reported.sum()),
        "units_total": len(cov),
        "units_not_reported": cov.loc[~cov.reported, "town"].tolist(),
        "report_dates": sorted({d.date().isoformat() for d in progress.date}),
        "total_slots": total,
        "inclusive_slots": inclusive,
        "inclusive_share": inclusive / total if total else None,
        "inclusive_share_target": share_target,
        "by_target_set": by_set,
        "year_end_target_set": proj.target_set.iloc[0],
        "units_at_risk": proj.loc[proj.status == "at_risk", "town"].tolist(),
        "units_done": proj.loc[proj.status == "done", "town"].tolist(),
        "units_without_inclusive_service": cov.loc[cov.reported & (cov.inclusive_slots == 0), "town"].tolist(),
        "units_below_min_inclusive": cov.loc[cov.reported & (cov.covered == False), "town"].tolist(),  # noqa: E712
        "certified_share": float(wr.certified_caregivers.sum() / caregivers) if caregivers else None,
        "certified_share_target": params["certified_share_target"],
        "training_coverage": float((wr.directors_trained.sum() + wr.caregivers_trained.sum()) / trainees)
        if trainees
        else None,
        "training_coverage_target": params["training_coverage_target"],
        "health_staff_needed": int(wr.health_staff_needed.sum()),
    }
