"""Benchmark ``tuoyu run``: where the time of one report goes, and five scenarios in parallel.

Run from anywhere: ``python tests/benchmarks/bench_run.py [--repeat N]``. Prints

- the end-to-end time of ``tuoyu run baseline`` (a fresh process, as a user runs it), split into
  kernel start-up, imports in the kernel, model, writing files (figures, workbook, CSV),
  showing the sections and the HTML export, from the run's manifest;
- the reference: papermill executing an empty notebook with the same kernel (issue 13's goal:
  end to end ≤ 2 × that), and the model's own time in-process;
- the Excel export alone (in-process);
- five scenarios with ``--jobs 1`` (in a row) and ``--jobs`` = cores (in parallel).

Solve cache (``tuoyu_model.allocation.solve_cache``): the benchmark uses a folder of its own,
empty at the start. The first ``tuoyu run baseline`` is **cold** (every whole-slot problem solved,
as on a new machine or after a change of inputs) and is printed apart; the repeats after it are
**warm** (the same problems read back, as in a second run of an unchanged scenario).

Each timing is repeated (``--repeat``) and the fastest kept (other load on the machine only ever
slows a run down; the median is printed beside it). ``--skip-five`` leaves out the five-scenario
runs. Outputs go to a temporary folder; nothing in ``outputs/`` is touched.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

FIVE = ["baseline", "plan_2025", "budget_cut_20", "household_3", "no_conversions"]


def tuoyu(*args: str, cwd: str, solves: Path | None = None) -> float:
    """Run the ``tuoyu`` command in a fresh process; return its wall time (``solves``: its own solve cache)."""
    env = {**os.environ, "TUOYU_SOLVE_CACHE": str(solves)} if solves else None
    t0 = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "tuoyu_model", *args], cwd=cwd, check=True, stdout=subprocess.DEVNULL, env=env
    )
    return time.perf_counter() - t0


def empty_notebook_seconds(tmp: Path) -> float:
    """Papermill executing a one-cell notebook with the kernel ``tuoyu run`` uses."""
    from tuoyu_model.runs.notebook import execute_notebook

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1", metadata={"tags": ["parameters"]})])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = tmp / "empty.ipynb"
    nbformat.write(nb, path)
    t0 = time.perf_counter()
    execute_notebook(path, tmp / "empty_out.ipynb", {"x": 2}, cwd=tmp)
    return time.perf_counter() - t0


def papermill_cli_seconds(tmp: Path) -> float:
    """The ``papermill`` command executing the same empty notebook (a fresh process, cold imports)."""
    t0 = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "papermill",
            str(tmp / "empty.ipynb"),
            str(tmp / "empty_cli.ipynb"),
            "--no-progress-bar",
        ],
        cwd=str(tmp),
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - t0


def cpu_parallelism() -> float:
    """How much faster two CPU-bound processes finish together than one after the other (≈2 on 2 real cores)."""
    code = "x = 0\nfor i in range(10_000_000): x += i"
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True)
    one = time.perf_counter() - t0
    t0 = time.perf_counter()
    procs = [subprocess.Popen([sys.executable, "-c", code]) for _ in range(2)]
    for p in procs:
        p.wait()
    return 2 * one / (time.perf_counter() - t0)


def main() -> None:
    """Measure and print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="repetitions of the single-report timings")
    parser.add_argument("--skip-five", action="store_true", help="leave out the five-scenario runs")
    args = parser.parse_args()
    from tuoyu_model.results import run_model
    from tuoyu_model.writers import workbook_tables, write_workbook

    tmp = Path(tempfile.mkdtemp(prefix="tuoyu-bench-"))
    os.environ["TUOYU_SOLVE_CACHE"] = str(tmp / "solves")  # empty: the first run is cold
    cores = os.cpu_count() or 1
    print(
        f"machine: {cores} cores (two CPU-bound processes run {cpu_parallelism():.2f}× as fast as one after "
        f"the other), Python {sys.version.split()[0]}"
    )

    cold = tuoyu("run", "baseline", "--out", str(tmp / "cold"), cwd=str(tmp))
    cold_parts = json.loads((tmp / "cold" / "baseline" / "manifest.json").read_text("utf-8"))["run"]["timings_s"]
    run_model("baseline")  # warm the imports and caches for the in-process timings
    model = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        results = run_model("baseline")
        model.append(time.perf_counter() - t0)
    excel = []
    for i in range(args.repeat):
        t0 = time.perf_counter()
        write_workbook(workbook_tables(results), tmp / f"x{i}.xlsx")
        excel.append(time.perf_counter() - t0)
    empty = [empty_notebook_seconds(tmp) for _ in range(args.repeat)]
    empty_cli = [papermill_cli_seconds(tmp) for _ in range(args.repeat)]

    e2e, parts = [], []
    for i in range(args.repeat):
        out = tmp / f"run{i}"
        e2e.append(tuoyu("run", "baseline", "--out", str(out), cwd=str(tmp)))
        manifest = json.loads((out / "baseline" / "manifest.json").read_text("utf-8"))
        parts.append(manifest["run"]["timings_s"])
    med, best = statistics.median, min
    fastest = parts[e2e.index(best(e2e))]  # the breakdown of the fastest run
    t = {k: fastest.get(k, 0.0) for k in fastest}
    shown = sum(
        v
        for k, v in t.items()
        if k not in ("papermill_total", "kernel_startup_and_overhead", "setup", "model", "write", "html_export")
    )
    print(
        f"\ntuoyu run baseline, cold (empty solve cache, fresh process): {cold:6.2f} s, "
        f"of which the model {cold_parts.get('model', 0.0):.2f} s"
    )
    print(
        f"tuoyu run baseline, warm (fresh process): fastest {best(e2e):6.2f} s, median {med(e2e):.2f} s "
        f"of {args.repeat}"
    )
    print("  where the time of the fastest warm run goes:")
    print(f"  process start, scenario check, manifest: {best(e2e) - t['papermill_total'] - t['html_export']:6.2f} s")
    print(f"  kernel start-up and papermill overhead:  {t['kernel_startup_and_overhead']:6.2f} s")
    print(f"  imports in the kernel (setup cell):      {t.get('setup', 0.0):6.2f} s")
    print(f"  model (run_model cell):                  {t.get('model', 0.0):6.2f} s")
    print(f"  figures + Excel + CSV + JSON (write):    {t.get('write', 0.0):6.2f} s")
    print(f"  notebook rendering (display cells):      {shown:6.2f} s")
    print(f"  HTML export (after the notebook):        {t['html_export']:6.2f} s")
    print(f"  Excel export alone (in-process):         {best(excel):6.2f} s")
    print("\nreference (fastest of each):")
    print(f"  papermill, empty notebook, in-process:   {best(empty):6.2f} s  (median {med(empty):.2f} s)")
    print(f"  papermill command, empty notebook:       {best(empty_cli):6.2f} s  (median {med(empty_cli):.2f} s)")
    print(f"  model's own time (in-process, warm):     {best(model):6.2f} s")
    print(f"  ratio end to end / empty papermill in-process: {best(e2e) / best(empty):5.2f}  (issue 13's goal ≤ 2)")
    print(f"  the same, cold:                                {cold / best(empty):5.2f}")
    print(f"  ratio end to end / papermill command:          {best(e2e) / best(empty_cli):5.2f}")
    print(f"  ratio end to end / (empty in-process + model): {best(e2e) / (best(empty) + best(model)):5.2f}")
    if args.skip_five:
        print(f"\n(outputs in {tmp})")
        return
    # each with an empty solve cache of its own: both cold, so the speed-up is the processes' alone
    serial = tuoyu("run", *FIVE, "--jobs", "1", "--out", str(tmp / "serial"), cwd=str(tmp), solves=tmp / "s1")
    parallel = tuoyu(
        "run", *FIVE, "--jobs", str(cores), "--out", str(tmp / "parallel"), cwd=str(tmp), solves=tmp / "s2"
    )
    print(f"\nfive scenarios ({', '.join(FIVE)}), cold (each run with an empty solve cache):")
    print(f"  in a row (--jobs 1):                     {serial:6.2f} s")
    print(f"  in parallel (--jobs {cores}):                  {parallel:6.2f} s  (speed-up {serial / parallel:.2f}×)")
    print(f"\n(outputs in {tmp})")


if __name__ == "__main__":
    main()
