"""The explorer's controls: which parameters it offers, how a typed value becomes a parameter value.

:func:`controls_for` lists one :class:`Control` per single value, per plan year and per channel
of the parameters in :data:`CONTROL_PARAMETERS`, labelled and bounded from the parameter files'
metadata; :meth:`Control.parse` turns what was typed (in the unit shown: 万元, %, 元/月 …) into
a parameter value or a Chinese message; :func:`overrides_of` turns the values changed into
overrides as a scenario file holds them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tuoyu_model.errors import ScenarioError
from tuoyu_model.parameters import Parameters
from tuoyu_model.presentation.vocabulary import CHANNEL_LABEL_ZH, VALUE_LABELS, WAN
from tuoyu_model.units import unit_zh

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
    >>> from tuoyu_model.parameters import load_scenario
    >>> p = load_scenario("baseline").parameters
    >>> [c.key for c in controls_for(p, [2024, 2025])][:5]
    ['budget.2024', 'budget.2025', 'budget_city.2024', 'budget_city.2025', 'budget_district.2024']

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
