"""Shared test settings: floating-point errors raise (warnings already do, via pyproject)."""

import numpy as np
import pytest

# A division by zero or an overflow in the model is a bug, not a NaN to carry along.
np.seterr(all="raise")


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
