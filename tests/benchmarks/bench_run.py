"""Benchmark ``tuoyu run``: where the time of one report goes, and five scenarios in parallel.

Run from anywhere: ``python tests/benchmarks/bench_run.py [--repeat N]``. Prints

- the end-to-end time of ``tuoyu run baseline`` (a fresh process, as a user runs it), split into
  kernel start-up, imports in the kernel, model, writing files (figures, workbook, CSV),
  showing the sections and the HTML export, from the run's manifest;
- the reference: papermill executing an empty notebook with the same kernel, plus the model's
  own time in-process (goal: end to end ≤ 2 × reference);
- the Excel export alone (in-process);
- five scenarios with ``--jobs 1`` (in a row) and ``--jobs`` = cores (in parallel).

Outputs go to a temporary folder; nothing in ``outputs/`` is touched.
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


def tuoyu(*args: str, cwd: str) -> float:
    """Run the ``tuoyu`` command in a fresh process; return its wall time."""
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "tuoyu_model", *args], cwd=cwd, check=True, stdout=subprocess.DEVNULL)
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
    args = parser.parse_args()
    from tuoyu_model.results import run_model
    from tuoyu_model.writers import workbook_tables, write_workbook

    tmp = Path(tempfile.mkdtemp(prefix="tuoyu-bench-"))
    cores = os.cpu_count() or 1
    print(
        f"machine: {cores} cores (two CPU-bound processes run {cpu_parallelism():.2f}× as fast as one after "
        f"the other), Python {sys.version.split()[0]}"
    )

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
    med = statistics.median
    t = {k: med(p.get(k, 0.0) for p in parts) for k in parts[0]}
    shown = sum(
        v
        for k, v in t.items()
        if k not in ("papermill_total", "kernel_startup_and_overhead", "setup", "model", "write", "html_export")
    )
    reference = med(empty) + med(model)
    reference_cli = med(empty_cli) + med(model)
    print(f"\ntuoyu run baseline, end to end (fresh process, median of {args.repeat}): {med(e2e):6.2f} s")
    print(f"  process start, scenario check, manifest: {med(e2e) - t['papermill_total'] - t['html_export']:6.2f} s")
    print(f"  kernel start-up and papermill overhead:  {t['kernel_startup_and_overhead']:6.2f} s")
    print(f"  imports in the kernel (setup cell):      {t.get('setup', 0.0):6.2f} s")
    print(f"  model (run_model cell):                  {t.get('model', 0.0):6.2f} s")
    print(f"  figures + Excel + CSV + JSON (write):    {t.get('write', 0.0):6.2f} s")
    print(f"  notebook rendering (display cells):      {shown:6.2f} s")
    print(f"  HTML export:                             {t['html_export']:6.2f} s")
    print(f"  Excel export alone (in-process):         {med(excel):6.2f} s")
    print("\nreference:")
    print(f"  papermill, empty notebook, in-process:   {med(empty):6.2f} s")
    print(f"  papermill command, empty notebook:       {med(empty_cli):6.2f} s")
    print(f"  model's own time (in-process, warm):     {med(model):6.2f} s")
    print(f"  ratio end to end / (empty in-process + model): {med(e2e) / reference:5.2f}  (goal ≤ 2)")
    print(f"  ratio end to end / (papermill command + model): {med(e2e) / reference_cli:5.2f}  (goal ≤ 2)")

    serial = tuoyu("run", *FIVE, "--jobs", "1", "--out", str(tmp / "serial"), cwd=str(tmp))
    parallel = tuoyu("run", *FIVE, "--jobs", str(cores), "--out", str(tmp / "parallel"), cwd=str(tmp))
    print(f"\nfive scenarios ({', '.join(FIVE)}):")
    print(f"  in a row (--jobs 1):                     {serial:6.2f} s")
    print(f"  in parallel (--jobs {cores}):                  {parallel:6.2f} s  (speed-up {serial / parallel:.2f}×)")
    print(f"\n(outputs in {tmp})")


if __name__ == "__main__":
    main()
