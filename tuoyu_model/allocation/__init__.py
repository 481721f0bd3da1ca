"""Allocation: a PuLP linear program that places slots and subsidy money across towns and years.

The package reads in the order data flows through it:

- :mod:`~tuoyu_model.allocation.inputs`: :class:`AllocationInputs`, built by
  :func:`inputs_from_tables` from the economics tables a run has computed (or by
  :func:`inputs_from_parameters`, which computes them first);
- :mod:`~tuoyu_model.allocation.build`: :func:`create_model`, a list of builders
  (``add_target_constraints``, ``add_share_constraints``, ``add_budget_constraints``, …); its
  docstring writes the formulation out, as does ``docs/formulation.md``;
- :mod:`~tuoyu_model.allocation.solver`: HiGHS (arrays passed in bulk) or CBC, the status check;
- :mod:`~tuoyu_model.allocation.solve`: :func:`solve` (inputs → :class:`AllocationResult`), up to
  three solves;
- :mod:`~tuoyu_model.allocation.read`: solution → tables of numbers, the one city/district split
  (:func:`funding_sources`), the one "slots missing, counted once" rule (:func:`slots_missing`),
  notes as :class:`Note` records;
- :mod:`~tuoyu_model.allocation.check`: :func:`presolve_notes` before solving and
  :func:`check_solution` after, from the inputs and the result tables only.

No sentence is written here: :mod:`tuoyu_model.presentation.sentences` words the notes and the
shadow prices.
"""

from tuoyu_model.allocation.build import AllocationModel, create_model
from tuoyu_model.allocation.check import check_solution, presolve_notes
from tuoyu_model.allocation.inputs import (
    KINDS,
    PENALTY_KEYS,
    STOCK_YEAR,
    AllocationInputs,
    centre_host_rule,
    inputs_from_parameters,
    inputs_from_tables,
    toy_inputs,
)
from tuoyu_model.allocation.read import (
    OBJECTIVE_UNIT,
    SHORTFALL_KINDS,
    UNMET_TOL,
    AllocationResult,
    Note,
    ShadowReading,
    funding_sources,
    slots_missing,
)
from tuoyu_model.allocation.solve import solve, solve_scenario
from tuoyu_model.allocation.solver import highs_available
from tuoyu_model.costs import CHANNELS

__all__ = [
    "CHANNELS",
    "KINDS",
    "OBJECTIVE_UNIT",
    "PENALTY_KEYS",
    "SHORTFALL_KINDS",
    "STOCK_YEAR",
    "UNMET_TOL",
    "AllocationInputs",
    "AllocationModel",
    "AllocationResult",
    "Note",
    "ShadowReading",
    "centre_host_rule",
    "check_solution",
    "create_model",
    "funding_sources",
    "highs_available",
    "inputs_from_parameters",
    "inputs_from_tables",
    "presolve_notes",
    "slots_missing",
    "solve",
    "solve_scenario",
    "toy_inputs",
]
