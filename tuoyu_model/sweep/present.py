"""A sweep for people: Chinese labels, tables in 万元, the charts and ``results.xlsx``.

The report notebook (``notebooks/sweep_report.ipynb``) reads a sweep folder with
:func:`load_sweep` and shows what the functions here return; nothing is computed in the notebook.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from tuoyu_model.parameters import default_parameters
from tuoyu_model.paths import data_dir
from tuoyu_model.presentation.report import factor_label as report_factor_label
from tuoyu_model.presentation.vocabulary import WAN
from tuoyu_model.sweep.analysis import COMMITMENT_KEY
from tuoyu_model.units import unit_zh
from tuoyu_model.workbook_writer import Sheet, write_sheets

KIND_ZH = {
    "grid": "网格（全部组合）",
    "draws": "蒙特卡洛抽样",
    "morris": "Morris 敏感性筛选",
    "sobol": "Sobol 方差分解",
}
STATUS_ZH = {"Optimal": "最优解", "Infeasible": "无可行解", "error": "输入错误", "Unbounded": "无界"}
METRIC_ZH = {"public_cost_total_yuan": "财政资金合计（万元）", "shortfall_final_slots": "末年托位缺口（个）"}


def factor_label(name: str, labels: Mapping[str, str] | None = None) -> str:
    """Chinese label of a factor (:func:`tuoyu_model.presentation.report.factor_label`, labels from the files).

    Examples
    --------
    >>> factor_label("capital_cost.community"), factor_label("inclusive_share_target.2025")
    ('新增托位建设成本（社区托育点）', '普惠托位占比目标（2025）')

    """
    return report_factor_label(name, _labels() if labels is None else labels)


# (label, unit) of each parameter as last read, by the parameter files' stamps
_META: dict[tuple, dict[str, tuple[str, str]]] = {}


def _meta() -> dict[str, tuple[str, str]]:
    """Chinese label and unit of every parameter, read again only when a parameter file changed (a sweep asks ~6×)."""
    folder = data_dir() / "parameters"
    stamp = tuple((f.name, f.stat().st_mtime_ns, f.stat().st_size) for f in sorted(folder.glob("*.y*ml")))
    key = (str(folder), stamp)
    if key not in _META:
        _META.clear()
        _META[key] = {n: (m["label"]["zh"], str(m.get("unit") or "")) for n, m in default_parameters().meta.items()}
    return _META[key]


def _labels() -> dict[str, str]:
    """Chinese label of every parameter (:func:`_meta`)."""
    return {n: label for n, (label, _unit) in _meta().items()}


def factor_unit(name: str) -> tuple[str, float]:
    """Return the unit a factor is shown in to people and the scale from its parameter's own unit.

    A share is shown in percent, money a year in 万元, anything else in its parameter's unit.

    Examples
    --------
    >>> factor_unit("inclusive_share_target.2025"), factor_unit("budget.2025"), factor_unit("caregiver_wage")
    (('%', 100.0), ('万元', 0.0001), ('元/月', 1.0))

    """
    unit = _meta().get(name.split(".")[0], ("", ""))[1]
    if unit == "share":
        return "%", 100.0
    if unit == "yuan per year":
        return "万元", 1 / WAN
    return str(unit_zh(unit) or ""), 1.0


def factor_header(name: str, labels: Mapping[str, str] | None = None) -> str:
    """Return a factor's column header for people: its label with the unit its values are shown in.

    Examples
    --------
    >>> factor_header("inclusive_share_target.2025"), factor_header("caregiver_wage")
    ('普惠托位占比目标（2025，%）', '保育人员月工资（元/月）')

    """
    label = factor_label(name, labels)
    unit, _scale = factor_unit(name)
    if not unit:
        return label
    return f"{label[:-1]}，{unit}）" if label.endswith("）") else f"{label}（{unit}）"


def factor_values(name: str, values: pd.Series) -> pd.Series:
    """Return a factor's values in the unit :func:`factor_header` names (a share × 100, yuan a year ÷ 10,000)."""
    scale = factor_unit(name)[1]
    if scale == 1.0:
        return values
    num = pd.to_numeric(values, errors="coerce")
    scaled = (num * scale).round(10)  # 0.55 × 100 shown as 55, not 55.00000000000001
    if num.notna().all():
        return scaled
    return values.astype(object).where(num.isna(), scaled)  # a value that is not a number stays as typed


def load_sweep(folder: str | Path) -> dict[str, Any]:
    """Read a sweep folder: ``summary`` (dict), ``points`` and every ``tables/*.csv`` as DataFrames."""
    folder = Path(folder)
    out: dict[str, Any] = {"summary": json.loads((folder / "summary.json").read_text("utf-8"))}
    out["points"] = pd.read_csv(folder / "points.csv", encoding="utf-8-sig", keep_default_na=False, na_values=[""])
    for p in sorted((folder / "tables").glob("*.csv")):
        out[p.stem] = pd.read_csv(p, encoding="utf-8-sig", keep_default_na=False, na_values=[""])
    return out


# --------------------------------------------------------------------------------------------
# Tables for people
# --------------------------------------------------------------------------------------------


def points_for_people(points: pd.DataFrame, names: list[str], years: list[int]) -> pd.DataFrame:
    """Return the points with Chinese headers, money in 万元, shares in percent."""
    labels = _labels()
    out = pd.DataFrame({"点编号": points["point_id"]})
    for n in names:
        out[factor_header(n, labels)] = factor_values(n, points[n])
    for y in years:
        out[f"{y}年财政资金（万元）"] = points[f"public_cost_{y}_yuan"] / WAN
    out["财政资金合计（万元）"] = points["public_cost_total_yuan"] / WAN
    for c in points.columns:  # the operating subsidy the plan commits in each year after it
        m = COMMITMENT_KEY.fullmatch(c)
        if m:
            out[f"{m.group(1)}年运营补贴承诺（万元）"] = points[c] / WAN
    if "subsidy_commitment_total_yuan" in points:
        out["规划期后运营补贴承诺合计（万元）"] = points["subsidy_commitment_total_yuan"] / WAN
    out[f"{max(years)}年底托位缺口（个）"] = points["shortfall_final_slots"]
    for y in years:
        out[f"{y}年普惠占比（%）"] = points[f"inclusive_share_{y}"] * 100
    for y in years:
        out[f"{y}年收费上限（元/人·月）"] = points[f"fee_cap_{y}_yuan"]
    out["求解状态"] = points["status"].map(lambda s: STATUS_ZH.get(s, s))
    out["起约束作用的限制"] = points["binding"].map(binding_zh)
    out["未完成的目标"] = points["unmet"].fillna("")
    out["错误说明"] = points["error"].fillna("")
    return out


FAMILY_ZH = {
    "budget": "预算",
    "conversion": "存量转普惠能力",
    "capacity_kindergarten": "幼儿园托班容量",
    "capacity_community": "社区托育点容量",
    "capacity_employer": "用人单位托位容量",
    "capacity_social": "社会机构托位容量",
    "capacity_centre": "区级中心容量",
}


def binding_zh(text: Any) -> str:
    """Translate ``budget-2025;capacity_community:3`` into Chinese.

    Examples
    --------
    >>> binding_zh("budget-2025;capacity_community:3")
    '2025年预算；社区托育点容量（3处）'

    """
    if not isinstance(text, str) or not text:
        return ""
    parts = []
    for item in text.split(";"):
        if item.startswith("budget-"):
            parts.append(f"{item.split('-')[1]}年预算")
        else:
            fam, _, n = item.partition(":")
            parts.append(f"{FAMILY_ZH.get(fam, fam)}（{n}处）")
    return "；".join(parts)


def _formats(df: pd.DataFrame) -> tuple[str, ...]:
    out = []
    for c in df.columns:
        if "万元" in c:
            out.append("wan")
        elif "%" in c or "概率" in c:
            out.append("float1")
        elif pd.api.types.is_numeric_dtype(df[c]):
            out.append("general")
        else:
            out.append("text")
    return tuple(out)


def people_tables(summary: Mapping[str, Any], tables: Mapping[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Every sweep table with Chinese headers (万元, percent), keyed by the Chinese sheet name."""
    labels = _labels()
    years = [int(y) for y in summary["years"]]
    out = {"各点结果": points_for_people(tables["points"], summary["factors"], years)}
    if "curve" in tables:
        c = tables["curve"]
        axis = factor_header(summary["factors"][0], labels)
        per = "每百分点" if (c["per"] == "percentage point").any() else "每单位"
        out["成本曲线"] = pd.DataFrame(
            {
                "曲线（其他参数取值）": c["curve"].fillna(""),
                axis: factor_values(summary["factors"][0], c["value"]),
                "财政资金合计（万元）": c["public_cost_total_yuan"] / WAN,
                f"边际成本（万元，{per}）": c["marginal_cost_yuan"] / WAN,
                "末年托位缺口（个）": c["shortfall_final_slots"],
                "起约束作用的限制": c["binding"].map(binding_zh),
                "限制是否变化": c["binding_changed"].map(lambda b: "是" if b else ""),
                "未完成的目标": c["unmet"].fillna(""),
            }
        )
    if "frontier" in tables:
        f = tables["frontier"]
        others = [n for n in summary["factors"] if n.split(".")[0] != "budget"]
        front = pd.DataFrame({factor_header(n, labels): factor_values(n, f[n]) for n in others})
        front["预算（万元）"] = f["budget_yuan"] / WAN
        front["财政资金合计（万元）"] = f["public_cost_total_yuan"] / WAN
        front["末年普惠托位（个）"] = f["inclusive_slots_final"]
        front["末年托位总数（个）"] = f["total_slots_final"]
        front["末年托位缺口（个）"] = f["shortfall_final_slots"]
        out["预算与托位"] = front
    if "fan" in tables:
        f = tables["fan"]
        out["财政资金风险区间"] = pd.DataFrame(
            {
                "年份": f["year"].astype(str).replace({"total": "合计"}),
                "有效抽样数": f["draws"],
                "P10（万元）": f["p10_yuan"] / WAN,
                "P50（万元）": f["p50_yuan"] / WAN,
                "P90（万元）": f["p90_yuan"] / WAN,
                "均值（万元）": f["mean_yuan"] / WAN,
                "最小（万元）": f["min_yuan"] / WAN,
                "最大（万元）": f["max_yuan"] / WAN,
            }
        )
    if "budget_probability" in tables:
        b = tables["budget_probability"]
        out["预算充足概率"] = pd.DataFrame(
            {
                "依据": b["basis"].map(lambda s: "给定预算" if s == "given" else f"{s}（{s[1:]}%的抽样够用）"),
                "预算（万元）": b["budget_yuan"] / WAN,
                "够用的概率（%）": b["probability"] * 100,
            }
        )
    if "sensitivity" in tables and len(tables["sensitivity"]):
        s = tables["sensitivity"]
        t = pd.DataFrame(
            {
                "指标": s["metric"].map(METRIC_ZH),
                "排序": s["rank"],
                "参数": s["factor"].map(lambda n: factor_label(n, labels)),
                "参数名": s["factor"],
            }
        )
        for col, zh in (
            ("mu_star", "μ*（平均绝对效应）"),
            ("mu_star_conf", "μ* 置信区间半宽"),
            ("sigma", "σ（效应的离散程度）"),
            ("S1", "一阶指数 S1"),
            ("S1_conf", "S1 置信区间半宽"),
            ("ST", "总效应指数 ST"),
            ("ST_conf", "ST 置信区间半宽"),
        ):
            if col in s.columns:
                t[zh] = s[col]
        out["敏感性排序"] = t
    if "failed" in tables and len(tables["failed"]):
        fl = tables["failed"]
        out["未求解的点"] = pd.DataFrame(
            {
                "点编号": fl["point_id"],
                "求解状态": fl["status"].map(lambda s: STATUS_ZH.get(s, s)),
                "说明": fl["error"].fillna(""),
            }
        )
    return out


def write_workbook(path: Path, summary: Mapping[str, Any], tables: Mapping[str, pd.DataFrame]) -> Path:
    """Write ``results.xlsx``: a 说明 sheet, then one sheet per table (Chinese, 万元)."""
    people = people_tables(summary, tables)
    labels = _labels()
    about = pd.DataFrame(
        {
            "项目": ["标题", "方案文件", "起始情景", "方法", "点数", "未求解的点数", "随机数种子", "变化的参数"],
            "内容": [
                summary["title"],
                summary["spec_file"],
                summary["scenario"],
                KIND_ZH[summary["kind"]],
                summary["n_points"],
                summary["n_failed"],
                "" if summary.get("seed") is None else str(summary["seed"]),
                "、".join(factor_label(n, labels) for n in summary["factors"]),
            ],
        }
    )
    sheets = [Sheet("说明", about, ("text", "text"))]
    sheets += [Sheet(name, df, _formats(df)) for name, df in people.items()]
    return write_sheets(sheets, path, summary["title"])


# --------------------------------------------------------------------------------------------
# The report's text
# --------------------------------------------------------------------------------------------

SHEET_TEXT = {
    "成本曲线": "沿第一个参数逐点求解的财政资金合计；边际成本为与上一取值相比每提高一个单位（占比目标为每个百分点）"
    "增加的资金；“限制是否变化”标出起约束作用的限制（预算、各渠道容量、转化能力）或未完成目标与上一点不同的位置。",
    "预算与托位": "给定预算下方案能建成的普惠托位和仍有的托位缺口：预算越多，缺口不会增加。",
    "财政资金风险区间": "各年财政资金需求在全部有效抽样中的第10、50、90百分位（P10、P50、P90）。",
    "预算充足概率": "预算不少于方案所需财政资金合计的抽样所占比例；P90 一行即有九成把握够用所需的预算。",
    "敏感性排序": "SALib 计算的敏感性指数，按对财政资金合计的影响从大到小排序；Morris 的 μ* 为参数在其取值范围内"
    "变化一整档所引起的平均绝对变化，σ 大表示效应随其他参数而变（非线性或交互作用）；Sobol 的 S1 为单独解释的方差份额，"
    "ST 含交互作用。",
    "各点结果": "每个点一行：变化的参数取值与主要结果（完整数据见 points.csv 和 results.xlsx）。",
    "未求解的点": "没有得到最优解的点，未从结果中删除。",
}
FIGURE_OF = {"成本曲线": "curve", "预算与托位": "frontier", "财政资金风险区间": "fan", "敏感性排序": "tornado"}
SHOWN_ROWS = 40  # rows of the points table shown in the report (all are in the workbook)


def intro_lines(sweep: Mapping[str, Any]) -> list[str]:
    """Return the report's opening lines: what was varied, how, how many points, how many failed."""
    s = sweep["summary"]
    labels = _labels()
    lines = [f"**{s['title']}**", ""]
    if s.get("description"):
        lines += [s["description"], ""]
    lines.append(f"- 起始情景：{s['scenario']}；方案文件：{s['spec_file']}")
    lines.append(
        f"- 方法：{KIND_ZH[s['kind']]}，共 {s['n_points']:,} 个点"
        + (f"，随机数种子 {s['seed']}" if s.get("seed") is not None else "")
    )
    lines.append("- 变化的参数：" + "、".join(factor_label(n, labels) for n in s["factors"]))
    if s.get("fixed"):
        lines.append(
            "- 所有点共同改变：" + "、".join(f"{factor_label(k, labels)} = {v}" for k, v in s["fixed"].items())
        )
    lines.append(
        f"- 未求解的点：{s['n_failed']} 个" + ("（列在本报告最后和 tables/failed.csv）" if s["n_failed"] else "")
    )
    if "public_cost_total_yuan" in s:
        q = s["public_cost_total_yuan"]
        lines.append(
            f"- 财政资金合计：P10 {q['p10'] / WAN:,.2f} 万元，P50 {q['p50'] / WAN:,.2f} 万元，"
            f"P90 {q['p90'] / WAN:,.2f} 万元"
        )
    if s.get("top_factors"):
        lines.append("- 影响财政资金最大的假设：" + "、".join(factor_label(n, labels) for n in s["top_factors"]))
    lines += [f"- 说明：{n}" for n in s.get("notes", [])]
    return lines


def _text(df: pd.DataFrame) -> pd.DataFrame:
    """Numbers as people read them: thousands separators, two decimals for money and shares."""
    out = df.copy()
    for c in out.columns:
        if pd.api.types.is_float_dtype(out[c]):
            whole = out[c].dropna().eq(out[c].dropna().round()).all() and "万元" not in c
            out[c] = out[c].map(lambda v, w=whole: "" if pd.isna(v) else (f"{v:,.0f}" if w else f"{v:,.2f}"))
    return out.fillna("")


def report_blocks(sweep: Mapping[str, Any]) -> list[tuple[str, str, pd.DataFrame, str | None]]:
    """Return the report's sections: ``(heading, sentence, table as text, figure file or None)``."""
    people = people_tables(sweep["summary"], sweep)
    order = ["成本曲线", "预算与托位", "财政资金风险区间", "预算充足概率", "敏感性排序", "各点结果", "未求解的点"]
    blocks = []
    for name in order:
        if name not in people:
            continue
        table = people[name]
        if name == "各点结果" and len(table) > SHOWN_ROWS:
            table = table.head(SHOWN_ROWS)
        fig = FIGURE_OF.get(name)
        blocks.append((name, SHEET_TEXT[name], _text(table), f"figures/{fig}.png" if fig else None))
    return blocks
