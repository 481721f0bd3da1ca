"""The report's charts, with Chinese labels: one ``plot_…`` function per chart, and the set a scenario draws.

Figures are built on :class:`matplotlib.figure.Figure` directly (no pyplot): no global state,
nothing is displayed by accident in a notebook. The font, the style and the reproducible PNG
are :mod:`tuoyu_model.presentation.chart_style` (:func:`~tuoyu_model.presentation.chart_style.styled`,
:func:`~tuoyu_model.presentation.chart_style.save_figure`: a glyph missing from the font is an
error); a report's charts are drawn in two processes at once where the operating system can
fork (:mod:`tuoyu_model.presentation.figure_helper`). matplotlib is imported when the first chart is drawn,
not with this module: ``tuoyu run`` imports the writers but draws its charts in the notebook's kernel.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

import pandas as pd

from tuoyu_model.presentation.chart_style import legend_below, legend_stacked, new_figure, styled
from tuoyu_model.presentation.vocabulary import VALUE_LABELS, WAN
from tuoyu_model.unit_maps import load_unit_boundaries, load_unit_tiles

if TYPE_CHECKING:
    from matplotlib.figure import Figure

CHANNEL_COLOURS = {
    "kindergarten": "#4C72B0",
    "community": "#55A868",
    "employer": "#C44E52",
    "social": "#8172B2",
    "centre": "#CCB974",
    "conversion": "#64B5CD",
}
KIND_COLOURS = {"inclusive": "#2E7D32", "market": "#9E9E9E"}


def _label(kind: str, value: str) -> str:
    return VALUE_LABELS.get(kind, {}).get(value, value)


def plot_targets_by_town(stock: pd.DataFrame, year: int) -> Figure:
    """Bar chart by town: slots reached vs target (total and inclusive) at the end of ``year``."""
    df = stock[stock["year"] == year].reset_index(drop=True)
    with styled():
        fig = new_figure(8.5, max(4.5, 0.32 * len(df) + 1.2))
        ax = fig.add_subplot()
        y = range(len(df))
        h = 0.38
        ax.barh([i - h / 2 for i in y], df["target_total"], height=h, color="#BBBBBB", label="托位目标")
        ax.barh([i - h / 2 for i in y], df["total_slots"], height=h * 0.55, color="#4C72B0", label="托位总数")
        ax.barh([i + h / 2 for i in y], df["target_inclusive"], height=h, color="#C8E6C9", label="普惠托位目标")
        ax.barh([i + h / 2 for i in y], df["inclusive_slots"], height=h * 0.55, color="#2E7D32", label="普惠托位")
        short = df["shortfall_total"] + df["shortfall_inclusive"]
        for i, s in zip(y, short, strict=True):
            if s > 0.5:
                ax.annotate(
                    f"缺口 {s:,.0f}",
                    (max(df.loc[i, "target_total"], df.loc[i, "total_slots"]), i),
                    xytext=(4, 0),
                    textcoords="offset points",
                    va="center",
                    color="#C62828",
                    fontsize=8,
                )
        ax.set_yticks(list(y), df["town"])
        ax.invert_yaxis()
        ax.set_xlabel("托位（个）")
        ax.set_title(f"{year}年底各属地托位与目标")
        ax.legend(loc="lower right", fontsize=8)  # the short bottom bars leave this corner empty
    return fig


def plot_inclusive_share(share: pd.DataFrame) -> Figure:
    """District inclusive share by year against its target (columns year, inclusive_share, target)."""
    from matplotlib.ticker import PercentFormatter  # heavy third-party library: loaded when a chart is drawn

    with styled():
        fig = new_figure(6, 3.8)
        ax = fig.add_subplot()
        years = [str(y) for y in share["year"]]
        bars = ax.bar(years, share["inclusive_share"], color="#2E7D32", width=0.5, label="普惠占比（模型）")
        ax.scatter(years, share["target"], marker="_", s=900, color="#C62828", zorder=3, label="目标")
        for b, v in zip(bars, share["inclusive_share"], strict=True):
            ax.annotate(
                f"{v:.1%}", (b.get_x() + b.get_width() / 2, v), xytext=(0, 3), textcoords="offset points", ha="center"
            )
        ax.set_ylim(0, 1)
        ax.yaxis.set_major_formatter(PercentFormatter(1.0))
        ax.set_ylabel("普惠托位占全部托位比例")
        ax.set_title("全区普惠托位占比")
        legend_below(ax)
    return fig


def plot_budget(budget: pd.DataFrame) -> Figure:
    """Stacked bars of public money by year and item, in 万元."""
    pivot = budget.pivot_table(index="year", columns="item", values="amount_yuan", aggfunc="sum", sort=True)
    pivot = pivot.fillna(0.0) / WAN
    with styled():
        fig = new_figure(6.5, 4)
        ax = fig.add_subplot()
        bottom = pd.Series(0.0, index=pivot.index)
        years = [str(y) for y in pivot.index]
        for item in [c for c in pivot.columns if (pivot[c].abs() > 0).any()]:
            ax.bar(years, pivot[item], bottom=bottom, width=0.5, label=_label("item", item))
            bottom = bottom + pivot[item]
        for x, total in zip(years, bottom, strict=True):
            ax.annotate(f"{total:,.0f}", (x, total), xytext=(0, 3), textcoords="offset points", ha="center")
        ax.set_ylabel("财政资金（万元）")
        ax.set_title("各年度财政资金需求")
        ax.margins(y=0.08)  # room for the totals above the bars
        legend_stacked(ax)
    return fig


ITEM_COLOURS = {
    "capital_subsidy": "#4C72B0",
    "conversion": "#64B5CD",
    "operating_subsidy_new": "#55A868",
    "operating_subsidy_existing": "#CCB974",
}


def plot_budget_by_town(by_town: pd.DataFrame, years: list[int]) -> Figure:
    """Stacked horizontal bars of each unit's public money over the plan years, by item, in 万元.

    Units in ``towns.csv`` order, the total written at the end of each bar; the legend lists
    the items in stacking order (left to right).
    """
    b = by_town[by_town["year"].isin(years)]
    towns = list(dict.fromkeys(b["town"]))
    pivot = b.pivot_table(index="town", columns="item", values="amount_yuan", aggfunc="sum").reindex(towns)
    pivot = pivot.fillna(0.0) / WAN
    items = [i for i in ITEM_COLOURS if i in pivot and (pivot[i].abs() > 0).any()]
    span = f"{min(years)}–{max(years)}年" if len(years) > 1 else f"{years[0]}年"
    with styled():
        fig = new_figure(8.5, max(4.5, 0.3 * len(towns) + 1.5))
        ax = fig.add_subplot()
        left = pd.Series(0.0, index=pivot.index)
        for item in items:
            ax.barh(towns, pivot[item], left=left, color=ITEM_COLOURS[item], label=_label("item", item), height=0.6)
            left = left + pivot[item]
        for k, total in enumerate(left):
            ax.annotate(f"{total:,.0f}", (total, k), xytext=(3, 0), textcoords="offset points", va="center", fontsize=8)
        ax.invert_yaxis()
        ax.margins(x=0.1)
        ax.set_xlabel("财政资金（万元）")
        ax.set_title(f"各属地财政资金（{span}合计）")
        legend_below(ax, ncols=2)
    return fig


# The tile map's panels: value column, title, colour map (by meaning: a shortfall is red, a
# share green, money blue), number format.
MAP_PANELS = (
    ("shortfall", "托位缺口（个）", "Reds", "{:,.0f}"),
    ("inclusive_share", "普惠托位占比", "Greens", "{:.0%}"),
    ("money_wan", "财政资金（万元）", "Blues", "{:,.0f}"),
)


def unit_map_values(stock: pd.DataFrame, by_town: pd.DataFrame, year: int) -> pd.DataFrame:
    """Per unit at the end of ``year``: shortfall (the larger of total and inclusive), inclusive share, money (万元)."""
    s = stock[stock["year"] == year].set_index("town_id")
    money = by_town.groupby("town_id")["amount_yuan"].sum() / WAN
    return pd.DataFrame(
        {
            "town": s["town"],
            "shortfall": s[["shortfall_total", "shortfall_inclusive"]].max(axis=1),
            "inclusive_share": (s["inclusive_slots"] / s["total_slots"].where(s["total_slots"] > 0)).fillna(0.0),
            "money_wan": money.reindex(s.index).fillna(0.0),
        }
    )


def plot_units_map(values: pd.DataFrame, tiles: pd.DataFrame, boundaries: Mapping | None, year: int) -> Figure:
    """Three small maps of the units coloured by shortfall, inclusive share and public money.

    With ``boundaries`` (``{town_id: rings}`` from a user's GeoJSON) the units' shapes are drawn;
    otherwise one square per unit at its schematic position (``tiles``: ``col``, ``row``), marked
    示意图 in the title.
    """
    from matplotlib import colormaps, colors  # lazy: only the map needs colour maps
    from matplotlib.patches import Polygon, Rectangle

    kind = "边界" if boundaries else "示意图，方块位置为大致相对方位"
    with styled():
        fig = new_figure(12, 4.6)
        axes = fig.subplots(1, len(MAP_PANELS))
        for ax, (col, title, cmap_name, fmt) in zip(axes, MAP_PANELS, strict=True):
            v = values[col].astype(float)
            top = float(v.max()) if len(v) and v.max() > 0 else 1.0
            low = (
                max(0.0, float(v.min()) - 0.05) if col == "inclusive_share" and len(v) else 0.0
            )  # shares differ little
            norm = colors.Normalize(vmin=low, vmax=max(top, low + 1e-9))
            cmap = colormaps[cmap_name]
            for unit, row in values.iterrows():
                colour = cmap(norm(float(row[col])) * 0.85 + 0.1)
                text_colour = "white" if norm(float(row[col])) > 0.6 else "#222222"
                if boundaries and unit in boundaries:
                    for ring in boundaries[unit]:
                        ax.add_patch(Polygon(ring, closed=True, facecolor=colour, edgecolor="white", linewidth=0.6))
                    xs = [x for ring in boundaries[unit] for x, _ in ring]
                    ys = [y for ring in boundaries[unit] for _, y in ring]
                    cx, cy = sum(xs) / len(xs), sum(ys) / len(ys)
                else:
                    c, r = float(tiles.loc[unit, "col"]), -float(tiles.loc[unit, "row"])
                    ax.add_patch(Rectangle((c - 0.47, r - 0.47), 0.94, 0.94, facecolor=colour, edgecolor="white"))
                    cx, cy = c, r
                name = str(row["town"]).removesuffix("街道").removesuffix("镇")
                size = 7 if len(name) <= 4 else 5.5
                ax.text(cx, cy + 0.12, name, ha="center", va="center", fontsize=size, color=text_colour)
                ax.text(
                    cx, cy - 0.2, fmt.format(float(row[col])), ha="center", va="center", fontsize=7, color=text_colour
                )
            ax.autoscale_view()
            ax.set_aspect("equal")
            ax.axis("off")
            ax.set_title(title, fontsize=10)
        fig.suptitle(f"{year}年各属地托位缺口、普惠占比与财政资金（{kind}）", fontsize=11)
    return fig


def plot_new_slots(allocation: pd.DataFrame) -> Figure:
    """Stacked bars of new slots by year and channel, inclusive and market side by side."""
    pivot = allocation.pivot_table(
        index=["year", "kind"], columns="channel", values="new_slots", aggfunc="sum", sort=True
    ).fillna(0.0)
    with styled():
        fig = new_figure(7, 4)
        ax = fig.add_subplot()
        labels = [f"{y}\n{_label('kind', k)}" for y, k in pivot.index]
        bottom = pd.Series(0.0, index=pivot.index)
        order = [c for c in CHANNEL_COLOURS if c in pivot.columns] + [
            c for c in pivot.columns if c not in CHANNEL_COLOURS
        ]
        for ch in order:
            ax.bar(
                labels, pivot[ch], bottom=bottom, width=0.6, label=_label("channel", ch), color=CHANNEL_COLOURS.get(ch)
            )
            bottom = bottom + pivot[ch]
        ax.set_ylabel("新增托位（个）")
        ax.set_title("各年度新增托位（按渠道）")
        legend_stacked(ax)
    return fig


def plot_pricing(pricing: pd.DataFrame, year: int) -> Figure:
    """Per channel in ``year``: monthly cost of a slot, the inclusive fee, the fee cap and the subsidy.

    The fee cap is a dashed line named in the legend (whole yuan, as in every table).
    """
    df = pricing[pricing["year"] == year].reset_index(drop=True)
    with styled():
        fig = new_figure(7.5, 4)
        ax = fig.add_subplot()
        names = [_label("channel", c) for c in df["channel"]]
        x = range(len(df))
        w = 0.38
        ax.bar(
            [i - w / 2 for i in x], df["cost_per_slot_month_yuan"], width=w, color="#8172B2", label="每托位月运营成本"
        )
        # Revenue per slot is the fee at the occupancy rate: revenue + subsidy covers the cost.
        revenue = df["fee_yuan"] * df["occupancy"]
        occ = float(df["occupancy"].iloc[0]) if len(df) else 0.0
        ax.bar([i + w / 2 for i in x], revenue, width=w, color="#55A868", label=f"收费收入（普惠收费×入托率{occ:.0%}）")
        ax.bar(
            [i + w / 2 for i in x],
            df["subsidy_per_slot_month_yuan"],
            width=w,
            bottom=revenue,
            color="#CCB974",
            label="运营补贴",
        )
        cap = float(df["fee_cap_yuan"].iloc[0]) if len(df) else 0.0
        # The cap is named in the legend, not written on the chart where it would cover a bar.
        ax.axhline(cap, color="#C62828", linestyle="--", linewidth=1, label=f"收费上限 {cap:,.0f} 元/人·月")
        ax.set_xticks(list(x), names, fontsize=8)
        ax.set_ylabel("元/人·月")
        ax.set_title(f"{year}年每托位月成本、收费收入与补贴")
        legend_below(ax, ncols=3)
    return fig


def plot_workforce(workforce: pd.DataFrame) -> Figure:
    """District staff needed by year, and the certification gap.

    Three bars a year: caregivers needed; the certified-caregiver goal stacked as the certified
    caregivers estimated today (bottom) and the gap to the goal (top, its number written on
    it); health staff needed. ``certified_now_estimate + certification_gap`` is the goal in
    every unit. The legend lists the bars left to right, the stacked bar's top segment first.
    """
    cols = ["caregivers_needed", "certified_now_estimate", "certification_gap", "health_staff_needed"]
    by_year = workforce.groupby("year", sort=True)[[c for c in cols if c in workforce]].sum()
    years = [str(y) for y in by_year.index]
    x = list(range(len(years)))
    w = 0.26
    with styled():
        fig = new_figure(7.5, 3.8)
        ax = fig.add_subplot()
        bars = {"caregivers": ax.bar([i - w for i in x], by_year["caregivers_needed"], width=w, color="#4C72B0")}
        if {"certified_now_estimate", "certification_gap"} <= set(by_year):
            now, gap = by_year["certified_now_estimate"], by_year["certification_gap"]
            bars["now"] = ax.bar(x, now, width=w, color="#8FBBD9")
            bars["gap"] = ax.bar(x, gap, bottom=now, width=w, color="#C62828")
            for i, (n, g) in enumerate(zip(now, gap, strict=True)):
                ax.annotate(
                    f"缺口{g:,.0f}", (i, n + g), xytext=(0, 3), textcoords="offset points", ha="center", fontsize=8
                )
        if "health_staff_needed" in by_year:
            bars["health"] = ax.bar([i + w for i in x], by_year["health_staff_needed"], width=w, color="#55A868")
        names = {
            "caregivers": "所需保育人员",
            "gap": "持证缺口（持证保育人员目标减现有）",
            "now": "现有持证人员（估计）",
            "health": "所需卫生保健人员",
        }
        shown = [k for k in names if k in bars]
        ax.legend(
            [bars[k] for k in shown],
            [names[k] for k in shown],
            loc="upper left",
            bbox_to_anchor=(1.01, 1.0),
            fontsize=8,
            frameon=False,
        )
        ax.set_xticks(x, years)
        ax.set_ylabel("人")
        ax.margins(y=0.1)  # room for the gap's number
        ax.set_title("托育从业人员需求与持证缺口（全区）")
    return fig


VERDICT_COLOURS = {"worse": "#C62828", "better": "#2E7D32", "": "#9E9E9E"}  # red, green, grey


def plot_differences(diff: pd.DataFrame) -> Figure:
    """Horizontal bars of each scenario's difference from the first, one panel per headline figure.

    ``diff`` has columns ``label_zh, unit_zh, scenario, difference`` and may have ``year`` (shown
    in the title) and ``verdict`` (:func:`tuoyu_model.presentation.compare.verdict`): a worse
    difference is red, a better one green, whatever its sign; without a verdict, grey.
    """
    metrics = list(dict.fromkeys(diff["label_zh"]))
    if not metrics:  # every headline figure is the same: the report says so in words
        with styled():
            fig = new_figure(6, 1.5)
            fig.text(0.5, 0.5, "各情景主要指标相同", ha="center", va="center")
        return fig
    with styled():
        fig = new_figure(8, max(3.0, 1.6 * len(metrics)))
        axes = fig.subplots(len(metrics), 1, squeeze=False)[:, 0]
        for ax, m in zip(axes, metrics, strict=True):
            d = diff[diff["label_zh"] == m]
            verdicts = d["verdict"] if "verdict" in d else [""] * len(d)
            colours = [VERDICT_COLOURS.get(v, VERDICT_COLOURS[""]) for v in verdicts]
            ax.barh(list(d["scenario"]), d["difference"], color=colours)
            ax.axvline(0, color="#333333", linewidth=0.8)
            year = f"{d['year'].iloc[0]}{'' if str(d['year'].iloc[0]) == '合计' else '年'}，" if "year" in d else ""
            ax.set_title(f"{m}（{year}{d['unit_zh'].iloc[0]}）与第一个情景之差：红色较差，绿色较好", fontsize=9)
            ax.invert_yaxis()
    return fig


def scenario_figure_makers(tables: Mapping[str, pd.DataFrame], years: list[int]) -> dict[str, Callable[[], Figure]]:
    """Return a function building each chart of the scenario report, keyed by file stem."""
    last = max(years)
    return {
        "targets_by_town": lambda: plot_targets_by_town(tables["stock"], last),
        "inclusive_share": lambda: plot_inclusive_share(tables["inclusive_share"]),
        "budget_by_year": lambda: plot_budget(tables["budget"]),
        "budget_by_town": lambda: plot_budget_by_town(tables["budget_by_town"], years),
        "units_map": lambda: plot_units_map(
            unit_map_values(tables["stock"], tables["budget_by_town"], last),
            load_unit_tiles(units=list(tables["stock"]["town_id"].drop_duplicates())),
            load_unit_boundaries(),
            last,
        ),
        "new_slots_by_channel": lambda: plot_new_slots(tables["allocation"]),
        "pricing": lambda: plot_pricing(tables["pricing"], last),
        "workforce": lambda: plot_workforce(tables["workforce"]),
    }


def scenario_figures(tables: Mapping[str, pd.DataFrame], years: list[int]) -> dict[str, Figure]:
    """Build every chart of the scenario report, keyed by file stem."""
    return {name: make() for name, make in scenario_figure_makers(tables, years).items()}
