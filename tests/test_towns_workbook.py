"""``tuoyu data template`` / ``tuoyu data import``: official figures in, through a workbook a street clerk fills.

The clerk is played by openpyxl: it opens the template, types into the yellow 新值 / 新值来源
cells only and saves (openpyxl rewrites the whole file, as Excel or WPS would on saving).
Every test works on a private copy of ``data/`` (the ``data_copy`` fixture).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import openpyxl
import pytest

from tuoyu_model.cli import main
from tuoyu_model.data import load_towns
from tuoyu_model.data_status import figure_status, status_counts
from tuoyu_model.towns_workbook import FIGURE_LABEL_ZH, SHEET_NAME, write_template


def _hashes(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _columns(ws) -> dict[tuple[str, str], int]:
    out, group = {}, ""
    for c in range(1, ws.max_column + 1):
        group = ws.cell(1, c).value or group  # a merged group header sits in its first cell only
        out[(group, ws.cell(2, c).value)] = c
    return out


def _row_of(ws, town: str) -> int:
    return next(r for r in range(3, ws.max_row + 1) if ws.cell(r, 2).value == town)


def fill(template: Path, out: Path, entries: dict[tuple[str, str], tuple[object, object]]) -> Path:
    """Type ``{(unit name as in the template, figure): (new value, new source)}`` and save as ``out``."""
    wb = openpyxl.load_workbook(template)
    ws = wb[SHEET_NAME]
    cols = _columns(ws)
    for (town, figure), (value, source) in entries.items():
        r = _row_of(ws, town)
        ws.cell(r, cols[(FIGURE_LABEL_ZH[figure], "新值")]).value = value
        ws.cell(r, cols[(FIGURE_LABEL_ZH[figure], "新值来源")]).value = source
    wb.save(out)
    return out


@pytest.fixture
def template(data_copy, tmp_path):
    return write_template(tmp_path / "towns_template.xlsx")


def _one_line_exit_2(args: list[str], capsys) -> str:
    status = main(args)
    err = capsys.readouterr().err
    assert status == 2, err
    assert len(err.splitlines()) == 1, err
    assert err.startswith("tuoyu：错误：") and "Traceback" not in err
    return err


def test_the_template_has_one_row_per_unit_with_todays_values_and_no_example_rows(template, data_copy):
    towns = load_towns()
    wb = openpyxl.load_workbook(template)
    assert wb.sheetnames == [SHEET_NAME, "填表说明"]
    ws = wb[SHEET_NAME]
    cols = _columns(ws)
    assert ws.max_row == 2 + 22
    assert [ws.cell(r, 2).value for r in range(3, 25)] == list(towns.town)
    r = _row_of(ws, "旧宫镇")
    value = ws.cell(r, cols[("常住人口（人）", "现值")])
    assert value.value == towns.at["jiugong", "population"] and value.number_format == "#,##0"
    assert ws.cell(r, cols[("常住人口（人）", "状态")]).value == "有出处"
    assert ws.cell(_row_of(ws, "兴丰街道"), cols[("常住人口（人）", "状态")]).value == "代理值"
    assert ws.cell(r, cols[("幼儿园数（所）", "状态")]).value == "假设"
    new = ws.cell(r, cols[("幼儿园数（所）", "新值")])
    assert new.value is None and new.number_format == "#,##0"
    # Every 新值 / 新值来源 cell is empty: nothing a reader could take for data.
    assert all(
        ws.cell(r, c).value is None for (_, sub), c in cols.items() if sub.startswith("新值") for r in range(3, 25)
    )


def test_template_then_import_without_changes_leaves_data_byte_identical(template, data_copy, capsys):
    before = _hashes(data_copy)
    assert main(["data", "import", str(template)]) == 0
    assert "未改动" in capsys.readouterr().out
    assert _hashes(data_copy) == before


@pytest.mark.e2e
def test_one_changed_figure_changes_exactly_that_cell_and_its_source(template, data_copy, tmp_path, capsys):
    old = (data_copy / "towns.csv").read_bytes()
    source = "大兴区统计局《大兴区2024年统计年鉴》表3-2，2025年"
    filled = fill(template, tmp_path / "兴丰.xlsx", {("兴丰街道", "population"): (90_120, source)})
    assert main(["data", "import", str(filled)]) == 0
    out = capsys.readouterr().out
    assert "兴丰街道 常住人口（人）：87,037 → 90,120（代理值 → 有出处" in out
    assert "共更新 1 项：代理值 → 有出处 1 项。" in out
    new = (data_copy / "towns.csv").read_bytes()
    old_lines, new_lines = old.splitlines(keepends=True), new.splitlines(keepends=True)
    changed = [i for i, (a, b) in enumerate(zip(old_lines, new_lines, strict=True)) if a != b]
    assert changed == [1]  # the 兴丰街道 row only
    import csv

    a, b = next(csv.reader([old_lines[1].decode()])), next(csv.reader([new_lines[1].decode()]))
    header = next(csv.reader([old_lines[0].decode()]))
    diff = {header[i]: (x, y) for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y}
    assert diff.keys() == {"population", "population_source"}
    assert diff["population"] == ("87037", "90120") and diff["population_source"][1] == source
    # The previous file is kept, dated, byte for byte.
    backups = list((data_copy / "backups").glob("towns_*.csv"))
    assert len(backups) == 1 and backups[0].read_bytes() == old
    # Its status is now sourced, and a run uses it.
    towns = load_towns()
    assert towns.at["xingfeng", "population"] == 90_120
    assert figure_status(towns.at["xingfeng", "population_source"]) == "sourced"
    counts = status_counts().set_index(["group", "status"])["count"]
    assert (counts["towns", "sourced"], counts["towns", "proxy"]) == (3, 19)
    from tuoyu_model.results import run_model

    results = run_model("baseline")
    demand = results["demand"].set_index(["town_id", "year"])
    assert results["towns"].set_index("town_id").at["xingfeng", "population"] == 90_120
    assert not demand.loc[("xingfeng", 2024), "population_proxy"]
    assert demand.loc[("linxiaolu", 2024), "population_proxy"]


def test_returns_as_streets_send_them_wps_text_names_without_suffix(template, data_copy, tmp_path, capsys):
    # Numbers typed as text with full-width digits and grouping; names without 街道/镇, padded.
    wb = openpyxl.load_workbook(template)
    ws = wb[SHEET_NAME]
    cols = _columns(ws)
    r = _row_of(ws, "旧宫镇")
    ws.cell(r, 2).value = " 旧宫 "
    ws.cell(r, cols[("2023年末托位数（个）", "新值")]).value = "１，２００"
    ws.cell(r, cols[("2023年末托位数（个）", "新值来源")]).value = "区卫健委 2023年\n托育统计年报"
    ws.cell(r, cols[("2023年末普惠托位数（个）", "新值")]).value = 300.0
    ws.cell(r, cols[("2023年末普惠托位数（个）", "新值来源")]).value = "区卫健委 2023年托育统计年报"
    wb.save(tmp_path / "旧宫.xlsx")
    assert main(["data", "import", str(tmp_path / "旧宫.xlsx")]) == 0
    towns = load_towns()
    assert (towns.at["jiugong", "existing_slots_2023"], towns.at["jiugong", "existing_inclusive_2023"]) == (1200, 300)
    assert towns.at["jiugong", "existing_slots_2023_source"] == "区卫健委 2023年 托育统计年报"
    assert "假设 → 有出处 2 项" in capsys.readouterr().out


def test_several_workbooks_and_the_same_figure_twice_alike(template, data_copy, tmp_path):
    src = "区教委 2024年幼儿园名录"
    a = fill(template, tmp_path / "a.xlsx", {("清源街道", "kindergartens"): (14, src)})
    b = fill(
        template, tmp_path / "b.xlsx", {("清源街道", "kindergartens"): (14, src), ("旧宫镇", "employers"): (9, src)}
    )
    assert main(["data", "import", str(a), str(b)]) == 0
    towns = load_towns()
    assert (towns.at["qingyuan", "kindergartens"], towns.at["jiugong", "employers"]) == (14, 9)


BROKEN_RETURNS = {
    "text-in-number-cell": ({("兴丰街道", "population"): ("约9万", "区统计局 2024")}, ("“约9万”不是数字", "新值")),
    "fraction": ({("兴丰街道", "idle_premises"): (2.5, "区国资委 2024")}, ("2.5 不是整数",)),
    "negative": ({("兴丰街道", "idle_premises"): (-1, "区国资委 2024")}, ("负数",)),
    "missing-source": ({("兴丰街道", "population"): (90_000, None)}, ("没有写来源", "新值来源")),
    "source-without-value": ({("兴丰街道", "population"): (None, "区统计局 2024")}, ("把现值抄到“新值”列",)),
    "inclusive-above-total": (
        {
            ("兴丰街道", "existing_slots_2023"): (100, "区卫健委"),
            ("兴丰街道", "existing_inclusive_2023"): (120, "区卫健委"),
        },
        ("普惠托位数 120 大于 2023年末托位数 100",),
    ),
    "formula-like-source": ({("兴丰街道", "population"): (90_000, "+86 区统计局电话核实")}, ("公式",)),
}


@pytest.mark.parametrize("case", BROKEN_RETURNS, ids=list(BROKEN_RETURNS))
def test_broken_cells_exit_2_with_one_line_and_data_untouched(case, template, data_copy, tmp_path, capsys):
    entries, words = BROKEN_RETURNS[case]
    filled = fill(template, tmp_path / f"{case}.xlsx", entries)
    before = _hashes(data_copy)
    err = _one_line_exit_2(["data", "import", str(filled)], capsys)
    for word in [f"{case}.xlsx", "工作表“各属地数据”", "第 3 行", *words]:
        assert word in err, f"{word!r} not in {err}"
    assert _hashes(data_copy) == before


def test_an_unknown_unit_is_refused_with_the_closest_names(template, data_copy, tmp_path, capsys):
    wb = openpyxl.load_workbook(template)
    ws = wb[SHEET_NAME]
    ws.cell(_row_of(ws, "旧宫镇"), 2).value = "旧公镇"
    wb.save(tmp_path / "x.xlsx")
    before = _hashes(data_copy)
    err = _one_line_exit_2(["data", "import", str(tmp_path / "x.xlsx")], capsys)
    assert "属地“旧公镇”不在工作方案附件中" in err and "旧宫镇" in err and "单元格 B" in err
    assert _hashes(data_copy) == before


def test_a_unit_twice_with_different_figures_is_refused_naming_both(template, data_copy, tmp_path, capsys):
    a = fill(template, tmp_path / "a.xlsx", {("清源街道", "kindergartens"): (14, "区教委 2024")})
    b = fill(template, tmp_path / "b.xlsx", {("清源街道", "kindergartens"): (15, "区教委 2024")})
    before = _hashes(data_copy)
    err = _one_line_exit_2(["data", "import", str(a), str(b)], capsys)
    assert "填了两次且不一致" in err and "a.xlsx" in err and "b.xlsx" in err and "14" in err and "15" in err
    assert _hashes(data_copy) == before


def test_a_renamed_sheet_is_refused(template, data_copy, tmp_path, capsys):
    wb = openpyxl.load_workbook(template)
    wb[SHEET_NAME].title = "Sheet1"
    wb.save(tmp_path / "renamed.xlsx")
    before = _hashes(data_copy)
    err = _one_line_exit_2(["data", "import", str(tmp_path / "renamed.xlsx")], capsys)
    assert "没有名为“各属地数据”的工作表" in err and "Sheet1" in err
    assert _hashes(data_copy) == before


def test_merged_cells_across_new_values_are_refused_naming_them(template, data_copy, tmp_path, capsys):
    wb = openpyxl.load_workbook(template)
    ws = wb[SHEET_NAME]
    cols = _columns(ws)
    r = _row_of(ws, "兴丰街道")
    c = cols[("常住人口（人）", "新值")]
    ws.cell(r, c).value = 90_000
    ws.merge_cells(start_row=r, start_column=c, end_row=r + 1, end_column=c)
    wb.save(tmp_path / "merged.xlsx")
    err = _one_line_exit_2(["data", "import", str(tmp_path / "merged.xlsx")], capsys)
    assert "是合并单元格" in err and f"{openpyxl.utils.get_column_letter(c)}{r}:" in err


def test_a_changed_header_is_refused(template, data_copy, tmp_path, capsys):
    wb = openpyxl.load_workbook(template)
    ws = wb[SHEET_NAME]
    ws.cell(2, _columns(ws)[("幼儿园数（所）", "新值")]).value = "新数"
    wb.save(tmp_path / "header.xlsx")
    err = _one_line_exit_2(["data", "import", str(tmp_path / "header.xlsx")], capsys)
    assert "缺少列“幼儿园数（所） › 新值”" in err


def test_not_an_xlsx_name_and_a_renamed_csv(data_copy, tmp_path, capsys):
    (tmp_path / "a.csv").write_text("属地,人口\n", encoding="utf-8")
    assert "只能导入 .xlsx" in _one_line_exit_2(["data", "import", str(tmp_path / "a.csv")], capsys)
    (tmp_path / "b.xlsx").write_text("属地,人口\n", encoding="utf-8")
    assert "CSV" in _one_line_exit_2(["data", "import", str(tmp_path / "b.xlsx")], capsys)


def test_the_template_never_overwrites_a_users_file_or_a_filled_template(template, data_copy, tmp_path, capsys):
    mine = tmp_path / "mine.xlsx"
    wb = openpyxl.Workbook()
    wb.active["A1"] = "我的表"
    wb.save(mine)
    before = mine.read_bytes()
    assert "不是本工具生成的模板" in _one_line_exit_2(["data", "template", str(mine)], capsys)
    assert mine.read_bytes() == before
    filled = fill(template, tmp_path / "filled.xlsx", {("旧宫镇", "employers"): (9, "区总工会 2024")})
    kept = filled.read_bytes()
    assert "已填写了新值" in _one_line_exit_2(["data", "template", str(filled)], capsys)
    assert filled.read_bytes() == kept
    # An unfilled template of ours is rewritten, with the same bytes (fixed document times).
    first = template.read_bytes()
    assert main(["data", "template", str(template)]) == 0
    assert template.read_bytes() == first
    # The default place is under outputs/.
    assert main(["data", "template"]) == 0
    assert (data_copy.parent / "outputs" / "templates" / "towns_template.xlsx").is_file()


def test_status_counts_add_up_to_every_figure_and_parameter(data_copy):
    from tuoyu_model.parameters import default_parameters

    counts = status_counts()
    towns, params = counts[counts.group == "towns"], counts[counts.group == "parameters"]
    assert list(towns.status) == ["sourced", "derived", "proxy", "assumption"]
    assert towns["count"].sum() == 22 * 7 and towns["share"].sum() == pytest.approx(1.0)
    table = default_parameters().table()
    assert params.set_index("status")["count"].to_dict() == {
        s: int((table.status == s).sum()) for s in ("sourced", "derived", "proxy", "assumption", "setting")
    }
    labelled = load_towns()
    n_proxy = sum(labelled[f"{f}_source"].str.startswith("PROXY").sum() for f in FIGURE_LABEL_ZH)
    assert towns.set_index("status").at["proxy", "count"] == n_proxy


def test_validate_prints_the_counts(data_copy, capsys):
    assert main(["validate"]) == 0
    out = capsys.readouterr().out
    counts = status_counts().set_index(["group", "status"])["count"]
    assert f"各数字的性质：有出处 {counts['towns', 'sourced']} 项、" in out
    assert f"模型设置 {counts['parameters', 'setting']} 项（共 " in out


def test_a_figure_typed_over_todays_value_is_named_not_silently_dropped(template, data_copy, tmp_path, capsys):
    wb = openpyxl.load_workbook(template)
    ws = wb[SHEET_NAME]
    r = _row_of(ws, "旧宫镇")
    c = _columns(ws)[("幼儿园数（所）", "现值")]
    ws.cell(r, c).value = 31
    wb.save(tmp_path / "over.xlsx")
    before = _hashes(data_copy)
    assert main(["data", "import", str(tmp_path / "over.xlsx")]) == 0
    out = capsys.readouterr().out
    assert f"单元格 {openpyxl.utils.get_column_letter(c)}{r}（幼儿园数（所） › 现值）为“31”" in out
    assert "未导入；新数请填在“新值”列" in out and "未改动" in out
    assert _hashes(data_copy) == before
