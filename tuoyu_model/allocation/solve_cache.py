"""Whole-slot solves remembered: the same problem, solver and tolerances are read back, not solved again.

A whole-slot plan is a mixed-integer program, and proving its optimum takes seconds (a cold
baseline run's marginal questions about 1.5 s for Daxing, budget_cut_20's about 15 s), while the same
scenario is solved again and again: a report after a table run, a comparison, the explorer
returning to its starting point, the test suite. The answer of a deterministic solver to a
given problem is a function of that problem, so it is kept under a fingerprint of everything
the solver sees:

- every column in the order the solver receives it (name, bounds, integrality), the objective
  (coefficients, constant, sense) and every row (name, sense, right-hand side, coefficients, in
  order) — repr() of each float, so two problems share a key only if they are the same to the bit;
- the solver's name and version, the relative and absolute gaps, whether it is a MIP;
- what else the solver is handed beside the problem (a restated row,
  :class:`tuoyu_model.allocation.solver.Aggregated`, and the options that go with it), as text.

A changed parameter, a changed formula or another solver version gives another key; there is
nothing to invalidate. Only MIP solves are kept: an LP's answer includes duals and ranging that
are read from the solver itself, and LPs solve in milliseconds.

Where: in memory for the process (at most :data:`MEMORY_ENTRIES` answers), and in a folder
shared by processes (a report's kernel, a parallel run): ``$TUOYU_SOLVE_CACHE`` if set, else
``$XDG_CACHE_HOME/tuoyu-model/solves`` (``~/.cache/…``). ``TUOYU_SOLVE_CACHE=off`` turns both
off. One small JSON file per answer (a few kB; at most :data:`MAX_FILES`, the least recently
written removed beyond that), written to a temporary name and renamed, so a reader never
sees half a file; a file that does not read as an answer to its key (damaged, edited, another
format) is ignored and solved again; an unwritable folder only means nothing is kept on disk.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import re
import tempfile
import threading
from collections import OrderedDict
from pathlib import Path

import pulp

ENV = "TUOYU_SOLVE_CACHE"
OFF = ("off", "0", "no", "false")
FORMAT = 1
MEMORY_ENTRIES = 256
MAX_FILES = 2000  # answers kept on disk; beyond it the least recently written are removed
_ANSWER = re.compile(r"[0-9a-f]{64}\.json")  # the only files this module ever removes

_LOCK = threading.Lock()
_MEMORY: OrderedDict[str, dict] = OrderedDict()


def cache_folder() -> Path | None:
    """Return the folder answers are kept in, or None when caching is off (``TUOYU_SOLVE_CACHE=off``)."""
    value = os.environ.get(ENV, "").strip()
    if value.lower() in OFF:
        return None
    if value:
        return Path(value).expanduser()
    base = os.environ.get("XDG_CACHE_HOME", "").strip() or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "tuoyu-model" / "solves"


def enabled() -> bool:
    """Whether solves are remembered at all (in memory and on disk)."""
    return cache_folder() is not None


def _number(value: float | None) -> str:
    return "None" if value is None else repr(float(value))


def fingerprint(
    prob: pulp.LpProblem, solver: str, version: str, mip: bool, gap: float, gap_abs: float | None, extra: str = ""
) -> str:
    """Return the key of ``prob`` as ``solver`` would receive it (SHA-256 hex digest).

    ``extra``: text for what the solver gets beside ``prob`` ('' for nothing: the key is then the
    one of earlier versions).

    Columns in ``prob.variables()`` order and rows in insertion order — the orders the HiGHS
    bridge and CBC's MPS file use — so that two problems differing only in order (which can change
    which of several optimal plans a solver returns) do not share an answer.
    """
    h = hashlib.sha256()
    head = (FORMAT, solver, version, bool(mip), _number(gap), _number(gap_abs), prob.sense)
    h.update(repr(head).encode())
    if extra:
        h.update(f"x|{extra}\n".encode())
    for var in prob.variables():
        h.update(f"c|{var.name}|{_number(var.lowBound)}|{_number(var.upBound)}|{var.cat}\n".encode())
    h.update(f"o|{_number(prob.objective.constant)}\n".encode())
    for var, coef in prob.objective.items():
        h.update(f"{var.name}={coef!r};".encode())
    for name, con in prob._constraints.items():  # noqa: SLF001 - the rows in the order the solver gets them
        h.update(f"\nr|{name}|{con.sense}|{_number(con.constant)}|".encode())
        for var, coef in con.items():
            h.update(f"{var.name}={coef!r};".encode())
    return h.hexdigest()


def _path(folder: Path, key: str) -> Path:
    return folder / key[:2] / f"{key}.json"


def _valid(entry: object, key: str, n: int) -> bool:
    """Whether ``entry`` is an answer to ``key`` for a problem of ``n`` columns."""
    if not isinstance(entry, dict) or entry.get("format") != FORMAT or entry.get("key") != key:
        return False
    if not isinstance(entry.get("status"), int) or not isinstance(entry.get("sol_status"), int):
        return False
    values = entry.get("values")
    if values is None:
        return entry["status"] != pulp.LpStatusOptimal
    return isinstance(values, list) and len(values) == n and all(map(_finite_or_none, values))


def _finite_or_none(value: object) -> bool:
    if value is None:
        return True
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def lookup(key: str, prob: pulp.LpProblem) -> dict | None:
    """Return the remembered answer to ``key`` (memory first, then the folder), or None."""
    folder = cache_folder()
    if folder is None:
        return None
    n = len(prob.variables())
    with _LOCK:
        entry = _MEMORY.get(key)
        if entry is not None:
            _MEMORY.move_to_end(key)
            return entry
    try:
        with open(_path(folder, key), encoding="utf-8") as fh:
            entry = json.load(fh)
    except (OSError, ValueError, UnicodeDecodeError):
        return None
    if not _valid(entry, key, n):
        return None
    _remember(key, entry)
    return entry


def _remember(key: str, entry: dict) -> None:
    with _LOCK:
        _MEMORY[key] = entry
        _MEMORY.move_to_end(key)
        while len(_MEMORY) > MEMORY_ENTRIES:
            _MEMORY.popitem(last=False)


def store(key: str, prob: pulp.LpProblem, solver_seconds: float) -> None:
    """Keep ``prob``'s solved state (status and, if optimal, every column's value) under ``key``."""
    folder = cache_folder()
    if folder is None:
        return
    optimal = prob.status == pulp.LpStatusOptimal
    entry = {
        "format": FORMAT,
        "key": key,
        "status": int(prob.status),
        "sol_status": int(prob.sol_status),
        "values": [None if v.varValue is None else float(v.varValue) for v in prob.variables()] if optimal else None,
        "solver_seconds": float(solver_seconds) if math.isfinite(solver_seconds) else None,
    }
    _remember(key, entry)
    path = _path(folder, key)
    with contextlib.suppress(OSError):  # an unwritable or full folder: the answer stays in memory only
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(entry, fh, separators=(",", ":"))
            os.replace(tmp, path)
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        _prune(folder)


def _prune(folder: Path, limit: int | None = None) -> None:
    """Keep at most ``limit`` (:data:`MAX_FILES`) answers: remove the least recently written beyond it.

    Only files named as answers (64 hex digits, ``.json``) in the two-letter subfolders are ever
    removed; anything else in the folder is left alone.
    """
    limit = MAX_FILES if limit is None else limit
    answers = []
    for sub in folder.iterdir():
        if sub.is_dir() and len(sub.name) == 2:
            answers += [p for p in sub.iterdir() if _ANSWER.fullmatch(p.name)]
    if len(answers) <= limit:
        return
    answers.sort(key=_written)
    for old in answers[: len(answers) - limit]:
        with contextlib.suppress(OSError):
            old.unlink()


def restore(prob: pulp.LpProblem, entry: dict) -> None:
    """Put a remembered answer into ``prob``: its status and every column's value."""
    prob.status, prob.sol_status = entry["status"], entry["sol_status"]
    values = entry["values"]
    if values is not None:
        for var, value in zip(prob.variables(), values, strict=True):
            var.varValue = value


def _written(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:  # removed meanwhile by another process
        return 0.0


def memory_keys() -> set[str]:
    """Return the keys of the answers held in memory now (for :func:`memory_since`)."""
    with _LOCK:
        return set(_MEMORY)


def memory_since(known: set[str]) -> list[tuple[str, dict]]:
    """Return the answers held in memory whose key is not in ``known``, as (key, entry) pairs.

    A forked process that solved sends them to its parent, which :func:`remember` s them.
    """
    with _LOCK:
        return [(key, entry) for key, entry in _MEMORY.items() if key not in known]


def remember(key: str, entry: dict) -> None:
    """Hold ``entry`` (an answer another process read or stored under ``key``) in this process's memory."""
    if enabled():
        _remember(key, entry)


def clear_memory() -> None:
    """Forget the answers held in memory (the folder is left as it is)."""
    with _LOCK:
        _MEMORY.clear()
