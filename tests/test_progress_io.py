"""Reading progress returns: every accepted layout reads to one table; every defect to one line."""

import datetime as dt
import importlib.util
import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from tuoyu_model.cli import main
from tuoyu_model.data import load_targets
from tuoyu_model.errors import DataError
from tuoyu_model.parameters import apply_overrides, default_parameters
from tuoyu_model.progress import not_reported, read_progress
from tuoyu_model.progress.cells import COUNT_COLUMNS, unit_lookup
from tuoyu_model.progress.returns import parse_grid, read_grid_xlsx
from tuoyu_model.progress.template import flat_header
from tuoyu_model.workbook_reader import MergedRange

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "progress"
GOOD = FIXTURES / "good"
BROKEN = FIXTURES / "broken"
SOURCE = ["source_file", "source_sheet", "source_row"]

# The three returns every good fixture holds, typed again from make_fixtures.py's ROWS, in the
# annex's order (兴丰街道 is 1, 旧宫镇 9, 安定镇 12).
EXPECTED = pd.DataFrame(
    {
        "town_id": ["xingfeng", "jiugong", "anding"],
        "town": ["兴丰街道", "旧宫镇", "安定镇"],
        "total_slots": [150, 320, 40],
        "inclusive_slots": [45, 96, 12],
        "institutions_social": [2, 4, 1],
        "caregivers": [30, 64, 8],
        "certified_caregivers": [27, 50, 6],
        "health_staff": [5, 9, 2],
    }
)

GOOD_FILES = {
    "utf8": ["returns_utf8.csv"],
    "utf8_bom": ["returns_utf8_bom.csv"],
    "gbk_short_names": ["returns_gbk_short_names.csv"],
    "annex_xlsx_title_total_notes": ["returns_annex_layout.xlsx"],
    "fullwidth_digits_spaces": ["returns_fullwidth.csv"],
    "two_row_header_csv_gb18030": ["returns_two_row_header.csv"],
    "one_file_per_unit": ["split/旧宫镇.xlsx", "split/兴丰街道.csv", "split/安定镇.csv"],
}


@pytest.fixture(scope="module")
def reference():
    return read_progress(GOOD / "returns_utf8.csv").drop(columns=SOURCE)


@pytest.mark.parametrize("files", GOOD_FILES.values(), ids=GOOD_FILES.keys())
def test_every_layout_reads_to_the_same_table(files, reference):
    got = read_progress([GOOD / f for f in files])
    pd.testing.assert_frame_equal(got.drop(columns=SOURCE), reference)
    assert (got.date == pd.Timestamp("2024-06-30")).all()


def test_reference_table_has_the_typed_values(reference):
    pd.testing.assert_frame_equal(reference[EXPECTED.columns], EXPECTED)


def test_source_columns_point_at_the_spreadsheet_row():
    got = read_progress(GOOD / "returns_annex_layout.xlsx")
    # Title row 1, header rows 2–3, data from row 4 in the order written (旧宫镇, 兴丰街道, 安定镇).
    assert dict(zip(got.town, got.source_row, strict=True)) == {"旧宫镇": 4, "兴丰街道": 5, "安定镇": 6}
    assert set(got.source_sheet) == {"填报表"}


def test_the_template_has_no_figures_and_its_example_is_outside_the_data_area():
    templates = Path(__file__).resolve().parents[1] / "data" / "templates"
    for name in ("progress_template.xlsx", "progress_template.csv"):
        with pytest.raises(DataError, match=r"progress_template\.\w+.*没有属地数据行.*空白模板") as info:
            read_progress(templates / name)
        assert "\n" not in str(info.value)
    wb = openpyxl.load_workbook(templates / "progress_template.xlsx", read_only=True)
    data = [c for row in wb["填报表"].iter_rows(values_only=True) for c in row if c is not None]
    notes = [c for row in wb["填报说明"].iter_rows(values_only=True) for c in row if c is not None]
    wb.close()
    assert "旧宫镇" not in data and 320 not in data  # the fictional row is nowhere in the data sheet
    assert any(str(c).startswith("镇街 旧宫镇；统计日期 2024-06-30；托位总数 320") for c in notes)


def test_a_filled_template_reads_only_the_rows_typed_in(tmp_path):
    """A unit fills the shipped template: its own row is read, nothing of the example (旧宫镇)."""
    path = tmp_path / "安定镇.xlsx"
    shutil.copyfile(Path(__file__).resolve().parents[1] / "data" / "templates" / "progress_template.xlsx", path)
    wb = openpyxl.load_workbook(path)
    ws = wb["填报表"]
    for col, value in enumerate(["1", "安定镇", dt.date(2024, 9, 30), 40, 12, 1, 0, 0, 1, 0, 8, 6, 1, 6, 2], start=1):
        ws.cell(4, col, value)
    wb.save(path)
    got = read_progress(path)
    assert got.town.tolist() == ["安定镇"] and got.total_slots.tolist() == [40] and got.source_row.tolist() == [4]


def test_every_shipped_xlsx_reads_as_openpyxl_reads_it():
    """The bounded reader gives the rows a plain openpyxl read gives (merged cells filled), trailing blanks aside."""
    root = Path(__file__).resolve().parents[1]
    files = sorted([*(root / "data" / "templates").glob("*.xlsx"), *FIXTURES.rglob("*.xlsx")])
    assert len(files) >= 10

    def trimmed(rows):
        rows = [list(r) for r in rows if any(v is not None for v in r)]
        width = max((j + 1 for r in rows for j, v in enumerate(r) if v is not None), default=0)
        return [r[:width] + [None] * (width - len(r)) for r in rows]

    for path in files:
        wb = openpyxl.load_workbook(path, data_only=True)
        expected = []
        for ws in wb.worksheets:
            rows = [list(r) for r in ws.iter_rows(values_only=True)]
            for m in ws.merged_cells.ranges:
                for r in range(m.min_row, min(m.max_row, len(rows)) + 1):
                    for c in range(m.min_col, min(m.max_col, len(rows[r - 1])) + 1):
                        rows[r - 1][c - 1] = rows[m.min_row - 1][m.min_col - 1]
            expected.append((ws.title, trimmed(rows), sorted(str(m) for m in ws.merged_cells.ranges)))
        wb.close()
        got = [(name, trimmed(rows), sorted(m.ref for m in merged)) for name, rows, merged in read_grid_xlsx(path)]
        assert got == expected, path.name


def test_merged_count_cells_are_refused_naming_the_range():
    lookup = unit_lookup(load_targets())
    header = ["镇街", "统计日期", *(flat_header(f) for f in COUNT_COLUMNS)]
    row = ["旧宫镇", "2024-06-30", *([5] * len(COUNT_COLUMNS))]
    assert parse_grid([header, row], "r.xlsx", "填报表", lookup)[0]["total_slots"] == 5
    for ref, cells in (("C2:D2", (2, 3, 2, 4)), ("K2:K3", (2, 11, 3, 11))):
        with pytest.raises(DataError, match=rf"r\.xlsx，工作表“填报表”：第 2 行.*{ref} 是合并单元格.*取消合并"):
            parse_grid([header, row, row], "r.xlsx", "填报表", lookup, merged=(MergedRange(ref, *cells),))
    # Merged unit or header cells (a 合计 label over 序号 and 镇街, a group header) stay accepted.
    assert parse_grid([header, row], "r.xlsx", "填报表", lookup, merged=(MergedRange("A1:B1", 1, 1, 1, 2),))


@pytest.mark.parametrize("year", [2019, 2023, 2026, 2031])
def test_a_report_dated_outside_the_plan_names_the_file_row_and_date(tmp_path, year):
    path = tmp_path / "q.csv"
    text = (GOOD / "returns_utf8.csv").read_text("utf-8").replace("2024-06-30", f"{year}-06-30", 1)
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DataError) as info:
        read_progress(path)
    message = str(info.value)
    assert "\n" not in message
    for word in ("q.csv", "第 2 行", "旧宫镇", f"{year}-06-30", "规划期 2024—2025 年", "plan_years"):
        assert word in message


def test_the_plan_period_comes_from_the_parameters():
    params = apply_overrides(default_parameters(), {"plan_years": {"last": 2024}}, "test")
    assert len(read_progress(GOOD / "returns_utf8.csv", params=params)) == 3
    params = apply_overrides(default_parameters(), {"plan_years": {"first": 2025}}, "test")
    with pytest.raises(DataError, match="规划期 2025—2025 年"):
        read_progress(GOOD / "returns_utf8.csv", params=params)


def test_broken_returns_are_what_make_fixtures_writes(tmp_path):
    module = _make_fixtures()
    module.write_broken_returns(tmp_path)
    written = sorted(tmp_path.iterdir())
    assert [p.name for p in written] == sorted(p.name for p in (ROOT / "tests" / "broken").glob("return_*"))
    changed = [p.name for p in written if p.read_bytes() != (ROOT / "tests" / "broken" / p.name).read_bytes()]
    assert not changed, f"rerun tests/fixtures/progress/make_fixtures.py and commit: {changed}"


def test_same_return_twice_is_kept_once():
    got = read_progress([GOOD / "returns_utf8.csv", GOOD / "returns_gbk_short_names.csv"])
    assert len(got) == 3


def test_units_that_did_not_report_are_listed_not_zero():
    got = read_progress(GOOD / "returns_utf8.csv")
    from tuoyu_model.data import load_targets

    missing = not_reported(got, load_targets())
    assert len(missing) == 22 - 3
    assert "旧宫镇" not in set(missing.town) and "黄村镇" in set(missing.town)


def test_as_of_drops_later_reports_and_dates_undated_files():
    sample = sorted((FIXTURES / "sample").glob("*.xlsx"))
    got = read_progress(sample, as_of="2024-07-31")
    assert set(got.date) == {pd.Timestamp("2024-06-30")}
    with pytest.raises(DataError, match="dated later"):
        read_progress(sample, as_of=dt.date(2024, 1, 1))


# file(s), then words the one-line message must contain: file, sheet, row, column, value.
BROKEN_CASES = {
    "missing_column_xlsx": (
        ["missing_column.xlsx"],
        ["missing_column.xlsx", "sheet '填报表'", "row 1", "missing column", "托位总数"],
    ),
    "missing_column_csv": (["missing_column.csv"], ["missing_column.csv", "row 1", "missing column", "普惠托位数"]),
    "text_in_number": (
        ["text_in_number.xlsx"],
        ["text_in_number.xlsx", "sheet '填报表'", "row 4", "column E", "普惠托位数", "约45", "not a number"],
    ),
    "negative_slots": (
        ["negative_slots.csv"],
        ["negative_slots.csv", "row 3", "column C", "托位总数", "-150", "negative"],
    ),
    "unknown_unit": (["unknown_unit.csv"], ["unknown_unit.csv", "row 2", "column A", "旧宫区", "旧宫镇"]),
    "duplicates": (
        ["duplicate_a.csv", "duplicate_b.xlsx"],
        ["duplicate_a.csv, row 2", "duplicate_b.xlsx", "sheet '填报表', row 3", "托位总数", "320", "330", "twice"],
    ),
    "empty_sheet": (["empty_sheet.xlsx"], ["empty_sheet.xlsx", "sheet '填报表'", "empty"]),
    "total_row_mismatch": (
        ["total_row_mismatch.xlsx"],
        ["total_row_mismatch.xlsx", "sheet '填报表'", "row 6", "column D", "合计 = 999", "510"],
    ),
}


@pytest.mark.parametrize("files, words", BROKEN_CASES.values(), ids=BROKEN_CASES.keys())
def test_broken_file_gives_one_line_naming_the_place(files, words):
    with pytest.raises(DataError) as info:
        read_progress([BROKEN / f for f in files])
    message = str(info.value)
    assert "\n" not in message
    for w in words:
        assert w in message


@pytest.mark.parametrize("files, words", BROKEN_CASES.values(), ids=BROKEN_CASES.keys())
def test_cli_exits_2_with_one_line_and_no_traceback(files, words, capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("TUOYU_OUTPUTS_DIR", str(tmp_path))
    status = main(["progress", *[str(BROKEN / f) for f in files], "--no-report"])
    err = capsys.readouterr().err
    assert status == 2
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1 and err.startswith("tuoyu: error: ")
    assert not any(tmp_path.iterdir())  # nothing written


@pytest.mark.parametrize(
    "text, expected",
    [
        ("旧宫", "旧宫镇"),
        ("旧宫镇", "旧宫镇"),
        (" 旧　宫 镇 ", "旧宫镇"),
        ("兴丰", "兴丰街道"),
        ("林校路", "林校路街道"),
        ("生物医药基地", "生物医药基地"),
        ("大兴经开区", "大兴经开区"),
    ],
)
def test_unit_names_with_or_without_suffix(text, expected):
    from tuoyu_model.data import load_targets
    from tuoyu_model.progress.cells import match_unit, unit_lookup

    assert match_unit(text, unit_lookup(load_targets()), "x")[1] == expected


def test_missing_file_and_unknown_type_are_errors(tmp_path):
    with pytest.raises(DataError, match="not found"):
        read_progress(tmp_path / "nope.csv")
    (tmp_path / "old.xls").write_bytes(b"\xd0\xcf")
    with pytest.raises(DataError, match="save as .xlsx"):
        read_progress(tmp_path / "old.xls")


def _make_fixtures():
    spec = importlib.util.spec_from_file_location("make_fixtures", FIXTURES / "make_fixtures.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", ["good", "broken", "sample"])
def test_fixtures_are_what_make_fixtures_writes(name, tmp_path):
    getattr(_make_fixtures(), f"write_{name}")(tmp_path)
    written = {p.relative_to(tmp_path): p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    committed = {p.relative_to(FIXTURES / name): p.read_bytes() for p in (FIXTURES / name).rglob("*") if p.is_file()}
    assert written.keys() == committed.keys()
    changed = [str(k) for k in written if written[k] != committed[k]]
    assert not changed, f"rerun tests/fixtures/progress/make_fixtures.py and commit: {changed}"


def test_a_file_without_a_date_column_takes_as_of(tmp_path):
    text = (GOOD / "returns_utf8.csv").read_text("utf-8")
    lines = [",".join(c for j, c in enumerate(line.split(",")) if j != 1) for line in text.splitlines()]
    path = tmp_path / "no_date.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(DataError, match="missing column '统计日期'.*--as-of"):
        read_progress(path)
    got = read_progress(path, as_of="2024年6月30日")
    assert (got.date == pd.Timestamp("2024-06-30")).all() and len(got) == 3


def test_cli_rejects_a_bad_as_of_in_one_line(capsys):
    assert main(["progress", str(GOOD / "returns_utf8.csv"), "--as-of", "30/06/2024", "--no-report"]) == 2
    err = capsys.readouterr().err
    assert "--as-of" in err and "not a date" in err and len(err.strip().splitlines()) == 1
