"""A workbook to replace the assumptions of ``data/towns.csv`` with official figures, and its import.

``tuoyu data template`` writes :data:`SHEET_NAME`: one row per unit, for each figure its value
today, status and source (grey, for reference) and two yellow cells, 新值 and 新值来源, for
the street or the health commission to fill; a 填表说明 sheet explains it. ``tuoyu data import``
reads one or several filled copies (through :func:`tuoyu_model.workbook_reader.read_workbook`),
refuses anything doubtful with one line naming the file, sheet, cell and fix, and only then
rewrites ``towns.csv``: only the changed cells, atomically, after a dated backup of the old
file in ``data/backups/``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import os
import re
import unicodedata
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from tuoyu_model.data import STOCK_INCLUSIVE, STOCK_TOTAL, STOCK_YEAR, TOWN_FIGURES, load_targets, load_towns
from tuoyu_model.data_status import STATUS_ZH, figure_status
from tuoyu_model.errors import DataError
from tuoyu_model.paths import data_dir, display, outputs_dir
from tuoyu_model.workbook_reader import cell_name, read_workbook

SHEET_NAME = "各属地数据"
NOTES_SHEET = "填表说明"
FIGURE_LABEL_ZH = {
    "population": "常住人口（人）",
    STOCK_TOTAL: f"{STOCK_YEAR}年末托位数（个）",
    STOCK_INCLUSIVE: f"{STOCK_YEAR}年末普惠托位数（个）",
    "kindergartens": "幼儿园数（所）",
    "spare_kindergarten_rooms": "可开设托班的幼儿园空余教室（间）",
    "idle_premises": "可用于社区托育点的闲置国有场所（处）",
    "employers": "可举办职工托育点的用人单位或园区（家）",
}
UNIT_COLUMNS = ("序号", "属地名称", "属地代码")
PART_LABELS = {"value": "现值", "status": "状态", "source": "现值来源", "new": "新值", "new_source": "新值来源"}
HEADER_ROWS = 2
# The package's mark, a custom document property: a file without it is never overwritten.
MARK_NAME, MARK_VALUE = "tuoyu_model", "towns_template"
MAX_SOURCE_CHARS = 300
_MAX_COUNT = 10**12  # as data.read_csv_strict: beyond this a count is a typing error
_UNIT_SUFFIXES = ("街道", "地区", "镇", "乡")
_FIXED_TIME = dt.datetime(2024, 1, 1)


def default_template_path() -> Path:
    """Return where ``tuoyu data template`` writes without a FILE: ``outputs/templates/towns_template.xlsx``."""
    return outputs_dir() / "templates" / "towns_template.xlsx"


def _norm(value: object) -> str:
    """NFKC text without whitespace (full-width brackets and digits as typed in WPS match)."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", "" if value is None else str(value)))


def _strip_suffix(name: str) -> str:
    return next((name[: -len(s)] for s in _UNIT_SUFFIXES if name.endswith(s) and len(name) > len(s)), name)


# --- the template ----------------------------------------------------------------------------


def _columns() -> list[tuple[str, str, str]]:
    """``(group header, sub-header, key)`` for every column; key ``unit`` columns or ``figure:part``."""
    cols = [("属地", label, "unit") for label in UNIT_COLUMNS]
    for f in TOWN_FIGURES:
        cols += [(FIGURE_LABEL_ZH[f], label, f"{f}:{part}") for part, label in PART_LABELS.items()]
    return cols


NOTES = [
    (
        "用途",
        "本表用于把 data/towns.csv 中的假设值、代理值替换为官方数据。模型用到的每个属地数字都在这里，"
        "连同它现在的取值、性质和来源。",
    ),
    ("填写哪里", "只填黄色的“新值”和“新值来源”两列；灰色列（现值、状态、现值来源）只供参考，改了也不会导入。"),
    ("新值", "填整数（人、个、所、间、处、家），不要带单位或文字；没有的填 0。不改的数字留空。"),
    (
        "新值来源",
        "每个新值都必须写来源：文件或统计表名称、发布单位、年份，如“大兴区卫健委 2023 年托育机构统计年报”。"
        "没有来源的新值不会被导入。现值正确、只补来源时，把现值抄到“新值”列并写上来源。",
    ),
    (
        "状态",
        "有出处 = 有正式来源；推算 = 由有出处的数字算出；代理值 = 借用其他数字近似；假设 = 没有数据时的估计。"
        "导入后，写了来源的数字状态变为“有出处”；如确为估计，请在来源开头写“假设：”。",
    ),
    (
        "属地",
        "每个属地一行，按工作方案附件的名称（写“旧宫”“兴丰”等不带街道/镇的名称也可识别）。"
        "只填本属地的行即可，其他行可留空或删除；不要增加行、不要改表头和工作表名称、不要合并单元格。",
    ),
    (
        "交回与导入",
        "填好后保存为 .xlsx（Excel 或 WPS 均可）交回。导入命令：tuoyu data import 文件1.xlsx 文件2.xlsx …；"
        "导入前会逐项列出“现值 → 新值”，有任何错误则一项也不写入；写入前原 towns.csv 备份到 data/backups/。",
    ),
]


def write_template(path: Path | None = None, towns: pd.DataFrame | None = None) -> Path:
    """Write the towns workbook for official figures, atomically, never over a file the package did not write.

    Parameters
    ----------
    path : Path, optional
        Default :func:`default_template_path`.
    towns : DataFrame, optional
        As :func:`tuoyu_model.data.load_towns` returns it; loaded from ``data/`` when omitted.

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    DataError
        ``path`` exists and is not an unfilled template of this package (a user's file, or a
        template already filled in), or is not ``.xlsx``, or cannot be written.

    """
    import xlsxwriter  # imported here: only writing workbooks needs it

    path = Path(path) if path else default_template_path()
    towns = load_towns() if towns is None else towns
    if path.suffix.lower() != ".xlsx":
        raise DataError(f"{display(path)}：模板只能保存为 .xlsx；请换一个以 .xlsx 结尾的文件名")
    if path.exists() or path.is_symlink():
        _check_replaceable(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    wb = xlsxwriter.Workbook(
        str(tmp), {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}
    )
    wb.set_properties({"title": "大兴区各属地托育基础数据填报表", "author": "tuoyu-model", "created": _FIXED_TIME})
    wb.set_custom_property(MARK_NAME, MARK_VALUE)
    fmt = {
        "group": wb.add_format(
            {"bold": True, "align": "center", "valign": "vcenter", "border": 1, "bg_color": "#DDEBF7"}
        ),
        "head": wb.add_format({"bold": True, "text_wrap": True, "valign": "top", "border": 1, "bg_color": "#DDEBF7"}),
        "ref": wb.add_format({"bg_color": "#F2F2F2", "border": 1, "valign": "top"}),
        "ref_num": wb.add_format({"bg_color": "#F2F2F2", "border": 1, "num_format": "#,##0", "valign": "top"}),
        "ref_text": wb.add_format({"bg_color": "#F2F2F2", "border": 1, "text_wrap": True, "valign": "top"}),
        "new": wb.add_format({"bg_color": "#FFF2CC", "border": 1, "num_format": "#,##0", "valign": "top"}),
        "new_text": wb.add_format({"bg_color": "#FFF2CC", "border": 1, "text_wrap": True, "valign": "top"}),
        "wrap": wb.add_format({"text_wrap": True, "valign": "top"}),
        "bold": wb.add_format({"bold": True, "valign": "top"}),
    }
    ws = wb.add_worksheet(SHEET_NAME)
    cols = _columns()
    j = 0
    while j < len(cols):  # one merged group header over each run of columns with the same group
        k = j
        while k + 1 < len(cols) and cols[k + 1][0] == cols[j][0]:
            k += 1
        ws.merge_range(0, j, 0, k, cols[j][0], fmt["group"])
        j = k + 1
    for j, (_, sub, key) in enumerate(cols):
        ws.write_string(1, j, sub, fmt["head"])
        part = key.split(":")[-1]
        ws.set_column(j, j, {"unit": 10, "value": 10, "status": 7, "source": 28, "new": 11, "new_source": 28}[part])
    for i, (town_id, row) in enumerate(towns.iterrows()):
        r = HEADER_ROWS + i
        ws.write_number(r, 0, i + 1, fmt["ref"])
        ws.write_string(r, 1, row["town"], fmt["ref"])
        ws.write_string(r, 2, town_id, fmt["ref"])
        for f in TOWN_FIGURES:
            j = next(n for n, c in enumerate(cols) if c[2] == f"{f}:value")
            ws.write_number(r, j, int(row[f]), fmt["ref_num"])
            ws.write_string(r, j + 1, STATUS_ZH[figure_status(row[f"{f}_source"])], fmt["ref"])
            ws.write_string(r, j + 2, row[f"{f}_source"], fmt["ref_text"])
            ws.write_blank(r, j + 3, None, fmt["new"])
            ws.write_blank(r, j + 4, None, fmt["new_text"])
    last = HEADER_ROWS + len(towns) - 1
    for f in TOWN_FIGURES:
        j = next(n for n, c in enumerate(cols) if c[2] == f"{f}:new")
        ws.data_validation(
            HEADER_ROWS,
            j,
            last,
            j,
            {
                "validate": "integer",
                "criteria": ">=",
                "value": 0,
                "error_title": "请填整数",
                "error_message": "新值须为不小于 0 的整数，不带单位或文字。",
            },
        )
    ws.freeze_panes(HEADER_ROWS, len(UNIT_COLUMNS))
    ws.set_row(1, 30)
    notes = wb.add_worksheet(NOTES_SHEET)
    notes.set_column(0, 0, 14)
    notes.set_column(1, 1, 100)
    notes.write_string(0, 0, "大兴区各属地托育基础数据填报表 · 填表说明", fmt["bold"])
    for i, (head, text) in enumerate(NOTES, start=2):
        notes.write_string(i, 0, head, fmt["bold"])
        notes.write_string(i, 1, text, fmt["wrap"])
    try:
        wb.close()
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise DataError(f"{display(path)}：无法写入（{exc.strerror}）；请检查文件夹权限和磁盘空间") from None
    return path


def _check_replaceable(path: Path) -> None:
    """Refuse to overwrite anything but an unfilled template this package wrote."""
    where = display(path)
    if path.is_symlink() or not path.is_file():
        raise DataError(f"{where}：已存在且不是普通文件；请换一个文件名")
    try:
        with zipfile.ZipFile(path) as z:
            custom = z.read("docProps/custom.xml").decode("utf-8", "replace")
    except (zipfile.BadZipFile, KeyError, OSError):
        custom = ""
    if f'name="{MARK_NAME}"' not in custom or MARK_VALUE not in custom:
        raise DataError(f"{where}：已存在，且不是本工具生成的模板，不覆盖；请换一个文件名，或先把它移走")
    if _read_one(path, towns=None):
        raise DataError(f"{where}：是已填写了新值的模板，不覆盖；请先导入它（tuoyu data import），或换一个文件名")


# --- the import ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Given:
    """One figure a workbook gives: the unit, the figure, the new value and its source, and where."""

    town_id: str
    figure: str
    value: int
    source: str
    where: str


@dataclass(frozen=True)
class Change:
    """One figure that changes in ``towns.csv``."""

    town_id: str
    town: str
    figure: str
    old: int
    new: int
    old_source: str
    new_source: str
    where: str

    @property
    def old_status(self) -> str:
        """Status before the import."""
        return figure_status(self.old_source)

    @property
    def new_status(self) -> str:
        """Status after the import."""
        return figure_status(self.new_source)


def _lookup(towns: pd.DataFrame) -> dict[str, str]:
    out = {}
    for town_id, name in towns["town"].items():
        out[_norm(name)] = town_id
        out[_strip_suffix(_norm(name))] = town_id
    return out


def _read_one(path: Path, towns: pd.DataFrame | None, notes: list[str] | None = None) -> list[Given]:
    """Read one filled workbook; with ``towns=None`` only say whether anything is filled (names unchecked).

    ``notes`` collects a line for every 现值 cell that differs from ``towns.csv`` while its 新值
    is empty: a figure typed over the reference value would otherwise be dropped unseen (a
    template made before an earlier import differs too, harmlessly, so it is a note, not an error).
    """
    path = Path(path)
    file = display(path)
    if path.suffix.lower() not in (".xlsx", ".xlsm"):
        raise DataError(f"{file}：只能导入 .xlsx 工作簿；请在 Excel 或 WPS 中“另存为” Excel 工作簿（*.xlsx）")
    sheets = {s.name: s for s in read_workbook(path, fill_merged=True)}
    sheet = sheets.get(SHEET_NAME) or next((s for n, s in sheets.items() if _norm(n) == SHEET_NAME), None)
    if sheet is None:
        raise DataError(
            f"{file}：没有名为“{SHEET_NAME}”的工作表（现有：{'、'.join(sheets) or '无'}）；请勿改工作表名称，"
            "用 tuoyu data template 生成的模板填写"
        )
    at = f"{file}，工作表“{sheet.name}”"
    rows = sheet.rows
    if len(rows) < HEADER_ROWS:
        raise DataError(f"{at}：缺少两行表头；请用 tuoyu data template 生成的模板填写，不要删改表头")
    found: dict[tuple[str, str], int] = {}
    for j, (group, sub) in enumerate(zip(rows[0], rows[1], strict=True)):
        found.setdefault((_norm(group), _norm(sub)), j)
    index = {}
    for group, sub, key in _columns():
        j = found.get((_norm(group), _norm(sub)))
        if j is None and (sub == "属地名称" or key.split(":")[-1] in ("value", "new", "new_source")):
            raise DataError(f"{at}：缺少列“{group} › {sub}”；请用 tuoyu data template 生成的模板填写，不要删改表头")
        index[key if key != "unit" else sub] = j
    for m in sheet.merged:
        if m.max_row > HEADER_ROWS:
            raise DataError(f"{at}：单元格 {m.ref} 是合并单元格；数据区每格只能填一个数，请取消合并后分别填写")
    lookup = _lookup(towns) if towns is not None else {}
    given: list[Given] = []
    for r, row in enumerate(rows[HEADER_ROWS:], start=HEADER_ROWS + 1):
        if all(v is None or str(v).strip() == "" for v in row):
            continue
        name_col = index["属地名称"]
        name = row[name_col]
        # A unit twice (here or in another file) is refused in read_filled if its figures differ.
        town_id = None
        if towns is not None:
            town_id = _match(name, row, index, lookup, towns, f"{at}，第 {r} 行，单元格 {cell_name(r, name_col + 1)}")
        for f in TOWN_FIGURES:
            jn, js = index[f"{f}:new"], index[f"{f}:new_source"]
            new, src = row[jn], row[js]
            new_blank = new is None or str(new).strip() == ""
            src_text = " ".join(str(src).split()) if src is not None else ""
            where_new = f"{at}，第 {r} 行，单元格 {cell_name(r, jn + 1)}（{FIGURE_LABEL_ZH[f]} › 新值）"
            if new_blank and not src_text:
                jv = index[f"{f}:value"]
                if towns is not None and notes is not None and row[jv] != towns.at[town_id, f]:
                    notes.append(
                        f"注意：{at}，第 {r} 行，单元格 {cell_name(r, jv + 1)}（{FIGURE_LABEL_ZH[f]} › 现值）"
                        f"为“{row[jv]}”，与 data/towns.csv 的 {towns.at[town_id, f]:,} 不同，未导入；新数请填在“新值”列"
                    )
                continue
            if towns is None:
                return [Given("", f, 0, "", where_new)]
            if new_blank:
                raise DataError(
                    f"{where_new}：空着，但“新值来源”写了“{src_text[:30]}”；若现值正确，请把现值抄到“新值”列"
                )
            value = _whole_number(new, where_new)
            where_src = f"{at}，第 {r} 行，单元格 {cell_name(r, js + 1)}（{FIGURE_LABEL_ZH[f]} › 新值来源）"
            _check_source(src_text, value, where_src)
            given.append(Given(town_id, f, value, src_text, where_new))
    return given


def _match(name: object, row: list, index: dict, lookup: dict[str, str], towns: pd.DataFrame, where: str) -> str:
    key = _norm(name)
    if not key:
        raise DataError(f"{where}：属地名称为空，但这一行填了内容；请写属地名称（如 旧宫镇），或删除这一行")
    town_id = lookup.get(key) or lookup.get(_strip_suffix(key))
    if town_id is None:
        import difflib

        close = difflib.get_close_matches(key, list(towns["town"]), n=3, cutoff=0.3)
        hint = f"最接近的有：{'、'.join(close)}" if close else f"应为：{'、'.join(towns['town'])}"
        raise DataError(f"{where}：属地“{name}”不在工作方案附件中；{hint}（名称以 data/targets.csv 为准）")
    j = index.get("属地代码")
    code = _norm(row[j]) if j is not None else ""
    if code and code != town_id:
        raise DataError(f"{where}：属地“{name}”的属地代码是“{code}”，应为“{town_id}”；属地代码不要改动（或清空它）")
    return town_id


def _whole_number(value: object, where: str) -> int:
    """Return a whole number ≥ 0 from a cell, with the CSV loader's rules (grouping commas, full-width digits)."""
    if isinstance(value, bool) or isinstance(value, dt.date | dt.time | dt.timedelta):
        raise DataError(f"{where}：“{value}”不是数字（被识别成了日期或是否）；请填不小于 0 的整数")
    if isinstance(value, int | float):
        number, shown = float(value), f"{value}"
    else:
        shown = str(value).strip()
        text = _norm(value)
        if re.fullmatch(r"-?\d{1,3}(,\d{3})+(\.\d+)?", text):
            text = text.replace(",", "")
        try:
            number = float(text)
        except ValueError:
            raise DataError(f"{where}：“{shown}”不是数字；请只填整数，不带单位或文字（如 87037）") from None
    if not math.isfinite(number):
        raise DataError(f"{where}：“{shown}”不是数字；请填不小于 0 的整数")
    if number < 0:
        raise DataError(f"{where}：{shown} 是负数；人数、托位数和场所数都应不小于 0")
    if number != int(number):
        raise DataError(f"{where}：{shown} 不是整数；请填整数（人、个、所、间、处、家）")
    if number > _MAX_COUNT:
        raise DataError(f"{where}：{shown} 大得不合理；请检查是否多输了数字")
    return int(number)


def _check_source(text: str, value: int, where: str) -> None:
    if not text:
        raise DataError(
            f"{where}：新值 {value:,} 没有写来源；请写文件或统计表名称、发布单位和年份，没有来源的数字不导入"
        )
    if len(text) > MAX_SOURCE_CHARS:
        raise DataError(f"{where}：来源有 {len(text)} 个字，超过 {MAX_SOURCE_CHARS} 字；请只写文件名称、发布单位和年份")
    if text[0] in "=+-@":
        raise DataError(f"{where}：来源以“{text[0]}”开头，Excel 会把它当作公式；请去掉开头的符号")


def read_filled(paths: Sequence[Path], towns: pd.DataFrame, notes: list[str] | None = None) -> list[Change]:
    """Read filled workbooks and return the figures that change, refusing anything doubtful.

    Parameters
    ----------
    paths : sequence of Path
        Filled copies of the template (one per street, or one for all).
    towns : DataFrame
        The current ``towns.csv`` as :func:`tuoyu_model.data.load_towns` returns it.
    notes : list of str, optional
        Receives a Chinese line per 现值 cell that differs from ``towns.csv`` (not imported).

    Returns
    -------
    list of Change
        In the annex's unit order, then the figures' order; figures given with the value and
        source they already have are not changes.

    Raises
    ------
    DataError
        One Chinese line naming file, sheet, cell and fix: not a workbook (see
        :func:`~tuoyu_model.workbook_reader.read_workbook`), a renamed sheet, a missing header,
        merged data cells, an unknown unit, text or a fraction in a number cell, a value without
        a source (or a source without a value), the same figure given twice with different
        values or sources, inclusive slots above all slots.

    """
    given: dict[tuple[str, str], Given] = {}
    for path in paths:
        for g in _read_one(path, towns, notes):
            first = given.setdefault((g.town_id, g.figure), g)
            if (first.value, first.source) != (g.value, g.source):
                raise DataError(
                    f"{g.where}：{towns.at[g.town_id, 'town']}的“{FIGURE_LABEL_ZH[g.figure]}”填了两次且不一致"
                    f"（{first.value:,}，来源“{first.source[:20]}”，见 {first.where}；此处 {g.value:,}，来源"
                    f"“{g.source[:20]}”）；请只保留正确的一处"
                )
    for town_id in towns.index:
        slots = given.get((town_id, STOCK_TOTAL))
        incl = given.get((town_id, STOCK_INCLUSIVE))
        total = slots.value if slots else int(towns.at[town_id, STOCK_TOTAL])
        part = incl.value if incl else int(towns.at[town_id, STOCK_INCLUSIVE])
        if part > total:
            where = (incl or slots).where
            raise DataError(
                f"{where}：{towns.at[town_id, 'town']}的 2023年末普惠托位数 {part:,} 大于 2023年末托位数 {total:,}；"
                "普惠托位是托位总数的一部分，请核对这两项"
            )
    changes = []
    for town_id in towns.index:
        for f in TOWN_FIGURES:
            g = given.get((town_id, f))
            old, old_source = int(towns.at[town_id, f]), str(towns.at[town_id, f"{f}_source"])
            if g and (g.value, g.source) != (old, old_source):
                changes.append(
                    Change(town_id, towns.at[town_id, "town"], f, old, g.value, old_source, g.source, g.where)
                )
    return changes


def rewrite_towns_csv(raw: bytes, changes: Sequence[Change]) -> bytes:
    """Return ``towns.csv``'s bytes with exactly the changed cells (value and source) replaced.

    Every other line keeps its bytes (quoting, line ending, BOM); a changed line is written
    as the csv module writes it (minimal quoting).
    """
    bom = b"\xef\xbb\xbf" if raw.startswith(b"\xef\xbb\xbf") else b""
    text = raw[len(bom) :].decode("utf-8")
    lines = text.splitlines(keepends=True)
    records = list(csv.reader(io.StringIO(text)))
    if len(records) != len(lines):  # a quoted line break somewhere: lines are not records
        raise DataError("data/towns.csv：有单元格内换行，无法逐行更新；请先在 Excel 中去掉单元格内的换行")
    header = records[0]
    by_unit: dict[str, list[Change]] = {}
    for c in changes:
        by_unit.setdefault(c.town_id, []).append(c)
    out = [lines[0]]
    for line, fields in zip(lines[1:], records[1:], strict=True):
        unit_changes = by_unit.get(fields[0] if fields else "", [])
        if not unit_changes:
            out.append(line)
            continue
        for c in unit_changes:
            fields[header.index(c.figure)] = str(c.new)
            fields[header.index(f"{c.figure}_source")] = c.new_source
        ending = line[len(line.rstrip("\r\n")) :]
        buf = io.StringIO()
        csv.writer(buf, lineterminator=ending).writerow(fields)
        out.append(buf.getvalue())
    return bom + "".join(out).encode("utf-8")


@dataclass(frozen=True)
class ImportResult:
    """What ``tuoyu data import`` did: the changes, the files written (none without changes), the notes."""

    changes: list[Change]
    written: Path | None
    backup: Path | None
    notes: list[str]


def import_workbooks(paths: Sequence[Path], csv_path: Path | None = None) -> ImportResult:
    """Validate filled workbooks and write their figures into ``towns.csv``, keeping a dated backup.

    Nothing is written unless every workbook is valid and the new ``towns.csv`` passes
    :func:`tuoyu_model.data.load_towns`; the new file replaces the old one atomically
    (``os.replace``) after the old one is copied to ``data/backups/towns_<date-time>.csv``.

    Raises
    ------
    DataError
        See :func:`read_filled`; also when the backup or the new file cannot be written.

    """
    csv_path = Path(csv_path) if csv_path else data_dir() / "towns.csv"
    targets = load_targets()
    towns = load_towns(csv_path, targets=targets)
    notes: list[str] = []
    changes = read_filled(paths, towns, notes)
    if not changes:
        return ImportResult([], None, None, notes)
    raw = csv_path.read_bytes()
    new = rewrite_towns_csv(raw, changes)
    tmp = csv_path.with_name(f".{csv_path.name}.{os.getpid()}.tmp")
    backups = csv_path.parent / "backups"
    try:
        tmp.write_bytes(new)
        try:
            load_towns(tmp, targets=targets)
        except DataError as exc:
            raise DataError(
                f"导入后的 {display(csv_path)} 未通过校验，未写入：{exc}".replace(display(tmp), display(csv_path))
            ) from None
        backups.mkdir(exist_ok=True)
        backup = _backup_name(backups, csv_path)
        with backup.open("xb") as f:  # exclusive: never over an earlier backup
            f.write(raw)
        os.replace(tmp, csv_path)
    except OSError as exc:
        raise DataError(
            f"{display(csv_path)}：无法写入（{exc.strerror}，{display(Path(exc.filename or csv_path))}）；"
            "原文件未改动，请检查权限和磁盘空间"
        ) from None
    finally:
        tmp.unlink(missing_ok=True)
    return ImportResult(changes, csv_path, backup, notes)


def _backup_name(folder: Path, csv_path: Path) -> Path:
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    candidate = folder / f"{csv_path.stem}_{stamp}{csv_path.suffix}"
    n = 2
    while candidate.exists():
        candidate = folder / f"{csv_path.stem}_{stamp}_{n}{csv_path.suffix}"
        n += 1
    return candidate


def change_lines(changes: Sequence[Change]) -> list[str]:
    """Chinese lines for the console: one per change, then the moves between statuses.

    Examples
    --------
    >>> c = Change("xingfeng", "兴丰街道", "population", 87037, 90120, "PROXY (…)", "大兴区统计局 2024", "x")
    >>> for line in change_lines([c]):
    ...     print(line)
      兴丰街道 常住人口（人）：87,037 → 90,120（代理值 → 有出处；来源：大兴区统计局 2024）
    共更新 1 项：代理值 → 有出处 1 项。

    """
    lines = [
        f"  {c.town} {FIGURE_LABEL_ZH[c.figure]}：{c.old:,} → {c.new:,}"
        f"（{STATUS_ZH[c.old_status]} → {STATUS_ZH[c.new_status]}；来源：{c.new_source}）"
        for c in changes
    ]
    moves: dict[tuple[str, str], int] = {}
    for c in changes:
        moves[(c.old_status, c.new_status)] = moves.get((c.old_status, c.new_status), 0) + 1
    summary = "，".join(f"{STATUS_ZH[a]} → {STATUS_ZH[b]} {n} 项" for (a, b), n in sorted(moves.items()))
    return [*lines, f"共更新 {len(changes)} 项：{summary}。"]
