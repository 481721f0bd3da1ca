"""The explorer's page: ipywidgets over an :class:`~tuoyu_model.explore.session.ExploreSession`.

``notebooks/explore.ipynb`` shows :func:`explore_app`; ``tuoyu explore`` serves that notebook with
Voilà. Every control is a text box (typed in the unit shown beside it) with a slider for numbers;
a change re-plans, then shows the headline figures and the sentence of what changed first and the
per-unit chart (HTML bars, drawn by the browser) after them. A refused value shows a
Chinese message beside its control and changes nothing else.

The page's elements carry CSS classes (``tuoyu-control-<key>``, ``tuoyu-headline``, ``tuoyu-save-…``)
so the browser test finds them; the figures inside the headline carry ``id="tuoyu-<key>"``.
"""

from __future__ import annotations

import html
import math
import os
from typing import Any

from tuoyu_model.errors import TuoyuError
from tuoyu_model.explore.session import CHOICE_LABEL_ZH, Control, ExploreSession, headline
from tuoyu_model.paths import display
from tuoyu_model.presentation.vocabulary import CHANNEL_LABEL_ZH

# `tuoyu explore SCENARIO` hands the scenario to the notebook's kernel through this variable
# (Voilà runs the notebook as it is stored; the parameters cell keeps its default otherwise).
SCENARIO_VARIABLE = "TUOYU_EXPLORE_SCENARIO"
SLIDER_STEPS = 200  # positions of a slider between its ends
PAGE_STYLE = """<style>
.tuoyu-headline table {border-collapse: collapse; font-size: 14px}
.tuoyu-headline td, .tuoyu-headline th {padding: 3px 10px; border-bottom: 1px solid #ddd; text-align: right}
.tuoyu-headline th:first-child, .tuoyu-headline td:first-child {text-align: left}
.tuoyu-error {color: #C62828}
.tuoyu-sentence {background: #F3F6FA; padding: 6px 10px; border-left: 4px solid #4C72B0}
</style>"""


def starting_scenario(default: str) -> str:
    """Return the scenario ``tuoyu explore`` asked for, else ``default`` (the parameters cell's)."""
    return os.environ.get(SCENARIO_VARIABLE) or default


def _css_key(key: str) -> str:
    return key.replace(".", "-").replace("_", "-")


def _nice_step(span: float) -> float:
    """Return a step of 1, 2 or 5 × 10^k giving about :data:`SLIDER_STEPS` positions over ``span``."""
    raw = span / SLIDER_STEPS if span > 0 else 1.0
    power = 10 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= raw)


def slider_range(control: Control, start: float | None, need: float | None) -> tuple[float, float, float]:
    """Return a slider's (low, high, step) in shown units: the parameter's bounds, else twice the start.

    A budget's slider runs to twice what the starting plan spends that year (``need``).

    Examples
    --------
    >>> c = Control("fee_cap_share", "fee_cap_share", None, "", "", "%", 100.0, lower=0, upper=1)
    >>> slider_range(c, 0.2, None)
    (0.0, 100.0, 0.5)

    """
    low = (control.lower or 0.0) * control.factor
    ref = need if need is not None else start
    high = control.upper * control.factor if control.upper is not None else 2 * (ref or 0.0) * control.factor
    if high <= low:
        high = low + 1.0
    step = _nice_step(high - low)
    return low, math.ceil(high / step) * step, step


class ExploreApp:
    """The explorer's widgets and what a change does to them.

    Parameters
    ----------
    session : ExploreSession

    """

    def __init__(self, session: ExploreSession) -> None:
        import ipywidgets as w  # optional dependency (the 'explore' extra), heavy to import

        self.w = w
        self.session = session
        self.texts: dict[str, Any] = {}
        self.sliders: dict[str, Any] = {}
        self.messages: dict[str, Any] = {}
        self._quiet = False
        s = session
        self.title = w.HTML(
            PAGE_STYLE + f"<h2>大兴区托育服务规划：情景探索</h2><p>起始情景：<b>{html.escape(s.start.title)}</b>"
            f"（{html.escape(s.start.name)}）。修改左侧任一项后按回车或拖动滑块，右侧即重新测算。</p>"
        )
        self.headline = w.HTML().add_class("tuoyu-headline")
        self.sentence = w.HTML().add_class("tuoyu-sentence")
        self.status = w.HTML().add_class("tuoyu-status")
        self.chart = w.HTML().add_class("tuoyu-chart")
        self.subsidy = w.HTML().add_class("tuoyu-subsidy")
        self.save_name = w.Text(
            placeholder="例如 budget_2025_3000", description="情景名称", continuous_update=False
        ).add_class("tuoyu-save-name")
        self.save_button = w.Button(description="保存为情景", button_style="primary").add_class("tuoyu-save")
        self.save_message = w.HTML().add_class("tuoyu-save-message")
        self.reset_button = w.Button(description="恢复起始情景").add_class("tuoyu-reset")
        self.save_button.on_click(self._save)
        self.reset_button.on_click(self._reset)
        controls = self._controls()
        results = w.VBox(
            [
                w.HTML("<h3>测算结果</h3>"),
                self.headline,
                self.sentence,
                self.status,
                w.HTML("<h3>各属地托位与目标（规划末年）</h3>"),
                self.chart,
                w.HTML("<h3>每个普惠托位每月运营补贴</h3>"),
                self.subsidy,
                w.HTML(
                    "<h3>保存</h3><p>把当前设置保存为情景文件，之后可用 <code>tuoyu run 名称</code> 生成完整报告。</p>"
                ),
                w.HBox([self.save_name, self.save_button]),
                self.save_message,
            ],
            layout=w.Layout(flex="1 1 55%", padding="0 0 0 16px"),
        )
        self.widget = w.VBox(
            [self.title, w.HBox([controls, results], layout=w.Layout(align_items="flex-start"))]
        ).add_class("tuoyu-explore")
        self.show()

    def _controls(self) -> Any:
        w, s = self.w, self.session
        rows, group = [], None
        for key, c in s.controls.items():
            if c.group != group:
                group = c.group
                rows.append(w.HTML(f"<h4>{html.escape(group)}</h4>"))
            value = s.value(key)
            message = w.HTML().add_class("tuoyu-error")
            self.messages[key] = message
            box = f"tuoyu-control-{_css_key(key)}"
            if c.choices or c.free_text:
                if c.choices:
                    options = [(CHOICE_LABEL_ZH.get(o, o), o) for o in c.choices]
                    field = w.Dropdown(options=options, value=value, layout=w.Layout(width="280px"))
                else:
                    field = w.Text(value=str(value), continuous_update=False, layout=w.Layout(width="280px"))
                field.observe(lambda ch, k=key: self._typed(k, ch["new"]), names="value")
                parts = [field]
            else:
                placeholder = "不设上限" if c.nullable else ""
                field = w.Text(
                    value=c.text(value),
                    placeholder=placeholder,
                    continuous_update=False,
                    layout=w.Layout(width="120px"),
                )
                field.observe(lambda ch, k=key: self._typed(k, ch["new"]), names="value")
                need = s.start_plan.public_cost_yuan.get(c.sub) if c.name == "budget" else None
                low, high, step = slider_range(c, value, need)
                start = (value * c.factor) if value is not None else (need or 0.0) * c.factor
                slider = w.FloatSlider(
                    value=min(max(start, low), high),
                    min=low,
                    max=high,
                    step=step,
                    readout=False,
                    continuous_update=False,
                    layout=w.Layout(width="160px"),
                )
                slider.observe(lambda ch, k=key: self._slid(k, ch["new"]), names="value")
                self.sliders[key] = slider
                parts = [field, w.HTML(html.escape(c.unit)), slider]
            self.texts[key] = field
            label = w.HTML(html.escape(c.label), layout=w.Layout(width="230px"))
            rows.append(w.HBox([label, *parts, message]).add_class(box))
        rows.append(self.reset_button)
        return w.VBox(rows, layout=w.Layout(flex="1 1 45%"))

    def _slid(self, key: str, shown: float) -> None:
        if self._quiet:
            return
        c = self.session.controls[key]
        self.texts[key].value = c.text(shown / c.factor)  # the text box's observer re-plans

    def _typed(self, key: str, text: Any) -> None:
        if self._quiet:
            return
        # shown at once: a budget that forces choices can keep the whole-slot solve busy for seconds
        self.status.value = "正在重新测算…（预算不足、需要取舍时，整数托位规划可能需要数秒）"
        message = self.session.set(key, text)
        self.messages[key].value = "" if message is None else f"⚠ {html.escape(message)}"
        if message is None:
            self._sync(key)
            self.show()
        else:
            self.status.value = f"<span class='tuoyu-error'>未重新测算：{html.escape(message)}</span>"

    def _sync(self, key: str) -> None:
        """Move the slider to the value the text box now holds (without a second re-plan)."""
        c, slider = self.session.controls[key], self.sliders.get(key)
        value = self.session.value(key)
        if slider is None or value is None:
            return
        self._quiet = True
        try:
            slider.value = min(max(value * c.factor, slider.min), slider.max)
        finally:
            self._quiet = False

    def _reset(self, _button: Any = None) -> None:
        self.session.reset()
        self._quiet = True
        try:
            for key, c in self.session.controls.items():
                self.texts[key].value = self.session.value(key) if c.choices else c.text(self.session.value(key))
                self.messages[key].value = ""
                self._sync(key)
        finally:
            self._quiet = False
        self.show()

    def show(self) -> None:
        """Show the current plan: numbers and the sentence first, then the chart and the subsidy table."""
        s, plan = self.session, self.session.plan
        self.headline.value = headline_html(plan, s.years)
        self.sentence.value = html.escape(s.sentence())
        done = f"已重新测算（用时{plan.seconds:.2f}秒）"
        self.status.value = f"{done}，正在绘图…"
        self.chart.value = unit_chart_html(plan)
        self.subsidy.value = subsidy_html(plan)
        self.status.value = done

    def _save(self, _button: Any = None) -> None:
        try:
            path = self.session.save(self.save_name.value)
        except TuoyuError as exc:
            self.save_message.value = f"<span class='tuoyu-error'>⚠ {html.escape(str(exc))}</span>"
            return
        name = path.stem
        self.save_message.value = (
            f"已保存为 <code>{html.escape(display(path))}</code>；运行 <code>tuoyu run {html.escape(name)}</code> "
            "可得到完整报告。"
        )


def headline_html(plan: Any, years: list[int]) -> str:
    """Return the headline table: public money, shortfall, inclusive share, fee cap and fee, by year."""
    h = headline(plan)
    last = max(years)

    def cell(key: str) -> str:
        return f"<td id='tuoyu-{key.replace('_', '-')}'>{html.escape(h[key])}</td>"

    head = "".join(f"<th>{y}年</th>" for y in years)
    rows = [
        "<tr><td>财政资金</td>" + "".join(cell(f"public_cost_{y}") for y in years) + "</tr>",
        "<tr><td>年度预算</td>" + "".join(cell(f"budget_{y}") for y in years) + "</tr>",
        "<tr><td>财政资金合计</td>" + f"<td colspan='{len(years)}' id='tuoyu-public-cost-total'>"
        f"{html.escape(h['public_cost_total'])}</td></tr>",
        f"<tr><td>{last}年底目标缺口</td><td colspan='{len(years)}' id='tuoyu-shortfall'>"
        f"{html.escape(h['shortfall'])}</td></tr>",
        "<tr><td>普惠托位占比（年底）</td>" + "".join(cell(f"inclusive_share_{y}") for y in years) + "</tr>",
        "<tr><td>收费上限</td>" + "".join(cell(f"fee_cap_{y}") for y in years) + "</tr>",
        "<tr><td>普惠收费</td>" + "".join(cell(f"fee_{y}") for y in years) + "</tr>",
    ]
    return f"<table><tr><th>指标</th>{head}</tr>{''.join(rows)}</table>"


def subsidy_html(plan: Any) -> str:
    """Operating subsidy per inclusive slot and month by channel and year (元)."""
    h = headline(plan)
    channels = list(dict.fromkeys(plan.subsidy["channel"]))
    head = "".join(f"<th>{y}年（元/托位·月）</th>" for y in plan.years)
    rows = "".join(
        f"<tr><td>{html.escape(CHANNEL_LABEL_ZH.get(c, c))}</td>"
        + "".join(f"<td>{html.escape(h[f'subsidy_{y}_{c}'])}</td>" for y in plan.years)
        + "</tr>"
        for c in channels
    )
    return f"<div class='tuoyu-headline'><table><tr><th>举办渠道</th>{head}</tr>{rows}</table></div>"


def unit_chart_html(plan: Any) -> str:
    """Return the per-unit chart as HTML bars: slots reached against targets at the last year-end.

    The report's chart (:func:`tuoyu_model.figures.plot_targets_by_town`) drawn by the browser:
    for each unit a grey bar for the target and a blue one for the slots reached, a light green
    bar for the inclusive target and a green one for the inclusive slots, the shortfall in red.
    Drawn as HTML it costs milliseconds, so the page is ready for the next change at once.
    """
    year = max(plan.years)
    df = plan.stock[plan.stock["year"] == year]
    top = float(max(df["target_total"].max(), df["total_slots"].max(), 1.0))

    def bar(target: float, reached: float, back: str, front: str) -> str:
        return (
            "<div style='position:relative;height:9px;margin:1px 0'>"
            f"<div style='position:absolute;height:9px;background:{back};width:{100 * target / top:.2f}%'></div>"
            f"<div style='position:absolute;top:2px;height:5px;background:{front};width:{100 * reached / top:.2f}%'>"
            "</div></div>"
        )

    rows = []
    for r in df.itertuples():
        short = float(r.shortfall_total) + float(r.shortfall_inclusive)
        note = f"<span class='tuoyu-error'>缺口{short:,.0f}</span>" if short > 0.5 else ""
        rows.append(
            f"<tr><td style='white-space:nowrap'>{html.escape(str(r.town))}</td><td style='width:420px'>"
            + bar(r.target_total, r.total_slots, "#BBBBBB", "#4C72B0")
            + bar(r.target_inclusive, r.inclusive_slots, "#C8E6C9", "#2E7D32")
            + f"</td><td style='white-space:nowrap'>{r.total_slots:,.0f}/{r.target_total:,.0f}　"
            f"普惠{r.inclusive_slots:,.0f}/{r.target_inclusive:,.0f} {note}</td></tr>"
        )
    legend = (
        "<p style='font-size:12px'>灰色：托位目标，蓝色：托位总数；浅绿：普惠托位目标，绿色：普惠托位；"
        f"右侧为{year}年底托位总数/目标、普惠托位/目标（个）。</p>"
    )
    return f"{legend}<table style='font-size:12px'>{''.join(rows)}</table>"


def explore_app(scenario: str = "baseline") -> Any:
    """Return the explorer's widget for ``scenario`` (or the one ``tuoyu explore`` was given)."""
    return ExploreApp(ExploreSession(starting_scenario(scenario))).widget
