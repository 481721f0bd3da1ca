"""How much of the answer rests on assumptions: every figure of the data counted by status.

A figure in ``data/towns.csv`` carries its status in the first word of its ``<name>_source``
column (``ASSUMPTION: …``, ``PROXY …``, ``DERIVED: …``; anything else names a source); a
parameter carries it in its ``status`` field. ``tuoyu validate`` prints the counts and the
report's 假设与数据来源 section can show the table :func:`status_counts` returns.
"""

from __future__ import annotations

import re

import pandas as pd

from tuoyu_model.data import TOWN_FIGURES, load_towns
from tuoyu_model.parameters import Parameters, default_parameters

# Evidence statuses, strongest first; parameters also have "setting" (a modelling choice).
FIGURE_STATUSES = ("sourced", "derived", "proxy", "assumption")
STATUS_ZH = {"sourced": "有出处", "derived": "推算", "proxy": "代理值", "assumption": "假设", "setting": "模型设置"}
_PREFIXES = {
    "assumption": ("ASSUMPTION", "假设"),
    "proxy": ("PROXY", "代理值", "代理"),
    "derived": ("DERIVED", "推算"),
}


def figure_status(source: str) -> str:
    """Return the status a ``<name>_source`` text declares by its first word.

    Examples
    --------
    >>> figure_status("ASSUMPTION: half of the 2024 floor target")
    'assumption'
    >>> figure_status("PROXY (not an official figure): share of the census")
    'proxy'
    >>> figure_status("假设：按每8000人一所估计"), figure_status("大兴区卫健委2023年统计年报")
    ('assumption', 'sourced')

    """
    head = re.sub(r"^[\s*⚠]+", "", str(source)).upper()
    for status, prefixes in _PREFIXES.items():
        if head.startswith(prefixes):
            return status
    return "sourced"


def town_figure_statuses(towns: pd.DataFrame) -> pd.DataFrame:
    """Return one row per unit × figure: ``town_id, town, figure, value, source, status``."""
    rows = [
        {
            "town_id": town_id,
            "town": row["town"],
            "figure": f,
            "value": row[f],
            "source": row[f"{f}_source"],
            "status": figure_status(row[f"{f}_source"]),
        }
        for town_id, row in towns.iterrows()
        for f in TOWN_FIGURES
    ]
    return pd.DataFrame(rows, columns=["town_id", "town", "figure", "value", "source", "status"])


def status_counts(towns: pd.DataFrame | None = None, parameters: Parameters | None = None) -> pd.DataFrame:
    """Count the figures of ``data/towns.csv`` and the parameters by status.

    Parameters
    ----------
    towns : DataFrame, optional
        As :func:`tuoyu_model.data.load_towns` returns it (a run's ``results["towns"]``);
        loaded from ``data/`` when omitted.
    parameters : Parameters, optional
        A scenario's resolved parameters; the defaults when omitted.

    Returns
    -------
    pandas.DataFrame
        Columns ``group`` (``towns`` or ``parameters``), ``status``, ``status_zh``, ``count``,
        ``share`` (of the group, 0–1); every status of the group appears, with 0 where none.

    Examples
    --------
    >>> c = status_counts()
    >>> int(c.loc[c.group == "towns", "count"].sum())
    154

    """
    towns = load_towns() if towns is None else towns
    parameters = default_parameters() if parameters is None else parameters
    groups = {
        "towns": (town_figure_statuses(towns)["status"], FIGURE_STATUSES),
        "parameters": (parameters.table()["status"], (*FIGURE_STATUSES, "setting")),
    }
    rows = []
    for group, (statuses, order) in groups.items():
        counts = statuses.value_counts()
        for status in order:
            n = int(counts.get(status, 0))
            rows.append((group, status, STATUS_ZH[status], n, n / len(statuses) if len(statuses) else 0.0))
    return pd.DataFrame(rows, columns=["group", "status", "status_zh", "count", "share"])
