"""Exceptions for tuoyu-model, and the language people read them in.

Every user-facing error derives from :class:`TuoyuError` and also from the matching builtin, so
callers can catch either. Messages name the file, the field, the value received, what was
expected, and the fix; the command line prints them on one line and exits 2.

Messages are written in Chinese, for the people who run the model; an error may also carry an
English text (``en=``) for developers, shown instead when the environment variable
``TUOYU_LANG`` is ``en`` (:func:`english`). Console lines and ``--help`` follow the same
setting through :func:`pick`. Identifiers, file paths, parameter and column names stay as they
are inside the Chinese sentence.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterable

LANG_VARIABLE = "TUOYU_LANG"


def english() -> bool:
    """Whether ``TUOYU_LANG`` asks for English (``en``, ``en_US``, …); Chinese otherwise.

    Examples
    --------
    >>> import os
    >>> os.environ.pop("TUOYU_LANG", None) and None
    >>> english()
    False

    """
    return os.environ.get(LANG_VARIABLE, "").strip().lower().startswith("en")


def pick(zh: str, en: str | None = None) -> str:
    """Return ``en`` when :func:`english` and ``en`` is given, else ``zh``.

    Examples
    --------
    >>> pick("已写入", "wrote") if not english() else "已写入"
    '已写入'

    """
    return en if en is not None and english() else zh


def error_prefix() -> str:
    """Return the start of an error line on the console: ``tuoyu：错误：`` (``tuoyu: error: `` in English)."""
    return pick("tuoyu：错误：", "tuoyu: error: ")


def _one_line(text: object) -> str:
    return " ".join(str(text).split())


class TuoyuError(Exception):
    r"""Base class of every error this package raises for a user's mistake or an unmet target.

    ``message`` is the Chinese text; ``en`` optionally the English one (:func:`pick` chooses
    which ``str()`` gives). Both are kept on one line (line breaks, e.g. from a quoted CSV cell
    or a parser's message, become spaces) because the command line promises exactly one line
    on stderr.

    Examples
    --------
    >>> e = DataError("data/towns.csv：第 3 行，列 'town' = 'a\nb' 无法识别", en="data/towns.csv: row 3 unknown")
    >>> e.zh, e.en
    ("data/towns.csv：第 3 行，列 'town' = 'a b' 无法识别", 'data/towns.csv: row 3 unknown')

    """

    def __init__(self, message: object = "", *args: object, en: object | None = None) -> None:
        self.zh = _one_line(message)
        self.en = _one_line(en) if en is not None else None
        super().__init__(self.zh, *args)

    def __str__(self) -> str:
        return pick(self.zh, self.en)


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


def did_you_mean(name: str, choices: Iterable[str], en: bool = False) -> str:
    """Return ``"（是否想写 'x'？）"`` (or, with ``en``, ``" (did you mean 'x'?)"``) for the closest choice, or ``""``.

    Examples
    --------
    >>> did_you_mean("fee_cap_shar", ["fee_cap_share", "household_size"])
    "（是否想写 'fee_cap_share'？）"
    >>> did_you_mean("fee_cap_shar", ["fee_cap_share"], en=True)
    " (did you mean 'fee_cap_share'?)"
    >>> did_you_mean("zzz", ["fee_cap_share"])
    ''

    """
    close = difflib.get_close_matches(str(name), [str(c) for c in choices], n=1, cutoff=0.6)
    if not close:
        return ""
    return f" (did you mean '{close[0]}'?)" if en else f"（是否想写 '{close[0]}'？）"
