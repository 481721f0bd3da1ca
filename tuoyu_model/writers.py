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
import datetime as dt
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from tuoyu_model.csv_writer import escape_formula, write_csv, write_json
from tuoyu_model.presentation.chart_style import save_figure
from tuoyu_model.presentation.compare import (
    changed_units,
    compare_for_people,
    compare_table,
    difference_table,
    headline_differences,
    same_metrics,
    scenario_labels,
    unit_compare_table,
    unit_format,
)
from tuoyu_model.presentation.figure_helper import save_scenario_figures
from tuoyu_model.presentation.figures import plot_differences
from tuoyu_model.presentation.formatting import parameters_for_people, summary_for_people, summary_notes
from tuoyu_model.presentation.report_opening import generated_on, report_title
from tuoyu_model.presentation.sentences import worded
from tuoyu_model.presentation.vocabulary import SHEETS, sheet_title
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
    charts = save_scenario_figures(t, results.years, folder / "figures")  # partly drawn while the tables are written
    try:
        if tables:
            written |= write_tables(results, folder)
            written["results.xlsx"] = write_workbook(
                workbook_tables(results),
                folder / "results.xlsx",
                report_title(results.scenario),
                notes={"summary": summary_notes(results.summary)},
            )
    finally:
        figures = {f"figure:{name}": path for name, path in charts().items()}
    return figures | written


def comparison_sheets(runs: Sequence[Results], day: dt.date | None = None) -> list[Sheet]:
    """Return the sheets of ``comparison.xlsx``: by year (情景比较) and by unit (分属地比较).

    Headers are the scenarios' titles; each number is formatted by its row's unit (slots and
    people whole, 万元 two decimals, % one); a difference from the first scenario is red when it
    is worse and green when it is better (:func:`tuoyu_model.presentation.compare.verdict`).
    """
    summaries = [r.summary for r in runs]
    day = day or generated_on()
    title = "、".join(scenario_labels(summaries).values())
    sheets = []
    for name, table in (
        ("情景比较", compare_table(summaries)),
        ("分属地比较", changed_units(unit_compare_table(runs))),
    ):
        people, colours = compare_for_people(table, summaries)
        fixed = 4 if "属地" in people else 3  # (属地,) 指标, (年份,) 单位 … then numbers
        formats = ("text",) * fixed + ("float2",) * (people.shape[1] - fixed)
        cells = {(i, j): unit_format(u) for i, u in enumerate(people["单位"]) for j in range(fixed, people.shape[1])}
        unit = "单位见“单位”列；红色为比第一个情景差，绿色为好"
        sheets.append(Sheet(name, people, formats, cells, title=sheet_title(title, name, unit, day), colours=colours))
    return sheets


def write_comparison(runs: list[Results], folder: str | Path | None = None) -> dict[str, Path]:
    """Write a comparison of scenarios: ``tables/comparison.csv`` and ``comparison_by_unit.csv``, workbook, figure.

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
    shown = headline_differences(diff[~diff["label_zh"].isin(same_metrics(diff))])
    labels = scenario_labels(summaries)
    written = {
        "figure:differences": save_figure(
            plot_differences(shown.assign(scenario=shown["scenario"].map(labels))),
            folder / "figures" / "differences.png",
        )
    }
    if write_tables:
        written["tables/comparison.csv"] = write_csv(table, folder / "tables" / "comparison.csv")
        written["tables/comparison_by_unit.csv"] = write_csv(
            unit_compare_table(runs), folder / "tables" / "comparison_by_unit.csv"
        )
        written["tables/differences.csv"] = write_csv(diff, folder / "tables" / "differences.csv")
        written["comparison.xlsx"] = write_sheets(comparison_sheets(runs), folder / "comparison.xlsx", "情景比较")
        written["summary.json"] = write_json({r.scenario.name: r.summary for r in runs}, folder / "summary.json")
    return written
