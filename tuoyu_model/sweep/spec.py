"""A sweep spec: a YAML file saying which points to solve, safe-loaded and strictly checked.

Three kinds, exactly one per spec::

    title: 2025年普惠占比目标的成本曲线
    scenario: baseline                  # every point starts from this scenario
    grid:                               # every combination; names as in --set
      inclusive_share_target.2025: [0.50, 0.55, 0.60, 0.65, 0.70]

    title: 财政资金需求的不确定性
    draws: 1000                         # Monte Carlo over every parameter with an uncertainty
    seed: 20241201

    title: 哪些假设影响结果
    sensitivity: morris                 # or sobol
    trajectories: 20                    # morris (samples: N for sobol)
    seed: 7

Optional: ``description``; ``fixed`` (``{name: value}`` applied to every point, like ``--set``);
``parameters`` (the uncertain parameters to vary, default all); ``distributions`` (``{name:
distribution}`` added to or replacing those of the parameter files); ``levels`` (Morris grid
levels, default 4); ``budgets_wan`` (budgets, in 万元, whose probability of sufficing is
reported). Every mistake is one line naming the file, the field and the fix.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tuoyu_model.errors import ScenarioError, TuoyuError
from tuoyu_model.parameter_schema import check_distribution, uncertain_factors
from tuoyu_model.parameters import Parameters, apply_overrides, load_scenario
from tuoyu_model.paths import display
from tuoyu_model.sweep.evaluate import merge_overrides
from tuoyu_model.yaml_reader import read_yaml

KINDS = ("grid", "draws", "sensitivity")
METHODS = ("morris", "sobol")
KEYS = (
    "title",
    "description",
    "scenario",
    "fixed",
    *KINDS,
    "seed",
    "trajectories",
    "samples",
    "levels",
    "parameters",
    "distributions",
    "budgets_wan",
)
# Upper limit on the points of one sweep: a typo such as 1e9 draws or a 40-value × 6-axis grid
# would otherwise run for days before anyone noticed.
MAX_POINTS = 200_000
DEFAULTS = {"trajectories": 10, "samples": 64, "levels": 4}


class SpecError(ScenarioError):
    """A sweep spec is wrong; the message names the file, the field and the fix."""


@dataclass
class SweepSpec:
    """A checked sweep spec.

    Attributes
    ----------
    name : str
        The file's stem: the output folder ``outputs/sweeps/<name>/``.
    kind : str
        ``grid``, ``draws``, ``morris`` or ``sobol``.
    grid : dict
        Factor → list of values (grid sweeps).
    distributions : dict
        Factor → distribution (draws and sensitivity sweeps), in the order they vary.
    n : int
        Draws, Morris trajectories or Sobol base samples.

    """

    name: str
    path: Path
    title: str
    description: str
    scenario: str
    kind: str
    fixed: dict[str, Any] = field(default_factory=dict)
    grid: dict[str, list] = field(default_factory=dict)
    distributions: dict[str, dict] = field(default_factory=dict)
    n: int = 0
    seed: int | None = None
    levels: int = 4
    budgets_wan: list[float] = field(default_factory=list)
    raw: dict = field(default_factory=dict)

    @property
    def factors(self) -> list[str]:
        """The names varied, in column order."""
        return list(self.grid) if self.kind == "grid" else list(self.distributions)

    def n_points(self) -> int:
        """How many points the spec asks for."""
        if self.kind == "grid":
            return math.prod(len(v) for v in self.grid.values())
        k = len(self.distributions)
        if self.kind == "morris":
            return self.n * (k + 1)
        if self.kind == "sobol":
            return self.n * (k + 2)
        return self.n


def _suggest(name: str, choices: Any) -> str:
    close = difflib.get_close_matches(str(name), [str(c) for c in choices], n=1, cutoff=0.6)
    return f"（是否想写 '{close[0]}'？）" if close else ""


def _count(where: str, key: str, value: Any, example: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise SpecError(f"{where}: '{key}' = {value!r} 应为正整数，例如 {key}: {example}")
    return value


def _seed(where: str, raw: Mapping) -> int:
    if "seed" not in raw:
        raise SpecError(f"{where}: 缺少 'seed'（随机数种子，非负整数），例如 seed: 20241201；同一种子得到同样的结果")
    seed = raw["seed"]
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise SpecError(f"{where}: 'seed' = {seed!r} 应为非负整数，例如 seed: 20241201")
    return seed


def _check_name(where: str, key: str, name: Any, params: Parameters) -> str:
    """Check a factor name as in ``--set``: a parameter, then keys of its value (a year, a channel …)."""
    if not isinstance(name, str) or not name.strip():
        raise SpecError(f"{where}: '{key}' 中的参数名 {name!r} 应为文字，如 inclusive_share_target.2025")
    top = name.split(".")[0]
    if top not in params.meta:
        raise SpecError(
            f"{where}: '{key}' 中的参数 '{name}' 不存在{_suggest(top, params.meta)}；"
            "参数名与 --set 相同（如 inclusive_share_target.2025），'tuoyu params' 列出全部参数"
        )
    return name


def _check_values(where: str, key: str, params: Parameters, values: Mapping[str, Any]) -> None:
    """Apply overrides to the scenario's parameters to check names, keys, types and ranges."""
    try:
        apply_overrides(params, merge_overrides(values), f"{where}: '{key}'")
    except TuoyuError as exc:
        raise SpecError(exc.zh, en=exc.en) from None


def _grid(where: str, raw: Any, params: Parameters) -> dict[str, list]:
    if not isinstance(raw, Mapping) or not raw:
        raise SpecError(f"{where}: 'grid' 应为 参数名: [取值, …]，例如 inclusive_share_target.2025: [0.5, 0.6, 0.7]")
    grid = {}
    for name, values in raw.items():
        _check_name(where, "grid", name, params)
        if not isinstance(values, list) or not values:
            raise SpecError(f"{where}: grid 的 '{name}' 应为取值列表，例如 {name}: [0.5, 0.6]")
        if len(set(map(repr, values))) < len(values):
            raise SpecError(f"{where}: grid 的 '{name}' 有重复取值；每个取值写一次")
        grid[str(name)] = list(values)
    n = math.prod(len(v) for v in grid.values())
    if n > MAX_POINTS:  # before checking every value: a huge grid is refused at once
        raise SpecError(
            f"{where}: grid 共 {n:,} 个组合（{' × '.join(str(len(v)) for v in grid.values())}），超过上限 "
            f"{MAX_POINTS:,}；减少取值，或改用 draws 随机抽样"
        )
    for name, values in grid.items():
        for v in values:
            _check_values(where, f"grid.{name}", params, {name: v})
    return grid


def _distributions(where: str, raw: Mapping, params: Parameters) -> dict[str, dict]:
    """Return the distributions to vary: the parameter files', the spec's own, restricted to ``parameters``."""
    declared: dict[str, dict] = {}
    for name, entry in params.meta.items():
        if "uncertainty" in entry:
            declared.update(uncertain_factors(entry["file"], name, entry))
    own = raw.get("distributions") or {}
    if not isinstance(own, Mapping):
        raise SpecError(
            f"{where}: 'distributions' 应为 参数名: 分布，"
            "例如 rent: {distribution: uniform, low: 3, high: 5, source: assumption}"
        )
    for name, dist in own.items():
        _check_name(where, "distributions", name, params)
        try:
            declared[str(name)] = check_distribution(where, str(name), dist, params.meta[name.split(".")[0]])
        except TuoyuError as exc:
            raise SpecError(exc.zh, en=exc.en) from None
    chosen = raw.get("parameters")
    if chosen is None:
        names = list(declared)
    else:
        if not isinstance(chosen, list) or not chosen:
            raise SpecError(f"{where}: 'parameters' 应为参数名列表，例如 [caregiver_wage, capital_cost.community]")
        names = []
        for name in chosen:
            _check_name(where, "parameters", name, params)
            if name not in declared:
                raise SpecError(
                    f"{where}: 'parameters' 中的 '{name}' 没有声明分布{_suggest(name, declared)}；"
                    "在参数文件的 uncertainty 或本文件的 distributions 中给出"
                )
            names.append(str(name))
    if not names:
        raise SpecError(f"{where}: 没有可变化的参数；在参数文件中给出 uncertainty，或在本文件写 distributions")
    for name in names:  # each distribution's bounds must be values the parameter accepts
        dist = declared[name]
        for key in ("low", "high", "median"):
            if key in dist:
                _check_values(where, f"distributions.{name}", params, {name: dist[key]})
    return {n: declared[n] for n in sorted(names)}


def load_spec(path: str | Path) -> SweepSpec:
    """Read and check a sweep spec.

    Raises
    ------
    SpecError
        Unknown or missing fields, an unknown parameter (with a suggestion), a value the
        parameter refuses, a grid over :data:`MAX_POINTS` points, a bad distribution, a count or
        seed that is not a whole number.

    """
    path = Path(path)
    where = display(path)
    if path.suffix not in (".yaml", ".yml"):
        raise SpecError(f"{where}: 方案文件应为 .yaml 文件，例如 data/sweeps/share_target_curve.yaml")
    raw = read_yaml(path, SpecError)  # safe, bounded (size, depth, aliases), duplicate keys refused
    if not isinstance(raw, Mapping):
        raise SpecError(f"{where}: 应为 YAML 映射（title、scenario、grid/draws/sensitivity …）")
    for key in raw:
        if key not in KEYS:
            raise SpecError(f"{where}: 未知字段 '{key}'{_suggest(key, KEYS)}；可用字段：{', '.join(KEYS)}")
    title = raw.get("title")
    if not isinstance(title, str) or not title.strip():
        raise SpecError(f"{where}: 缺少 'title'（报告标题，中文），例如 title: 2025年普惠占比目标的成本曲线")
    kinds = [k for k in KINDS if k in raw]
    if len(kinds) != 1:
        raise SpecError(
            f"{where}: 应恰好给出 grid、draws、sensitivity 之一（现有 {', '.join(kinds) or '无'}），"
            "例如 draws: 1000 与 seed: 20241201"
        )
    kind = kinds[0]
    scenario_name = raw.get("scenario", "baseline")
    if not isinstance(scenario_name, str):
        raise SpecError(f"{where}: 'scenario' = {scenario_name!r} 应为情景名，例如 scenario: baseline")
    fixed = raw.get("fixed") or {}
    if not isinstance(fixed, Mapping):
        raise SpecError(f"{where}: 'fixed' 应为 参数名: 取值，例如 fixed: {{budget.2025: 5.0e7}}")
    try:
        params = load_scenario(scenario_name).parameters
    except TuoyuError as exc:
        raise SpecError(f"{where}: 'scenario'：{exc.zh}", en=f"{where}: 'scenario': {exc.en or exc.zh}") from None
    for name in fixed:
        _check_name(where, "fixed", name, params)
    _check_values(where, "fixed", params, dict(fixed))
    params = apply_overrides(params, merge_overrides(dict(fixed)), "fixed") if fixed else params
    spec = SweepSpec(
        name=path.stem,
        path=path.resolve(),
        title=title.strip(),
        description=str(raw.get("description") or "").strip(),
        scenario=scenario_name,
        kind=kind,
        fixed={str(k): v for k, v in fixed.items()},
        raw=dict(raw),
    )
    not_for = {
        "grid": ("seed", "trajectories", "samples", "levels", "parameters", "distributions"),
        "draws": ("trajectories", "samples", "levels"),
        "sensitivity": (),
    }
    for key in not_for[kind]:
        if key in raw:
            raise SpecError(f"{where}: '{key}' 不适用于 {kind} 方案；删除它")
    if kind == "grid":
        spec.grid = _grid(where, raw["grid"], params)
    else:
        spec.seed = _seed(where, raw)
        spec.distributions = _distributions(where, raw, params)
        if kind == "draws":
            spec.n = _count(where, "draws", raw["draws"], "1000")
        else:
            method = raw["sensitivity"]
            if method not in METHODS:
                raise SpecError(f"{where}: 'sensitivity' = {method!r} 应为 morris 或 sobol{_suggest(method, METHODS)}")
            spec.kind = method
            wrong = "samples" if method == "morris" else "trajectories"
            if wrong in raw:
                raise SpecError(
                    f"{where}: '{wrong}' 不适用于 {method}；"
                    + ("morris 用 trajectories" if method == "morris" else "sobol 用 samples（基础样本数 N）")
                )
            key = "trajectories" if method == "morris" else "samples"
            spec.n = _count(where, key, raw.get(key, DEFAULTS[key]), str(DEFAULTS[key]))
            if method == "morris":
                spec.levels = _count(where, "levels", raw.get("levels", DEFAULTS["levels"]), "4")
                if spec.levels < 2 or spec.levels % 2:
                    raise SpecError(f"{where}: 'levels' = {spec.levels} 应为不小于 2 的偶数，例如 levels: 4")
            if len(spec.distributions) < 2 and method == "sobol":
                raise SpecError(f"{where}: sobol 至少需要两个不确定参数")
    budgets = raw.get("budgets_wan") or []
    if not isinstance(budgets, list) or not all(
        isinstance(b, int | float) and not isinstance(b, bool) and b >= 0 for b in budgets
    ):
        raise SpecError(f"{where}: 'budgets_wan' 应为预算列表（万元），例如 budgets_wan: [4000, 4500, 5000]")
    spec.budgets_wan = [float(b) for b in budgets]
    n = spec.n_points()
    if n > MAX_POINTS:
        raise SpecError(
            f"{where}: 方案共 {n:,} 个点，超过上限 {MAX_POINTS:,}；"
            f"减小 {kind if kind == 'draws' else 'trajectories/samples'}"
        )
    return spec
