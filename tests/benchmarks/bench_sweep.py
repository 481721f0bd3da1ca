"""Time ``tuoyu sweep``; prints figures, asserts nothing.

Run: ``python tests/benchmarks/bench_sweep.py [--points 1000] [--skip-dask]``.

1. 1,000 Daxing points (a 10 × 10 × 10 grid over caregiver wage, rent and the community
   channel's capital cost: every point changes costs, none the structure), written with
   :func:`tuoyu_model.sweep.run.run_sweep` and ``--jobs 2`` (goal ≤ 15 s wall on 2 cores), then
   the same with ``--dask-local 2``; then the same 1,000 points as the linear relaxation
   (``fixed: {whole_slots: false}``: fractional slots, no project minimums), with the range of
   the difference of its public money (plan years) from the whole-slot points.
2. Time per point in one process against HiGHS's own ``run()`` time for that point (goal ≤ 2×),
   on the first 200 points: ``per point`` = overrides → inputs → arrays → model change → solve →
   metrics; ``HiGHS`` = the solver alone; the difference is what the sweep adds.
3. A 340-unit synthetic district × 2 years (``bench_allocation.synthetic_inputs``, the linear
   program as there), 200 Monte Carlo draws of unit capital costs, operating subsidies and
   capacities (± 20–30%, fixed seed): time per draw and HiGHS's share of it.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_allocation import synthetic_inputs  # noqa: E402

from tuoyu_model.sweep.evaluate import PointEvaluator, solve_point  # noqa: E402
from tuoyu_model.sweep.lp import PointSolver  # noqa: E402
from tuoyu_model.sweep.run import run_sweep  # noqa: E402

SEED = 20241201
GRID = """title: 基准测试：1,000个点
scenario: baseline
grid:
  caregiver_wage: [{wages}]
  rent: [{rents}]
  capital_cost.community: [{capital}]
"""


def grid_spec(folder: Path, n_side: int, extra: str = "", name: str = "bench_grid") -> Path:
    text = extra + GRID.format(
        wages=", ".join(str(int(v)) for v in np.linspace(5000, 7000, n_side)),
        rents=", ".join(f"{v:.3f}" for v in np.linspace(2.5, 6.0, n_side)),
        capital=", ".join(str(int(v)) for v in np.linspace(20000, 45000, n_side)),
    )
    path = folder / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def per_point(n: int, n_side: int) -> None:
    ev = PointEvaluator("baseline")
    ev.evaluate({})  # first build outside the timing
    wages = np.linspace(5000, 7000, n_side)
    rents = np.linspace(2.5, 6.0, n_side)
    caps = np.linspace(20000, 45000, n_side)
    pts = [
        {"caregiver_wage": int(w), "rent": round(float(r), 3), "capital_cost.community": int(c)}
        for w in wages
        for r in rents
        for c in caps
    ][:n]
    t0 = time.perf_counter()
    highs = 0.0
    for p in pts:
        highs += ev.evaluate(p)["solver_seconds"]
    wall = time.perf_counter() - t0
    print(
        f"per point (one process, {n} points): {wall / n * 1000:.1f} ms; HiGHS run() {highs / n * 1000:.1f} ms; "
        f"ratio {wall / highs:.2f} (goal ≤ 2); models built {ev.solver.builds}"
    )


def district_draws(n_draws: int) -> None:
    base = replace(synthetic_inputs(340, 2), whole_slots=False)
    rng = np.random.default_rng(SEED)
    solver = PointSolver()
    solve_point(base, solver)  # the build, outside the timing
    t0 = time.perf_counter()
    highs = 0.0
    for _ in range(n_draws):
        uc = base.unit_costs.assign(capital_public_yuan=base.unit_costs.capital_public_yuan * rng.uniform(0.7, 1.3))
        ops = base.operating_subsidy.assign(
            subsidy_per_slot_year_yuan=base.operating_subsidy.subsidy_per_slot_year_yuan * rng.uniform(0.8, 1.2)
        )
        cap = base.capacity.assign(capacity_slots=base.capacity.capacity_slots * rng.uniform(0.8, 1.2))
        row = solve_point(replace(base, unit_costs=uc, operating_subsidy=ops, capacity=cap), solver)
        assert row["status"] == "Optimal", row["status"]
        highs += row["solver_seconds"]
    wall = time.perf_counter() - t0
    print(
        f"340 units × 2 years, {n_draws} draws (LP): {wall / n_draws * 1000:.1f} ms per draw, "
        f"HiGHS {highs / n_draws * 1000:.1f} ms ({highs / wall:.0%} of it); models built {solver.builds}"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--side", type=int, default=10, help="grid values per factor (10 → 1,000 points)")
    ap.add_argument("--per-point", type=int, default=200, help="points timed one by one")
    ap.add_argument("--draws", type=int, default=200)
    ap.add_argument("--skip-dask", action="store_true")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="tuoyu-bench-sweep-") as tmp:
        tmp = Path(tmp)
        os.environ["TUOYU_OUTPUTS_DIR"] = str(tmp / "outputs")
        spec = grid_spec(tmp, args.side)
        n = args.side**3
        relaxed = grid_spec(tmp, args.side, "fixed: {whole_slots: false}\n", "bench_grid_relaxed")
        folders = {}
        runs = [("--jobs 2", spec, {"jobs": 2}), ("--dask-local 2", spec, {"dask_local": 2})]
        runs.append(("--jobs 2, linear relaxation", relaxed, {"jobs": 2}))
        for label, path, kw in runs:
            if args.skip_dask and "dask" in label:
                continue
            rec = run_sweep(path, report=False, **kw)
            folders[path] = rec.folder
            print(
                f"{n:,} Daxing points, {label}: {rec.seconds:.1f} s wall (solve {rec.timings['solve']:.1f} s; "
                f"goal ≤ 15 s), {rec.n_failed} failed"
            )
        money = "public_cost_total_yuan"
        whole, frac = (pd.read_csv(folders[p] / "points.csv", encoding="utf-8-sig")[money] for p in (spec, relaxed))
        gap = (frac - whole) / 1e4  # plan-year money: the relaxation's objective (to the horizon) is the lower one
        print(
            f"  public money (plan years), relaxation − whole slots: {gap.min():+.1f} to {gap.max():+.1f}万元 "
            f"(median {gap.median():+.1f}万元, of {whole.median() / 1e4:,.0f}万元)"
        )
        per_point(args.per_point, args.side)
        district_draws(args.draws)
    print(f"machine: {os.cpu_count()} cores, {sys.platform}, Python {sys.version.split()[0]}")


if __name__ == "__main__":
    main()
