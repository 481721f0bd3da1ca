"""The README's first quick-start command, pasted into a fresh copy of the project, produces the
baseline report (issue 5: "the README's first command produces the baseline report on a fresh venv").

It installs into a new virtual environment, so it takes about a minute (pip's cache makes it
faster); it is the one test that exercises the install exactly as a new user does.
"""

import json
import os
import re
import shutil
import subprocess

import pytest

from tuoyu_model.paths import PROJECT_ROOT

INSTALL_TIMEOUT_S = 1200  # a cold pip cache on a slow mirror; normally ~40 s


def _quickstart_commands() -> list[str]:
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return [block.strip() for block in re.findall(r"```bash\n(.*?)```", section, flags=re.S)]


def test_readme_has_exactly_two_quickstart_commands():
    commands = _quickstart_commands()
    assert len(commands) == 2 and all("\n" not in c for c in commands)
    assert "tuoyu run baseline" in commands[0] and "pytest" in commands[1]


def _tracked_files() -> list[str]:
    if shutil.which("git") is None or not (PROJECT_ROOT / ".git").exists():
        pytest.skip("not a git checkout: the fresh copy is made from the tracked files")
    out = subprocess.run(["git", "ls-files", "-z"], cwd=PROJECT_ROOT, capture_output=True, check=True)
    return [f for f in out.stdout.decode().split("\0") if f]


def test_first_quickstart_command_writes_the_baseline_report(tmp_path):
    fresh = tmp_path / "tuoyu-model"
    for name in _tracked_files():  # the working tree's tracked files, as a clone would have them
        src = PROJECT_ROOT / name
        if src.is_file():
            (fresh / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, fresh / name)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TUOYU_", "VIRTUAL_ENV", "PYTHONPATH"))}
    proc = subprocess.run(["bash", "-c", _quickstart_commands()[0]], cwd=fresh, env=env, capture_output=True,
                          text=True, encoding="utf-8", errors="replace", timeout=INSTALL_TIMEOUT_S)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = fresh / "outputs" / "baseline"
    for name in ("report.html", "report.ipynb", "results.xlsx", "summary.json", "manifest.json",
                 "tables/allocation.csv", "tables/stock.csv", "tables/budget.csv", "tables/pricing.csv",
                 "tables/demand.csv", "tables/workforce.csv", "tables/shadow_prices.csv"):
        assert (out / name).is_file(), name
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "摘要" in html and "影子价格" in html and "Traceback" not in html
    assert len(list((out / "figures").glob("*.png"))) >= 5
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["solver"]["status"] == "Optimal" and summary["public_cost_yuan"]["total"] > 0
    assert "Traceback" not in proc.stderr
