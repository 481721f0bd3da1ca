"""Progress against the plan (动态评估): read the units' returns, evaluate them, re-plan, publish.

Modules, in the order data flows:

- :mod:`~tuoyu_model.progress.vocabulary`: every Chinese word of the tracker;
- :mod:`~tuoyu_model.progress.cells`: one cell of a return (unit, count, date) read with a clear error;
- :mod:`~tuoyu_model.progress.returns`: whole returns (xlsx/csv) into one tidy table;
- :mod:`~tuoyu_model.progress.template`: the template and fixtures in the annex's layout;
- :mod:`~tuoyu_model.progress.evaluation`: completion, coverage, units at risk, workforce goals;
- :mod:`~tuoyu_model.progress.replanning`: the rest of the period re-planned from the reported stock,
  compared with the scenario's own result (not solved again);
- :mod:`~tuoyu_model.progress.workbook`: the tables as people read them, ``results.xlsx``;
- :mod:`~tuoyu_model.progress.run`: :func:`evaluate`, the output folder, the report notebook,
  ``tuoyu progress``.

The report's sentences and chart are in :mod:`tuoyu_model.presentation.progress_report`.
"""

from tuoyu_model.progress.evaluation import (
    completion_table,
    coverage_table,
    district_summary,
    projection_table,
    workforce_progress,
    year_end_target_set,
)
from tuoyu_model.progress.replanning import replan, replan_stock, replan_summary
from tuoyu_model.progress.returns import latest_reports, not_reported, read_progress
from tuoyu_model.progress.run import (
    ProgressResult,
    evaluate,
    execute_report,
    load_progress_outputs,
    report_folder,
    run_progress,
    write_progress_outputs,
)
from tuoyu_model.progress.template import write_return_csv, write_return_xlsx, write_templates
from tuoyu_model.progress.workbook import for_people_progress, write_progress_workbook

__all__ = [
    "ProgressResult",
    "completion_table",
    "coverage_table",
    "district_summary",
    "evaluate",
    "execute_report",
    "for_people_progress",
    "latest_reports",
    "load_progress_outputs",
    "not_reported",
    "projection_table",
    "read_progress",
    "replan",
    "replan_stock",
    "replan_summary",
    "report_folder",
    "run_progress",
    "workforce_progress",
    "write_progress_outputs",
    "write_progress_workbook",
    "write_return_csv",
    "write_return_xlsx",
    "write_templates",
    "year_end_target_set",
]
