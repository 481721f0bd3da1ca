"""Benchmark loading and validating the inputs, and the start-up cost of the ``tuoyu`` command.

Run from anywhere: ``python tests/benchmarks/bench_validate.py [--repeat N]``. Prints the median
of N runs of

- each loader in-process: ``load_targets``, ``load_towns``, ``default_parameters`` and all the
  shipped scenarios (``load_scenario`` with shared defaults);
- ``tuoyu validate`` in-process (``cli.main``);
- ``python -m tuoyu_model validate`` and ``python -c "import pandas"`` as fresh processes: the
  difference is what the command itself costs; the rest is interpreter and pandas start-up,
  which is what each subprocess case of ``tests/test_broken_inputs.py`` pays.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import statistics
import subprocess
import sys
import time
from collections.abc import Callable


def median_seconds(fn: Callable[[], object], repeat: int) -> float:
    """Return the median wall time of ``fn()`` over ``repeat`` runs."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    """Print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    repeat = parser.parse_args().repeat

    from tuoyu_model import cli
    from tuoyu_model.data import load_targets, load_towns
    from tuoyu_model.parameters import default_parameters, list_scenarios, load_scenario

    targets = load_targets()
    defaults = default_parameters()

    def quiet_validate() -> None:
        with contextlib.redirect_stdout(io.StringIO()):
            assert cli.main(["validate"]) == 0

    rows = [
        ("load_targets (66 rows, totals checked)", lambda: load_targets()),
        ("load_towns (22 units)", lambda: load_towns(targets=targets)),
        ("default_parameters (all YAML files)", lambda: default_parameters()),
        (
            f"load_scenario x {len(list_scenarios())} (shared defaults)",
            lambda: [load_scenario(n, defaults=defaults) for n in list_scenarios()],
        ),
        ("tuoyu validate, in-process", quiet_validate),
        (
            "python -m tuoyu_model validate (fresh process)",
            lambda: subprocess.run([sys.executable, "-m", "tuoyu_model", "validate"], capture_output=True, check=True),
        ),
        (
            "python -c 'import pandas' (fresh process)",
            lambda: subprocess.run([sys.executable, "-c", "import pandas"], capture_output=True, check=True),
        ),
        (
            "python -c 'pass' (fresh process)",
            lambda: subprocess.run([sys.executable, "-c", "pass"], capture_output=True, check=True),
        ),
    ]
    print(f"median of {repeat} runs")
    for label, fn in rows:
        print(f"  {label:<50} {median_seconds(fn, repeat) * 1000:8.1f} ms")


if __name__ == "__main__":
    main()
