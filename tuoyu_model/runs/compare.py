"""Compare scenarios side by side into ``<out>/compare__A__B…/`` through the one publishing path."""

from __future__ import annotations

import time
from pathlib import Path

from tuoyu_model.errors import ScenarioError
from tuoyu_model.parameters import load_scenario, parse_set_options
from tuoyu_model.paths import notebooks_dir
from tuoyu_model.presentation.compare import scenario_labels
from tuoyu_model.results import run_model
from tuoyu_model.runs.locations import output_base, safe_output_dir
from tuoyu_model.runs.notebook import clean_notebook, execute_notebook, export_html
from tuoyu_model.runs.provenance import build_manifest, input_files
from tuoyu_model.runs.publish import publishing
from tuoyu_model.runs.scenario import RunRecord, output_name, scenario_argument, validate_inputs
from tuoyu_model.writers import write_comparison

COMPARE_NOTEBOOK = "compare_scenarios.ipynb"


def run_compare(
    names: list[str], set_options: list[str] | None = None, out: str | None = None, report: bool = True
) -> RunRecord:
    """Compare scenarios side by side into ``<out>/compare__A__B…/`` atomically.

    Executes ``notebooks/compare_scenarios.ipynb`` (headline figures of every scenario, and each
    one's difference from the first, as tables and charts); ``report=False`` writes the tables,
    workbook and figure only.

    Raises
    ------
    ScenarioError
        Fewer than two scenarios, a bad name, or a target folder that may not be replaced.
    ReportError
        The notebook failed or the disk is full; earlier outputs are unchanged.

    """
    names = list(dict.fromkeys(names))
    if len(names) < 2:
        raise ScenarioError(
            f"比较至少需要两个不同的情景，收到：{', '.join(names) or '无'}；如 tuoyu compare baseline budget_cut_20",
            en=f"compare needs at least two different scenarios, got {', '.join(names) or 'none'}; "
            "e.g. tuoyu compare baseline budget_cut_20",
        )
    set_options = list(set_options or [])
    started, t0 = time.time(), time.perf_counter()
    overrides = parse_set_options(set_options)
    validate_inputs()
    scenarios = [load_scenario(n, overrides) for n in names]
    base = output_base(out)
    for s in scenarios:
        safe_output_dir(base, output_name(s))
    final = safe_output_dir(base, "compare__" + "__".join(output_name(s) for s in scenarios))
    notebook = notebooks_dir() / COMPARE_NOTEBOOK if report else None
    timings: dict[str, float] = {}

    def manifest(folder: Path) -> dict:
        return build_manifest(
            "compare",
            folder,
            started=started,
            seconds=time.perf_counter() - t0,
            timings=timings,
            inputs={k: v for s in scenarios for k, v in input_files(s, notebook).items()},
            scenarios=[{"name": s.name, "title": s.title, "scenario_hash": s.hash} for s in scenarios],
            set_options=set_options,
        )

    with publishing(final, manifest, label="compare") as tmp:
        if notebook is not None:
            params = {
                "scenarios": [scenario_argument(s) for s in scenarios],
                "set_options": set_options,
                "output_dir": ".",
            }
            timings.update(execute_notebook(notebook, tmp / "report.ipynb", params, cwd=tmp))
            nb = clean_notebook(tmp / "report.ipynb", notebook)
            labels = scenario_labels([{"scenario": s.name, "title": s.title} for s in scenarios])
            export_html(nb, tmp / "report.html", "情景比较：" + "、".join(labels.values()))
        else:
            write_comparison([run_model(s) for s in scenarios], tmp)
    return RunRecord("compare", final, time.perf_counter() - t0, timings)
