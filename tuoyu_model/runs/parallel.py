"""Run several scenarios, in parallel worker processes, with one console line per scenario."""

from __future__ import annotations

import concurrent.futures
import multiprocessing
import os
import sys
import time

from tuoyu_model.errors import ScenarioError, TuoyuError, error_prefix, pick
from tuoyu_model.parameters import Scenario, load_scenario, parse_set_options
from tuoyu_model.runs.locations import output_base, safe_output_dir, shown
from tuoyu_model.runs.publish import check_replaceable
from tuoyu_model.runs.scenario import RunRecord, output_name, run_scenario, validate_inputs
from tuoyu_model.runs.signals import worker_signals


def _worker(scenario: Scenario, set_options: list[str], out: str | None, report: bool) -> RunRecord:
    return run_scenario(scenario, set_options, out, report)


def run_many(
    names: list[str], set_options: list[str] | None = None, out: str | None = None, jobs: int = 0, report: bool = True
) -> int:
    """Run each scenario into ``<out>/<scenario>/``, in parallel; print progress; return the exit status.

    All scenarios and their target folders are checked first (a typo, or a folder that may not
    be replaced, stops everything before anything is written). A scenario that fails is reported
    on one line and leaves its previous outputs unchanged; the others still run. Exit status 0
    if all succeeded, 2 otherwise.
    """
    set_options = list(set_options or [])
    overrides = parse_set_options(set_options)
    if jobs < 0:
        raise ScenarioError(
            f"--jobs {jobs}：应为 0（每个 CPU 核一个）或同时运行的情景数（正整数），如 --jobs 2",
            en=f"--jobs {jobs}: expected 0 (one per core) or a positive number of scenarios run at once; e.g. --jobs 2",
        )
    names = list(dict.fromkeys(names))
    validate_inputs()
    scenarios = {n: load_scenario(n, overrides) for n in names}  # loaded once, run as loaded
    base = output_base(out)
    for s in scenarios.values():
        check_replaceable(safe_output_dir(base, output_name(s)))
    jobs = jobs or os.cpu_count() or 1
    jobs = max(1, min(jobs, len(names)))
    total = len(names)
    print(
        pick(
            f"正在运行 {total} 个情景（{'表格和报告' if report else '仅表格'}），{jobs} 个进程…",
            f"running {total} scenario{'s' * (total > 1)} ({'reports' if report else 'tables'}) "
            f"on {jobs} worker{'s' * (jobs > 1)}…",
        ),
        flush=True,
    )
    reports: list[str] = []
    failures = 0
    t0 = time.perf_counter()

    def done(i: int, name: str, rec: RunRecord | None, err: Exception | None) -> None:
        nonlocal failures
        if err is None:
            folder, took = shown(rec.folder), rec.seconds
            print(
                pick(
                    f"[{i}/{total}] {name}：已写入 {folder}/，用时 {took:.1f} 秒",
                    f"[{i}/{total}] {name}: wrote {folder}/ in {took:.1f} s",
                ),
                flush=True,
            )
            for note in rec.notes:
                print(f"[{i}/{total}] {name}：{note}", flush=True)
            if (rec.folder / "report.html").is_file():
                reports.append(f"{folder}/report.html")
        else:
            failures += 1
            print(pick(f"[{i}/{total}] {name}：失败", f"[{i}/{total}] {name}: FAILED"), flush=True)
            print(f"{error_prefix()}{err}", file=sys.stderr, flush=True)

    if jobs == 1:
        for i, n in enumerate(names, 1):
            try:
                done(i, n, run_scenario(scenarios[n], set_options, out, report), None)
            except TuoyuError as exc:
                done(i, n, None, exc)
    else:
        ctx = multiprocessing.get_context("spawn")  # no forked locks from the parent's threads
        pool = concurrent.futures.ProcessPoolExecutor(max_workers=jobs, mp_context=ctx, initializer=worker_signals)
        try:
            futures = {pool.submit(_worker, scenarios[n], set_options, out, report): n for n in names}
            for i, fut in enumerate(concurrent.futures.as_completed(futures), 1):
                try:
                    done(i, futures[fut], fut.result(), None)
                except TuoyuError as exc:
                    done(i, futures[fut], None, exc)
        except BaseException:
            # Ctrl-C or SIGTERM: stop the workers (each removes its temporary folder) and say nothing more
            for proc in list(getattr(pool, "_processes", {}).values()):
                proc.terminate()
            pool.shutdown(wait=True, cancel_futures=True)
            raise
        pool.shutdown(wait=True)
    took = time.perf_counter() - t0
    if total > 1:
        print(
            pick(
                f"{total} 个情景中 {total - failures} 个完成，共用时 {took:.1f} 秒",
                f"{total - failures} of {total} scenarios done in {took:.1f} s",
            ),
            flush=True,
        )
    for path in sorted(reports):  # the last lines: what to open
        print(pick(f"请打开报告：{path}", f"open the report: {path}"), flush=True)
    return 0 if failures == 0 else 2
