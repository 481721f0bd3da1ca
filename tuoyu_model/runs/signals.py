"""Ctrl-C and SIGTERM: a stopped run removes its temporary folders, says one line and never publishes.

SIGTERM is handled like Ctrl-C (:class:`Terminated`, a ``KeyboardInterrupt``). Both handlers also
*remember* the signal (:func:`stop_requested`): a library that catches ``KeyboardInterrupt`` and
carries on (the notebook client, while its kernel — in the same process group — is interrupted
too) cannot turn a stopped run into a published one, because
:func:`~tuoyu_model.runs.publish.publishing` checks :func:`raise_if_stopped` before it replaces the
outputs. From the signal on, library log lines (the notebook client's "Kernel died …", asyncio's
"Task exception was never retrieved") are silenced: the user reads one line, the command's.

Kept apart from :mod:`tuoyu_model.runs.parallel` so that the command line can install the
handlers without importing the model.
"""

from __future__ import annotations

import logging
import signal
from typing import Any


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C so that temporary folders are removed on the way out."""


_STOPPED: dict[str, type[KeyboardInterrupt] | None] = {"by": None}


def _stop(kind: type[KeyboardInterrupt]) -> None:
    if _STOPPED["by"] is None or kind is Terminated:
        _STOPPED["by"] = kind
    logging.disable(logging.CRITICAL)  # the process is stopping: no library's log lines after the signal
    raise kind


def raise_terminated(signum: int, frame: Any) -> None:
    """Signal handler: turn SIGTERM into :class:`Terminated` (and remember it)."""
    _stop(Terminated)


def raise_interrupted(signum: int, frame: Any) -> None:
    """Signal handler: Ctrl-C as ``KeyboardInterrupt`` (and remember it)."""
    _stop(KeyboardInterrupt)


def stop_requested() -> bool:
    """Whether SIGINT or SIGTERM arrived since :func:`install` (even if its exception was swallowed)."""
    return _STOPPED["by"] is not None


def raise_if_stopped() -> None:
    """Raise the remembered stop again (``KeyboardInterrupt`` or :class:`Terminated`), if any."""
    kind = _STOPPED["by"]
    if kind is not None:
        raise kind


def install() -> dict:
    """Install the SIGINT and SIGTERM handlers of a command, forget any earlier stop; return the previous handlers.

    SIGINT is left alone where it is ignored (inherited ``SIG_IGN``: a job a shell put in the
    background must not stop on the terminal's Ctrl-C).
    """
    _STOPPED["by"] = None
    previous = {signal.SIGTERM: signal.signal(signal.SIGTERM, raise_terminated)}
    # A SIGINT ignored by whoever started us (a shell's background job) stays ignored, as Python does.
    if signal.getsignal(signal.SIGINT) is not signal.SIG_IGN:
        previous[signal.SIGINT] = signal.signal(signal.SIGINT, raise_interrupted)
    return previous


def restore(previous: dict) -> None:
    """Put back the handlers :func:`install` replaced, and the logging it silenced after a stop."""
    for signum, handler in previous.items():
        signal.signal(signum, handler)
    _STOPPED["by"] = None
    logging.disable(logging.NOTSET)


def worker_signals() -> None:
    """Initialise a worker process: Ctrl-C is left to the parent (which terminates it); SIGTERM cleans up."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, raise_terminated)
