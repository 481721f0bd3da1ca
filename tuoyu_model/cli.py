r"""The ``tuoyu`` command line.

User mistakes (a bad file, a typo in a scenario key, an unknown scenario, an unknown option)
print one line on stderr naming the file, the field and the fix, and exit with status 2 — never
a traceback or argparse's usage block. A console that cannot show Chinese (``LC_ALL=C``) gets
the characters as ``\uXXXX`` escapes, never a crash.
"""

from __future__ import annotations

import argparse
import io
import os
import re
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from tuoyu_model.data import TARGET_SETS, load_targets, load_towns
from tuoyu_model.data_status import status_counts
from tuoyu_model.errors import ScenarioError, TuoyuError, UsageError, did_you_mean
from tuoyu_model.parameters import default_parameters, list_scenarios, load_scenario, parse_set_options
from tuoyu_model.paths import data_dir, display
from tuoyu_model.runs.signals import Terminated, raise_terminated
from tuoyu_model.towns_workbook import change_lines, import_workbooks, write_template

# The commands that run models import their layer inside the function (runs, progress, sweep,
# explore): they pull pulp, matplotlib, papermill and Voilà, which `tuoyu validate`, `params`,
# `scenarios`, `data` and `--help` do not need.
EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2


def cmd_validate(args: argparse.Namespace) -> int:
    """Check every data and scenario file and print a short summary."""
    print(f"checking {display(data_dir())}/")
    targets = load_targets()
    towns = load_towns(targets=targets)
    params = default_parameters()
    sums = targets.groupby("target_set")[["total_slots", "inclusive_slots"]].sum()
    print(
        f"  targets.csv: {targets.town_id.nunique()} units; columns add up to the printed 合计 (total/inclusive): "
        + ", ".join(f"{ts} {sums.at[ts, 'total_slots']}/{sums.at[ts, 'inclusive_slots']}" for ts in TARGET_SETS)
    )
    counts = status_counts(towns, params)

    def by_status(group: str) -> str:
        c = counts[counts.group == group]
        return ", ".join(f"{r.count} {r.status}" for r in c.itertuples()) + f" (of {int(c['count'].sum())})"

    print(
        f"  towns.csv: {len(towns)} units, population {int(towns.population.sum()):,}; "
        f"figures by status: {by_status('towns')}"
    )
    print(
        f"  parameters: {len(params)} in {params.table().file.nunique()} files; by status: {by_status('parameters')}; "
        "'tuoyu params' lists them with sources"
    )
    names = list_scenarios()
    if "baseline" not in names:
        raise ScenarioError(
            f"{display(data_dir() / 'scenarios')}: baseline.yaml is missing; it is the default "
            "scenario — restore it from the repository"
        )
    for name in names:
        load_scenario(name, defaults=params)
    print(f"  scenarios: {len(names)} valid ({', '.join(names)})")
    print("OK")
    return EXIT_OK


def cmd_scenarios(args: argparse.Namespace) -> int:
    """List the shipped scenarios with their titles."""
    params = default_parameters()
    for name in list_scenarios():
        s = load_scenario(name, defaults=params)
        print(f"{name:<16} {s.title}")
    return EXIT_OK


def cmd_params(args: argparse.Namespace) -> int:
    """Print the resolved parameters of a scenario with units and sources."""
    s = load_scenario(args.scenario, parse_set_options(args.set))
    table = s.parameters.table()
    for _, r in table.iterrows():
        mark = " *" if r.overridden else ""
        print(
            f"{r['name']}{mark} = {r['value']} [{r['unit']}]  {r['label_zh']} — {r['status']}, "
            f"{r['confidence']}: {r['source']}"
        )
        if r.get("uncertainty"):
            print(f"    不确定性：{r['uncertainty']}")
    if table.overridden.any():
        print("* overridden by the scenario or --set")
    return EXIT_OK


def cmd_run(args: argparse.Namespace) -> int:
    """Run one or more scenarios and write their reports under outputs/."""
    from tuoyu_model.runs.parallel import run_many

    return run_many(
        args.scenarios or ["baseline"], set_options=args.set, out=args.out, jobs=args.jobs, report=not args.no_report
    )


def cmd_progress(args: argparse.Namespace) -> int:
    """Evaluate statistics returns against the targets and write outputs/progress/<date>/."""
    from tuoyu_model.progress import run_progress

    return run_progress(
        args.files,
        as_of=args.as_of,
        scenario=args.scenario,
        set_options=args.set,
        out=args.out,
        report=not args.no_report,
    )


def cmd_compare(args: argparse.Namespace) -> int:
    """Compare scenarios' headline figures side by side, with charts of the differences."""
    from tuoyu_model.runs.compare import run_compare
    from tuoyu_model.runs.publish import shown

    rec = run_compare(args.scenarios, set_options=args.set, out=args.out, report=not args.no_report)
    print(f"compare: wrote {shown(rec.folder)}/ in {rec.seconds:.1f} s")
    return EXIT_OK


def cmd_sweep(args: argparse.Namespace) -> int:
    """Solve every point of a sweep spec and write outputs/sweeps/<spec name>/."""
    from tuoyu_model.sweep.run import cli_sweep

    return cli_sweep(args)


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
    "COMMAND 不能是 'rn'（是否想输入 'run'？），可选 'validate', 'run'"

    """
    for pattern, zh in _ARGPARSE_ZH:
        m = re.fullmatch(pattern, message.strip())
        if m:
            parts = m.groupdict()
            if "t" in parts:
                parts["t"] = _TYPE_ZH.get(parts["t"], parts["t"])
            if "c" in parts and "v" in parts:
                close = did_you_mean(parts["v"], re.findall(r"'([^']*)'", parts["c"]))
                parts["hint"] = close.replace(" (did you mean ", "（是否想输入 ").replace("?)", "？）")
            return zh.format(**parts)
    return f"命令行有误（{message.strip()}）"


class ArgumentParser(argparse.ArgumentParser):
    """argparse with one Chinese line for a mistake, naming ``--help`` as the fix, instead of the usage block.

    Raises
    ------
    UsageError
        (exit status 2 from :func:`main`) for an unknown option or command, a missing or a
        badly typed argument. ``--help`` still prints the full help and exits 0.

    """

    def error(self, message: str) -> None:  # type: ignore[override] - raises instead of exiting
        """Raise the mistake as one line; :func:`main` prints it and returns 2."""
        raise UsageError(f"{self.prog}: {_usage_zh(message)}；运行 '{self.prog} --help' 查看用法")

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
            raise UsageError(f"{prog}: 无法识别的参数 {' '.join(extras)}；运行 '{prog} --help' 查看可用的选项")
        return parsed


def _degrade_unencodable_output() -> None:
    r"""Let a console that cannot show Chinese get ``\uXXXX`` escapes instead of a UnicodeEncodeError.

    Under ``LC_ALL=C`` with ``PYTHONUTF8=0``, or ``PYTHONIOENCODING=ascii``, stdout is ASCII and
    the first Chinese character printed would crash the command.
    """
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(errors="backslashreplace")
        except (AttributeError, ValueError, io.UnsupportedOperation):
            pass  # not a text stream that can be reconfigured (a test's capture, a closed pipe)


def cmd_data_template(args: argparse.Namespace) -> int:
    """Write the workbook in which streets and commissions give official figures for towns.csv."""
    path = write_template(args.file)
    print(f"已写入模板 {display(path)}：每个属地一行，请只填黄色的“新值”和“新值来源”两列（见“填表说明”工作表）")
    print("填好后导入：tuoyu data import 文件.xlsx")
    return EXIT_OK


def cmd_data_import(args: argparse.Namespace) -> int:
    """Import filled workbooks into data/towns.csv after checking every cell; a dated backup is kept."""
    result = import_workbooks(args.files)
    print(f"读取 {len(args.files)} 个工作簿：{'、'.join(display(p) for p in args.files)}")
    for note in result.notes:
        print(note)
    if not result.changes:
        print(f"没有需要更新的数字（新值均为空，或与现值和来源相同）；{display(data_dir() / 'towns.csv')} 未改动")
        return EXIT_OK
    for line in change_lines(result.changes):
        print(line)
    print(f"已写入 {display(result.written)}；原文件备份为 {display(result.backup)}")
    return EXIT_OK


def cmd_explore(args: argparse.Namespace) -> int:
    """Serve the what-if explorer (notebooks/explore.ipynb) as a Voilà app on 127.0.0.1."""
    from tuoyu_model.explore.serve import serve

    return serve(args.scenario, args.port)


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser of ``tuoyu``."""
    parser = ArgumentParser(
        prog="tuoyu",
        description="Daxing childcare (托育) plan model: demand, costs, fee-cap pricing, "
        "and the allocation of slots and subsidies across towns and years.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    p = sub.add_parser("validate", help="check every data and scenario file")
    p.set_defaults(func=cmd_validate)
    p = sub.add_parser("scenarios", help="list the shipped scenarios")
    p.set_defaults(func=cmd_scenarios)
    p = sub.add_parser("params", help="show a scenario's resolved parameters with units and sources")
    p.add_argument("scenario", nargs="?", default="baseline")
    p.add_argument("--set", action="append", metavar="NAME=VALUE", help="override a parameter")
    p.set_defaults(func=cmd_params)
    p = sub.add_parser("run", help="run scenarios and write outputs/<scenario>/ (default: baseline)")
    p.add_argument("scenarios", nargs="*", metavar="SCENARIO", help="names in data/scenarios/ or paths")
    p.add_argument("--set", action="append", metavar="NAME=VALUE", help="override a parameter")
    p.add_argument("--out", metavar="DIR", help="output folder (default outputs/)")
    p.add_argument("--jobs", type=int, default=0, metavar="N", help="scenarios run in parallel (default: cores)")
    p.add_argument("--no-report", action="store_true", help="write tables only, skip the notebook report")
    p.set_defaults(func=cmd_run)
    p = sub.add_parser("compare", help="compare scenarios side by side (writes outputs/compare__A__B/)")
    p.add_argument("scenarios", nargs="+", metavar="SCENARIO", help="two or more; the first is the reference")
    p.add_argument("--set", action="append", metavar="NAME=VALUE", help="override a parameter in every scenario")
    p.add_argument("--out", metavar="DIR", help="output folder (default outputs/)")
    p.add_argument("--no-report", action="store_true", help="write tables and the chart only, skip the notebook")
    p.set_defaults(func=cmd_compare)
    p = sub.add_parser("sweep", help="solve many points of a scenario (grid, Monte Carlo, Morris/Sobol)")
    p.add_argument("spec", metavar="SPEC.yaml", help="a sweep spec, e.g. data/sweeps/share_target_curve.yaml")
    p.add_argument("--jobs", type=int, default=1, metavar="N", help="worker processes (0: one per core; default 1)")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--scheduler", metavar="ADDRESS", help="run on a Dask cluster, e.g. tcp://10.0.0.5:8786")
    where.add_argument("--dask-local", type=int, metavar="N", help="start a local Dask cluster of N workers")
    p.add_argument("--out", metavar="DIR", help="output folder (default outputs/); writes <DIR>/sweeps/<name>/")
    p.add_argument("--no-report", action="store_true", help="write tables only, skip the notebook report")
    p.set_defaults(func=cmd_sweep)
    p = sub.add_parser("progress", help="evaluate progress returns (xlsx/csv) against the targets and re-plan")
    p.add_argument("files", nargs="+", metavar="FILE", help="returns of the streets/towns (.xlsx or .csv)")
    p.add_argument("--as-of", metavar="DATE", help="evaluation date, e.g. 2024-09-30 (default: latest report)")
    p.add_argument("--scenario", default="baseline", help="scenario for the re-plan (default baseline)")
    p.add_argument("--set", action="append", metavar="NAME=VALUE", help="override a parameter")
    p.add_argument("--out", metavar="DIR", help="output folder (default outputs/); writes <DIR>/progress/<date>/")
    p.add_argument("--no-report", action="store_true", help="write tables only, skip the notebook report")
    p.set_defaults(func=cmd_progress)
    p = sub.add_parser("data", help="a workbook for official per-unit figures: template, then import")
    data_sub = p.add_subparsers(dest="data_command", metavar="ACTION")
    data_sub.required = True
    q = data_sub.add_parser("template", help="write the workbook (default outputs/templates/towns_template.xlsx)")
    q.add_argument("file", nargs="?", type=Path, metavar="FILE.xlsx", help="where to write it")
    q.set_defaults(func=cmd_data_template)
    q = data_sub.add_parser("import", help="check filled workbooks and write their figures into data/towns.csv")
    q.add_argument("files", nargs="+", type=Path, metavar="FILE.xlsx", help="filled copies of the template")
    q.set_defaults(func=cmd_data_import)
    p = sub.add_parser(
        "explore", help="what-if explorer in the browser (Voilà on 127.0.0.1; needs the 'explore' extra)"
    )
    p.add_argument("scenario", nargs="?", default="baseline", metavar="SCENARIO", help="starting scenario")
    p.add_argument("--port", type=int, metavar="N", help="port on 127.0.0.1 (default: the first free from 8866)")
    p.set_defaults(func=cmd_explore)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``tuoyu``; returns the exit status."""
    _degrade_unencodable_output()
    parser = build_parser()

    # SIGTERM (kill, a closed session) is handled like Ctrl-C: temporary folders removed, one line.
    previous = signal.signal(signal.SIGTERM, raise_terminated)
    try:
        args = parser.parse_args(argv)
        return int(args.func(args) or 0)
    except TuoyuError as exc:
        print(f"tuoyu: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt as exc:
        print(
            f"tuoyu: {'terminated' if isinstance(exc, Terminated) else 'interrupted'}; earlier outputs are unchanged",
            file=sys.stderr,
        )
        return 143 if isinstance(exc, Terminated) else 130
    except BrokenPipeError:
        # `tuoyu params | head` closed the pipe early; point stdout at devnull so the flush at
        # exit does not raise again (the recipe in Python's signal docs).
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_FAIL
    finally:
        signal.signal(signal.SIGTERM, previous)


def run() -> None:
    """Console-script wrapper: exit with :func:`main`'s status."""
    sys.exit(main())
