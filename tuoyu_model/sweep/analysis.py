"""What a sweep's points say: cost-of-target curves, the budget frontier, risk bands, which assumptions matter.

Pure functions of the points table (one row per point: the factors' values, then the metrics)
and the design; tables keep English column ids and yuan, like ``tables/*.csv`` of a run. The
sensitivity indices are SALib's (``morris.analyze``, ``sobol.analyze``), never estimated here.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pandas as pd

from tuoyu_model.sweep.design import Design

METRICS = ("public_cost_total_yuan", "shortfall_final_slots")  # what the sensitivity indices explain
QUANTILES = {"p10": 0.10, "p50": 0.50, "p90": 0.90}
RESERVE_LEVELS = (0.5, 0.8, 0.9, 0.95)  # the budgets reported as "enough in x% of the draws"
COMMITMENT_KEY = re.compile(r"subsidy_commitment_(\d{4})_yuan")  # a point's subsidy committed in a year after the plan
ANALYSIS_SEED_OFFSET = 1  # SALib's bootstrap for confidence intervals uses seed + this


def commitment_years(rows: Sequence[dict]) -> list[int]:
    """Return the years after the plan whose committed subsidy some point reports (its costing horizon).

    Examples
    --------
    >>> commitment_years([{"subsidy_commitment_2027_yuan": 1.0, "subsidy_commitment_2026_yuan": 2.0}, {}])
    [2026, 2027]

    """
    found = (COMMITMENT_KEY.fullmatch(k) for r in rows for k in r)
    return sorted({int(m.group(1)) for m in found if m})


def points_table(design: Design, rows: Sequence[dict], years: Sequence[int]) -> pd.DataFrame:
    """One row per point: ``point_id``, the factors, then the metrics in a fixed order.

    The metrics: public money by plan year and in total, the operating subsidy committed in each
    year after the plan to the costing horizon and its total (when the horizon is after the plan),
    the final shortfall, the inclusive share by year, the slots at the last year-end, the fee cap
    by year, then ``status, binding, unmet, error``.
    """
    years = [int(y) for y in years]
    after = commitment_years(rows)
    commitments = [f"subsidy_commitment_{y}_yuan" for y in after] + (["subsidy_commitment_total_yuan"] if after else [])
    metric_cols = (
        [f"public_cost_{y}_yuan" for y in years]
        + ["public_cost_total_yuan", *commitments, "shortfall_final_slots"]
        + [f"inclusive_share_{y}" for y in years]
        + ["total_slots_final", "inclusive_slots_final"]
        + [f"fee_cap_{y}_yuan" for y in years]
        + ["status", "binding", "unmet", "error"]
    )
    df = pd.DataFrame({"point_id": np.arange(1, len(design) + 1)})
    for j, name in enumerate(design.names):
        col = design.values[:, j]
        df[name] = _column(col)
    body = pd.DataFrame(list(rows))
    for c in metric_cols:
        if c in body.columns:
            df[c] = body[c].to_numpy()
        elif c in ("status", "binding", "unmet", "error"):
            df[c] = ""
        else:
            df[c] = np.nan
    for c in ("binding", "unmet", "error"):
        df[c] = df[c].fillna("").astype(str)
    return df


def _column(values: np.ndarray) -> pd.Series:
    """Return a factor's values as a column: numbers as floats (or ints), anything else as given."""
    s = pd.Series(list(values))
    if all(isinstance(v, int | float | np.number) and not isinstance(v, bool) for v in s):
        return pd.to_numeric(s)
    return s.astype(object)


def solved(points: pd.DataFrame) -> pd.Series:
    """Which points have an optimal solution."""
    return points["status"] == "Optimal"


def failed_table(points: pd.DataFrame, names: Sequence[str]) -> pd.DataFrame:
    """Return the points without an optimal solution, with what went wrong."""
    bad = points[~solved(points)]
    return bad[["point_id", *names, "status", "error"]].reset_index(drop=True)


def curve_table(points: pd.DataFrame, names: Sequence[str]) -> pd.DataFrame:
    """Cost of the first grid factor: public money along it, the cost of each step, where the binding limits change.

    The other factors' values name the curve (``curve``). ``marginal_cost_yuan`` is the change in
    total public money per unit of the factor from the previous value (for a share target, per
    percentage point: ``per_point``). ``binding_changed`` marks a value whose binding limits
    (budget, capacities) or missed targets differ from the previous value's.
    """
    axis, others = names[0], list(names[1:])
    per_point = axis.startswith("inclusive_share_target")
    rows = []
    groups = points.groupby(others, sort=False) if others else [((), points)]
    for key, part in groups:
        key = key if isinstance(key, tuple) else (key,)
        label = "；".join(f"{n}={v}" for n, v in zip(others, key, strict=True))
        part = part.sort_values(axis)
        prev = None
        for r in part.to_dict("records"):
            row = {
                "curve": label,
                "value": r[axis],
                "public_cost_total_yuan": r["public_cost_total_yuan"],
                "shortfall_final_slots": r["shortfall_final_slots"],
                "status": r["status"],
                "binding": r["binding"],
                "unmet": r["unmet"],
                "marginal_cost_yuan": np.nan,
                "binding_changed": False,
            }
            if prev is not None and r["status"] == "Optimal" and prev["status"] == "Optimal":
                step = (float(r[axis]) - float(prev["value"])) * (100.0 if per_point else 1.0)
                if step:
                    row["marginal_cost_yuan"] = (r["public_cost_total_yuan"] - prev["public_cost_total_yuan"]) / step
                row["binding_changed"] = (r["binding"], r["unmet"]) != (prev["binding"], prev["unmet"])
            rows.append(row)
            prev = row
    out = pd.DataFrame(rows)
    out.insert(1, "factor", axis)
    out["per"] = "percentage point" if per_point else "unit"
    return out


def frontier_table(points: pd.DataFrame, names: Sequence[str]) -> pd.DataFrame | None:
    """Budget against what it buys (slots, shortfall), when a grid factor is a budget; else ``None``."""
    budget = next((n for n in names if n.split(".")[0] == "budget"), None)
    if budget is None:
        return None
    others = [n for n in names if n != budget]
    cols = [*others, budget, "public_cost_total_yuan", "inclusive_slots_final", "total_slots_final"]
    cols += ["shortfall_final_slots", "status"]
    out = points[cols].rename(columns={budget: "budget_yuan"}).sort_values([*others, "budget_yuan"])
    out.insert(0, "factor", budget)
    return out.reset_index(drop=True)


def fan_table(points: pd.DataFrame, years: Sequence[int]) -> pd.DataFrame:
    """P10, P50 and P90 (and mean, min, max) of public money by year and in total, over the solved draws."""
    ok = points[solved(points)]
    rows = []
    for y in [*map(str, years), "total"]:
        v = ok[f"public_cost_{y}_yuan"].astype(float).to_numpy()
        row = {"year": y, "draws": len(v)}
        for k, q in QUANTILES.items():
            row[f"{k}_yuan"] = float(np.quantile(v, q)) if len(v) else np.nan
        row |= {"mean_yuan": v.mean() if len(v) else np.nan, "min_yuan": v.min(initial=np.inf) if len(v) else np.nan}
        row["max_yuan"] = v.max(initial=-np.inf) if len(v) else np.nan
        rows.append(row)
    return pd.DataFrame(rows)


def budget_probability_table(points: pd.DataFrame, budgets_wan: Sequence[float]) -> pd.DataFrame:
    """Probability that a budget covers the plan's total public money, over the solved draws.

    Rows for the budgets that suffice in 50, 80, 90 and 95% of the draws (the reserve needed to
    be that sure), then for each budget the spec names (``budgets_wan``).
    """
    v = points.loc[solved(points), "public_cost_total_yuan"].astype(float).to_numpy()
    rows = []
    if len(v):
        for level in RESERVE_LEVELS:
            b = float(np.quantile(v, level, method="higher"))
            rows.append({"basis": f"P{round(level * 100)}", "budget_yuan": b, "probability": float((v <= b).mean())})
    for wan in budgets_wan:
        b = wan * 1e4
        rows.append({"basis": "given", "budget_yuan": b, "probability": float((v <= b).mean()) if len(v) else np.nan})
    return pd.DataFrame(rows, columns=["basis", "budget_yuan", "probability"])


def sensitivity_table(design: Design, points: pd.DataFrame, seed: int, levels: int = 4) -> tuple[pd.DataFrame, str]:
    """SALib's indices for each metric, ranked; an empty table and a note when a point did not solve.

    Morris: ``mu_star`` (mean absolute elementary effect, per full range of the factor's
    quantiles), ``mu_star_conf``, ``sigma``, ``mu``. Sobol: ``S1``, ``S1_conf``, ``ST``, ``ST_conf``.
    ``rank`` 1 is the factor that moves the metric most (μ* or ST); ties keep the names' order.
    """
    from SALib.analyze import morris, sobol  # heavy import, only for a sensitivity sweep

    if not solved(points).all():
        n = int((~solved(points)).sum())
        return pd.DataFrame(), f"{n} 个点未求解，敏感性指数无法计算（SALib 需要全部点的结果）"
    frames = []
    for metric in METRICS:
        y = points[metric].astype(float).to_numpy()
        if design.kind == "morris":
            res = morris.analyze(design.problem, design.unit, y, num_levels=levels, seed=seed + ANALYSIS_SEED_OFFSET)
            df = pd.DataFrame(
                {
                    "factor": design.names,
                    "mu_star": np.asarray(res["mu_star"], dtype=float),
                    "mu_star_conf": np.asarray(res["mu_star_conf"], dtype=float),
                    "sigma": np.asarray(res["sigma"], dtype=float),
                    "mu": np.asarray(res["mu"], dtype=float),
                }
            )
            key = "mu_star"
        elif np.ptp(y) == 0:  # the metric never moves: no factor explains any of it (SALib would divide by 0)
            df = pd.DataFrame({"factor": design.names} | dict.fromkeys(("S1", "S1_conf", "ST", "ST_conf"), 0.0))
            key = "ST"
        else:
            res = sobol.analyze(design.problem, y, calc_second_order=False, seed=seed + ANALYSIS_SEED_OFFSET)
            df = pd.DataFrame(
                {
                    "factor": design.names,
                    "S1": np.asarray(res["S1"], dtype=float),
                    "S1_conf": np.asarray(res["S1_conf"], dtype=float),
                    "ST": np.asarray(res["ST"], dtype=float),
                    "ST_conf": np.asarray(res["ST_conf"], dtype=float),
                }
            )
            key = "ST"
        df = df.fillna(0.0)
        df = df.sort_values([key, "factor"], ascending=[False, True], kind="stable").reset_index(drop=True)
        df.insert(0, "rank", np.arange(1, len(df) + 1))
        df.insert(0, "metric", metric)
        frames.append(df)
    return pd.concat(frames, ignore_index=True), ""
