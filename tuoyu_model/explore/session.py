"""The explorer's logic, without widgets: controls, overrides, the fast re-plan, what people read.

An :class:`ExploreSession` starts from a scenario, loads it and the data once, and keeps the
values the user changed (in the parameters' own units). :meth:`ExploreSession.set` turns what was
typed into a control into an override (a Chinese message when it cannot: text, a negative budget,
a value the parameter checks refuse) and re-plans; :func:`headline` gives the figures as the report
formats them, :func:`change_sentence` says in one Chinese sentence what changed against the
starting scenario, and :meth:`ExploreSession.save` writes the settings as a scenario file that
``tuoyu run NAME`` runs.

The re-plan (:func:`solve_plan`) solves the same allocation model as ``tuoyu run`` — same inputs,
same whole-slot program, same budget rule — but skips what only the full report needs (the linear
relaxation for shadow prices, ranging, the sentences and the other tables), so a change shows in a
fraction of a second; ``tests/test_explore.py`` checks its public money and shortfall against
:func:`tuoyu_model.model.run_model`.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import re
import shutil
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from tuoyu_model import pricing
from tuoyu_model.allocation.build import create_model
from tuoyu_model.allocation.inputs import AllocationInputs, _budget_by_year, _year_value, inputs_from_parameters
from tuoyu_model.allocation.read import money_table, stock_table
from tuoyu_model.allocation.shortfall import final_shortfall
from tuoyu_model.allocation.solve import solve_model, solve_staged_plan, year_spending
from tuoyu_model.allocation.solver import resolve_solver
from tuoyu_model.data import load_targets, load_towns
from tuoyu_model.errors import ScenarioError, TuoyuError
from tuoyu_model.parameters import Parameters, Scenario, apply_overrides, load_scenario
from tuoyu_model.paths import PROJECT_ROOT, data_dir, display
from tuoyu_model.presentation.tables import people_number
from tuoyu_model.presentation.vocabulary import CHANNEL_LABEL_ZH, VALUE_LABELS, WAN, unit_zh
from tuoyu_model.results import plan_years
from tuoyu_model.yaml_reader import dump_yaml

WHERE = "情景探索"  # where an override comes from, in messages and Parameters.overridden

# The parameters the explorer offers, in display order, under their group heading. A name the
# parameter files do not define is left out, so a control appears once its parameter exists
# (the rationing rule of issue 10, for one). Yearly budgets by source (``budget_*`` in yuan per
# year, indexed by year) join the budget group by themselves.
CONTROL_PARAMETERS: tuple[tuple[str, str], ...] = (
    ("budget", "财政预算"),
    ("inclusive_share_target", "普惠托位占比目标"),
    ("fee_cap_share", "收费"),
    ("inclusive_fee_share_of_cap", "收费"),
    ("income_area", "收入与家庭"),  # issue 11: whose income sets the cap
    ("district_income_ratio", "收入与家庭"),
    ("household_size", "收入与家庭"),
    ("occupancy_rate", "运营"),
    ("caregiver_wage", "运营"),
    ("capital_cost", "建设成本"),
    ("rationing_rule", "缺口分配"),  # issue 10: who is short when money cannot meet every target
    ("requirement_priority", "缺口分配"),  # issue 10: which requirement is met first
)
# Chinese names of the choices a choice control offers (a choice not listed shows as it is).
CHOICE_LABEL_ZH: dict[str, str] = {
    "equity": "公平优先（各属地缺口占目标的比例尽量小）",
    "least_cost": "成本最低",
    "daxing": "大兴区本区收入",
    "beijing": "北京市收入",
}
# How a unit is typed and shown: (unit shown, factor: shown = value × factor); others as unit_zh.
SHOWN_UNITS: dict[str, tuple[str, float]] = {"yuan per year": ("万元", 1 / WAN), "share": ("%", 100.0)}
SHOWN_DIGITS = 4  # decimals a control's text keeps (1 yuan of a 万元 figure, 0.0001 point of a share)


@dataclass(frozen=True)
class Control:
    """One value the user can change: a parameter, or one year's or one channel's entry of it.

    Attributes
    ----------
    key : str
        Dotted name as ``--set`` takes it (``budget.2025``, ``capital_cost.community``).
    name : str
        The parameter.
    sub : int or str or None
        The year or channel within the parameter's value, ``None`` for a single value.
    label, group, unit : str
        Chinese label, group heading and the unit values are typed in (万元, %, 元/月 …).
    factor : float
        Shown value = parameter value × factor (1e-4 for yuan → 万元, 100 for a share → %).
    nullable : bool
        An empty entry means "not set" (a budget without limit).
    lower, upper : float or None
        Bounds in the parameter's units (its ``min``/``max``).
    integer : bool
        The parameter takes whole numbers only.
    choices : tuple of str
        The allowed texts of a choice parameter (then the control is a list, not a number).
    example : any
        The shipped value, quoted as an example when what was typed is not a number.
    free_text : bool
        A text parameter without a list of choices (an order such as ``a > b``): passed to the
        parameter checks as typed.

    """

    key: str
    name: str
    sub: int | str | None
    label: str
    group: str
    unit: str
    factor: float = 1.0
    nullable: bool = False
    lower: float | None = None
    upper: float | None = None
    integer: bool = False
    choices: tuple[str, ...] = ()
    example: Any = None
    free_text: bool = False

    def read(self, params: Mapping) -> Any:
        """Return this control's value in ``params`` (parameter units; ``None`` when not set)."""
        value = params[self.name]
        return value if self.sub is None else value.get(self.sub)

    def text(self, value: Any) -> str:
        """Return ``value`` (parameter units) as the control shows it: shown units, thousands separators.

        Examples
        --------
        >>> c = Control("budget.2025", "budget", 2025, "2025年预算", "财政预算", "万元", 1e-4, nullable=True)
        >>> c.text(30_000_000), c.text(None), c.text(27_274_321.52)
        ('3,000', '', '2,727.4322')

        """
        if value is None:
            return ""
        if self.choices or self.free_text:
            return str(value)
        shown = round(float(value) * self.factor, SHOWN_DIGITS)
        return f"{shown:,.{SHOWN_DIGITS}f}".rstrip("0").rstrip(".")

    def said(self, value: Any) -> str:
        """Return ``value`` as a sentence says it: with its unit, a choice's Chinese name, 不设上限.

        Examples
        --------
        >>> Control("budget.2025", "budget", 2025, "", "", "万元", 1e-4, nullable=True).said(3e7)
        '3,000万元'
        >>> Control("income_area", "income_area", None, "", "", "选项", choices=("daxing", "beijing")).said("beijing")
        '北京市收入'

        """
        if value is None:
            return "不设上限"
        if self.choices:
            return CHOICE_LABEL_ZH.get(str(value), str(value))
        if self.free_text:
            return f"“{value}”"
        return f"{self.text(value)}{self.unit}"

    def parse(self, text: Any) -> Any:
        """Turn what was typed into a parameter value; a Chinese message when it cannot be one.

        Raises
        ------
        ScenarioError
            Not a number, empty where a value is needed, outside the parameter's bounds, or not a
            whole number where one is needed; the message says what to type.

        Examples
        --------
        >>> c = Control("budget.2025", "budget", 2025, "2025年预算", "财政预算", "万元", 1e-4, True, 0.0)
        >>> c.parse("3,000"), c.parse(" "), c.parse("2500万元")
        (30000000.0, None, 25000000.0)
        >>> c.parse("-5")
        Traceback (most recent call last):
        ...
        tuoyu_model.errors.ScenarioError: 2025年预算不能小于0万元，请重新填写
        >>> c.parse("很多")
        Traceback (most recent call last):
        ...
        tuoyu_model.errors.ScenarioError: “很多”不是数字：2025年预算请填写以万元计的数字，例如3,000

        """
        raw = "" if text is None else str(text).strip()
        if self.choices:
            if raw not in self.choices:
                raise ScenarioError(f"{self.label}请从以下选项中选择：{'、'.join(self.choices)}")
            return raw
        if self.free_text:
            if not raw:
                raise ScenarioError(f"{self.label}不能为空，例如{self.example}")
            return raw
        clean = raw.replace(",", "").replace("，", "").removesuffix(self.unit).strip()
        if not clean:
            if self.nullable:
                return None
            raise ScenarioError(f"{self.label}不能为空，请填写以{self.unit}计的数字")
        try:
            shown = float(clean)
        except ValueError:
            shown = math.nan
        if not math.isfinite(shown):
            example = self.text(self.example) or "3,000"
            raise ScenarioError(f"“{raw}”不是数字：{self.label}请填写以{self.unit}计的数字，例如{example}")
        value = shown / self.factor
        if self.lower is not None and value < self.lower - 1e-12:
            raise ScenarioError(f"{self.label}不能小于{self.text(self.lower) or 0}{self.unit}，请重新填写")
        if self.upper is not None and value > self.upper + 1e-12:
            raise ScenarioError(f"{self.label}不能大于{self.text(self.upper)}{self.unit}，请重新填写")
        if self.integer:
            if abs(value - round(value)) > 1e-9:
                raise ScenarioError(f"{self.label}须为整数，请重新填写")
            return int(round(value))
        return value


def _control(name: str, sub: Any, meta: Mapping, group: str) -> Control:
    label = str(meta["label"]["zh"])
    if isinstance(sub, int):
        label = f"{sub}年{label}"
    elif sub is not None:
        names = {**CHANNEL_LABEL_ZH, **VALUE_LABELS.get(str(meta.get("index")), {})}
        label = f"{label}（{names.get(str(sub), str(sub))}）"
    unit, factor = SHOWN_UNITS.get(str(meta["unit"]), (str(unit_zh(meta["unit"])), 1.0))
    return Control(
        key=name if sub is None else f"{name}.{sub}",
        name=name,
        sub=sub,
        label=label,
        group=group,
        unit=unit,
        factor=factor,
        nullable=bool(meta.get("nullable", False)),
        lower=meta.get("min"),
        upper=meta.get("max"),
        integer=meta.get("type") == "integer",
        choices=tuple(meta.get("choices", ())) if meta.get("type") == "text" else (),
        free_text=meta.get("type") == "text" and not meta.get("choices"),
        example=meta["value"] if sub is None or not isinstance(meta["value"], Mapping) else meta["value"].get(sub),
    )


def controls_for(params: Parameters, years: Sequence[int]) -> list[Control]:
    """Return the explorer's controls for ``params``: one per single value, per plan year, per channel.

    Examples
    --------
    >>> p = load_scenario("baseline").parameters
    >>> [c.key for c in controls_for(p, [2024, 2025])][:4]
    ['budget.2024', 'budget.2025', 'inclusive_share_target.2024', 'inclusive_share_target.2025']

    """
    by_source = [
        (n, "财政预算")
        for n, m in params.meta.items()
        if n.startswith("budget_") and m.get("index") == "year" and m.get("unit") == "yuan per year"
    ]
    wanted = [CONTROL_PARAMETERS[0], *by_source, *CONTROL_PARAMETERS[1:]]
    out = []
    for name, group in wanted:
        if name not in params.meta:
            continue
        meta, value = params.meta[name], params[name]
        if isinstance(value, Mapping):
            subs = [y for y in years if meta.get("index") == "year"] or list(value)
            if meta.get("index") == "income_measure" and params.data.get("income_measure") in value:
                subs = [params["income_measure"]]  # only the measure in use moves the answer
            out.extend(_control(name, sub, meta, group) for sub in subs)
        else:
            out.append(_control(name, None, meta, group))
    return out


def overrides_of(values: Mapping[Control, Any]) -> dict[str, Any]:
    """Return controls' values as scenario overrides: ``{name: value}`` or ``{name: {sub: value}}``.

    Examples
    --------
    >>> b = Control("budget.2025", "budget", 2025, "", "", "万元")
    >>> overrides_of({b: 3e7, Control("household_size", "household_size", None, "", "", "人"): 3})
    {'budget': {2025: 30000000.0}, 'household_size': 3}

    """
    out: dict[str, Any] = {}
    for c, v in values.items():
        if c.sub is None:
            out[c.name] = v
        else:
            out.setdefault(c.name, {})[c.sub] = v
    return out


def _deep_merge(base: Mapping[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for k, v in extra.items():
        old = out.get(k)
        out[k] = _deep_merge(old, v) if isinstance(old, Mapping) and isinstance(v, Mapping) else v
    return out


@dataclass
class Plan:
    """The numbers one re-plan shows.

    Attributes
    ----------
    years : list of int
    public_cost_yuan : dict of int to float
        Public money by year (capital, conversions, operating subsidies), as ``budget.csv`` adds up.
    budget_yuan : dict of int to float or None
        The budget each year's plan had to keep to (``None`` = no limit).
    shortfall_final_slots : float
        Slots missing at the last year-end, each counted once (as ``summary.json``).
    inclusive_share, share_target : dict of int to float
        District inclusive share at each year-end, and its target.
    fee_cap_yuan, fee_yuan : dict of int to float
        Fee cap and the inclusive fee charged, per child per month.
    subsidy : DataFrame
        ``year, channel, subsidy_per_slot_month_yuan``: operating subsidy per inclusive slot.
    read_stock : callable
        Returns :attr:`stock`: per unit and year: ``town_id, town, year, total_slots, inclusive_slots, target_total,
        target_inclusive, shortfall_total, shortfall_inclusive`` …
    seconds : float
        Time the re-plan took.

    """

    years: list[int]
    public_cost_yuan: dict[int, float]
    budget_yuan: dict[int, float | None]
    shortfall_final_slots: float
    inclusive_share: dict[int, float]
    share_target: dict[int, float]
    fee_cap_yuan: dict[int, float]
    fee_yuan: dict[int, float]
    subsidy: pd.DataFrame
    read_stock: Callable[[], pd.DataFrame]
    seconds: float = 0.0

    @functools.cached_property
    def stock(self) -> pd.DataFrame:
        """Per unit and year: slots, targets and shortfalls (read on first use: the chart comes after the numbers)."""
        return self.read_stock()

    @property
    def public_cost_total_yuan(self) -> float:
        """Public money over all plan years (yuan)."""
        return float(sum(self.public_cost_yuan.values()))


# Controls whose parameters reach the allocation inputs through one field each: a change to them
# replaces that field of the starting inputs instead of rebuilding every table (capacities,
# targets, units). Any other control rebuilds the inputs in full. tests/test_explore.py changes
# every control and compares the result with allocation.inputs_from_parameters, field by field.
BUDGET_FIELDS = ("budget", "inclusive_share_target")
SUBSIDY_PARAMETERS = (
    "fee_cap_share",
    "inclusive_fee_share_of_cap",
    "district_income_ratio",
    "household_size",
    "occupancy_rate",
    "caregiver_wage",
)


def plan_inputs(
    params: Parameters,
    start: AllocationInputs,
    changed: set[str],
    targets: pd.DataFrame,
    towns: pd.DataFrame,
) -> tuple[AllocationInputs, pd.DataFrame]:
    """Allocation inputs for ``params`` from the starting inputs, and the operating subsidy table.

    ``changed`` names the parameters that differ from the start; only the fields they feed are
    recomputed when they are all in :data:`BUDGET_FIELDS` or :data:`SUBSIDY_PARAMETERS`.
    """
    years = list(start.years)
    subsidy = pricing.operating_subsidy_table(params, years)
    if not changed <= set(BUDGET_FIELDS) | set(SUBSIDY_PARAMETERS):
        return inputs_from_parameters(params, targets, towns), subsidy
    fields: dict[str, Any] = {
        "budget": _budget_by_year(params, years),
        "share_target": {y: float(_year_value(params, "inclusive_share_target", y)) for y in years},
    }
    if changed & set(SUBSIDY_PARAMETERS):
        fields["operating_subsidy"] = subsidy[["year", "channel", "subsidy_per_slot_year_yuan"]].copy()
    return dataclasses.replace(start, **fields), subsidy


def solve_plan(
    params: Parameters,
    targets: pd.DataFrame,
    towns: pd.DataFrame,
    start: AllocationInputs | None = None,
    changed: set[str] | None = None,
) -> Plan:
    """Plan ``params`` as ``tuoyu run`` does, reading only the explorer's numbers.

    Parameters
    ----------
    params : Parameters
    targets, towns : DataFrame
        The data, loaded once.
    start : AllocationInputs, optional
        The starting scenario's inputs, reused for what ``changed`` does not touch.
    changed : set of str, optional
        Parameters that differ from the start (with ``start``).

    Raises
    ------
    SolverError
        The allocation was not solved to optimality.
    ScenarioError, DataError
        Parameters the model refuses (e.g. a set price above the cap).

    """
    t0 = time.perf_counter()
    years = plan_years(params)
    if start is None:
        inputs = inputs_from_parameters(params, targets, towns)
        subsidy = pricing.operating_subsidy_table(params, years)
    else:
        inputs, subsidy = plan_inputs(params, start, changed or set(), targets, towns)
    solver, _ = resolve_solver(inputs.solver)
    budget = dict(inputs.budget)
    if inputs.budget_share_of_need != 1 and any(budget.get(y) is None for y in inputs.years):
        # the same rule as allocation.solve: a share of what the plan without budget spends
        free = solve_model(create_model(inputs, {y: None for y in inputs.years}), solver)
        need = year_spending(free)
        budget = {y: inputs.budget_share_of_need * need[y] if budget.get(y) is None else budget[y] for y in years}
    solved = solve_staged_plan(inputs, budget, solver)[0]  # the plan tuoyu run gives (priority stages)
    model = solved.model
    money = money_table(model, solved.x, solved.v)
    cost = money.groupby("year")["amount_yuan"].sum()
    sums = _district_slots(model, solved.x, solved.v, years)
    return Plan(
        years=years,
        public_cost_yuan={y: float(cost.get(y, 0.0)) for y in years},
        budget_yuan={y: budget.get(y) for y in years},
        shortfall_final_slots=float(final_shortfall(inputs, solved.short)),
        inclusive_share={
            y: float(sums.at[y, "inclusive_slots"] / sums.at[y, "total_slots"]) if sums.at[y, "total_slots"] else 0.0
            for y in years
        },
        share_target={y: float(inputs.share_target.get(y, 0.0)) for y in years},
        fee_cap_yuan={y: pricing.fee_cap(params, y) for y in years},
        fee_yuan={y: pricing.inclusive_fee(params, y) for y in years},
        subsidy=subsidy[["year", "channel", "subsidy_per_slot_month_yuan"]].reset_index(drop=True),
        read_stock=lambda: stock_table(model, solved.x, solved.v, solved.short),
        seconds=time.perf_counter() - t0,
    )


def _district_slots(model: Any, x: np.ndarray, v: np.ndarray, years: list[int]) -> pd.DataFrame:
    """District total and inclusive slots at each year-end (what ``stock.csv`` adds up to)."""
    units, xm = model.inputs.units, model.x_meta
    new = x * xm["scale"].to_numpy()
    year, incl = xm["year"].to_numpy(), (xm["kind"] == "inclusive").to_numpy()
    vy = model.v_meta["year"].to_numpy()
    rows = {
        y: {
            "total_slots": float(units["initial_total"].sum()) + float(new[year <= y].sum()),
            "inclusive_slots": float(units["initial_inclusive"].sum())
            + float(new[(year <= y) & incl].sum())
            + float(v[vy <= y].sum()),
        }
        for y in years
    }
    return pd.DataFrame.from_dict(rows, orient="index")


def _wan(yuan: float | None) -> str:
    return "不设上限" if yuan is None else f"{people_number(yuan / WAN, '万元')}万元"


def headline(plan: Plan) -> dict[str, str]:
    """Return the headline figures as the report formats them, keyed for the page.

    Keys: ``public_cost_<year>``, ``budget_<year>`` (the limit the plan kept to),
    ``public_cost_total``, ``shortfall``, ``inclusive_share_<year>``, ``fee_cap_<year>``,
    ``fee_<year>``, ``subsidy_<year>_<channel>``.
    """
    out = {f"public_cost_{y}": _wan(plan.public_cost_yuan[y]) for y in plan.years}
    out |= {f"budget_{y}": _wan(plan.budget_yuan[y]) for y in plan.years}
    out["public_cost_total"] = _wan(plan.public_cost_total_yuan)
    out["shortfall"] = f"{people_number(plan.shortfall_final_slots, '个')}个"
    for y in plan.years:
        share, target = plan.inclusive_share[y] * 100, plan.share_target[y] * 100
        out[f"inclusive_share_{y}"] = f"{people_number(share, '%')}%（目标{people_number(target, '%')}%）"
        out[f"fee_cap_{y}"] = f"{people_number(plan.fee_cap_yuan[y], '元')}元/人·月"
        out[f"fee_{y}"] = f"{people_number(plan.fee_yuan[y], '元')}元/人·月"
    for r in plan.subsidy.itertuples():
        out[f"subsidy_{r.year}_{r.channel}"] = f"{people_number(r.subsidy_per_slot_month_yuan, '元')}元"
    return out


def _difference(before: float, after: float, unit_text: str, fmt: Any) -> str:
    if abs(after - before) < 0.005:
        return f"不变（{fmt(after)}）"
    more = "增加" if after > before else "减少"
    return f"由{fmt(before)}变为{fmt(after)}（{more}{unit_text.format(fmt(abs(after - before)))}）"


def change_sentence(start: Plan, plan: Plan, changes: Sequence[tuple[Control, Any, Any]], start_title: str) -> str:
    """Say in Chinese what was changed against the starting scenario and what that does to the plan.

    ``changes`` holds ``(control, value at the start, value now)`` in parameter units.
    """
    if not changes:
        return f"当前设置与起始情景“{start_title}”相同。"
    said = "，".join(f"{c.label}由{c.said(old)}改为{c.said(new)}" for c, old, new in changes)
    last = max(plan.years)

    def wan(yuan: float) -> str:
        return _wan(yuan)

    def slots(n: float) -> str:
        return f"{people_number(n, '个')}个"

    def pct(s: float) -> str:
        return f"{people_number(s * 100, '%')}%"

    money = _difference(start.public_cost_total_yuan, plan.public_cost_total_yuan, "{}", wan)
    short = _difference(start.shortfall_final_slots, plan.shortfall_final_slots, "{}", slots)
    share = _difference(start.inclusive_share[last], plan.inclusive_share[last], "{}", pct)
    return (
        f"与起始情景“{start_title}”相比：{said}。财政资金合计{money}；{last}年底目标缺口{short}；"
        f"{last}年底普惠托位占比{share}。"
    )


def shipped_scenarios() -> list[str]:
    """Names of the scenarios the project ships (``data/scenarios/`` of the repository)."""
    return sorted(f.stem for f in (PROJECT_ROOT / "data" / "scenarios").glob("*.yaml"))


SCENARIO_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")


class ExploreSession:
    """One user's explorer: a starting scenario, the values changed so far, the current plan.

    Parameters
    ----------
    scenario : str, default "baseline"
        A name in ``data/scenarios/`` or a path to a scenario file.

    Examples
    --------
    >>> s = ExploreSession("baseline")
    >>> s.set("budget.2025", "abc")
    '“abc”不是数字：2025年年度财政预算请填写以万元计的数字，例如3,000'
    >>> s.set("budget.2025", "1000") is None, s.plan.shortfall_final_slots > 0
    (True, True)

    """

    def __init__(self, scenario: str = "baseline") -> None:
        self.start: Scenario = load_scenario(scenario)
        self.targets = load_targets()
        self.towns = load_towns(targets=self.targets)
        self.years = plan_years(self.start.parameters)
        self.controls = {c.key: c for c in controls_for(self.start.parameters, self.years)}
        self.values: dict[Control, Any] = {}
        self.params = self.start.parameters
        self.start_inputs = inputs_from_parameters(self.params, self.targets, self.towns)
        self.start_plan = solve_plan(self.params, self.targets, self.towns, self.start_inputs, set())
        self.plan = self.start_plan

    def value(self, key: str) -> Any:
        """Return the current value of control ``key`` (parameter units)."""
        return self.controls[key].read(self.params)

    def changes(self) -> list[tuple[Control, Any, Any]]:
        """``(control, value at the start, value now)`` of every control that differs from the start."""
        return [(c, c.read(self.start.parameters), v) for c, v in self.values.items()]

    def set(self, key: str, text: Any) -> str | None:
        """Set control ``key`` from what was typed and re-plan; return a Chinese message if refused.

        A refused value leaves the settings and the plan as they were.
        """
        control = self.controls[key]
        try:
            value = control.parse(text)
            values = dict(self.values)
            if value == control.read(self.start.parameters):
                values.pop(control, None)
            else:
                values[control] = value
            params = (
                apply_overrides(self.start.parameters, overrides_of(values), WHERE) if values else self.start.parameters
            )
            changed = {c.name for c in values}
            plan = solve_plan(params, self.targets, self.towns, self.start_inputs, changed)
        except TuoyuError as exc:
            msg = str(exc)
            return (
                msg if any("\u4e00" <= ch <= "\u9fff" for ch in msg) else f"{control.label}：该值未被模型接受（{msg}）"
            )
        self.values, self.params, self.plan = values, params, plan
        return None

    def reset(self) -> None:
        """Go back to the starting scenario."""
        self.values, self.params, self.plan = {}, self.start.parameters, self.start_plan

    def sentence(self) -> str:
        """Say what changed against the starting scenario, in one Chinese sentence."""
        return change_sentence(self.start_plan, self.plan, self.changes(), self.start.title)

    def scenario_content(self, name: str) -> dict[str, Any]:
        """Return the scenario file for the current settings (the start's overrides plus the changes)."""
        overrides = _deep_merge(self.start.overrides, overrides_of(self.values))
        return {
            "title": f"情景探索保存：{name}（以“{self.start.title}”为起点）",
            "title_en": f"Saved from the explorer: {name}",
            "description": self.sentence(),
            "not_modelled": list(self.start.not_modelled),
            "overrides": _plain(overrides),
        }

    def save(self, name: str) -> Path:
        """Write the current settings as ``data/scenarios/<name>.yaml``, validated; never over a file.

        Raises
        ------
        ScenarioError
            A name that is empty, not letters/digits/``_``/``-``, a shipped scenario's, or an
            existing file's (the message, in Chinese, says to choose another).

        """
        name = str(name or "").strip()
        if not SCENARIO_NAME.fullmatch(name):
            raise ScenarioError(
                f"情景名称“{name}”不可用：请用字母、数字、下划线或连字符，以字母或数字开头，例如 budget_2025_3000"
            )
        if name in shipped_scenarios():
            raise ScenarioError(f"“{name}”是随模型发布的情景，不能覆盖；请换一个名称")
        folder = data_dir() / "scenarios"
        final = folder / f"{name}.yaml"
        if final.exists():
            raise ScenarioError(f"已有同名情景文件 {display(final)}，为免覆盖请换一个名称")
        text = dump_yaml(self.scenario_content(name))
        scratch = Path(tempfile.mkdtemp(prefix=".explore-", dir=folder))
        try:
            draft = scratch / final.name
            draft.write_text(text, encoding="utf-8")
            load_scenario(str(draft))  # validated like any other scenario file
            with open(final, "x", encoding="utf-8") as f:  # "x": never over a file that appeared meanwhile
                f.write(text)
        except FileExistsError:
            raise ScenarioError(f"已有同名情景文件 {display(final)}，为免覆盖请换一个名称") from None
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        return final


def _plain(value: Any) -> Any:
    """Floats that are whole numbers as int, for a scenario file people read (3000万元 → 30000000)."""
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value
