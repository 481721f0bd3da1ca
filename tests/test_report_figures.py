"""The report's charts read as drawn: the workforce chart shows the certification gap, legends follow the stack."""

from __future__ import annotations

import pandas as pd
import pytest

from tuoyu_model.presentation.figures import plot_budget, plot_new_slots, plot_workforce
from tuoyu_model.presentation.vocabulary import VALUE_LABELS


def legend_texts(fig):
    (ax,) = fig.axes
    return [t.get_text() for t in ax.get_legend().get_texts()]


def test_workforce_chart_shows_the_certification_gap_on_top_of_the_certified_staff():
    w = pd.DataFrame(
        {
            "town_id": ["a", "b", "a", "b"],
            "year": [2024, 2024, 2025, 2025],
            "caregivers_needed": [60, 40, 70, 50],
            "health_staff_needed": [3, 2, 3, 2],
            "certified_target": [54, 36, 63, 45],
            "certified_now_estimate": [30, 36, 30, 40],
            "certification_gap": [24, 0, 33, 5],
        }
    )
    fig = plot_workforce(w)
    (ax,) = fig.axes
    assert legend_texts(fig)[:3] == ["所需保育人员", "持证缺口（持证保育人员目标减现有）", "现有持证人员（估计）"]
    red = [p for p in ax.patches if p.get_facecolor()[:3] == pytest.approx((0xC6 / 255, 0x28 / 255, 0x28 / 255))]
    # the gap sits on the certified staff: bottom 66 and 70, height 24 and 38, top the goal (90, 108)
    assert [(p.get_y(), p.get_height()) for p in red] == [(66, 24), (70, 38)]
    assert [t.get_text() for t in ax.texts] == ["缺口24", "缺口38"]


def test_stacked_legends_list_the_top_segment_first():
    budget = pd.DataFrame(
        {
            "year": [2024, 2024, 2025],
            "item": ["capital_subsidy", "operating_subsidy_new", "capital_subsidy"],
            "amount_yuan": [1e6, 5e5, 2e6],
        }
    )
    fig = plot_budget(budget)
    (ax,) = fig.axes
    bottom = min(ax.patches, key=lambda p: (p.get_x(), p.get_y()))  # 2024's lowest segment
    drawn_first = ax.patches[0]
    assert bottom is drawn_first
    items = VALUE_LABELS["item"]
    assert legend_texts(fig) == [items["operating_subsidy_new"], items["capital_subsidy"]]  # top segment first
    alloc = pd.DataFrame(
        {
            "year": [2024, 2024],
            "kind": ["inclusive", "inclusive"],
            "channel": ["kindergarten", "community"],
            "new_slots": [100.0, 50.0],
        }
    )
    fig = plot_new_slots(alloc)
    (ax,) = fig.axes
    top = max(ax.patches, key=lambda p: p.get_y())
    channels = VALUE_LABELS["channel"]
    by_height = {100.0: channels["kindergarten"], 50.0: channels["community"]}
    assert legend_texts(fig) == [by_height[top.get_height()], by_height[150.0 - top.get_height()]]
