"""The progress report notebook, executed through papermill on the sample returns."""

import base64
import json
from pathlib import Path

import nbformat
import pytest

from tuoyu_model.paths import notebooks_dir
from tuoyu_model.progress import run_progress

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "progress"
SECTIONS = ["完成情况", "滞后属地", "普惠覆盖", "队伍建设", "下一步调整建议"]


def test_notebook_is_stored_without_outputs_and_has_a_parameters_cell():
    nb = nbformat.read(notebooks_dir() / "progress_report.ipynb", as_version=4)
    assert any("parameters" in c.metadata.get("tags", []) for c in nb.cells)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")


@pytest.mark.e2e
def test_progress_report_through_papermill(tmp_path, capsys):
    sample = sorted(str(p) for p in (FIXTURES / "sample").glob("*.xlsx"))
    assert run_progress(sample, as_of="2024-09-30", out=str(tmp_path)) == 0
    folder = tmp_path / "progress" / "2024-09-30"
    summary = json.loads((folder / "summary.json").read_text("utf-8"))
    html = (folder / "report.html").read_text("utf-8")
    for title in SECTIONS:
        assert title in html
    # The report names the same lagging and missing units as the summary, and no cell failed.
    assert summary["units_at_risk"]
    for town in summary["units_at_risk"] + summary["units_not_reported"]:
        assert town in html
    # printed like the scenario report (one shared stylesheet); blanks, not <NA>, for the
    # unit that did not report; the scenario by its Chinese title with the id in brackets
    assert "A4 landscape" in html and "word-break: keep-all" in html
    assert "&lt;NA&gt;" not in html and "<NA>" not in html
    assert "情景：基准情景（baseline）" in html
    nb = nbformat.read(folder / "report.ipynb", as_version=4)
    assert not [o for c in nb.cells for o in c.get("outputs", []) if o.output_type == "error"]
    # nothing printed: no solver banner (HiGHS writes it to fd 1 from C++) and no warnings
    assert not [o.text for c in nb.cells for o in c.get("outputs", []) if o.output_type == "stream"]
    assert nb.metadata["papermill"]["parameters"]["as_of"] == "2024-09-30"
    assert (folder / "figures" / "completion.png").stat().st_size > 10_000
    # the notebook showed the figure tuoyu progress drew (not a second drawing) ...
    pngs = [o.data["image/png"] for c in nb.cells for o in c.get("outputs", []) if "image/png" in o.get("data", {})]
    assert [base64.b64decode(p) for p in pngs] == [(folder / "figures" / "completion.png").read_bytes()]
    # ... and the manifest, written last, covers the report too
    manifest = json.loads((folder / "manifest.json").read_text("utf-8"))
    assert {"report.ipynb", "report.html", "results.xlsx"} <= set(manifest["outputs"])
    assert "notebooks/progress_report.ipynb" in manifest["input_files"]
