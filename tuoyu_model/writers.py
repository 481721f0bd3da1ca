r"""Write a scenario's results as files people open: CSV, the Excel workbook, JSON.

The tables come from :func:`tuoyu_model.results.run_model` with English column ids and money in
yuan (the CSV contract); the workbook shows the same tables with Chinese sheet names and headers
with units, money in 万元 where amounts add up, and codes (channel, kind, item …) translated
(:mod:`tuoyu_model.presentation`). Files are byte-for-byte reproducible: fixed workbook
timestamps, JSON in a fixed key order, ``\n`` line ends. :func:`write_tables` writes what the
golden tests compare (``tables/*.csv``, ``summary.json``); :func:`write_outputs` writes a run's
files and :func:`write_comparison` a comparison's.

Text that starts with ``= + - @`` (or a tab or carriage return) could be read as a formula by a
spreadsheet (CSV injection). In CSV it gets a leading apostrophe, the convention Excel and WPS
show as plain text; in the workbook it is written as a string cell with the quote prefix set.
Plain numbers written as text (``-0.5``) are left alone: no spreadsheet evaluates them.
"""

from __future__ import annotations

import atexit
import datetime as dt
import json
import math
import numbers
import re
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from tuoyu_model.errors import ReportError
from tuoyu_model.paths import display
from tuoyu_model.presentation.compare import (
    compare_table,
    compare_table_for_people,
    difference_table,
    difference_table_for_people,
    same_metrics,
)
from tuoyu_model.presentation.figures import plot_differences, save_figure, scenario_figures
from tuoyu_model.presentation.sentences import worded
from tuoyu_model.presentation.tables import (
    column,
    for_people,
    is_blank,
    parameters_for_people,
    summary_for_people,
    summary_notes,
)
from tuoyu_model.presentation.vocabulary import (
    NUMBER_FORMATS,
    SHEET_COLUMNS,
    SHEETS,
    SUMMARY_UNIT_FORMATS,
    Column,
    shadow_unit_zh,
)
from tuoyu_model.results import CSV_TABLES, Results

# Fixed document time so two runs give the same bytes (xlsxwriter already fixes zip entry times).
WORKBOOK_TIME = dt.datetime(2024, 1, 1, 0, 0, 0)


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?%?$")


def escape_formula(value: Any) -> Any:
    """Return ``value`` so that no spreadsheet reads it as a formula.

    Text starting with ``= + - @``, a tab or a carriage return gets a leading apostrophe,
    unless it is a plain number. Anything that is not text is returned unchanged.

    Examples
    --------
    >>> escape_formula("=SUM(A1:A9)"), escape_formula("@cmd"), escape_formula("-0.5")
    ("'=SUM(A1:A9)", "'@cmd", '-0.5')
    >>> escape_formula("旧宫镇"), escape_formula(3)
    ('旧宫镇', 3)

    """
    if isinstance(value, str) and value.startswith(FORMULA_START) and not _NUMBER.match(value.strip()):
        return "'" + value
    return value


def needs_escape(value: Any) -> bool:
    """Whether :func:`escape_formula` would change ``value``.

    Examples
    --------
    >>> needs_escape("+86 10 1234"), needs_escape("+3")
    (True, False)

    """
    return escape_formula(value) is not value


def _escape_frame(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(escape_formula)
    return out


MONEY_DECIMALS = 2  # columns ending in _yuan: to the fen (0.01 yuan)


OTHER_DECIMALS = 6  # shares, rates, slots and people: 6 decimals (a share to 0.0001 percentage points)


def round_for_csv(df: pd.DataFrame) -> pd.DataFrame:
    """Round a table's floats as written: money (``*_yuan``) to 0.01 yuan, everything else to 6 decimals.

    A float column whose values are then all whole numbers (slots, people, years) is written
    without decimals. ``-0.0`` becomes ``0``. The one rounding rule of the package's CSV files:
    the model computes in full precision, people read ``135.17``, not ``135.16579999999976``.

    Examples
    --------
    >>> df = pd.DataFrame({"fee_yuan": [135.16579999999976], "share": [0.123456789], "slots": [1198.0000000002]})
    >>> round_for_csv(df).to_dict("records")
    [{'fee_yuan': 135.17, 'share': 0.123457, 'slots': 1198}]

    """
    out = df.copy()
    for col in out.columns:
        s = out[col]
        if not pd.api.types.is_float_dtype(s):
            continue
        s = s.round(MONEY_DECIMALS if str(col).endswith("_yuan") else OTHER_DECIMALS) + 0.0
        finite = s[np.isfinite(s)]
        if (
            len(finite)
            and len(finite) == s.notna().sum()
            and (finite == finite.round()).all()
            and finite.abs().max() < 2**53
        ):
            s = s.astype("Int64")
        out[col] = s
    return out


def write_csv(df: pd.DataFrame, path: Path) -> Path:
    r"""Write ``df`` as UTF-8 CSV with a BOM (so Excel and WPS show Chinese), formulas escaped, rounded.

    Columns keep their English ids; floats are rounded by :func:`round_for_csv`; line ends are
    ``\n`` on every platform.

    Examples
    --------
    >>> import tempfile
    >>> p = write_csv(pd.DataFrame({"town": ["旧宫镇"], "note": ["=1+1"]}), Path(tempfile.mkdtemp()) / "t.csv")
    >>> p.read_bytes()[:3] == b"\xef\xbb\xbf", p.read_text("utf-8-sig").splitlines()[1]
    (True, "旧宫镇,'=1+1")

    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    _escape_frame(round_for_csv(df)).to_csv(path, index=False, encoding="utf-8-sig", lineterminator="\n")
    return path


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, str):  # numpy scalars
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def write_json(obj: Any, path: Path) -> Path:
    """Write ``obj`` as indented UTF-8 JSON (Chinese kept readable, numpy values converted)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(_jsonable(obj), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return path


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
                and _NUMBER.match(value.strip())
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


def _scratch_folder(prefix: str) -> Path:
    """Make a temporary folder for a notebook run on its own, removed when the Python process exits.

    The report shows its figures until the last cell, so it cannot be removed any earlier.
    """
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


def workbook_tables(results: Results) -> dict[str, pd.DataFrame]:
    """Return the tables of ``results.xlsx`` by :data:`SHEETS` key.

    The run's tables, with the headline figures and the parameters as people read them
    (:func:`summary_for_people`, :func:`parameters_for_people`) and the budget without its
    Chinese item column (the sheet translates ``item`` itself).
    """
    results = worded(results)  # the sentences people read, added to the numbers
    sheets = {key: results.tables[key] for _, key in SHEETS if key in results.tables}
    sheets["summary"] = summary_for_people(results.summary)
    sheets["parameters"] = parameters_for_people(results.scenario.parameters)
    for key in ("budget", "budget_by_town"):
        sheets[key] = results.tables[key].drop(columns=["item_zh"], errors="ignore")
    return sheets


def write_tables(results: Results, folder: Path, summary: Mapping[str, Any] | None = None) -> dict[str, Path]:
    """Write a run's reproducible tables: ``tables/<name>.csv`` (:data:`CSV_TABLES`) and ``summary.json``.

    Parameters
    ----------
    results : Results
        From :func:`tuoyu_model.results.run_model`.
    folder : Path
        The run's output folder.
    summary : mapping, optional
        What to write as ``summary.json``; default ``results.summary`` (the golden tests pass
        it without the solver's version).

    Returns
    -------
    dict of str to Path
        ``tables/<name>.csv`` and ``summary.json``.

    """
    results = worded(results)  # the sentences people read, added to the numbers
    folder = Path(folder)
    written: dict[str, Path] = {}
    for name in CSV_TABLES:
        if isinstance(results.tables.get(name), pd.DataFrame):
            written[f"tables/{name}.csv"] = write_csv(results.tables[name], folder / "tables" / f"{name}.csv")
    written["summary.json"] = write_json(results.summary if summary is None else summary, folder / "summary.json")
    return written


def write_outputs(results: Results, folder: str | Path | None = None, tables: bool = True) -> dict[str, Path]:
    """Write a run's files: ``tables/*.csv``, ``results.xlsx``, ``figures/*.png``, ``summary.json``.

    Parameters
    ----------
    results : Results
        From :func:`tuoyu_model.results.run_model`.
    folder : path, optional
        The run's output folder. Without one (a notebook executed on its own), only the figures
        are drawn, into a temporary folder, so the report can show them.
    tables : bool, default True
        Also write the tables, the workbook and the JSON (ignored without ``folder``).

    Returns
    -------
    dict of str to Path
        ``figure:<name>`` for each chart, and ``results.xlsx``, ``summary.json``,
        ``tables/<name>.csv`` when written.

    """
    results = worded(results)  # the sentences people read, added to the numbers
    if folder is None or str(folder) == "":
        folder, tables = _scratch_folder("tuoyu-report-"), False
    folder = Path(folder)
    written: dict[str, Path] = {}
    t = results.tables
    for name, fig in scenario_figures(t, results.years).items():
        written[f"figure:{name}"] = save_figure(fig, folder / "figures" / f"{name}.png")
    if tables:
        written |= write_tables(results, folder)
        written["results.xlsx"] = write_workbook(
            workbook_tables(results),
            folder / "results.xlsx",
            results.scenario.title,
            notes={"summary": summary_notes(results.summary)},
        )
    return written


def write_comparison(runs: list[Results], folder: str | Path | None = None) -> dict[str, Path]:
    """Write a comparison of scenarios: ``tables/comparison.csv``, ``comparison.xlsx``, figures.

    Without ``folder`` only the figure is drawn, into a temporary folder.

    Returns
    -------
    dict of str to Path
        ``figure:differences`` and, with ``folder``, the table and workbook paths.

    """
    write_tables = folder is not None and str(folder) != ""
    folder = Path(folder) if write_tables else _scratch_folder("tuoyu-compare-")
    runs = [worded(r) for r in runs]  # the summaries' notes as people read them
    summaries = [r.summary for r in runs]
    table = compare_table(summaries)
    diff = difference_table(table)
    # figures the scenarios share get a sentence in the report, not a chart with a meaningless axis
    shown = diff[~diff["label_zh"].isin(same_metrics(diff))]
    labels = difference_table_for_people(shown, summaries)["情景"]
    written = {
        "figure:differences": save_figure(
            plot_differences(shown.assign(scenario=labels.to_numpy())), folder / "figures" / "differences.png"
        )
    }
    if write_tables:
        written["tables/comparison.csv"] = write_csv(table, folder / "tables" / "comparison.csv")
        written["tables/differences.csv"] = write_csv(diff, folder / "tables" / "differences.csv")
        people, people_diff = compare_table_for_people(table, summaries), difference_table_for_people(diff, summaries)
        sheets = [
            Sheet("情景比较", people, ("text", "text") + ("float2",) * (people.shape[1] - 2)),
            Sheet("与第一个情景之差", people_diff, ("text",) * 3 + ("float2",)),
        ]
        written["comparison.xlsx"] = write_sheets(sheets, folder / "comparison.xlsx", "情景比较")
        written["summary.json"] = write_json({r.scenario.name: r.summary for r in runs}, folder / "summary.json")
    return written
