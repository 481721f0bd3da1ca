"""What this machine offers a run: whether a second process would get a core of its own.

Two parts of a run fork a helper process where a core is spare — the report's charts
(:mod:`tuoyu_model.presentation.figure_helper`) and the marginal questions
(:mod:`tuoyu_model.allocation.marginal`); on a machine already busy the helper only competes with
its parent (measured: no faster, at times slower), so both ask :func:`spare_core` first.
"""

from __future__ import annotations

import os

__all__ = ["spare_core"]


def spare_core() -> bool:
    """Whether a second process would get a core of its own: the load average is below the cores less a half.

    False where the system gives no load average (Windows).
    """
    try:
        return os.getloadavg()[0] < (os.cpu_count() or 1) - 0.5
    except (AttributeError, OSError):
        return False
