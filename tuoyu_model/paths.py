"""Where the data and the outputs live.

The package runs from an editable install or a checkout: ``data/`` and ``outputs/`` sit beside
``tuoyu_model/``. ``TUOYU_DATA_DIR`` and ``TUOYU_OUTPUTS_DIR`` point elsewhere (tests use them), so
the result never depends on the current working directory.
"""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = PACKAGE_DIR.parent


def data_dir() -> Path:
    """Return the data folder: ``$TUOYU_DATA_DIR`` or ``<project>/data``."""
    env = os.environ.get("TUOYU_DATA_DIR")
    return Path(env).resolve() if env else PROJECT_ROOT / "data"


def outputs_dir() -> Path:
    """Return the outputs folder: ``$TUOYU_OUTPUTS_DIR`` or ``<project>/outputs``."""
    env = os.environ.get("TUOYU_OUTPUTS_DIR")
    return Path(env).resolve() if env else PROJECT_ROOT / "outputs"


def notebooks_dir() -> Path:
    """Return the folder of the report notebooks."""
    return PROJECT_ROOT / "notebooks"


def display(path: Path) -> str:
    """Show ``path`` relative to the project root when it lies inside it (for messages)."""
    path = Path(path)
    try:
        return path.resolve().relative_to(PROJECT_ROOT).as_posix()
    except ValueError:
        return str(path)
