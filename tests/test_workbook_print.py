"""The baseline's ``results.xlsx`` opened with openpyxl as a reader and a printer see it.

Every sheet: a title row (scenario title, unit of the figures, date) above the frozen header,
the title and header repeated on each printed page, fit to one A4 page wide. The wide sheets
(需求, 影子价格) are landscape and narrow enough that fitting them to the page keeps the text
legible: the printer's scale, estimated from the column widths, stays at or above
:data:`MIN_SCALE`. 价格 starts with 渠道.
"""

from __future__ import annotations

import os

import openpyxl
import pytest

from tuoyu_model.presentation.vocabulary import SHEET_UNITS, SHEETS

# A4 landscape, 0.4-inch side margins: 297 − 2 × 10.16 mm printable; one character of column
# width is 7 px of Excel's default 11-point font at 96 dpi, plus 5 px padding per column.
PRINTABLE_MM = 297 - 2 * 10.16
MM_PER_PX = 25.4 / 96
MIN_SCALE = 0.6  # 11 pt × 0.6 ≈ 6.6 pt: the smallest print a report table uses (8 pt) less a little


def column_widths(ws) -> list[float]:
    widths: dict[int, float] = {}
    for d in ws.column_dimensions.values():  # a dimension may cover a range of columns (min..max)
        if d.min and d.width:
            widths.update(dict.fromkeys(range(d.min, d.max + 1), d.width))
    return [widths.get(c, 8.43) for c in range(1, ws.max_column + 1)]


def print_scale(ws) -> float:
    """The scale at which a printer fits the sheet to one A4 landscape page wide (1 = no shrinking)."""
    px = sum(w * 7 + 5 for w in column_widths(ws))
    return min(1.0, PRINTABLE_MM / (px * MM_PER_PX))


@pytest.fixture(scope="module")
def workbook(tmp_path_factory):
    from tuoyu_model.results import run_model
    from tuoyu_model.writers import write_outputs

    old = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = "1727654400"  # 2024-09-30
    try:
        files = write_outputs(run_model("baseline"), tmp_path_factory.mktemp("wb"))
    finally:
        if old is None:
            del os.environ["SOURCE_DATE_EPOCH"]
        else:
            os.environ["SOURCE_DATE_EPOCH"] = old
    return openpyxl.load_workbook(files["results.xlsx"])


def test_every_sheet_has_a_title_row_above_the_frozen_header(workbook):
    for name, key in SHEETS:
        ws = workbook[name]
        title = ws["A1"].value
        assert title.startswith("基准情景："), name  # the scenario's title, not its id
        assert f"{name}（{SHEET_UNITS[key]}）" in title and title.endswith("生成日期：2024年9月30日"), title
        assert ws["A1"].font.b
        assert ws.freeze_panes == "A3" and ws.print_title_rows == "$1:$2", name
        assert ws.auto_filter.ref.startswith("A2:"), name  # the filter starts at the header, not the title
        ps = ws.page_setup
        assert ws.sheet_properties.pageSetUpPr.fitToPage and ps.fitToWidth in (None, 1) and ps.fitToHeight == 0
        assert ps.paperSize == 9  # A4


def test_wide_sheets_print_landscape_one_page_wide_and_legible(workbook):
    for name in ("需求", "影子价格", "参数", "价格", "存量与目标"):
        ws = workbook[name]
        assert ws.page_setup.orientation == "landscape", name
        assert print_scale(ws) >= MIN_SCALE, (name, round(print_scale(ws), 2))
    assert workbook["摘要"].page_setup.orientation == "portrait"  # four columns: portrait is enough
    # long text wraps in its column instead of widening the sheet
    ws = workbook["影子价格"]
    meaning = [c.column for c in ws[2] if c.value == "含义"][0]
    assert ws.cell(3, meaning).alignment.wrap_text


def test_the_scale_estimate_can_fail(workbook):
    ws = workbook["需求"]
    for d in ws.column_dimensions.values():
        d.width = 30
    assert print_scale(ws) < MIN_SCALE


def test_price_sheet_starts_with_the_channel(workbook):
    ws = workbook["价格"]
    assert ws["A2"].value == "渠道" and ws["A3"].value == "幼儿园托班"
    assert [c.value for c in ws[2]][1] == "年份"
