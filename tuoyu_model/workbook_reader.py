"""Read an xlsx workbook that came from outside, safely: bounded in time and memory, one clear line when not.

The one xlsx reader of the package (the data-import workbooks and the progress returns read
through it). A workbook is a zip of XML files, and a file named ``.xlsx`` may be anything: a
CSV renamed, a truncated download, an empty file, a password-protected workbook (an OLE2/CFB
container, as Excel and WPS encrypt), a zip with encrypted entries, a zip bomb, or a real
workbook with one stray cell at ``XFD1048576`` that makes a naive reader allocate the whole
grid (17 billion cells). :func:`read_workbook` refuses the first kinds with one Chinese line
naming the file and the fix, and for the last reads only the cells that hold a value:

1. the container is checked before anything is parsed: size on disk, zip structure, no
   encrypted entries, the declared uncompressed size (which bounds what decompression can
   produce: Python's ``zipfile`` stops at it), an ``xl/workbook.xml``;
2. each sheet's XML is streamed once to find the last row and column that hold a value and
   the merged ranges; a value past :data:`MAX_ROWS` × :data:`MAX_COLUMNS` is refused, naming
   the cell;
3. openpyxl (read-only mode) then reads exactly that extent.

XML is parsed through ``defusedxml`` (no entity expansion, no external entities), as openpyxl
itself does when it is installed.
"""

from __future__ import annotations

import re
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse

from tuoyu_model.errors import DataError
from tuoyu_model.paths import display

# Limits, each far above any real return or data workbook (22 units, a few quarters, ~40
# columns, a few hundred kB) and far below what would exhaust a desktop PC.
MAX_FILE_BYTES = 20 * 2**20  # 20 MB on disk: a filled template is ~20 kB; WPS with pictures a few MB
MAX_UNCOMPRESSED_BYTES = 50 * 2**20  # 50 MB declared inside the zip: the zip-bomb bound
MAX_ENTRIES = 2_000  # files inside the zip (a workbook has ~10 plus one per sheet)
MAX_SHEETS = 100
MAX_ROWS = 5_000  # rows that hold a value: 22 units × 40 quarters is 880
MAX_COLUMNS = 100  # columns that hold a value: the towns template has 38, a return 14
MAX_MERGED = 5_000  # merged ranges per sheet
# Excel's own grid; a cell reference beyond it is a corrupt or crafted file.
_EXCEL_ROWS, _EXCEL_COLUMNS = 1_048_576, 16_384

_CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # OLE2: encrypted xlsx, or an old .xls
_ZIP_MAGIC = b"PK\x03\x04"
_FIX = "请在 Excel 或 WPS 中打开它，“另存为” Excel 工作簿（*.xlsx）后再试"
_CELL_REF = re.compile(r"^\$?([A-Z]{1,3})\$?(\d{1,7})$")


@dataclass(frozen=True)
class MergedRange:
    """A merged cell range; rows and columns are 1-based and inclusive, as a spreadsheet numbers them."""

    ref: str
    min_row: int
    min_col: int
    max_row: int
    max_col: int

    def covers(self, row: int, col: int) -> bool:
        """Whether the cell at 1-based ``(row, col)`` lies inside this range."""
        return self.min_row <= row <= self.max_row and self.min_col <= col <= self.max_col


@dataclass(frozen=True)
class SheetData:
    """One worksheet's values.

    Attributes
    ----------
    name : str
        The sheet's name as the workbook spells it.
    rows : list of list
        ``rows[r - 1][c - 1]`` is the value of the cell at 1-based row ``r``, column ``c``:
        ``None``, ``str``, ``int``, ``float``, ``bool`` or ``datetime.datetime`` (cached values
        of formulas). Every row has the same length; trailing rows and columns with no value
        are not included.
    merged : tuple of MergedRange
        Every merged range of the sheet, also those reaching past ``rows``.
    """

    name: str
    rows: list[list[object]]
    merged: tuple[MergedRange, ...]

    @property
    def n_rows(self) -> int:
        """Rows read (the last row that holds a value)."""
        return len(self.rows)

    @property
    def n_cols(self) -> int:
        """Columns read (the last column that holds a value)."""
        return len(self.rows[0]) if self.rows else 0

    def merged_at(self, row: int, col: int) -> MergedRange | None:
        """Return the merged range covering 1-based ``(row, col)``, or ``None``."""
        return next((m for m in self.merged if m.covers(row, col)), None)


def column_number(letters: str) -> int:
    """1-based column number of spreadsheet column letters.

    Examples
    --------
    >>> column_number("A"), column_number("AB"), column_number("XFD")
    (1, 28, 16384)

    """
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def cell_name(row: int, col: int) -> str:
    """Spreadsheet name of the cell at 1-based ``(row, col)``.

    Examples
    --------
    >>> cell_name(1, 1), cell_name(1048576, 16384)
    ('A1', 'XFD1048576')

    """
    letters = ""
    n = col
    while n:
        n, r = divmod(n - 1, 26)
        letters = chr(65 + r) + letters
    return f"{letters}{row}"


def read_workbook(
    path: Path | str,
    *,
    max_rows: int = MAX_ROWS,
    max_columns: int = MAX_COLUMNS,
    fill_merged: bool = False,
) -> list[SheetData]:
    """Read every worksheet of an xlsx file as plain rows of values, refusing anything unsafe.

    Parameters
    ----------
    path : Path or str
        The workbook (its extension is not checked: a caller decides which names it accepts).
    max_rows, max_columns : int, default :data:`MAX_ROWS`, :data:`MAX_COLUMNS`
        A sheet with a value past these is refused, naming the cell.
    fill_merged : bool, default False
        Give every cell of a merged range its top-left cell's value (within the rows read), so
        a merged group header reads as if typed over every column. Callers that must refuse
        merged data cells use :attr:`SheetData.merged` either way.

    Returns
    -------
    list of SheetData
        The worksheets in workbook order (chart sheets are skipped).

    Raises
    ------
    DataError
        One Chinese line naming the file and the fix: missing, empty, too large, not a zip
        (a CSV or text file renamed), truncated, password-protected or an old .xls (OLE2/CFB),
        encrypted zip entries, a zip bomb, no ``xl/workbook.xml``, corrupt XML, too many
        sheets or merged ranges, or a value past the row/column cap.

    Examples
    --------
    >>> import tempfile, openpyxl
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     wb = openpyxl.Workbook()
    ...     wb.active.title = "表1"
    ...     wb.active["B2"] = 7
    ...     wb.active.merge_cells("A4:B4")
    ...     wb.save(f"{folder}/t.xlsx")
    ...     sheet = read_workbook(f"{folder}/t.xlsx")[0]
    >>> sheet.name, sheet.rows, [m.ref for m in sheet.merged]
    ('表1', [[None, None], [None, 7]], ['A4:B4'])

    """
    path = Path(path)
    where = display(path)
    with _open_zip(path, where) as archive:
        parts = _sheet_parts(archive, where)
        extents = [_scan_sheet(archive, part, name, where, max_rows, max_columns) for name, part in parts]
    import openpyxl  # imported here: heavy, and only workbook reading needs it

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds on a corrupt part; all mean one thing here
        raise DataError(f"{where}：工作簿已损坏，无法读取（{type(exc).__name__}）；{_FIX}") from None
    try:
        sheets = []
        for (name, _), (n_rows, n_cols, merged) in zip(parts, extents, strict=True):
            rows = _read_values(wb, name, n_rows, n_cols, where)
            if fill_merged:
                _fill(rows, merged, where, name)
            sheets.append(SheetData(name, rows, merged))
        return sheets
    finally:
        wb.close()


def _open_zip(path: Path, where: str) -> zipfile.ZipFile:
    """Open ``path`` as a zip after checking it is one, of a sane size, with no encrypted entries."""
    if not path.is_file():
        hint = "它是一个文件夹，请给出其中的 .xlsx 文件" if path.is_dir() else "请检查文件名和所在文件夹"
        raise DataError(f"{where}：找不到这个文件；{hint}")
    try:
        size = path.stat().st_size
        with path.open("rb") as f:
            head = f.read(512)
    except OSError as exc:
        raise DataError(f"{where}：无法读取（{exc.strerror}）；请先在 Excel/WPS 中关闭它，或检查文件权限") from None
    if size == 0:
        raise DataError(f"{where}：是空文件（0 字节），不是工作簿；请重新保存或重新发送该文件")
    if size > MAX_FILE_BYTES:
        raise DataError(
            f"{where}：文件有 {size / 2**20:.0f} MB，超过本工具读取的上限 {MAX_FILE_BYTES // 2**20} MB"
            "（一份填好的表只有几十 KB）；请删去图片和无关的工作表后另存再试"
        )
    if head.startswith(_CFB_MAGIC):
        raise DataError(
            f"{where}：是加密（设了打开密码）的工作簿或旧版 .xls 文件，无法读取；请在 Excel/WPS 中打开，"
            "取消密码（文件 → 信息/文档加密 → 删除密码），再“另存为” Excel 工作簿（*.xlsx）后再试"
        )
    if not head.startswith(_ZIP_MAGIC):
        kind = "文本或 CSV 文件改成了 .xlsx 扩展名" if _looks_like_text(head) else "其他格式的文件"
        raise DataError(f"{where}：不是 xlsx 工作簿（看起来是{kind}）；{_FIX}")
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError):
        raise DataError(
            f"{where}：文件不完整（可能在下载或拷贝时被截断），无法作为工作簿打开；请重新保存或重新发送该文件"
        ) from None
    try:
        infos = archive.infolist()
        if len(infos) > MAX_ENTRIES:
            raise DataError(f"{where}：压缩包内有 {len(infos)} 个文件，不像工作簿（上限 {MAX_ENTRIES}）；{_FIX}")
        if any(i.flag_bits & 0x1 for i in infos):
            raise DataError(f"{where}：压缩包内的文件已加密，无法读取；请取消加密，{_FIX}")
        declared = sum(i.file_size for i in infos)
        if declared > MAX_UNCOMPRESSED_BYTES:
            raise DataError(
                f"{where}：解压后有 {declared / 2**20:,.0f} MB，超过上限 {MAX_UNCOMPRESSED_BYTES // 2**20} MB"
                "（压缩炸弹或夹带了大文件，正常的表解压后不到 1 MB）；请只保留需要的工作表，另存再试"
            )
        names = {i.filename for i in infos}
        if "xl/workbook.xml" not in names:
            what = "二进制工作簿（.xlsb）" if "xl/workbook.bin" in names else "zip 压缩包或其他 Office 文件"
            raise DataError(f"{where}：不是 xlsx 工作簿（是{what}，缺少 xl/workbook.xml）；{_FIX}")
    except BaseException:
        archive.close()
        raise
    return archive


def _looks_like_text(head: bytes) -> bool:
    """Whether the first bytes decode as UTF-8 or GB18030 text without control characters."""
    for encoding in ("utf-8", "gb18030"):
        try:
            text = head.decode(encoding)
        except UnicodeDecodeError:
            # The 512-byte cut may split a character: drop up to three trailing bytes and retry.
            try:
                text = head[:-3].decode(encoding)
            except UnicodeDecodeError:
                continue
        return all(ch.isprintable() or ch in "\r\n\t\ufeff" for ch in text)
    return False


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _events(archive: zipfile.ZipFile, member: str, where: str, events: tuple[str, ...]) -> Iterator:
    """Stream ``member``'s XML elements, turning every parse failure into one line."""
    try:
        with archive.open(member) as source:
            yield from iterparse(source, events=events, forbid_dtd=True)
    except DefusedXmlException:
        raise DataError(f"{where}：{member} 含有 DTD/实体声明，正常的工作簿没有；{_FIX}") from None
    except (ParseError, zipfile.BadZipFile, zlib.error, EOFError, OSError, KeyError):
        raise DataError(f"{where}：工作簿已损坏（{member} 无法解析，可能被截断）；{_FIX}") from None


def _sheet_parts(archive: zipfile.ZipFile, where: str) -> list[tuple[str, str]]:
    """``(sheet name, zip member)`` of every worksheet, in workbook order, from workbook.xml and its rels."""
    targets = {}
    rels = "xl/_rels/workbook.xml.rels"
    if rels in archive.NameToInfo:
        for _, el in _events(archive, rels, where, ("end",)):
            if _local(el.tag) == "Relationship" and el.get("Type", "").endswith("/worksheet"):
                target = el.get("Target", "")
                path = target.lstrip("/") if target.startswith("/") else str(PurePosixPath("xl") / target)
                targets[el.get("Id")] = path
    parts = []
    for _, el in _events(archive, "xl/workbook.xml", where, ("end",)):
        if _local(el.tag) != "sheet":
            continue
        rid = next((v for k, v in el.attrib.items() if _local(k) == "id"), None)
        if rid in targets:  # chart sheets and dialog sheets have other relationship types
            parts.append((el.get("name", ""), targets[rid]))
        if len(parts) > MAX_SHEETS:
            raise DataError(f"{where}：有超过 {MAX_SHEETS} 个工作表，不像一份报表；请只保留需要的工作表，另存再试")
    missing = [p for _, p in parts if p not in archive.NameToInfo]
    if missing:
        raise DataError(f"{where}：工作簿已损坏（缺少 {missing[0]}）；{_FIX}")
    return parts


def _scan_sheet(
    archive: zipfile.ZipFile, member: str, name: str, where: str, max_rows: int, max_columns: int
) -> tuple[int, int, tuple[MergedRange, ...]]:
    """Stream one sheet's XML: the last row and column holding a value, and the merged ranges."""
    last_row = last_col = 0
    row = col = 0
    merged: list[MergedRange] = []
    for event, el in _events(archive, member, where, ("start", "end")):
        tag = _local(el.tag)
        if event == "start":
            if tag == "row":
                row = _index(el.get("r"), row + 1, _EXCEL_ROWS, where, name)
                col = 0
            elif tag == "c":
                ref = el.get("r")
                m = _CELL_REF.match(ref) if ref else None
                if ref and not m:
                    raise DataError(f"{where}：工作表“{name}”有无效的单元格地址 '{ref[:20]}'，文件已损坏；{_FIX}")
                col = column_number(m[1]) if m else col + 1
                if m:
                    row = _index(m[2], row, _EXCEL_ROWS, where, name)
                if col > _EXCEL_COLUMNS:
                    raise DataError(f"{where}：工作表“{name}”有超出 Excel 范围的单元格，文件已损坏；{_FIX}")
            continue
        if tag == "c":
            if any(_local(child.tag) in ("v", "is") for child in el):
                if row > max_rows or col > max_columns:
                    raise DataError(
                        f"{where}：工作表“{name}”的单元格 {cell_name(row, col)} 有内容，超出本工具读取的范围"
                        f"（最多 {max_rows:,} 行 × {max_columns} 列）；多半是误输入：在 Excel/WPS 中按 Ctrl+End "
                        "找到它，删除该单元格所在的行或列后保存再试"
                    )
                last_row, last_col = max(last_row, row), max(last_col, col)
            el.clear()
        elif tag == "row":
            el.clear()
        elif tag == "mergeCell":
            merged.append(_merged(el.get("ref", ""), where, name))
            if len(merged) > MAX_MERGED:
                raise DataError(f"{where}：工作表“{name}”有超过 {MAX_MERGED:,} 个合并单元格；请取消合并后另存再试")
    return last_row, last_col, tuple(merged)


def _index(text: str | None, default: int, limit: int, where: str, sheet: str) -> int:
    if text is None:
        return default
    if not text.isdigit() or not 1 <= int(text) <= limit:
        raise DataError(f"{where}：工作表“{sheet}”有无效的行号 '{text[:20]}'，文件已损坏；{_FIX}")
    return int(text)


def _merged(ref: str, where: str, sheet: str) -> MergedRange:
    first, _, last = ref.partition(":")
    a, b = _CELL_REF.match(first), _CELL_REF.match(last or first)
    if not a or not b:
        raise DataError(f"{where}：工作表“{sheet}”有无效的合并区域 '{ref[:30]}'，文件已损坏；{_FIX}")
    r1, c1, r2, c2 = int(a[2]), column_number(a[1]), int(b[2]), column_number(b[1])
    return MergedRange(ref, min(r1, r2), min(c1, c2), max(r1, r2), max(c1, c2))


def _read_values(wb, name: str, n_rows: int, n_cols: int, where: str) -> list[list[object]]:
    """Read exactly ``n_rows`` × ``n_cols`` values of sheet ``name`` (read-only openpyxl)."""
    if n_rows == 0 or n_cols == 0:
        return []
    try:
        rows = [
            list(r) for r in wb[name].iter_rows(min_row=1, max_row=n_rows, min_col=1, max_col=n_cols, values_only=True)
        ]
    except Exception as exc:  # a corrupt shared-string index, a bad number, a truncated part
        raise DataError(f"{where}：工作表“{name}”已损坏，无法读取（{type(exc).__name__}）；{_FIX}") from None
    # openpyxl stops at the last row present in the file; pad to the scanned extent.
    rows += [[None] * n_cols for _ in range(n_rows - len(rows))]
    return rows


def _fill(rows: list[list[object]], merged: tuple[MergedRange, ...], where: str, name: str) -> None:
    """Copy each merged range's top-left value over the range, within the rows read."""
    n_rows, n_cols = len(rows), len(rows[0]) if rows else 0
    clipped = [m for m in merged if m.min_row <= n_rows and m.min_col <= n_cols]
    # Overlapping ranges (invalid in Excel, possible in a crafted file) must not multiply the work.
    area = sum((min(m.max_row, n_rows) - m.min_row + 1) * (min(m.max_col, n_cols) - m.min_col + 1) for m in clipped)
    if area > n_rows * n_cols:
        raise DataError(f"{where}：工作表“{name}”的合并单元格互相重叠，文件已损坏；请取消合并后另存再试")
    for m in clipped:
        top = rows[m.min_row - 1][m.min_col - 1]
        for r in range(m.min_row, min(m.max_row, n_rows) + 1):
            for c in range(m.min_col, min(m.max_col, n_cols) + 1):
                rows[r - 1][c - 1] = top
