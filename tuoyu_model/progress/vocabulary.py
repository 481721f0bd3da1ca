"""The progress tracker's Chinese words: return headers, the spellings accepted, table headers, codes.

One module for every Chinese label of :mod:`tuoyu_model.progress` (to be folded into the
presentation layer's vocabulary): the template's headers and the other spellings people use,
the words that mark a 合计 row or a note, the headers (with units) of the progress tables,
the translations of their codes, the workbook's sheet names and the template's notes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from tuoyu_model.costs import CHANNELS  # one definition of the channels
from tuoyu_model.presentation.vocabulary import CHANNEL_LABEL_ZH, TARGET_SET_LABEL_ZH, VALUE_LABELS

# The template's headers (two levels: group, column); the flat csv header is group-less.
HEADER_ZH = {
    "town": ("", "镇街"),
    "date": ("", "统计日期"),
    "total_slots": ("托位数（个）", "托位总数"),
    "inclusive_slots": ("托位数（个）", "其中：普惠托位数"),
    **{f"institutions_{c}": ("托育机构数（个）", CHANNEL_LABEL_ZH[c]) for c in CHANNELS},
    "caregivers": ("保育人员（人）", "保育人员数"),
    "certified_caregivers": ("保育人员（人）", "其中：持证保育人员数"),
    "directors_trained": ("已培训人员（人）", "已培训机构负责人数"),
    "caregivers_trained": ("已培训人员（人）", "已培训保育人员数"),
    "health_staff": ("", "卫生保健人员数（人）"),
}
# Other spellings seen in returns, compared after _norm_header(); the template's own come first.
HEADER_ALIASES = {
    "town": ["镇街", "属地", "街镇", "街道镇", "单位", "单位名称", "镇街名称", "属地名称", "街道乡镇", "地区"],
    "date": ["统计日期", "日期", "填报日期", "截至日期", "截止日期", "报告日期", "统计时点"],
    "total_slots": ["托位总数", "托位数托位总数", "托位数", "在营托位数", "总托位数", "托位合计"],
    "inclusive_slots": ["普惠托位数", "托位数普惠托位数", "普惠托位", "托位总数普惠托位数"],
    **{
        f"institutions_{c}": [
            CHANNEL_LABEL_ZH[c],
            f"托育机构数{CHANNEL_LABEL_ZH[c]}",
            f"{CHANNEL_LABEL_ZH[c]}机构数",
            f"{CHANNEL_LABEL_ZH[c]}数",
        ]
        for c in CHANNELS
    },
    "caregivers": ["保育人员数", "保育人员保育人员数", "保育人员", "保育人员总数"],
    "certified_caregivers": ["持证保育人员数", "保育人员持证保育人员数", "持证人数", "持证保育人员"],
    "directors_trained": ["已培训机构负责人数", "已培训人员已培训机构负责人数", "负责人已培训", "已培训负责人数"],
    "caregivers_trained": ["已培训保育人员数", "已培训人员已培训保育人员数", "保育人员已培训", "已培训保育人员"],
    "health_staff": ["卫生保健人员数", "卫生保健人员", "保健人员数"],
}
TOTAL_ROW_WORDS = ("合计", "总计", "全区合计", "全区", "小计")
NOTE_PREFIXES = ("注", "说明", "备注", "填报人", "填表人", "制表", "审核", "联系", "数据来源")
UNIT_SUFFIXES = ("街道", "地区", "镇", "乡")

STATUS_ZH = {"done": "已完成", "on_track": "按进度可完成", "at_risk": "滞后", "not_reported": "未报送"}

# Chinese headers (with units) of the progress tables; ids not listed here fall back to
# tuoyu_model.presentation.vocabulary.COLUMNS.
PROGRESS_HEADERS: dict[str, tuple[str, str]] = {
    "date": ("统计日期", "text"),
    "reported": ("是否报送", "text"),
    "target_set": ("目标口径", "text"),
    "year": ("年份", "year"),
    "institutions_kindergarten": ("幼儿园托班（个）", "int"),
    "institutions_community": ("社区托育点（个）", "int"),
    "institutions_employer": ("用人单位办托（个）", "int"),
    "institutions_social": ("社会托育机构（个）", "int"),
    "institutions_centre": ("区托育综合服务中心（个）", "int"),
    "institutions": ("托育机构合计（个）", "int"),
    "caregivers": ("保育人员（人）", "int"),
    "certified_caregivers": ("持证保育人员（人）", "int"),
    "directors_trained": ("已培训负责人（人）", "int"),
    "caregivers_trained": ("已培训保育人员（人）", "int"),
    "health_staff": ("卫生保健人员（人）", "int"),
    "source_file": ("来源文件", "text"),
    "source_sheet": ("工作表", "text"),
    "source_row": ("行号", "int"),
    "completion_total": ("托位完成率", "share"),
    "completion_inclusive": ("普惠托位完成率", "share"),
    "gap_total": ("托位缺口（个）", "slots"),
    "gap_inclusive": ("普惠托位缺口（个）", "slots"),
    "inclusive_service": ("有普惠服务", "text"),
    "min_inclusive_slots": ("普惠托位下限（个）", "slots"),
    "covered": ("达到普惠覆盖下限", "text"),
    "status_zh": ("进度判断", "text"),
    "status": ("进度代码", "text"),
    "basis": ("趋势依据", "text"),
    "rate_total_per_month": ("近期月均新增托位（个/月）", "float1"),
    "rate_inclusive_per_month": ("近期月均新增普惠托位（个/月）", "float1"),
    "projected_total": ("预计年底托位（个）", "slots"),
    "projected_inclusive": ("预计年底普惠托位（个）", "slots"),
    "projected_completion_total": ("预计年底托位完成率", "share"),
    "projected_completion_inclusive": ("预计年底普惠完成率", "share"),
    "needed_total_per_month": ("完成目标需月均新增托位（个/月）", "float1"),
    "needed_inclusive_per_month": ("完成目标需月均新增普惠托位（个/月）", "float1"),
    "at_risk": ("滞后风险", "text"),
    "certified_share": ("持证上岗率", "share"),
    "certified_needed": ("达标尚需持证（人）", "int"),
    "training_coverage": ("培训覆盖率", "share"),
    "training_needed": ("达标尚需培训（人）", "int"),
    "health_staff_needed": ("尚缺卫生保健人员（人）", "int"),
    "meets_certified": ("持证率达标", "text"),
    "meets_training": ("培训达标", "text"),
    "meets_health": ("卫生保健配备达标", "text"),
    "built_since_2023": ("2023年底以来已建托位（个）", "slots"),
    "built_in_replan_years": ("再规划年份内已建托位（个）", "slots"),
    "new_slots_original": ("原方案尚需新增托位（扣除已建，个）", "slots"),
    "new_slots_replan": ("再规划尚需新增托位（个）", "slots"),
    "new_slots_change": ("尚需新增托位：再规划较原方案增减（个）", "slots"),
    "capital_original_yuan": ("原方案尚需建设及转普惠补贴（扣除已建，万元）", "wan"),
    "capital_replan_yuan": ("再规划尚需建设及转普惠补贴（万元）", "wan"),
    "capital_change_yuan": ("建设及转普惠补贴：再规划较原方案增减（万元）", "wan"),
    "shortfall_total_replan": ("再规划托位缺口（个）", "slots"),
    "shortfall_inclusive_replan": ("再规划普惠缺口（个）", "slots"),
    "stock_source": ("起点存量来源", "text"),
}
VALUE_ZH = {
    "target_set": TARGET_SET_LABEL_ZH,
    "basis": {"trend_last_two_reports": "最近两次报送", "trend_since_2023_stock": "2023年底存量至本次报送"},
    "status": STATUS_ZH,
    "stock_source": {"reported": "报送数据", "not_reported_2023_stock": "未报送，按2023年底存量"},
}
# The re-plan's allocation carries the scenario tables' codes: one vocabulary for both reports.
VALUE_ZH.update({k: v for k, v in VALUE_LABELS.items() if k in ("channel", "kind")})
# (sheet name, table key, csv name) in workbook order.
PROGRESS_SHEETS = [
    ("完成情况", "completion", "completion.csv"),
    ("滞后预警", "projection", "projection.csv"),
    ("普惠覆盖", "coverage", "coverage.csv"),
    ("队伍建设", "workforce", "workforce.csv"),
    ("未报送属地", "not_reported", "not_reported.csv"),
    ("再规划对比", "replan_changes", "replan_changes.csv"),
    ("再规划分配", "replan_allocation", "replan_allocation.csv"),
    ("报送数据", "progress", "progress_reports.csv"),
]

YES_NO_ZH = {True: "是", False: "否"}  # yes/no columns (blank where a unit did not report)
SUMMARY_SHEET = "摘要"  # the workbook's first sheet and its one column


def report_title(as_of: dt.date | str) -> str:
    """Return the title of the progress workbook and report.

    Examples
    --------
    >>> report_title("2024-06-30")
    '大兴区托育服务进展评估（截至2024-06-30）'

    """
    text = as_of.isoformat() if isinstance(as_of, dt.date) else as_of
    return f"大兴区托育服务进展评估（截至{text}）"


TEMPLATE_TITLE = "大兴区托育服务进展统计表"
TEMPLATE_TABLE_NOTE = "注：每个属地一行，从表头下第一行起填写；没有的项目填 0。填写示例见“填报说明”工作表。"
TEMPLATE_EXAMPLE_LABEL = "填写示例（虚构，不要抄入填报表）"
TEMPLATE_TOTAL_ROW_NOTE = (
    "合计行 / 注",
    "表下可保留“合计”行和“注：”说明，读取时合计行用于核对，不计入属地。"
    " A 合计 row and notes under the table are allowed; the total is checked, not counted.",
)


def _goal(share: float) -> tuple[str, str]:
    """Return a workforce goal in words, Chinese and English: ``全覆盖``/``all`` for a share of 1."""
    if share >= 1:
        return "全覆盖", "all"
    return f"不低于 {share:.0%}", f"≥ {share:.0%}"


def template_notes(params: Mapping) -> dict[str, str]:
    """Return the explanation of every column of the template's notes sheet (填报说明).

    The workforce goals come from the parameters (``certified_share_target``,
    ``training_coverage_target`` in ``data/parameters/workforce.yaml``), never from the text.

    Examples
    --------
    >>> notes = template_notes({"certified_share_target": 0.8, "training_coverage_target": 1.0})
    >>> "目标不低于 80%" in notes["certified_caregivers"], "目标全覆盖" in notes["caregivers_trained"]
    (True, True)

    """
    cert_zh, cert_en = _goal(float(params["certified_share_target"]))
    train_zh, train_en = _goal(float(params["training_coverage_target"]))
    return {
        "town": "属地名称，按工作方案附件填写（如“旧宫镇”“兴丰街道”；写“旧宫”“兴丰”也可识别）。"
        " Unit name as in the plan's annex (the 街道/镇 suffix may be left out).",
        "date": "统计时点，如 2024-06-30 或 2024年6月30日；每季度末填报一次。 Report date (quarter end).",
        "total_slots": "截至统计日期已投入使用的托位总数（个），含普惠与市场化托位。 Slots in service, all kinds.",
        "inclusive_slots": "其中纳入普惠托育服务的托位数（个），不得大于托位总数。"
        " Inclusive slots (part of the total).",
        **{
            f"institutions_{c}": f"{CHANNEL_LABEL_ZH[c]}的机构（点）数（个），没有填 0。 Institutions: {c}."
            for c in CHANNELS
        },
        "caregivers": "在岗保育人员总数（人）。 Caregivers in post.",
        "certified_caregivers": (
            f"其中持育婴员、保育师等证书上岗的人数（人），目标{cert_zh}。 Certified caregivers (goal {cert_en})."
        ),
        "directors_trained": f"已参加培训的托育机构负责人人数（人），目标{train_zh}；每个机构按 1 名负责人计。"
        f" Directors trained (goal: {train_en}; one director per institution).",
        "caregivers_trained": f"已参加岗位培训的保育人员人数（人），目标{train_zh}。"
        f" Caregivers trained (goal: {train_en}).",
        "health_staff": "考核合格的专（兼）职卫生保健人员数（人），每个机构至少 1 名。"
        " Qualified health staff (≥ 1 per institution).",
    }
