r"""CSV and JSON files as the package writes them, and the formula escaping every file people open needs.

Text that starts with ``= + - @`` (or a tab or carriage return) could be read as a formula by a
spreadsheet (CSV injection). In CSV it gets a leading apostrophe, the convention Excel and WPS
show as plain text; the workbook (:mod:`tuoyu_model.workbook_writer`) writes it as a string cell
with the quote prefix set. Plain numbers written as text (``-0.5``) are left alone: no
spreadsheet evaluates them. Files are byte-for-byte reproducible: JSON in a fixed key order,
``\n`` line ends.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


PLAIN_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?%?$")


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
    if isinstance(value, str) and value.startswith(FORMULA_START) and not PLAIN_NUMBER.match(value.strip()):
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
