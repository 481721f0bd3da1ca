"""Time the model of a cold run per scenario, and each marginal question in it; prints figures, asserts nothing.

Run: ``.venv/bin/python tests/benchmarks/bench_model.py [--repeat N] [--before] [scenario ...]``
(default: every shipped scenario).

Cold: every whole-slot problem solved, as a user gets it for any changed scenario or ``--set``
(``TUOYU_SOLVE_CACHE=off``; each run in a fresh process, so nothing is remembered between runs).
Per scenario: ``model`` = :func:`tuoyu_model.results.run_model` (the timings a run records),
``plan`` = its ``allocation`` step (the budget, the plan and its relaxation), ``marginal`` = the
``marginal_values`` step; then each question of ``tables/marginal_values.csv`` with its seconds
and the number of solves it took (0: answered without solving, the plan still meets the changed
row). Each timing is the fastest of ``--repeat`` runs (other load on the machine only ever slows
a run down).

``--before`` times the re-solves as they were before the share question's changed row was handed
to HiGHS over whole numbers (:func:`tuoyu_model.allocation.marginal.share_sums` returns None:
the plain solve of the same problem).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

CHILD = r"""
import json, sys
from tuoyu_model.allocation import marginal
from tuoyu_model import results
if sys.argv[2] == "before":
    marginal.share_sums = lambda model, q: None
timing = marginal.Timing()
plain = results.marginal_values
results.marginal_values = lambda result, steps: plain(result, steps, timing)
r = results.run_model(sys.argv[1])
print(json.dumps({"timings": r.timings, "questions": timing.by_question}))
"""


def one_run(scenario: str, before: bool) -> dict:
    """Run the model of ``scenario`` cold in a fresh process; return its timings and questions."""
    env = dict(os.environ, TUOYU_SOLVE_CACHE="off")
    args = [sys.executable, "-c", CHILD, scenario, "before" if before else "after"]
    proc = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenarios", nargs="*")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--before", action="store_true", help="the share question solved plainly")
    args = parser.parse_args()
    scenarios = args.scenarios or sorted(p.stem for p in (ROOT / "data" / "scenarios").glob("*.yaml"))
    which = "before" if args.before else "after"
    print(f"cold model time, best of {args.repeat} ({which}); load {os.getloadavg()[0]:.1f}")
    print(f"{'scenario':18s} {'model':>7s} {'plan':>6s} {'marginal':>8s}")
    for scenario in scenarios:
        runs = [one_run(scenario, args.before) for _ in range(args.repeat)]
        best = {k: min(r["timings"][k] for r in runs) for k in ("total", "allocation", "marginal_values")}
        print(f"{scenario:18s} {best['total']:7.2f} {best['allocation']:6.2f} {best['marginal_values']:8.2f}")
        for n, (question, year, town, _s, solves) in enumerate(runs[0]["questions"]):
            seconds = min(r["questions"][n][3] for r in runs)
            print(f"    {question:12s} {year} {town:14s} {seconds:6.2f} s  {solves} solve(s)")


if __name__ == "__main__":
    main()
