"""The one vocabulary of the presentation: every Chinese label, unit and number format people read.

Tables keep English column ids and codes (``channel = kindergarten``) and money in yuan; what
people read is looked up here: column headers with units (:data:`COLUMNS`), codes
(:data:`VALUE_LABELS`; the units' words are :data:`tuoyu_model.units.UNIT_ZH`), the workbook's
sheets, the headline figures' labels, and 万元 (:data:`WAN`, :func:`wan`). The report, the
figures, the tables for people and the writers all read it, so the same thing has one name.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from tuoyu_model.family import HOUSEHOLD_LABEL_ZH
from tuoyu_model.income import INCOME_MEASURE_LABEL_ZH
from tuoyu_model.units import UNIT_ZH, unit_zh

WAN = 10_000  # yuan per 万元
REPORT_NAME = "大兴区托育服务体系建设测算报告"
# Sections of the scenario report, in order: the 目录 and the headings of the notebook.
REPORT_SECTIONS = (
    "主要结论",
    "增加资金或提高目标的实际效果",
    "测算口径",
    "情景说明",
    "主要指标",
    "托位目标与缺口",
    "普惠占比",
    "资金需求",
    "各属地资金",
    "价格上限与补贴缺口",
    "队伍建设",
    "假设与数据来源",
    "未建模内容",
    "附录：技术说明",
)
COMPARISON_SECTION = "与基准情景比较"  # the section a scenario other than the baseline adds
# Alt text of each chart of the report (what a screen reader says), by figure file stem.
FIGURE_ALT_ZH = {
    "targets_by_town": "条形图：末年年底各属地托位总数、普惠托位与目标的比较，缺口以红字标出",
    "inclusive_share": "柱状图：各年底全区普惠托位占比与目标",
    "budget_by_year": "堆积柱状图：各年度财政资金需求，按项目分列，单位万元",
    "budget_by_town": "堆积条形图：各属地规划期财政资金合计，按项目分列，单位万元",
    "new_slots_by_channel": "堆积柱状图：各年度新增托位，按渠道和普惠/市场化分列",
    "pricing": "柱状图：各渠道每托位月运营成本、收费收入与运营补贴，虚线为收费上限",
    "workforce": "柱状图：各年度所需保育人员、卫生保健人员，以及持证保育人员目标中现有持证人员与持证缺口",
    "units_map": "示意图：各属地方块按相对位置排列，颜色表示所选指标",
    "differences": "条形图：各情景主要指标与第一个情景之差，较差为红色，较好为绿色，无好坏之分为灰色",
}
# Codes of the allocation's notes for modellers (shown in the report's appendix, not the main text).
TECHNICAL_NOTES = frozenset({"rounding", "relaxation_duals", "degenerate", "solver_fallback"})


def wan(yuan: float, digits: int = 1) -> str:
    """Format yuan as 万元 text, with thousands separators.

    Examples
    --------
    >>> wan(12_345_678), wan(34_300_057, 2)
    ('1,234.6万元', '3,430.01万元')

    """
    return f"{yuan / WAN:,.{digits}f}万元"


def date_zh(day: dt.date) -> str:
    """Write a date as Chinese documents do: 2024年9月30日 (no leading zeros).

    Examples
    --------
    >>> date_zh(dt.date(2024, 9, 30)), date_zh(dt.date(2025, 1, 5))
    ('2024年9月30日', '2025年1月5日')

    """
    return f"{day.year}年{day.month}月{day.day}日"


# The public-money items of the allocation's budget table.
BUDGET_ITEM_ZH = {
    "capital_subsidy": "新增托位建设补贴",
    "conversion": "存量托位转普惠补贴",
    "operating_subsidy_new": "新增及转化普惠托位运营补贴",
    "operating_subsidy_existing": "2023年底存量普惠托位运营补贴",
}
# The same items in the narrow columns of the per-unit money table.
BUDGET_ITEM_SHORT_ZH = {
    "capital_subsidy": "建设补贴",
    "conversion": "转普惠补贴",
    "operating_subsidy_new": "运营补贴（新增）",
    "operating_subsidy_existing": "运营补贴（存量）",
}
TOTAL_ZH = "合计"
DISTRICT_TOTAL_ZH = "全区合计"


# The Chinese names of the channels and target sets (the codes are in costs.CHANNELS and
# data.TARGET_SETS); household types and income measures are named where pricing's tables carry
# them (``household_label_zh``, ``income_measure_label_zh``) and re-exported here.
CHANNEL_LABEL_ZH = {
    "kindergarten": "幼儿园托班",
    "community": "社区托育点",
    "employer": "用人单位办托",
    "social": "社会托育机构",
    "centre": "区托育综合服务中心",
}
TARGET_SET_LABEL_ZH = {
    "floor_2024": "2024年底线目标",
    "high_quality_2025": "2025年高质量发展目标",
    "plan_2025": "2025年规划目标",
}


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
    "value_yuan": Column("影子价格（瞬时变化率，元，单位见“单位”列）", "float2"),
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
    "ranged": Column("有成立范围"),
    "holds_down": Column("影子价格成立范围：可减少（托位/百分点/元，空为不限）", "float2"),
    "holds_up": Column("影子价格成立范围：可增加（托位/百分点/元，空为不限）", "float2"),
    "holds_zh": Column("成立范围"),
    # marginal values (re-solved)
    "question": Column("问题代码"),
    "question_zh": Column("问题"),
    "step": Column("步长", "general"),
    "step_unit": Column("步长单位"),
    "public_cost_change_yuan": Column("财政资金变化（万元，规划期合计）", "wan", 1 / WAN),
    "slots_change": Column("托位变化（个，每个只计一次）", "slots"),
    "sentence_zh": Column("说明"),
    "available": Column("可测算"),
    "total_slots_change": Column("全区托位变化（个）", "slots"),
    "inclusive_slots_change": Column("全区普惠托位变化（个）", "slots"),
    "shortfall_change_slots": Column("托位缺口变化（个）", "slots"),
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
    "uncertainty": Column("取值范围（不确定性）"),
    "description": Column("说明"),
    "file": Column("文件"),
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
    "channel": {**CHANNEL_LABEL_ZH, "conversion": "存量转普惠"},
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
    "income_status": {"sourced": "有出处", "derived": "推算（北京市×收入系数）", "projected": "外推（按收入增长率）"},
    "household": HOUSEHOLD_LABEL_ZH,
    "income_measure": INCOME_MEASURE_LABEL_ZH,
    "unit": UNIT_ZH,
    "value_slots_unit": UNIT_ZH,
    "family": {
        "total": "托位总数目标",
        "inclusive": "普惠托位目标",
        "coverage": "普惠全覆盖下限",
        "centre": "区托育综合服务中心",
        "share": "全区普惠占比",
        "budget": "年度预算",
        "budget_city": "年度市级资金上限",
        "budget_district": "年度区级资金上限",
        "conversion": "存量转普惠产能",
        "capacity_kindergarten": "产能：幼儿园托班",
        "capacity_community": "产能：社区托育点",
        "capacity_employer": "产能：用人单位办托",
        "capacity_social": "产能：社会托育机构",
        "capacity_centre": "产能：区托育综合服务中心",
    },
}


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
    ("分属地资金", "budget_by_town"),
    ("运营补贴承诺", "commitments"),
    ("价格", "pricing"),
    ("需求", "demand"),
    ("队伍建设", "workforce"),
    ("影子价格", "shadow_prices"),
    ("边际值", "marginal_values"),
    ("参数", "parameters"),
]


# Column ids shown differently on one sheet (the same id means another thing there).
SHEET_COLUMNS: dict[str, dict[str, Column]] = {
    "parameters": {"value": Column("取值", "general")},
    "shadow_prices": {"value": Column("影子价格（瞬时变化率，单位见“单位”列）", "float2"), "unit": Column("单位")},
}


# The unit of each sheet's figures, in its title row (write_workbook).
SHEET_UNITS: dict[str, str] = {
    "summary": "单位见“单位”列",
    "allocation": "托位：个",
    "stock": "托位：个",
    "budget": "金额：万元",
    "budget_by_town": "金额：万元",
    "commitments": "金额：万元",
    "pricing": "金额：元/人·月（另有注明的除外）",
    "demand": "人数：人，托位：个",
    "workforce": "人",
    "shadow_prices": "元，每个约束的单位见“单位”列",
    "marginal_values": "金额：万元，托位：个",
    "parameters": "单位见“单位”列",
}


def sheet_title(title: str, sheet: str, unit: str, day: dt.date) -> str:
    """Write a sheet's title row: scenario title, sheet and unit, date.

    Examples
    --------
    >>> sheet_title("基准情景", "资金", "金额：万元", dt.date(2024, 9, 30))
    '基准情景　资金（金额：万元）　生成日期：2024年9月30日'

    """
    head = f"{title}　" if title else ""
    return f"{head}{sheet}（{unit}）　生成日期：{date_zh(day)}"


# Format of the summary's value by its unit.
SUMMARY_UNIT_FORMATS = {"个": "int", "人": "int", "万元": "wan", "%": "float1"}


# Keys and codes inside parameter values, as people read them (channels, kinds, age bands,
# households, a period's first/last year); years become 2024年 (see :func:`parameter_text`).
PARAMETER_WORDS_ZH: dict[str, str] = {
    **VALUE_LABELS["channel"],
    **VALUE_LABELS["kind"],
    **TARGET_SET_LABEL_ZH,
    **{k: v.split("（")[0] for k, v in VALUE_LABELS["age_band"].items()},
    **HOUSEHOLD_LABEL_ZH,
    "first": "首年",
    "last": "末年",
}


# The solver's status and name as people read them; summary.json keeps PuLP's English status.
SOLVER_STATUS_ZH = {
    "Optimal": "最优解",
    "Not Solved": "未求解",
    "Infeasible": "无可行解",
    "Unbounded": "无界（模型有误）",
    "Undefined": "未得出确定结果",
}


SOLVER_NAME = {"highs": "HiGHS", "highs_cmd": "HiGHS", "cbc": "CBC", "pulp_cbc_cmd": "CBC", "coin_cmd": "CBC"}


# Decimals of a number shown to people, by its unit: slots and people whole, 万元 with two,
# percentages with one, yuan whole (the fee cap 3,288.48 元 shows as 3,288 everywhere).
UNIT_DIGITS: dict[str, int] = {"个": 0, "人": 0, "万元": 2, "%": 1, "元": 0}


# The headline figures (summary.SUMMARY_METRICS) as people read them: key -> (label, unit, scale).
SUMMARY_LABELS: dict[str, tuple[str, str, float]] = {
    "public_cost_yuan": ("财政资金需求", "万元", 1 / WAN),
    "new_slots": ("新增托位", "个", 1.0),
    "new_inclusive_slots": ("其中：新增普惠托位", "个", 1.0),
    "converted_slots": ("存量转普惠托位", "个", 1.0),
    "total_slots": ("年底托位总数", "个", 1.0),
    "inclusive_slots": ("年底普惠托位", "个", 1.0),
    "inclusive_share": ("普惠托位占比", "%", 100.0),
    "inclusive_share_target": ("普惠托位占比目标", "%", 100.0),
    "shortfall_by_year": ("年底未完成目标的托位缺口", "个", 1.0),
    "household_monthly_income_yuan": ("家庭月可支配收入（上年）", "元/月", 1.0),
    "fee_cap_yuan": ("收费上限", "元/人·月", 1.0),
    "inclusive_fee_yuan": ("普惠收费", "元/人·月", 1.0),
    "caregivers_needed": ("所需保育人员", "人", 1.0),
}


STATUS_MARK = {
    "assumption": "⚠ 假设",
    "proxy": "⚠ 代理值",
    "derived": "推算",
    "sourced": "有出处",
    "setting": "模型设置",
}


MODIFIED_MARK = "（已修改参数）"


# Shadow-price families in the order the report shows them: (family or prefix, heading). Values
# of different families are in different units (per slot, per percentage point, per yuan) and
# are never sorted against each other.
SHADOW_FAMILIES: list[tuple[str, str]] = [
    ("total", "托位总数目标（每个托位）"),
    ("inclusive", "普惠托位目标（每个普惠托位）"),
    ("coverage", "普惠服务全覆盖下限（每个普惠托位）"),
    ("centre", "区托育综合服务中心（每个托位）"),
    ("share", "全区普惠托位占比（每个百分点）"),
    ("budget", "年度预算"),  # the unit (每万元 / 每元) is read from the sentences: see _budget_heading
    ("capacity", "各渠道产能（每个托位）"),
    ("conversion", "存量转普惠产能（每个托位）"),
]


PENALTY_HEADING = "未完成的目标（缺口大于零，按缺口大小；其罚金计入目标函数，不是实际成本）"

# The plan's requirements as the priority sentence names them (allocation.yaml requirement_priority).
REQUIREMENT_ZH = {
    "coverage": "各属地普惠全覆盖下限",
    "centre": "区托育综合服务中心",
    "share": "全区普惠占比",
    "total": "各属地托位总数目标",
    "inclusive": "各属地普惠托位目标",
}
REQUIREMENT_EN = {
    "coverage": "every unit's inclusive minimum",
    "centre": "the district centre",
    "share": "the district's inclusive share",
    "total": "the units' total targets",
    "inclusive": "the units' inclusive targets",
}
