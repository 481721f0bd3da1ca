"""`tuoyu compare`: figures by year and by unit, differences coloured by what they mean, titles, whole slots.

A 20% budget cut (``budget_cut_20``) against the baseline is the worked case: it spends less
(better: green, although the difference is negative), leaves targets unmet (worse: red, the
difference positive) and reaches a lower inclusive share (worse: red, the difference negative),
so a colour by sign would be wrong on two of the three.
"""

from __future__ import annotations

import openpyxl
import pandas as pd
import pytest

from tuoyu_model.presentation.compare import (
    HIGHER,
    LOWER,
    NEITHER,
    compare_for_people,
    compare_table,
    difference_table,
    same_metrics_markdown,
    verdict,
)
from tuoyu_model.runs.compare import run_compare
from tuoyu_model.workbook_writer import COLOURS

WORSE, BETTER = COLOURS["worse"], COLOURS["better"]


def summary(name, title, cost, share, shortfall):
    return {
        "scenario": name,
        "title": title,
        "years": [2024, 2025],
        "last_year": 2025,
        "public_cost_yuan": {"2024": cost[0], "2025": cost[1], "total": sum(cost)},
        "new_slots": {"2024": 100.0, "2025": 50.0, "total": 150.0},
        "converted_slots": {"2024": 0.0, "2025": 10.0},
        "total_slots": {"2024": 1000.0, "2025": 1050.0},
        "inclusive_share": {"2024": share[0], "2025": share[1]},
        "shortfall_by_year": {"2024": shortfall[0], "2025": shortfall[1]},
        "fee_cap_yuan": {"2024": 2371.68, "2025": 2477.79},
        "caregivers_needed": {"2024": 200, "2025": 210},
    }


def test_a_difference_is_judged_by_meaning_not_sign():
    a = summary("a", "甲情景：说明", (1e6, 2e6), (0.30, 0.60), (0.0, 0.0))
    b = summary("b", "乙情景：说明", (0.8e6, 1.6e6), (0.30, 0.55), (0.0, 120.0))
    diff = difference_table(compare_table([a, b])).set_index(["label_zh", "year"])
    assert diff.loc[("财政资金需求", "合计"), "difference"] == pytest.approx(-60.0)  # 万元
    assert diff.loc[("财政资金需求", "合计"), "verdict"] == "better"  # less public money
    assert diff.loc[("年底普惠托位占比", 2025), "verdict"] == "worse"  # a lower share, a negative difference
    assert diff.loc[("年底托位缺口", 2025), "verdict"] == "worse"  # more shortfall, a positive difference
    assert diff.loc[("年底托位缺口", 2024), "verdict"] == ""  # the same
    assert diff.loc[("收费上限", 2025), "verdict"] == ""  # neither way is better
    assert [verdict(1.0, HIGHER), verdict(1.0, LOWER), verdict(1.0, NEITHER)] == ["better", "worse", ""]
    # per year, with a 合计 where amounts add up, never where they do not (a share, a stock)
    years = compare_table([a, b]).groupby("label_zh", sort=False)["year"].apply(list).to_dict()
    assert years["财政资金需求"] == [2024, 2025, "合计"] and years["年底普惠托位占比"] == [2024, 2025]
    people, colours = compare_for_people(compare_table([a, b]), [a, b])
    assert list(people.columns) == ["指标", "年份", "单位", "甲情景", "乙情景", "乙情景−甲情景"]
    assert "两情景收费上限相同。" in same_metrics_markdown(difference_table(compare_table([a, b])))
    row = people.index[(people["指标"] == "年底托位缺口") & (people["年份"] == "2025")][0]
    assert colours[(row, 5)] == "worse" and (people.index[0], 5) in colours  # money: better


@pytest.fixture(scope="module")
def compared(tmp_path_factory):
    return run_compare(["baseline", "budget_cut_20"], out=str(tmp_path_factory.mktemp("cmp")), report=False).folder


@pytest.mark.e2e
def test_comparison_tables_by_year_and_by_unit_add_up(compared):
    import json

    summaries = json.loads((compared / "summary.json").read_text("utf-8"))
    table = pd.read_csv(compared / "tables" / "comparison.csv", encoding="utf-8-sig")
    money = table[table.label_zh == "财政资金需求"].set_index("year")
    for name, s in summaries.items():
        for y in ("2024", "2025"):
            assert money.at[y, name] == pytest.approx(s["public_cost_yuan"][y] / 1e4, abs=0.01)
    units = pd.read_csv(compared / "tables" / "comparison_by_unit.csv", encoding="utf-8-sig")
    m = units[units.label_zh == "财政资金合计"]
    district = m[m.town_id == "district"]
    for name, s in summaries.items():
        # the units add up to the district, and the district to the summary's total
        assert m[m.town_id != "district"][name].sum() == pytest.approx(float(district[name].iloc[0]), abs=0.05)
        assert float(district[name].iloc[0]) == pytest.approx(s["public_cost_yuan"]["total"] / 1e4, abs=0.05)
    assert m["town_id"].nunique() == 23  # 22 units and the district


@pytest.mark.e2e
def test_comparison_workbook_titles_colours_and_whole_slots(compared):
    wb = openpyxl.load_workbook(compared / "comparison.xlsx")
    assert wb.sheetnames == ["情景比较", "分属地比较"]
    ws = wb["情景比较"]
    assert "基准情景、预算压减20%" in ws["A1"].value and ws.freeze_panes == "A3"
    header = [c.value for c in ws[2]]
    assert header == ["指标", "年份", "单位", "基准情景", "预算压减20%", "预算压减20%−基准情景"]
    assert not any("baseline" in str(h) or "budget_cut" in str(h) for h in header)  # titles, not ids
    rows = {(r[0].value, r[1].value): r for r in ws.iter_rows(min_row=3)}
    money, short, share = (
        rows[("财政资金需求", "合计")],
        rows[("年底托位缺口", "2025")],
        rows[("年底普惠托位占比", "2025")],
    )
    assert money[5].value < 0 and money[5].fill.fgColor.rgb.endswith(BETTER[1:])  # less money: green
    assert short[5].value > 0 and short[5].fill.fgColor.rgb.endswith(WORSE[1:])  # more shortfall: red
    # the cut holds the 2025 share (requirement_priority puts it before the unit targets): a share
    # a hair above the baseline's is better, so green
    assert share[5].value > 0 and share[5].fill.fgColor.rgb.endswith(BETTER[1:])
    slots = rows[("新增托位", "合计")]
    assert all(c.number_format == "#,##0" for c in slots[3:])  # whole slots
    assert all(c.number_format == "#,##0.00" for c in money[3:])  # 万元 to two decimals
    assert rows[("年底普惠托位占比", "2025")][3].number_format == "#,##0.0"
    assert rows[("收费上限", "2025")][5].fill.fgColor.rgb in (None, "00000000")  # same: no colour
    by_unit = wb["分属地比较"]
    assert [c.value for c in by_unit[2]][:4] == ["属地", "指标", "单位", "基准情景"]
    reds = [
        r
        for r in by_unit.iter_rows(min_row=3)
        if r[1].value == "年底普惠托位" and r[5].fill.fgColor.rgb.endswith(WORSE[1:])
    ]
    assert reds and all(r[5].value < 0 for r in reds)  # units with fewer inclusive slots are red
    assert by_unit.cell(by_unit.max_row, 1).value == "全区合计"
