"""Write a scenario's results as files people open: CSV, the Excel workbook, JSON, figures.

The tables come from :func:`tuoyu_model.results.run_model` with English column ids and money in
yuan (the CSV contract); the workbook shows the same tables with Chinese sheet names and headers
with units, money in 万元 where amounts add up, and codes (channel, kind, item …) translated
(:mod:`tuoyu_model.presentation`). :func:`write_tables` writes what the golden tests compare
(``tables/*.csv``, ``summary.json``); :func:`write_outputs` writes a run's files and
:func:`write_comparison` a comparison's. The file formats are :mod:`tuoyu_model.csv_writer`
(CSV, JSON, formula escaping) and :mod:`tuoyu_model.workbook_writer` (xlsx), both reproducible
byte for byte.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from tuoyu_model.csv_writer import escape_formula, write_csv, write_json
from tuoyu_model.presentation.compare import (
    compare_table,
    compare_table_for_people,
    difference_table,
    difference_table_for_people,
    same_metrics,
)
from tuoyu_model.presentation.figures import plot_differences, save_figure, scenario_figures
from tuoyu_model.presentation.formatting import parameters_for_people, summary_for_people, summary_notes
from tuoyu_model.presentation.report_opening import report_title
from tuoyu_model.presentation.sentences import worded
from tuoyu_model.presentation.vocabulary import SHEETS
from tuoyu_model.results import CSV_TABLES, Results
from tuoyu_model.workbook_writer import Sheet, write_sheets, write_workbook

__all__ = [  # the run's writers, and the file writers older imports name here
    "Sheet",
    "escape_formula",
    "workbook_tables",
    "write_comparison",
    "write_csv",
    "write_json",
    "write_outputs",
    "write_sheets",
    "write_tables",
    "write_workbook",
]


def _scratch_folder(prefix: str) -> Path:
    """Make a temporary folder for a notebook run on its own, removed when the Python process exits.

    The report shows its figures until the last cell, so it cannot be removed any earlier.
    """
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


def workbook_tables(results: Results) -> dict[str, pd.DataFrame]:
    """Return the tables of ``results.xlsx`` by :data:`SHEETS` key.

    The run's tables, with the headline figures and the parameters as people read them
    (:func:`summary_for_people`, :func:`parameters_for_people`) and the budget without its
    Chinese item column (the sheet translates ``item`` itself).
    """
    results = worded(results)  # the sentences people read, added to the numbers
    sheets = {key: results.tables[key] for _, key in SHEETS if key in results.tables}
    sheets["summary"] = summary_for_people(results.summary)
    sheets["parameters"] = parameters_for_people(results.scenario.parameters)
    for key in ("budget", "budget_by_town"):
        sheets[key] = results.tables[key].drop(columns=["item_zh"], errors="ignore")
    pricing = sheets["pricing"]  # people look a price up by channel: 渠道 first
    sheets["pricing"] = pricing[["channel", *[c for c in pricing.columns if c != "channel"]]]
    return sheets


def write_tables(results: Results, folder: Path, summary: Mapping[str, Any] | None = None) -> dict[str, Path]:
    """Write a run's reproducible tables: ``tables/<name>.csv`` (:data:`CSV_TABLES`) and ``summary.json``.

    Parameters
    ----------
    results : Results
        From :func:`tuoyu_model.results.run_model`.
    folder : Path
        The run's output folder.
    summary : mapping, optional
        What to write as ``summary.json``; default ``results.summary`` (the golden tests pass
        it without the solver's version).

    Returns
    -------
    dict of str to Path
        ``tables/<name>.csv`` and ``summary.json``.

    """
    results = worded(results)  # the sentences people read, added to the numbers
    folder = Path(folder)
    written: dict[str, Path] = {}
    for name in CSV_TABLES:
        if isinstance(results.tables.get(name), pd.DataFrame):
            written[f"tables/{name}.csv"] = write_csv(results.tables[name], folder / "tables" / f"{name}.csv")
    written["summary.json"] = write_json(results.summary if summary is None else summary, folder / "summary.json")
    return written


def write_outputs(results: Results, folder: str | Path | None = None, tables: bool = True) -> dict[str, Path]:
    """Write a run's files: ``tables/*.csv``, ``results.xlsx``, ``figures/*.png``, ``summary.json``.

    Parameters
    ----------
    results : Results
        From :func:`tuoyu_model.results.run_model`.
    folder : path, optional
        The run's output folder. Without one (a notebook executed on its own), only the figures
        are drawn, into a temporary folder, so the report can show them.
    tables : bool, default True
        Also write the tables, the workbook and the JSON (ignored without ``folder``).

    Returns
    -------
    dict of str to Path
        ``figure:<name>`` for each chart, and ``results.xlsx``, ``summary.json``,
        ``tables/<name>.csv`` when written.

    """
    results = worded(results)  # the sentences people read, added to the numbers
    if folder is None or str(folder) == "":
        folder, tables = _scratch_folder("tuoyu-report-"), False
    folder = Path(folder)
    written: dict[str, Path] = {}
    t = results.tables
    for name, fig in scenario_figures(t, results.years).items():
        written[f"figure:{name}"] = save_figure(fig, folder / "figures" / f"{name}.png")
    if tables:
        written |= write_tables(results, folder)
        written["results.xlsx"] = write_workbook(
            workbook_tables(results),
            folder / "results.xlsx",
            report_title(results.scenario),
            notes={"summary": summary_notes(results.summary)},
        )
    return written


def write_comparison(runs: list[Results], folder: str | Path | None = None) -> dict[str, Path]:
    """Write a comparison of scenarios: ``tables/comparison.csv``, ``comparison.xlsx``, figures.

    Without ``folder`` only the figure is drawn, into a temporary folder.

    Returns
    -------
    dict of str to Path
        ``figure:differences`` and, with ``folder``, the table and workbook paths.

    """
    write_tables = folder is not None and str(folder) != ""
    folder = Path(folder) if write_tables else _scratch_folder("tuoyu-compare-")
    runs = [worded(r) for r in runs]  # the summaries' notes as people read them
    summaries = [r.summary for r in runs]
    table = compare_table(summaries)
    diff = difference_table(table)
    # figures the scenarios share get a sentence in the report, not a chart with a meaningless axis
    shown = diff[~diff["label_zh"].isin(same_metrics(diff))]
    labels = difference_table_for_people(shown, summaries)["情景"]
    written = {
        "figure:differences": save_figure(
            plot_differences(shown.assign(scenario=labels.to_numpy())), folder / "figures" / "differences.png"
        )
    }
    if write_tables:
        written["tables/comparison.csv"] = write_csv(table, folder / "tables" / "comparison.csv")
        written["tables/differences.csv"] = write_csv(diff, folder / "tables" / "differences.csv")
        people, people_diff = compare_table_for_people(table, summaries), difference_table_for_people(diff, summaries)
        sheets = [
            Sheet("情景比较", people, ("text", "text") + ("float2",) * (people.shape[1] - 2)),
            Sheet("与第一个情景之差", people_diff, ("text",) * 3 + ("float2",)),
        ]
        written["comparison.xlsx"] = write_sheets(sheets, folder / "comparison.xlsx", "情景比较")
        written["summary.json"] = write_json({r.scenario.name: r.summary for r in runs}, folder / "summary.json")
    return written
