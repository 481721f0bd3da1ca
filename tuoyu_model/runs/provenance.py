"""What a run records about itself: the manifest, file hashes, the git commit, package versions."""

from __future__ import annotations

import hashlib
import importlib.metadata
import platform
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tuoyu_model.parameters import Scenario, scenario_path
from tuoyu_model.paths import PROJECT_ROOT, data_dir
from tuoyu_model.runs.publish import MARKER

PACKAGES = (
    "tuoyu-model",
    "numpy",
    "pandas",
    "pulp",
    "highspy",
    "matplotlib",
    "mplfonts",
    "xlsxwriter",
    "openpyxl",
    "papermill",
    "nbclient",
    "nbconvert",
    "nbformat",
    "ipykernel",
    "jupyter_client",
    "pyyaml",
    "filelock",
)


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _label(path: Path) -> str:
    """Return a stable name for an input file: relative to the data folder, else to the project."""
    path = Path(path).resolve()
    for root, prefix in ((data_dir(), "data/"), (PROJECT_ROOT, "")):
        try:
            return prefix + path.relative_to(root).as_posix()
        except ValueError:
            continue
    return str(path)


def scenario_file(scenario: Scenario) -> Path:
    """Return the YAML file a scenario was loaded from, as an absolute path."""
    if scenario.path:
        p = Path(scenario.path)
        p = p if p.is_absolute() else PROJECT_ROOT / p
        if p.is_file():
            return p.resolve()
    return scenario_path(scenario.name)


def input_files(scenario: Scenario, notebook: Path | None = None) -> dict[str, str]:
    """SHA-256 of every input file a scenario run reads (data, parameters, scenario, notebook)."""
    root = data_dir()
    paths = [root / "targets.csv", root / "targets_totals.csv", root / "towns.csv"]
    paths += sorted((root / "parameters").glob("*.yaml"))
    paths.append(scenario_file(scenario))
    if notebook is not None:
        paths.append(notebook)
    return {_label(p): sha256_file(p) for p in paths if Path(p).is_file()}


def versions() -> dict[str, str]:
    """Return the versions of Python and of the packages a run uses.

    The solver's own version (e.g. ``HiGHS 1.16.0``) is in ``summary.json``'s ``solver`` entry,
    as the allocation reports it. ``tuoyu-model`` here is also how a folder's manifest is
    recognised as this package's (:func:`tuoyu_model.runs.publish.is_ours`).
    """
    out = {"python": platform.python_version()}
    for pkg in PACKAGES:
        try:
            out[pkg] = importlib.metadata.version(pkg)
        except importlib.metadata.PackageNotFoundError:
            out[pkg] = "not installed"
    return out


def git_commit() -> dict[str, Any]:
    """Return the checkout's commit and whether it has uncommitted changes (None outside a git checkout)."""
    try:
        commit = subprocess.run(
            ["git", "-C", str(PROJECT_ROOT), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(PROJECT_ROOT), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "dirty": None}
    return {"commit": commit, "dirty": bool(dirty)}


def build_manifest(
    kind: str,
    folder: Path,
    *,
    started: float,
    seconds: float,
    inputs: Mapping[str, str],
    timings: Mapping[str, float] | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """Describe a run: what it is, what it read, what it wrote, with which code.

    The one manifest of the package (``tuoyu run``, ``tuoyu compare``, ``tuoyu progress``):
    ``kind``, then the kind's own ``fields`` (scenario, parameters …), ``input_files`` (SHA-256
    of every file read), ``outputs`` (SHA-256 of every file in ``folder`` but the manifest and
    the marker), ``git`` (commit, dirty), and the fields that change from run to run:
    ``versions`` and ``run`` (start time, seconds, timings, Python, platform).

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "a.csv").write_text("x")
    >>> m = build_manifest("demo", folder, started=0.0, seconds=1.0, inputs={}, scenario="baseline")
    >>> list(m)
    ['kind', 'scenario', 'input_files', 'outputs', 'git', 'versions', 'run']
    >>> m["outputs"]["a.csv"][:12], m["run"]["started_utc"]
    ('2d711642b726', '1970-01-01T00:00:00Z')

    """
    files = {
        p.relative_to(folder).as_posix(): sha256_file(p)
        for p in sorted(Path(folder).rglob("*"))
        if p.is_file() and p.name not in ("manifest.json", MARKER)
    }
    return {
        "kind": kind,
        **fields,
        "input_files": dict(inputs),
        "outputs": files,
        "git": git_commit(),
        # The fields below change from run to run (time and versions); everything else is fixed.
        "versions": versions(),
        "run": {
            "started_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
            "seconds": round(seconds, 3),
            "timings_s": {k: round(v, 3) for k, v in (timings or {}).items()},
            "python": sys.executable,
            "platform": platform.platform(),
        },
    }


def scenario_fields(scenario: Scenario, set_options: list[str]) -> dict[str, Any]:
    """Describe a scenario for a manifest: name, title, hash, file, overrides, resolved parameters."""
    return {
        "scenario": scenario.name,
        "title": scenario.title,
        "scenario_hash": scenario.hash,
        "scenario_file": _label(scenario_file(scenario)),
        "set_options": list(set_options),
        "overridden": dict(sorted(scenario.parameters.overridden.items())),
        "parameters": scenario.parameters.to_jsonable(),
    }
