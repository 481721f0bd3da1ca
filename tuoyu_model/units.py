"""The units of parameters and shadow prices in Chinese: one word for each unit a parameter file names.

``data/parameters/*.yaml`` give each parameter a ``unit`` in English (``share``, ``yuan per
slot``); people read it through :data:`UNIT_ZH` — in the report's parameter tables, the
workbook, the explorer and the error messages of the parameter checks (which is why this sits
with the inputs, below the presentation layer). A test checks every unit has its word.
"""

from __future__ import annotations

from typing import Any

# Units of the parameters and of the shadow prices, as people read them.
UNIT_ZH: dict[str, str] = {
    "yuan": "元",
    "percentage point": "个百分点",
    "weighted slot-years": "加权托位·年",
    "slots of shortfall per slot": "缺口托位/托位",
    "slots of shortfall per percentage point": "缺口托位/百分点",
    "slots of shortfall per 万元": "缺口托位/万元",
    "FTE": "全职当量",
    "births per person per year": "出生/人·年",
    "children per FTE": "儿童/全职当量",
    "children per caregiver": "儿童/保育人员",
    "children per class": "儿童/班",
    "classes": "班",
    "count": "个",
    "choice": "选项",
    "date (text, YYYY-MM-DD)": "日期（YYYY-MM-DD）",
    "employed caregivers per required post": "在岗保育人员/岗位",
    "mixed (points, yuan, slots, units)": "混合（分值、元、托位、个）",
    "months": "月",
    "m² per child": "平方米/儿童",
    "order": "顺序",
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
    "threads": "线程数",
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


def unit_zh(unit: Any) -> Any:
    """Return a unit in Chinese (:data:`UNIT_ZH`); unknown units are returned as given.

    Examples
    --------
    >>> unit_zh("yuan per slot"), unit_zh("share"), unit_zh("furlongs")
    ('元/托位', '比例', 'furlongs')

    """
    return UNIT_ZH.get(unit, unit) if isinstance(unit, str) else unit


def unit_hint_zh(unit: Any) -> str:
    """Return a unit as an error message names it: the Chinese word, and for a share how to write it.

    Examples
    --------
    >>> unit_hint_zh("share"), unit_hint_zh("yuan per slot"), unit_hint_zh("")
    ('比例，写 0–1 之间的小数', '元/托位', '')

    """
    word = unit_zh(unit) if unit else ""
    return f"{word}，写 0–1 之间的小数" if str(unit).startswith("share") else str(word)
