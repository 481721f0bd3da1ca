"""Exceptions for tuoyu-model.

Every user-facing error derives from :class:`TuoyuError` and also from the matching builtin, so
callers can catch either. Messages name the file, the field, the value received, what was
expected, and the fix; the command line prints them on one line and exits 2.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class TuoyuError(Exception):
    r"""Base class of every error this package raises for a user's mistake or an unmet target.

    The message is kept on one line (line breaks, e.g. from a quoted CSV cell or a parser's
    message, become spaces) because the command line promises exactly one line on stderr.

    Examples
    --------
    >>> str(DataError("data/towns.csv: row 3, column 'town' = 'a\nb' is unknown"))
    "data/towns.csv: row 3, column 'town' = 'a b' is unknown"

    """

    def __init__(self, message: object = "", *args: object) -> None:
        super().__init__(" ".join(str(message).split()), *args)


class DataError(TuoyuError, ValueError):
    """A data file (targets, towns, parameters, progress returns) is missing or malformed."""


class ScenarioError(TuoyuError, ValueError):
    """A scenario file or a ``--set`` override is malformed or names an unknown parameter."""


class UsageError(TuoyuError, ValueError):
    """The command line itself is wrong: an unknown option or command, a missing or mistyped argument."""


class SolverError(TuoyuError, RuntimeError):
    """The optimiser did not return an optimal solution."""


class ReportError(TuoyuError, RuntimeError):
    """Rendering or writing a report failed; the previous outputs are left untouched."""


def did_you_mean(name: str, choices: Iterable[str]) -> str:
    """Return ``" (did you mean 'x'?)"`` for the closest choice, or ``""`` if none is close.

    Examples
    --------
    >>> did_you_mean("fee_cap_shar", ["fee_cap_share", "household_size"])
    " (did you mean 'fee_cap_share'?)"
    >>> did_you_mean("zzz", ["fee_cap_share"])
    ''

    """
    close = difflib.get_close_matches(str(name), [str(c) for c in choices], n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""
