r"""Allocation: a PuLP linear program that places slots and subsidy money across towns and years.

The package reads in the order data flows through it:

- :mod:`~tuoyu_model.allocation.inputs`: :class:`AllocationInputs`, built by
  :func:`inputs_from_tables` from the economics tables a run has computed (or by
  :func:`inputs_from_parameters`, which computes them first), each part read by a function of
  :mod:`~tuoyu_model.allocation.formulas` (years, budgets, priority, stock, targets, capacities);
- :mod:`~tuoyu_model.allocation.build`: :func:`create_model`, a list of builders
  (``add_target_constraints``, ``add_share_constraints``, ``add_budget_constraints``, …) of the
  formulation below;
- :mod:`~tuoyu_model.allocation.solver`: HiGHS (arrays passed in bulk) or CBC, the status check;
- :mod:`~tuoyu_model.allocation.priority`: one solve (``solve_model``) and the plan in priority
  stages when something is short (``solve_in_priority``, the equity search, the tie-break);
- :mod:`~tuoyu_model.allocation.solve`: :func:`solve` (inputs → :class:`AllocationResult`): the
  budget, the plan and its relaxation, read into the result;
- :mod:`~tuoyu_model.allocation.read`: solution → tables of numbers, the one city/district split
  (:func:`funding_sources`), notes as :class:`Note` records;
- :mod:`~tuoyu_model.allocation.sensitivity`: the shadow prices (numbers and codes) and HiGHS's
  ranging of each;
- :mod:`~tuoyu_model.allocation.shortfall`: the one "slots missing, counted once" rule
  (:func:`slots_missing`), the centre's shortfall by year-end, the shortfall notes;
- :mod:`~tuoyu_model.allocation.check`: :func:`presolve_notes` before solving and
  :func:`check_solution` after, from the inputs and the result tables only;
- :mod:`~tuoyu_model.allocation.marginal`: the bureau's finite questions (one more point of
  share, 100万元, ten slots) answered by re-solving the plan's built model.

No sentence is written here: :mod:`tuoyu_model.presentation.sentences` words the notes and
:mod:`tuoyu_model.presentation.shadow_sentences` the shadow prices.

The formulation (also in ``docs/formulation.md``):

.. math::

    \min \; \sum_{i,t,c,k} \gamma_{tck}\, x_{itck} + \sum_{i,t} \gamma^{v}_{t}\, v_{it}
         + \sum_{i,t} \big(P^{T} u^{T}_{it} + P^{I} u^{I}_{it} + P^{C} u^{C}_{it}\big)
         + \sum_t P^{S} u^{S}_t + P^{C} u^{Z} + K

with
:math:`\gamma_{\tau ck}=(a_{ck}+\epsilon)\delta_\tau + [k=\mathrm{inc}]\sum_{t\ge\tau}^{H}o_{tc}\phi_{\tau t}\delta_t`,
:math:`\gamma^v_\tau = g\,\delta_\tau + \sum_{t\ge\tau}^{H} o_{te}\,\phi_{\tau t}\,\delta_t`,
:math:`\phi_{\tau t} = f` if :math:`t=\tau` else 1, and
:math:`K = \sum_{t}^{H} o_{te}\,\delta_t\sum_i I^0_i` (committed): money
counted to the costing horizon :math:`H` (``costing_horizon``), year :math:`t` weighted
:math:`\delta_t = (1+r)^{-(t-t_0)}` (``discount_rate``, default 0), subject to

.. math::

    S^0_i + \sum_{\tau\le t}\sum_{c,k} x_{i\tau ck} + u^T_{it} &\ge T_{it}
        && \text{total-}i\text{-}t\\
    I_{it} := I^0_i + \sum_{\tau\le t}\Big(\sum_c x_{i\tau c,\mathrm{inc}} + v_{i\tau}\Big),\quad
    I_{it} + u^I_{it} &\ge T^{I}_{it} && \text{inclusive-}i\text{-}t\\
    I_{it} + u^C_{it} &\ge m_{it} \quad (m_{it} > I^0_i) && \text{coverage-}i\text{-}t\\
    \sum_i I_{it} + u^S_t &\ge s_t \sum_i S_{it} && \text{share-district-}t\\
    \sum_{i}\sum_{\tau\le y^Z} x_{i\tau,\mathrm{centre},\mathrm{inc}} + u^Z &\ge Z && \text{centre-district-}y^Z\\
    \sum_{\tau\le t}\sum_k x_{i\tau ck} &\le \bar X_{ict} && \text{capacity\_}c\text{-}i\text{-}t\\
    \sum_{\tau\le t} v_{i\tau} &\le \bar V_{it} && \text{conversion-}i\text{-}t\\
    \sum_{i,c,k} a_{ck} x_{itck} + g\sum_i v_{it}
        + \sum_{i}\sum_{\tau\le t}\phi_{\tau t}\Big(\sum_c o_{tc} x_{i\tau c,\mathrm{inc}} + o_{te} v_{i\tau}\Big)
        &\le B_t - o_{te}\sum_i I^0_i && \text{budget-district-}t

(and, where ``budget_city`` / ``budget_district`` are set, the same sum with each item × the
source's share :math:`\le B^{src}_t` − its share of the committed subsidies:
``budget_city-district-t``, ``budget_district-district-t``)

and all variables :math:`\ge 0`. Legend: :math:`i` unit (street/town/zone), :math:`t,\tau` year,
:math:`c` channel, :math:`k` kind (inclusive/market); :math:`x` new slots, :math:`v` market
slots converted to inclusive, :math:`u` shortfalls (slots); :math:`S^0, I^0` end-of-previous-year
total and inclusive stock (towns.csv or a progress return); :math:`T, T^I` annex targets;
:math:`m` minimum inclusive slots per unit (from ``min_inclusive_year``); :math:`s_t` inclusive
share target; :math:`Z, y^Z` centre slots and year; :math:`\bar X` cumulative channel capacity
(towns.csv counts × allocation.yaml, × ``build_share_by_year``); :math:`\bar V` cumulative
conversion capacity (``conversion_willingness`` × existing market slots); :math:`a_{ck}` public
capital per new slot (costs.capital_costs), :math:`g` per conversion (costs.conversion_cost),
:math:`o_{tc}` operating subsidy per inclusive slot-year (pricing.operating_subsidy_table),
:math:`e` the channel of existing and converted slots, :math:`f` the share of its first year a
new slot is subsidised, :math:`\epsilon` a token tie-break per new slot, :math:`P` penalties
(yuan per slot), :math:`B_t` the yearly budget (rows only where a budget is set). Integer mode:
:math:`x = n_{\cdot}\,q_c` with :math:`n` integer and :math:`q_c` slots per class; with
``district_centre_unit: auto`` a binary :math:`z_i` (:math:`\sum_i z_i = 1`) opens the centre.
Objective ``max_slots`` replaces the cost terms by :math:`-\sum_t\sum_i (w I_{it} + M_{it})`
(slot-years, inclusive weighted by :math:`w`), keeping the penalties and the budget rows.
Whole slots (``whole_slots``, the default): :math:`x`, :math:`v` and the shortfalls :math:`u`
are integer (a mixed-integer program; the share's :math:`u^S_t` is the inclusive slots still
missing, rounded up). The shadow prices are the duals of the linear relaxation at the same data.
"""

from tuoyu_model.allocation.build import AllocationModel, create_model
from tuoyu_model.allocation.check import check_solution, presolve_notes
from tuoyu_model.allocation.commitments import commitment_by_year, commitments_table
from tuoyu_model.allocation.inputs import (
    KINDS,
    PENALTY_KEYS,
    AllocationInputs,
    centre_host_rule,
    inputs_from_parameters,
    inputs_from_tables,
    toy_inputs,
)
from tuoyu_model.allocation.read import (
    SHORTFALL_KINDS,
    UNMET_TOL,
    AllocationResult,
    Note,
    ShadowReading,
    funding_sources,
)
from tuoyu_model.allocation.sensitivity import OBJECTIVE_UNIT
from tuoyu_model.allocation.shortfall import slots_missing, unit_overlap
from tuoyu_model.allocation.solve import solve, solve_scenario
from tuoyu_model.allocation.solver import highs_available
from tuoyu_model.costs import CHANNELS
from tuoyu_model.data import STOCK_YEAR

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
    "commitment_by_year",
    "commitments_table",
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
    "unit_overlap",
]
