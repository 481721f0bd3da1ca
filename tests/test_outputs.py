"""Output writers read back: CSV BOM and formula escaping, the workbook (openpyxl), figures."""

import hashlib

import openpyxl
import pandas as pd
import pytest

from tuoyu_model.errors import ReportError
from tuoyu_model.presentation.chart_style import font_name, new_figure, save_figure, styled
from tuoyu_model.presentation.tables import for_people
from tuoyu_model.presentation.vocabulary import SHEETS
from tuoyu_model.writers import escape_formula, write_csv, write_workbook

MONEY_TOL = 1e-9  # 万元 conversions are exact divisions by 10,000


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=SUM(A1:A3)", "'=SUM(A1:A3)"),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("@SUM(1)", "'@SUM(1)"),
        ("\t=1", "'\t=1"),
        ("-0.0008", "-0.0008"),  # a plain number written as text: no spreadsheet evaluates it
        ("+3", "+3"),
        ("旧宫镇", "旧宫镇"),
        ("", ""),
        (12, 12),
    ],
)
def test_escape_formula(value, expected):
    assert escape_formula(value) == expected


def tables():
    """Small made-up tables with every sheet of the workbook."""
    return {
        "summary": pd.DataFrame(
            {"label_zh": ["财政资金需求"], "year": ["2025"], "value": [123.45], "unit_zh": ["万元"]}
        ),
        "allocation": pd.DataFrame(
            {
                "town_id": ["jiugong"],
                "town": ["旧宫镇"],
                "year": [2025],
                "channel": ["kindergarten"],
                "kind": ["inclusive"],
                "new_slots": [40.0],
            }
        ),
        "stock": pd.DataFrame(
            {
                "town_id": ["jiugong"],
                "town": ['=HYPERLINK("x")'],
                "year": [2025],
                "total_slots": [490.0],
                "inclusive_slots": [294.0],
                "target_total": [490],
                "target_inclusive": [294],
                "shortfall_total": [0.0],
                "shortfall_inclusive": [0.0],
            }
        ),
        # 1,234,500 yuan = 123.45 万元; 25,000,000 yuan = 2,500 万元
        "budget": pd.DataFrame(
            {
                "year": [2024, 2025],
                "item": ["capital_subsidy", "operating_subsidy_new"],
                "amount_yuan": [1_234_500.0, 25_000_000.0],
            }
        ),
        "budget_by_town": pd.DataFrame(
            {
                "town_id": ["xingfeng", "xingfeng"],
                "town": ["兴丰街道", "兴丰街道"],
                "year": [2024, 2025],
                "item": ["capital_subsidy", "operating_subsidy_new"],
                "amount_yuan": [1_234_500.0, 25_000_000.0],
            }
        ),
        # 18,000,000 yuan a year after the plan = 1,800 万元, half from the city
        "commitments": pd.DataFrame(
            {
                "year": [2026],
                "item": ["operating_subsidy_new"],
                "amount_yuan": [18_000_000.0],
                "city_yuan": [9_000_000.0],
                "district_yuan": [9_000_000.0],
            }
        ),
        "pricing": pd.DataFrame(
            {
                "year": [2025],
                "channel": ["social"],
                "household_monthly_income_yuan": [16442.39],
                "fee_cap_yuan": [3288.48],
                "fee_yuan": [3288.48],
                "cost_per_slot_month_yuan": [3474.0],
                "subsidy_per_slot_month_yuan": [679.0],
            }
        ),
        "demand": pd.DataFrame(
            {
                "town_id": ["jiugong"],
                "town": ["旧宫镇"],
                "year": [2025],
                "children_under3": [3200.0],
                "slots_demanded": [1000.0],
                "slots_per_1000": [2.6],
            }
        ),
        "workforce": pd.DataFrame(
            {
                "town_id": ["jiugong"],
                "town": ["旧宫镇"],
                "year": [2025],
                "caregivers_needed": [60],
                "health_staff_needed": [5],
                "certified_target": [54],
            }
        ),
        "shadow_prices": pd.DataFrame(
            {
                "constraint": ["total-jiugong-2025"],
                "town_id": ["jiugong"],
                "year": [2025],
                "value_yuan": [9001.0],
                "meaning": ["@2025年旧宫镇每增加1个托位需财政资金约9,001元"],
            }
        ),
        # 1,354,533 yuan = 135.45 万元
        "marginal_values": pd.DataFrame(
            {
                "question": ["share_point"],
                "question_zh": ["全区普惠托位占比目标提高1个百分点"],
                "year": [2025],
                "step": [1.0],
                "step_unit": ["percentage point"],
                "public_cost_change_yuan": [1_354_533.0],
                "slots_change": [50.0],
                "sentence_zh": ["2025年普惠占比目标由60%提高到61%，需增加财政资金约135.5万元"],
            }
        ),
        "parameters": pd.DataFrame(
            {
                "name": ["household_size"],
                "label_zh": ["户均人口"],
                "value": ["-2.31"],
                "unit": ["persons"],
                "source": ["+七普"],
                "status": ["sourced"],
            }
        ),
    }


def test_csv_has_bom_english_ids_and_escaped_formulas(tmp_path):
    t = tables()
    path = write_csv(t["stock"], tmp_path / "stock.csv")
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert b"\r\n" not in raw
    back = pd.read_csv(path, encoding="utf-8-sig")
    assert list(back.columns) == list(t["stock"].columns)
    assert back.at[0, "town"] == '\'=HYPERLINK("x")'
    assert back.at[0, "total_slots"] == 490.0


def test_workbook_sheets_headers_units_and_money_in_wan(tmp_path):
    path = write_workbook(tables(), tmp_path / "results.xlsx", "测试")
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == [name for name, _ in SHEETS]
    budget = wb["资金"]
    headers = [c.value for c in budget[2]]
    assert headers == ["年份", "项目", "金额（万元）"]
    assert budget["B3"].value == "新增托位建设补贴"
    assert budget["C3"].value == pytest.approx(123.45, abs=MONEY_TOL)
    assert budget["C4"].value == pytest.approx(2500.0, abs=MONEY_TOL)
    assert budget["C3"].number_format == "#,##0.00"
    by_town = wb["分属地资金"]
    assert [c.value for c in by_town[2]] == ["属地代码", "属地", "年份", "项目", "金额（万元）"]
    assert by_town["D3"].value == "新增托位建设补贴" and by_town["E3"].value == pytest.approx(123.45, abs=MONEY_TOL)
    for ws in wb.worksheets:
        assert ws.freeze_panes == "A3", ws.title
        assert all(any("\u4e00" <= ch <= "\u9fff" for ch in str(c.value)) for c in ws[2]), ws.title
        assert ws.column_dimensions["A"].width >= 6
    # yuan per slot, per percentage point or per yuan by row: never 万元 per slot
    assert wb["影子价格"]["D2"].value == "影子价格（瞬时变化率，元，单位见“单位”列）"
    assert wb["影子价格"]["D3"].value == pytest.approx(9001.0, abs=MONEY_TOL)


def test_workbook_text_is_never_a_formula(tmp_path):
    path = write_workbook(tables(), tmp_path / "results.xlsx")
    wb = openpyxl.load_workbook(path)
    cell = wb["存量与目标"]["B3"]
    assert cell.value == '=HYPERLINK("x")'  # the text as given ...
    assert cell.data_type == "s"  # ... stored as a string, not a formula
    assert cell.quotePrefix  # and the spreadsheet keeps it text when edited
    assert wb["影子价格"]["E3"].data_type == "s"
    # a number given as text is written as a number (it was text '-0.0008' in the UAT)
    assert wb["参数"]["C3"].value == -2.31 and wb["参数"]["C3"].data_type == "n"
    assert wb["参数"]["E3"].value == "+七普" and wb["参数"]["E3"].quotePrefix
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                assert c.data_type != "f", (ws.title, c.coordinate)


def test_workbook_is_reproducible(tmp_path):
    a = write_workbook(tables(), tmp_path / "a.xlsx").read_bytes()
    b = write_workbook(tables(), tmp_path / "b.xlsx").read_bytes()
    assert hashlib.sha256(a).digest() == hashlib.sha256(b).digest()


def test_workbook_refuses_a_missing_table(tmp_path):
    t = tables()
    del t["budget"]
    with pytest.raises(ReportError, match="没有可写入的表 'budget'"):
        write_workbook(t, tmp_path / "x.xlsx")


def test_for_people_translates_codes_and_converts_money():
    df = pd.DataFrame({"channel": ["centre", "unknown"], "amount_yuan": [50_000.0, 0.0]})
    out = for_people(df)
    assert list(out.columns) == ["渠道", "金额（万元）"]
    assert out["渠道"].tolist() == ["区托育综合服务中心", "unknown"]
    assert out["金额（万元）"].tolist() == pytest.approx([5.0, 0.0], abs=MONEY_TOL)


def chart(text):
    with styled():
        fig = new_figure(3, 2)
        ax = fig.add_subplot()
        ax.bar(["幼儿园托班", "社区托育点"], [1, -2])
        ax.set_title(text)
    return fig


def test_chinese_chart_renders_reproducibly_without_metadata(tmp_path):
    assert font_name() == "Noto Sans CJK SC"
    a = save_figure(chart("各年度财政资金（万元）"), tmp_path / "a.png").read_bytes()
    b = save_figure(chart("各年度财政资金（万元）"), tmp_path / "b.png").read_bytes()
    assert a.startswith(b"\x89PNG") and a == b
    assert b"matplotlib" not in a.lower()  # no Software field


def test_missing_glyph_is_an_error(tmp_path):
    # U+1F600 (an emoji) is not in Noto Sans CJK SC: it would draw as a box
    with pytest.raises(ReportError, match="missing from font"):
        save_figure(chart("托位 \U0001f600"), tmp_path / "x.png")


def test_progress_workbook_uses_the_same_writer_and_escaping(tmp_path):
    from tuoyu_model.progress import write_progress_workbook

    completion = pd.DataFrame(
        {
            "town": ["=cmd|' /C calc'!A0", "旧宫镇"],
            "reported": [True, False],
            "total_slots": pd.array([320, pd.NA], dtype="Int64"),
            "completion_total": [float("inf"), float("nan")],
        }
    )
    path = write_progress_workbook(
        {"summary": pd.DataFrame({"摘要": ["-1 个属地未报送"]}), "completion": completion}, tmp_path / "p.xlsx", "进展"
    )
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["摘要", "完成情况"]
    ws = wb["完成情况"]
    assert ws["A2"].value == "=cmd|' /C calc'!A0" and ws["A2"].quotePrefix  # the outputs rule: quote prefix
    assert ws["B2"].value == "是" and ws["B3"].value == "否"
    assert ws["C2"].value == 320 and ws["C3"].value is None  # <NA>: a blank cell, never the text '<NA>'
    assert ws["D2"].value is None and ws["D3"].value is None  # inf and NaN: blank cells
    assert wb["摘要"]["A2"].quotePrefix and ws.freeze_panes == "A2"
    assert (
        write_progress_workbook({"summary": pd.DataFrame({"摘要": ["x"]})}, tmp_path / "q.xlsx").read_bytes()
        == write_progress_workbook({"summary": pd.DataFrame({"摘要": ["x"]})}, tmp_path / "r.xlsx").read_bytes()
    )


def test_csv_floats_are_rounded_by_one_rule(tmp_path):
    df = pd.DataFrame(
        {
            "fee_yuan": [135.16579999999976, -0.0000001],
            "occupancy": [0.8500000000000001, 1 / 3],
            "new_slots": [1198.0000000001, 2.0],
            "value": [1e-9, 2.5],
        }
    )
    back = pd.read_csv(write_csv(df, tmp_path / "x.csv"), encoding="utf-8-sig", dtype=str)
    # money to the fen, -0.0 as 0; other floats to 6 decimals; whole columns without decimals
    assert back.to_dict("list") == {
        "fee_yuan": ["135.17", "0.0"],
        "occupancy": ["0.85", "0.333333"],
        "new_slots": ["1198", "2"],
        "value": ["0.0", "2.5"],
    }


def test_workbook_formats_print_setup_and_notes(tmp_path):
    t = tables()
    t["summary"] = pd.DataFrame(
        {
            "label_zh": ["财政资金需求", "新增托位", "普惠托位占比"],
            "year": [2025, "合计", 2025],
            "value": [123.45, 1198.0, 30.2],
            "unit_zh": ["万元", "个", "%"],
        }
    )
    t["workforce"] = t["workforce"].assign(directors_needed=[3.0], caregivers_needed=[60.0])
    path = write_workbook(t, tmp_path / "r.xlsx", notes={"summary": ["求解状态：Optimal（highs）"]})
    wb = openpyxl.load_workbook(path)
    ws = wb["摘要"]
    assert ws["B3"].value == 2025 and ws["B3"].data_type == "n"  # years are numbers
    assert [ws[f"C{r}"].number_format for r in (3, 4, 5)] == ["#,##0.00", "#,##0", "#,##0.0"]
    assert ws.auto_filter.ref == "A2:D5" and ws["A7"].value == "求解状态：Optimal（highs）"  # note outside the filter
    assert wb["队伍建设"]["G3"].number_format == "#,##0"  # whole people, no decimals
    for sheet in wb.worksheets:
        assert sheet.print_title_rows == "$1:$2"  # title row and header on every printed page
        # fit to one page wide (1 is the file format's default, so it is left out), any number tall
        assert sheet.sheet_properties.pageSetUpPr.fitToPage and sheet.page_setup.fitToHeight == 0
        assert sheet.page_setup.fitToWidth in (None, 1)


def test_shadow_price_sheet_has_the_unit_of_each_row_in_chinese(tmp_path):
    t = tables()
    t["shadow_prices"] = t["shadow_prices"].assign(
        family=["total"],
        value=[9001.0],
        unit=["yuan"],
        shortfall=[0.0],
        value_slots=[float("nan")],
        value_slots_unit=[""],
    )
    wb = openpyxl.load_workbook(write_workbook(t, tmp_path / "r.xlsx"))
    ws = wb["影子价格"]
    row = {ws.cell(2, j).value: ws.cell(3, j).value for j in range(1, ws.max_column + 1)}
    assert row["单位"] == "元/托位" and row["约束类别"] == "托位总数目标" and row["目标缺口（个）"] == 0


@pytest.mark.parametrize(
    ("value", "unit", "text"),
    [
        (2455.0, "个", "2,455"),  # slots whole, with a separator
        (1231.0, "人", "1,231"),  # people whole
        (3288.48, "元", "3,288"),  # fee cap: whole yuan, the same everywhere
        (3288.48, "元/人·月", "3,288"),
        (521.0622, "万元", "521.06"),  # 万元 two decimals
        (45.04, "%", "45.0"),  # percentages one decimal
        (None, "个", ""),  # missing: blank
    ],
)
def test_people_numbers_by_unit(value, unit, text):
    from tuoyu_model.presentation.tables import people_number

    assert people_number(value, unit) == text


def test_tables_for_people_format_by_row_unit_or_header_unit_and_blank_missing():
    from tuoyu_model.presentation.tables import text_for_people

    compare = pd.DataFrame(
        {
            "指标": ["新增托位", "末年收费上限", "财政资金"],
            "单位": ["个", "元", "万元"],
            "基准": [2455.0, 3288.48, 521.0622],
        }
    )
    assert text_for_people(compare)["基准"].tolist() == ["2,455", "3,288", "521.06"]
    share = pd.DataFrame(
        {
            "托位总数（个）": [4700.0, 1680.0],
            "普惠占比（%）": [35.74, 50.0],
            "保育人员（人）": pd.array([1197, None], "Int64"),
        }
    )
    assert text_for_people(share).to_dict("list") == {
        "托位总数（个）": ["4,700", "1,680"],
        "普惠占比（%）": ["35.7", "50.0"],
        "保育人员（人）": ["1,197", ""],
    }


def test_solver_status_in_chinese_for_people_english_kept_in_summary_json():
    from tuoyu_model.presentation.tables import solver_zh, summary_notes

    summary = {"solver": {"status": "Optimal", "name": "highs"}, "notes": []}
    assert summary_notes(summary) == ["求解状态：最优解（求解器 HiGHS）"]  # workbook 摘要 note
    assert solver_zh({"status": "Infeasible", "name": "cbc"}) == "无可行解（求解器 CBC）"
    assert summary["solver"]["status"] == "Optimal"  # summary.json is untouched


def test_pricing_chart_names_the_fee_cap_in_the_legend_not_over_the_bars():
    from tuoyu_model.presentation.figures import plot_pricing

    # two channels; cap 3,288.48 yuan shows as whole yuan like every table
    pricing = pd.DataFrame(
        {
            "year": [2025, 2025],
            "channel": ["kindergarten", "centre"],
            "cost_per_slot_month_yuan": [3000.0, 4000.0],
            "fee_yuan": [2000.0, 2500.0],
            "occupancy": [0.9, 0.9],
            "subsidy_per_slot_month_yuan": [1200.0, 1750.0],
            "fee_cap_yuan": [3288.48, 3288.48],
        }
    )
    fig = plot_pricing(pricing, 2025)
    ax = fig.axes[0]
    (legend,) = fig.legends  # chart_style.legend_below: a figure legend in its own row under the axes
    assert "收费上限 3,288 元/人·月" in [t.get_text() for t in legend.get_texts()]
    assert not [t for t in ax.texts if "收费上限" in t.get_text()]  # nothing drawn on the bars


@pytest.mark.parametrize(
    ("name", "value", "unit", "text"),
    [
        ("allowed_kinds", {"kindergarten": {"inclusive": True, "market": False}}, "", "幼儿园托班：普惠 是，市场化 否"),
        ("budget", {2024: None, 2025: 12_000_000}, "yuan", "2024年：不设上限；2025年：12,000,000"),
        ("class_size", {"age_0_1": 10, "age_2_3": 20}, "", "乳儿班：10；托大班：20"),
        ("household_income_multiplier", {"low": 0.5, "high": 2.0}, "", "低收入家庭：0.5；高收入家庭：2"),
        ("penalty_shortfall_total", 10_000_000, "yuan", "10,000,000"),
        ("market_fee", 7039, "yuan", "7,039"),
        ("mip_rel_gap", 1e-06, "", "0.000001"),  # never scientific notation
        ("integer_classes", False, "", "否"),
        ("under3_share_by_band", None, "", ""),  # not set: blank
        ("census_year", 2020, "year", "2020"),  # a year keeps its digits
    ],
)
def test_parameter_values_are_written_for_people(name, value, unit, text):
    from tuoyu_model.presentation.tables import parameter_text

    assert parameter_text(value, name, unit) == text


def test_parameters_sheet_shows_the_people_values():
    from tuoyu_model.parameters import default_parameters
    from tuoyu_model.presentation.tables import parameters_for_people

    t = parameters_for_people(default_parameters()).set_index("name")["value"]
    assert t["budget"] == "2024年：不设上限；2025年：不设上限"
    assert not t.str.contains(r"True|False|None|e-0|kindergarten|age_\d", regex=True).any()
