"""The points of a sweep, as data: a grid, Monte Carlo draws, or a Morris or Sobol design from SALib.

A design is made once, in the process that runs the sweep, before any point is solved, so the
points (and their order) are the same whatever the number of workers or machines. Draws use one
random stream per parameter, seeded from the spec's seed and the parameter's name
(``numpy.random.SeedSequence``), so adding a parameter leaves the others' draws unchanged.
Morris and Sobol samples come from SALib on the unit cube (quantiles); each quantile is turned
into a value by the parameter's distribution.
"""

from __future__ import annotations

import itertools
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

# A lognormal has no upper end: the Morris and Sobol designs, whose quantiles include 0 and 1,
# use it between these quantiles (its 1st and 99th percentiles). Monte Carlo draws never reach 0 or 1.
LOGNORMAL_TAIL = 0.01


def quantile(dist: Mapping[str, Any], u: np.ndarray) -> np.ndarray:
    """Values of a distribution (as in the parameter files) at quantiles ``u`` in [0, 1].

    Examples
    --------
    >>> quantile({"distribution": "uniform", "low": 2, "high": 4}, np.array([0.0, 0.5, 1.0])).tolist()
    [2.0, 3.0, 4.0]
    >>> quantile({"distribution": "triangular", "low": 0, "mode": 0, "high": 1}, np.array([0.75])).round(4).tolist()
    [0.5]
    >>> quantile({"distribution": "triangular", "low": 3, "mode": 3, "high": 3}, np.array([0.2, 0.9])).tolist()
    [3.0, 3.0]

    """
    from scipy import stats  # heavy import, only where a distribution is evaluated

    u = np.asarray(u, dtype=float)
    kind = dist["distribution"]
    if kind == "lognormal":
        z = stats.norm.ppf(np.clip(u, LOGNORMAL_TAIL, 1 - LOGNORMAL_TAIL))
        return float(dist["median"]) * np.exp(float(dist["sigma"]) * z)
    low, high = float(dist["low"]), float(dist["high"])
    if high == low:
        return np.full(u.shape, low)
    if kind == "uniform":
        return low + u * (high - low)
    c = (float(dist["mode"]) - low) / (high - low)
    return stats.triang.ppf(u, c, loc=low, scale=high - low)


@dataclass
class Design:
    """The points of a sweep.

    Attributes
    ----------
    kind : str
        ``grid``, ``draws``, ``morris`` or ``sobol``.
    names : list of str
        The factors (dotted parameter names), one column each.
    values : ndarray
        Points × factors (object array for a grid, whose values may be of any type).
    unit : ndarray or None
        The quantiles SALib drew (Morris, Sobol), for the analysis.
    problem : dict
        SALib's problem (names, bounds on the unit cube).

    """

    kind: str
    names: list[str]
    values: np.ndarray
    unit: np.ndarray | None = None
    problem: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.values)

    def point(self, i: int) -> dict[str, Any]:
        """Point ``i`` (0-based) as ``{name: value}``, numpy numbers as Python ones."""
        return {
            n: (v.item() if isinstance(v, np.generic) else v) for n, v in zip(self.names, self.values[i], strict=True)
        }


def grid_design(grid: Mapping[str, list]) -> Design:
    """Every combination of the grid's values, the last factor varying fastest.

    Examples
    --------
    >>> d = grid_design({"a": [1, 2], "b": [10, 20, 30]})
    >>> len(d), d.point(1)
    (6, {'a': 1, 'b': 20})

    """
    names = list(grid)
    rows = list(itertools.product(*(grid[n] for n in names)))
    values = np.empty((len(rows), len(names)), dtype=object)
    for i, row in enumerate(rows):
        values[i, :] = row
    return Design("grid", names, values)


def _as_type(values: np.ndarray, integer: bool) -> np.ndarray:
    return np.round(values) if integer else values


def draws_design(distributions: Mapping[str, Mapping], n: int, seed: int, integer: Mapping[str, bool]) -> Design:
    """``n`` Monte Carlo draws of every factor, one random stream per factor name.

    Examples
    --------
    >>> d = draws_design({"a": {"distribution": "uniform", "low": 0, "high": 1}}, 3, 7, {})
    >>> d2 = draws_design({"a": {"distribution": "uniform", "low": 0, "high": 1},
    ...                    "b": {"distribution": "uniform", "low": 5, "high": 6}}, 3, 7, {})
    >>> bool((d.values[:, 0] == d2.values[:, 0]).all())
    True

    """
    names = list(distributions)
    cols = []
    for name in names:
        rng = np.random.default_rng(np.random.SeedSequence([seed, zlib.crc32(name.encode("utf-8"))]))
        cols.append(_as_type(quantile(distributions[name], rng.random(n)), integer.get(name, False)))
    values = np.column_stack(cols) if cols else np.empty((n, 0))
    return Design("draws", names, values)


def _problem(names: list[str]) -> dict:
    return {"num_vars": len(names), "names": list(names), "bounds": [[0.0, 1.0]] * len(names)}


def _values(distributions: Mapping[str, Mapping], names: list[str], unit: np.ndarray, integer: Mapping) -> np.ndarray:
    return np.column_stack(
        [_as_type(quantile(distributions[n], unit[:, j]), integer.get(n, False)) for j, n in enumerate(names)]
    )


def morris_design(
    distributions: Mapping[str, Mapping], trajectories: int, levels: int, seed: int, integer: Mapping[str, bool]
) -> Design:
    """Return a Morris design (SALib ``morris.sample``): ``trajectories × (factors + 1)`` points."""
    from SALib.sample import morris  # heavy import, only for a sensitivity sweep

    names = list(distributions)
    problem = _problem(names)
    unit = morris.sample(problem, N=trajectories, num_levels=levels, seed=seed)
    return Design("morris", names, _values(distributions, names, unit, integer), unit, problem)


def sobol_design(distributions: Mapping[str, Mapping], samples: int, seed: int, integer: Mapping[str, bool]) -> Design:
    """Return a Sobol (Saltelli) design (SALib ``sobol.sample``, first and total order): ``N × (k + 2)`` points."""
    import warnings

    from SALib.sample import sobol  # heavy import, only for a sensitivity sweep

    names = list(distributions)
    problem = _problem(names)
    with warnings.catch_warnings():
        # SALib warns when N is not a power of 2 (the balance of the Sobol' sequence); the
        # estimates stay valid, the spec's N is the user's choice.
        warnings.filterwarnings("ignore", message=".*balance properties of Sobol.*")
        warnings.filterwarnings("ignore", message=".*power of 2.*")
        unit = sobol.sample(problem, samples, calc_second_order=False, seed=seed)
    return Design("sobol", names, _values(distributions, names, unit, integer), unit, problem)


def make_design(spec: Any, integer: Mapping[str, bool]) -> Design:
    """Return the design a :class:`~tuoyu_model.sweep.spec.SweepSpec` asks for."""
    if spec.kind == "grid":
        return grid_design(spec.grid)
    if spec.kind == "draws":
        return draws_design(spec.distributions, spec.n, spec.seed, integer)
    if spec.kind == "morris":
        return morris_design(spec.distributions, spec.n, spec.levels, spec.seed, integer)
    return sobol_design(spec.distributions, spec.n, spec.seed, integer)
