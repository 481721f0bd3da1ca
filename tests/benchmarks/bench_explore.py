"""Time the what-if explorer's re-plan per control change; prints figures, asserts nothing.

Run: ``.venv/bin/python tests/benchmarks/bench_explore.py [SCENARIO] [--repeat N]``.

For each change (a typical question of each group of controls), the time of
:meth:`ExploreSession.set` (parse, parameter checks, inputs, the whole-slot allocation, the numbers)
plus the headline and the sentence the page shows — what stands between a control change and
the numbers on screen in the kernel — and, apart, the per-unit chart drawn after them. Each change
is repeated (default 5) and the fastest and median kept: other load on the machine only ever slows
a run down. For comparison, one full :func:`run_model` with the same change. The browser test
(``tests/test_explore_browser.py``) measures the same on screen, through Voilà and Chromium.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tuoyu_model.explore.app import headline_html, unit_chart_html  # noqa: E402
from tuoyu_model.explore.session import ExploreSession  # noqa: E402
from tuoyu_model.results import run_model  # noqa: E402

GOAL = 0.5  # s, issue 15: a control change → updated numbers on screen
# (control, value typed, the same as a --set); budgets in 万元, shares in %
CHANGES = [
    ("budget.2025", "2000", "budget.2025=20000000"),
    ("budget.2025", "1000", "budget.2025=10000000"),
    ("inclusive_share_target.2025", "55", "inclusive_share_target.2025=0.55"),
    ("fee_cap_share", "18", "fee_cap_share=0.18"),
    ("inclusive_fee_share_of_cap", "90", "inclusive_fee_share_of_cap=0.9"),
    ("household_size", "3", "household_size=3"),
    ("occupancy_rate", "75", "occupancy_rate=0.75"),
    ("caregiver_wage", "7000", "caregiver_wage=7000"),
    ("capital_cost.community", "35000", "capital_cost.community=35000"),
]


def main() -> None:
    """Print one line per change: fastest and median seconds to the numbers, the chart, a full run."""
    ap = argparse.ArgumentParser()
    ap.add_argument("scenario", nargs="?", default="baseline")
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    t0 = time.perf_counter()
    session = ExploreSession(args.scenario)
    print(f"explorer for '{args.scenario}': start (data, scenario, first plan) {time.perf_counter() - t0:.2f} s")
    print(f"{'change':<36}{'numbers min':>12}{'median':>9}{'chart':>8}{'full run':>10}")
    worst = 0.0
    for key, typed, set_option in CHANGES:
        numbers = []
        for _ in range(args.repeat):
            session.reset()
            t = time.perf_counter()
            message = session.set(key, typed)
            headline_html(session.plan, session.years)
            session.sentence()
            numbers.append(time.perf_counter() - t)
            if message:
                raise SystemExit(f"{key}={typed}: {message}")
        t = time.perf_counter()
        unit_chart_html(session.plan)
        chart = time.perf_counter() - t
        t = time.perf_counter()
        run_model(args.scenario, [set_option])
        full = time.perf_counter() - t
        med = statistics.median(numbers)
        worst = max(worst, med)
        print(f"{key + '=' + typed:<36}{min(numbers):>12.3f}{med:>9.3f}{chart:>8.3f}{full:>10.2f}")
    print(f"slowest median {worst:.3f} s (goal ≤ {GOAL} s to the numbers; the chart follows them)")


if __name__ == "__main__":
    main()
