"""``tuoyu progress``: evaluate the returns, re-plan, and publish ``outputs/progress/<date>/``.

:func:`evaluate` reads the returns and builds every table (the re-plan from the scenario's own
result, solved once by :func:`~tuoyu_model.results.run_model`); :func:`write_progress_outputs`
writes them under the output contract; :func:`run_progress` publishes the folder atomically
with its manifest and the report notebook.
"""

from __future__ import annotations

import atexit
import datetime as dt
import json
import shutil
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from tuoyu_model.csv_writer import write_csv, write_json
from tuoyu_model.data import load_targets, load_towns
from tuoyu_model.errors import ReportError, pick
from tuoyu_model.parameters import Scenario, load_scenario, parse_set_options
from tuoyu_model.paths import display, notebooks_dir
from tuoyu_model.presentation.progress_report import plot_completion, recommendations, scenario_heading, summary_lines
from tuoyu_model.presentation.vocabulary import MODIFIED_MARK, date_zh
from tuoyu_model.progress.cells import parse_date
from tuoyu_model.progress.evaluation import (
    completion_table,
    coverage_table,
    district_summary,
    projection_table,
    workforce_progress,
)
from tuoyu_model.progress.replanning import replan, replan_summary
from tuoyu_model.progress.returns import not_reported, read_progress
from tuoyu_model.progress.vocabulary import PROGRESS_SHEETS, SUMMARY_SHEET, report_title
from tuoyu_model.progress.workbook import write_progress_workbook
from tuoyu_model.results import run_model
from tuoyu_model.runs.locations import output_base, safe_output_dir, shown
from tuoyu_model.runs.notebook import clean_notebook, execute_notebook, export_html
from tuoyu_model.runs.provenance import build_manifest, input_files, scenario_fields, sha256_file
from tuoyu_model.runs.publish import publishing

REPORT_NOTEBOOK = "progress_report.ipynb"


@dataclass
class ProgressResult:
    """Everything one evaluation produced: tidy tables (English ids) and headline figures."""

    as_of: dt.date
    progress: pd.DataFrame
    tables: dict[str, pd.DataFrame]
    summary: dict
    files: list[str] = field(default_factory=list)
    scenario: str = "baseline"
    scenario_hash: str = ""
    notes: list[str] = field(default_factory=list)
    scenario_title: str = ""


def evaluate(
    files: Sequence[Path | str],
    as_of: object = None,
    scenario: object = "baseline",
    set_options: list[str] | None = None,
    with_replan: bool = True,
    original: Mapping[str, pd.DataFrame] | None = None,
) -> ProgressResult:
    """Read the returns and build every progress table (and the re-plan when possible).

    Parameters
    ----------
    files : sequence of path
        The returns (xlsx/csv).
    as_of : date or str, optional
        Evaluation date; default the latest report date.
    scenario : str or Scenario, default "baseline"
        Scenario whose parameters (target set for 2025, costs, budget …) apply; a loaded
        :class:`~tuoyu_model.parameters.Scenario` is used as is.
    set_options : list of str, optional
        ``NAME=VALUE`` overrides, as for ``tuoyu run --set`` (ignored with a loaded Scenario).
    with_replan : bool, default True
        Solve the re-plan (one allocation solve, plus the scenario's own run unless ``original``
        is given).
    original : mapping of str to DataFrame, optional
        The scenario's result tables (``run_model(scenario).tables``) the re-plan is compared
        with; default: the scenario is run here.

    Returns
    -------
    ProgressResult
        Tables ``progress, completion, coverage, projection, workforce`` (and ``replan_*``), a
        summary dict, notes.

    Raises
    ------
    DataError, ScenarioError
        Broken returns or an unknown scenario.

    """
    s = scenario if isinstance(scenario, Scenario) else load_scenario(scenario, parse_set_options(set_options))
    params = s.parameters
    targets = load_targets()
    towns = load_towns(targets=targets)
    progress = read_progress(list(files), as_of=as_of, targets=targets, params=params)
    as_of_date = parse_date(as_of, f"--as-of '{as_of}'") if as_of is not None else progress.date.max().date()
    tables = {
        "progress": progress,
        "completion": completion_table(progress, targets),
        "coverage": coverage_table(progress, targets, params),
        "projection": projection_table(progress, targets, towns, params, as_of_date),
        "workforce": workforce_progress(progress, targets, params),
        "not_reported": not_reported(progress, targets),
    }
    notes: list[str] = []
    summary = district_summary(progress, tables, params, as_of_date)
    if with_replan:
        if original is None:
            original = run_model(s).tables  # the scenario's own plan, solved once
        rp = replan(progress, params, targets, towns, as_of_date, original)
        tables.update(rp)
        summary["replan"] = replan_summary(rp)
    return ProgressResult(
        as_of=as_of_date,
        progress=progress,
        tables=tables,
        summary=summary,
        files=[str(f) for f in files],
        scenario=s.name,
        scenario_hash=s.hash,
        notes=notes,
        scenario_title=s.title.split("：")[0] + (MODIFIED_MARK if s.cli_overrides else ""),
    )


def write_progress_outputs(result: ProgressResult, folder: Path) -> None:
    """Write the tables, workbook, figure and summary of ``result`` into ``folder``.

    ``summary.json`` holds the headline figures and, in Chinese, the summary lines
    (``summary_zh``) and the recommendations (``recommendations_zh``), so the report notebook
    shows them without evaluating the returns again. The manifest is written by
    :func:`run_progress` once the report is in the folder too.
    """
    for _, key, name in PROGRESS_SHEETS:
        if key in result.tables:
            df = result.tables[key].copy()
            for c in df.columns:
                if pd.api.types.is_datetime64_any_dtype(df[c]):
                    df[c] = df[c].dt.strftime("%Y-%m-%d")
            write_csv(df, folder / "tables" / name)
    lines = summary_lines(result.summary, result.as_of, result.notes)
    write_progress_workbook(
        {**result.tables, "summary": pd.DataFrame({SUMMARY_SHEET: lines})},
        folder / "results.xlsx",
        title=report_title(result.as_of),
    )
    plot_completion(result.tables["projection"], folder / "figures" / "completion.png")
    write_json(
        {
            **result.summary,
            "scenario": result.scenario,
            "scenario_zh": scenario_heading(result.scenario_title, result.scenario),
            "as_of_zh": date_zh(result.as_of),
            "summary_zh": lines,
            "recommendations_zh": recommendations(result.summary, result.tables),
        },
        folder / "summary.json",
    )


REPORT_NOTEBOOK = "progress_report.ipynb"


def execute_report(folder: Path, as_of: str, files: Sequence[str] = ()) -> None:
    """Run ``notebooks/progress_report.ipynb`` through papermill on the outputs in ``folder``; export html.

    The notebook shows what :func:`write_progress_outputs` wrote there (``results_dir = "."``):
    nothing is evaluated or drawn twice. ``files`` are passed on only to be recorded in the
    notebook's parameters. Uses the scenario report's notebook helpers
    (:func:`tuoyu_model.runs.notebook.execute_notebook`, ``clean_notebook``, ``export_html``).

    Raises
    ------
    ReportError
        The notebook failed; the message names the cell and the error.

    """
    nb_in = notebooks_dir() / REPORT_NOTEBOOK
    nb_out = folder / "report.ipynb"
    execute_notebook(
        nb_in, nb_out, {"files": [display(Path(f)) for f in files], "as_of": as_of, "results_dir": "."}, cwd=folder
    )
    nb = clean_notebook(nb_out, nb_in)
    export_html(nb, folder / "report.html", report_title(as_of))


def load_progress_outputs(folder: str | Path) -> tuple[dict[str, pd.DataFrame], dict]:
    """Read back what :func:`write_progress_outputs` wrote: the tables by key and ``summary.json``.

    Returns
    -------
    tuple of (dict of str to DataFrame, dict)
        Tables under the keys of :data:`PROGRESS_SHEETS` (``completion``, ``projection`` …; dates
        as ``YYYY-MM-DD`` text, yes/no columns as booleans with blanks) and the summary, with
        ``summary_zh`` and ``recommendations_zh``.

    Raises
    ------
    ReportError
        ``folder`` lacks ``summary.json`` (not a progress output folder).

    """
    folder = Path(folder)
    if not (folder / "summary.json").is_file():
        raise ReportError(
            f"{display(folder)}: 没有 summary.json；请给出 tuoyu progress 写出的文件夹",
            en=f"{display(folder)}: no summary.json; give the folder written by tuoyu progress",
        )
    tables = {}
    for _, key, name in PROGRESS_SHEETS:
        path = folder / "tables" / name
        if path.is_file():
            tables[key] = pd.read_csv(
                path, encoding="utf-8-sig", keep_default_na=False, na_values=[""], dtype={"date": str, "town_id": str}
            )
    return tables, json.loads((folder / "summary.json").read_text("utf-8"))


def report_folder(
    files: Sequence[str],
    as_of: object = None,
    scenario: str = "baseline",
    set_options: list[str] | None = None,
    results_dir: str | Path = "",
) -> Path:
    """Return the folder the report notebook shows: ``results_dir``, or a fresh evaluation's outputs.

    Without ``results_dir`` (the notebook run on its own) the returns are evaluated and written
    to a temporary folder that is removed when the Python process exits.
    """
    if results_dir:
        return Path(results_dir)
    folder = Path(tempfile.mkdtemp(prefix="tuoyu-progress-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    write_progress_outputs(evaluate(files, as_of=as_of, scenario=scenario, set_options=set_options), folder)
    return folder


def run_progress(
    files: Sequence[str],
    as_of: str | None = None,
    scenario: str = "baseline",
    set_options: list[str] | None = None,
    out: str | None = None,
    report: bool = True,
) -> int:
    """``tuoyu progress``: evaluate the returns, print a Chinese summary, write ``<out>/progress/<date>/``.

    The folder is written in a temporary sibling and swapped in only when everything
    succeeded, so a failed run leaves the previous outputs untouched.

    Returns
    -------
    int
        Exit status 0.

    Raises
    ------
    TuoyuError
        Broken returns, unknown scenario, a failed report; the CLI prints one line and exits 2.

    """
    started, t0 = time.time(), time.perf_counter()
    set_options = list(set_options or [])
    s = load_scenario(scenario, parse_set_options(set_options))
    root = output_base(out)  # a bad --out is one line before any work
    result = evaluate(files, as_of=as_of, scenario=s)
    t1 = time.perf_counter()
    final = safe_output_dir(output_base(root / "progress"), result.as_of.isoformat())
    timings: dict[str, float] = {}
    notebook: Path | None = None

    def manifest(folder: Path) -> dict:
        return build_manifest(
            "progress",
            folder,
            started=started,
            seconds=time.perf_counter() - t0,
            timings=timings,
            inputs=input_files(s, notebook),
            as_of=result.as_of.isoformat(),
            progress_files={display(Path(f)): sha256_file(Path(f)) for f in result.files},
            **scenario_fields(s, set_options),
        )

    with publishing(final, manifest, label="progress") as tmp:
        write_progress_outputs(result, tmp)
        timings.update(evaluate=t1 - t0, write_outputs=time.perf_counter() - t1)
        if report:
            t2 = time.perf_counter()
            execute_report(tmp, result.as_of.isoformat(), result.files)
            notebook, timings["report"] = notebooks_dir() / REPORT_NOTEBOOK, time.perf_counter() - t2
    for line in summary_lines(result.summary, result.as_of, result.notes):
        print(line)
    print(pick(f"已写入 {shown(final)}/", f"wrote {shown(final)}/"))
    if (final / "report.html").is_file():  # the last line: what to open
        print(pick(f"请打开报告：{shown(final)}/report.html", f"open the report: {shown(final)}/report.html"))
    return 0
