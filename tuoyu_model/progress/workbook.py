"""The progress tables as people read them, and the progress workbook (``results.xlsx``)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from tuoyu_model.presentation.tables import column
from tuoyu_model.presentation.vocabulary import WAN
from tuoyu_model.progress.vocabulary import PROGRESS_HEADERS, PROGRESS_SHEETS, SUMMARY_SHEET, VALUE_ZH, YES_NO_ZH
from tuoyu_model.writers import Sheet, write_sheets


def for_people_progress(df: pd.DataFrame, percent: bool = False) -> pd.DataFrame:
    """Return a progress table as people read it: Chinese headers with units, codes translated, 万元.

    Counts become whole numbers (blank where a unit did not report); with ``percent`` shares
    become text such as ``88.5%`` (for the report; the workbook keeps numbers).

    Examples
    --------
    >>> for_people_progress(pd.DataFrame({"town": ["旧宫镇"], "completion_total": [0.5], "at_risk": [True]})
    ...                     ).to_dict("records")
    [{'属地': '旧宫镇', '托位完成率': 0.5, '滞后风险': '是'}]

    """
    out = pd.DataFrame(index=df.index)
    for col in df.columns:
        header, fmt = PROGRESS_HEADERS.get(col, (column(col).header, column(col).fmt))
        s = df[col]
        if col in VALUE_ZH:
            s = s.map(lambda v, m=VALUE_ZH[col]: m.get(v, v))
        elif pd.api.types.is_bool_dtype(s) or s.map(lambda v: isinstance(v, bool | np.bool_)).any():
            s = s.map(
                lambda v: (
                    YES_NO_ZH[True]
                    if v is True or v is np.True_
                    else YES_NO_ZH[False]
                    if v is False or v is np.False_
                    else ""
                )
            )
        elif pd.api.types.is_datetime64_any_dtype(s):
            s = s.dt.strftime("%Y-%m-%d")
        elif fmt == "wan":
            s = s / WAN
        elif fmt in ("slots", "int", "year") and pd.api.types.is_numeric_dtype(s):
            s = s.round().astype("Int64")  # whole slots and people, blank where not reported
        elif fmt == "share" and percent:
            s = s.map(lambda v: "" if pd.isna(v) else f"{v:.1%}")
        out[header] = s
    return out


def _formats_of(df: pd.DataFrame) -> list[str]:
    return [PROGRESS_HEADERS.get(c, (None, column(c).fmt))[1] for c in df.columns]


def write_progress_workbook(tables: Mapping[str, pd.DataFrame], path: Path, title: str = "") -> Path:
    """Write the progress workbook: ``tables["summary"]`` as 摘要, then the tables of ``PROGRESS_SHEETS``.

    Tables are shown by :func:`for_people_progress` and written by the package's one workbook
    writer (:func:`tuoyu_model.writers.write_sheets`: fixed timestamps, formula escaping).
    """
    summary = tables["summary"]
    sheets = [Sheet(SUMMARY_SHEET, summary, ("text",) * len(summary.columns))]
    sheets += [
        Sheet(name, for_people_progress(tables[key]), tuple(_formats_of(tables[key])))
        for name, key, _ in PROGRESS_SHEETS
        if key in tables
    ]
    return write_sheets(sheets, path, title)
