"""Dynamic evaluation (动态评估): progress against the annex's targets from the statistics returns.

The plan's 保障措施 4 asks the health commission to track progress against the targets and report
to the district government. Each quarter the planners collect the returns of the 22 units
(:func:`tuoyu_model.progress_io.read_progress`) and this module turns them into:

- completion of every target set per unit (:func:`completion_table`),
- inclusive share and inclusive coverage per unit (:func:`coverage_table`),
- units at risk of missing the year-end target, from a linear trend (:func:`projection_table`),
- the workforce against the 90% certification and 100% training goals (:func:`workforce_progress`),
- a re-plan of the rest of the period from the reported stock (:func:`replan`),

and :func:`run_progress` writes them to ``outputs/progress/<date>/`` under the output contract.
Units that did not report are kept in every table with ``reported = False`` and blank figures:
never as zero.
"""

from __future__ import annotations

import datetime as dt
import math
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from tuoyu_model.costs import DAYS_PER_MONTH
from tuoyu_model.data import TARGET_SET_LABEL_ZH, TARGET_SET_YEAR, TARGET_SETS, target_set_for_year
from tuoyu_model.errors import DataError
from tuoyu_model.outputs import VALUE_LABELS
from tuoyu_model.paths import display, notebooks_dir
from tuoyu_model.progress_io import INSTITUTION_COLUMNS, not_reported, parse_date, read_progress

# Floating shares like 0.9 × 30 = 27.000000000000004 must not round up to 28 people.
_EPS = 1e-9

STATUS_ZH = {"done": "已完成", "on_track": "按进度可完成", "at_risk": "滞后", "not_reported": "未报送"}


def _ratio(num: pd.Series, den: pd.Series) -> pd.Series:
    """``num / den`` with NaN where the denominator is 0 or missing (no division warnings)."""
    num = pd.to_numeric(num, errors="coerce").astype(float)
    den = pd.to_numeric(den, errors="coerce").astype(float)
    ok = den.notna() & (den != 0) & num.notna()
    out = pd.Series(np.nan, index=num.index)
    out[ok] = num[ok] / den[ok]
    return out


def _units(targets: pd.DataFrame) -> pd.DataFrame:
    return targets.drop_duplicates("town_id").sort_values("seq")[["seq", "town_id", "town"]].reset_index(drop=True)


def latest_reports(progress: pd.DataFrame, targets: pd.DataFrame) -> pd.DataFrame:
    """Every annex unit with its latest report (blank figures and ``reported = False`` if none).

    Returns
    -------
    pandas.DataFrame
        ``seq, town_id, town, reported`` and the columns of the progress table, in the annex's order.

    Examples
    --------
    >>> from tuoyu_model.data import load_targets
    >>> p = pd.DataFrame({"town_id": ["jiugong"], "date": [pd.Timestamp("2024-06-30")], "total_slots": [300]})
    >>> latest_reports(p, load_targets()).set_index("town_id").loc[["jiugong", "anding"], "total_slots"].tolist()
    [300.0, nan]

    """
    last = progress.sort_values("date").drop_duplicates("town_id", keep="last").drop(columns=["town"], errors="ignore")
    out = _units(targets).merge(last, on="town_id", how="left")
    out.insert(3, "reported", out.town_id.isin(set(progress.town_id)))
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
    for ts in TARGET_SETS:
        t = targets[targets.target_set == ts].set_index("town_id")
        part = latest[["seq", "town_id", "town", "reported", "date", "total_slots", "inclusive_slots"]].copy()
        part.insert(3, "target_set", ts)
        part.insert(4, "year", TARGET_SET_YEAR[ts])
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
        From :func:`read_progress`, :func:`~tuoyu_model.data.load_targets`,
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
    rows = []
    for u in _units(targets).itertuples():
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
            t1 = towns.at[u.town_id, "existing_slots_2023"]
            i1 = towns.at[u.town_id, "existing_inclusive_2023"]
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

    Certified share = certified / caregivers against ``certified_share_target`` (90%); training
    coverage = (directors trained + caregivers trained) / (institutions + caregivers) against
    ``training_coverage_target`` (100%), counting one director per institution; every
    institution needs one qualified health staff member.

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


@dataclass
class ProgressResult:
    """Everything one evaluation produced: tidy tables (English ids) and headline figures."""

    as_of: dt.date
    progress: pd.DataFrame
    tables: dict[str, pd.DataFrame]
    summary: dict
    files: list[str] = field(default_factory=list)
    scenario: str = "baseline"
    scenario_hash: str = ""
    notes: list[str] = field(default_factory=list)
    scenario_title: str = ""


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


def evaluate(
    files: Sequence[Path | str],
    as_of: object = None,
    scenario: object = "baseline",
    set_options: list[str] | None = None,
    with_replan: bool = True,
) -> ProgressResult:
    """Read the returns and build every progress table (and the re-plan when possible).

    Parameters
    ----------
    files : sequence of path
        The returns (xlsx/csv).
    as_of : date or str, optional
        Evaluation date; default the latest report date.
    scenario : str or Scenario, default "baseline"
        Scenario whose parameters (target set for 2025, costs, budget …) apply; a loaded
        :class:`~tuoyu_model.parameters.Scenario` is used as is.
    set_options : list of str, optional
        ``NAME=VALUE`` overrides, as for ``tuoyu run --set`` (ignored with a loaded Scenario).
    with_replan : bool, default True
        Solve the re-plan (two allocation solves).

    Returns
    -------
    ProgressResult
        Tables ``progress, completion, coverage, projection, workforce`` (and ``replan_*``), a
        summary dict, notes.

    Raises
    ------
    DataError, ScenarioError
        Broken returns or an unknown scenario.

    """
    from tuoyu_model.data import load_targets, load_towns
    from tuoyu_model.parameters import Scenario, load_scenario, parse_set_options
    from tuoyu_model.report import MODIFIED_MARK

    s = scenario if isinstance(scenario, Scenario) else load_scenario(scenario, parse_set_options(set_options))
    params = s.parameters
    targets = load_targets()
    towns = load_towns(targets=targets)
    progress = read_progress(list(files), as_of=as_of, targets=targets)
    as_of_date = parse_date(as_of, f"--as-of '{as_of}'") if as_of is not None else progress.date.max().date()
    tables = {
        "progress": progress,
        "completion": completion_table(progress, targets),
        "coverage": coverage_table(progress, targets, params),
        "projection": projection_table(progress, targets, towns, params, as_of_date),
        "workforce": workforce_progress(progress, targets, params),
        "not_reported": not_reported(progress, targets),
    }
    notes: list[str] = []
    summary = district_summary(progress, tables, params, as_of_date)
    if with_replan:
        rp = replan(progress, params, targets, towns, as_of_date)
        tables.update(rp)
        summary["replan"] = replan_summary(rp)
    return ProgressResult(
        as_of=as_of_date,
        progress=progress,
        tables=tables,
        summary=summary,
        files=[str(f) for f in files],
        scenario=s.name,
        scenario_hash=s.hash,
        notes=notes,
        scenario_title=s.title.split("：")[0] + (MODIFIED_MARK if s.cli_overrides else ""),
    )


# --- writing outputs/progress/<date>/ ---------------------------------------------------------

# Chinese headers (with units) of the progress tables; ids not listed here fall back to
# tuoyu_model.outputs.COLUMNS.
PROGRESS_HEADERS: dict[str, tuple[str, str]] = {
    "date": ("统计日期", "text"),
    "reported": ("是否报送", "text"),
    "target_set": ("目标口径", "text"),
    "year": ("年份", "year"),
    "institutions_kindergarten": ("幼儿园托班（个）", "int"),
    "institutions_community": ("社区托育点（个）", "int"),
    "institutions_employer": ("用人单位办托（个）", "int"),
    "institutions_social": ("社会托育机构（个）", "int"),
    "institutions_centre": ("区托育综合服务中心（个）", "int"),
    "institutions": ("托育机构合计（个）", "int"),
    "caregivers": ("保育人员（人）", "int"),
    "certified_caregivers": ("持证保育人员（人）", "int"),
    "directors_trained": ("已培训负责人（人）", "int"),
    "caregivers_trained": ("已培训保育人员（人）", "int"),
    "health_staff": ("卫生保健人员（人）", "int"),
    "source_file": ("来源文件", "text"),
    "source_sheet": ("工作表", "text"),
    "source_row": ("行号", "int"),
    "completion_total": ("托位完成率", "share"),
    "completion_inclusive": ("普惠托位完成率", "share"),
    "gap_total": ("托位缺口（个）", "slots"),
    "gap_inclusive": ("普惠托位缺口（个）", "slots"),
    "inclusive_service": ("有普惠服务", "text"),
    "min_inclusive_slots": ("普惠托位下限（个）", "slots"),
    "covered": ("达到普惠覆盖下限", "text"),
    "status_zh": ("进度判断", "text"),
    "status": ("进度代码", "text"),
    "basis": ("趋势依据", "text"),
    "rate_total_per_month": ("近期月均新增托位（个/月）", "float1"),
    "rate_inclusive_per_month": ("近期月均新增普惠托位（个/月）", "float1"),
    "projected_total": ("预计年底托位（个）", "slots"),
    "projected_inclusive": ("预计年底普惠托位（个）", "slots"),
    "projected_completion_total": ("预计年底托位完成率", "share"),
    "projected_completion_inclusive": ("预计年底普惠完成率", "share"),
    "needed_total_per_month": ("完成目标需月均新增托位（个/月）", "float1"),
    "needed_inclusive_per_month": ("完成目标需月均新增普惠托位（个/月）", "float1"),
    "at_risk": ("滞后风险", "text"),
    "certified_share": ("持证上岗率", "share"),
    "certified_needed": ("达标尚需持证（人）", "int"),
    "training_coverage": ("培训覆盖率", "share"),
    "training_needed": ("达标尚需培训（人）", "int"),
    "health_staff_needed": ("尚缺卫生保健人员（人）", "int"),
    "meets_certified": ("持证率达标", "text"),
    "meets_training": ("培训达标", "text"),
    "meets_health": ("卫生保健配备达标", "text"),
    "built_since_2023": ("2023年底以来已建托位（个）", "slots"),
    "built_in_replan_years": ("再规划年份内已建托位（个）", "slots"),
    "new_slots_original": ("原方案尚需新增托位（扣除已建，个）", "slots"),
    "new_slots_replan": ("再规划尚需新增托位（个）", "slots"),
    "new_slots_change": ("尚需新增托位：再规划较原方案增减（个）", "slots"),
    "capital_original_yuan": ("原方案尚需建设及转普惠补贴（扣除已建，万元）", "wan"),
    "capital_replan_yuan": ("再规划尚需建设及转普惠补贴（万元）", "wan"),
    "capital_change_yuan": ("建设及转普惠补贴：再规划较原方案增减（万元）", "wan"),
    "shortfall_total_replan": ("再规划托位缺口（个）", "slots"),
    "shortfall_inclusive_replan": ("再规划普惠缺口（个）", "slots"),
    "stock_source": ("起点存量来源", "text"),
}
VALUE_ZH = {
    "target_set": TARGET_SET_LABEL_ZH,
    "basis": {"trend_last_two_reports": "最近两次报送", "trend_since_2023_stock": "2023年底存量至本次报送"},
    "status": STATUS_ZH,
    "stock_source": {"reported": "报送数据", "not_reported_2023_stock": "未报送，按2023年底存量"},
}
# The re-plan's allocation carries the scenario tables' codes: one vocabulary for both reports.
VALUE_ZH.update({k: v for k, v in VALUE_LABELS.items() if k in ("channel", "kind")})
# (sheet name, table key, csv name) in workbook order.
PROGRESS_SHEETS = [
    ("完成情况", "completion", "completion.csv"),
    ("滞后预警", "projection", "projection.csv"),
    ("普惠覆盖", "coverage", "coverage.csv"),
    ("队伍建设", "workforce", "workforce.csv"),
    ("未报送属地", "not_reported", "not_reported.csv"),
    ("再规划对比", "replan_changes", "replan_changes.csv"),
    ("再规划分配", "replan_allocation", "replan_allocation.csv"),
    ("报送数据", "progress", "progress_reports.csv"),
]


def for_people_progress(df: pd.DataFrame, percent: bool = False) -> pd.DataFrame:
    """Return a progress table as people read it: Chinese headers with units, codes translated, 万元.

    Counts become whole numbers (blank where a unit did not report); with ``percent`` shares
    become text such as ``88.5%`` (for the report; the workbook keeps numbers).

    Examples
    --------
    >>> for_people_progress(pd.DataFrame({"town": ["旧宫镇"], "completion_total": [0.5], "at_risk": [True]})
    ...                     ).to_dict("records")
    [{'属地': '旧宫镇', '托位完成率': 0.5, '滞后风险': '是'}]

    """
    from tuoyu_model.outputs import WAN, column

    out = pd.DataFrame(index=df.index)
    for col in df.columns:
        header, fmt = PROGRESS_HEADERS.get(col, (column(col).header, column(col).fmt))
        s = df[col]
        if col in VALUE_ZH:
            s = s.map(lambda v, m=VALUE_ZH[col]: m.get(v, v))
        elif pd.api.types.is_bool_dtype(s) or s.map(lambda v: isinstance(v, bool | np.bool_)).any():
            s = s.map(lambda v: "是" if v is True or v is np.True_ else "否" if v is False or v is np.False_ else "")
        elif pd.api.types.is_datetime64_any_dtype(s):
            s = s.dt.strftime("%Y-%m-%d")
        elif fmt == "wan":
            s = s / WAN
        elif fmt in ("slots", "int", "year") and pd.api.types.is_numeric_dtype(s):
            s = s.round().astype("Int64")  # whole slots and people, blank where not reported
        elif fmt == "share" and percent:
            s = s.map(lambda v: "" if pd.isna(v) else f"{v:.1%}")
        out[header] = s
    return out


def _formats_of(df: pd.DataFrame) -> list[str]:
    from tuoyu_model.outputs import column

    return [PROGRESS_HEADERS.get(c, (None, column(c).fmt))[1] for c in df.columns]


def write_progress_workbook(tables: Mapping[str, pd.DataFrame], path: Path, title: str = "") -> Path:
    """Write the progress workbook: a 摘要 sheet then one sheet per table of :data:`PROGRESS_SHEETS`.

    Tables are shown by :func:`for_people_progress` and written by the package's one workbook
    writer (:func:`tuoyu_model.outputs.write_sheets`: fixed timestamps, formula escaping).
    """
    from tuoyu_model.outputs import Sheet, write_sheets

    summary = tables["summary"]
    sheets = [Sheet("摘要", summary, ("text",) * len(summary.columns))]
    sheets += [
        Sheet(name, for_people_progress(tables[key]), tuple(_formats_of(tables[key])))
        for name, key, _ in PROGRESS_SHEETS
        if key in tables
    ]
    return write_sheets(sheets, path, title)


def _pct(x: float | None) -> str:
    return "—" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.1%}"


def summary_lines(result: ProgressResult) -> list[str]:
    """Return the short Chinese summary printed by ``tuoyu progress`` and shown atop the report."""
    s = result.summary
    ts = s["year_end_target_set"]
    year_end = s["by_target_set"][ts]
    lines = [
        f"截至{result.as_of:%Y年%m月%d日}：{s['units_reported']}/{s['units_total']}个属地报送，"
        f"在营托位{s['total_slots']:,}个，其中普惠{s['inclusive_slots']:,}个（占比{_pct(s['inclusive_share'])}"
        + (
            f"，年度目标{_pct(s['inclusive_share_target'])}）。"
            if s.get("inclusive_share_target") is not None
            else "）。"
        ),
        f"{year_end['label_zh']}：全区完成{_pct(year_end['completion_total_all_units'])}"
        f"（已报送属地完成{_pct(year_end['completion_total_reported_units'])}），"
        f"{year_end['units_done']}个属地已达标。",
    ]
    if s["units_at_risk"]:
        lines.append(
            f"按近期进度年底可能完不成目标的属地（{len(s['units_at_risk'])}个）："
            + "、".join(s["units_at_risk"])
            + "。"
        )
    else:
        lines.append("按近期进度，已报送属地均可按期完成年度目标。")
    if s["units_not_reported"]:
        lines.append(f"未报送（未计为0）：{'、'.join(s['units_not_reported'])}。")
    if s["units_without_inclusive_service"]:
        lines.append(f"尚无普惠托位的属地：{'、'.join(s['units_without_inclusive_service'])}。")
    lines.append(
        f"队伍建设：持证上岗率{_pct(s['certified_share'])}（目标{_pct(s['certified_share_target'])}），"
        f"培训覆盖率{_pct(s['training_coverage'])}（目标{_pct(s['training_coverage_target'])}），"
        f"尚缺卫生保健人员{s['health_staff_needed']}人。"
    )
    if "replan" in s:
        r = s["replan"]
        lines.append(
            f"再规划（{r['first_year']}—{r['last_year']}年，从报送存量起算）：还需新增托位"
            f"{r['new_slots_replan']:,.0f}个（原方案扣除已建{r['built_in_replan_years']:,.0f}个后尚需"
            f"{r['new_slots_original']:,.0f}个），建设及转普惠补贴{r['capital_replan_yuan'] / 1e4:,.1f}万元"
            f"（原方案尚需{r['capital_original_yuan'] / 1e4:,.1f}万元）。"
        )
    lines.extend(result.notes)
    return lines


def recommendations(result: ProgressResult) -> list[str]:
    """Return the report's 下一步调整建议 as Chinese sentences, each built from the tables.

    One sentence per lagging unit (slots a month needed against the recent pace), then the
    units to chase for returns, inclusive coverage, the workforce, and the re-plan's changes.
    """
    t = result.tables
    out = []
    proj = t["projection"]
    for r in proj[proj.status == "at_risk"].itertuples():
        out.append(
            f"{r.town}：距{TARGET_SET_LABEL_ZH[r.target_set]}尚差托位"
            f"{max(0, r.target_total - r.total_slots):,.0f}个、"
            f"普惠托位{max(0, r.target_inclusive - r.inclusive_slots):,.0f}个；年底前需月均新增托位"
            f"{r.needed_total_per_month:,.1f}个（近期月均{r.rate_total_per_month:,.1f}个），"
            "建议区卫生健康委、区教委约谈督导，优先挖掘幼儿园托班和闲置国有房屋资源。"
        )
    miss = t["not_reported"]
    if len(miss):
        out.append(f"督促{'、'.join(miss.town)}按季度报送统计表（模板见 data/templates/），未报送属地未计入完成数。")
    cov = t["coverage"]
    low = cov[cov.reported & (cov.covered == False)]  # noqa: E712 - a nullable boolean column
    if len(low):
        out.append(
            f"{'、'.join(low.town)}普惠托位不足{int(low.min_inclusive_slots.iloc[0])}个，"
            "需落实“普惠托育服务街道（镇）全覆盖”，可通过存量托位转普惠或幼儿园托班尽快补齐。"
        )
    wf = t["workforce"]
    wr = wf[wf.reported]
    if wr.certified_needed.sum() > 0:
        out.append(
            f"保育人员持证：还需{int(wr.certified_needed.sum())}人取得育婴员、保育师等证书方可达到"
            f"{_pct(result.summary['certified_share_target'])}，重点在"
            f"{'、'.join(wr.sort_values('certified_needed', ascending=False).town.head(3))}。"
        )
    if wr.training_needed.sum() > 0:
        out.append(f"培训：还需培训机构负责人和保育人员{int(wr.training_needed.sum())}人次以实现培训全覆盖。")
    if wr.health_staff_needed.sum() > 0:
        out.append(
            f"卫生保健：{'、'.join(wr[wr.health_staff_needed > 0].town)}尚有机构未配备卫生保健人员，"
            f"共缺{int(wr.health_staff_needed.sum())}人。"
        )
    if "replan_changes" in t:
        ch = t["replan_changes"]
        more = ch[ch.new_slots_change > 0.5].sort_values("new_slots_change", ascending=False)
        r = result.summary["replan"]
        out.append(
            f"按报送存量重新测算（{r['first_year']}—{r['last_year']}年），剩余期内需新增托位"
            f"{r['new_slots_replan']:,.0f}个、建设及转普惠补贴{r['capital_replan_yuan'] / 1e4:,.1f}万元"
            f"（原方案扣除已建部分后尚需{r['new_slots_original']:,.0f}个、"
            f"{r['capital_original_yuan'] / 1e4:,.1f}万元）。"
            + (f"需较原方案多建的属地：{'、'.join(more.town.head(5))}。" if len(more) else "")
        )
        if r["shortfall_total_replan"] > 0.5 or r["shortfall_inclusive_replan"] > 0.5:
            out.append(
                f"在现有渠道容量和预算下仍有缺口：托位{r['shortfall_total_replan']:,.0f}个、普惠托位"
                f"{r['shortfall_inclusive_replan']:,.0f}个，需增加场地供给或资金。"
            )
    if not out:
        out.append("各项指标均按进度推进，建议保持现有工作安排并按季度继续监测。")
    return out


def summary_table(result: ProgressResult) -> pd.DataFrame:
    """Return the summary lines as a one-column table (the workbook's 摘要 sheet)."""
    return pd.DataFrame({"摘要": summary_lines(result)})


def plot_completion(projection: pd.DataFrame, path: Path) -> Path:
    """Save a bar chart of each reporting unit's completion now and projected at year-end (PNG)."""
    from tuoyu_model.figures import new_figure, save_figure, styled

    with styled():
        fig = new_figure(9, 5)
        ax = fig.add_subplot()
        p = projection[projection.reported]
        y = np.arange(len(p))
        lag = (p.status == "at_risk").to_numpy()
        now = (p.total_slots / p.target_total).to_numpy(float)
        ax.barh(y[~lag], now[~lag], color="#4C72B0", label="当前完成率")
        ax.barh(y[lag], now[lag], color="#DD8452", label="当前完成率（滞后属地）")
        ax.scatter(p.projected_completion_total, y, color="#C44E52", zorder=3, label="预计年底完成率（按近期进度）")
        ax.axvline(1.0, color="black", lw=0.8)
        ax.set_yticks(y, p.town)
        ax.invert_yaxis()
        ax.set_xlabel(f"占{TARGET_SET_LABEL_ZH[p.target_set.iloc[0]]}的比例" if len(p) else "完成率")
        ax.set_title("各属地托位完成情况")
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=3, frameon=False)
        return save_figure(fig, path)


def write_progress_outputs(result: ProgressResult, folder: Path) -> None:
    """Write the tables, workbook, figure and summary of ``result`` into ``folder``.

    ``summary.json`` holds the headline figures and, in Chinese, the summary lines
    (``summary_zh``) and the recommendations (``recommendations_zh``), so the report notebook
    shows them without evaluating the returns again. The manifest is written by
    :func:`run_progress` once the report is in the folder too.
    """
    from tuoyu_model.outputs import write_csv, write_json

    for _, key, name in PROGRESS_SHEETS:
        if key in result.tables:
            df = result.tables[key].copy()
            for c in df.columns:
                if pd.api.types.is_datetime64_any_dtype(df[c]):
                    df[c] = df[c].dt.strftime("%Y-%m-%d")
            write_csv(df, folder / "tables" / name)
    write_progress_workbook(
        {**result.tables, "summary": summary_table(result)},
        folder / "results.xlsx",
        title=f"大兴区托育服务进展评估（截至{result.as_of.isoformat()}）",
    )
    plot_completion(result.tables["projection"], folder / "figures" / "completion.png")
    write_json(
        {
            **result.summary,
            "scenario": result.scenario,
            "scenario_zh": scenario_heading(result.scenario_title, result.scenario),
            "as_of_zh": f"{result.as_of:%Y年%m月%d日}",
            "summary_zh": summary_lines(result),
            "recommendations_zh": recommendations(result),
        },
        folder / "summary.json",
    )


def scenario_heading(title: str, name: str) -> str:
    """Return the scenario as the report's header shows it: the short Chinese title, the id in brackets.

    Examples
    --------
    >>> scenario_heading("基准情景：方案附件目标，现行补贴标准", "baseline")
    '基准情景（baseline）'
    >>> scenario_heading("", "baseline")
    'baseline'

    """
    from tuoyu_model.report import scenario_label

    return scenario_label({"scenario": name, "title": title})


REPORT_NOTEBOOK = "progress_report.ipynb"


def execute_report(folder: Path, as_of: str, files: Sequence[str] = ()) -> None:
    """Run ``notebooks/progress_report.ipynb`` through papermill on the outputs in ``folder``; export html.

    The notebook shows what :func:`write_progress_outputs` wrote there (``results_dir = "."``):
    nothing is evaluated or drawn twice. ``files`` are passed on only to be recorded in the
    notebook's parameters. Uses the scenario report's notebook helpers
    (:func:`tuoyu_model.runs.notebook.execute_notebook`, ``clean_notebook``, ``export_html``).

    Raises
    ------
    ReportError
        The notebook failed; the message names the cell and the error.

    """
    from tuoyu_model.runs.notebook import clean_notebook, execute_notebook, export_html

    nb_in = notebooks_dir() / REPORT_NOTEBOOK
    nb_out = folder / "report.ipynb"
    execute_notebook(
        nb_in, nb_out, {"files": [display(Path(f)) for f in files], "as_of": as_of, "results_dir": "."}, cwd=folder
    )
    nb = clean_notebook(nb_out, nb_in)
    export_html(nb, folder / "report.html", f"大兴区托育服务进展评估（截至{as_of}）")


def load_progress_outputs(folder: str | Path) -> tuple[dict[str, pd.DataFrame], dict]:
    """Read back what :func:`write_progress_outputs` wrote: the tables by key and ``summary.json``.

    Returns
    -------
    tuple of (dict of str to DataFrame, dict)
        Tables under the keys of :data:`PROGRESS_SHEETS` (``completion``, ``projection`` …; dates
        as ``YYYY-MM-DD`` text, yes/no columns as booleans with blanks) and the summary, with
        ``summary_zh`` and ``recommendations_zh``.

    Raises
    ------
    ReportError
        ``folder`` lacks ``summary.json`` (not a progress output folder).

    """
    import json

    from tuoyu_model.errors import ReportError

    folder = Path(folder)
    if not (folder / "summary.json").is_file():
        raise ReportError(f"{display(folder)}: no summary.json; give the folder written by tuoyu progress")
    tables = {}
    for _, key, name in PROGRESS_SHEETS:
        path = folder / "tables" / name
        if path.is_file():
            tables[key] = pd.read_csv(
                path, encoding="utf-8-sig", keep_default_na=False, na_values=[""], dtype={"date": str, "town_id": str}
            )
    return tables, json.loads((folder / "summary.json").read_text("utf-8"))


def report_folder(
    files: Sequence[str],
    as_of: object = None,
    scenario: str = "baseline",
    set_options: list[str] | None = None,
    results_dir: str | Path = "",
) -> Path:
    """Return the folder the report notebook shows: ``results_dir``, or a fresh evaluation's outputs.

    Without ``results_dir`` (the notebook run on its own) the returns are evaluated and written
    to a temporary folder that is removed when the Python process exits.
    """
    if results_dir:
        return Path(results_dir)
    import atexit

    folder = Path(tempfile.mkdtemp(prefix="tuoyu-progress-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    write_progress_outputs(evaluate(files, as_of=as_of, scenario=scenario, set_options=set_options), folder)
    return folder


def run_progress(
    files: Sequence[str],
    as_of: str | None = None,
    scenario: str = "baseline",
    set_options: list[str] | None = None,
    out: str | None = None,
    report: bool = True,
) -> int:
    """``tuoyu progress``: evaluate the returns, print a Chinese summary, write ``<out>/progress/<date>/``.

    The folder is written in a temporary sibling and swapped in only when everything
    succeeded, so a failed run leaves the previous outputs untouched.

    Returns
    -------
    int
        Exit status 0.

    Raises
    ------
    TuoyuError
        Broken returns, unknown scenario, a failed report; the CLI prints one line and exits 2.

    """
    import time

    from tuoyu_model.outputs import write_json
    from tuoyu_model.parameters import load_scenario, parse_set_options
    from tuoyu_model.runs.provenance import build_manifest, input_files, scenario_fields, sha256_file
    from tuoyu_model.runs.publish import make_temp_dir, output_base, publish_dir, safe_output_dir, shown

    started, t0 = time.time(), time.perf_counter()
    set_options = list(set_options or [])
    s = load_scenario(scenario, parse_set_options(set_options))
    root = output_base(out)  # a bad --out is one line before any work
    result = evaluate(files, as_of=as_of, scenario=s)
    t1 = time.perf_counter()
    base = output_base(root / "progress")
    final = safe_output_dir(base, result.as_of.isoformat())
    tmp = make_temp_dir(base, final.name)
    try:
        write_progress_outputs(result, tmp)
        timings = {"evaluate": t1 - t0, "write_outputs": time.perf_counter() - t1}
        notebook = None
        if report:
            t2 = time.perf_counter()
            execute_report(tmp, result.as_of.isoformat(), result.files)
            notebook, timings["report"] = notebooks_dir() / REPORT_NOTEBOOK, time.perf_counter() - t2
        returns = {display(Path(f)): sha256_file(Path(f)) for f in result.files}
        write_json(
            build_manifest(
                "progress",
                tmp,
                started=started,
                seconds=time.perf_counter() - t0,
                timings=timings,
                inputs=input_files(s, notebook),
                as_of=result.as_of.isoformat(),
                progress_files=returns,
                **scenario_fields(s, set_options),
            ),
            tmp / "manifest.json",
        )
        publish_dir(tmp, final)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    for line in summary_lines(result):
        print(line)
    print(f"已写入 {shown(final)}/")
    return 0


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
    base_t = latest.town_id.map(towns["existing_slots_2023"])
    base_i = latest.town_id.map(towns["existing_inclusive_2023"])
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


def replan(
    progress: pd.DataFrame,
    params: Mapping,
    targets: pd.DataFrame,
    towns: pd.DataFrame,
    as_of: dt.date,
    stock: pd.DataFrame | None = None,
) -> dict[str, pd.DataFrame]:
    """Re-solve the allocation for the rest of the period from the reported stock, and compare.

    The original plan solves the scenario from the end-2023 stock; the re-plan solves the years
    from ``as_of``'s year (the next year when ``as_of`` is 31 December) from the reported stock
    (:func:`replan_stock`). When a unit reports a district centre (区托育综合服务中心) in service,
    the re-plan no longer asks for one.

    Parameters
    ----------
    progress, targets, towns : DataFrame
        Returns, annex, unit table.
    params : Parameters
        Scenario parameters.
    as_of : date
        Evaluation date.
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
        amount_yuan`` for both plans over the re-planned years).

    Raises
    ------
    DataError
        ``as_of`` is after the end of the plan.

    """
    from tuoyu_model.allocation import inputs_from_parameters, solve
    from tuoyu_model.parameters import apply_overrides

    first = as_of.year + 1 if (as_of.month, as_of.day) == (12, 31) else as_of.year
    last = int(params["plan_years"]["last"])
    if first > last:
        raise DataError(f"--as-of {as_of}: the plan ends in {last}; nothing left to re-plan")
    start = replan_stock(progress, targets, towns) if stock is None else stock
    rp_params = params
    if "institutions_centre" in progress and progress.institutions_centre.sum() > 0 and hasattr(params, "meta"):
        rp_params = apply_overrides(params, {"district_centre_slots": 0}, "progress returns (centre in service)")
    original_inputs = inputs_from_parameters(params, targets, towns)
    inputs = inputs_from_parameters(
        rp_params, targets, towns, initial_stock=start[["town_id", "total_slots", "inclusive_slots"]], first_year=first
    )
    original = solve(original_inputs)  # solve() silences HiGHS' native banner itself
    result = solve(inputs)
    years = inputs.years
    orig_alloc = original.allocation[original.allocation.year.isin(years)]
    orig_conv = original.conversions[original.conversions.year.isin(years)]
    orig_new = orig_alloc.groupby("town_id")["new_slots"].sum()
    new = result.allocation.groupby("town_id")["new_slots"].sum()
    units = _units(targets).set_index("town_id")
    ch = pd.DataFrame({"town": units.town})
    st = start.set_index("town_id")
    ch["stock_source"] = st.get("stock_source", pd.Series("reported", index=st.index))
    ch["total_slots"] = st.total_slots
    ch["inclusive_slots"] = st.inclusive_slots
    ch["built_since_2023"] = st.total_slots - towns.existing_slots_2023.reindex(ch.index)
    # Like with like: the re-plan builds from the reported stock, so the original plan is
    # counted from there too. What the original plan had at the start of the re-planned years
    # (end-2023 stock, or its own stock at the end of the year before) and the reported stock
    # differ by what has been built since (mid-year --as-of); that part of the original plan's
    # new slots, and pro rata of its capital money, is already done.
    if first - 1 < int(params["plan_years"]["first"]):
        plan_start = towns.existing_slots_2023.reindex(ch.index).astype(float)
    else:
        plan_start = original.stock[original.stock.year == first - 1].set_index("town_id").total_slots
    whole = orig_new.reindex(ch.index).fillna(0.0)
    ch["built_in_replan_years"] = (st.total_slots - plan_start.reindex(ch.index)).clip(lower=0.0).clip(upper=whole)
    ch["new_slots_original"] = whole - ch.built_in_replan_years
    ch["new_slots_replan"] = new.reindex(ch.index).fillna(0.0)
    ch["new_slots_change"] = ch.new_slots_replan - ch.new_slots_original
    left = (ch.new_slots_original / whole).where(whole > 0, 1.0)
    ch["capital_original_yuan"] = _unit_money(orig_alloc, orig_conv, original_inputs) * left
    ch["capital_replan_yuan"] = _unit_money(result.allocation, result.conversions, inputs)
    ch["capital_change_yuan"] = ch.capital_replan_yuan - ch.capital_original_yuan
    end = result.stock[result.stock.year == last].set_index("town_id")
    ch["shortfall_total_replan"] = end.shortfall_total
    ch["shortfall_inclusive_replan"] = end.shortfall_inclusive
    budget = pd.concat(
        [
            original.budget[original.budget.year.isin(years)].assign(plan="original"),
            result.budget.assign(plan="replan"),
        ],
        ignore_index=True,
    )
    budget = budget[["plan", "year", "item", "item_zh", "amount_yuan"]]
    return {
        "replan_changes": ch.reset_index(),
        "replan_allocation": result.allocation,
        "replan_stock": result.stock,
        "replan_budget": budget,
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
