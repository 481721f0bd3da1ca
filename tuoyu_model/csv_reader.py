"""Read a CSV that people may have edited in Excel or WPS, strictly, with one clear line per fault.

UTF-8 with or without BOM (GBK and UTF-16 refused with the fix), a bounded size, the expected
columns, and whole non-negative numbers where numbers belong. The annex, the unit table and the
map's tile positions are read through :func:`read_csv_strict` (:mod:`tuoyu_model.data`).
"""

from __future__ import annotations

import io
import math
from pathlib import Path

import pandas as pd

from tuoyu_model.errors import DataError, did_you_mean
from tuoyu_model.paths import display, read_bounded


def _decode(raw: bytes, where: str) -> str:
    """Decode a CSV's bytes as UTF-8 (BOM or not), naming the encoding a user most likely used."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise DataError(
            f"{where}: 保存成了“Unicode 文本”（UTF-16）；请在 Excel 或 WPS 中另存为“CSV UTF-8（逗号分隔）”",
            en=f"{where}: saved as 'Unicode Text' (UTF-16); re-save it as 'CSV UTF-8' in Excel or WPS",
        )
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError(
            f"{where}: 不是 UTF-8 文本（第 {exc.start} 字节处），看起来保存成了 GBK/ANSI 编码；"
            "请在 Excel 或 WPS 中另存为“CSV UTF-8（逗号分隔）”",
            en=f"{where}: not UTF-8 text (at byte position {exc.start}); it looks saved as GBK/ANSI — "
            "re-save it as 'CSV UTF-8' in Excel or WPS",
        ) from None


# Excel writes 87037 formatted as "#,##0" as "87,037"; accept that grouping, nothing looser.
_GROUPED = r"^-?\d{1,3}(,\d{3})+(\.\d+)?$"
# The shipped CSVs are at most 24 KB (towns.csv); 1 MiB is 40 times that. A bigger file is not
# the annex or the unit table (a pasted export), and would cost seconds of row-by-row checks.
MAX_CSV_BYTES = 1 << 20
# Counts beyond this are typing errors, and they would not survive int64 arithmetic anyway.
MAX_COUNT = 10**12


def read_csv_strict(path: Path, required: list[str], integer_columns: list[str] = ()) -> pd.DataFrame:
    r"""Read a CSV that people may have edited in Excel, and fail clearly on anything wrong.

    Accepted as Excel and WPS write them: a UTF-8 byte-order mark, Windows line endings, blank
    lines and rows of empty cells (dropped), spaces around cells, and thousands separators in
    numbers (``"87,037"``). Row numbers in messages are those a spreadsheet shows (header = 1).

    Parameters
    ----------
    path : Path
        The file.
    required : list of str
        Columns that must be present (extra columns are allowed and kept).
    integer_columns : list of str, default ()
        Columns that must hold whole numbers ≥ 0 in every row.

    Returns
    -------
    pandas.DataFrame
        Text columns as ``str``, integer columns as ``int64``. The index is the file's row
        number minus 2, so ``index + 2`` is the spreadsheet row even after blank rows are dropped.

    Raises
    ------
    DataError
        Missing file, larger than :data:`MAX_CSV_BYTES`, not UTF-8 (e.g. saved as GBK), empty, a
        missing column, a blank, text or negative or fractional value in an integer column.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     f = Path(folder) / "t.csv"
    ...     _ = f.write_bytes("\ufeffunit,slots\r\n兴丰, \"1,210\"\r\n,\r\n".encode())
    ...     read_csv_strict(f, ["unit", "slots"], ["slots"]).to_dict("records")
    [{'unit': '兴丰', 'slots': 1210}]

    """
    path = Path(path)
    where = display(path)
    text = _decode(read_bounded(path, MAX_CSV_BYTES, "1 MiB；随附文件最大约 24 KB"), where)
    if not text.strip():
        raise DataError(
            f"{where}: 文件是空的；第一行应为表头，含 {', '.join(required)}",
            en=f"{where}: the file is empty; expected a header row with {', '.join(required)}",
        )
    try:
        df = pd.read_csv(
            io.StringIO(text), dtype=str, keep_default_na=False, skipinitialspace=True, skip_blank_lines=False
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        detail = str(exc).strip()  # pandas' words, quoted
        raise DataError(
            f"{where}: 不是格式正确的 CSV（{detail}）；请检查引号和逗号",
            en=f"{where}: not a well-formed CSV ({detail}); check quotes and commas",
        ) from None
    df.columns = [str(c).strip() for c in df.columns]
    missing = [c for c in required if c not in df.columns]
    if missing and len(df.columns) == 1:
        sep = next((s for s in (";", "\t") if s in df.columns[0]), None)
        if sep:
            name, name_en = ("分号", "semicolons") if sep == ";" else ("制表符（Tab）", "tabs")
            raise DataError(
                f"{where}: 各列用{name}分隔，不是逗号；请在 Excel 或 WPS 中另存为“CSV UTF-8（逗号分隔）”",
                en=f"{where}: the columns are separated by {name_en}, not commas; re-save it as "
                "'CSV UTF-8 (comma delimited)' in Excel or WPS",
            )
    if missing:
        # Suggest in the user's direction: which header cell should have been this column?
        found = [c for c in df.columns if c not in required and did_you_mean(c, [missing[0]])]
        want, cols = missing[0], ", ".join(required)
        hint = f"——表头中有 '{found[0]}'，是否想写 '{want}'？请改名" if found else ""
        hint_en = f" — the header has '{found[0]}': did you mean '{want}'? Rename it" if found else ""
        raise DataError(
            f"{where}: 缺少列 '{want}'{hint}；应有的列：{cols}",
            en=f"{where}: missing column '{want}'{hint_en}; expected columns: {cols}",
        )
    df = df.apply(lambda s: s.str.strip())
    # Keep the index (the file's row numbers) so messages point at the row a spreadsheet shows.
    df = df[(df != "").any(axis=1)]
    if df.empty:
        raise DataError(
            f"{where}: 表头下面没有数据行；应每个属地一行",
            en=f"{where}: no data rows under the header; expected one row per unit",
        )
    return parse_integer_columns(df, integer_columns, where)


def parse_integer_columns(df: pd.DataFrame, columns: list[str], where: str) -> pd.DataFrame:
    """Turn the text ``columns`` of a :func:`read_csv_strict` table into whole numbers ≥ 0.

    Raises
    ------
    DataError
        A blank, text, negative, fractional or implausibly large cell, naming its row and column.

    """
    for col in columns:
        # Full-width digits (２１０) typed with a Chinese input method are the same number.
        cells = df[col].str.normalize("NFKC")
        cells = cells.where(~cells.str.match(_GROUPED), cells.str.replace(",", "", regex=False))
        values = pd.to_numeric(cells, errors="coerce")
        for i in df.index:
            cell = df.at[i, col]
            row = i + 2  # the header is row 1, as a spreadsheet shows it
            v = values[i]
            at, at_en = f"{where}: 第 {row} 行，列 '{col}'", f"{where}: row {row}, column '{col}'"
            if cell == "":
                raise DataError(
                    f"{at} 是空的；应填不小于 0 的整数", en=f"{at_en} is blank; expected a whole number ≥ 0"
                )
            if pd.isna(v) or not math.isfinite(v):
                raise DataError(
                    f"{at} = '{cell}' 不是数字；应填不小于 0 的整数（只写数字，不带单位或文字）",
                    en=f"{at_en} = '{cell}' is not a number; "
                    "expected a whole number ≥ 0 (digits only, no units or words)",
                )
            if v < 0:
                raise DataError(
                    f"{at} = {cell} 是负数；托位数和人口数都应不小于 0",
                    en=f"{at_en} = {cell} is negative; slot and population counts must be ≥ 0",
                )
            if v != int(v):
                raise DataError(
                    f"{at} = {cell} 不是整数；托位、人数和场所数都是整数，请改正这个单元格",
                    en=f"{at_en} = {cell} is not a whole number; "
                    "counts are whole places, people or premises — correct the cell",
                )
            if v > MAX_COUNT:
                raise DataError(
                    f"{at} = {cell} 大得不合理；请检查这个单元格是否多输了数字",
                    en=f"{at_en} = {cell} is implausibly large; check the cell for a typing error",
                )
        df[col] = values.astype("int64")
    return df
