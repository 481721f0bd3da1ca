"""Reading progress returns: every accepted layout reads to one table; every defect to one line."""

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from tuoyu_model.cli import main
from tuoyu_model.errors import DataError
from tuoyu_model.progress import not_reported, read_progress

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "progress"
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


def test_template_reads_back_its_example_row():
    for name in ("progress_template.xlsx", "progress_template.csv"):
        got = read_progress(Path(__file__).resolve().parents[1] / "data" / "templates" / name)
        assert got.town.tolist() == ["旧宫镇"] and got.total_slots.tolist() == [320]


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


@pytest.mark.parametrize("name", ["good", "broken", "sample"])
def test_fixtures_are_what_make_fixtures_writes(name, tmp_path):
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_fixtures", FIXTURES / "make_fixtures.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    getattr(module, f"write_{name}")(tmp_path)
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
