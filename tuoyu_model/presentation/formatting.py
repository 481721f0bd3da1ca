"""The conversions every table people see goes through: Chinese headers with units, codes in words, numbers as text.

:func:`for_people` (headers, 万元, codes translated), :func:`people_number` and
:func:`text_for_people` (numbers as text, decimals by unit, years without separators),
:func:`parameter_text` (a parameter's value in words), and the headline figures as rows
(:func:`summary_for_people`). The report's tables built from a run are
:mod:`tuoyu_model.presentation.tables`; words come from :mod:`tuoyu_model.presentation.vocabulary`.
"""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from tuoyu_model.parameters import Parameters
from tuoyu_model.presentation.vocabulary import (
    COLUMNS,
    PARAMETER_WORDS_ZH,
    SOLVER_NAME,
    SOLVER_STATUS_ZH,
    SUMMARY_LABELS,
    UNIT_DIGITS,
    VALUE_LABELS,
    Column,
)
from tuoyu_model.summary import summary_table


def column(col: str) -> Column:
    """Return the display spec of a column id (unknown ids keep their id as header)."""
    return COLUMNS.get(col, Column(col, "float2"))


def for_people(df: pd.DataFrame, columns: Mapping[str, Column] | None = None) -> pd.DataFrame:
    """Return ``df`` as people read it: Chinese headers with units, 万元, codes translated.

    The notebook report shows these frames and the workbook writes them, so both agree.

    Examples
    --------
    >>> df = pd.DataFrame({"year": [2025], "item": ["capital_subsidy"], "amount_yuan": [1_234_500.0]})
    >>> for_people(df).to_dict("records")
    [{'年份': 2025, '项目': '新增托位建设补贴', '金额（万元）': 123.45}]

    """
    out = pd.DataFrame(index=df.index)
    for col in df.columns:
        spec = (columns or {}).get(col) or column(col)
        s = df[col]
        if col in VALUE_LABELS:
            s = s.map(lambda v, m=VALUE_LABELS[col]: m.get(v, v))
        elif spec.scale != 1.0 and pd.api.types.is_numeric_dtype(s):
            s = s * spec.scale
        out[spec.header] = s
    return out


def _plain_number(value: float) -> str:
    # thousands separators, never scientific notation, no trailing zeros: 1e-06 -> 0.000001
    if value == int(value):
        return f"{int(value):,}"
    return f"{value:,.10f}".rstrip("0").rstrip(".")


def parameter_text(value: Any, name: str = "", unit: str = "", _depth: int = 0) -> str:
    """Return a parameter's value as people read it in the report and the workbook's 参数 sheet.

    Mapping keys in Chinese (channels, age bands, households; years as 2024年), True/False as
    是/否, no budget (None) as 不设上限 and other None as blank, numbers with thousands separators
    and never in scientific notation; years (unit ``year``) as written.

    Examples
    --------
    >>> parameter_text({"kindergarten": {"inclusive": True, "market": False}}, "allowed_kinds")
    '幼儿园托班：普惠 是，市场化 否'
    >>> parameter_text({2024: None, 2025: 5_000_000}, "budget")
    '2024年：不设上限；2025年：5,000,000'
    >>> [parameter_text(v) for v in [10_000_000, 7039, 1e-06, -0.0008, False, None, "age_2_3"]]
    ['10,000,000', '7,039', '0.000001', '-0.0008', '否', '', '托大班']
    >>> parameter_text(2020, "census_year", "year")
    '2020'

    """
    if isinstance(value, Mapping):
        inner = [
            (
                PARAMETER_WORDS_ZH.get(k, k) if not isinstance(k, int) else f"{k}年",
                parameter_text(v, name, unit, _depth + 1),
            )
            for k, v in value.items()
        ]
        if _depth:
            return "，".join(f"{k} {v}" for k, v in inner)
        return "；".join(f"{k}：{v}" for k, v in inner)
    if isinstance(value, list | tuple):
        return "、".join(parameter_text(v, name, unit, _depth + 1) for v in value)
    if value is None:
        return "不设上限" if "budget" in name else ""
    if isinstance(value, bool | np.bool_):
        return "是" if value else "否"
    if isinstance(value, numbers.Integral) and (unit == "year" or name.endswith("_year")):
        return str(value)
    if isinstance(value, numbers.Real):
        return _plain_number(float(value))
    return PARAMETER_WORDS_ZH.get(str(value), str(value))


def parameters_for_people(params: Parameters) -> pd.DataFrame:
    """Return ``params.table()`` with each value as :func:`parameter_text` writes it (the 参数 sheet)."""
    t = params.table()
    t["value"] = [parameter_text(params.data[n], n, str(params.meta[n]["unit"])) for n in t["name"]]
    return t


def solver_zh(solver: Mapping[str, Any]) -> str:
    """Return the solve's status for people: ``最优解（求解器 HiGHS）``; unknown statuses as given.

    Examples
    --------
    >>> solver_zh({"status": "Optimal", "name": "highs"})
    '最优解（求解器 HiGHS）'
    >>> solver_zh({})
    '未知'

    """
    status = str(solver.get("status", "")) or "未知"
    text = SOLVER_STATUS_ZH.get(status, status)
    name = str(solver.get("name", ""))
    return f"{text}（求解器 {SOLVER_NAME.get(name.lower(), name)}）" if name else text


_HEADER_UNIT = re.compile(r"（([^（）]*)）$")


def unit_digits(unit: Any) -> int | None:
    """Return the decimals of a number in ``unit`` (``个 人 万元 % 元`` and compounds), None if unknown.

    Examples
    --------
    >>> [unit_digits(u) for u in ["个", "人", "万元", "%", "元/人·月", "个，全区", "比值"]]
    [0, 0, 2, 1, 0, 0, None]

    """
    u = str(unit).strip()
    for key in ("万元", "个", "人", "%", "元"):  # 万元 before 元
        if u.startswith(key):
            return UNIT_DIGITS[key]
    return None


def header_unit(header: Any) -> str:
    """Return the unit in a people header's closing brackets: ``托位总数（个）`` -> ``个``; else ``""``.

    Examples
    --------
    >>> header_unit("收费上限（元/人·月）"), header_unit("属地")
    ('元/人·月', '')

    """
    m = _HEADER_UNIT.search(str(header))
    return m.group(1) if m else ""


def people_number(value: Any, unit: Any = "", digits: int = 2) -> str:
    """Return one value as people read it: thousands separators, decimals by unit, blank if missing.

    ``digits`` applies when the unit is unknown and the value is not a whole number.

    Examples
    --------
    >>> [people_number(v, u) for v, u in [(2455.0, "个"), (3288.48, "元"), (521.0622, "万元"), (45.04, "%")]]
    ['2,455', '3,288', '521.06', '45.0']
    >>> people_number(pd.NA, "个"), people_number(True), people_number(1197), people_number(0.25, "比值")
    ('', '是', '1,197', '0.25')

    """
    if is_blank(value):
        return ""
    if isinstance(value, bool | np.bool_):
        return "是" if value else "否"
    if not isinstance(value, numbers.Number):
        return str(value)
    d = unit_digits(unit)
    if d is None:
        d = 0 if isinstance(value, numbers.Integral) else digits
    return f"{value:,.{d}f}"


# Headers of year columns: their numbers are years, written without a thousands separator.
YEAR_HEADERS = frozenset({c.header for c in COLUMNS.values() if c.fmt == "year"} | {"年份", "年度", "数据年份"})


def text_for_people(df: pd.DataFrame, digits: int = 2, formats: Mapping[str, int] | None = None) -> pd.DataFrame:
    """Return a table for people with every number as text by :func:`people_number`.

    The unit of a number is its row's ``单位`` when the table has that column (compare tables),
    else its header's (``托位总数（个）``); ``formats`` gives the decimals of named columns.
    Text columns are left as they are; missing values become blank cells; years
    (:data:`YEAR_HEADERS`) are written as years (``2024``, never ``2,024``).

    Examples
    --------
    >>> t = pd.DataFrame({"指标": ["新增托位", "财政资金"], "单位": ["个", "万元"], "基准": [2455.0, 521.0622]})
    >>> text_for_people(t)["基准"].tolist()
    ['2,455', '521.06']
    >>> text_for_people(pd.DataFrame({"托位（个）": [4700.0, None], "人员（人）": pd.array([1197, None], "Int64")})
    ...                 ).to_dict("list")
    {'托位（个）': ['4,700', ''], '人员（人）': ['1,197', '']}
    >>> text_for_people(pd.DataFrame({"年份": [2024, 2025], "金额（万元）": [1234.5, 2.0]})).values.tolist()
    [['2024', '1,234.50'], ['2025', '2.00']]

    """
    out = df.copy()
    units = df["单位"] if "单位" in df.columns else None
    for col in df.columns:
        s = df[col]
        if col == "单位" or not (pd.api.types.is_numeric_dtype(s) or pd.api.types.is_object_dtype(s)):
            continue
        if not s.map(lambda v: isinstance(v, numbers.Number) or is_blank(v)).all():
            continue  # a text column (with perhaps some numbers): leave it
        if col in YEAR_HEADERS:  # a year is written as a year: 2024, never 2,024
            out[col] = ["" if is_blank(v) else f"{v:.0f}" if isinstance(v, numbers.Number) else str(v) for v in s]
        elif formats and col in formats:
            out[col] = [("" if is_blank(v) else f"{v:,.{formats[col]}f}") for v in s]
        elif units is not None:
            out[col] = [people_number(v, u, digits) for v, u in zip(s, units, strict=True)]
        else:
            out[col] = [people_number(v, header_unit(col), digits) for v in s]
    return out


def is_blank(value: Any) -> bool:
    """Whether ``value`` is shown as a blank cell: None, NA, NaT, NaN or an infinite float."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float | np.floating) and not math.isfinite(value)


def summary_for_people(summary: Mapping[str, Any]) -> pd.DataFrame:
    """Return the headline figures as people read them: ``label_zh, year, value, unit_zh``.

    The rows of :func:`tuoyu_model.summary.summary_table` with the labels, units and scales of
    :data:`~tuoyu_model.presentation.vocabulary.SUMMARY_LABELS`: money in 万元, shares in percent,
    ``合计`` for totals. The solver status and the allocation's notes are not rows (see
    :func:`summary_notes`).

    Examples
    --------
    >>> summary_for_people({"public_cost_yuan": {"2024": 1.5e6, "total": 1.5e6}}).values.tolist()
    [['财政资金需求', 2024, 150.0, '万元'], ['财政资金需求', '合计', 150.0, '万元']]

    """
    t = summary_table(summary)
    rows = []
    for key, year, value in t.itertuples(index=False):
        label, unit, scale = SUMMARY_LABELS[key]
        rows.append(
            {
                "label_zh": label,
                "year": "合计" if year == "total" else year,
                "value": round(value * scale, 4),
                "unit_zh": unit,
            }
        )
    return pd.DataFrame(rows, columns=["label_zh", "year", "value", "unit_zh"])


def summary_notes(summary: Mapping[str, Any]) -> list[str]:
    """Lines under the headline figures: the solver status, then the allocation's notes in Chinese.

    Examples
    --------
    >>> summary_notes({"solver": {"status": "Optimal", "name": "highs"}, "notes": ["中心未建成 / centre not built"]})
    ['求解状态：最优解（求解器 HiGHS）', '说明：中心未建成']

    """
    solver = summary.get("solver", {})
    lines = [f"求解状态：{solver_zh(solver)}"] if solver else []
    return lines + [f"说明：{str(n).split(' / ')[0]}" for n in summary.get("notes", [])]
