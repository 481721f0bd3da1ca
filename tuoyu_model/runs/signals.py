"""SIGTERM handled like Ctrl-C, so that a terminated run removes its temporary folders on the way out.

Kept apart from :mod:`tuoyu_model.runs.parallel` so that the command line can install the
handler without importing the model.
"""

from __future__ import annotations

import signal
from typing import Any


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C so that temporary folders are removed on the way out."""


def raise_terminated(signum: int, frame: Any) -> None:
    """Signal handler: turn SIGTERM into :class:`Terminated`."""
    raise Terminated


def worker_signals() -> None:
    """Initialise a worker process: Ctrl-C is left to the parent (which terminates it); SIGTERM cleans up."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, raise_terminated)
