"""The hostile-safe xlsx reader: crafted files that are not workbooks, or are workbooks built to hurt.

Every refusal is one Chinese line naming the file. Memory and time of the stray-cell case are
measured in ``tests/benchmarks/bench_workbook_reader.py`` (peak RSS), not here: a timed unit
test on a shared machine would fail for reasons that are not the reader's.
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest

from tuoyu_model import workbook_reader
from tuoyu_model.errors import DataError
from tuoyu_model.workbook_reader import MergedRange, read_workbook


def _book(path: Path, cells: dict[str, object], title: str = "表1") -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = title
    for ref, value in cells.items():
        ws[ref] = value
    wb.save(path)
    return path


def _replace_member(path: Path, member: str, data: bytes) -> Path:
    with zipfile.ZipFile(path) as z:
        entries = [(i, z.read(i.filename)) for i in z.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for info, content in entries:
            z.writestr(info, data if info.filename == member else content)
    return path


def _refused(path: Path, *words: str, **kwargs) -> str:
    with pytest.raises(DataError) as exc:
        read_workbook(path, **kwargs)
    message = str(exc.value)
    assert "\n" not in message
    assert path.name in message, message
    for word in words:
        assert word in message, f"{word!r} not in: {message}"
    return message


def test_reads_values_of_every_type_in_sheet_order(tmp_path):
    path = tmp_path / "t.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "数据"
    ws.append(["旧宫镇", 120, 3.5, True, dt.datetime(2024, 6, 30)])
    wb.create_sheet("说明")["B3"] = "注"
    wb.save(path)
    first, second = read_workbook(path)
    assert first.name == "数据"
    assert first.rows == [["旧宫镇", 120, 3.5, True, dt.datetime(2024, 6, 30)]]
    assert (second.name, second.rows) == ("说明", [[None, None], [None, None], [None, "注"]])
    assert (second.n_rows, second.n_cols) == (3, 2)


def test_an_empty_sheet_has_no_rows(tmp_path):
    sheet = read_workbook(_book(tmp_path / "e.xlsx", {}))[0]
    assert sheet.rows == [] and sheet.n_cols == 0


@pytest.mark.parametrize("ref", ["XFD1048576", "A1048576", "CW1"])
def test_a_stray_value_far_away_is_refused_naming_the_cell(tmp_path, ref):
    path = _book(tmp_path / "stray.xlsx", {"A1": "属地", "B2": 5, ref: "x"})
    _refused(path, "“表1”", ref, "Ctrl+End", "5,000 行 × 100 列")


def test_a_styled_empty_cell_far_away_does_not_widen_the_grid(tmp_path):
    # Formatting the whole sheet (or Ctrl+End after deleting a value) leaves value-less cells.
    path = tmp_path / "styled.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws["A1"] = 1
    ws["XFD1048576"].font = openpyxl.styles.Font(bold=True)
    wb.save(path)
    assert read_workbook(path)[0].rows == [[1]]


def test_the_caps_are_the_callers_to_choose(tmp_path):
    path = _book(tmp_path / "rows.xlsx", {f"A{r}": r for r in range(1, 31)})
    assert read_workbook(path, max_rows=30)[0].n_rows == 30
    _refused(path, "A21", "最多 20 行", max_rows=20)
    _refused(_book(tmp_path / "cols.xlsx", {"A1": 1, "F1": 2}), "F1", "× 5 列", max_columns=5)


def test_merged_ranges_are_reported_and_filled_only_on_request(tmp_path):
    path = tmp_path / "merged.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws["A1"], ws["A2"], ws["C2"] = "托位数（个）", 10, "x"
    ws.merge_cells("A1:C1")
    ws.merge_cells("A2:B2")
    wb.save(path)
    # A range reaching past the values (openpyxl itself would create every cell of it: crafted).
    with zipfile.ZipFile(path) as z:
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
    _replace_member(
        path,
        "xl/worksheets/sheet1.xml",
        sheet.replace("</mergeCells>", '<mergeCell ref="D5:XFD1048576"/></mergeCells>').encode(),
    )
    plain = read_workbook(path)[0]
    assert plain.rows == [["托位数（个）", None, None], [10, None, "x"]]
    assert [m.ref for m in plain.merged] == ["A1:C1", "A2:B2", "D5:XFD1048576"]
    assert plain.merged_at(2, 2) == MergedRange("A2:B2", 2, 1, 2, 2)
    assert plain.merged_at(2, 3) is None
    filled = read_workbook(path, fill_merged=True)[0]
    assert filled.rows == [["托位数（个）"] * 3, [10, 10, "x"]]


def test_overlapping_merged_ranges_cannot_multiply_the_work(tmp_path):
    path = _book(tmp_path / "overlap.xlsx", {"A1": 1, "C3": 2})
    with zipfile.ZipFile(path) as z:
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
    merges = "".join('<mergeCell ref="A1:C3"/>' for _ in range(50))
    sheet = sheet.replace("</sheetData>", f'</sheetData><mergeCells count="50">{merges}</mergeCells>')
    _replace_member(path, "xl/worksheets/sheet1.xml", sheet.encode())
    assert len(read_workbook(path)[0].merged) == 50
    _refused(path, "重叠", fill_merged=True)


def test_a_csv_renamed_xlsx_is_named_as_such(tmp_path):
    path = tmp_path / "旧宫镇.xlsx"
    path.write_bytes("属地,托位总数\r\n旧宫镇,120\r\n".encode("gbk"))
    _refused(path, "不是 xlsx 工作簿", "CSV", "另存为")


def test_an_empty_file(tmp_path):
    path = tmp_path / "empty.xlsx"
    path.write_bytes(b"")
    _refused(path, "空文件", "0 字节")


def test_a_truncated_workbook(tmp_path):
    path = _book(tmp_path / "t.xlsx", {"A1": 1})
    path.write_bytes(path.read_bytes()[:1500])
    _refused(path, "不完整", "截断")


def test_a_password_protected_workbook_is_an_ole_container(tmp_path):
    path = tmp_path / "locked.xlsx"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 1000)
    _refused(path, "加密", "删除密码", "另存为")


def test_a_zip_with_an_encrypted_entry(tmp_path):
    path = _book(tmp_path / "enc.xlsx", {"A1": 1})
    raw = bytearray(path.read_bytes())
    # Set the "encrypted" flag (bit 0 of the general-purpose flags) in every central directory entry.
    for m in re.finditer(rb"PK\x01\x02", bytes(raw)):
        raw[m.start() + 8] |= 0x01
    path.write_bytes(bytes(raw))
    _refused(path, "已加密")


def test_a_zip_bomb_is_refused_by_its_declared_size(tmp_path, monkeypatch):
    monkeypatch.setattr(workbook_reader, "MAX_UNCOMPRESSED_BYTES", 2**20)
    path = _book(tmp_path / "bomb.xlsx", {"A1": 1})
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/media/zeros.bin", b"\0" * (2 * 2**20))  # compresses to ~2 kB
    assert path.stat().st_size < 100_000
    _refused(path, "解压后有 2 MB", "上限 1 MB")


def test_a_file_too_large_on_disk(tmp_path, monkeypatch):
    monkeypatch.setattr(workbook_reader, "MAX_FILE_BYTES", 1000)
    _refused(_book(tmp_path / "big.xlsx", {"A1": 1}), "上限 0 MB")


def test_a_zip_that_is_not_a_workbook(tmp_path):
    path = tmp_path / "report.xlsx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("word/document.xml", "<w/>")
    _refused(path, "缺少 xl/workbook.xml")


def test_other_binary_files(tmp_path):
    path = tmp_path / "picture.xlsx"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    _refused(path, "其他格式")


def test_a_missing_file_and_a_folder(tmp_path):
    _refused(tmp_path / "nothere.xlsx", "找不到")
    (tmp_path / "d.xlsx").mkdir()
    _refused(tmp_path / "d.xlsx", "文件夹")


def test_an_entity_declaration_is_refused(tmp_path):
    path = _book(tmp_path / "lol.xlsx", {"A1": 1})
    with zipfile.ZipFile(path) as z:
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
    bomb = '<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
    sheet = re.sub(r"^(<\?xml[^>]*\?>)?", lambda m: (m[0] or "") + bomb, sheet, count=1)
    _replace_member(path, "xl/worksheets/sheet1.xml", sheet.encode())
    _refused(path, "DTD")


def test_corrupt_sheet_xml(tmp_path):
    path = _book(tmp_path / "bad.xlsx", {"A1": 1})
    with zipfile.ZipFile(path) as z:
        sheet = z.read("xl/worksheets/sheet1.xml")
    _replace_member(path, "xl/worksheets/sheet1.xml", sheet[: len(sheet) // 2])
    _refused(path, "已损坏", "sheet1.xml")


@pytest.mark.parametrize("ref", ["XFE1", "A1048577", "A0", "1A"])
def test_cell_references_outside_excel_are_corrupt(tmp_path, ref):
    path = _book(tmp_path / "ref.xlsx", {"A1": 1})
    with zipfile.ZipFile(path) as z:
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
    sheet = sheet.replace('<c r="A1"', f'<c r="{ref}"').replace('<row r="1"', '<row r="1"')
    _replace_member(path, "xl/worksheets/sheet1.xml", sheet.encode())
    _refused(path, "已损坏")


def test_rows_and_cells_without_addresses_are_counted(tmp_path):
    # The format allows <row> and <c> without r=; positions then follow one another.
    path = _book(tmp_path / "noref.xlsx", {"A1": 1})
    with zipfile.ZipFile(path) as z:
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
    body = '<sheetData><row><c t="inlineStr"><is><t>甲</t></is></c><c><v>2</v></c></row><row><c><v>3</v></c></row>'
    sheet = re.sub(r"<sheetData>.*</sheetData>", body + "</sheetData>", sheet, flags=re.S)
    sheet = re.sub(r"<dimension[^>]*/>", "", sheet)
    _replace_member(path, "xl/worksheets/sheet1.xml", sheet.encode())
    assert read_workbook(path)[0].rows == [["甲", 2], [3, None]]


def test_a_workbook_written_by_xlsxwriter_reads_the_same(tmp_path):
    import xlsxwriter

    path = tmp_path / "x.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("各属地数据")
    ws.write_row(0, 0, ["兴丰街道", 87037, "来源"])
    ws.merge_range("A3:B3", "合并")
    wb.close()
    sheet = read_workbook(path)[0]
    assert sheet.rows == [["兴丰街道", 87037, "来源"], [None, None, None], ["合并", None, None]]
    assert [m.ref for m in sheet.merged] == ["A3:B3"]


def test_chart_sheets_are_skipped(tmp_path):
    path = tmp_path / "chart.xlsx"
    wb = openpyxl.Workbook()
    from openpyxl.chart import BarChart, Reference

    wb.active["A1"] = 1
    chart = BarChart()
    chart.add_data(Reference(wb.active, min_col=1, min_row=1, max_row=1))
    wb.create_chartsheet("图").add_chart(chart)
    wb.save(path)
    assert [s.name for s in read_workbook(path)] == ["Sheet"]


def test_no_file_handle_is_left_open(tmp_path):
    path = _book(tmp_path / "h.xlsx", {"A1": 1})
    read_workbook(path)
    path.unlink()  # a handle left open would show as a ResourceWarning (warnings are errors)
    assert not path.exists()
