"""The sweep's problem structure: what only the slow inputs (units, targets, capacities) and the flags decide.

:func:`static_structure` computes, once per structure and worker, the columns (in PuLP's order),
their bounds and integrality, and the rows whose coefficients a point does not change; it is
cached by :func:`static_key` (at most :data:`STATIC_KEEP` structures). :func:`tuoyu_model.sweep.lp.model_arrays`
adds what each point changes (costs, the share and budget rows) on top.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from tuoyu_model.allocation.inputs import AllocationInputs, centre_host_rule
from tuoyu_model.allocation.model import SOURCE_BUDGETS, TOL, prepare
from tuoyu_model.costs import CHANNELS

# PuLP replaces these characters in variable names by '_' (pulp.LpElement.illegal_chars); the
# column order is PuLP's, sorted by the sanitised name.
ILLEGAL = str.maketrans(dict.fromkeys("-+[] ->/", "_"))
INF = math.inf


@dataclass
class Static:
    """The part of a problem that only the slow inputs (units, targets, capacities) and the flags decide."""

    keep: tuple  # the input objects the key names by id, held so their ids stay theirs
    years: list
    xm: list  # (town, year, channel, kind, slots per variable)
    vm: list  # (town, year)
    xcol: list
    vcol: list
    short_keys: list
    short_col: dict
    names: list
    lower: np.ndarray
    upper: np.ndarray
    integer: np.ndarray
    head: tuple  # rows before the share rows: (starts, index, value, lo, hi, family, town, year)
    share_terms: dict  # year -> [(column, slots per variable or None for a conversion, kind)], in row order
    tail: tuple  # centre and centre-site rows
    S0_all: float
    I0_all: float
    x_idx: np.ndarray
    v_idx: np.ndarray
    short_idx: np.ndarray
    site_idx: dict
    x_meta: dict
    v_meta: dict
    project_tail: tuple = ((), (), (), (), (), (), (), ())  # the centre's one-project row
    open_idx: dict = field(default_factory=dict)  # (town, channel, year) -> open column (projects)


STATIC: dict = {}  # structure key -> Static (a sweep has one or two structures per worker)
STATIC_KEEP = 8


class RowBuffer:
    """Rows as addRows takes them, built in order."""

    def __init__(self) -> None:
        self.starts: list = []
        self.index: list = []
        self.value: list = []
        self.lo: list = []
        self.hi: list = []
        self.family: list = []
        self.town: list = []
        self.year: list = []

    def add(self, pairs: list, sense: str, rhs: float, family: str, town: str, year: int) -> None:
        """Append the row ``family-town-year``: ``pairs`` of (column, coefficient), sense G/L/E, ``rhs``."""
        self.starts.append(len(self.index))
        self.index.extend(c for c, _ in pairs)
        self.value.extend(v for _, v in pairs)
        self.lo.append(rhs if sense in ("G", "E") else -INF)
        self.hi.append(rhs if sense in ("L", "E") else INF)
        self.family.append(family)
        self.town.append(town)
        self.year.append(year)

    def block(self) -> tuple:
        """Return the rows as ``(starts, index, value, lo, hi, family, town, year)``."""
        return (self.starts, self.index, self.value, self.lo, self.hi, self.family, self.town, self.year)


def static_key(inputs: AllocationInputs, budget_rhs: dict, integer: bool) -> tuple:
    """Return the cache key of a structure: the slow inputs by identity, the flags and which rows exist."""
    uc = inputs.unit_costs
    return (
        id(inputs.units),
        id(inputs.targets),
        id(inputs.capacity),
        id(inputs.conversion_capacity),
        tuple(int(y) for y in inputs.years),
        bool(integer),
        bool(inputs.integer_classes),
        inputs.centre_unit,
        inputs.centre_year,
        float(inputs.centre_slots),
        tuple(sorted(inputs.slots_per_class.items())),
        tuple(zip(uc["channel"].tolist(), uc["kind"].tolist(), strict=True)),
        tuple(y for y in inputs.years if inputs.share_target.get(y, 0) > 0),
        tuple(y for y in inputs.years if budget_rhs.get(y) is not None),
        tuple((name, y) for name in SOURCE_BUDGETS for y in inputs.years if getattr(inputs, name).get(y) is not None),
        tuple(sorted(inputs.project_min_slots.items())),
        bool(inputs.centre_one_project),
    )


def static_structure(inputs: AllocationInputs, budget_rhs: dict, integer: bool) -> Static:
    """Return the structure and the rows that do not change with costs, share targets or budgets (cached)."""
    key = static_key(inputs, budget_rhs, integer)
    keep = (inputs.units, inputs.targets, inputs.capacity, inputs.conversion_capacity)
    hit = STATIC.get(key)
    if hit is not None and all(a is b for a, b in zip(hit.keep, keep, strict=True)):
        return hit
    d = prepare(inputs, integer)  # the model's own index of the inputs (capacities, targets, stock)
    classes, years, units = d.classes, [int(y) for y in d.years], d.units
    S0, I0, cap, vcap, T, TI, MI = d.S0, d.I0, d.cap, d.vcap, d.T, d.TI, d.MI
    host = centre_host_rule(inputs)
    sites: list = []
    if host is not None:
        choose = inputs.integer_classes and inputs.centre_unit == "auto"
        q = inputs.slots_per_class.get("centre", 1) if inputs.integer_classes else 1
        ccap = math.ceil(inputs.centre_slots / q) * q
        for i in units if choose else [host]:
            for y in years:
                cap[(i, "centre", y)] = ccap
        if choose:
            sites = list(units)
    allowed = list(zip(inputs.unit_costs["channel"].tolist(), inputs.unit_costs["kind"].tolist(), strict=True))

    # --- columns in creation order (sorted by name below, as PuLP orders them) ----------------------
    xm = []
    for i in units:
        for c, k in allowed:
            if max((cap.get((i, c, y), 0.0) for y in years), default=0.0) <= TOL:
                continue
            q = inputs.slots_per_class.get(c, 1) if classes else 1
            for y in years:
                if cap.get((i, c, y), 0.0) <= TOL:
                    continue
                xm.append((i, y, c, k, float(q)))
    vm = [(i, y) for i in units for y in years if vcap.get((i, y), 0.0) > TOL]
    short_keys = []
    for i in units:
        for y in years:
            short_keys.append(("total", i, y))
            short_keys.append(("inclusive", i, y))
            if MI[(i, y)] > I0[i]:  # as allocation.build: wherever the stock is below the minimum
                short_keys.append(("coverage", i, y))
    share_years = [y for y in years if inputs.share_target.get(y, 0) > 0]
    short_keys += [("share", "district", y) for y in share_years]
    cy = None
    if host is not None:
        cy = inputs.centre_year
        if cy < years[0] or cy > years[-1]:
            cy = None
        else:
            short_keys.append(("centre", "district", cy))

    # projects of real size (allocation.build.add_project_size_constraints): one open column per
    # unit, channel and year with new slots where the channel has a minimum (the centre: its year)
    whole_centre = bool(inputs.centre_one_project) and cy is not None
    opens = []
    built = {(m[0], m[1], m[2]) for m in xm}
    for i in units:
        for c in CHANNELS:
            least = float(inputs.project_min_slots.get(c, 0.0)) if c != "centre" else 0.0
            if (c == "centre" and not whole_centre) or (c != "centre" and least <= 0):
                continue
            for y in years:
                if (i, y, c) in built and (c != "centre" or y == cy):
                    opens.append((i, c, y))

    names = [f"x_{i}_{y}_{c}_{k}" for i, y, c, k, _q in xm]
    names += [f"v_{i}_{y}" for i, y in vm]
    names += [f"u_{fam}_{i}_{y}" if i != "district" else f"u_{fam}_{y}" for fam, i, y in short_keys]
    names += [f"site_{i}" for i in sites]
    names += [f"open_{i}_{y}_{c}" for i, c, y in opens]
    clean = [n.translate(ILLEGAL) for n in names]
    order = sorted(range(len(clean)), key=clean.__getitem__)
    pos = np.empty(len(order), dtype=np.int64)
    pos[order] = np.arange(len(order))
    nx, nv, ns = len(xm), len(vm), len(short_keys)
    x_idx, v_idx = pos[:nx], pos[nx : nx + nv]
    short_idx = pos[nx + nv : nx + nv + ns]
    site_idx = {i: int(p) for i, p in zip(sites, pos[nx + nv + ns : nx + nv + ns + len(sites)], strict=True)}
    open_idx = {k: int(p) for k, p in zip(opens, pos[nx + nv + ns + len(sites) :], strict=True)}
    n = len(names)
    upper = np.full(n, INF)
    for p in [*site_idx.values(), *open_idx.values()]:
        upper[p] = 1.0
    short_col = dict(zip(short_keys, short_idx.tolist(), strict=True))

    # --- rows that do not depend on costs, share targets or budgets, in create_model's order -------
    head, tail = RowBuffer(), RowBuffer()
    xcol, vcol = x_idx.tolist(), v_idx.tolist()
    by_unit_x: dict = {i: [] for i in units}
    for col, (i, y, c, k, q) in zip(xcol, xm, strict=True):
        by_unit_x[i].append((col, y, c, k, q))
    by_unit_v: dict = {i: [] for i in units}
    for col, (i, y) in zip(vcol, vm, strict=True):
        by_unit_v[i].append((col, y))
    share_terms: dict = {y: [] for y in share_years}
    centre_pairs: list = []
    for i in units:
        xs, vs = by_unit_x[i], by_unit_v[i]
        for y in years:
            tot = [(col, q) for col, tau, _c, _k, q in xs if tau <= y]
            inc = [(col, q) for col, tau, _c, k, q in xs if tau <= y and k == "inclusive"]
            inc += [(col, 1.0) for col, tau in vs if tau <= y]
            head.add(tot + [(short_col[("total", i, y)], 1.0)], "G", T[(i, y)] - S0[i], "total", i, y)
            head.add(inc + [(short_col[("inclusive", i, y)], 1.0)], "G", TI[(i, y)] - I0[i], "inclusive", i, y)
            if ("coverage", i, y) in short_col:
                head.add(inc + [(short_col[("coverage", i, y)], 1.0)], "G", MI[(i, y)] - I0[i], "coverage", i, y)
            if y in share_terms:
                share_terms[y].extend((col, q, k) for col, tau, _c, k, q in xs if tau <= y)
                share_terms[y].extend((col, None, "") for col, tau in vs if tau <= y)
        for c in CHANNELS:
            cx = [(col, tau, q) for col, tau, cc, _k, q in xs if cc == c]
            if not cx:
                continue
            for y in years:
                pairs = [(col, q) for col, tau, q in cx if tau <= y]
                if c == "centre" and site_idx:
                    head.add(pairs + [(site_idx[i], -cap[(i, c, y)])], "L", 0.0, f"capacity_{c}", i, y)
                elif pairs:
                    head.add(pairs, "L", cap.get((i, c, y), 0.0), f"capacity_{c}", i, y)
            if c == "centre" and cy is not None:
                centre_pairs.extend((col, q) for col, tau, q in cx if tau <= cy)
        for y in years:
            pairs = [(col, 1.0) for col, tau in vs if tau <= y]
            if pairs:
                head.add(pairs, "L", vcap[(i, y)], "conversion", i, y)
        project_rows(head, inputs, i, xs, years, cap, cy, whole_centre, open_idx)
    if cy is not None:
        pairs = centre_pairs + [(short_col[("centre", "district", cy)], 1.0)]
        tail.add(pairs, "G", inputs.centre_slots, "centre", "district", cy)
    if site_idx:
        tail.add([(z, 1.0) for z in site_idx.values()], "E", 1.0, "centre_site", "district", inputs.centre_year)
    project_tail = RowBuffer()
    centre_opens = [(p, 1.0) for (_i, c, _y), p in open_idx.items() if c == "centre"]
    if centre_opens:
        project_tail.add(centre_opens, "L", 1.0, "project_centre_once", "district", cy)
    st = Static(
        keep=keep,
        years=years,
        xm=xm,
        vm=vm,
        xcol=xcol,
        vcol=vcol,
        short_keys=short_keys,
        short_col=short_col,
        names=[clean[j] for j in order],
        lower=np.zeros(n),
        upper=upper,
        integer=np.full(n, bool(integer)),  # x, v and u are integer in whole-slot mode; the sites too
        head=head.block(),
        share_terms=share_terms,
        tail=tail.block(),
        project_tail=project_tail.block(),
        open_idx=open_idx,
        S0_all=sum(S0.values()),
        I0_all=sum(I0.values()),
        x_idx=x_idx,
        v_idx=v_idx,
        short_idx=short_idx,
        site_idx=site_idx,
        x_meta={
            "town": np.array([m[0] for m in xm], dtype=object),
            "year": np.array([m[1] for m in xm], dtype=np.int64),
            "channel": np.array([m[2] for m in xm], dtype=object),
            "kind": np.array([m[3] for m in xm], dtype=object),
            "scale": np.array([m[4] for m in xm], dtype=float),
        },
        v_meta={
            "town": np.array([m[0] for m in vm], dtype=object),
            "year": np.array([m[1] for m in vm], dtype=np.int64),
        },
    )
    if len(STATIC) >= STATIC_KEEP:
        STATIC.pop(next(iter(STATIC)))
    STATIC[key] = st
    return st


def project_rows(rows: RowBuffer, inputs: AllocationInputs, i, xs, years, cap, cy, whole_centre, open_idx) -> None:
    """Add unit ``i``'s project rows as allocation.build.add_project_size_constraints adds them."""
    for c in CHANNELS:
        least = float(inputs.project_min_slots.get(c, 0.0)) if c != "centre" else 0.0
        if (c == "centre" and not whole_centre) or (c != "centre" and least <= 0):
            continue
        for y in years:
            pairs = [(col, q) for col, tau, cc, _k, q in xs if cc == c and tau == y]
            if not pairs:
                continue
            if c == "centre" and y != cy:
                rows.add(pairs, "E", 0.0, "project_centre", i, y)
                continue
            o, size = open_idx[(i, c, y)], cap[(i, c, y)]
            if c == "centre":
                rows.add(pairs + [(o, -size)], "E", 0.0, "project_centre", i, y)
                continue
            rows.add(pairs + [(o, -least)], "G", 0.0, f"project_min_{c}", i, y)
            rows.add(pairs + [(o, -size)], "L", 0.0, f"project_max_{c}", i, y)
