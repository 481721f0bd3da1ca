"""What the scenario report says, on small made-up results (no solve)."""

import re
from types import SimpleNamespace

import pandas as pd
import pytest

from tuoyu_model.allocation.marginal import NO_QUESTIONS
from tuoyu_model.presentation.report import shadow_price_groups, shadow_price_markdown
from tuoyu_model.presentation.vocabulary import PENALTY_HEADING

PARAMS = {
    "penalty_shortfall_total": 1e6,
    "penalty_shortfall_inclusive": 1e6,
    "penalty_shortfall_share": 1e6,
    "penalty_shortfall_coverage": 1e6,
}


class FakeResults(SimpleNamespace):
    def __getitem__(self, name):
        return self.tables[name]


def results(rows, unit=None, shortfall=True):
    sp = pd.DataFrame(rows, columns=["constraint", "town_id", "year", "value_yuan", "meaning", "family", "binding"])
    if shortfall:  # the allocation's shortfall per row: only 乙镇's inclusive target is unmet (3 slots)
        sp["shortfall"] = [3.0 if c == "inclusive-b-2025" else 0.0 for c in sp.constraint]
    if unit is not None:
        sp["value"], sp["unit"] = sp["value_yuan"], unit
    stock = pd.DataFrame({"town_id": ["a", "b"], "town": ["甲镇", "乙镇"]})
    share = pd.DataFrame({"year": [2025], "total_slots": [4000.0]})
    return FakeResults(
        tables={"shadow_prices": sp, "stock": stock, "inclusive_share": share},
        scenario=SimpleNamespace(parameters=PARAMS),
    )


ROWS = [
    ("total-a-2025", "a", 2025, 30_000.0, "2025年甲镇每增加1个托位需财政资金约30,000元", "total", True),
    ("total-b-2025", "b", 2025, 45_000.0, "2025年乙镇每增加1个托位需财政资金约45,000元", "total", True),
    # unmet: its shortfall is 3 slots (the dual's size does not decide it)
    ("inclusive-b-2025", "b", 2025, 1_000_000.0, "2025年乙镇普惠托位目标未能完成", "inclusive", True),
    # per percentage point: 1% of 4,000 slots = 40 slots; 40 × 30,000 = 1.2 million is a real cost
    # (the penalty level per point is 40 × 500,000 = 20 million)
    (
        "share-district-2025",
        None,
        2025,
        1_200_000.0,
        "2025年全区普惠托位占比每提高1个百分点，财政资金增加约1,200,000元",
        "share",
        True,
    ),
    # per yuan: a budget dual below 1 must still be shown
    (
        "budget-district-2025",
        None,
        2025,
        0.35,
        "2025年预算每增加1元，目标函数值（含缺口罚金）减少约0.3500元",
        "budget",
        True,
    ),
    (
        "capacity_social-a-2025",
        "a",
        2025,
        0.2,
        "2025年甲镇社会托育机构产能每增加1个托位，可节省财政资金约0元",
        "capacity_social",
        True,
    ),
]


def test_shadow_prices_grouped_by_family_with_budget_and_unmet_targets_apart():
    groups = dict(shadow_price_groups(results(ROWS)))
    headings = list(groups)
    # families in their fixed order, the unmet targets last; a 0.2-yuan capacity row is noise
    assert headings == [
        "托位总数目标（每个托位）",
        "全区普惠托位占比（每个百分点）",
        "年度预算（每元）",
        PENALTY_HEADING,
    ]
    # sorted within the family: 45,000 before 30,000
    assert groups["托位总数目标（每个托位）"] == [ROWS[1][4], ROWS[0][4]]
    # the 1.2 million per point is not mistaken for a penalty, the 1 million per slot is
    assert groups["全区普惠托位占比（每个百分点）"] == [ROWS[3][4]]
    assert groups[PENALTY_HEADING] == ["2025年乙镇普惠托位目标未能完成"]
    assert groups["年度预算（每元）"] == [ROWS[4][4]]


def test_a_budget_row_that_does_not_bind_is_left_out():
    rows = [r if r[5] != "budget" else r[:3] + (0.0,) + r[4:6] + (False,) for r in ROWS]
    assert "年度预算（每元）" not in dict(shadow_price_groups(results(rows)))


def test_towns_with_the_same_sentence_are_named_together():
    rows = [
        ("total-a-2025", "a", 2025, 30_000.0, "2025年甲镇每增加1个托位需财政资金约30,000元", "total", True),
        ("total-b-2025", "b", 2025, 30_000.0, "2025年乙镇每增加1个托位需财政资金约30,000元", "total", True),
    ]
    ((heading, sentences),) = shadow_price_groups(results(rows))
    assert sentences == ["2025年甲镇、乙镇（2个属地）每增加1个托位需财政资金约30,000元"]


def test_a_unit_other_than_yuan_is_named_in_the_heading():
    md = shadow_price_markdown(results(ROWS[:2], unit="weighted slot-years"))
    assert "托位总数目标（每个托位）（单位：加权托位·年）" in md


@pytest.mark.parametrize("rows", [[], ROWS[-1:]])
def test_nothing_to_show(rows):
    assert shadow_price_markdown(results(rows)) == "没有起作用的约束。"


def test_the_headline_gives_the_final_year_end_shortfall_never_a_sum_over_years():
    from tuoyu_model.presentation.report import shortfall_line

    # 2024: 1,268 inclusive slots missing; 2025: 2,678 inclusive (the share's 2,678 is the same
    # slots) + 100 slots of the district centre = 2,778 — not 1,268 + 2,778 = 4,046.
    kinds = {
        "2024": {"total": 0.0, "inclusive": 1268.0, "coverage": 0.0, "share": 1268.0, "centre": 0.0},
        "2025": {"total": 0.0, "inclusive": 2678.0, "coverage": 0.0, "share": 2678.0, "centre": 100.0},
    }
    s = {"shortfall_by_year": {"2024": 1268.0, "2025": 2778.0}, "shortfall_by_kind_by_year": kinds}
    line = shortfall_line(s, ["2024", "2025"])
    assert line.startswith("- **目标缺口**：2025年底仍有**2,778个**托位目标未能完成")
    assert "区托育综合服务中心缺100个" in line and "（2024年底缺口1,268个）" in line
    assert "4,046" not in line


def test_not_met_is_read_from_the_shortfall_never_from_the_duals_size():
    # a dual at the penalty level on a met target is not 'not met'; without the column nothing is
    rows = [("total-a-2025", "a", 2025, 10_000_000.0, "2025年甲镇每增加1个托位…", "total", True)]
    assert PENALTY_HEADING not in dict(shadow_price_groups(results(rows)))
    assert PENALTY_HEADING not in dict(shadow_price_groups(results(ROWS, shortfall=False)))


def test_district_targets_are_always_listed_with_the_shortfall_price_in_slots():
    # seven units unmet and the district centre: the centre is shown however many units there are
    rows = [
        (f"inclusive-t{i}-2025", f"t{i}", 2025, 1e7, f"2025年t{i}普惠托位目标未完成，缺{10 + i}个", "inclusive", True)
        for i in range(7)
    ]
    rows.append(("centre-district-2025", "district", 2025, 1e7, "2025年区托育综合服务中心缺100个托位", "centre", True))
    r = results(rows)
    sp = r.tables["shadow_prices"]
    sp["shortfall"] = [10.0 + i for i in range(7)] + [100.0]
    sp["value_slots"], sp["value_slots_unit"] = 1.0, "slots of shortfall per slot"
    unmet = dict(shadow_price_groups(r, limit=3))[PENALTY_HEADING]
    assert unmet[0] == "2025年区托育综合服务中心缺100个托位；影子价格 1.00 缺口托位/托位"
    assert len(unmet) == 5 and unmet[1].startswith("2025年t6普惠托位目标未完成，缺16个")  # then by shortfall
    # 7 units, 3 shown: the list says where the other 4 are
    assert unmet[-1] == "其余4个属地见 tables/shadow_prices.csv 或 Excel 影子价格表"


def test_pricing_table_shows_occupancy_and_fee_revenue_so_the_subsidy_adds_up():
    from tuoyu_model.presentation.tables import pricing_table_for_people

    # cost 2,810.5 − fee 3,288.48 × 85% (= 2,795.21 revenue) = 15.29 subsidy
    p = pd.DataFrame(
        {
            "year": [2025],
            "channel": ["kindergarten"],
            "household_monthly_income_yuan": [16442.39],
            "fee_cap_yuan": [3288.48],
            "fee_yuan": [3288.48],
            "occupancy": [0.85],
            "revenue_per_slot_month_yuan": [2795.208],
            "cost_per_slot_month_yuan": [2810.5],
            "subsidy_per_slot_month_yuan": [15.292],
        }
    )
    row = pricing_table_for_people(FakeResults(tables={"pricing": p}, years=[2025])).iloc[0]
    assert row["入托率（%）"] == pytest.approx(85.0)
    assert row["每托位月运营成本（元）"] - row["每托位月收费收入（元，按入托率）"] == pytest.approx(
        row["每托位月运营补贴（元）"], abs=0.01
    )


def test_a_run_with_set_is_marked_in_the_title_and_lists_the_changes_first():
    from tuoyu_model.presentation.report import report_title, scenario_markdown
    from tuoyu_model.results import run_model

    r = run_model("baseline", ["household_size=3", NO_QUESTIONS])  # the plan alone: no marginal re-solves
    assert report_title(r.scenario).endswith("（已修改参数）")
    md = scenario_markdown(r)
    assert md.index("本次运行修改的参数") < md.index(r.scenario.description[:10])
    assert "- **户均人口**（`household_size`）= 3" in md


def test_the_compare_report_names_each_scenario_once():
    from tuoyu_model.presentation.compare import scenario_line

    line = scenario_line({"scenario": "baseline", "title": "基准情景：2024年底线目标与2025年高质量发展目标"})
    assert line == "基准情景：2024年底线目标与2025年高质量发展目标（baseline）"
    assert line.count("基准情景") == 1


def test_the_budget_heading_names_the_unit_its_sentences_use():
    rows = [("budget-district-2025", None, 2025, 0.35, "2025年每增加1万元预算，可减少约0.6个托位缺口", "budget", True)]
    assert "年度预算（每万元）" in dict(shadow_price_groups(results(rows)))


def test_a_fee_cap_share_set_on_the_command_line_is_the_only_share_the_report_states():
    # The headline once printed "20%" as a fixed string: with --set fee_cap_share=0.25 it said
    # 20% while the pricing section said 25%. Render every piece the scenario notebook shows
    # (read from the notebook, so a new section is covered too) and look for the old share.
    import json

    from tuoyu_model.paths import notebooks_dir
    from tuoyu_model.presentation import report, tables
    from tuoyu_model.presentation.sentences import worded
    from tuoyu_model.results import run_model

    r = worded(run_model("baseline", ["fee_cap_share=0.25"]))  # as the notebook reads them
    cells = json.loads((notebooks_dir() / "scenario_report.ipynb").read_text("utf-8"))["cells"]
    source = "".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
    calls = sorted(set(re.findall(r"\b([RT])\.(\w+)\(results\)", source)))
    assert len(calls) >= 15  # every markdown and table piece of the report
    rendered = []
    for module, name in calls:
        out = getattr(report if module == "R" else tables, name)(r)
        if isinstance(out, pd.DataFrame):
            out = report.html_table(out).data
        rendered.append(out if isinstance(out, str) else str(out))  # a section list, a yes/no
    text = "\n".join(rendered)
    assert "20%" not in text and "20.0%" not in text
    assert "上一年度家庭月可支配收入的25%" in report.headline_markdown(r)
    assert "× 25%" in report.fee_cap_markdown(r)
    cap = r["pricing"].query("year == 2025")["fee_cap_yuan"].iloc[0]
    assert cap == pytest.approx(0.25 * r["pricing"].query("year == 2025")["household_monthly_income_yuan"].iloc[0])


def test_a_scenario_other_than_the_baseline_tells_how_it_differs():
    from tuoyu_model.presentation import report, tables
    from tuoyu_model.presentation.sentences import worded
    from tuoyu_model.results import run_model

    base, cut = worded(run_model("baseline")), worded(run_model("budget_cut_20"))
    assert report.is_baseline(base) and not report.is_baseline(cut)
    assert "与基准情景比较" in report.report_sections(cut) and "与基准情景比较" not in report.report_sections(base)
    text = report.comparison_markdown(cut, base)
    # the story since issue 10's priority: the centre is built and the 60% share held under the cut,
    # so the money saved is fewer kindergarten inclusive slots and fewer market slots (not more)
    assert "幼儿园托班普惠托位减少" in text and "社会托育机构市场化托位减少" in text
    assert "普惠托位占比60.0%（基准60.0%，持平）" in text
    assert "本情景未建设" not in text and "少于基准的属地" in text
    t = tables.unit_comparison_table(cut, base)
    total = t[t["属地"] == "全区合计"].iloc[0]
    d_cost = cut.summary["public_cost_yuan"]["total"] - base.summary["public_cost_yuan"]["total"]
    assert total["财政资金·差（万元）"] == pytest.approx(d_cost / 1e4, abs=0.01)
    assert total["普惠托位·差（个）"] == pytest.approx(
        cut.summary["inclusive_slots"]["2025"] - base.summary["inclusive_slots"]["2025"]
    )


def test_the_conclusions_give_the_three_person_cap_and_why_it_is_below_beijings():
    from tuoyu_model.presentation import report
    from tuoyu_model.presentation.sentences import worded
    from tuoyu_model.pricing import fee_cap_headline
    from tuoyu_model.results import run_model

    r = worded(run_model("baseline"))
    lines = report.conclusions(r)
    assert 3 <= len(lines) <= 5
    h = fee_cap_headline(r.scenario.parameters, [2025]).iloc[-1]
    cap_line = lines[-1]
    assert f"按三口之家计算为{h.fee_cap_family_yuan:,.0f}元" in cap_line
    assert "低于全市" in cap_line and f"{h.beijing_fee_cap_yuan:,.0f}元" in cap_line
    # the units' money in the conclusions is the per-unit table's, and the leader is named
    by_town = r["budget_by_town"].groupby("town")["amount_yuan"].sum()
    assert f"{by_town.idxmax()}（{by_town.max() / 1e4:,.1f}万元）" in lines[3]


def test_family_burden_names_the_families_above_the_line_and_by_how_much():
    from tuoyu_model.presentation.report import family_burden_markdown, family_burden_rows
    from tuoyu_model.results import run_model

    r = run_model("baseline")
    rows = family_burden_rows(r).set_index(["family", "place"])
    # Worked by hand: the inclusive fee is the cap, 20% of the middle family's income, so at a 20%
    # line the middle family is above it by meals − allowance − tax saving = 600 − 300 − 200 yuan.
    assert rows.loc[("中等收入家庭", "普惠托位"), "yuan"] == pytest.approx(100.0, abs=0.01)
    # the low-income family (half the income): 2,477.79 + 600 − 300 − 0.2 × 6,194.48 = 1,538.90
    assert rows.loc[("低收入家庭", "普惠托位"), "yuan"] == pytest.approx(1538.90, abs=0.01)
    assert rows.loc[("低收入家庭", "普惠托位"), "points"] == pytest.approx(24.84, abs=0.01)
    assert ("高收入家庭", "普惠托位") not in rows.index  # 9.6% of its income
    text = family_burden_markdown(r)
    assert "超过家庭月可支配收入的20%" in text and "中等收入家庭20.8%（高0.8个百分点，每月多100元）" in text
    # the line moves with its parameter: at 5 × the 20% cap share (100% of income) only the
    # low-income family's market place is above it
    wide = run_model("baseline", ["family_burden_line_of_cap=5"])
    assert list(family_burden_rows(wide).itertuples(index=False, name=None))[0][:2] == ("低收入家庭", "市场化托位")
    assert len(family_burden_rows(wide)) == 1 and "超过家庭月可支配收入的100%" in family_burden_markdown(wide)


def test_the_report_states_the_priority_order_and_the_rationing_rule():
    # Issue 10: one sentence each, in the 摘要 when some target is unmet and always in the appendix.
    from tuoyu_model.parameters import load_scenario
    from tuoyu_model.presentation.report import rationing_lines

    for rule, words in (("equity", "按公平原则分配缺口"), ("least_cost", "先使缺口总数尽量少")):
        scenario = load_scenario("baseline", {"rationing_rule": rule})
        lines = rationing_lines(SimpleNamespace(scenario=scenario))
        assert lines[0] == (
            "- **优先次序**：资金或产能不足以完成全部要求时，依次优先保证：各属地普惠全覆盖下限和区托育综合服务中心，"
            "其次全区普惠占比，最后各属地托位总数目标和各属地普惠托位目标。"
        )
        assert lines[1].startswith("- **缺口分配规则**：各属地目标不能全部完成时，") and words in lines[1]
        assert "targets.csv的属地顺序" in lines[1]
        assert rationing_lines(SimpleNamespace(scenario=scenario), short=False) == []
    order = "total+inclusive > share > coverage+centre"
    lines = rationing_lines(SimpleNamespace(scenario=load_scenario("baseline", {"requirement_priority": order})))
    assert "依次优先保证：各属地托位总数目标和各属地普惠托位目标，其次全区普惠占比，最后" in lines[0]
