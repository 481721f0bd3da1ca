r"""Write a scenario's results as files people open: CSV, the Excel workbook, JSON.

Everything here is presentation: the tables come from :func:`tuoyu_model.model.run_model` with
English column ids and money in yuan (the CSV contract); the workbook shows the same tables with
Chinese sheet names and headers with units, money in 万元 where amounts add up, and codes
(channel, kind, item …) translated. Files are byte-for-byte reproducible: fixed workbook
timestamps, JSON in a fixed key order, ``\n`` line ends.

Text that starts with ``= + - @`` (or a tab or carriage return) could be read as a formula by a
spreadsheet (CSV injection). In CSV it gets a leading apostrophe, the convention Excel and WPS
show as plain text; in the workbook it is written as a string cell with the quote prefix set.
Plain numbers written as text (``-0.5``) are left alone: no spreadsheet evaluates them.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import numbers
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from tuoyu_model.data import TARGET_SET_LABEL_ZH
from tuoyu_model.errors import ReportError
from tuoyu_model.paths import display

# Fixed document time so two runs give the same bytes (xlsxwriter already fixes zip entry times).
WORKBOOK_TIME = dt.datetime(2024, 1, 1, 0, 0, 0)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
WAN = 10_000  # yuan per 万元
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?%?$")


@dataclass(frozen=True)
class Column:
    """How one column id is shown to people: Chinese header with unit, format, scale."""

    header: str
    fmt: str = "text"  # text | int | year | slots | float1 | float2 | wan | yuan | share | general
    scale: float = 1.0


# Number formats by kind (Excel format codes).
NUMBER_FORMATS = {
    "int": "#,##0",
    "year": "0",
    "slots": "#,##0",
    "float1": "#,##0.0",
    "float2": "#,##0.00",
    "wan": "#,##0.00",
    "yuan": "#,##0",
    "share": "0.0%",
    "text": "@",
    "general": "General",
}

COLUMNS: dict[str, Column] = {
    # identifiers
    "town_id": Column("属地代码"),
    "town": Column("属地"),
    "year": Column("年份", "year"),
    "channel": Column("渠道"),
    "kind": Column("类型"),
    "item": Column("项目"),
    "funding_source": Column("资金来源"),
    "age_band": Column("年龄段"),
    # slots
    "new_slots": Column("新增托位（个）", "slots"),
    "converted_slots": Column("转普惠托位（个）", "slots"),
    "total_slots": Column("托位总数（个）", "slots"),
    "inclusive_slots": Column("普惠托位（个）", "slots"),
    "market_slots": Column("市场化托位（个）", "slots"),
    "target_total": Column("托位目标（个）", "slots"),
    "target_inclusive": Column("普惠托位目标（个）", "slots"),
    "shortfall_total": Column("托位缺口（个）", "slots"),
    "shortfall_inclusive": Column("普惠托位缺口（个）", "slots"),
    "slots": Column("托位（个）", "slots"),
    "existing_slots": Column("现有托位（个）", "slots"),
    "inclusive_share": Column("普惠占比", "share"),
    # money: amounts that add up in 万元, prices per child-month in 元
    "amount_yuan": Column("金额（万元）", "wan", 1 / WAN),
    "city_yuan": Column("其中：市级（万元）", "wan", 1 / WAN),
    "district_yuan": Column("其中：区级（万元）", "wan", 1 / WAN),
    "item_zh": Column("项目"),
    "value_yuan": Column("影子价格（元，单位见“单位”列）", "float2"),
    "capital_cost_yuan": Column("每托位建设成本（万元）", "float2", 1 / WAN),
    "public_capital_yuan": Column("每托位财政建设补贴（万元）", "float2", 1 / WAN),
    "household_monthly_income_yuan": Column("家庭月可支配收入（元/月）", "yuan"),
    "fee_cap_yuan": Column("收费上限（元/人·月）", "yuan"),
    "income_year": Column("收入年份", "year"),
    "income_area": Column("收入地区"),
    "income_per_capita_yuan": Column("人均可支配收入（元/年）", "yuan"),
    "income_status": Column("收入数据性质"),
    "fee_yuan": Column("普惠收费（元/人·月）", "yuan"),
    "cost_per_slot_month_yuan": Column("每托位月运营成本（元）", "yuan"),
    "subsidy_per_slot_month_yuan": Column("每托位月运营补贴（元）", "yuan"),
    "revenue_per_slot_month_yuan": Column("每托位月收费收入（元，按入托率）", "yuan"),
    "subsidy_per_slot_year_yuan": Column("每托位年运营补贴（元）", "yuan"),
    "meals_yuan": Column("伙食费（元/人·月）", "yuan"),
    "occupancy": Column("入托率", "share"),
    "break_even_occupancy": Column("保本入托率", "share"),
    # stock
    "min_inclusive": Column("普惠托位下限（个）", "slots"),
    "shortfall_coverage": Column("普惠全覆盖下限缺口（个）", "slots"),
    "converted": Column("转普惠托位（个）", "slots"),
    # demand and workforce
    "population": Column("常住人口（人）", "int"),
    "births": Column("出生人数（人）", "int"),
    "children_age_0_1": Column("0–1岁儿童（人）", "int"),
    "children_age_1_2": Column("1–2岁儿童（人）", "int"),
    "children_age_2_3": Column("2–3岁儿童（人）", "int"),
    "likely_enrolment": Column("预计入托儿童（人）", "int"),
    "target_set": Column("目标口径"),
    "target_basis": Column("目标来源"),
    "slots_per_1000_target": Column("目标每千人口托位数（个）", "float2"),
    "benchmark_slots": Column("按每千人口托位标准测算（个）", "slots"),
    "gap_target_minus_demand": Column("目标减需求（个）", "slots"),
    "enrolment_fill_rate": Column("预计入托儿童÷目标", "share"),
    "flag": Column("提示"),
    "method": Column("测算方法"),
    "population_proxy": Column("人口为代理值"),
    "circular_comparison": Column("需求按目标推算（与目标比较无意义）"),
    "directors_needed": Column("所需机构负责人（人）", "int"),
    "certified_now_estimate": Column("现有持证人员估计（人）", "int"),
    "certification_gap": Column("持证缺口（人）", "int"),
    "training_places_needed": Column("需培训人次（人）", "int"),
    "children_under3": Column("3岁以下儿童（人）", "int"),
    "slots_demanded": Column("托位需求（个）", "slots"),
    "slots_per_1000": Column("每千人口托位数（个）", "float2"),
    "caregivers_needed": Column("所需保育人员（人）", "int"),
    "health_staff_needed": Column("所需卫生保健人员（人）", "float1"),
    "certified_target": Column("持证保育人员目标（人）", "int"),
    # shadow prices
    "constraint": Column("约束"),
    "meaning": Column("含义"),
    "meaning_en": Column("含义（英文）"),
    "family": Column("约束类别"),
    "unique": Column("是否唯一"),
    "binding": Column("是否起作用"),
    "shortfall": Column("目标缺口（个）", "slots"),
    "value_slots": Column("目标未完成时的影子价格（缺口托位，单位见后列）", "float2"),
    "value_slots_unit": Column("缺口影子价格单位"),
    "scenario": Column("情景"),
    "difference": Column("与第一个情景之差", "float2"),
    # summary sheet
    "label_zh": Column("指标"),
    "value": Column("数值", "float2"),
    "unit_zh": Column("单位"),
    # parameters sheet (Parameters.table())
    "name": Column("参数名"),
    "label_en": Column("英文名称"),
    "unit": Column("单位"),
    "source": Column("来源"),
    "confidence": Column("可信度"),
    "status": Column("性质"),
    "overridden": Column("情景修改"),
    "description": Column("说明"),
    "file": Column("文件"),
}

# Units of the parameters and of the shadow prices, as people read them.
UNIT_ZH: dict[str, str] = {
    "yuan": "元",
    "weighted slot-years": "加权托位·年",
    "slots of shortfall per slot": "缺口托位/托位",
    "slots of shortfall per percentage point": "缺口托位/百分点",
    "slots of shortfall per 万元": "缺口托位/万元",
    "FTE": "全职当量",
    "births per person per year": "出生/人·年",
    "children per FTE": "儿童/全职当量",
    "children per caregiver": "儿童/保育人员",
    "children per class": "儿童/班",
    "choice": "选项",
    "date (text, YYYY-MM-DD)": "日期（YYYY-MM-DD）",
    "employed caregivers per required post": "在岗保育人员/岗位",
    "months": "月",
    "m² per child": "平方米/儿童",
    "persons": "人",
    "ratio": "比值",
    "ratio to average household income": "相对平均家庭收入之比",
    "share": "比例",
    "share of a year": "年内比例",
    "share of gross wage": "占应发工资比例",
    "share of population": "占人口比例",
    "share of the smallest penalty": "占最小罚金比例",
    "share per year": "每年比例",
    "share per year of age": "每一岁年龄组比例",
    "slots": "托位",
    "slots per 1,000 residents": "托位/千人",
    "true/false": "是/否",
    "unit id": "属地代码",
    "variables": "变量数",
    "year": "年",
    "yuan per child per month": "元/人·月",
    "yuan per child per year": "元/人·年",
    "yuan per month": "元/月",
    "yuan per m² per day": "元/平方米·天",
    "yuan per m² per month": "元/平方米·月",
    "yuan per person per year": "元/人·年",
    "yuan per slot": "元/托位",
    "yuan per slot per month": "元/托位·月",
    "yuan per year": "元/年",
}
# What one more unit of a constraint family is: the shadow price in yuan is per this.
FAMILY_PER_ZH = {
    "total": "托位",
    "inclusive": "普惠托位",
    "coverage": "普惠托位",
    "centre": "托位",
    "share": "百分点",
    "budget": "元",
    "capacity": "托位",
    "conversion": "托位",
}


VALUE_LABELS: dict[str, dict[str, str]] = {
    "channel": {
        "kindergarten": "幼儿园托班",
        "community": "社区托育点",
        "employer": "用人单位办托",
        "social": "社会托育机构",
        "centre": "区托育综合服务中心",
        "conversion": "存量转普惠",
    },
    "kind": {"inclusive": "普惠", "market": "市场化"},
    "item": {
        "capital_subsidy": "新增托位建设补贴",
        "conversion": "存量托位转普惠补贴",
        "operating_subsidy_new": "新增及转化普惠托位运营补贴",
        "operating_subsidy_existing": "2023年底存量普惠托位运营补贴",
        "operating_subsidy": "运营补贴",
        "total": "合计",
    },
    "funding_source": {"city": "市级", "district": "区级", "total": "合计"},
    "age_band": {"age_0_1": "乳儿班（6–12个月）", "age_1_2": "托小班（12–24个月）", "age_2_3": "托大班（24–36个月）"},
    "confidence": {"high": "高", "medium": "中", "low": "低"},
    "status": {"sourced": "有出处", "derived": "推算", "proxy": "代理值", "assumption": "假设", "setting": "模型设置"},
    "target_set": {**TARGET_SET_LABEL_ZH, "": ""},
    "target_basis": {"annex": "方案附件", "none": "无目标", "held_2025": "沿用2025年目标"},
    "flag": {"unmet_need": "需求未满足", "vacancy_risk": "空置风险", "": ""},
    "method": {"births": "按出生人数推算", "age_share": "按年龄结构比例推算"},
    "income_area": {"daxing": "大兴区", "beijing": "北京市"},
    "income_status": {"sourced": "有出处", "derived": "推算（北京市×收入系数）"},
    "unit": UNIT_ZH,
    "value_slots_unit": UNIT_ZH,
    "family": {
        "total": "托位总数目标",
        "inclusive": "普惠托位目标",
        "coverage": "普惠全覆盖下限",
        "centre": "区托育综合服务中心",
        "share": "全区普惠占比",
        "budget": "年度预算",
        "conversion": "存量转普惠产能",
        "capacity_kindergarten": "产能：幼儿园托班",
        "capacity_community": "产能：社区托育点",
        "capacity_employer": "产能：用人单位办托",
        "capacity_social": "产能：社会托育机构",
        "capacity_centre": "产能：区托育综合服务中心",
    },
}


def unit_zh(unit: Any) -> Any:
    """Return a unit in Chinese (:data:`UNIT_ZH`); unknown units are returned as given.

    Examples
    --------
    >>> unit_zh("yuan per slot"), unit_zh("share"), unit_zh("furlongs")
    ('元/托位', '比例', 'furlongs')

    """
    return UNIT_ZH.get(unit, unit) if isinstance(unit, str) else unit


def shadow_unit_zh(family: str, unit: str) -> str:
    """Return the unit of a shadow price row in Chinese: per slot, per percentage point or per yuan.

    Examples
    --------
    >>> shadow_unit_zh("total", "yuan"), shadow_unit_zh("share", "yuan"), shadow_unit_zh("capacity_social", "yuan")
    ('元/托位', '元/百分点', '元/托位')
    >>> shadow_unit_zh("budget", "weighted slot-years")
    '加权托位·年/元'

    """
    key = str(family).split("_")[0]
    per = FAMILY_PER_ZH.get(key)
    base = unit_zh(unit)
    return f"{base}/{per}" if per else base


# Sheet name -> table key in Results.tables, in workbook order.
SHEETS: list[tuple[str, str]] = [
    ("摘要", "summary"),
    ("托位分配", "allocation"),
    ("存量与目标", "stock"),
    ("资金", "budget"),
    ("价格", "pricing"),
    ("需求", "demand"),
    ("队伍建设", "workforce"),
    ("影子价格", "shadow_prices"),
    ("参数", "parameters"),
]


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
    if isinstance(value, str) and value.startswith(FORMULA_START) and not _NUMBER.match(value.strip()):
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


def _text_width(text: str) -> int:
    # CJK characters take two columns in Excel's default font.
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _cell_text(value: Any, fmt: str) -> str:
    if isinstance(value, float) and fmt in ("int", "slots", "yuan"):
        return f"{value:,.0f}"
    if isinstance(value, float) and fmt == "share":
        return f"{value:.1%}"
    if isinstance(value, float):
        return f"{value:,.2f}"
    return str(value)


# Keys and codes inside parameter values, as people read them (channels, kinds, age bands,
# households, a period's first/last year); years become 2024年 (see :func:`parameter_text`).
PARAMETER_WORDS_ZH: dict[str, str] = {
    **VALUE_LABELS["channel"],
    **VALUE_LABELS["kind"],
    **TARGET_SET_LABEL_ZH,
    **{k: v.split("（")[0] for k, v in VALUE_LABELS["age_band"].items()},
    "low": "低收入家庭",
    "middle": "中等收入家庭",
    "high": "高收入家庭",
    "first": "首年",
    "last": "末年",
}


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


def parameters_for_people(params: Any) -> pd.DataFrame:
    """Return ``params.table()`` with each value as :func:`parameter_text` writes it (the 参数 sheet)."""
    t = params.table()
    t["value"] = [parameter_text(params.data[n], n, str(params.meta[n]["unit"])) for n in t["name"]]
    return t


# The solver's status and name as people read them; summary.json keeps PuLP's English status.
SOLVER_STATUS_ZH = {
    "Optimal": "最优解",
    "Not Solved": "未求解",
    "Infeasible": "无可行解",
    "Unbounded": "无界（模型有误）",
    "Undefined": "未得出确定结果",
}
SOLVER_NAME = {"highs": "HiGHS", "highs_cmd": "HiGHS", "cbc": "CBC", "pulp_cbc_cmd": "CBC", "coin_cmd": "CBC"}


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


# Decimals of a number shown to people, by its unit: slots and people whole, 万元 with two,
# percentages with one, yuan whole (the fee cap 3,288.48 元 shows as 3,288 everywhere).
UNIT_DIGITS: dict[str, int] = {"个": 0, "人": 0, "万元": 2, "%": 1, "元": 0}
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
    if _is_blank(value):
        return ""
    if isinstance(value, bool | np.bool_):
        return "是" if value else "否"
    if not isinstance(value, numbers.Number):
        return str(value)
    d = unit_digits(unit)
    if d is None:
        d = 0 if isinstance(value, numbers.Integral) else digits
    return f"{value:,.{d}f}"


def text_for_people(df: pd.DataFrame, digits: int = 2, formats: Mapping[str, int] | None = None) -> pd.DataFrame:
    """Return a table for people with every number as text by :func:`people_number`.

    The unit of a number is its row's ``单位`` when the table has that column (compare tables),
    else its header's (``托位总数（个）``); ``formats`` gives the decimals of named columns.
    Text columns are left as they are; missing values become blank cells.

    Examples
    --------
    >>> t = pd.DataFrame({"指标": ["新增托位", "财政资金"], "单位": ["个", "万元"], "基准": [2455.0, 521.0622]})
    >>> text_for_people(t)["基准"].tolist()
    ['2,455', '521.06']
    >>> text_for_people(pd.DataFrame({"托位（个）": [4700.0, None], "人员（人）": pd.array([1197, None], "Int64")})
    ...                 ).to_dict("list")
    {'托位（个）': ['4,700', ''], '人员（人）': ['1,197', '']}

    """
    out = df.copy()
    units = df["单位"] if "单位" in df.columns else None
    for col in df.columns:
        s = df[col]
        if col == "单位" or not (pd.api.types.is_numeric_dtype(s) or pd.api.types.is_object_dtype(s)):
            continue
        if not s.map(lambda v: isinstance(v, numbers.Number) or _is_blank(v)).all():
            continue  # a text column (with perhaps some numbers): leave it
        if formats and col in formats:
            out[col] = [("" if _is_blank(v) else f"{v:,.{formats[col]}f}") for v in s]
        elif units is not None:
            out[col] = [people_number(v, u, digits) for v, u in zip(s, units, strict=True)]
        else:
            out[col] = [people_number(v, header_unit(col), digits) for v in s]
    return out


@dataclass(frozen=True)
class Sheet:
    """One worksheet as people read it.

    Attributes
    ----------
    name : str
        The sheet's (Chinese) name.
    table : DataFrame
        The table already for people: Chinese headers with units, codes translated, 万元.
    formats : sequence of str
        The number format of each column, a key of :data:`NUMBER_FORMATS`.
    cell_formats : mapping of (row, column) to str, optional
        Formats of single cells (0-based data row and column) where a column mixes units.
    notes : sequence of str, optional
        Lines written below the table after a blank row, outside its filter range.

    """

    name: str
    table: pd.DataFrame
    formats: tuple[str, ...]
    cell_formats: Mapping[tuple[int, int], str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()


def _whole(values: pd.Series) -> bool:
    v = pd.to_numeric(values, errors="coerce")
    v = v[np.isfinite(v.astype(float))] if len(v) else v
    return len(v) > 0 and bool((v == v.round()).all())


def people_sheet(
    name: str, df: pd.DataFrame, columns: Mapping[str, Column] | None = None, notes: Sequence[str] = ()
) -> Sheet:
    """Return a contract table as a :class:`Sheet`: :func:`for_people` and the formats of :data:`COLUMNS`.

    ``columns`` overrides the display of some column ids for this sheet. A column of decimals
    whose values are all whole numbers (people, slots) gets a format without decimals.
    """
    columns = dict(columns or {})
    people = for_people(df, columns)
    formats = []
    for col, header in zip(df.columns, people.columns, strict=True):
        fmt = columns.get(col, column(col)).fmt
        if fmt in ("float1", "float2") and pd.api.types.is_numeric_dtype(people[header]) and _whole(people[header]):
            fmt = "int"
        formats.append(fmt)
    return Sheet(name, people, tuple(formats), notes=tuple(notes))


def _is_blank(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float | np.floating) and not math.isfinite(value)


def _write_sheet(wb: Any, sheet: Sheet, formats: dict[str, Any]) -> None:
    ws = wb.add_worksheet(sheet.name)
    people = sheet.table
    kinds = list(sheet.formats)
    header_fmt, text_fmt, quoted_fmt = formats["header"], formats["text"], formats["quoted"]
    for j, (header, kind) in enumerate(zip(people.columns, kinds, strict=True)):
        ws.write_string(0, j, str(header), header_fmt)
        sample = [_cell_text(v, kind) for v in people.iloc[:200, j] if not _is_blank(v)]
        width = min(60, max([_text_width(str(header))] + [_text_width(t) for t in sample]) + 2)
        ws.set_column(j, j, width, formats[kind] if kind != "text" else None)
    for i, row in enumerate(people.itertuples(index=False), start=1):
        for j, (value, kind) in enumerate(zip(row, kinds, strict=True)):
            kind = sheet.cell_formats.get((i - 1, j), kind)
            fmt = formats[kind]
            if _is_blank(value):
                ws.write_blank(i, j, None, fmt)
            elif isinstance(value, bool | np.bool_):
                ws.write_string(i, j, "是" if value else "否", text_fmt)
            elif isinstance(value, numbers.Number):
                ws.write_number(i, j, float(value), fmt)
            elif (
                kind != "text"
                and isinstance(value, str)
                and _NUMBER.match(value.strip())
                and not value.strip().endswith("%")
            ):
                ws.write_number(i, j, float(value), fmt)  # a number given as text is still a number
            else:
                text = str(value)
                ws.write_string(i, j, text, quoted_fmt if needs_escape(text) else text_fmt)
    ws.freeze_panes(1, 0)
    if len(people):
        ws.autofilter(0, 0, len(people), max(0, len(people.columns) - 1))
    for k, note in enumerate(sheet.notes):  # below the table, outside the filter range
        ws.write_string(len(people) + 2 + k, 0, note, quoted_fmt if needs_escape(note) else text_fmt)
    # printing: landscape A4, as wide as the page, the header row on every page
    ws.set_landscape()
    ws.set_paper(9)
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(0)


def write_sheets(sheets: Sequence[Sheet], path: Path, title: str = "") -> Path:
    """Write :class:`Sheet` s as a workbook: header row frozen and formatted, number formats, text never a formula.

    The one workbook writer of the package (scenario results, comparisons, progress). The file
    is reproducible (fixed document and zip times); blank, NaN and infinite values are blank
    cells; text a spreadsheet would read as a formula (:func:`needs_escape`) is written as
    text with the quote prefix set.
    """
    import xlsxwriter

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # strings_to_formulas/urls off: every str is written as text, exactly as given.
    wb = xlsxwriter.Workbook(
        str(path), {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}
    )
    wb.set_properties({"title": title, "created": WORKBOOK_TIME, "author": "tuoyu-model"})
    formats = {k: wb.add_format({"num_format": v, "valign": "top"}) for k, v in NUMBER_FORMATS.items()}
    formats["header"] = wb.add_format(
        {"bold": True, "text_wrap": True, "valign": "top", "bg_color": "#DDEBF7", "border": 1}
    )
    formats["quoted"] = wb.add_format({"quote_prefix": True, "num_format": "@", "valign": "top"})
    for sheet in sheets:
        _write_sheet(wb, sheet, formats)
    wb.close()
    return path


def write_workbook_sheets(sheets: Mapping[str, pd.DataFrame], path: Path, title: str = "") -> Path:
    """Write ``{sheet name: contract table}`` through :func:`people_sheet` and :func:`write_sheets`."""
    return write_sheets([people_sheet(name, df) for name, df in sheets.items()], path, title)


# Column ids shown differently on one sheet (the same id means another thing there).
SHEET_COLUMNS: dict[str, dict[str, Column]] = {
    "parameters": {"value": Column("取值", "general")},
    "shadow_prices": {"value": Column("影子价格（单位见“单位”列）", "float2"), "unit": Column("单位")},
}
# Format of the summary's value by its unit.
SUMMARY_UNIT_FORMATS = {"个": "int", "人": "int", "万元": "wan", "%": "float1"}


def _summary_sheet(name: str, df: pd.DataFrame, notes: Sequence[str]) -> Sheet:
    sheet = people_sheet(name, df, notes=notes)
    if "value" not in df or "unit_zh" not in df:
        return sheet
    j = list(df.columns).index("value")
    cells = {
        (i, j): SUMMARY_UNIT_FORMATS.get(u, "yuan" if str(u).startswith("元") else "float2")
        for i, u in enumerate(df["unit_zh"])
    }
    return Sheet(sheet.name, sheet.table, sheet.formats, cells, sheet.notes)


def write_workbook(
    tables: Mapping[str, pd.DataFrame], path: Path, title: str = "", notes: Mapping[str, Sequence[str]] | None = None
) -> Path:
    """Write the results workbook: one sheet per entry of :data:`SHEETS`, Chinese headers.

    Parameters
    ----------
    tables : mapping of str to DataFrame
        Keys as in :data:`SHEETS` (``summary``, ``allocation`` … ``parameters``); a missing key
        is an error, not a silently missing sheet.
    path : Path
        Where to write the ``.xlsx``.
    title : str, default ""
        The workbook's document title (the scenario title).
    notes : mapping of str to sequence of str, optional
        Lines written below a table, by table key (e.g. the solver status under ``summary``).

    Raises
    ------
    ReportError
        A table is missing.

    """
    missing = [key for _, key in SHEETS if key not in tables]
    if missing:
        raise ReportError(
            f"{display(path)}: no table '{missing[0]}' to write; the workbook needs {', '.join(k for _, k in SHEETS)}"
        )
    notes = notes or {}
    sheets = []
    for name, key in SHEETS:
        df = tables[key]
        if key == "summary":
            sheets.append(_summary_sheet(name, df, notes.get(key, ())))
            continue
        if key == "shadow_prices" and {"family", "unit"} <= set(df.columns):
            df = df.assign(unit=[shadow_unit_zh(f, u) for f, u in zip(df["family"], df["unit"], strict=True)])
        sheets.append(people_sheet(name, df, SHEET_COLUMNS.get(key), notes.get(key, ())))
    return write_sheets(sheets, path, title)
