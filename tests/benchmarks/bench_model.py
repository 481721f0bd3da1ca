"""Time the model of a cold run per scenario, and each marginal question in it; prints figures, asserts nothing.

Run: ``.venv/bin/python tests/benchmarks/bench_model.py [--repeat N] [--modes before,after,fork] [scenario ...]``
(default: every shipped scenario).

Cold: every whole-slot problem solved, as a user gets it for any changed scenario or ``--set``
(``TUOYU_SOLVE_CACHE=off``; each run in a fresh process, so nothing is remembered between runs).
Per scenario and mode: ``model`` = :func:`tuoyu_model.results.run_model` (the timings a run
records), ``marginal`` = its ``marginal_values`` step; then each question of
``tables/marginal_values.csv`` with its seconds (those answered without solving in every mode,
where the plan still meets the changed row, are left out); a question answered in the forked
child counts its own seconds there, so with a fork the questions add up to more than
``marginal``. Each timing is the fastest of ``--repeat`` runs (other load on the machine only
ever slows a run down).

``--modes`` (default ``before,after,fork``), run in turn so that they share the machine's load:

- ``before``: the re-solves as they were before this benchmark was written — the share
  question's changed row not handed to HiGHS over whole numbers
  (:func:`tuoyu_model.allocation.marginal.share_sums` returns None: the plain solve of the same
  problem) and every question answered in this process;
- ``after``: as shipped, without the forked child;
- ``fork``: as shipped, about half of the questions answered in a forked child (what a machine
  with a free core gets);
- ``auto``: as shipped, forking only where a core is spare (load average below the cores less a
  half), which on a shared machine is seldom.
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
if sys.argv[3] != "auto":
    marginal._can_fork = lambda: sys.argv[3] == "yes"
timing = marginal.Timing()
plain = results.marginal_values
results.marginal_values = lambda result, steps: plain(result, steps, timing)
r = results.run_model(sys.argv[1])
print(json.dumps({"timings": r.timings, "questions": timing.by_question}))
"""


MODES = {"before": ("before", "no"), "after": ("after", "no"), "fork": ("after", "yes"), "auto": ("after", "auto")}


def one_run(scenario: str, mode: str) -> dict:
    """Run the model of ``scenario`` cold in a fresh process in ``mode`` (:data:`MODES`); return its timings."""
    env = dict(os.environ, TUOYU_SOLVE_CACHE="off")
    args = [sys.executable, "-c", CHILD, scenario, *MODES[mode]]
    proc = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenarios", nargs="*")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--modes", default="before,after,fork", help=f"comma-separated, of {', '.join(MODES)}")
    args = parser.parse_args()
    modes = args.modes.split(",")
    scenarios = args.scenarios or sorted(p.stem for p in (ROOT / "data" / "scenarios").glob("*.yaml"))
    print(f"cold model time (s), best of {args.repeat}, modes run in turn; load {os.getloadavg()[0]:.1f}")
    print(f"{'scenario':30s} " + " ".join(f"{m + ' ' + k:>16s}" for m in modes for k in ("model", "marginal")))
    for scenario in scenarios:
        runs: dict = {m: [] for m in modes}
        for _ in range(args.repeat):
            for m in modes:
                runs[m].append(one_run(scenario, m))
        cells = [min(r["timings"][k] for r in runs[m]) for m in modes for k in ("total", "marginal_values")]
        print(f"{scenario:30s} " + " ".join(f"{c:16.2f}" for c in cells))
        for n, (question, year, town, _s, solves) in enumerate(runs[modes[0]][0]["questions"]):
            if not solves and not any(r[0]["questions"][n][4] for r in runs.values()):
                continue  # answered without solving in every mode
            best = [min(r["questions"][n][3] for r in runs[m]) for m in modes]
            label = f"  {question} {year} {town}".rstrip()
            print(f"{label:30s} " + " ".join(f"{'':16s} {b:16.2f}" for b in best))
        print(f"{'':30s} (questions: seconds per question, a solve's stages included)")


if __name__ == "__main__":
    main()
