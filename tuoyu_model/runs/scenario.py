"""Run one scenario into ``<out>/<scenario>/`` (the output contract, see docs/design.md).

1. resolve the scenario and check the target folder (:func:`~tuoyu_model.runs.publish.publishing`
   refuses a symlink or a folder this package did not write before any work);
2. in a fresh temporary folder next to the final one, execute ``notebooks/scenario_report.ipynb``
   through papermill (:mod:`tuoyu_model.runs.notebook`) with the folder as the kernel's working
   directory. The notebook calls :func:`tuoyu_model.results.run_model` and
   :func:`tuoyu_model.writers.write_outputs`, which write the tables, the workbook, the figures and
   ``summary.json``; with ``report=False`` the same two calls run in this process (the fast path);
3. strip run-dependent metadata from the executed notebook, save it as ``report.ipynb`` and
   export ``report.html`` with the code hidden;
4. write ``manifest.json`` (:func:`~tuoyu_model.runs.provenance.build_manifest`);
5. only then replace the previous ``outputs/<scenario>/``. Any failure leaves the previous
   outputs untouched and raises a one-line error naming what failed.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path

from tuoyu_model.data import load_targets, load_towns
from tuoyu_model.errors import ReportError
from tuoyu_model.parameters import Scenario, load_scenario, parse_set_options
from tuoyu_model.paths import data_dir, notebooks_dir
from tuoyu_model.presentation.report_opening import report_title
from tuoyu_model.results import run_model
from tuoyu_model.runs.locations import output_base, safe_output_dir
from tuoyu_model.runs.notebook import clean_notebook, execute_notebook, export_html
from tuoyu_model.runs.provenance import build_manifest, input_files, scenario_fields, scenario_file
from tuoyu_model.runs.publish import publishing
from tuoyu_model.writers import write_outputs

REPORT_NOTEBOOK = "scenario_report.ipynb"
CONTRACT_FILES = (
    "results.xlsx",
    "summary.json",
    "tables/allocation.csv",
    "tables/stock.csv",
    "tables/budget.csv",
    "tables/pricing.csv",
    "tables/demand.csv",
    "tables/workforce.csv",
    "tables/shadow_prices.csv",
)


@dataclass
class RunRecord:
    """What one run produced: where, how long, and the timing of its parts."""

    name: str
    folder: Path
    seconds: float
    timings: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # lines for the console after "wrote …"


def output_name(scenario: Scenario) -> str:
    """Folder name of a run: the scenario name, plus a hash when ``--set`` changed parameters.

    A run with ``--set`` never overwrites the shipped scenario's outputs.
    """
    if not scenario.cli_overrides:
        return scenario.name
    return f"{scenario.name}__set-{scenario.hash[:8]}"


def scenario_argument(scenario: Scenario) -> str:
    """Return the notebook's ``scenario`` parameter: the name if shipped, else an absolute path."""
    path = scenario_file(scenario)
    shipped = (data_dir() / "scenarios" / f"{scenario.name}.yaml").resolve()
    return scenario.name if path.resolve() == shipped else str(path.resolve())


def validate_inputs() -> None:
    """Load the targets and the unit data before any notebook starts, so a broken file is one clean line.

    The scenario and parameter files are checked when each scenario is loaded.
    """
    load_towns(targets=load_targets())


def check_contract(folder: Path, report: bool) -> None:
    """Refuse to publish a folder that lacks a file of the output contract."""
    needed = list(CONTRACT_FILES) + (["report.ipynb", "report.html"] if report else [])
    missing = [f for f in needed if not (folder / f).is_file()]
    if not list((folder / "figures").glob("*.png")):
        missing.append("figures/*.png")
    if missing:
        raise ReportError(
            f"这次运行没有生成 {', '.join(missing)}；请重新运行，若仍如此请报告问题",
            en=f"the run did not produce {', '.join(missing)}",
        )


def _final_shortfall(summary_path: Path) -> tuple[int, float] | None:
    """``(last year, slots)`` when targets are unmet at the last year-end, from ``summary.json``."""
    s = json.loads(Path(summary_path).read_text("utf-8"))
    slots = float(s.get("shortfall_final_slots") or 0.0)
    return (int(s["last_year"]), slots) if slots >= 0.5 else None


def _solver(folder: Path) -> dict:
    path = folder / "summary.json"
    return json.loads(path.read_text("utf-8")).get("solver", {}) if path.is_file() else {}


def run_scenario(
    name: str | Scenario, set_options: list[str] | None = None, out: str | Path | None = None, report: bool = True
) -> RunRecord:
    """Run one scenario into ``<out>/<scenario>/`` atomically; return where and how long.

    Parameters
    ----------
    name : str or Scenario
        A shipped scenario name, a path to a scenario YAML, or a scenario already loaded with
        ``set_options`` applied (:func:`~tuoyu_model.runs.parallel.run_many` loads each once).
    set_options : list of str, optional
        ``NAME=VALUE`` overrides (``--set``); recorded in the manifest.
    out : path, optional
        The outputs folder (default ``outputs/`` or ``$TUOYU_OUTPUTS_DIR``).
    report : bool, default True
        Execute the notebook report (False: tables, workbook, figures and JSON only).

    Raises
    ------
    ScenarioError, DataError, SolverError, ReportError
        Nothing of the previous outputs is changed.

    """
    set_options = list(set_options or [])
    started, t0 = time.time(), time.perf_counter()
    scenario = name if isinstance(name, Scenario) else load_scenario(name, parse_set_options(set_options))
    final = safe_output_dir(output_base(out), output_name(scenario))
    notebook = notebooks_dir() / REPORT_NOTEBOOK if report else None
    timings: dict[str, float] = {}
    notes = []

    def manifest(folder: Path) -> dict:
        return build_manifest(
            "scenario",
            folder,
            started=started,
            seconds=time.perf_counter() - t0,
            timings=timings,
            inputs=input_files(scenario, notebook),
            **scenario_fields(scenario, set_options),
            solver=_solver(folder),
        )

    with publishing(final, manifest, label=scenario.name) as tmp:
        if notebook is not None:
            params = {"scenario": scenario_argument(scenario), "set_options": set_options, "output_dir": "."}
            timings.update(execute_notebook(notebook, tmp / "report.ipynb", params, cwd=tmp))
            t1 = time.perf_counter()
            nb = clean_notebook(tmp / "report.ipynb", notebook)
            export_html(nb, tmp / "report.html", report_title(scenario))
            timings["html_export"] = time.perf_counter() - t1
        else:
            t1 = time.perf_counter()
            results = run_model(scenario)
            t2 = time.perf_counter()
            write_outputs(results, tmp)
            timings.update(model=t2 - t1, write_outputs=time.perf_counter() - t2)
        check_contract(tmp, report)
        if not report and (final / "report.html").is_file():
            # the folder is replaced whole: a report of the previous run would not match the new tables
            notes.append(
                "此前的 report.html / report.ipynb 已删除（与新表格不再一致）；需要报告时去掉 --no-report 重新运行"
            )
        shortfall = _final_shortfall(tmp / "summary.json")
    if shortfall:
        year, slots = shortfall
        notes.append(f"注意：{year}年底仍有{slots:,.0f}个托位目标未完成（见报告 托位目标与缺口）")
    return RunRecord(scenario.name, final, time.perf_counter() - t0, timings, notes)
