"""argparse speaking the user's language: Chinese help, and one Chinese line for a mistake.

:class:`ArgumentParser` replaces argparse's usage block and exit by a
:class:`~tuoyu_model.errors.UsageError` (printed by :func:`tuoyu_model.cli.main` on one line,
exit 2) naming ``--help`` as the fix, and titles its help 用法、位置参数、选项; with
``TUOYU_LANG=en`` argparse's own English words.
"""

from __future__ import annotations

import argparse
import re
import sys

from tuoyu_model.errors import UsageError, did_you_mean, pick

# argparse's messages (Python 3.10–3.13 wording) in Chinese; anything else is quoted as it is.
_TYPE_ZH = {"int": "整数", "float": "数字"}
_ARGPARSE_ZH = (
    (r"the following arguments are required: (?P<a>.+)", "缺少参数 {a}"),
    (r"argument (?P<a>\S+): invalid (?P<t>\w+) value: '(?P<v>.*)'", "{a} 的值 '{v}' 不是{t}"),
    (
        r"argument (?P<a>\S+): invalid choice: '(?P<v>.*?)' \(choose from (?P<c>.+)\)",
        "{a} 不能是 '{v}'{hint}，可选 {c}",
    ),
    (r"argument (?P<a>\S+): expected one argument", "{a} 后面要跟一个值"),
    (r"argument (?P<a>\S+): expected at least one argument", "{a} 后面至少要跟一个值"),
    (r"ambiguous option: (?P<a>\S+) could match (?P<c>.+)", "选项 {a} 有歧义，可能是 {c}"),
    (r"argument (?P<a>\S+): ignored explicit argument '(?P<v>.*)'", "{a} 不接受值（收到 '{v}'）"),
)


def _usage_zh(message: str) -> str:
    """Translate one argparse message into Chinese (unknown wording is kept, quoted).

    Examples
    --------
    >>> _usage_zh("argument --jobs: invalid int value: 'abc'")
    "--jobs 的值 'abc' 不是整数"
    >>> _usage_zh("argument COMMAND: invalid choice: 'rn' (choose from 'validate', 'run')")
    "COMMAND 不能是 'rn'（是否想写 'run'？），可选 'validate', 'run'"

    """
    for pattern, zh in _ARGPARSE_ZH:
        m = re.fullmatch(pattern, message.strip())
        if m:
            parts = m.groupdict()
            if "t" in parts:
                parts["t"] = _TYPE_ZH.get(parts["t"], parts["t"])
            if "c" in parts and "v" in parts:
                close = did_you_mean(parts["v"], re.findall(r"'([^']*)'", parts["c"]))
                parts["hint"] = close
            return zh.format(**parts)
    return f"命令行有误（{message.strip()}）"


class HelpFormatter(argparse.HelpFormatter):
    """argparse's help with its own words (用法、位置参数、选项) in the reader's language."""

    def add_usage(self, usage, actions, groups, prefix=None):  # noqa: ANN001, ANN201 - argparse's signature
        """Start the usage line with 用法： (usage: in English)."""
        super().add_usage(usage, actions, groups, prefix if prefix is not None else pick("用法：", "usage: "))


class ArgumentParser(argparse.ArgumentParser):
    """argparse with one Chinese line for a mistake, naming ``--help`` as the fix, instead of the usage block.

    Its help is Chinese too (section titles, ``-h``); with ``TUOYU_LANG=en`` the English texts.

    Raises
    ------
    UsageError
        (exit status 2 from :func:`main`) for an unknown option or command, a missing or a
        badly typed argument. ``--help`` still prints the full help and exits 0.

    """

    def __init__(self, *args, **kwargs) -> None:  # noqa: ANN002, ANN003 - argparse's signature
        kwargs.setdefault("formatter_class", HelpFormatter)
        kwargs["add_help"] = False
        super().__init__(*args, **kwargs)
        self._positionals.title = pick("位置参数", "positional arguments")
        self._optionals.title = pick("选项", "options")
        self.add_argument(
            "-h", "--help", action="help", help=pick("显示本帮助并退出", "show this help message and exit")
        )

    def error(self, message: str) -> None:  # type: ignore[override] - raises instead of exiting
        """Raise the mistake as one line; :func:`main` prints it and returns 2."""
        raise UsageError(
            f"{self.prog}: {_usage_zh(message)}；运行 '{self.prog} --help' 查看用法",
            en=f"{self.prog}: {message}; run '{self.prog} --help' for usage",
        )

    def parse_args(self, args=None, namespace=None):  # noqa: ANN001, ANN201 - argparse's signature
        """Parse, naming the subcommand's ``--help`` when an option is not known to it."""
        given = sys.argv[1:] if args is None else list(args)
        if given and given[0].startswith("-") and given[0] not in self._option_string_actions:
            # An unknown option before the command: name it, not the command argparse then misses.
            parsed, extras = None, given[:1]
        else:
            parsed, extras = self.parse_known_args(given, namespace)
        if extras:
            command = getattr(parsed, "command", None)
            prog = f"{self.prog} {command}" if command else self.prog
            raise UsageError(
                f"{prog}: 无法识别的参数 {' '.join(extras)}；运行 '{prog} --help' 查看可用的选项",
                en=f"{prog}: unrecognized arguments: {' '.join(extras)}; run '{prog} --help' for the options",
            )
        return parsed
