r"""The ``tuoyu`` command line.

User mistakes (a bad file, a typo in a scenario key, an unknown scenario, an unknown option)
print one line on stderr naming the file, the field and the fix, and exit with status 2 — never
a traceback or argparse's usage block. Everything printed, ``--help`` included, is Chinese;
``TUOYU_LANG=en`` gives the English texts kept for developers (:mod:`tuoyu_model.errors`).
A console that cannot show Chinese (``LC_ALL=C``) gets the characters as ``\uXXXX`` escapes,
never a crash.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from tuoyu_model.cli_parser import ArgumentParser
from tuoyu_model.data import TARGET_SETS, load_targets, load_towns
from tuoyu_model.data_status import STATUS_ZH, status_counts
from tuoyu_model.errors import ScenarioError, TuoyuError, error_prefix, pick
from tuoyu_model.parameters import default_parameters, list_scenarios, load_scenario, parse_set_options
from tuoyu_model.paths import data_dir, display
from tuoyu_model.runs import signals
from tuoyu_model.runs.signals import Terminated
from tuoyu_model.towns_import import change_lines, import_workbooks
from tuoyu_model.towns_workbook import write_template

# The commands that run models import their layer inside the function (runs, progress, sweep,
# explore): they pull pulp, matplotlib, papermill and Voilà, which `tuoyu validate`, `params`,
# `scenarios`, `data` and `--help` do not need.
EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2
CONFIDENCE_ZH = {"high": "高", "medium": "中", "low": "低"}


def cmd_validate(args: argparse.Namespace) -> int:
    """Check every data and scenario file and print a short summary."""
    print(pick(f"正在检查 {display(data_dir())}/", f"checking {display(data_dir())}/"))
    targets = load_targets()
    towns = load_towns(targets=targets)
    params = default_parameters()
    sums = targets.groupby("target_set")[["total_slots", "inclusive_slots"]].sum()
    sets = ", ".join(f"{ts} {sums.at[ts, 'total_slots']}/{sums.at[ts, 'inclusive_slots']}" for ts in TARGET_SETS)
    n = targets.town_id.nunique()
    print(
        pick(
            f"  targets.csv：{n} 个属地；各列之和与附件印出的合计一致（托位/普惠托位）：{sets}",
            f"  targets.csv: {n} units; columns add up to the printed 合计 (total/inclusive): {sets}",
        )
    )
    counts = status_counts(towns, params)

    def by_status(group: str) -> str:
        c = counts[counts.group == group]
        zh = "、".join(f"{r.status_zh} {r.count} 项" for r in c.itertuples())
        en = ", ".join(f"{r.count} {r.status}" for r in c.itertuples())
        return pick(f"{zh}（共 {int(c['count'].sum())} 项）", f"{en} (of {int(c['count'].sum())})")

    pop = int(towns.population.sum())
    print(
        pick(
            f"  towns.csv：{len(towns)} 个属地，常住人口 {pop:,}；各数字的性质：{by_status('towns')}",
            f"  towns.csv: {len(towns)} units, population {pop:,}; figures by status: {by_status('towns')}",
        )
    )
    files = params.table().file.nunique()
    print(
        pick(
            f"  参数：{len(params)} 个，分布在 {files} 个文件；按性质：{by_status('parameters')}；"
            "'tuoyu params' 列出每个参数及其来源",
            f"  parameters: {len(params)} in {files} files; by status: {by_status('parameters')}; "
            "'tuoyu params' lists them with sources",
        )
    )
    names = list_scenarios()
    if "baseline" not in names:
        where = display(data_dir() / "scenarios")
        raise ScenarioError(
            f"{where}：缺少 baseline.yaml；它是默认情景，请从代码仓库恢复这个文件",
            en=f"{where}: baseline.yaml is missing; it is the default scenario — restore it from the repository",
        )
    for name in names:
        load_scenario(name, defaults=params)
    print(
        pick(
            f"  情景：{len(names)} 个，均有效（{', '.join(names)}）",
            f"  scenarios: {len(names)} valid ({', '.join(names)})",
        )
    )
    print(pick("检查通过", "OK"))
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
        status, confidence = r["status"], r["confidence"]
        head = f"{r['name']}{mark} = {r['value']} [{r['unit']}]  {r['label_zh']}"
        print(
            pick(
                f"{head} — {STATUS_ZH.get(status, status)}，可信度{CONFIDENCE_ZH.get(confidence, confidence)}："
                f"{r['source']}",
                f"{head} — {status}, {confidence}: {r['source']}",
            )
        )
        if r.get("uncertainty"):
            print(f"    不确定性：{r['uncertainty']}")
    if table.overridden.any():
        print(pick("* 由情景文件或 --set 改动", "* overridden by the scenario or --set"))
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
    from tuoyu_model.runs.locations import shown

    rec = run_compare(args.scenarios, set_options=args.set, out=args.out, report=not args.no_report)
    print(
        pick(
            f"比较：已写入 {shown(rec.folder)}/，用时 {rec.seconds:.1f} 秒",
            f"compare: wrote {shown(rec.folder)}/ in {rec.seconds:.1f} s",
        )
    )
    if (rec.folder / "report.html").is_file():  # the last line: what to open
        print(pick(f"请打开报告：{shown(rec.folder)}/report.html", f"open the report: {shown(rec.folder)}/report.html"))
    return EXIT_OK


def cmd_sweep(args: argparse.Namespace) -> int:
    """Solve every point of a sweep spec and write outputs/sweeps/<spec name>/."""
    from tuoyu_model.sweep.run import cli_sweep

    return cli_sweep(args)


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
        description=pick(
            "大兴区托育工作方案测算模型：需求、成本、限价，以及托位和补贴在各属地、各年份之间的分配。",
            "Daxing childcare (托育) plan model: demand, costs, fee-cap pricing, "
            "and the allocation of slots and subsidies across towns and years.",
        ),
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", title=pick("命令", "commands"))
    sub.required = True
    p = sub.add_parser("validate", help=pick("检查所有数据文件和情景文件", "check every data and scenario file"))
    p.set_defaults(func=cmd_validate)
    p = sub.add_parser("scenarios", help=pick("列出随附的情景", "list the shipped scenarios"))
    p.set_defaults(func=cmd_scenarios)
    p = sub.add_parser(
        "params",
        help=pick(
            "显示一个情景最终采用的参数，含单位和来源", "show a scenario's resolved parameters with units and sources"
        ),
    )
    p.add_argument("scenario", nargs="?", default="baseline")
    p.add_argument(
        "--set", action="append", metavar="NAME=VALUE", help=pick("改动一个参数（可重复）", "override a parameter")
    )
    p.set_defaults(func=cmd_params)
    p = sub.add_parser(
        "run",
        help=pick(
            "运行情景，写入 outputs/<情景>/（默认 baseline）",
            "run scenarios and write outputs/<scenario>/ (default: baseline)",
        ),
    )
    p.add_argument(
        "scenarios",
        nargs="*",
        metavar="SCENARIO",
        help=pick("data/scenarios/ 中的情景名，或情景文件路径", "names in data/scenarios/ or paths"),
    )
    p.add_argument(
        "--set", action="append", metavar="NAME=VALUE", help=pick("改动一个参数（可重复）", "override a parameter")
    )
    p.add_argument("--out", metavar="DIR", help=pick("输出文件夹（默认 outputs/）", "output folder (default outputs/)"))
    p.add_argument(
        "--jobs",
        type=int,
        default=0,
        metavar="N",
        help=pick("同时运行的情景数（默认：CPU 核数）", "scenarios run in parallel (default: cores)"),
    )
    p.add_argument(
        "--no-report",
        action="store_true",
        help=pick("只写表格，不生成报告", "write tables only, skip the notebook report"),
    )
    p.set_defaults(func=cmd_run)
    p = sub.add_parser(
        "compare",
        help=pick(
            "并排比较多个情景（写入 outputs/compare__A__B/）",
            "compare scenarios side by side (writes outputs/compare__A__B/)",
        ),
    )
    p.add_argument(
        "scenarios",
        nargs="+",
        metavar="SCENARIO",
        help=pick("两个或更多；第一个为基准", "two or more; the first is the reference"),
    )
    p.add_argument(
        "--set",
        action="append",
        metavar="NAME=VALUE",
        help=pick("在每个情景中改动一个参数（可重复）", "override a parameter in every scenario"),
    )
    p.add_argument("--out", metavar="DIR", help=pick("输出文件夹（默认 outputs/）", "output folder (default outputs/)"))
    p.add_argument(
        "--no-report",
        action="store_true",
        help=pick("只写表格和图，不生成报告", "write tables and the chart only, skip the notebook"),
    )
    p.set_defaults(func=cmd_compare)
    p = sub.add_parser(
        "sweep",
        help=pick(
            "对一个情景做多点测算（网格、蒙特卡洛、Morris/Sobol 敏感性）",
            "solve many points of a scenario (grid, Monte Carlo, Morris/Sobol)",
        ),
    )
    p.add_argument(
        "spec",
        metavar="SPEC.yaml",
        help=pick(
            "测算方案文件，如 data/sweeps/share_target_curve.yaml",
            "a sweep spec, e.g. data/sweeps/share_target_curve.yaml",
        ),
    )
    p.add_argument(
        "--jobs",
        type=int,
        default=1,
        metavar="N",
        help=pick("工作进程数（0：每个 CPU 核一个；默认 1）", "worker processes (0: one per core; default 1)"),
    )
    where = p.add_mutually_exclusive_group()
    where.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help=pick("在 Dask 集群上运行，如 tcp://10.0.0.5:8786", "run on a Dask cluster, e.g. tcp://10.0.0.5:8786"),
    )
    where.add_argument(
        "--dask-local",
        type=int,
        metavar="N",
        help=pick("启动有 N 个工作进程的本机 Dask 集群", "start a local Dask cluster of N workers"),
    )
    p.add_argument(
        "--out",
        metavar="DIR",
        help=pick(
            "输出文件夹（默认 outputs/）；写入 <DIR>/sweeps/<名称>/",
            "output folder (default outputs/); writes <DIR>/sweeps/<name>/",
        ),
    )
    p.add_argument(
        "--no-report",
        action="store_true",
        help=pick("只写表格，不生成报告", "write tables only, skip the notebook report"),
    )
    p.set_defaults(func=cmd_sweep)
    p = sub.add_parser(
        "progress",
        help=pick(
            "对照目标评估各属地报送的进度（xlsx/csv），并重新测算剩余期",
            "evaluate progress returns (xlsx/csv) against the targets and re-plan",
        ),
    )
    p.add_argument(
        "files",
        nargs="+",
        metavar="FILE",
        help=pick("各街道、镇报送的进度表（.xlsx 或 .csv）", "returns of the streets/towns (.xlsx or .csv)"),
    )
    p.add_argument(
        "--as-of",
        metavar="DATE",
        help=pick(
            "评估日期，如 2024-09-30（默认：最近一次报送）", "evaluation date, e.g. 2024-09-30 (default: latest report)"
        ),
    )
    p.add_argument(
        "--scenario",
        default="baseline",
        help=pick("重新测算所用的情景（默认 baseline）", "scenario for the re-plan (default baseline)"),
    )
    p.add_argument(
        "--set", action="append", metavar="NAME=VALUE", help=pick("改动一个参数（可重复）", "override a parameter")
    )
    p.add_argument(
        "--out",
        metavar="DIR",
        help=pick(
            "输出文件夹（默认 outputs/）；写入 <DIR>/progress/<日期>/",
            "output folder (default outputs/); writes <DIR>/progress/<date>/",
        ),
    )
    p.add_argument(
        "--no-report",
        action="store_true",
        help=pick("只写表格，不生成报告", "write tables only, skip the notebook report"),
    )
    p.set_defaults(func=cmd_progress)
    p = sub.add_parser(
        "data",
        help=pick(
            "各属地官方数据填报表：先生成模板，填好后导入",
            "a workbook for official per-unit figures: template, then import",
        ),
    )
    data_sub = p.add_subparsers(dest="data_command", metavar="ACTION", title=pick("操作", "actions"))
    data_sub.required = True
    q = data_sub.add_parser(
        "template",
        help=pick(
            "生成填报表（默认 outputs/templates/towns_template.xlsx）",
            "write the workbook (default outputs/templates/towns_template.xlsx)",
        ),
    )
    q.add_argument("file", nargs="?", type=Path, metavar="FILE.xlsx", help=pick("保存位置", "where to write it"))
    q.set_defaults(func=cmd_data_template)
    q = data_sub.add_parser(
        "import",
        help=pick(
            "检查填好的填报表，把其中的数字写入 data/towns.csv",
            "check filled workbooks and write their figures into data/towns.csv",
        ),
    )
    q.add_argument(
        "files", nargs="+", type=Path, metavar="FILE.xlsx", help=pick("填好的填报表", "filled copies of the template")
    )
    q.set_defaults(func=cmd_data_import)
    p = sub.add_parser(
        "explore",
        help=pick(
            "在浏览器中做假设分析（Voilà，仅本机 127.0.0.1；需安装 'explore' 附加组件）",
            "what-if explorer in the browser (Voilà on 127.0.0.1; needs the 'explore' extra)",
        ),
    )
    p.add_argument(
        "scenario", nargs="?", default="baseline", metavar="SCENARIO", help=pick("起始情景", "starting scenario")
    )
    p.add_argument(
        "--port",
        type=int,
        metavar="N",
        help=pick(
            "127.0.0.1 上的端口（默认：从 8866 起第一个空闲端口）",
            "port on 127.0.0.1 (default: the first free from 8866)",
        ),
    )
    p.set_defaults(func=cmd_explore)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``tuoyu``; returns the exit status."""
    _degrade_unencodable_output()
    parser = build_parser()

    # SIGTERM (kill, a closed session) is handled like Ctrl-C: temporary folders removed, one line;
    # both are remembered, so a stopped run is never published even if a library swallowed the signal.
    previous = signals.install()
    try:
        args = parser.parse_args(argv)
        return int(args.func(args) or 0)
    except TuoyuError as exc:
        print(f"{error_prefix()}{exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt as exc:
        stopped = isinstance(exc, Terminated)
        print(
            pick(
                f"tuoyu：{'已被终止' if stopped else '已中断'}；此前的输出未改动",
                f"tuoyu: {'terminated' if stopped else 'interrupted'}; earlier outputs are unchanged",
            ),
            file=sys.stderr,
        )
        return 143 if isinstance(exc, Terminated) else 130
    except BrokenPipeError:
        # `tuoyu params | head` closed the pipe early; point stdout at devnull so the flush at
        # exit does not raise again (the recipe in Python's signal docs).
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_FAIL
    finally:
        signals.restore(previous)


def run() -> None:
    """Console-script wrapper: exit with :func:`main`'s status."""
    sys.exit(main())
