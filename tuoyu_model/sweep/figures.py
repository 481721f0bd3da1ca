"""A sweep's charts: the cost-of-target curve, the budget frontier, the fan of public money, the tornado.

Drawn from the sweep's tables (:mod:`tuoyu_model.sweep.analysis`) with the labels and units of
:mod:`tuoyu_model.sweep.present`; saved partly in a helper process while the tables and the
workbook are written (:func:`start_figures`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import matplotlib.ticker
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from tuoyu_model.presentation.chart_style import legend_below, new_figure, styled
from tuoyu_model.presentation.figure_helper import save_figures as save_chart_files
from tuoyu_model.presentation.vocabulary import WAN
from tuoyu_model.sweep.present import METRIC_ZH, factor_header, factor_label, factor_values

MAX_CURVES = 8  # curves named one by one in the cost-curve chart's legend


def plot_curve(curve: pd.DataFrame, factor: str) -> Figure:
    """Total public money along the grid factor ``factor`` (in its people's unit); a ring where the binding changes."""
    with styled():
        fig = new_figure(7, 4)
        ax = fig.add_subplot()
        groups = list(curve.groupby("curve", sort=False))
        named = len(groups) <= MAX_CURVES  # more curves than a legend can hold: thin lines, one entry
        for n, (label, part) in enumerate(groups):
            ok = part[part.status == "Optimal"]
            style = {"marker": "o"} if named else {"linewidth": 0.6, "alpha": 0.5, "color": "#1565C0"}
            text = (label or "财政资金合计") if named else ("各组合（其他参数取值不同）" if n == 0 else None)
            ax.plot(factor_values(factor, ok["value"]), ok["public_cost_total_yuan"] / WAN, label=text, **style)
            ch = ok[ok.binding_changed.astype(bool)]
            x = factor_values(factor, ch["value"])
            ax.scatter(x, ch["public_cost_total_yuan"] / WAN, s=140, facecolors="none", edgecolors="#C62828")
        ax.scatter([], [], s=140, facecolors="none", edgecolors="#C62828", label="起约束作用的限制在此变化")
        ax.set_xlabel(factor_header(factor))
        ax.set_ylabel("财政资金合计（万元）")
        ax.set_title("目标的成本曲线")
        legend_below(ax)
    return fig


def plot_frontier(frontier: pd.DataFrame) -> Figure:
    """Budget against the inclusive slots it buys and the shortfall left."""
    with styled():
        fig = new_figure(7, 4)
        ax = fig.add_subplot()
        f = frontier[frontier.status == "Optimal"].sort_values("budget_yuan")
        ax.plot(f["budget_yuan"] / WAN, f["inclusive_slots_final"], marker="o", color="#2E7D32", label="末年普惠托位")
        ax2 = ax.twinx()
        ax2.plot(f["budget_yuan"] / WAN, f["shortfall_final_slots"], marker="s", color="#C62828", label="末年托位缺口")
        ax.set_xlabel("预算（万元）")
        ax.set_ylabel("普惠托位（个）")
        ax2.set_ylabel("托位缺口（个）")
        ax.set_title("预算与托位")
        h1, l1 = ax.get_legend_handles_labels()
        h2, l2 = ax2.get_legend_handles_labels()
        legend_below(ax, handles=h1 + h2, labels=l1 + l2)
    return fig


def plot_fan(fan: pd.DataFrame) -> Figure:
    """P10–P90 band and median of public money by year."""
    with styled():
        fig = new_figure(6, 4)
        ax = fig.add_subplot()
        f = fan[fan.year.astype(str) != "total"]
        x = f["year"].astype(str).tolist()
        ax.fill_between(x, f["p10_yuan"] / WAN, f["p90_yuan"] / WAN, color="#90CAF9", alpha=0.6, label="P10–P90")
        ax.plot(x, f["p50_yuan"] / WAN, marker="o", color="#1565C0", label="中位数 P50")
        ax.set_ylabel("财政资金（万元）")
        ax.set_title("财政资金需求的不确定性（按年）")
        ax.yaxis.set_major_formatter(matplotlib.ticker.StrMethodFormatter("{x:,.0f}"))
        legend_below(ax)
    return fig


def plot_tornado(sens: pd.DataFrame, metric: str = "public_cost_total_yuan", top: int = 15) -> Figure:
    """Horizontal bars of each factor's effect on ``metric`` (μ* or ST), largest on top."""
    part = sens[sens.metric == metric].sort_values("rank").head(top)
    key, xlabel = ("mu_star", "μ*（万元）") if "mu_star" in part else ("ST", "总效应指数 ST")
    scale = WAN if key == "mu_star" and metric.endswith("_yuan") else 1.0
    if key == "mu_star" and not metric.endswith("_yuan"):
        xlabel = "μ*（个）"
    with styled():
        fig = new_figure(7, 0.9 + 0.35 * max(1, len(part)))
        ax = fig.add_subplot()
        names = [factor_label(n) for n in part["factor"]][::-1]
        vals = (part[key].to_numpy(dtype=float) / scale)[::-1]
        conf = part.get(f"{key}_conf")
        err = None if conf is None else (conf.to_numpy(dtype=float) / scale)[::-1]
        ax.barh(names, vals, xerr=err, color="#EF6C00", ecolor="#555555", capsize=3)
        ax.set_xlabel(xlabel)
        ax.set_title(f"哪些假设影响{METRIC_ZH[metric].split('（')[0]}")
    return fig


def sweep_figure_makers(
    summary: Mapping[str, Any], tables: Mapping[str, pd.DataFrame]
) -> dict[str, Callable[[], Figure]]:
    """Return a function drawing each chart the sweep's tables call for, keyed by file stem."""
    makers: dict[str, Callable[[], Figure]] = {}
    if "curve" in tables:
        makers["curve"] = lambda: plot_curve(tables["curve"], summary["factors"][0])
    if "frontier" in tables:
        makers["frontier"] = lambda: plot_frontier(tables["frontier"])
    if "fan" in tables and np.isfinite(tables["fan"]["p50_yuan"]).any():
        makers["fan"] = lambda: plot_fan(tables["fan"])
    if "sensitivity" in tables and len(tables["sensitivity"]):
        makers["tornado"] = lambda: plot_tornado(tables["sensitivity"])
    return makers


def sweep_figures(summary: Mapping[str, Any], tables: Mapping[str, pd.DataFrame]) -> dict[str, Figure]:
    """Return the charts a sweep's tables call for."""
    return {name: make() for name, make in sweep_figure_makers(summary, tables).items()}


def start_figures(
    folder: Path, summary: Mapping[str, Any], tables: Mapping[str, pd.DataFrame]
) -> Callable[[], dict[str, Path]]:
    """Start drawing the charts into ``figures/<name>.png``, the first in a helper process; call the result to wait.

    The caller writes the tables and the workbook meanwhile
    (:func:`~tuoyu_model.presentation.figure_helper.save_figures`).
    """
    makers = sweep_figure_makers(summary, tables)
    return save_chart_files(makers, Path(folder) / "figures", list(makers)[:1])


def save_figures(folder: Path, summary: Mapping[str, Any], tables: Mapping[str, pd.DataFrame]) -> dict[str, Path]:
    """Draw and save the charts as ``figures/<name>.png``."""
    return start_figures(folder, summary, tables)()
