"""Golden outputs: every shipped scenario's tables and summary, byte for byte.

Each shipped scenario (``data/scenarios/*.yaml``) is run through the model (tables only, no
report), its ``tables/*.csv`` and ``summary.json`` are written by the function a run writes them
with (:func:`tuoyu_model.writers.write_tables`) and compared with the committed copies in
``tests/golden/<scenario>/``. The fields that legitimately change between machines and releases
(the solver's version string) are left out of the summary. From the first commit of these files
on, a change to any shipped scenario's numbers is a visible diff that has to be made on purpose:

    TUOYU_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_golden.py -q

rewrites the golden files from the current code (commit them in their own commit, with the
reason). On a mismatch the test writes ``<name>_actual.<ext>`` beside the golden file (ignored
by git) so the two can be diffed.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tuoyu_model.parameters import list_scenarios
from tuoyu_model.presentation.sentences import worded
from tuoyu_model.results import run_model
from tuoyu_model.writers import write_tables

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("TUOYU_UPDATE_GOLDEN") == "1"
REFRESH = "TUOYU_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_golden.py -q"
# summary.json fields that name the software rather than the result
VOLATILE = {("solver", "version")}


def stable_summary(summary: dict) -> dict:
    """The summary without the fields that change with the installed software."""
    out = json.loads(json.dumps(summary, default=str))
    for outer, inner in VOLATILE:
        out.get(outer, {}).pop(inner, None)
    return out


def golden_files(scenario: str, folder: Path) -> list[Path]:
    """Write the scenario's golden files into ``folder``; return their paths."""
    results = run_model(scenario)
    results = worded(results)  # write_tables words them too; the summary is filtered first
    return list(write_tables(results, folder, summary=stable_summary(results.summary)).values())


def shipped() -> list[str]:
    return sorted(list_scenarios())


@pytest.mark.parametrize("scenario", shipped())
def test_scenario_matches_golden(scenario, tmp_path):
    fresh = golden_files(scenario, tmp_path)
    target = GOLDEN / scenario
    if UPDATE:
        if target.exists():
            for old in target.rglob("*"):
                if old.is_file():
                    old.unlink()
        for path in fresh:
            dst = target / path.relative_to(tmp_path)
            dst.parent.mkdir(parents=True, exist_ok=True)
            dst.write_bytes(path.read_bytes())
        return
    assert target.is_dir(), f"no golden files for {scenario}: run `{REFRESH}` and commit tests/golden/{scenario}/"
    mismatched = []
    expected = {p.relative_to(target) for p in target.rglob("*") if p.is_file() and "_actual." not in p.name}
    produced = {p.relative_to(tmp_path) for p in fresh}
    for rel in sorted(expected | produced):
        got, want = tmp_path / rel, target / rel
        if not got.exists():
            mismatched.append(f"{rel} (no longer written)")
        elif not want.exists():
            mismatched.append(f"{rel} (new file)")
        elif got.read_bytes() != want.read_bytes():
            actual = want.with_name(f"{want.stem}_actual{want.suffix}")
            actual.write_bytes(got.read_bytes())
            mismatched.append(f"{rel} (see {actual.relative_to(GOLDEN.parent.parent)})")
    assert not mismatched, (
        f"{scenario}: outputs differ from tests/golden/{scenario}/: {', '.join(mismatched)}. "
        f"If the change is deliberate, refresh with `{REFRESH}` and commit the golden files with the reason."
    )


def test_every_golden_folder_is_a_shipped_scenario():
    stale = sorted(p.name for p in GOLDEN.iterdir() if p.is_dir()) if GOLDEN.exists() else []
    assert set(stale) <= set(shipped()), f"golden folders without a shipped scenario: {set(stale) - set(shipped())}"
