"""What is stored in the repository: clean notebooks, no generated files, CI = the README's command,
and the README's first command works in a fresh copy (issue 5)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys

import pytest

from tuoyu_model.paths import PROJECT_ROOT

INSTALL_TIMEOUT_S = 1200  # a cold pip cache on a slow mirror; normally ~40 s
NOTEBOOKS = sorted(p for p in (PROJECT_ROOT / "notebooks").glob("*.ipynb"))


def _git_ls_files(*args: str) -> list[str]:
    if shutil.which("git") is None or not (PROJECT_ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    proc = subprocess.run(
        ["git", "ls-files", *args], cwd=PROJECT_ROOT, capture_output=True, text=True, encoding="utf-8", check=True
    )
    return proc.stdout.splitlines()


def _notebook_problems(nb: dict) -> list[str]:
    problems = []
    if "papermill" in nb.get("metadata", {}):
        problems.append("notebook metadata 'papermill' (an executed copy)")
    for i, cell in enumerate(nb.get("cells", [])):
        if cell.get("cell_type") != "code":
            continue
        if cell.get("outputs"):
            problems.append(f"cell {i} has outputs")
        if cell.get("execution_count") is not None:
            problems.append(f"cell {i} has execution_count {cell['execution_count']}")
        for key in ("papermill", "execution"):
            if key in cell.get("metadata", {}):
                problems.append(f"cell {i} metadata '{key}' (run timestamps)")
    return problems


def test_notebooks_are_stored_without_outputs():
    bad = {}
    for path in NOTEBOOKS:
        problems = _notebook_problems(json.loads(path.read_text(encoding="utf-8")))
        if problems:
            bad[path.name] = problems
    assert not bad, (
        f"notebooks stored with outputs: {bad}; clear them with "
        "'jupyter nbconvert --clear-output --inplace notebooks/NAME.ipynb' before committing"
    )


@pytest.mark.parametrize(
    "nb, problem",
    [
        (
            {"cells": [{"cell_type": "code", "outputs": [{"output_type": "stream"}], "execution_count": None}]},
            "cell 0 has outputs",
        ),
        (
            {"cells": [{"cell_type": "markdown"}, {"cell_type": "code", "outputs": [], "execution_count": 3}]},
            "cell 1 has execution_count 3",
        ),
        ({"metadata": {"papermill": {}}, "cells": []}, "papermill"),
        (
            {
                "cells": [
                    {
                        "cell_type": "code",
                        "outputs": [],
                        "execution_count": None,
                        "metadata": {"execution": {"iopub.status.busy": "2026-01-01"}},
                    }
                ]
            },
            "run timestamps",
        ),
    ],
)
def test_the_notebook_check_can_fail(nb, problem):
    assert any(problem in p for p in _notebook_problems(nb))


def test_a_clean_notebook_passes_the_check():
    nb = {
        "metadata": {"kernelspec": {}},
        "cells": [{"cell_type": "code", "outputs": [], "execution_count": None, "metadata": {"tags": ["parameters"]}}],
    }
    assert _notebook_problems(nb) == []


def test_outputs_folder_tracks_only_its_readme():
    assert _git_ls_files("outputs") == ["outputs/README.md"]


def test_no_generated_files_are_tracked():
    generated = re.compile(
        r"(__pycache__/|\.pyc$|\.egg-info/|^build/|^dist/|\.ipynb_checkpoints/|_actual\.csv$"
        r"|^\.venv/|\.pytest_cache/|\.ruff_cache/|\.hypothesis/)"
    )
    tracked = [f for f in _git_ls_files() if generated.search(f)]
    assert tracked == []


def _quick_start_commands() -> list[str]:
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return [block.strip() for block in re.findall(r"```bash\n(.*?)```", section, flags=re.S)]


def test_readme_quick_start_is_two_commands():
    commands = _quick_start_commands()
    assert len(commands) == 2
    assert all("\n" not in c for c in commands), "each quick-start command is one line to paste"
    assert "tuoyu run" in commands[0]
    assert "pytest" in commands[1]


def test_ci_runs_the_readme_test_command():
    test_command = _quick_start_commands()[1]
    ci = (PROJECT_ROOT / ".ci" / "run").read_text(encoding="utf-8")
    lines = [line.strip() for line in ci.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    assert test_command in lines, f".ci/run does not run the README's test command: {test_command}"


@pytest.mark.slow
def test_first_quick_start_command_writes_the_baseline_report(tmp_path):
    """The README's first command, pasted into a fresh copy with a new venv, writes the full report.

    It installs into a new virtual environment (about 45 s with pip's cache): the one test that
    exercises the install exactly as a new user does.
    """
    fresh = tmp_path / "tuoyu-model"
    for name in _git_ls_files():
        src = PROJECT_ROOT / name
        if src.is_file():  # the working tree's tracked files, as a clone would have them
            (fresh / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, fresh / name)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TUOYU_", "VIRTUAL_ENV", "PYTHONPATH"))}
    env["TUOYU_SOLVE_CACHE"] = str(tmp_path / "solves")  # empty, as on a new machine (and not the user's own)
    proc = subprocess.run(
        ["bash", "-c", _quick_start_commands()[0]],
        cwd=fresh,
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="replace",
        timeout=INSTALL_TIMEOUT_S,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr
    out = fresh / "outputs" / "baseline"
    for name in (
        "report.html",
        "report.ipynb",
        "results.xlsx",
        "summary.json",
        "manifest.json",
        "tables/allocation.csv",
        "tables/stock.csv",
        "tables/budget.csv",
        "tables/pricing.csv",
        "tables/demand.csv",
        "tables/workforce.csv",
        "tables/shadow_prices.csv",
    ):
        assert (out / name).is_file(), name
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "主要结论" in html and "影子价格" in html and "Traceback" not in html
    assert len(list((out / "figures").glob("*.png"))) >= 5
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["solver"]["status"] == "Optimal" and summary["public_cost_yuan"]["total"] > 0


def test_xdist_workers_share_one_solve_cache_that_the_controller_removes(tmp_path):
    """Under `pytest -n 2` both workers solve into the controller's folder, and it is gone afterwards.

    A scenario one worker solved is then read back by the other (tests/conftest.py); a worker that
    made its own folder, or removed the shared one while the other still used it, fails here.
    """
    pytest.importorskip("xdist")
    (tmp_path / "conftest.py").write_text((PROJECT_ROOT / "tests" / "conftest.py").read_text("utf-8"), "utf-8")
    seen = tmp_path / "seen"
    seen.mkdir()
    (tmp_path / "test_where.py").write_text(
        "import os, pathlib, time\n"
        "import pytest\n"
        "@pytest.mark.parametrize('i', range(4))\n"
        "def test_where(i):\n"
        "    folder = os.environ['TUOYU_SOLVE_CACHE']\n"
        "    assert pathlib.Path(folder).is_dir()\n"
        "    time.sleep(0.2)  # both workers at once\n"
        f"    (pathlib.Path({str(seen)!r}) / f\"{{os.environ['PYTEST_XDIST_WORKER']}}-{{i}}\").write_text(folder)\n",
        "utf-8",
    )
    env = {k: v for k, v in os.environ.items() if k not in ("TUOYU_SOLVE_CACHE", "TUOYU_TEST_SOLVES")}
    env = {k: v for k, v in env.items() if not k.startswith("PYTEST_XDIST")}  # this run may itself be a worker
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "addopts=", "-n", "2", "--dist", "load"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    files = sorted(seen.iterdir())
    assert len(files) == 4 and {f.name.split("-")[0] for f in files} == {"gw0", "gw1"}, [f.name for f in files]
    folders = {f.read_text() for f in files}
    assert len(folders) == 1, folders
    assert not os.path.exists(folders.pop())  # removed by the controller at the end
