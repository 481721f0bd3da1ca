"""The progress report's words and chart: advice per lagging unit, dates, the re-plan's money, both targets in %.

On the shipped sample returns (2024 Q2 and Q3), evaluated once with the re-plan.
"""

from __future__ import annotations

import datetime as dt
import re

import pandas as pd
import pytest

from tuoyu_model.presentation.progress_report import (
    REPLAN_MONEY,
    plot_completion,
    recommendations,
    summary_lines,
    unit_advice,
)
from tuoyu_model.presentation.vocabulary import VALUE_LABELS
from tuoyu_model.progress.run import evaluate
from tuoyu_model.progress.vocabulary import report_title

SAMPLE = ["tests/fixtures/progress/sample/daxing_2024q2.xlsx", "tests/fixtures/progress/sample/daxing_2024q3.xlsx"]


@pytest.fixture(scope="module")
def result():
    return evaluate(SAMPLE)


def test_each_lagging_unit_gets_its_gap_and_its_cheapest_channel_with_room(result):
    t = result.tables
    lagging = t["projection"][t["projection"].status == "at_risk"]
    assert len(lagging) >= 2
    advice = recommendations(result.summary, t)
    options = t["replan_options"]
    for r in lagging.itertuples():
        (line,) = [a for a in advice if a.startswith(f"{r.town}：")]
        gap = r.target_total - r.total_slots
        assert f"尚差托位{gap:,.0f}个" in line, line
        mine = options[(options.town_id == r.town_id) & (options.kind == "inclusive") & (options.capacity_slots >= 1)]
        cheapest = mine.sort_values("public_yuan_per_slot").iloc[0]
        # the cheapest inclusive channel this unit still has room in, named first, with its cost and room
        name = VALUE_LABELS["channel"][cheapest.channel]
        assert f"最省的补法：{name}（每个托位财政资金约{cheapest.public_yuan_per_slot:,.0f}元" in line, line
        assert f"容量约{int(cheapest.capacity_slots):,}个" in line
    # advice differs between units (their own gap and room), not one sentence for all
    assert len({a.split("：", 1)[1] for a in advice if a.split("：")[0] in set(lagging.town)}) == len(lagging)


def test_options_price_a_slot_as_capital_plus_a_year_of_operating_subsidy(result):
    o = result.tables["replan_options"]
    kg = o[(o.channel == "kindergarten") & (o.kind == "inclusive")].public_yuan_per_slot.unique()
    # costs.yaml: 15,000 yuan capital subsidy a kindergarten slot; its 2024 operating subsidy
    # 9,534.91 = cost 2,810.50 × 12 − fee 2,371.68 × 0.85 occupancy × 12 (see test_pricing)
    assert kg == pytest.approx([15000.0 + 9534.905476], abs=0.01)
    assert (o.loc[o.kind == "market", "public_yuan_per_slot"] == 0).all()
    assert (o.room_slots >= 0).all() and (o.room_slots <= o.capacity_slots + 1e-9).all()


def test_advice_when_capacity_runs_out_or_falls_short():
    o = pd.DataFrame(
        {
            "channel": ["kindergarten", "social"],
            "kind": ["inclusive", "market"],
            "capacity_slots": [5.0, 0.0],
            "public_yuan_per_slot": [24535.0, 0.0],
        }
    )
    assert unit_advice(o, 12, 12).endswith("，仍差约7个需新增场地。")
    assert "已无新增容量" in unit_advice(o.assign(capacity_slots=0.0), 12, 12)


def test_dates_are_written_as_chinese_documents_write_them(result):
    lines = summary_lines(result.summary, dt.date(2024, 9, 30))
    assert lines[0].startswith("截至2024年9月30日：")
    assert report_title("2024-06-30") == "大兴区托育服务进展评估（截至2024年6月30日）"
    assert not any(re.search(r"\d{4}年0\d月|\d{4}-\d{2}-\d{2}", line) for line in lines)


def test_the_replans_money_says_what_it_covers(result):
    lines = summary_lines(result.summary, result.as_of)
    (replan,) = [line for line in lines if line.startswith("再规划")]
    assert REPLAN_MONEY in replan and "不含运营补贴" in replan
    r = result.summary["replan"]
    assert f"再规划{r['public_cost_replan_yuan'] / 1e4:,.1f}万元" in replan  # all public money, named as such
    assert "含建设、转普惠和全部运营补贴" in replan


def test_completion_chart_shows_both_targets_in_percent(result, tmp_path):
    import matplotlib.image

    path = plot_completion(result.tables["projection"], tmp_path / "completion.png")
    assert matplotlib.image.imread(path).shape[1] > 900
    # drawn again to read its axes: two panels, total and inclusive, the x axis in percent
    from tuoyu_model.presentation import progress_report

    figs = []
    real = progress_report.save_figure
    progress_report.save_figure = lambda fig, p: figs.append(fig) or p
    try:
        plot_completion(result.tables["projection"], tmp_path / "again.png")
    finally:
        progress_report.save_figure = real
    (fig,) = figs
    axes = fig.axes
    assert [ax.get_title() for ax in axes] == ["托位完成率（%）", "普惠托位完成率（%）"]
    for ax in axes:
        fig.canvas.draw()
        ticks = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
        assert ticks and all(t.endswith("%") for t in ticks), ticks
    p = result.tables["projection"]
    p = p[p.reported]
    bars = [b.get_width() for b in axes[1].patches]
    assert sorted(bars) == pytest.approx(sorted(p.inclusive_slots / p.target_inclusive))
