"""The one workbook writer of the package: :class:`Sheet` s as people read them, written with xlsxwriter.

Scenario results (:func:`write_workbook`), comparisons and progress reports all go through
:func:`write_sheets`: Chinese headers with units, number formats by column, the header row
frozen, text never read as a formula (:func:`tuoyu_model.csv_writer.needs_escape`), fixed
document and zip times so two runs give the same bytes.
"""

from __future__ import annotations

import datetime as dt
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from tuoyu_model.csv_writer import PLAIN_NUMBER, needs_escape
from tuoyu_model.errors import ReportError
from tuoyu_model.paths import display
from tuoyu_model.presentation.formatting import column, for_people, is_blank
from tuoyu_model.presentation.report_opening import generated_on
from tuoyu_model.presentation.vocabulary import (
    NUMBER_FORMATS,
    SHEET_COLUMNS,
    SHEET_UNITS,
    SHEETS,
    SUMMARY_UNIT_FORMATS,
    Column,
    shadow_unit_zh,
    sheet_title,
)
from tuoyu_model.units import unit_zh

# Fixed document time so two runs give the same bytes (xlsxwriter already fixes zip entry times).
WORKBOOK_TIME = dt.datetime(2024, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class Sheet:
    """One worksheet as people read it.

    Attributes
    ----------
    name : str
        The sheet's (Chinese) name.
    table : DataFrame
        The table already for people: Chinese headers with units, codes translated, 万元.
    formats : sequence of str
        The number format of each column, a key of :data:`NUMBER_FORMATS`.
    cell_formats : mapping of (row, column) to str, optional
        Formats of single cells (0-based data row and column) where a column mixes units.
    notes : sequence of str, optional
        Lines written below the table after a blank row, outside its filter range.
    title : str, optional
        A title row above the header (scenario, unit, date); the header below it is frozen.
    colours : mapping of (row, column) to str, optional
        Cells coloured by meaning (0-based data row and column): ``worse`` red, ``better`` green.

    """

    name: str
    table: pd.DataFrame
    formats: tuple[str, ...]
    cell_formats: Mapping[tuple[int, int], str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    title: str = ""
    colours: Mapping[tuple[int, int], str] = field(default_factory=dict)


def _whole(values: pd.Series) -> bool:
    v = pd.to_numeric(values, errors="coerce")
    v = v[np.isfinite(v.astype(float))] if len(v) else v
    return len(v) > 0 and bool((v == v.round()).all())


def people_sheet(
    name: str, df: pd.DataFrame, columns: Mapping[str, Column] | None = None, notes: Sequence[str] = ()
) -> Sheet:
    """Return a contract table as a :class:`Sheet`: :func:`for_people` and the formats of :data:`COLUMNS`.

    ``columns`` overrides the display of some column ids for this sheet. A column of decimals
    whose values are all whole numbers (people, slots) gets a format without decimals.
    """
    columns = dict(columns or {})
    people = for_people(df, columns)
    formats = []
    for col, header in zip(df.columns, people.columns, strict=True):
        fmt = columns.get(col, column(col)).fmt
        if fmt in ("float1", "float2") and pd.api.types.is_numeric_dtype(people[header]) and _whole(people[header]):
            fmt = "int"
        formats.append(fmt)
    return Sheet(name, people, tuple(formats), notes=tuple(notes))


def _text_width(text: str) -> int:
    # CJK characters take two columns in Excel's default font.
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _cell_text(value: Any, fmt: str) -> str:
    if isinstance(value, float) and fmt in ("int", "slots", "yuan"):
        return f"{value:,.0f}"
    if isinstance(value, float) and fmt == "share":
        return f"{value:.1%}"
    if isinstance(value, float):
        return f"{value:,.2f}"
    return str(value)


HEADER_LINES = 4  # a long header wraps onto up to this many lines instead of widening its column
MAX_WIDTH = 30  # widest column (characters); longer text wraps
PORTRAIT_WIDTH = 100  # a sheet wider than this (characters) is printed landscape
PAGE_WIDTH = 200  # text columns narrow (and wrap) until a sheet is this wide: printed one page wide, still legible
COLOURS = {"worse": "#F8CBAD", "better": "#C6EFCE"}  # fills of cells coloured by meaning (red, green)


def column_width(header: str, texts: Sequence[str]) -> int:
    """Width of a column (characters): its widest value, the header wrapped onto :data:`HEADER_LINES` lines.

    Examples
    --------
    >>> column_width("按每千人口托位标准测算（个）", ["1,234"])  # the header on four lines
    9
    >>> column_width("属地", ["旧宫镇"])
    8
    >>> column_width("含义", ["很长的句子" * 20])  # wraps
    30

    """
    head = _text_width(header)
    data = max([_text_width(t) for t in texts], default=0)
    return min(MAX_WIDTH, max(data, min(head, max(6, -(-head // HEADER_LINES)))) + 2)


def fit_widths(widths: Sequence[int], text: Sequence[bool], budget: int = PAGE_WIDTH, floor: int = 10) -> list[int]:
    """Narrow the widest text columns (they wrap) until the sheet is ``budget`` wide, none below ``floor``.

    Numbers keep their width: a sheet printed one page wide is shrunk by the printer only as much
    as its numbers need.

    Examples
    --------
    >>> fit_widths([10, 30, 30, 10], [False, True, True, False], budget=50)
    [10, 15, 15, 10]
    >>> fit_widths([10, 30], [False, False], budget=20)
    [10, 30]

    """
    out = list(widths)
    while sum(out) > budget:
        wide = [j for j, t in enumerate(text) if t and out[j] > floor]
        if not wide:
            break
        top = max(out[j] for j in wide)
        for j in wide:
            if out[j] == top:
                out[j] -= 1
    return out


def _write_sheet(wb: Any, sheet: Sheet, formats: dict[str, Any]) -> None:
    ws = wb.add_worksheet(sheet.name)
    people = sheet.table
    kinds = list(sheet.formats)
    header_fmt, text_fmt, quoted_fmt = formats["header"], formats["text"], formats["quoted"]
    top = 1 if sheet.title else 0  # the header's row
    if sheet.title:
        ws.write_string(0, 0, sheet.title, formats["title"])
    samples = [[_cell_text(v, kind) for v in people.iloc[:200, j] if not is_blank(v)] for j, kind in enumerate(kinds)]
    widths = [column_width(str(h), sample) for h, sample in zip(people.columns, samples, strict=True)]
    texts = [kind == "text" or not pd.api.types.is_numeric_dtype(people.iloc[:, j]) for j, kind in enumerate(kinds)]
    widths = fit_widths(widths, texts)
    text_fmts = []
    for j, (header, kind) in enumerate(zip(people.columns, kinds, strict=True)):
        ws.write_string(top, j, str(header), header_fmt)
        wrap = texts[j] and any(_text_width(t) > widths[j] - 2 for t in samples[j])
        text_fmts.append(formats["wrap"] if wrap else text_fmt)
        ws.set_column(j, j, widths[j], formats["wrap"] if wrap else formats[kind] if kind != "text" else None)
    lines = max([-(-_text_width(str(h)) // (w - 2)) for h, w in zip(people.columns, widths, strict=True)], default=1)
    ws.set_row(top, 15 * max(1, lines))
    for i, row in enumerate(people.itertuples(index=False), start=top + 1):
        for j, (value, kind) in enumerate(zip(row, kinds, strict=True)):
            kind = sheet.cell_formats.get((i - top - 1, j), kind)
            colour = sheet.colours.get((i - top - 1, j))
            fmt = formats[(kind, colour)] if colour else formats[kind]
            if is_blank(value):
                ws.write_blank(i, j, None, fmt)
            elif isinstance(value, bool | np.bool_):
                ws.write_string(i, j, "是" if value else "否", text_fmt)
            elif isinstance(value, numbers.Number):
                ws.write_number(i, j, float(value), fmt)
            elif (
                kind != "text"
                and isinstance(value, str)
                and PLAIN_NUMBER.match(value.strip())
                and not value.strip().endswith("%")
            ):
                ws.write_number(i, j, float(value), fmt)  # a number given as text is still a number
            else:
                text = str(value)
                ws.write_string(i, j, text, quoted_fmt if needs_escape(text) else fmt if colour else text_fmts[j])
    ws.freeze_panes(top + 1, 0)
    if len(people):
        ws.autofilter(top, 0, top + len(people), max(0, len(people.columns) - 1))
    for k, note in enumerate(sheet.notes):  # below the table, outside the filter range
        ws.write_string(top + len(people) + 2 + k, 0, note, quoted_fmt if needs_escape(note) else text_fmt)
    # printing: A4 as wide as the page (landscape when wide), title and header on every page, page numbers
    if sum(widths) > PORTRAIT_WIDTH:
        ws.set_landscape()
    else:
        ws.set_portrait()
    ws.set_paper(9)
    ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(0, top)
    ws.set_footer("&C第 &P 页，共 &N 页")


def write_sheets(sheets: Sequence[Sheet], path: Path, title: str = "") -> Path:
    """Write :class:`Sheet` s as a workbook: header row frozen and formatted, number formats, text never a formula.

    The one workbook writer of the package (scenario results, comparisons, progress). The file
    is reproducible (fixed document and zip times); blank, NaN and infinite values are blank
    cells; text a spreadsheet would read as a formula (:func:`needs_escape`) is written as
    text with the quote prefix set.
    """
    import xlsxwriter  # lazy: only runs that write a workbook load it

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # strings_to_formulas/urls off: every str is written as text, exactly as given.
    wb = xlsxwriter.Workbook(
        str(path), {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}
    )
    wb.set_properties({"title": title, "created": WORKBOOK_TIME, "author": "tuoyu-model"})
    formats = {k: wb.add_format({"num_format": v, "valign": "top"}) for k, v in NUMBER_FORMATS.items()}
    formats["header"] = wb.add_format(
        {"bold": True, "text_wrap": True, "valign": "top", "bg_color": "#DDEBF7", "border": 1}
    )
    formats["quoted"] = wb.add_format({"quote_prefix": True, "num_format": "@", "valign": "top"})
    formats["wrap"] = wb.add_format({"text_wrap": True, "num_format": "@", "valign": "top"})
    formats["title"] = wb.add_format({"bold": True, "font_size": 12})
    for kind, num_format in NUMBER_FORMATS.items():  # cells coloured by meaning (Sheet.colours)
        for colour, fill in COLOURS.items():
            formats[(kind, colour)] = wb.add_format({"num_format": num_format, "valign": "top", "bg_color": fill})
    for sheet in sheets:
        _write_sheet(wb, sheet, formats)
    wb.close()
    return path


def write_workbook_sheets(sheets: Mapping[str, pd.DataFrame], path: Path, title: str = "") -> Path:
    """Write ``{sheet name: contract table}`` through :func:`people_sheet` and :func:`write_sheets`."""
    return write_sheets([people_sheet(name, df) for name, df in sheets.items()], path, title)


def _summary_sheet(name: str, df: pd.DataFrame, notes: Sequence[str]) -> Sheet:
    sheet = people_sheet(name, df, notes=notes)
    if "value" not in df or "unit_zh" not in df:
        return sheet
    j = list(df.columns).index("value")
    cells = {
        (i, j): SUMMARY_UNIT_FORMATS.get(u, "yuan" if str(u).startswith("元") else "float2")
        for i, u in enumerate(df["unit_zh"])
    }
    return replace(sheet, cell_formats=cells)


def write_workbook(
    tables: Mapping[str, pd.DataFrame],
    path: Path,
    title: str = "",
    notes: Mapping[str, Sequence[str]] | None = None,
    day: dt.date | None = None,
) -> Path:
    """Write the results workbook: one sheet per entry of :data:`SHEETS`, a title row, Chinese headers.

    Each sheet starts with a title row (:func:`sheet_title`: the scenario title, the unit of its
    figures from :data:`SHEET_UNITS`, the date) above its frozen header.

    Parameters
    ----------
    tables : mapping of str to DataFrame
        Keys as in :data:`SHEETS` (``summary``, ``allocation`` … ``parameters``); a missing key
        is an error, not a silently missing sheet.
    path : Path
        Where to write the ``.xlsx``.
    title : str, default ""
        The workbook's document title (the scenario title).
    notes : mapping of str to sequence of str, optional
        Lines written below a table, by table key (e.g. the solver status under ``summary``).
    day : date, optional
        The date in the title rows; default :func:`generated_on` (today, or ``SOURCE_DATE_EPOCH``).

    Raises
    ------
    ReportError
        A table is missing.

    """
    missing = [key for _, key in SHEETS if key not in tables]
    if missing:
        needed = ", ".join(k for _, k in SHEETS)
        raise ReportError(
            f"{display(path)}：没有可写入的表 '{missing[0]}'；工作簿需要这些表：{needed}",
            en=f"{display(path)}: no table '{missing[0]}' to write; the workbook needs {needed}",
        )
    notes = notes or {}
    day = day or generated_on()
    sheets = []
    for name, key in SHEETS:
        df = tables[key]
        if key == "summary":
            sheet = _summary_sheet(name, df, notes.get(key, ()))
        else:
            if key == "shadow_prices" and {"family", "unit"} <= set(df.columns):
                df = df.assign(unit=[shadow_unit_zh(f, u) for f, u in zip(df["family"], df["unit"], strict=True)])
            if key == "marginal_values" and "step_unit" in df.columns:
                df = df.assign(step_unit=df["step_unit"].map(unit_zh))  # the step units in Chinese
            sheet = people_sheet(name, df, SHEET_COLUMNS.get(key), notes.get(key, ()))
        sheets.append(replace(sheet, title=sheet_title(title, name, SHEET_UNITS[key], day)))
    return write_sheets(sheets, path, title)
