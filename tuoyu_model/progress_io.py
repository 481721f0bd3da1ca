"""Read the progress returns (进展统计表) that streets and towns actually send.

A return is an xlsx or a csv with one row per unit (or one row per unit and date). What people
send differs from the template in ways this module accepts on purpose:

- a two-row merged header as in the plan's annex (``托位数（个）`` over ``托位总数`` and
  ``其中：普惠托位数``), a title row above it, a ``合计`` row (skipped, and checked against the
  sum of the rows above it), and notes under the table (``注：…``, ``填报人：…``);
- csv in UTF-8, UTF-8 with BOM, or GBK/GB18030 (what Excel and WPS save as "CSV" on Chinese
  Windows);
- unit names with or without the 街道/镇 suffix, full-width characters and stray spaces
  (everything is NFKC-normalised and whitespace-stripped before matching);
- several files, one per unit, merged into one table.

Everything else is an error (:class:`~tuoyu_model.errors.DataError`) on one line naming the file,
the sheet, the row and the column as a spreadsheet shows them, the value, and the fix.
"""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import io
import re
import unicodedata
from collections.abc import Iterable, Sequence
from pathlib import Path

import pandas as pd

from tuoyu_model.costs import CHANNELS  # one definition of the channels
from tuoyu_model.errors import DataError
from tuoyu_model.paths import display
from tuoyu_model.presentation.vocabulary import CHANNEL_LABEL_ZH

INSTITUTION_COLUMNS = [f"institutions_{c}" for c in CHANNELS]
COUNT_COLUMNS = (
    ["total_slots", "inclusive_slots"]
    + INSTITUTION_COLUMNS
    + ["caregivers", "certified_caregivers", "directors_trained", "caregivers_trained", "health_staff"]
)
PROGRESS_COLUMNS = ["town_id", "town", "date"] + COUNT_COLUMNS + ["source_file", "source_sheet", "source_row"]

# The template's headers (two levels: group, column); the flat csv header is group-less.
HEADER_ZH = {
    "town": ("", "镇街"),
    "date": ("", "统计日期"),
    "total_slots": ("托位数（个）", "托位总数"),
    "inclusive_slots": ("托位数（个）", "其中：普惠托位数"),
    **{f"institutions_{c}": ("托育机构数（个）", CHANNEL_LABEL_ZH[c]) for c in CHANNELS},
    "caregivers": ("保育人员（人）", "保育人员数"),
    "certified_caregivers": ("保育人员（人）", "其中：持证保育人员数"),
    "directors_trained": ("已培训人员（人）", "已培训机构负责人数"),
    "caregivers_trained": ("已培训人员（人）", "已培训保育人员数"),
    "health_staff": ("", "卫生保健人员数（人）"),
}
# Other spellings seen in returns, compared after _norm_header(); the template's own come first.
_ALIASES = {
    "town": ["镇街", "属地", "街镇", "街道镇", "单位", "单位名称", "镇街名称", "属地名称", "街道乡镇", "地区"],
    "date": ["统计日期", "日期", "填报日期", "截至日期", "截止日期", "报告日期", "统计时点"],
    "total_slots": ["托位总数", "托位数托位总数", "托位数", "在营托位数", "总托位数", "托位合计"],
    "inclusive_slots": ["普惠托位数", "托位数普惠托位数", "普惠托位", "托位总数普惠托位数"],
    **{
        f"institutions_{c}": [
            CHANNEL_LABEL_ZH[c],
            f"托育机构数{CHANNEL_LABEL_ZH[c]}",
            f"{CHANNEL_LABEL_ZH[c]}机构数",
            f"{CHANNEL_LABEL_ZH[c]}数",
        ]
        for c in CHANNELS
    },
    "caregivers": ["保育人员数", "保育人员保育人员数", "保育人员", "保育人员总数"],
    "certified_caregivers": ["持证保育人员数", "保育人员持证保育人员数", "持证人数", "持证保育人员"],
    "directors_trained": ["已培训机构负责人数", "已培训人员已培训机构负责人数", "负责人已培训", "已培训负责人数"],
    "caregivers_trained": ["已培训保育人员数", "已培训人员已培训保育人员数", "保育人员已培训", "已培训保育人员"],
    "health_staff": ["卫生保健人员数", "卫生保健人员", "保健人员数"],
}
REQUIRED_FIELDS = [f for f in HEADER_ZH if f != "date"]  # a missing date column may come from --as-of
TOTAL_ROW_WORDS = ("合计", "总计", "全区合计", "全区", "小计")
NOTE_PREFIXES = ("注", "说明", "备注", "填报人", "填表人", "制表", "审核", "联系", "数据来源")
UNIT_SUFFIXES = ("街道", "地区", "镇", "乡")
_HEADER_SCAN_ROWS = 15


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


def _norm_header(value: object) -> str:
    """Header text without units in brackets, '其中', colons and punctuation."""
    text = normalize_text(value)
    text = re.sub(r"[(\[][^)\]]*[)\]]", "", text)  # (个), (人) after NFKC
    text = text.replace("其中", "")
    return re.sub(r"[:：、/\-_.·]", "", text)


_ALIAS_INDEX = {_norm_header(a): f for f, names in _ALIASES.items() for a in names}


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


def _where(file: str, sheet: str, row: int | None = None, col: int | None = None, header: str = "") -> str:
    parts = [file]
    if sheet:
        parts.append(f"sheet '{sheet}'")
    if row is not None:
        parts.append(f"row {row}")
    if col is not None:
        parts.append(f"column {column_letter(col)}" + (f" '{header}'" if header else ""))
    return ", ".join(parts)


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
        out[_strip_suffix(name)] = (town_id, town)
    return out


def _strip_suffix(name: str) -> str:
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
        raise DataError(f"{where} is blank; write the unit's name as in the plan's annex, e.g. 旧宫镇")
    for key in (name, _strip_suffix(name)):
        if key in lookup:
            return lookup[key]
    valid = sorted({t for _, t in lookup.values()})
    close = difflib.get_close_matches(name, valid, n=3, cutoff=0.3)
    close = close or difflib.get_close_matches(_strip_suffix(name), [_strip_suffix(v) for v in valid], n=3, cutoff=0.3)
    close_full = [next(v for v in valid if v.startswith(c)) for c in close] if close else []
    hint = f"closest valid names: {', '.join(close_full)}" if close_full else f"valid names: {', '.join(valid)}"
    raise DataError(f"{where}: unknown unit '{raw}'; {hint} (names as in the plan's annex, data/targets.csv)")


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
        raise DataError(f"{where} = {value!r} is not a number; expected a whole number ≥ 0")
    if isinstance(value, int | float):
        number = float(value)
        shown = value
    else:
        text = normalize_text(value).replace(",", "")
        if text == "":
            raise DataError(f"{where} is blank; expected a whole number ≥ 0 (write 0 if there are none)")
        shown = str(value).strip()
        try:
            number = float(text)
        except ValueError:
            raise DataError(
                f"{where} = '{shown}' is not a number; expected a whole number ≥ 0 (no words or units in number cells)"
            ) from None
    if number != number or number in (float("inf"), float("-inf")):
        raise DataError(f"{where} = '{shown}' is not a number; expected a whole number ≥ 0")
    if number < 0:
        raise DataError(f"{where} = {shown} is negative; counts of slots, institutions and staff must be ≥ 0")
    if number != int(number):
        raise DataError(f"{where} = {shown} is not a whole number")
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
        raise DataError(f"{where} is blank; expected the report date, e.g. 2024-06-30")
    raise DataError(f"{where} = '{value}' is not a date; expected e.g. 2024-06-30 or 2024年6月30日")


def _cell_text(v: object) -> str:
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
        raise DataError(f"{display(path)}: neither UTF-8 nor GBK text; save it as 'CSV UTF-8' in Excel or WPS")
    try:
        return [list(r) for r in csv.reader(io.StringIO(text))]
    except csv.Error as exc:
        raise DataError(f"{display(path)}: not a well-formed csv ({exc}); check quotes and commas") from None


def read_grid_xlsx(path: Path) -> list[tuple[str, list[list[object]]]]:
    """Read every sheet of a workbook as ``(sheet name, rows of cell values)``.

    Merged cells are filled with the value of their top-left cell, so a merged group header
    reads the same as one typed in every column.

    Raises
    ------
    DataError
        The file is not a readable xlsx workbook.

    """
    import openpyxl  # imported here: only xlsx reading needs it
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        wb = openpyxl.load_workbook(path, data_only=True)
    except (InvalidFileException, OSError, KeyError, ValueError) as exc:
        raise DataError(
            f"{display(path)}: cannot open as an xlsx workbook ({type(exc).__name__}); "
            "save it from Excel or WPS as .xlsx"
        ) from None
    sheets = []
    for ws in wb.worksheets:
        rows = [list(r) for r in ws.iter_rows(values_only=True)]
        for rng in ws.merged_cells.ranges:
            top = ws.cell(rng.min_row, rng.min_col).value
            for r in range(rng.min_row, rng.max_row + 1):
                for c in range(rng.min_col, rng.max_col + 1):
                    if r - 1 < len(rows) and c - 1 < len(rows[r - 1]):
                        rows[r - 1][c - 1] = top
        sheets.append((ws.title, rows))
    wb.close()
    return sheets


def _find_header(rows: list[list[object]]) -> int | None:
    for i, row in enumerate(rows[:_HEADER_SCAN_ROWS]):
        if any(_ALIAS_INDEX.get(_norm_header(v)) == "town" for v in row if v is not None):
            return i
    return None


def _is_data_sheet(rows: list[list[object]]) -> bool:
    """Whether a sheet holds a return: a unit column and slot columns (a notes sheet has neither)."""
    h = _find_header(rows)
    if h is None:
        return False
    fields = _map_columns(rows[h], rows[h + 1] if h + 1 < len(rows) else None)
    return "total_slots" in fields or "inclusive_slots" in fields or len(fields) >= 3


def _map_columns(top: list[object], sub: list[object] | None) -> dict[str, int]:
    """Map field -> column index from one or two header rows."""
    width = max(len(top), len(sub or []))
    top = list(top) + [None] * (width - len(top))
    sub = list(sub or []) + [None] * (width - len(sub or []))
    group = ""
    fields: dict[str, int] = {}
    for j in range(width):
        t, s = _norm_header(top[j]), _norm_header(sub[j])
        group = t or group if s else t  # a merged group header carries over to the right
        candidates = [group + s, s] if s else [t]  # a group header alone never names a column
        for key in candidates:
            f = _ALIAS_INDEX.get(key)
            if f and f not in fields:
                fields[f] = j
                break
    return fields


def parse_grid(
    rows: list[list[object]], file: str, sheet: str, lookup: dict[str, tuple[str, str]], as_of: dt.date | None = None
) -> list[dict]:
    """Turn one sheet's rows into records, one per unit row, checking every cell.

    Parameters
    ----------
    rows : list of list
        Cell values as read (text from csv, typed values from xlsx), top row first.
    file, sheet : str
        For messages and the ``source_file``/``source_sheet`` columns.
    lookup : dict
        From :func:`unit_lookup`.
    as_of : date, optional
        Date given to the rows when the sheet has no date column.

    Returns
    -------
    list of dict
        Keys: the fields of :data:`PROGRESS_COLUMNS`.

    Raises
    ------
    DataError
        An empty sheet, a missing column, a bad cell, an unknown unit, or a 合计 row that does
        not equal the sum of the rows above it.

    """
    if not any(_cell_text(v) for r in rows for v in r):
        raise DataError(
            f"{_where(file, sheet)}: the sheet is empty; expected a header row "
            "(镇街, 统计日期, 托位总数 …) and one row per unit — "
            "fill in data/templates/progress_template.xlsx"
        )
    h = _find_header(rows)
    if h is None:
        raise DataError(
            f"{_where(file, sheet)}: no header row with a unit column (镇街 or 属地) in the first "
            f"{_HEADER_SCAN_ROWS} rows; use the headers of data/templates/progress_template.xlsx"
        )
    town_col = next(j for j, v in enumerate(rows[h]) if _ALIAS_INDEX.get(_norm_header(v)) == "town")
    first = h + 1
    sub = None
    if first < len(rows):
        nxt = rows[first]
        if _cell_text(nxt[town_col] if town_col < len(nxt) else None) in ("", _cell_text(rows[h][town_col])) and any(
            _cell_text(v) for v in nxt
        ):
            sub, first = nxt, first + 1
    fields = _map_columns(rows[h], sub)
    missing = [f for f in REQUIRED_FIELDS if f not in fields]
    if "date" not in fields and as_of is None:
        missing.insert(1, "date")
    if missing:
        f = missing[0]
        group, name = HEADER_ZH[f]
        shown = f"{group} › {name}" if group else name
        found = [str(v).strip() for v in (sub or rows[h]) if v is not None and str(v).strip()]
        extra = " (or give --as-of)" if f == "date" else ""
        raise DataError(
            f"{_where(file, sheet, h + 1)}: missing column '{shown}' ({f}){extra}; "
            f"found: {', '.join(found)}; use the headers of data/templates/progress_template.xlsx"
        )

    def cell(row: list[object], j: int) -> object:
        return row[j] if j < len(row) else None

    records: list[dict] = []
    total_row: tuple[int, list[object]] | None = None
    for i in range(first, len(rows)):
        row = rows[i]
        texts = [_cell_text(v) for v in row]
        if not any(texts):
            break  # the table ends at the first blank row; notes may follow
        lead = next(t for t in texts if t)
        if lead.startswith(NOTE_PREFIXES):
            break
        unit = _cell_text(cell(row, town_col))
        if unit in TOTAL_ROW_WORDS or any(t in TOTAL_ROW_WORDS for t in texts[: town_col + 1]):
            total_row = (i, row)
            continue
        r = i + 1
        head = HEADER_ZH["town"][1]
        town_id, town = match_unit(cell(row, town_col), lookup, _where(file, sheet, r, town_col, head))
        rec: dict = {"town_id": town_id, "town": town}
        if "date" in fields:
            j = fields["date"]
            rec["date"] = parse_date(cell(row, j), _where(file, sheet, r, j, HEADER_ZH["date"][1]))
        else:
            rec["date"] = as_of
        for f in COUNT_COLUMNS:
            j = fields[f]
            rec[f] = parse_count(cell(row, j), _where(file, sheet, r, j, HEADER_ZH[f][1]))
        _check_parts(rec, file, sheet, r, fields)
        rec.update(source_file=file, source_sheet=sheet, source_row=r)
        records.append(rec)
    if not records:
        raise DataError(f"{_where(file, sheet, first + 1)}: no unit rows under the header; add one row per unit")
    if total_row is not None:
        _check_total_row(total_row, records, fields, file, sheet)
    return records


def _check_parts(rec: dict, file: str, sheet: str, r: int, fields: dict[str, int]) -> None:
    """Check that a part (inclusive, certified, trained) does not exceed its whole."""
    institutions = sum(rec[c] for c in INSTITUTION_COLUMNS)
    for part, whole, value in (
        ("inclusive_slots", "total_slots", rec["total_slots"]),
        ("certified_caregivers", "caregivers", rec["caregivers"]),
        ("caregivers_trained", "caregivers", rec["caregivers"]),
        ("directors_trained", "institutions", institutions),
    ):
        if rec[part] > value:
            whole_zh = "托育机构数合计" if whole == "institutions" else HEADER_ZH[whole][1]
            raise DataError(
                f"{_where(file, sheet, r, fields[part], HEADER_ZH[part][1])} = {rec[part]} is more than "
                f"{whole_zh} ({value}) in the same row; it is part of it — check the two cells"
            )


def _check_total_row(
    total_row: tuple[int, list[object]], records: list[dict], fields: dict[str, int], file: str, sheet: str
) -> None:
    i, row = total_row
    for f in COUNT_COLUMNS:
        j = fields[f]
        v = row[j] if j < len(row) else None
        if _cell_text(v) == "":
            continue  # a 合计 row may leave columns blank
        where = _where(file, sheet, i + 1, j, HEADER_ZH[f][1])
        printed = parse_count(v, where)
        got = sum(r[f] for r in records)
        if printed != got:
            raise DataError(
                f"{where}: 合计 = {printed} but the rows above add up to {got}; "
                "a row or the total was mistyped — correct it and send the file again"
            )


def read_progress_file(path: Path, lookup: dict[str, tuple[str, str]], as_of: dt.date | None = None) -> list[dict]:
    """Read one return (csv or xlsx) into records; see :func:`parse_grid`.

    Raises
    ------
    DataError
        A missing file, an unknown file type, or anything :func:`parse_grid` rejects.

    """
    path = Path(path)
    file = display(path)
    if not path.is_file():
        raise DataError(f"{file}: file not found; check the path")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return parse_grid(read_grid_csv(path), file, "", lookup, as_of)
    if suffix in (".xlsx", ".xlsm"):
        sheets = read_grid_xlsx(path)
        usable = [(name, rows) for name, rows in sheets if _is_data_sheet(rows)]
        if not usable:
            # Point at the first sheet: either it is empty or it has no header.
            name, rows = sheets[0]
            return parse_grid(rows, file, name, lookup, as_of)
        return [rec for name, rows in usable for rec in parse_grid(rows, file, name, lookup, as_of)]
    raise DataError(
        f"{file}: unknown file type '{path.suffix}'; send .xlsx or .csv (an old .xls: "
        "open it in Excel or WPS and save as .xlsx)"
    )


def _to_date(value: object) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime | pd.Timestamp):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return parse_date(value, f"--as-of '{value}'")


def read_progress(
    paths: Sequence[Path | str] | Path | str, as_of: object = None, targets: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Read and merge progress returns into one tidy table.

    Parameters
    ----------
    paths : path or list of paths
        xlsx or csv files, typically one per unit and quarter.
    as_of : date or str, optional
        Evaluation date: rows dated later are left out, and files without a date column are
        dated ``as_of``. Default: keep every row.
    targets : DataFrame, optional
        The annex (:func:`tuoyu_model.data.load_targets`); loaded when omitted.

    Returns
    -------
    pandas.DataFrame
        One row per unit and date: ``town_id, town, date`` (datetime64), the counts
        ``total_slots, inclusive_slots, institutions_<channel>…, caregivers,
        certified_caregivers, directors_trained, caregivers_trained, health_staff`` (int64), and
        ``source_file, source_sheet, source_row``; sorted by date and the annex's order.
        Units that did not report are absent (see :func:`not_reported`), never zero.

    Raises
    ------
    DataError
        A broken file (see :func:`parse_grid`), or a unit and date reported twice with
        different numbers (naming both files and rows).

    Examples
    --------
    >>> from tuoyu_model.paths import PROJECT_ROOT
    >>> df = read_progress(PROJECT_ROOT / "data/templates/progress_template.csv")
    >>> df[["town", "total_slots", "inclusive_slots"]].to_dict("records")
    [{'town': '旧宫镇', 'total_slots': 320, 'inclusive_slots': 96}]

    """
    from tuoyu_model.data import load_targets

    if isinstance(paths, str | Path):
        paths = [paths]
    if not paths:
        raise DataError("no progress files given; pass one or more .xlsx or .csv returns")
    targets = load_targets() if targets is None else targets
    lookup = unit_lookup(targets)
    as_of_date = _to_date(as_of)
    records: list[dict] = []
    for p in paths:
        records.extend(read_progress_file(Path(p), lookup, as_of_date))
    df = pd.DataFrame(records, columns=PROGRESS_COLUMNS)
    df = _drop_duplicates(df)
    if as_of_date is not None:
        df = df[df.date <= as_of_date]
        if df.empty:
            raise DataError(f"--as-of {as_of_date}: every report is dated later; choose a later date")
    df["date"] = pd.to_datetime(df.date)
    for c in COUNT_COLUMNS:
        df[c] = df[c].astype("int64")
    df["source_row"] = df.source_row.astype("int64")
    order = targets.drop_duplicates("town_id").set_index("town_id")["seq"]
    df = df.assign(_seq=df.town_id.map(order)).sort_values(["date", "_seq"]).drop(columns="_seq")
    return df.reset_index(drop=True)


def _drop_duplicates(df: pd.DataFrame) -> pd.DataFrame:
    """Keep one row per unit and date; the same unit and date with different numbers is an error."""
    keep = []
    seen: dict[tuple, int] = {}
    for i, row in df.iterrows():
        key = (row.town_id, row.date)
        if key not in seen:
            seen[key] = i
            keep.append(i)
            continue
        first = df.loc[seen[key]]
        diff = [c for c in COUNT_COLUMNS if first[c] != row[c]]
        if diff:
            c = diff[0]
            a = _where(first.source_file, first.source_sheet, first.source_row)
            b = _where(row.source_file, row.source_sheet, row.source_row)
            raise DataError(
                f"{b}, column '{HEADER_ZH[c][1]}': {row.town} is reported twice for {row.date} with "
                f"different numbers ({c} {first[c]} in {a}; {row[c]} here); keep one return per "
                "unit and date"
            )
    return df.loc[keep]


def not_reported(progress: pd.DataFrame, targets: pd.DataFrame) -> pd.DataFrame:
    """Units of the annex with no report in ``progress`` (listed, never counted as zero).

    Returns
    -------
    pandas.DataFrame
        ``town_id, town`` in the annex's order.

    Examples
    --------
    >>> from tuoyu_model.data import load_targets
    >>> t = load_targets()
    >>> len(not_reported(pd.DataFrame({"town_id": ["jiugong"]}), t))
    21

    """
    units = targets.drop_duplicates("town_id").sort_values("seq")
    return units.loc[~units.town_id.isin(set(progress.town_id)), ["town_id", "town"]].reset_index(drop=True)


def iter_headers() -> Iterable[tuple[str, str, str]]:
    """``(field, group header, column header)`` of the template, in column order."""
    for f, (group, name) in HEADER_ZH.items():
        yield f, group, name


def flat_header(field: str) -> str:
    """Return the one-row (csv) header of a field, with its unit.

    Examples
    --------
    >>> flat_header("institutions_social"), flat_header("inclusive_slots")
    ('社会托育机构数（个）', '其中：普惠托位数（个）')

    """
    group, name = HEADER_ZH[field]
    if field.startswith("institutions_"):
        return f"{name}数（个）"
    unit = re.search(r"（[^）]*）", group)
    return name + unit.group(0) if unit and "（" not in name else name


def write_return_xlsx(
    path: Path,
    records: Sequence[dict],
    *,
    title: str | None = None,
    total_row: bool = False,
    notes: Sequence[str] = (),
    sheet: str = "填报表",
    notes_sheet: Sequence[tuple[str, str]] = (),
    date_as_text: bool = False,
) -> Path:
    """Write a return in the annex's layout: optional title, two-row merged header, rows, 合计, notes.

    Used for the template in ``data/templates/`` and the test fixtures, so both match what the
    reader accepts.

    Parameters
    ----------
    path : Path
        The xlsx to write.
    records : sequence of dict
        Rows keyed by field name (``town`` as written, ``date``, the counts).
    title : str, optional
        A title row above the header.
    total_row : bool, default False
        Add a 合计 row with the column sums.
    notes : sequence of str
        Lines written under the table after one blank row.
    sheet : str, default "填报表"
        Name of the data sheet.
    notes_sheet : sequence of (str, str)
        ``(column, explanation)`` rows of a second sheet "填报说明".
    date_as_text : bool, default False
        Write dates as text (``2024年6月30日``) as some people type them.

    Returns
    -------
    Path
        ``path``.

    """
    import openpyxl
    from openpyxl.styles import Alignment, Font

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    fields = ["seq"] + list(HEADER_ZH)
    r0 = 1
    bold = Font(bold=True)
    centre = Alignment(horizontal="center", vertical="center", wrap_text=True)
    if title:
        ws.cell(1, 1, title).font = Font(bold=True, size=14)
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(fields))
        r0 = 2
    heads = [("", "序号")] + [HEADER_ZH[f] for f in HEADER_ZH]
    j = 0
    while j < len(heads):
        group, name = heads[j]
        col = j + 1
        if not group:
            ws.cell(r0, col, name)
            ws.merge_cells(start_row=r0, start_column=col, end_row=r0 + 1, end_column=col)
            j += 1
            continue
        k = j
        while k < len(heads) and heads[k][0] == group:
            ws.cell(r0 + 1, k + 1, heads[k][1])
            k += 1
        ws.cell(r0, col, group)
        if k - j > 1:
            ws.merge_cells(start_row=r0, start_column=col, end_row=r0, end_column=k)
        j = k
    for row in ws.iter_rows(min_row=r0, max_row=r0 + 1):
        for c in row:
            c.font, c.alignment = bold, centre
    r = r0 + 2
    for n, rec in enumerate(records, start=1):
        ws.cell(r, 1, n)
        for j, f in enumerate(HEADER_ZH, start=2):
            v = rec.get(f)
            if f == "date" and isinstance(v, dt.date) and date_as_text:
                v = f"{v.year}年{v.month}月{v.day}日"
            cell = ws.cell(r, j, v)
            if f == "date" and isinstance(v, dt.date):
                cell.number_format = "yyyy-mm-dd"
        r += 1
    if total_row:
        ws.cell(r, 1, "合计")
        ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=2)
        for j, f in enumerate(HEADER_ZH, start=2):
            if f in COUNT_COLUMNS:
                ws.cell(r, j, sum(int(rec[f]) for rec in records))
        r += 1
    if notes:
        r += 1
        for line in notes:
            ws.cell(r, 1, line)
            ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=len(fields))
            r += 1
    for j in range(1, len(fields) + 1):
        ws.column_dimensions[column_letter(j - 1)].width = 14 if j > 2 else 8
    if notes_sheet:
        ns = wb.create_sheet("填报说明")
        ns.append(["栏目 Column", "说明 Explanation"])
        for c in ns[1]:
            c.font = bold
        for item in notes_sheet:
            ns.append(list(item))
        ns.column_dimensions["A"].width = 26
        ns.column_dimensions["B"].width = 90
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return normalise_xlsx(path)


_FIXED_ZIP_TIME = (2024, 1, 1, 0, 0, 0)


def normalise_xlsx(path: Path) -> Path:
    """Rewrite an openpyxl-saved workbook with fixed timestamps so that rewriting it gives the same bytes.

    openpyxl stamps the save time into ``docProps/core.xml`` and every zip entry; committed
    templates and fixtures would otherwise change on every regeneration.

    Returns
    -------
    Path
        ``path``.

    """
    import zipfile

    path = Path(path)
    with zipfile.ZipFile(path) as z:
        entries = [(info.filename, z.read(info.filename)) for info in z.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in entries:
            if name == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:(created|modified)[^>]*>)[^<]*", rb"\g<1>2024-01-01T00:00:00Z", data)
            z.writestr(zipfile.ZipInfo(name, date_time=_FIXED_ZIP_TIME), data, zipfile.ZIP_DEFLATED)
    return path


def write_return_csv(path: Path, records: Sequence[dict], encoding: str = "utf-8-sig") -> Path:
    """Write a return as a flat csv (one header row) in ``encoding``; dates as ``YYYY-MM-DD``.

    Returns
    -------
    Path
        ``path``.

    """
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow([flat_header(f) for f in HEADER_ZH])
    for rec in records:
        w.writerow([rec[f].isoformat() if isinstance(rec[f], dt.date) else rec[f] for f in HEADER_ZH])
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


# Explanations for the template's notes sheet (填报说明), per column.
TEMPLATE_NOTES = {
    "town": "属地名称，按工作方案附件填写（如“旧宫镇”“兴丰街道”；写“旧宫”“兴丰”也可识别）。"
    " Unit name as in the plan's annex (the 街道/镇 suffix may be left out).",
    "date": "统计时点，如 2024-06-30 或 2024年6月30日；每季度末填报一次。 Report date (quarter end).",
    "total_slots": "截至统计日期已投入使用的托位总数（个），含普惠与市场化托位。 Slots in service, all kinds.",
    "inclusive_slots": "其中纳入普惠托育服务的托位数（个），不得大于托位总数。 Inclusive slots (part of the total).",
    **{
        f"institutions_{c}": f"{CHANNEL_LABEL_ZH[c]}的机构（点）数（个），没有填 0。 Institutions: {c}."
        for c in CHANNELS
    },
    "caregivers": "在岗保育人员总数（人）。 Caregivers in post.",
    "certified_caregivers": (
        "其中持育婴员、保育师等证书上岗的人数（人），目标不低于 90%。 Certified caregivers (goal ≥ 90%)."
    ),
    "directors_trained": "已参加培训的托育机构负责人人数（人），目标全覆盖；每个机构按 1 名负责人计。"
    " Directors trained (goal: all; one director per institution).",
    "caregivers_trained": "已参加岗位培训的保育人员人数（人），目标全覆盖。 Caregivers trained (goal: all).",
    "health_staff": (
        "考核合格的专（兼）职卫生保健人员数（人），每个机构至少 1 名。 Qualified health staff (≥ 1 per institution)."
    ),
}
TEMPLATE_EXAMPLE = {
    "town": "旧宫镇",
    "date": dt.date(2024, 6, 30),
    "total_slots": 320,
    "inclusive_slots": 96,
    "institutions_kindergarten": 3,
    "institutions_community": 1,
    "institutions_employer": 1,
    "institutions_social": 4,
    "institutions_centre": 0,
    "caregivers": 64,
    "certified_caregivers": 50,
    "directors_trained": 8,
    "caregivers_trained": 55,
    "health_staff": 9,
}


def write_templates(folder: Path) -> list[Path]:
    """Write ``progress_template.xlsx`` and ``progress_template.csv`` (UTF-8 with BOM) into ``folder``.

    The xlsx has the annex's two-row header, one example row (旧宫镇, to be overwritten), the
    notes under the table and a 填报说明 sheet explaining every column.

    Returns
    -------
    list of Path
        The two files written.

    """
    folder = Path(folder)
    notes = [
        (f"{HEADER_ZH[f][0]} › {HEADER_ZH[f][1]}" if HEADER_ZH[f][0] else HEADER_ZH[f][1], TEMPLATE_NOTES[f])
        for f in HEADER_ZH
    ]
    notes.append(
        (
            "合计行 / 注",
            "表下可保留“合计”行和“注：”说明，读取时合计行用于核对，不计入属地。"
            " A 合计 row and notes under the table are allowed; the total is checked, not counted.",
        )
    )
    xlsx = write_return_xlsx(
        folder / "progress_template.xlsx",
        [TEMPLATE_EXAMPLE],
        title="大兴区托育服务进展统计表（示例行请替换为本属地数据）",
        notes=["注：示例行为虚构数据，请替换。每个属地一行；没有的项目填 0。"],
        notes_sheet=notes,
    )
    return [xlsx, write_return_csv(folder / "progress_template.csv", [TEMPLATE_EXAMPLE])]
