"""Run scenarios into the output contract (``outputs/<scenario>/``).

Thin for now: resolves each scenario and writes its resolved parameters and manifest
atomically. The model tables, the workbook and the papermill report are added by the
economics, allocation and report work (see docs/design.md).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

from tuoyu_model.errors import ScenarioError
from tuoyu_model.parameters import load_scenario, parse_set_options
from tuoyu_model.paths import display, outputs_dir


def safe_output_dir(base: Path, name: str) -> Path:
    """Return ``base/name``, refusing names that would write outside ``base``.

    Raises
    ------
    ScenarioError
        For names with path separators, ``..`` or other characters unfit for a folder name.

    """
    if not name or name in (".", "..") or any(c in name for c in '/\\:*?"<>|') or name.startswith("."):
        raise ScenarioError(f"scenario name '{name}' cannot be used as an output folder; "
                            "use letters, digits, '_' and '-'")
    return base / name


def replace_dir_atomically(tmp: Path, final: Path) -> None:
    """Move a finished ``tmp`` folder into place; the old ``final`` is removed only afterwards."""
    final.parent.mkdir(parents=True, exist_ok=True)
    old = None
    if final.exists():
        old = final.with_name(f".{final.name}.old-{os.getpid()}")
        os.replace(final, old)
    os.replace(tmp, final)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def run_many(names: list[str], set_options: list[str] | None = None, out: str | None = None,
             jobs: int = 0, report: bool = True) -> int:
    """Run each scenario and write ``<out>/<scenario>/``; returns the exit status."""
    overrides = parse_set_options(set_options)
    base = Path(out).resolve() if out else outputs_dir()
    scenarios = [load_scenario(n, overrides) for n in names]  # validate all before writing any
    for s in scenarios:
        final = safe_output_dir(base, s.name)
        final.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{s.name}-", dir=final.parent))
        try:
            s.parameters.table().to_csv(tmp / "parameters.csv", index=False, encoding="utf-8-sig")
            manifest = {"scenario": s.name, "title": s.title, "scenario_hash": s.hash,
                        "parameters": s.parameters.to_jsonable()}
            (tmp / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
            replace_dir_atomically(tmp, final)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        print(f"{s.name}: wrote {display(final)}/")
    return 0
