"""Write returns in the annex's layout: the template in ``data/templates/`` and the test fixtures.

Both are written by the same functions, so what people are given to fill in is exactly what
:func:`tuoyu_model.progress.returns.read_progress` accepts.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from tuoyu_model.parameters import default_parameters
from tuoyu_model.progress.cells import COUNT_COLUMNS, column_letter
from tuoyu_model.progress.vocabulary import (
    HEADER_ZH,
    TEMPLATE_EXAMPLE_LABEL,
    TEMPLATE_TABLE_NOTE,
    TEMPLATE_TITLE,
    TEMPLATE_TOTAL_ROW_NOTE,
    template_notes,
)


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
    import openpyxl  # imported here: only writing a workbook needs it
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


def write_templates(folder: Path, params: Mapping | None = None) -> list[Path]:
    """Write ``progress_template.xlsx`` and ``progress_template.csv`` (UTF-8 with BOM) into ``folder``.

    The xlsx has the annex's two-row header and no data rows, the notes under the table, and a
    填报说明 sheet explaining every column (with the workforce goals of ``params``, default the
    shipped parameters) and showing a made-up example row as text, outside the data area, so
    that a return which keeps it reads nothing fictional. The csv is the header alone.

    Returns
    -------
    list of Path
        The two files written.

    """
    folder = Path(folder)
    explained = template_notes(default_parameters() if params is None else params)
    notes = [
        (f"{HEADER_ZH[f][0]} › {HEADER_ZH[f][1]}" if HEADER_ZH[f][0] else HEADER_ZH[f][1], explained[f])
        for f in HEADER_ZH
    ]
    notes.append(TEMPLATE_TOTAL_ROW_NOTE)
    notes.append((TEMPLATE_EXAMPLE_LABEL, example_text(TEMPLATE_EXAMPLE)))
    xlsx = write_return_xlsx(
        folder / "progress_template.xlsx",
        [],
        title=TEMPLATE_TITLE,
        notes=[TEMPLATE_TABLE_NOTE],
        notes_sheet=notes,
    )
    return [xlsx, write_return_csv(folder / "progress_template.csv", [])]


def example_text(record: Mapping) -> str:
    """Return a record as one line of ``header value`` pairs (the template's example, never read as data).

    Examples
    --------
    >>> example_text({"town": "旧宫镇", "date": dt.date(2024, 6, 30), "total_slots": 320})[:32]
    '镇街 旧宫镇；统计日期 2024-06-30；托位总数 320'

    """
    shown = (v.isoformat() if isinstance(v, dt.date) else v for v in record.values())
    return "；".join(f"{HEADER_ZH[f][1]} {v}" for f, v in zip(record, shown, strict=True) if f in HEADER_ZH)
