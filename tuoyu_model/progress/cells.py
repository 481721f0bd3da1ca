"""Cells of a progress return: a file's sheets as rows of cells, then the columns, unit names, counts and dates.

A csv or xlsx return becomes rows of cell values (:func:`read_grid_csv`, :func:`read_grid_xlsx`);
every reader of :mod:`tuoyu_model.progress.returns` then goes through these functions, so a
broken cell is reported the same way whatever the file type: file, sheet, row and column as a
spreadsheet shows them, the value, and the fix.
"""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import io
import re
import unicodedata
from pathlib import Path

import pandas as pd

from tuoyu_model.costs import CHANNELS  # one definition of the channels
from tuoyu_model.errors import DataError, english
from tuoyu_model.paths import display
from tuoyu_model.progress.vocabulary import HEADER_ALIASES, HEADER_ZH, UNIT_SUFFIXES
from tuoyu_model.workbook_reader import MergedRange, read_workbook

INSTITUTION_COLUMNS = [f"institutions_{c}" for c in CHANNELS]
COUNT_COLUMNS = (
    ["total_slots", "inclusive_slots"]
    + INSTITUTION_COLUMNS
    + ["caregivers", "certified_caregivers", "directors_trained", "caregivers_trained", "health_staff"]
)
PROGRESS_COLUMNS = ["town_id", "town", "date"] + COUNT_COLUMNS + ["source_file", "source_sheet", "source_row"]

REQUIRED_FIELDS = [f for f in HEADER_ZH if f != "date"]  # a missing date column may come from --as-of


def normalize_text(value: object) -> str:
    """NFKC-normalise a cell and remove every whitespace character (full-width ones included).

    Examples
    --------
    >>> normalize_text(" 旧宫 镇\u3000")
    '旧宫镇'
    >>> normalize_text("１２０")
    '120'

    """
    if value is None:
        return ""
    text = unicodedata.normalize("NFKC", str(value))
    return re.sub(r"\s+", "", text)


def norm_header(value: object) -> str:
    """Header text without units in brackets, '其中', colons and punctuation."""
    text = normalize_text(value)
    text = re.sub(r"[(\[][^)\]]*[)\]]", "", text)  # (个), (人) after NFKC
    text = text.replace("其中", "")
    return re.sub(r"[:：、/\-_.·]", "", text)


ALIAS_INDEX = {norm_header(a): f for f, names in HEADER_ALIASES.items() for a in names}


def column_letter(index: int) -> str:
    """Spreadsheet letter of a 0-based column index.

    Examples
    --------
    >>> column_letter(0), column_letter(25), column_letter(27)
    ('A', 'Z', 'AB')

    """
    letters = ""
    n = index + 1
    while n:
        n, r = divmod(n - 1, 26)
        letters = chr(65 + r) + letters
    return letters


def location(file: str, sheet: str, row: int | None = None, col: int | None = None, header: str = "") -> str:
    """Return where a cell is, as messages name it (Chinese; English under ``TUOYU_LANG=en``).

    Examples
    --------
    >>> location("a.xlsx", "填报表", 4, 2, "托位总数")  # with TUOYU_LANG unset
    'a.xlsx，工作表“填报表”，第 4 行，C 列“托位总数”'

    """
    if english():
        parts = [file, *([f"sheet '{sheet}'"] if sheet else []), *([f"row {row}"] if row is not None else [])]
        if col is not None:
            parts.append(f"column {column_letter(col)}" + (f" '{header}'" if header else ""))
        return ", ".join(parts)
    parts = [file, *([f"工作表“{sheet}”"] if sheet else []), *([f"第 {row} 行"] if row is not None else [])]
    if col is not None:
        parts.append(f"{column_letter(col)} 列" + (f"“{header}”" if header else ""))
    return "，".join(parts)


def unit_lookup(targets: pd.DataFrame) -> dict[str, tuple[str, str]]:
    """Map every accepted spelling of a unit (normalised) to ``(town_id, town)``.

    A unit is found by its full name (``旧宫镇``) or its name without the 街道/镇 suffix (``旧宫``).

    Examples
    --------
    >>> from tuoyu_model.data import load_targets
    >>> lookup = unit_lookup(load_targets())
    >>> lookup["旧宫"], lookup["兴丰街道"]
    (('jiugong', '旧宫镇'), ('xingfeng', '兴丰街道'))

    """
    units = targets.drop_duplicates("town_id")
    out: dict[str, tuple[str, str]] = {}
    for town_id, town in zip(units.town_id, units.town, strict=True):
        name = normalize_text(town)
        out[name] = (town_id, town)
        out[strip_suffix(name)] = (town_id, town)
    return out


def strip_suffix(name: str) -> str:
    """Return a unit name without its 街道/镇 suffix (``旧宫镇`` → ``旧宫``)."""
    for s in UNIT_SUFFIXES:
        if name.endswith(s) and len(name) > len(s):
            return name[: -len(s)]
    return name


def match_unit(raw: object, lookup: dict[str, tuple[str, str]], where: str) -> tuple[str, str]:
    """Return ``(town_id, town)`` for a unit name as written, or raise with the closest names.

    Raises
    ------
    DataError
        The name matches no unit of the annex; the message lists the closest valid names.

    """
    name = normalize_text(raw)
    if name == "":
        raise DataError(
            f"{where}：是空的；请按工作方案附件写属地名称，如 旧宫镇",
            en=f"{where} is blank; write the unit's name as in the plan's annex, e.g. 旧宫镇",
        )
    for key in (name, strip_suffix(name)):
        if key in lookup:
            return lookup[key]
    valid = sorted({t for _, t in lookup.values()})
    close = difflib.get_close_matches(name, valid, n=3, cutoff=0.3)
    close = close or difflib.get_close_matches(strip_suffix(name), [strip_suffix(v) for v in valid], n=3, cutoff=0.3)
    close_full = [next(v for v in valid if v.startswith(c)) for c in close] if close else []
    hint = f"最接近的有：{'、'.join(close_full)}" if close_full else f"应为：{'、'.join(valid)}"
    hint_en = f"closest valid names: {', '.join(close_full)}" if close_full else f"valid names: {', '.join(valid)}"
    raise DataError(
        f"{where}：属地“{raw}”不在工作方案附件中；{hint}（名称以 data/targets.csv 为准）",
        en=f"{where}: unknown unit '{raw}'; {hint_en} (names as in the plan's annex, data/targets.csv)",
    )


def parse_count(value: object, where: str) -> int:
    """Read a whole non-negative number from a cell (int, whole float, or text with full-width digits).

    Raises
    ------
    DataError
        Blank, text, a fraction or a negative number.

    Examples
    --------
    >>> parse_count("１,２００", "f.csv, row 3, column C"), parse_count(35.0, "x")
    (1200, 35)

    """
    if isinstance(value, bool):
        raise DataError(
            f"{where}：“{value!r}”不是数字；请填不小于 0 的整数",
            en=f"{where} = {value!r} is not a number; expected a whole number ≥ 0",
        )
    if isinstance(value, int | float):
        number = float(value)
        shown = value
    else:
        text = normalize_text(value).replace(",", "")
        if text == "":
            raise DataError(
                f"{where}：是空的；请填不小于 0 的整数（没有就填 0）",
                en=f"{where} is blank; expected a whole number ≥ 0 (write 0 if there are none)",
            )
        shown = str(value).strip()
        try:
            number = float(text)
        except ValueError:
            raise DataError(
                f"{where}：“{shown}”不是数字；请填不小于 0 的整数（数字格里不要写文字或单位）",
                en=f"{where} = '{shown}' is not a number; "
                "expected a whole number ≥ 0 (no words or units in number cells)",
            ) from None
    if number != number or number in (float("inf"), float("-inf")):
        raise DataError(
            f"{where}：“{shown}”不是数字；请填不小于 0 的整数",
            en=f"{where} = '{shown}' is not a number; expected a whole number ≥ 0",
        )
    if number < 0:
        raise DataError(
            f"{where}：{shown} 是负数；托位、机构和人员的数目都应不小于 0",
            en=f"{where} = {shown} is negative; counts of slots, institutions and staff must be ≥ 0",
        )
    if number != int(number):
        raise DataError(f"{where}：{shown} 不是整数；请填整数", en=f"{where} = {shown} is not a whole number")
    return int(number)


def parse_date(value: object, where: str) -> dt.date:
    """Read a report date from a cell: a date, ``2024-06-30``, ``2024/6/30``, ``2024年6月30日`` or ``2024.6.30``.

    Raises
    ------
    DataError
        Blank or unreadable.

    Examples
    --------
    >>> parse_date("２０２４年６月３０日", "x"), parse_date("2024/9/30", "x")
    (datetime.date(2024, 6, 30), datetime.date(2024, 9, 30))

    """
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool) and 20000 < value < 80000:
        return dt.date(1899, 12, 30) + dt.timedelta(days=int(value))  # an Excel serial day
    text = normalize_text(value)
    m = re.fullmatch(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:\d{1,2}:\d{2}(?::\d{2})?)?", text)
    if m:
        try:
            return dt.date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError:
            pass
    if text == "":
        raise DataError(
            f"{where}：是空的；请填报送日期，如 2024-06-30",
            en=f"{where} is blank; expected the report date, e.g. 2024-06-30",
        )
    raise DataError(
        f"{where}：“{value}”不是日期；请写成 2024-06-30 或 2024年6月30日",
        en=f"{where} = '{value}' is not a date; expected e.g. 2024-06-30 or 2024年6月30日",
    )


def cell_text(v: object) -> str:
    """Return a cell's normalised text, ``""`` for an empty cell."""
    return normalize_text(v) if v is not None else ""


def read_grid_csv(path: Path) -> list[list[object]]:
    """Read a csv as rows of text, accepting UTF-8 (with or without BOM) and GBK/GB18030.

    Raises
    ------
    DataError
        The bytes are neither UTF-8 nor GB18030, or the csv is malformed.

    """
    raw = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise DataError(
            f"{display(path)}: 既不是 UTF-8 也不是 GBK 文本；请在 Excel 或 WPS 中另存为“CSV UTF-8（逗号分隔）”",
            en=f"{display(path)}: neither UTF-8 nor GBK text; save it as 'CSV UTF-8' in Excel or WPS",
        )
    try:
        return [list(r) for r in csv.reader(io.StringIO(text))]
    except csv.Error as exc:
        raise DataError(
            f"{display(path)}: 不是格式正确的 CSV（{exc}）；请检查引号和逗号",
            en=f"{display(path)}: not a well-formed csv ({exc}); check quotes and commas",
        ) from None


def read_grid_xlsx(path: Path) -> list[tuple[str, list[list[object]], tuple[MergedRange, ...]]]:
    """Read every sheet of a workbook as ``(sheet name, rows of cell values, merged ranges)``.

    Read through :func:`tuoyu_model.workbook_reader.read_workbook` (bounded, refuses files that
    are not workbooks in one line). Merged cells are filled with the value of their top-left
    cell, so a merged group header reads the same as one typed in every column; the ranges are
    passed on so that :func:`parse_grid` can refuse a merged count cell.

    Raises
    ------
    DataError
        The file is not a readable xlsx workbook, or holds a value far outside the table.

    """
    return [(s.name, s.rows, s.merged) for s in read_workbook(path, fill_merged=True)]
