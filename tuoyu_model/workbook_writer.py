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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from tuoyu_model.csv_writer import PLAIN_NUMBER, needs_escape
from tuoyu_model.errors import ReportError
from tuoyu_model.paths import display
from tuoyu_model.presentation.formatting import column, for_people, is_blank
from tuoyu_model.presentation.vocabulary import (
    NUMBER_FORMATS,
    SHEET_COLUMNS,
    SHEETS,
    SUMMARY_UNIT_FORMATS,
    Column,
    shadow_unit_zh,
)

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

    """

    name: str
    table: pd.DataFrame
    formats: tuple[str, ...]
    cell_formats: Mapping[tuple[int, int], str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()


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


def _write_sheet(wb: Any, sheet: Sheet, formats: dict[str, Any]) -> None:
    ws = wb.add_worksheet(sheet.name)
    people = sheet.table
    kinds = list(sheet.formats)
    header_fmt, text_fmt, quoted_fmt = formats["header"], formats["text"], formats["quoted"]
    for j, (header, kind) in enumerate(zip(people.columns, kinds, strict=True)):
        ws.write_string(0, j, str(header), header_fmt)
        sample = [_cell_text(v, kind) for v in people.iloc[:200, j] if not is_blank(v)]
        width = min(60, max([_text_width(str(header))] + [_text_width(t) for t in sample]) + 2)
        ws.set_column(j, j, width, formats[kind] if kind != "text" else None)
    for i, row in enumerate(people.itertuples(index=False), start=1):
        for j, (value, kind) in enumerate(zip(row, kinds, strict=True)):
            kind = sheet.cell_formats.get((i - 1, j), kind)
            fmt = formats[kind]
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
                ws.write_string(i, j, text, quoted_fmt if needs_escape(text) else text_fmt)
    ws.freeze_panes(1, 0)
    if len(people):
        ws.autofilter(0, 0, len(people), max(0, len(people.columns) - 1))
    for k, note in enumerate(sheet.notes):  # below the table, outside the filter range
        ws.write_string(len(people) + 2 + k, 0, note, quoted_fmt if needs_escape(note) else text_fmt)
    # printing: landscape A4, as wide as the page, the header row on every page
    ws.set_landscape()
    ws.set_paper(9)
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(0)


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
    return Sheet(sheet.name, sheet.table, sheet.formats, cells, sheet.notes)


def write_workbook(
    tables: Mapping[str, pd.DataFrame], path: Path, title: str = "", notes: Mapping[str, Sequence[str]] | None = None
) -> Path:
    """Write the results workbook: one sheet per entry of :data:`SHEETS`, Chinese headers.

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

    Raises
    ------
    ReportError
        A table is missing.

    """
    missing = [key for _, key in SHEETS if key not in tables]
    if missing:
        raise ReportError(
            f"{display(path)}: no table '{missing[0]}' to write; the workbook needs {', '.join(k for _, k in SHEETS)}"
        )
    notes = notes or {}
    sheets = []
    for name, key in SHEETS:
        df = tables[key]
        if key == "summary":
            sheets.append(_summary_sheet(name, df, notes.get(key, ())))
            continue
        if key == "shadow_prices" and {"family", "unit"} <= set(df.columns):
            df = df.assign(unit=[shadow_unit_zh(f, u) for f, u in zip(df["family"], df["unit"], strict=True)])
        sheets.append(people_sheet(name, df, SHEET_COLUMNS.get(key), notes.get(key, ())))
    return write_sheets(sheets, path, title)
