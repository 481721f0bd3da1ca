"""Shared test settings: floating-point errors raise (warnings already do, via pyproject).

Under CI, hypothesis is derandomised. Whole-slot solves are remembered in a folder of this
session only (never the user's own cache), so every scenario is solved once per session —
in this process, in pytest-xdist's workers and in the report kernels and CLI subprocesses the
tests start.
"""

import os
import shutil
import tempfile

import numpy as np
import pytest
from hypothesis import settings

from tuoyu_model.allocation import solve_cache

# A division by zero or an overflow in the model is a bug, not a NaN to carry along.
np.seterr(all="raise")

# Under CI the property tests are derandomised: the same examples on every run, so a red CI is
# reproducible and never a matter of luck. Locally they explore (the default profile).
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

# One solve cache for the session (tuoyu_model.allocation.solve_cache), removed at its end;
# `TUOYU_SOLVE_CACHE=off pytest` keeps it off (every solve cold). Never the developer's own folder.
# Under pytest-xdist (`-n auto`) the controller makes the folder and its workers, started after
# this file is read, inherit it through _SHARED: a scenario solved by one worker is read back by
# the other (the cache's files are written to a temporary name and renamed).
_SHARED = "TUOYU_TEST_SOLVES"
_WORKER = bool(os.environ.get("PYTEST_XDIST_WORKER"))  # xdist sets it before a worker reads this file
_SOLVES = os.environ[_SHARED] if _WORKER and os.environ.get(_SHARED) else tempfile.mkdtemp(prefix="tuoyu-test-solves-")
os.environ[_SHARED] = _SOLVES
if os.environ.get(solve_cache.ENV, "").strip().lower() not in solve_cache.OFF:
    os.environ[solve_cache.ENV] = _SOLVES


def pytest_sessionfinish(session, exitstatus):
    if not _WORKER:  # the controller (or a run without xdist) owns the folder
        shutil.rmtree(_SOLVES, ignore_errors=True)
        os.environ.pop(_SHARED, None)


@pytest.fixture
def data_copy(tmp_path, monkeypatch):
    """A private copy of data/ that a test may break; TUOYU_DATA_DIR points at it."""
    import shutil

    from tuoyu_model.paths import PROJECT_ROOT

    dst = tmp_path / "data"
    shutil.copytree(PROJECT_ROOT / "data", dst)
    monkeypatch.setenv("TUOYU_DATA_DIR", str(dst))
    monkeypatch.setenv("TUOYU_OUTPUTS_DIR", str(tmp_path / "outputs"))
    return dst
