"""Benchmark the test suite: how long the quick loop and the whole suite take, on one core and on all.

Run from the repository root: ``python tests/benchmarks/bench_suite.py [--tier quick|full|both]
[--workers auto 0]``. Each run is a fresh ``pytest`` process (its own session solve cache, so
every whole-slot problem is solved cold, as in CI); prints the number of tests, the wall time and
the machine's load before it, one line per run. The tiers:

- ``quick``: ``-m "not slow and not e2e"``, the loop while developing (``make quick``);
- ``full``: ``-m "not slow"``, everything CI runs but the fresh-venv quick-start test (which
  times pip, not the suite).

``--workers 0`` runs in one process, ``auto`` on every core (pytest-xdist, as CI does).
A whole ``--tier both --workers auto 0`` takes about 25 minutes on a 2-core machine.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TIERS = {"quick": "not slow and not e2e", "full": "not slow"}


def run(tier: str, workers: str) -> tuple[str, float]:
    """Run one tier with ``-n workers``; return pytest's summary line and the wall time."""
    args = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-m", TIERS[tier], "-n", workers]
    t0 = time.perf_counter()
    proc = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, encoding="utf-8", errors="replace")
    seconds = time.perf_counter() - t0
    lines = [x for x in proc.stdout.splitlines() if re.search(r"\d+ (passed|failed)", x)]
    return (lines[-1].strip("= ") if lines else f"exit {proc.returncode}"), seconds


def main() -> None:
    """Measure and print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tier", choices=[*TIERS, "both"], default="both")
    parser.add_argument("--workers", nargs="+", default=["auto"], help="values of -n (auto, 0, 2 …)")
    args = parser.parse_args()
    tiers = list(TIERS) if args.tier == "both" else [args.tier]
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    for tier in tiers:
        for workers in args.workers:
            load = os.getloadavg()[0]
            summary, seconds = run(tier, workers)
            print(f"{tier:5s} -n {workers:4s}: {seconds:6.0f} s  ({summary}; load before {load:.1f})", flush=True)


if __name__ == "__main__":
    main()
