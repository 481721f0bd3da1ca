"""``tuoyu data import``: filled copies of the towns workbook into ``data/towns.csv``.

Each copy is read by :mod:`tuoyu_model.towns_workbook` (the layout it wrote, one cell at a time,
one line naming file, sheet, cell and fix for anything doubtful); here the copies are merged
(the same figure twice must agree), checked as a whole (inclusive slots within all slots), and
only then written: only the changed cells, atomically, after a dated backup of the old file in
``data/backups/``, and only if the new file passes :func:`tuoyu_model.data.load_towns`.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from tuoyu_model.data import STOCK_INCLUSIVE, STOCK_TOTAL, TOWN_FIGURES, load_targets, load_towns
from tuoyu_model.data_status import STATUS_ZH, figure_status
from tuoyu_model.errors import DataError
from tuoyu_model.paths import data_dir, display
from tuoyu_model.towns_workbook import FIGURE_LABEL_ZH, Given, read_one


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
        for g in read_one(path, towns, notes):
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
