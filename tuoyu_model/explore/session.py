"""One user's explorer: the starting scenario, the values changed so far, the current plan, saving.

An :class:`ExploreSession` starts from a scenario, loads it and the data once, and keeps the
values the user changed (in the parameters' own units). :meth:`ExploreSession.set` turns what was
typed into a control (:mod:`tuoyu_model.explore.controls`) into an override (a Chinese message
when it cannot: text, a negative budget, a value the parameter checks refuse) and re-plans
(:mod:`tuoyu_model.explore.plan`); :meth:`ExploreSession.sentence` says in one Chinese sentence
what changed against the starting scenario, and :meth:`ExploreSession.save` writes the settings as
a scenario file that ``tuoyu run NAME`` runs.
"""

from __future__ import annotations

import concurrent.futures
import re
import shutil
import tempfile
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from tuoyu_model.allocation.inputs import inputs_from_parameters
from tuoyu_model.data import load_targets, load_towns
from tuoyu_model.errors import ScenarioError, TuoyuError
from tuoyu_model.explore.controls import Control, controls_for, overrides_of
from tuoyu_model.explore.plan import Plan, change_sentence, solve_plan
from tuoyu_model.parameters import Parameters, Scenario, apply_overrides, load_scenario
from tuoyu_model.paths import PROJECT_ROOT, data_dir, display
from tuoyu_model.results import plan_years
from tuoyu_model.yaml_reader import dump_yaml

WHERE = "情景探索"  # where an override comes from, in messages and Parameters.overridden
PREVIEW_AFTER_S = 0.2  # s: a whole-slot plan not solved by then is previewed by its linear relaxation


def refusal(control: Control, exc: Exception) -> str:
    """Return the Chinese message shown beside ``control`` for a value the parameter checks or the model refused."""
    msg = str(exc)
    return msg if any("\u4e00" <= ch <= "\u9fff" for ch in msg) else f"{control.label}：该值未被模型接受（{msg}）"


def _deep_merge(base: Mapping[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for k, v in extra.items():
        old = out.get(k)
        out[k] = _deep_merge(old, v) if isinstance(old, Mapping) and isinstance(v, Mapping) else v
    return out


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
        self.generation = 0  # of the current settings (one more at each change)
        self._ticket = 0  # of the latest whole-slot plan asked for
        self._lock = threading.Lock()
        # one thread: the whole-slot plans one after the other, a superseded one skipped unsolved
        self._solver = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="tuoyu-explore")

    def value(self, key: str) -> Any:
        """Return the current value of control ``key`` (parameter units)."""
        return self.controls[key].read(self.params)

    def changes(self) -> list[tuple[Control, Any, Any]]:
        """``(control, value at the start, value now)`` of every control that differs from the start."""
        return [(c, c.read(self.start.parameters), v) for c, v in self.values.items()]

    def _with(self, control: Control, text: Any) -> tuple[dict[Control, Any], Parameters]:
        """Return the values changed and the parameters once ``control`` is set from ``text`` (raises TuoyuError)."""
        value = control.parse(text)
        values = dict(self.values)
        if value == control.read(self.start.parameters):
            values.pop(control, None)
        else:
            values[control] = value
        params = (
            apply_overrides(self.start.parameters, overrides_of(values), WHERE) if values else self.start.parameters
        )
        return values, params

    def _plan(self, values: Mapping[Control, Any], params: Parameters, whole_slots: bool = True) -> Plan:
        changed = {c.name for c in values}
        return solve_plan(params, self.targets, self.towns, self.start_inputs, changed, whole_slots)

    def _adopt(self, values: dict[Control, Any], params: Parameters, plan: Plan) -> int:
        """Make ``values`` the current settings and return their generation (older settings' plan is dropped)."""
        with self._lock:
            self.generation += 1
            self.values, self.params, self.plan = values, params, plan
            return self.generation

    def set(self, key: str, text: Any) -> str | None:
        """Set control ``key`` from what was typed and re-plan (the whole-slot plan); a Chinese message if refused.

        A refused value leaves the settings and the plan as they were.
        """
        control = self.controls[key]
        try:
            values, params = self._with(control, text)
            plan = self._plan(values, params)
        except TuoyuError as exc:
            return refusal(control, exc)
        self._adopt(values, params, plan)
        return None

    def change(self, key: str, text: Any, on_final: Callable[[str | None], None] | None = None) -> str | None:
        """Set control ``key`` as :meth:`set` does, without waiting seconds for the whole-slot plan.

        The whole-slot plan is solved in a background thread. When it is ready within
        :data:`PREVIEW_AFTER_S` it becomes :attr:`plan` at once; otherwise :attr:`plan` is the
        linear relaxation (``plan.preview``: the page shows it as 连续近似), and the whole-slot plan
        replaces it when solved — then ``on_final(None)`` is called from that thread, or
        ``on_final(message)`` if it failed. A later change, :meth:`set` or :meth:`reset` drops a
        pending whole-slot plan: only the latest settings' plan is ever shown.
        """
        control = self.controls[key]
        try:
            values, params = self._with(control, text)
        except TuoyuError as exc:
            return refusal(control, exc)
        with self._lock:
            ticket = self._ticket = self._ticket + 1
        job = self._solver.submit(self._latest_plan, ticket, values, params)
        try:
            plan = job.result(timeout=PREVIEW_AFTER_S)
        except concurrent.futures.TimeoutError:
            plan = None
        except TuoyuError as exc:
            return refusal(control, exc)
        if plan is None:
            try:
                plan = self._plan(values, params, whole_slots=False)
            except TuoyuError as exc:
                with self._lock:
                    self._ticket += 1  # the whole-slot plan of refused settings is never shown
                return refusal(control, exc)
        generation = self._adopt(values, params, plan)
        if plan.preview:
            job.add_done_callback(lambda done: self._final(done, generation, control, on_final))
        return None

    def _latest_plan(self, ticket: int, values: dict[Control, Any], params: Parameters) -> Plan | None:
        """Solve the whole-slot plan in the background thread; ``None`` when newer settings came first (not solved)."""
        if ticket != self._ticket:
            return None
        return self._plan(values, params)

    def _final(self, done: concurrent.futures.Future, generation: int, control: Control, on_final: Any) -> None:
        """Replace the preview by the whole-slot plan if the settings are still those it was solved for."""
        message = None
        try:
            plan = done.result()
        except TuoyuError as exc:
            plan, message = None, refusal(control, exc)
        except Exception as exc:  # noqa: BLE001 - shown on the page, never lost in a thread
            plan, message = None, f"整数托位规划未能求解（{type(exc).__name__}: {exc}）；显示的仍是连续近似"
        with self._lock:
            current = generation == self.generation
            if current and plan is not None:
                self.plan = plan
        if current and (plan is not None or message) and on_final is not None:
            on_final(message)

    def wait(self, timeout: float | None = None) -> None:
        """Wait until the background whole-slot plan (if any) is solved (tests, the benchmark)."""
        self._solver.submit(lambda: None).result(timeout=timeout)

    def reset(self) -> None:
        """Go back to the starting scenario."""
        self._adopt({}, self.start.parameters, self.start_plan)

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
