"""Time the what-if explorer's re-plan per control change; prints figures, asserts nothing.

Run: ``.venv/bin/python tests/benchmarks/bench_explore.py [SCENARIO] [--repeat N]``.

For each change (a typical question of each group of controls), the time of
:meth:`ExploreSession.change` (parse, parameter checks, inputs, the whole-slot plan if solved
within ``PREVIEW_AFTER_S``, else the linear relaxation shown as 连续近似) plus the headline and
the sentence the page shows — what stands between a control change and the numbers on screen in
the kernel (``screen``; ``preview`` says whether they were the relaxation) — then the time until
the whole-slot plan is on screen (``final``), and, apart, the per-unit chart drawn after them. Each change
is repeated (default 5) and the fastest and median kept: other load on the machine only ever slows
a run down. The solve cache is off (``TUOYU_SOLVE_CACHE=off``) unless ``--cache``: with it, the
repeats after the first read the whole-slot plan back and only the first is a real solve. For
comparison, one full :func:`run_model` with the same change. The browser test
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

import os  # noqa: E402

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
    ap.add_argument(
        "--cache",
        action="store_true",
        help="keep the solve cache on (default off: every repeat solves, the first time a setting is seen)",
    )
    args = ap.parse_args()
    if not args.cache:
        os.environ["TUOYU_SOLVE_CACHE"] = "off"  # every repeat a real solve (the worst case a user meets)
    t0 = time.perf_counter()
    session = ExploreSession(args.scenario)
    print(f"explorer for '{args.scenario}': start (data, scenario, first plan) {time.perf_counter() - t0:.2f} s")
    heads = f"{'screen min':>11}{'median':>8}{'preview':>9}{'final min':>11}{'median':>8}{'chart':>7}{'full run':>9}"
    print(f"{'change':<36}{heads}")
    worst = 0.0
    for key, typed, set_option in CHANGES:
        screen, final, previews = [], [], 0
        for _ in range(args.repeat):
            session.reset()
            session.wait()
            t = time.perf_counter()
            message = session.change(key, typed)
            headline_html(session.plan, session.years)
            session.sentence()
            screen.append(time.perf_counter() - t)
            previews += session.plan.preview
            session.wait()
            headline_html(session.plan, session.years)
            final.append(time.perf_counter() - t)
            if message:
                raise SystemExit(f"{key}={typed}: {message}")
        t = time.perf_counter()
        unit_chart_html(session.plan)
        chart = time.perf_counter() - t
        t = time.perf_counter()
        run_model(args.scenario, [set_option])
        full = time.perf_counter() - t
        med = statistics.median(screen)
        worst = max(worst, med)
        print(
            f"{key + '=' + typed:<36}{min(screen):>11.3f}{med:>8.3f}{f'{previews}/{args.repeat}':>9}"
            f"{min(final):>11.3f}{statistics.median(final):>8.3f}{chart:>7.3f}{full:>9.2f}"
        )
    print(f"slowest median to the screen {worst:.3f} s (goal ≤ {GOAL} s; the chart follows the numbers)")
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
