"""The parameter files' schema: every entry's metadata, values, bounds and uncertainty, checked at load.

Each parameter in ``data/parameters/*.yaml`` carries a description, a bilingual label, a unit, its
value (by year, channel or age band where it changes), a source, year, confidence and status, a
``min``/``max`` (the ``max`` within :data:`MAX_MULTIPLE` × the largest shipped value, or with a
``max_reason``) and optionally an ``uncertainty`` distribution for the sweeps. Unknown or
duplicate keys, missing metadata, wrong types and out-of-range values are one-line errors.
:mod:`tuoyu_model.parameters` builds the resolved parameters and scenarios on top of this.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from tuoyu_model.errors import DataError, did_you_mean
from tuoyu_model.paths import data_dir, display
from tuoyu_model.units import unit_hint_zh, unit_zh
from tuoyu_model.yaml_reader import read_yaml

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


def _percent_hint(value: object, en: bool = False) -> str:
    """Return the user's own percentage as the decimal a share needs ('25%' → 0.25), or ''.

    Examples
    --------
    >>> _percent_hint("25%"), _percent_hint("25%", en=True), _percent_hint("x")
    ('——比例请写成小数：25% 写 0.25', ' — write a share as a decimal: 0.25 for 25%', '')

    """
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*[%％]\s*", value) if isinstance(value, str) else None
    if not m:
        return ""
    share = f"{float(m.group(1)) / 100:g}"
    return (
        f" — write a share as a decimal: {share} for {m.group(1)}%"
        if en
        else f"——比例请写成小数：{m.group(1)}% 写 {share}"
    )


def _check_leaf(where: str, name: str, key: str, v: Any, entry: Mapping) -> None:
    kind = entry.get("type", "number")
    at = f"{name}.{key}" if key else name
    if v is None:
        if entry.get("nullable"):
            return
        raise DataError(f"{where}: '{at}' 是空的；请填一个值", en=f"{where}: '{at}' is empty; give a value")
    if kind == "bool":
        if not isinstance(v, bool):
            raise DataError(
                f"{where}: '{at}' = {v!r} 应为 true 或 false", en=f"{where}: '{at}' = {v!r} must be true or false"
            )
        return
    if kind == "text":
        if not isinstance(v, str):
            raise DataError(f"{where}: '{at}' = {v!r} 应为文字", en=f"{where}: '{at}' = {v!r} must be text")
        if "choices" in entry and v not in entry["choices"]:
            choices = ", ".join(map(str, entry["choices"]))
            raise DataError(
                f"{where}: '{at}' = '{v}' 不是可选值{did_you_mean(v, entry['choices'])}；应为 {choices} 之一",
                en=f"{where}: '{at}' = '{v}' is not allowed{did_you_mean(v, entry['choices'], en=True)}; "
                f"expected one of {choices}",
            )
        return
    if isinstance(v, bool) or not isinstance(v, int | float):
        unit = entry.get("unit", "")
        raise DataError(
            f"{where}: '{at}' = {v!r} 不是数字；应填{'整数' if kind == 'integer' else '数字'}"
            f"（单位：{unit_hint_zh(unit)}）{_percent_hint(v)}",
            en=f"{where}: '{at}' = {v!r} is not a number; expected a {kind} in {unit}{_percent_hint(v, en=True)}",
        )
    if isinstance(v, float) and not math.isfinite(v):
        raise DataError(
            f"{where}: '{at}' = {v} 不是有限的数；请填写一个具体数值",
            en=f"{where}: '{at}' = {v} is not a finite number; give a value",
        )
    if kind == "integer" and v != int(v):
        raise DataError(f"{where}: '{at}' = {v} 应为整数", en=f"{where}: '{at}' = {v} must be a whole number")
    lo, hi = entry.get("min"), entry.get("max")
    if lo is not None and v < lo or hi is not None and v > hi:
        rng = f"[{lo if lo is not None else '-∞'}, {hi if hi is not None else '∞'}]"
        above = hi is not None and v > hi
        reason = f"；上限依据：{entry['max_reason']}" if above and "max_reason" in entry else ""
        raise DataError(
            f"{where}: '{at}' = {v} 超出取值范围 {rng}（{unit_zh(entry.get('unit', ''))}）；"
            f"请检查数值和单位（比例写 0.2，不写 20）{reason}",
            en=f"{where}: '{at}' = {v} is outside {rng} ({entry.get('unit', '')}); "
            "check the value and its unit (a share is 0.2, not 20)",
        )


def _is_year(key: Any) -> bool:
    return isinstance(key, int) and not isinstance(key, bool) and YEAR_RANGE[0] <= key <= YEAR_RANGE[1]


def check_value(where: str, name: str, value: Any, entry: Mapping) -> None:
    """Check a parameter's value (a default, a scenario's or --set's) against its entry; raise DataError."""
    if entry.get("index") == "span":
        _check_span(where, name, value)
    if entry.get("index") == "year" and isinstance(value, Mapping):
        for key in value:
            if not _is_year(key):
                lo, hi = YEAR_RANGE
                raise DataError(
                    f"{where}: '{name}' 按年份给值，却有键 '{key}'；请用 2024 这样的年份（{lo} 至 {hi} 之间）",
                    en=f"{where}: '{name}' is given by year, but has the key '{key}'; "
                    f"use years such as 2024 (between {lo} and {hi})",
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
            raise DataError(
                f"{where}: '{name}.{key}' = {entry[key]!r} 应为文字",
                en=f"{where}: '{name}.{key}' = {entry[key]!r} must be text",
            )
    if not _is_year(entry["year"]):
        raise DataError(
            f"{where}: '{name}.year' = {entry['year']!r} 应为来源的年份，如 2024",
            en=f"{where}: '{name}.year' = {entry['year']!r} must be the year of the source, e.g. 2024",
        )
    for key in ("min", "max"):
        if key in entry and not _is_number(entry[key]):
            raise DataError(
                f"{where}: '{name}.{key}' = {entry[key]!r} 应为数字（取值的界限）",
                en=f"{where}: '{name}.{key}' = {entry[key]!r} must be a number (a bound on the value)",
            )
    if "min" in entry and "max" in entry and entry["min"] > entry["max"]:
        raise DataError(
            f"{where}: '{name}' 的 min {entry['min']} 大于 max {entry['max']}；请交换两者",
            en=f"{where}: '{name}' has min {entry['min']} > max {entry['max']}; swap them",
        )
    if "choices" in entry and (
        not isinstance(entry["choices"], list) or not all(isinstance(c, str) for c in entry["choices"])
    ):
        raise DataError(
            f"{where}: '{name}.choices' 应为文字的列表，如 [gap, flat]",
            en=f"{where}: '{name}.choices' must be a list of texts, e.g. [gap, flat]",
        )
    if "index" in entry and not isinstance(entry["index"], str):
        raise DataError(
            f"{where}: '{name}.index' = {entry['index']!r} 应为一个词，如 year 或 channel",
            en=f"{where}: '{name}.index' = {entry['index']!r} must be a word such as year or channel",
        )
    if "nullable" in entry and not isinstance(entry["nullable"], bool):
        raise DataError(
            f"{where}: '{name}.nullable' 应为 true 或 false", en=f"{where}: '{name}.nullable' must be true or false"
        )
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
        raise DataError(
            f"{where}: 参数名 '{name}' 应为小写字母加下划线（lower_case_with_underscores）",
            en=f"{where}: parameter name '{name}' must be lower_case_with_underscores",
        )
    needs = ", ".join(ENTRY_REQUIRED)
    if not isinstance(entry, Mapping):
        raise DataError(
            f"{where}: '{name}' 应为映射（每行一个“键: 值”），含 {needs}",
            en=f"{where}: '{name}' must be a mapping with {needs}",
        )
    allowed = ENTRY_REQUIRED + ENTRY_OPTIONAL
    for key in entry:
        if key not in allowed and key != "nullable":
            raise DataError(
                f"{where}: '{name}' 有未知的键 '{key}'{did_you_mean(key, allowed)}；可用的键：{', '.join(allowed)}",
                en=f"{where}: '{name}' has unknown key '{key}'{did_you_mean(key, allowed, en=True)}; "
                f"allowed: {', '.join(allowed)}",
            )
    for key in ENTRY_REQUIRED:
        if key not in entry or entry[key] in (None, "") and key != "value":
            raise DataError(
                f"{where}: '{name}' 缺少 '{key}'；每个参数都要有 {needs}",
                en=f"{where}: '{name}' lacks '{key}'; every parameter needs {needs}",
            )
    label = entry["label"]
    if (
        not isinstance(label, Mapping)
        or set(label) != {"zh", "en"}
        or not all(isinstance(t, str) and t.strip() for t in label.values())
    ):
        raise DataError(
            f"{where}: '{name}.label' 应恰好有 'zh' 和 'en' 两段文字，如 {{zh: 户均人口, en: Household size}}",
            en=f"{where}: '{name}.label' must have exactly a 'zh' and an 'en' text, "
            "e.g. {zh: 户均人口, en: Household size}",
        )
    if entry["confidence"] not in CONFIDENCE:
        got = f"'{name}.confidence' = '{entry['confidence']}'"
        raise DataError(
            f"{where}: {got} 应为 {', '.join(CONFIDENCE)} 之一",
            en=f"{where}: {got} must be one of {', '.join(CONFIDENCE)}",
        )
    if entry["status"] not in STATUS:
        got = f"'{name}.status' = '{entry['status']}'"
        raise DataError(
            f"{where}: {got} 应为 {', '.join(STATUS)} 之一{did_you_mean(entry['status'], STATUS)}",
            en=f"{where}: {got} must be one of {', '.join(STATUS)}{did_you_mean(entry['status'], STATUS, en=True)}",
        )
    if entry.get("type", "number") not in TYPES:
        got = f"'{name}.type' = '{entry['type']}'"
        raise DataError(
            f"{where}: {got} 应为 {', '.join(TYPES)} 之一", en=f"{where}: {got} must be one of {', '.join(TYPES)}"
        )
    _check_metadata(where, name, entry)
    check_value(where, name, entry["value"], entry)
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
            k = coerce_key(part, leaf) if isinstance(leaf, Mapping) else part
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
            f"{display(ignored[0])}: 参数文件的扩展名必须是 .yaml（.yml 不会被读取）；请改名为 {ignored[0].stem}.yaml",
            en=f"{display(ignored[0])}: parameter files must end in .yaml; rename it to {ignored[0].stem}.yaml",
        )
    if not files:
        raise DataError(
            f"{display(folder)}: 没有参数文件（*.yaml）；请从代码仓库恢复 data/parameters/",
            en=f"{display(folder)}: no parameter files (*.yaml) found",
        )
    out: dict[str, dict] = {}
    for path in files:
        where = display(path)
        content = read_yaml(path)
        if not isinstance(content, Mapping):
            raise DataError(
                f"{where}: 应为“参数名: 参数条目”的映射",
                en=f"{where}: expected a mapping of parameter names to entries",
            )
        for name, entry in content.items():
            _check_entry(where, name, entry)
            if name in out:
                first = out[name]["file"]
                raise DataError(
                    f"{where}: 参数 '{name}' 已在 {first} 中定义；只保留一处定义",
                    en=f"{where}: parameter '{name}' is already defined in {first}; keep one definition",
                )
            out[name] = {**entry, "file": where}
    return out


def coerce_key(key: Any, template: Mapping) -> Any:
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
