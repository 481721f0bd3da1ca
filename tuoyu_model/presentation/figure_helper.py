"""Save a report's charts in two processes at once: some drawn in a forked helper, the rest here.

Drawing is about half of a run's writing time; where the operating system can fork and a core is
spare, :func:`save_figures` draws :data:`HELPER_CHARTS` in a child process while the caller writes
the tables and the workbook, and returns a function that waits for the files. A helper that fails
or times out is covered: its charts are drawn here. The charts themselves are in
:mod:`tuoyu_model.presentation.figures`.
"""

from __future__ import annotations

import os
import pickle
import select
import signal
import warnings
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from tuoyu_model.errors import ReportError
from tuoyu_model.machine import spare_core
from tuoyu_model.presentation.chart_style import save_figure
from tuoyu_model.presentation.figures import scenario_figure_makers

if TYPE_CHECKING:
    from matplotlib.figure import Figure


# The charts the helper process draws (see save_figures): about half the drawing time (the
# per-unit bars and the map are the costly ones), the other half here while the tables are written.
HELPER_CHARTS = ("budget_by_town", "units_map", "targets_by_town", "inclusive_share")
CHILD_TIMEOUT_S = 120  # a helper process that has not finished by then is stopped; its charts are drawn here


def _draw(makers: Mapping[str, Callable[[], Figure]], paths: Mapping[str, Path], names: list[str]) -> None:
    for name in names:
        save_figure(makers[name](), paths[name])


def _child_draws(makers: Mapping, paths: Mapping, names: list[str], fd: int) -> None:
    """In the forked process: draw ``names``, send back what went wrong and the warnings, exit without cleanup."""
    report: dict[str, Any] = {"error": None, "warnings": []}
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            _draw(makers, paths, names)
        report["warnings"] = [(w.category, str(w.message), w.filename, w.lineno) for w in caught]
    except BaseException as exc:  # noqa: BLE001 - everything is reported to the parent, which decides
        report["error"] = exc if isinstance(exc, ReportError) else f"{type(exc).__name__}: {exc}"
    try:
        data = pickle.dumps(report)
        with os.fdopen(fd, "wb") as pipe:
            pipe.write(data)
    finally:
        os._exit(0)  # no atexit handlers, no flush of the parent's streams (a notebook kernel's sockets)


def save_figures(
    makers: Mapping[str, Callable[[], Figure]], folder: Path, helper: Sequence[str] | None = None
) -> Callable[[], dict[str, Path]]:
    """Draw and save charts as ``folder/<name>.png``, some of them in a forked helper process.

    ``helper`` names the charts the helper draws (default every other one). Returns a function
    that waits for the helper and returns ``{name: path}``: the caller can write its tables
    meanwhile. The files are the same bytes as :func:`save_figure` writes one by one. Without
    ``os.fork`` (Windows), on a machine with no core to spare (:func:`tuoyu_model.machine.spare_core`:
    a helper would only compete with this process), or when the helper fails or takes longer than
    :data:`CHILD_TIMEOUT_S`, the charts it had are drawn in this process; a glyph missing from
    the font raises :class:`~tuoyu_model.errors.ReportError` here as in :func:`save_figure`.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = {name: folder / f"{name}.png" for name in makers}
    names = list(makers)
    theirs = [n for n in (names[1::2] if helper is None else helper) if n in makers]
    ours = [n for n in names if n not in theirs]
    pid = None
    if hasattr(os, "fork") and theirs and spare_core():
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:  # the helper process
            os.close(read_fd)
            _child_draws(makers, paths, theirs, write_fd)
        os.close(write_fd)
    else:
        ours = names

    def wait() -> dict[str, Path]:
        report = None
        if pid is not None:
            try:
                with os.fdopen(read_fd, "rb") as pipe:
                    data = b""
                    while select.select([pipe], [], [], CHILD_TIMEOUT_S)[0]:
                        chunk = os.read(pipe.fileno(), 1 << 16)
                        if not chunk:
                            break
                        data += chunk
                report = pickle.loads(data) if data else None
            finally:
                if report is None:
                    os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
        if report is None or report["error"] is not None:
            if report is not None and isinstance(report["error"], ReportError):
                raise report["error"]
            if pid is not None:
                _draw(makers, paths, theirs)  # the helper failed: draw its charts here
        else:
            for category, message, filename, lineno in report["warnings"]:
                warnings.warn_explicit(message, category, filename, lineno)
        return paths

    try:
        _draw(makers, paths, ours)
    except BaseException:
        if pid is not None:
            _stop(pid)
        raise
    return wait


def _stop(pid: int) -> None:
    """Stop a helper process and reap it."""
    try:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    except OSError:
        pass


def save_scenario_figures(
    tables: Mapping[str, pd.DataFrame], years: list[int], folder: Path
) -> Callable[[], dict[str, Path]]:
    """Start drawing the scenario report's charts into ``folder`` (:func:`save_figures`); call the result to wait."""
    return save_figures(scenario_figure_makers(tables, years), folder, HELPER_CHARTS)
