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
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from tuoyu_model.errors import DataError, ScenarioError, did_you_mean
from tuoyu_model.parameter_schema import (
    SCENARIO_OPTIONAL,
    SCENARIO_REQUIRED,
    check_value,
    coerce_key,
    load_parameter_files,
    uncertainty_text,
)
from tuoyu_model.paths import MAX_SCENARIO_NAME_BYTES, check_name_length, data_dir, display
from tuoyu_model.yaml_reader import parse_yaml, read_yaml


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


def _merge(where: str, name: str, default: Any, override: Any, entry: Mapping) -> Any:
    """Apply an override: a mapping updates the keys it names; anything else replaces."""
    if isinstance(default, Mapping) and isinstance(override, Mapping):
        merged = copy.deepcopy(dict(default))
        for k, v in override.items():
            k2 = coerce_key(k, default)
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
        key = coerce_key(year, value)
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
            check_value(where, name, merged, entry)
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
