"""Time building and solving the allocation LP; prints figures, asserts nothing.

Run: ``/work/venv/bin/python tests/benchmarks/bench_allocation.py [--full] [--solver highs|cbc]``.

Cases: the shipped baseline (22 units × 2 years), then synthetic districts of 340, 4,000 and
40,000 units × 2 and 7 years from :func:`synthetic_inputs` (fixed seed, the same constraint
families as the real model: unit totals and inclusive targets, coverage minimums, district
share, centre, channel capacities, conversions). 40,000 × 7 is a ~2-million-variable LP and
runs only with ``--full``. Each case runs in its own process so the peak memory (ru_maxrss,
which includes the solver's C++ memory) belongs to that case alone.

Columns: ``build`` = :func:`tuoyu_model.allocation.create_model` (PuLP objects);
``solve`` = the PuLP solve call (model handed to the solver, solver run, values read back);
``solver`` = the solver's own run time (HiGHS ``run()``, CBC's reported wall clock);
``build/solver`` is the ratio the goal is about (≤ 1); ``tables`` = reading the solution into
the output tables; ``peak MB`` = the process's peak resident memory. Cases up to 1,000
unit-years repeat five times and keep the fastest build and solve (other load on the machine
only ever slows a run down). HiGHS uses simplex below 20,000 variables and interior point with
crossover above (allocation.yaml ``highs_method: auto``).

Re-solve: each case also times one more percentage point of last-year share by changing the
built model's share row in place and solving again (``allocation.marginal``), beside a rebuild and
solve at that value, and checks the two reach the same objective; the baseline also times every
question of ``tables/marginal_values.csv``.

Whole slots: the shipped model is a mixed-integer program (``whole_slots: true``). The baseline
row times it (build and solve of the MILP); the line under it gives the linear relaxation alone
(the LP the shadow prices come from) and the goal build + solve ≤ 0.1 s for the MILP. The
synthetic districts keep ``whole_slots=False``: they measure the LP, so their figures compare
with the ones measured before whole slots.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tuoyu_model.allocation import (  # noqa: E402
    CHANNELS,
    AllocationInputs,
    create_model,
    inputs_from_parameters,
    solve,
)
from tuoyu_model.allocation.marginal import Question, Timing, changed, marginal_values, share_value  # noqa: E402
from tuoyu_model.allocation.priority import solve_model  # noqa: E402
from tuoyu_model.allocation.solve import assign_solution  # noqa: E402
from tuoyu_model.parameters import load_scenario  # noqa: E402

SEED = 20240101


def synthetic_inputs(n_units: int, n_years: int, seed: int = SEED) -> AllocationInputs:
    """A made-up district shaped like Daxing: ``n_units`` units over ``n_years`` years from 2024.

    Costs are the baseline's; unit sizes, stock, targets and capacities are drawn around the real
    units' (fixed seed). Targets rise each year; the share target ramps from 30% to 60%.
    """
    rng = np.random.default_rng(seed)
    base = inputs_from_parameters(load_scenario("baseline").parameters)
    years = list(range(2024, 2024 + n_years))
    ids = [f"u{k:05d}" for k in range(n_units)]
    pop = rng.lognormal(np.log(80_000), 0.6, n_units).round()
    s0 = np.floor(pop / 1000 * rng.uniform(0.8, 1.6, n_units))
    i0 = np.floor(s0 * rng.uniform(0.0, 0.1, n_units))
    units = pd.DataFrame(
        {"town": [f"单位{k}" for k in range(n_units)], "initial_total": s0, "initial_inclusive": i0},
        index=pd.Index(ids, name="town_id"),
    )
    final_total = np.ceil(pop / 1000 * rng.uniform(2.0, 4.5, n_units))
    shares = np.linspace(0.3, 0.6, n_years) if n_years > 1 else np.array([0.6])
    rows = []
    for j, y in enumerate(years):
        step = (j + 1) / n_years
        total = np.maximum(s0, np.ceil(s0 + (final_total - s0) * step))
        rows.append(
            pd.DataFrame(
                {
                    "town_id": ids,
                    "year": y,
                    "target_total": total,
                    "target_inclusive": np.ceil(total * shares[j]),
                    "min_inclusive": 20.0 if j == n_years - 1 else 0.0,
                }
            )
        )
    targets = pd.concat(rows, ignore_index=True)
    per_unit = {
        "kindergarten": pop / 8000 * 0.6 * 20,
        "community": np.ceil(pop / 40_000) * 30,
        "employer": np.ceil(pop / 20_000) * 10,
        "social": pop / 1000 * 2.0,
    }
    cap_rows, conv_rows = [], []
    for j, y in enumerate(years):
        built = min(1.0, 0.6 + 0.4 * j / max(1, n_years - 1)) if n_years > 1 else 1.0
        for c, v in per_unit.items():
            cap_rows.append(
                pd.DataFrame({"town_id": ids, "channel": c, "year": y, "capacity_slots": np.round(v * built, 1)})
            )
        conv_rows.append(
            pd.DataFrame({"town_id": ids, "year": y, "capacity_slots": np.round(0.5 * (s0 - i0) * built, 1)})
        )
    last = base.operating_subsidy[base.operating_subsidy.year == base.years[-1]]
    # the operating subsidy of every year the objective counts: the plan's, then to the costing horizon
    costed = range(years[0], max(years[-1], base.horizon or years[-1]) + 1)
    ops = pd.concat([last.assign(year=y) for y in costed], ignore_index=True)
    return replace(
        base,
        units=units,
        years=years,
        targets=targets,
        capacity=pd.concat(cap_rows, ignore_index=True),
        conversion_capacity=pd.concat(conv_rows, ignore_index=True),
        operating_subsidy=ops,
        share_target=dict(zip(years, shares.tolist(), strict=True)),
        budget=dict.fromkeys(years),
        centre_year=years[-1],
    )


def run_case(n_units: int, n_years: int, solver: str) -> dict:
    """Build, solve and read one case in this process; return the figures."""
    if n_units == 0:
        inp = replace(inputs_from_parameters(load_scenario("baseline").parameters), solver=solver)
        t0 = time.perf_counter()
        full = solve(inp)
        end_to_end = time.perf_counter() - t0
    else:
        # the LP, as before whole slots, so the figures stay comparable
        inp = replace(synthetic_inputs(n_units, n_years), solver=solver, whole_slots=False)
        end_to_end = None
    # Small cases repeat and keep the fastest run (timeit's habit: other load only slows a run down).
    repeats = 5 if len(inp.units) * len(inp.years) <= 1000 else 1
    best = None
    for _ in range(repeats):
        model = create_model(inp)
        solved = solve_model(model, solver)
        if best is None:
            best = [model.build_seconds, solved.record.wall_seconds, solved.record.solver_seconds]
        else:
            best = [
                min(best[0], model.build_seconds),
                min(best[1], solved.record.wall_seconds),
                min(best[2], solved.record.solver_seconds),
            ]
    relax = None
    if n_units == 0:  # the relaxation of the baseline MILP, timed the same way
        for _ in range(repeats):
            lp = create_model(inp, integer=False)
            lp_solved = solve_model(lp, solver)
            pair = [lp.build_seconds, lp_solved.record.wall_seconds, lp_solved.record.solver_seconds]
            relax = pair if relax is None else [min(a, b) for a, b in zip(relax, pair, strict=True)]
    # One more point of last-year share: re-solving the built model (rows changed in place) beside
    # a rebuild and solve at the changed value (allocation.marginal; docs/formulation.md).
    q = Question("share_point", inp.years[-1], 1.0)
    with changed(model, q):
        again = solve_model(model, solver)
    inp2 = replace(inp, share_target={**inp.share_target, q.year: share_value(inp, q)})
    model2 = create_model(inp2)
    fresh = solve_model(model2, solver)
    resolve = {
        "resolve": again.record.wall_seconds,
        "resolve_solver": again.record.solver_seconds,
        "rebuild_build": model2.build_seconds,
        "rebuild_solve": fresh.record.wall_seconds,
        "rebuild_solver": fresh.record.solver_seconds,
        "same_objective": abs(again.record.objective - fresh.record.objective) <= 1e-9 * abs(fresh.record.objective),
    }
    t0 = time.perf_counter()
    res = assign_solution(solved, solved, dict(inp.budget), dict.fromkeys(inp.years, "none"), [])
    tables = time.perf_counter() - t0
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out = {
        "units": len(inp.units),
        "years": len(inp.years),
        "variables": len(model.prob.variables()),
        "constraints": len(model.rows.cons),
        "build": best[0],
        "solve": best[1],
        "solver": best[2],
        "tables": tables,
        "peak_mb": peak_mb,
        "repeats": repeats,
        "objective": res.objective_value,
        "status": res.status,
    }
    out["mip"] = bool(model.integer)
    out |= resolve
    if n_units == 0:  # every question of tables/marginal_values.csv, as run_model asks them
        timing = Timing()
        marginal_values(full, load_scenario("baseline").parameters["marginal_value_steps"], timing)
        out["marginal_resolves"], out["marginal_seconds"], out["marginal_solver"] = (
            timing.count,
            timing.resolve,
            timing.solver,
        )
    if relax is not None:
        out["lp_build"], out["lp_solve"], out["lp_solver"] = relax
    if end_to_end is not None:
        out["end_to_end"] = end_to_end
        out["solve_api_build"] = full.build_seconds
        out["solve_api_solve"] = full.solve_seconds
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--full", action="store_true", help="also run 40,000 units × 7 years (~2M variables)")
    ap.add_argument("--solver", default="highs", choices=["highs", "cbc"])
    ap.add_argument("--case", nargs=2, type=int, metavar=("UNITS", "YEARS"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.case:
        print(json.dumps(run_case(args.case[0], args.case[1], args.solver)))
        return
    cases = [(0, 2), (340, 2), (340, 7), (4000, 2), (4000, 7), (40000, 2)]
    if args.full:
        cases.append((40000, 7))
    print(f"allocation LP benchmark, solver {args.solver} (seconds; each case in its own process)")
    head = (
        f"{'case':>20} {'vars':>9} {'rows':>9} {'build':>8} {'solve':>8} {'solver':>8} "
        f"{'build/solver':>12} {'tables':>8} {'peak MB':>8}"
    )
    print(head)
    for n, y in cases:
        proc = subprocess.run(
            [sys.executable, __file__, "--case", str(n), str(y), "--solver", args.solver],
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.returncode != 0:
            print(f"{n} × {y}: failed: {proc.stderr.strip().splitlines()[-1] if proc.stderr else proc.returncode}")
            continue
        r = json.loads(proc.stdout.strip().splitlines()[-1])
        name = ("baseline 22×2 " + ("MILP" if r["mip"] else "LP")) if n == 0 else f"{n:,}×{y} LP"
        ratio = r["build"] / r["solver"] if r["solver"] and r["solver"] == r["solver"] else float("nan")
        print(
            f"{name:>20} {r['variables']:>9,} {r['constraints']:>9,} {r['build']:>8.3f} {r['solve']:>8.3f} "
            f"{r['solver']:>8.3f} {ratio:>12.2f} {r['tables']:>8.3f} {r['peak_mb']:>8.0f}"
        )
        print(
            f"{'':>20} one more share point: re-solve {r['resolve']:.3f} s (solver {r['resolve_solver']:.3f}) "
            f"vs rebuild {r['rebuild_build']:.3f} + solve {r['rebuild_solve']:.3f} s "
            f"(solver {r['rebuild_solver']:.3f}); "
            f"same objective: {r['same_objective']}"
        )
        if n == 0:
            print(
                f"{'':>20} marginal_values: {r['marginal_resolves']} re-solves in {r['marginal_seconds']:.3f} s "
                f"(solver {r['marginal_solver']:.3f})"
            )
        if n == 0 and "lp_build" in r:
            print(
                f"{'':>20} build+solve: MILP {r['build'] + r['solve']:.3f} s (goal ≤ 0.1), its LP relaxation "
                f"{r['lp_build'] + r['lp_solve']:.3f} s (build {r['lp_build']:.3f} + solve {r['lp_solve']:.3f}, "
                f"solver {r['lp_solver']:.3f})"
            )
        if n == 0:
            print(
                f"{'':>20} baseline through solve(): {r['end_to_end']:.3f} s end to end "
                f"(build {r['solve_api_build']:.3f} + solve {r['solve_api_solve']:.3f}, MILP and "
                "relaxation; the rest is the pre-solve check and the tables)"
            )
    print(f"machine: {sys.platform}, Python {sys.version.split()[0]}; channels {', '.join(CHANNELS)}")


if __name__ == "__main__":
    main()
