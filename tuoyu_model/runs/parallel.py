"""Run several scenarios, in parallel worker processes, with one console line per scenario."""

from __future__ import annotations

import concurrent.futures
import multiprocessing
import os
import sys
import time

from tuoyu_model.errors import ScenarioError, TuoyuError
from tuoyu_model.parameters import Scenario, load_scenario, parse_set_options
from tuoyu_model.runs.publish import check_replaceable, output_base, safe_output_dir, shown
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
            f"--jobs {jobs}: expected 0 (one per core) or a positive number of scenarios run at once; e.g. --jobs 2"
        )
    names = list(dict.fromkeys(names))
    validate_inputs()
    scenarios = {n: load_scenario(n, overrides) for n in names}  # loaded once, run as loaded
    base = output_base(out)
    for s in scenarios.values():
        check_replaceable(safe_output_dir(base, output_name(s)))
    jobs = jobs or os.cpu_count() or 1
    jobs = max(1, min(jobs, len(names)))
    what = "reports" if report else "tables"
    print(
        f"running {len(names)} scenario{'s' * (len(names) > 1)} ({what}) on {jobs} worker{'s' * (jobs > 1)}…",
        flush=True,
    )
    failures = 0
    t0 = time.perf_counter()

    def done(i: int, name: str, rec: RunRecord | None, err: Exception | None) -> None:
        nonlocal failures
        if err is None:
            print(f"[{i}/{len(names)}] {name}: wrote {shown(rec.folder)}/ in {rec.seconds:.1f} s", flush=True)
            for note in rec.notes:
                print(f"[{i}/{len(names)}] {name}: {note}", flush=True)
        else:
            failures += 1
            print(f"[{i}/{len(names)}] {name}: FAILED", flush=True)
            print(f"tuoyu: error: {err}", file=sys.stderr, flush=True)

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
    if len(names) > 1:
        print(f"{len(names) - failures} of {len(names)} scenarios done in {time.perf_counter() - t0:.1f} s", flush=True)
    return 0 if failures == 0 else 2
