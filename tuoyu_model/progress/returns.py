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
import io
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from tuoyu_model.data import load_targets
from tuoyu_model.errors import DataError
from tuoyu_model.parameters import default_parameters
from tuoyu_model.paths import display
from tuoyu_model.progress.cells import (
    ALIAS_INDEX,
    COUNT_COLUMNS,
    INSTITUTION_COLUMNS,
    PROGRESS_COLUMNS,
    REQUIRED_FIELDS,
    cell_text,
    location,
    match_unit,
    norm_header,
    parse_count,
    parse_date,
    unit_lookup,
)
from tuoyu_model.progress.vocabulary import HEADER_ZH, NOTE_PREFIXES, TOTAL_ROW_WORDS
from tuoyu_model.workbook_reader import MergedRange, cell_name, read_workbook

_HEADER_SCAN_ROWS = 15


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


def _find_header(rows: list[list[object]]) -> int | None:
    for i, row in enumerate(rows[:_HEADER_SCAN_ROWS]):
        if any(ALIAS_INDEX.get(norm_header(v)) == "town" for v in row if v is not None):
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
        t, s = norm_header(top[j]), norm_header(sub[j])
        group = t or group if s else t  # a merged group header carries over to the right
        candidates = [group + s, s] if s else [t]  # a group header alone never names a column
        for key in candidates:
            f = ALIAS_INDEX.get(key)
            if f and f not in fields:
                fields[f] = j
                break
    return fields


def parse_grid(
    rows: list[list[object]],
    file: str,
    sheet: str,
    lookup: dict[str, tuple[str, str]],
    as_of: dt.date | None = None,
    merged: Sequence[MergedRange] = (),
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
    merged : sequence of MergedRange, optional
        The sheet's merged ranges (xlsx): a count cell of a unit or 合计 row inside one is
        refused, since merging copies one number into every column it spans.

    Returns
    -------
    list of dict
        Keys: the fields of :data:`PROGRESS_COLUMNS`.

    Raises
    ------
    DataError
        An empty sheet, a missing column, a bad cell, a merged count cell, an unknown unit, or
        a 合计 row that does not equal the sum of the rows above it.

    """
    if not any(cell_text(v) for r in rows for v in r):
        raise DataError(
            f"{location(file, sheet)}: the sheet is empty; expected a header row "
            "(镇街, 统计日期, 托位总数 …) and one row per unit — "
            "fill in data/templates/progress_template.xlsx"
        )
    h = _find_header(rows)
    if h is None:
        raise DataError(
            f"{location(file, sheet)}: no header row with a unit column (镇街 or 属地) in the first "
            f"{_HEADER_SCAN_ROWS} rows; use the headers of data/templates/progress_template.xlsx"
        )
    town_col = next(j for j, v in enumerate(rows[h]) if ALIAS_INDEX.get(norm_header(v)) == "town")
    first = h + 1
    sub = None
    if first < len(rows):
        nxt = rows[first]
        if cell_text(nxt[town_col] if town_col < len(nxt) else None) in ("", cell_text(rows[h][town_col])) and any(
            cell_text(v) for v in nxt
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
            f"{location(file, sheet, h + 1)}: missing column '{shown}' ({f}){extra}; "
            f"found: {', '.join(found)}; use the headers of data/templates/progress_template.xlsx"
        )

    def cell(row: list[object], j: int) -> object:
        return row[j] if j < len(row) else None

    records: list[dict] = []
    total_row: tuple[int, list[object]] | None = None
    for i in range(first, len(rows)):
        row = rows[i]
        texts = [cell_text(v) for v in row]
        if not any(texts):
            break  # the table ends at the first blank row; notes may follow
        lead = next(t for t in texts if t)
        if lead.startswith(NOTE_PREFIXES):
            break
        _refuse_merged_counts(merged, i + 1, fields, file, sheet)
        unit = cell_text(cell(row, town_col))
        if unit in TOTAL_ROW_WORDS or any(t in TOTAL_ROW_WORDS for t in texts[: town_col + 1]):
            total_row = (i, row)
            continue
        r = i + 1
        head = HEADER_ZH["town"][1]
        town_id, town = match_unit(cell(row, town_col), lookup, location(file, sheet, r, town_col, head))
        rec: dict = {"town_id": town_id, "town": town}
        if "date" in fields:
            j = fields["date"]
            rec["date"] = parse_date(cell(row, j), location(file, sheet, r, j, HEADER_ZH["date"][1]))
        else:
            rec["date"] = as_of
        for f in COUNT_COLUMNS:
            j = fields[f]
            rec[f] = parse_count(cell(row, j), location(file, sheet, r, j, HEADER_ZH[f][1]))
        _check_parts(rec, file, sheet, r, fields)
        rec.update(source_file=file, source_sheet=sheet, source_row=r)
        records.append(rec)
    if not records:
        where = f"{file}，工作表“{sheet}”" if sheet else file
        raise DataError(
            f"{where}：表头下（第 {first + 1} 行起）没有属地数据行，还没有填报数字（空白模板就是这样）；"
            "请每个属地填一行（镇街、统计日期和各项数量）后再运行"
        )
    if total_row is not None:
        _check_total_row(total_row, records, fields, file, sheet)
    return records


def _refuse_merged_counts(merged: Sequence[MergedRange], r: int, fields: dict[str, int], file: str, sheet: str) -> None:
    """Refuse a count cell of spreadsheet row ``r`` that lies in a merged range (one number copied over many)."""
    for f in COUNT_COLUMNS:
        m = next((m for m in merged if m.covers(r, fields[f] + 1)), None)
        if m is not None:
            where = f"{file}，工作表“{sheet}”" if sheet else file
            raise DataError(
                f"{where}：第 {r} 行“{HEADER_ZH[f][1]}”所在的 {m.ref} 是合并单元格，合并会把一个数字"
                f"复制到 {cell_name(m.min_row, m.min_col)} 起的每一格；请取消合并（开始 → 合并后居中），"
                "在每一格分别填写数字后再试"
            )


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
                f"{location(file, sheet, r, fields[part], HEADER_ZH[part][1])} = {rec[part]} is more than "
                f"{whole_zh} ({value}) in the same row; it is part of it — check the two cells"
            )


def _check_total_row(
    total_row: tuple[int, list[object]], records: list[dict], fields: dict[str, int], file: str, sheet: str
) -> None:
    i, row = total_row
    for f in COUNT_COLUMNS:
        j = fields[f]
        v = row[j] if j < len(row) else None
        if cell_text(v) == "":
            continue  # a 合计 row may leave columns blank
        where = location(file, sheet, i + 1, j, HEADER_ZH[f][1])
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
        if not sheets:
            raise DataError(f"{file}：工作簿里没有工作表；请使用 data/templates/progress_template.xlsx 填报")
        usable = [sheet for sheet in sheets if _is_data_sheet(sheet[1])]
        if not usable:
            # Point at the first sheet: either it is empty or it has no header.
            name, rows, merged = sheets[0]
            return parse_grid(rows, file, name, lookup, as_of, merged)
        return [rec for name, rows, merged in usable for rec in parse_grid(rows, file, name, lookup, as_of, merged)]
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
    paths: Sequence[Path | str] | Path | str,
    as_of: object = None,
    targets: pd.DataFrame | None = None,
    params: Mapping | None = None,
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
    params : mapping, optional
        Parameters whose ``plan_years`` bound the report dates (default: the shipped ones); a
        row dated outside the plan's period is refused, naming the file, row and date.

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
        A broken file (see :func:`parse_grid`), a row dated outside the plan's period, or a
        unit and date reported twice with different numbers (naming both files and rows).

    Examples
    --------
    >>> from tuoyu_model.paths import PROJECT_ROOT
    >>> df = read_progress(PROJECT_ROOT / "tests/fixtures/progress/good/split/旧宫镇.xlsx")
    >>> df[["town", "total_slots", "inclusive_slots"]].to_dict("records")
    [{'town': '旧宫镇', 'total_slots': 320, 'inclusive_slots': 96}]

    """
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
    _refuse_dates_outside_plan(records, default_parameters() if params is None else params)
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


def _refuse_dates_outside_plan(records: list[dict], params: Mapping) -> None:
    """Refuse a report dated outside ``plan_years`` (1 January of the first to 31 December of the last)."""
    first, last = int(params["plan_years"]["first"]), int(params["plan_years"]["last"])
    for rec in records:
        if not first <= rec["date"].year <= last:
            where = rec["source_file"] + (f"，工作表“{rec['source_sheet']}”" if rec["source_sheet"] else "")
            raise DataError(
                f"{where}：第 {rec['source_row']} 行（{rec['town']}）的统计日期 {rec['date'].isoformat()} "
                f"不在规划期 {first}—{last} 年内（{first}-01-01 至 {last}-12-31，参数 plan_years）；"
                "请改正该行的统计日期（如 2024-06-30），或换用对应年份的报表"
            )


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
            a = location(first.source_file, first.source_sheet, first.source_row)
            b = location(row.source_file, row.source_sheet, row.source_row)
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


def annex_units(targets: pd.DataFrame) -> pd.DataFrame:
    """Return the annex's units (``seq, town_id, town``) in the annex's order."""
    return targets.drop_duplicates("town_id").sort_values("seq")[["seq", "town_id", "town"]].reset_index(drop=True)


def latest_reports(progress: pd.DataFrame, targets: pd.DataFrame) -> pd.DataFrame:
    """Every annex unit with its latest report (blank figures and ``reported = False`` if none).

    Returns
    -------
    pandas.DataFrame
        ``seq, town_id, town, reported`` and the columns of the progress table, in the annex's order.

    Examples
    --------
    >>> from tuoyu_model.data import load_targets
    >>> p = pd.DataFrame({"town_id": ["jiugong"], "date": [pd.Timestamp("2024-06-30")], "total_slots": [300]})
    >>> latest_reports(p, load_targets()).set_index("town_id").loc[["jiugong", "anding"], "total_slots"].tolist()
    [300.0, nan]

    """
    last = progress.sort_values("date").drop_duplicates("town_id", keep="last").drop(columns=["town"], errors="ignore")
    out = annex_units(targets).merge(last, on="town_id", how="left")
    out.insert(3, "reported", out.town_id.isin(set(progress.town_id)))
    return out
