"""Parameters with provenance, and scenarios as diffs over them.

Every number the model uses lives in ``data/parameters/*.yaml``, one entry per parameter::

    fee_cap_share:
      description: Public fee cap as a share of household monthly disposable income.
      label: {zh: 收费上限占家庭月可支配收入比例, en: Fee cap share of household income}
      unit: share
      value: 0.20                 # a scalar, or a mapping (by year, channel, age band …)
      source: 大兴区工作方案 第9(2)条
      year: 2024
      confidence: high            # high | medium | low
      status: sourced             # sourced | derived | proxy | assumption | setting
      min: 0                      # bounds, checked on every leaf value; required for numbers
      max: 1
      max_reason: ...             # why, where max is over 1,000x the largest shipped value
      type: number                # number (default) | integer | bool | text
      choices: [...]              # for text parameters

Loading is strict (the OpenFisca habit): unknown keys, duplicate keys, missing metadata, wrong
types and out-of-range values are errors naming the file and the key. Every number has an upper
bound by one rule (``max`` at most :data:`MAX_MULTIPLE` times the largest value shipped, or a
``max_reason``), so no finite typing error (``1e308``) reaches the solver as ``inf``; a
``{first, last}`` pair (``index: span``) must not run backwards. The files are read by
:mod:`tuoyu_model.yaml_reader` (no aliases, bounded nesting and size). A scenario
(``data/scenarios/*.yaml``) has a title, a description, what it does not model, and
``overrides`` by parameter name; an unknown name gets a did-you-mean suggestion.
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from tuoyu_model.errors import DataError, ScenarioError, did_you_mean
from tuoyu_model.paths import MAX_SCENARIO_NAME_BYTES, check_name_length, data_dir, display
from tuoyu_model.yaml_reader import parse_yaml, read_yaml

ENTRY_REQUIRED = ("description", "label", "unit", "value", "source", "year", "confidence", "status")
ENTRY_OPTIONAL = ("min", "max", "max_reason", "type", "choices", "index", "nullable", "notes", "uncertainty")
CONFIDENCE = ("high", "medium", "low")
STATUS = ("sourced", "derived", "proxy", "assumption", "setting")  # setting: a modelling choice, not a claim
TYPES = ("number", "integer", "bool", "text")
SCENARIO_REQUIRED = ("title", "description", "not_modelled", "overrides")
SCENARIO_OPTIONAL = ("title_en", "notes")
# Years a year-indexed value or a ``year`` field may name; anything else is a typing error.
YEAR_RANGE = (1949, 2100)
# The documented rule for ``max`` (data/README.md): a ceiling of plausibility at most this many
# times the largest value shipped; a parameter shipped empty or 0, or whose ceiling is wider,
# says why in ``max_reason``. tests/test_parameters.py holds every file to it.
MAX_MULTIPLE = 1000
# ``index: span`` — a ``{first, last}`` pair of years, first ≤ last.
SPAN_KEYS = ("first", "last")


def _leaves(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(value, Mapping):
        for k, v in value.items():
            yield from _leaves(v, f"{path}.{k}" if path else str(k))
    else:
        yield path, value


def _percent_hint(value: object) -> str:
    """Return the user's own percentage as the decimal a share needs ('25%' → 0.25), or ''.

    Examples
    --------
    >>> _percent_hint("25%"), _percent_hint("x")
    (' — write a share as a decimal: 0.25 for 25%', '')

    """
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*[%％]\s*", value) if isinstance(value, str) else None
    return f" — write a share as a decimal: {float(m.group(1)) / 100:g} for {m.group(1)}%" if m else ""


def _check_leaf(where: str, name: str, key: str, v: Any, entry: Mapping) -> None:
    kind = entry.get("type", "number")
    at = f"{name}.{key}" if key else name
    if v is None:
        if entry.get("nullable"):
            return
        raise DataError(f"{where}: '{at}' is empty; give a value")
    if kind == "bool":
        if not isinstance(v, bool):
            raise DataError(f"{where}: '{at}' = {v!r} must be true or false")
        return
    if kind == "text":
        if not isinstance(v, str):
            raise DataError(f"{where}: '{at}' = {v!r} must be text")
        if "choices" in entry and v not in entry["choices"]:
            raise DataError(
                f"{where}: '{at}' = '{v}' is not allowed{did_you_mean(v, entry['choices'])}; "
                f"expected one of {', '.join(map(str, entry['choices']))}"
            )
        return
    if isinstance(v, bool) or not isinstance(v, int | float):
        hint = _percent_hint(v)
        raise DataError(f"{where}: '{at}' = {v!r} is not a number; expected a {kind} in {entry.get('unit', '')}{hint}")
    if isinstance(v, float) and not math.isfinite(v):
        raise DataError(f"{where}: '{at}' = {v} 不是有限的数（not a finite number）；请填写一个具体数值")
    if kind == "integer" and v != int(v):
        raise DataError(f"{where}: '{at}' = {v} must be a whole number")
    lo, hi = entry.get("min"), entry.get("max")
    if lo is not None and v < lo or hi is not None and v > hi:
        rng = f"[{lo if lo is not None else '-∞'}, {hi if hi is not None else '∞'}]"
        above = hi is not None and v > hi
        reason = f"；上限依据：{entry['max_reason']}" if above and "max_reason" in entry else ""
        raise DataError(
            f"{where}: '{at}' = {v} 超出取值范围 {rng}（{entry.get('unit', '')}）；"
            f"请检查数值和单位（比例写 0.2，不写 20）{reason}"
        )


def _is_year(key: Any) -> bool:
    return isinstance(key, int) and not isinstance(key, bool) and YEAR_RANGE[0] <= key <= YEAR_RANGE[1]


def _check_value(where: str, name: str, value: Any, entry: Mapping) -> None:
    if entry.get("index") == "span":
        _check_span(where, name, value)
    if entry.get("index") == "year" and isinstance(value, Mapping):
        for key in value:
            if not _is_year(key):
                raise DataError(
                    f"{where}: '{name}' is given by year, but has the key '{key}'; "
                    f"use years such as 2024 (between {YEAR_RANGE[0]} and {YEAR_RANGE[1]})"
                )
    for key, leaf in _leaves(value):
        _check_leaf(where, name, key, leaf, entry)


def _check_span(where: str, name: str, value: Any) -> None:
    """Refuse a span other than ``{first: Y1, last: Y2}`` with ``Y1 ≤ Y2``."""
    if not isinstance(value, Mapping) or set(value) != set(SPAN_KEYS):
        raise DataError(
            f"{where}: '{name}' = {value!r} 应为首末年份 {{first: 年份, last: 年份}}，例如 {{first: 2024, last: 2025}}"
        )
    first, last = value["first"], value["last"]
    if _is_number(first) and _is_number(last) and first > last:
        raise DataError(
            f"{where}: '{name}' 的 first = {first} 晚于 last = {last}；"
            f"首年不能晚于末年，请交换两者，例如 {{first: {last}, last: {first}}}"
        )


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def _check_metadata(where: str, name: str, entry: Mapping) -> None:
    """Check the types of the metadata fields, so a bad bound fails here, not in a comparison."""
    for key in ("description", "unit", "source"):
        if not isinstance(entry[key], str):
            raise DataError(f"{where}: '{name}.{key}' = {entry[key]!r} must be text")
    if not _is_year(entry["year"]):
        raise DataError(f"{where}: '{name}.year' = {entry['year']!r} must be the year of the source, e.g. 2024")
    for key in ("min", "max"):
        if key in entry and not _is_number(entry[key]):
            raise DataError(f"{where}: '{name}.{key}' = {entry[key]!r} must be a number (a bound on the value)")
    if "min" in entry and "max" in entry and entry["min"] > entry["max"]:
        raise DataError(f"{where}: '{name}' has min {entry['min']} > max {entry['max']}; swap them")
    if "choices" in entry and (
        not isinstance(entry["choices"], list) or not all(isinstance(c, str) for c in entry["choices"])
    ):
        raise DataError(f"{where}: '{name}.choices' must be a list of texts, e.g. [gap, flat]")
    if "index" in entry and not isinstance(entry["index"], str):
        raise DataError(f"{where}: '{name}.index' = {entry['index']!r} must be a word such as year or channel")
    if "nullable" in entry and not isinstance(entry["nullable"], bool):
        raise DataError(f"{where}: '{name}.nullable' must be true or false")
    if entry.get("type", "number") in ("number", "integer"):
        # Every number is bounded: a typing error (extra zeros, a wrong unit, 1e308) stops here,
        # and every product the model forms from bounded inputs stays finite.
        for key in ("min", "max"):
            if key not in entry:
                raise DataError(
                    f"{where}: 数值参数 '{name}' 缺少 '{key}'；每个数值参数都要写明取值范围，"
                    f"上限不超过随附取值的 {MAX_MULTIPLE} 倍（否则在 max_reason 中说明理由），"
                    "例如 min: 0 和 max: 100000"
                )
    if "max_reason" in entry and (not isinstance(entry["max_reason"], str) or not entry["max_reason"].strip()):
        raise DataError(f"{where}: '{name}.max_reason' 应为一句说明上限依据的文字")


def _check_entry(where: str, name: str, entry: Any) -> None:
    if not isinstance(name, str) or not name.isidentifier() or name != name.lower():
        raise DataError(f"{where}: parameter name '{name}' must be lower_case_with_underscores")
    if not isinstance(entry, Mapping):
        raise DataError(f"{where}: '{name}' must be a mapping with {', '.join(ENTRY_REQUIRED)}")
    for key in entry:
        if key not in ENTRY_REQUIRED and key not in ENTRY_OPTIONAL and key != "nullable":
            raise DataError(
                f"{where}: '{name}' has unknown key '{key}'"
                f"{did_you_mean(key, ENTRY_REQUIRED + ENTRY_OPTIONAL)}; allowed: "
                f"{', '.join(ENTRY_REQUIRED + ENTRY_OPTIONAL)}"
            )
    for key in ENTRY_REQUIRED:
        if key not in entry or entry[key] in (None, "") and key != "value":
            raise DataError(f"{where}: '{name}' lacks '{key}'; every parameter needs {', '.join(ENTRY_REQUIRED)}")
    label = entry["label"]
    if (
        not isinstance(label, Mapping)
        or set(label) != {"zh", "en"}
        or not all(isinstance(t, str) and t.strip() for t in label.values())
    ):
        raise DataError(
            f"{where}: '{name}.label' must have exactly a 'zh' and an 'en' text, "
            "e.g. {zh: 户均人口, en: Household size}"
        )
    if entry["confidence"] not in CONFIDENCE:
        raise DataError(
            f"{where}: '{name}.confidence' = '{entry['confidence']}' must be one of {', '.join(CONFIDENCE)}"
        )
    if entry["status"] not in STATUS:
        raise DataError(
            f"{where}: '{name}.status' = '{entry['status']}' must be one of {', '.join(STATUS)}"
            f"{did_you_mean(entry['status'], STATUS)}"
        )
    if entry.get("type", "number") not in TYPES:
        raise DataError(f"{where}: '{name}.type' = '{entry['type']}' must be one of {', '.join(TYPES)}")
    _check_metadata(where, name, entry)
    _check_value(where, name, entry["value"], entry)
    if "uncertainty" in entry:
        uncertain_factors(where, name, entry)


DISTRIBUTIONS = {  # distribution -> its numbers (besides 'source')
    "triangular": ("low", "mode", "high"),
    "uniform": ("low", "high"),
    "lognormal": ("median", "sigma"),
}


def check_distribution(where: str, at: str, dist: Any, entry: Mapping | None = None) -> dict:
    """Check one distribution (``{distribution: triangular, low:, mode:, high:, source:}``) and return it.

    ``source`` names where the range comes from, or is the word ``assumption``; bounds must lie
    within the parameter's ``min``/``max``. Low = high (a point) is allowed.

    Raises
    ------
    DataError
        One line naming the file, the parameter and the fix.

    Examples
    --------
    >>> check_distribution("x.yaml", "rent", {"distribution": "uniform", "low": 5, "high": 3, "source": "assumption"})
    Traceback (most recent call last):
    ...
    tuoyu_model.errors.DataError: x.yaml: 'rent.uncertainty' 的 low 5 大于 high 3；请交换两者

    """
    where_at = f"{where}: '{at}.uncertainty'"
    if not isinstance(dist, Mapping) or "distribution" not in dist:
        raise DataError(
            f"{where_at} 应为分布，例如 {{distribution: triangular, low: 5000, mode: 6000, high: 7500, "
            "source: assumption}}"
        )
    kind = dist["distribution"]
    if kind not in DISTRIBUTIONS:
        raise DataError(
            f"{where_at} 的分布 '{kind}' 未知{did_you_mean(kind, DISTRIBUTIONS)}；可用：{'、'.join(DISTRIBUTIONS)}"
        )
    needed = DISTRIBUTIONS[kind]
    for key in dist:
        if key not in (*needed, "distribution", "source"):
            raise DataError(f"{where_at} 有未知字段 '{key}'；{kind} 分布需要 {'、'.join(needed)} 和 source")
    for key in (*needed, "source"):
        if key not in dist:
            raise DataError(f"{where_at} 缺少 '{key}'；{kind} 分布需要 {'、'.join(needed)} 和 source")
        if key != "source" and not _is_number(dist[key]):
            raise DataError(f"{where_at} 的 {key} = {dist[key]!r} 应为数字")
    if not isinstance(dist["source"], str) or not dist["source"].strip():
        raise DataError(f"{where_at} 的 source 应写明取值范围的来源，或写 assumption（假设）")
    if kind == "lognormal":
        if dist["median"] <= 0 or dist["sigma"] < 0:
            raise DataError(f"{where_at} 的 median 应大于 0、sigma 不小于 0（对数标准差）")
        return dict(dist)
    low, high = dist["low"], dist["high"]
    if low > high:
        raise DataError(f"{where_at} 的 low {low} 大于 high {high}；请交换两者")
    if kind == "triangular" and not low <= dist["mode"] <= high:
        raise DataError(f"{where_at} 的 mode {dist['mode']} 不在 low {low} 与 high {high} 之间")
    lo, hi = (entry or {}).get("min"), (entry or {}).get("max")
    if lo is not None and low < lo or hi is not None and high > hi:
        raise DataError(f"{where_at} 的范围 {low}–{high} 超出参数允许的 [{lo}, {hi}]；请检查单位")
    return dict(dist)


def uncertain_factors(where: str, name: str, entry: Mapping) -> dict[str, dict]:
    """Return ``{dotted name: distribution}`` of a parameter entry's ``uncertainty`` (checked).

    A single-valued parameter gives one distribution; a parameter by key (channel, age band …)
    gives one per key, ``{community: {distribution: …}, social: {…}}``, named like ``--set``
    (``capital_cost.community``).

    Raises
    ------
    DataError
        A bad distribution, a key the value does not have, or a parameter that is not a number.

    """
    spec = entry["uncertainty"]
    value = entry["value"]
    if entry.get("type", "number") not in ("number", "integer"):
        raise DataError(f"{where}: '{name}.uncertainty' 只能用于数值参数（此参数类型为 {entry.get('type')}）")
    if isinstance(spec, Mapping) and "distribution" in spec:
        if isinstance(value, Mapping):
            raise DataError(
                f"{where}: '{name}' 按 {entry.get('index', '键')} 取值，uncertainty 应按键给出，"
                f"例如 {{{next(iter(value), 'key')}: {{distribution: …}}}}"
            )
        return {name: check_distribution(where, name, spec, entry)}
    if not isinstance(spec, Mapping) or not isinstance(value, Mapping):
        raise DataError(
            f"{where}: '{name}.uncertainty' 应为一个分布，"
            "例如 {distribution: uniform, low: 1, high: 2, source: assumption}"
        )
    out = {}
    for key, dist in spec.items():
        leaf: Any = value
        for part in str(key).split("."):
            k = _coerce_key(part, leaf) if isinstance(leaf, Mapping) else part
            if not isinstance(leaf, Mapping) or k not in leaf:
                raise DataError(
                    f"{where}: '{name}.uncertainty' 的键 '{key}' 不在取值中{did_you_mean(key, value)}；"
                    f"可用：{', '.join(map(str, value))}"
                )
            leaf = leaf[k]
        if not _is_number(leaf):
            raise DataError(f"{where}: '{name}.{key}' 不是单个数值，不能给出分布")
        out[f"{name}.{key}"] = check_distribution(where, f"{name}.{key}", dist, entry)
    return out


def describe_distribution(dist: Mapping) -> str:
    """Say a distribution in one short line.

    Examples
    --------
    >>> describe_distribution({"distribution": "triangular", "low": 1, "mode": 2, "high": 4, "source": "assumption"})
    '三角分布 1–2–4（假设）'

    """
    kind = dist["distribution"]
    src = "假设" if str(dist["source"]).strip().lower() == "assumption" else str(dist["source"])
    if kind == "triangular":
        text = f"三角分布 {dist['low']}–{dist['mode']}–{dist['high']}"
    elif kind == "uniform":
        text = f"均匀分布 {dist['low']}–{dist['high']}"
    else:
        text = f"对数正态分布 中位数 {dist['median']}，σ {dist['sigma']}"
    return f"{text}（{src}）"


def uncertainty_text(name: str, entry: Mapping) -> str:
    """Return the declared uncertainty of a parameter entry in one line ('' without one)."""
    if "uncertainty" not in entry:
        return ""
    factors = uncertain_factors(entry.get("file", ""), name, entry)
    return "; ".join(
        f"{k}: {describe_distribution(d)}" if k != name else describe_distribution(d) for k, d in factors.items()
    )


def load_parameter_files(folder: Path | None = None) -> dict[str, dict]:
    """Read every ``*.yaml`` in the parameter folder into ``{name: entry}`` (entry has ``file``).

    Raises
    ------
    DataError
        A malformed entry, or a name defined in two files.

    """
    folder = Path(folder) if folder else data_dir() / "parameters"
    files = sorted(folder.glob("*.yaml"))
    ignored = sorted(folder.glob("*.yml"))
    if ignored:
        # Only *.yaml is read; a .yml file would be silently left out of the model.
        raise DataError(
            f"{display(ignored[0])}: parameter files must end in .yaml; rename it to {ignored[0].stem}.yaml"
        )
    if not files:
        raise DataError(f"{display(folder)}: no parameter files (*.yaml) found")
    out: dict[str, dict] = {}
    for path in files:
        where = display(path)
        content = read_yaml(path)
        if not isinstance(content, Mapping):
            raise DataError(f"{where}: expected a mapping of parameter names to entries")
        for name, entry in content.items():
            _check_entry(where, name, entry)
            if name in out:
                raise DataError(
                    f"{where}: parameter '{name}' is already defined in {out[name]['file']}; keep one definition"
                )
            out[name] = {**entry, "file": where}
    return out


def parse_cli_value(text: str, where: str = "--set") -> Any:
    """Parse the VALUE of ``--set NAME=VALUE`` as a YAML scalar or flow mapping.

    It goes through the package's one YAML reader (:func:`tuoyu_model.yaml_reader.parse_yaml`):
    no aliases, bounded nesting and size.

    Examples
    --------
    >>> parse_cli_value("0.25"), parse_cli_value("true"), parse_cli_value("{2024: 1, 2025: 2}")
    (0.25, True, {2024: 1, 2025: 2})

    """
    return parse_yaml(text, where, ScenarioError)


def _coerce_key(key: Any, template: Mapping) -> Any:
    """Match a key given as text (from ``--set a.2024=…``) to the key type of the defaults."""
    if key in template:
        return key
    for k in template:
        if str(k) == str(key):
            return k
    # A new year from the command line ('2026') joins integer year keys as 2026.
    if isinstance(key, str) and key.isdigit() and any(isinstance(k, int) for k in template):
        return int(key)
    return key


def _merge(where: str, name: str, default: Any, override: Any, entry: Mapping) -> Any:
    """Apply an override: a mapping updates the keys it names; anything else replaces."""
    if isinstance(default, Mapping) and isinstance(override, Mapping):
        merged = copy.deepcopy(dict(default))
        for k, v in override.items():
            k2 = _coerce_key(k, default)
            if k2 not in default and entry.get("index") != "year":
                raise ScenarioError(
                    f"{where}: '{name}' has no key '{k}'{did_you_mean(k, default)}; "
                    f"keys: {', '.join(map(str, default))}"
                )
            merged[k2] = _merge(where, f"{name}.{k}", default.get(k2), v, entry) if k2 in default else v
        return merged
    if isinstance(default, Mapping) != isinstance(override, Mapping) and default is not None:
        shape = f"a mapping (by {entry.get('index', 'key')})" if isinstance(default, Mapping) else "a single value"
        raise ScenarioError(f"{where}: '{name}' = {override!r} has the wrong shape; expected {shape}")
    return override


@dataclass
class Parameters(Mapping):
    """Resolved parameter values with their metadata.

    Behaves as a read-only mapping ``name -> value``; :meth:`table` gives the metadata as a
    DataFrame for reports, and :meth:`by_year` reads a year-indexed value strictly.
    """

    data: dict[str, Any]
    meta: dict[str, dict]
    overridden: dict[str, str] = field(default_factory=dict)  # name -> where the override came from

    def __getitem__(self, name: str) -> Any:
        try:
            return self.data[name]
        except KeyError:
            raise ScenarioError(f"unknown parameter '{name}'{did_you_mean(name, self.data)}") from None

    def __iter__(self) -> Iterator[str]:
        return iter(self.data)

    def __len__(self) -> int:
        return len(self.data)

    def by_year(self, name: str, year: int) -> Any:
        """Return ``name``'s value for ``year``; a missing year is an error naming it.

        Examples
        --------
        >>> p = load_scenario("baseline").parameters
        >>> p.by_year("income_per_capita_all", 2023)
        81752

        """
        value = self[name]
        if not isinstance(value, Mapping):
            return value
        key = _coerce_key(year, value)
        if key not in value:
            raise DataError(
                f"{self.meta[name]['file']}: '{name}' has no value for {year} "
                f"(has {', '.join(map(str, value))}); add '{year}: …' or override it in the scenario"
            )
        return value[key]

    def table(self) -> pd.DataFrame:
        """Return one row per parameter with its metadata and the value as used.

        Columns: name, zh/en label, value, unit, source, year, confidence, status, and whether
        (and where) the scenario overrode it.
        """
        rows = []
        for name, m in self.meta.items():
            rows.append(
                {
                    "name": name,
                    "label_zh": m["label"]["zh"],
                    "label_en": m["label"]["en"],
                    "value": _fmt(self.data[name]),
                    "unit": m["unit"],
                    "source": m["source"],
                    "year": m["year"],
                    "confidence": m["confidence"],
                    "status": m["status"],
                    "overridden": self.overridden.get(name, ""),
                    "uncertainty": uncertainty_text(name, m),
                    "description": m["description"],
                    "file": m["file"],
                }
            )
        return pd.DataFrame(rows)

    def to_jsonable(self) -> dict[str, Any]:
        """Values with mapping keys as text, for JSON manifests and hashing."""
        return json.loads(json.dumps(self.data, sort_keys=True, default=str))


def _fmt(value: Any) -> str:
    if isinstance(value, Mapping):
        return "; ".join(f"{k}: {_fmt(v)}" for k, v in value.items())
    return str(value)


def default_parameters(folder: Path | None = None) -> Parameters:
    """Return the parameters as shipped, with no scenario applied."""
    meta = load_parameter_files(folder)
    return Parameters({n: copy.deepcopy(m["value"]) for n, m in meta.items()}, meta)


def apply_overrides(params: Parameters, overrides: Mapping[str, Any], where: str) -> Parameters:
    """Return a copy of ``params`` with ``overrides`` applied and validated.

    Raises
    ------
    ScenarioError
        An unknown name (with a suggestion), a wrong shape, a wrong type or a value out of range.

    """
    values = copy.deepcopy(params.data)
    overridden = dict(params.overridden)
    for name, new in overrides.items():
        if name not in params.meta:
            raise ScenarioError(
                f"{where}: unknown parameter '{name}'{did_you_mean(name, params.meta)}; run 'tuoyu params' for the list"
            )
        entry = params.meta[name]
        merged = _merge(where, name, values[name], new, entry)
        try:
            _check_value(where, name, merged, entry)
        except DataError as exc:
            raise ScenarioError(str(exc)) from None
        values[name] = merged
        overridden[name] = where
    return Parameters(values, params.meta, overridden)


@dataclass
class Scenario:
    """A named set of overrides with its description and resolved parameters."""

    name: str
    title: str
    description: str
    not_modelled: list[str]
    overrides: dict[str, Any]
    parameters: Parameters
    path: str = ""
    title_en: str = ""
    cli_overrides: dict[str, Any] = field(default_factory=dict)

    @property
    def hash(self) -> str:
        """SHA-256 (first 16 hex digits) of the scenario's resolved parameters and header."""
        blob = json.dumps(
            {"name": self.name, "title": self.title, "params": self.parameters.to_jsonable()},
            sort_keys=True,
            ensure_ascii=False,
        )
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16]


def check_scenario_name(name: str, where: str) -> None:
    """Refuse a scenario name that cannot be an output folder name (``outputs/<name>/``).

    Raises
    ------
    ScenarioError
        Empty, starting with a dot, holding a path separator or a character Windows forbids, or
        longer than :data:`tuoyu_model.paths.MAX_SCENARIO_NAME_BYTES` (207 bytes of UTF-8) —
        the output folder, with the ``__set-<hash>`` suffix and the name it has while being
        replaced, must fit the file system's 255 bytes.

    Examples
    --------
    >>> check_scenario_name("budget_cut_20", "x.yaml")
    >>> check_scenario_name(".evil", "data/scenarios/.evil.yaml")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    tuoyu_model.errors.ScenarioError: data/scenarios/.evil.yaml: the scenario name '.evil' cannot be used as ...

    """
    if not name or name.startswith(".") or any(c in name for c in '/\\:*?"<>|') or name != name.strip():
        raise ScenarioError(
            f"{where}: the scenario name '{name}' cannot be used as an output folder; rename "
            "the file with letters, digits, '_' and '-' (e.g. budget_cut_20.yaml)"
        )
    check_name_length(name, where, MAX_SCENARIO_NAME_BYTES, "请把情景文件改为更短的名字")


def scenario_path(name_or_path: str) -> Path:
    """Find a scenario by name in ``data/scenarios/`` or as a path to a YAML file.

    Raises
    ------
    ScenarioError
        No such scenario (listing the close names).

    """
    p = Path(name_or_path)
    if p.suffix in (".yaml", ".yml") and p.is_file():
        return p.resolve()
    if p.suffix in (".yaml", ".yml") and (len(p.parts) > 1 or p.exists()):
        raise ScenarioError(
            f"scenario file '{name_or_path}' not found (looked in {p.resolve().parent}); "
            "check the path, or give the name of a file in data/scenarios/ without .yaml"
        )
    folder = data_dir() / "scenarios"
    known = sorted(f.stem for f in folder.glob("*.yaml"))
    if p.suffix not in (".yaml", ".yml") and name_or_path in known:
        return folder / f"{name_or_path}.yaml"
    raise ScenarioError(
        f"scenario '{name_or_path}' not found{did_you_mean(name_or_path, known)}; "
        f"known scenarios: {', '.join(known)} (or give a path to a .yaml file)"
    )


def list_scenarios() -> list[str]:
    """Names of the shipped scenarios, ``baseline`` first."""
    names = sorted(f.stem for f in (data_dir() / "scenarios").glob("*.yaml"))
    return sorted(names, key=lambda n: (n != "baseline", n))


def parse_set_options(items: list[str] | None) -> dict[str, Any]:
    """Turn ``["a=1", "b.2024=2"]`` into ``{"a": 1, "b": {"2024": 2}}``.

    Raises
    ------
    ScenarioError
        An item without ``=``.

    """
    out: dict[str, Any] = {}
    for item in items or []:
        if "=" not in item:
            raise ScenarioError(f"--set '{item}': expected NAME=VALUE, e.g. --set household_size=3")
        key, text = item.split("=", 1)
        parts = [p.strip() for p in key.split(".")]
        if not all(parts):
            raise ScenarioError(
                f"--set '{item}': the name before '=' is empty or has an empty part; "
                "e.g. --set household_size=3 or --set budget.2025=5e7"
            )
        target = out
        for depth, part in enumerate(parts[:-1]):
            target = target.setdefault(part, {})
            if not isinstance(target, dict):
                raise ScenarioError(
                    f"--set '{item}': '{'.'.join(parts[: depth + 1])}' was already set to a "
                    "single value by an earlier --set; give one or the other"
                )
        if isinstance(target.get(parts[-1]), dict):
            raise ScenarioError(
                f"--set '{item}': '{key.strip()}' was already set by key by an earlier --set; give one or the other"
            )
        target[parts[-1]] = parse_cli_value(text, f"--set {key.strip()}")
    return out


def load_scenario(
    name_or_path: str = "baseline", cli_overrides: Mapping[str, Any] | None = None, defaults: Parameters | None = None
) -> Scenario:
    """Load a scenario and resolve its parameters (defaults ← scenario overrides ← ``--set``).

    Parameters
    ----------
    name_or_path : str, default "baseline"
        A name in ``data/scenarios/`` or a path to a scenario YAML.
    cli_overrides : mapping, optional
        Overrides from ``--set``, applied last.
    defaults : Parameters, optional
        The shipped parameters (read from ``data/parameters`` when omitted).

    Returns
    -------
    Scenario

    Raises
    ------
    ScenarioError, DataError

    Examples
    --------
    >>> s = load_scenario("baseline", {"household_size": 3})
    >>> s.parameters["household_size"]
    3

    """
    path = scenario_path(name_or_path)
    where = display(path)
    check_scenario_name(path.stem, where)
    content = read_yaml(path, ScenarioError)
    if not isinstance(content, Mapping):
        raise ScenarioError(f"{where}: expected a mapping with {', '.join(SCENARIO_REQUIRED)}")
    for key in content:
        if key not in SCENARIO_REQUIRED + SCENARIO_OPTIONAL:
            hint = did_you_mean(key, SCENARIO_REQUIRED + SCENARIO_OPTIONAL)
            raise ScenarioError(
                f"{where}: unknown key '{key}'{hint}; a scenario has {', '.join(SCENARIO_REQUIRED + SCENARIO_OPTIONAL)}"
            )
    for key in SCENARIO_REQUIRED:
        if key not in content:
            raise ScenarioError(f"{where}: missing '{key}'; a scenario needs {', '.join(SCENARIO_REQUIRED)}")
    overrides = content["overrides"] or {}
    if not isinstance(overrides, Mapping):
        raise ScenarioError(f"{where}: 'overrides' must be a mapping of parameter names to values")
    for key in ("title", "description"):
        if not isinstance(content[key], str) or not content[key].strip():
            raise ScenarioError(f"{where}: '{key}' must be a non-empty text (Chinese, for the report)")
    not_modelled = content["not_modelled"]
    if isinstance(not_modelled, str):
        not_modelled = [not_modelled]
    if not isinstance(not_modelled, list) or not all(isinstance(x, str) for x in not_modelled):
        raise ScenarioError(f"{where}: 'not_modelled' must be a list of sentences, e.g. [家庭对价格的需求弹性。]")
    params = defaults if defaults is not None else default_parameters()
    params = apply_overrides(params, overrides, where)
    if cli_overrides:
        params = apply_overrides(params, cli_overrides, "--set")
    name = path.stem
    return Scenario(
        name=name,
        title=str(content["title"]),
        description=str(content["description"]).strip(),
        not_modelled=not_modelled,
        overrides=dict(overrides),
        parameters=params,
        path=where,
        title_en=str(content.get("title_en", "")),
        cli_overrides=dict(cli_overrides or {}),
    )
