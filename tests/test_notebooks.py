"""Every notebook executed through papermill on a shipped scenario, asserting on what it produced.

Slow (a Jupyter kernel per execution): two executions in all — the baseline report (compared
file by file with a fast-path run of the same scenario) and the comparison notebook — plus one
run forced to fail early.
"""

import base64
import json
import shutil

import nbformat
import pytest

from tuoyu_model.errors import ReportError
from tuoyu_model.paths import notebooks_dir
from tuoyu_model.presentation.vocabulary import REPORT_SECTIONS
from tuoyu_model.runs import provenance, scenario
from tuoyu_model.runs.compare import run_compare
from tuoyu_model.runs.notebook import export_html
from tuoyu_model.runs.scenario import run_scenario

pytestmark = pytest.mark.e2e  # every test here executes a notebook in a kernel

SECTIONS = [*REPORT_SECTIONS, "影子价格"]  # the report's sections, the shadow prices in the appendix
VOLATILE = ("run", "versions")  # manifest fields allowed to differ between runs


def files_of(folder):
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    """The baseline report (one kernel run), and the same scenario again through the fast path.

    Module-scoped: a kernel run is slow. The fast path (no notebook) writes the same tables,
    workbook, figures and summary, so the second run checks those are reproducible and the same
    whichever path wrote them; the report's own files are checked by exporting again.
    """
    out = tmp_path_factory.mktemp("outputs")
    # Others may commit to this checkout between the two runs: fix the commit the manifest records.
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(provenance, "git_commit", lambda: {"commit": "0" * 40, "dirty": False})
        first = run_scenario("baseline", out=out / "a", report=True).folder
        second = run_scenario("baseline", out=out / "b", report=False).folder
    return first, second


def test_report_writes_the_whole_contract(outputs):
    folder, _ = outputs
    for name in [
        "report.html",
        "report.ipynb",
        "results.xlsx",
        "summary.json",
        "manifest.json",
        "tables/allocation.csv",
        "tables/stock.csv",
        "tables/budget.csv",
        "tables/pricing.csv",
        "tables/demand.csv",
        "tables/workforce.csv",
        "tables/shadow_prices.csv",
    ]:
        assert (folder / name).is_file(), name
    assert len(list((folder / "figures").glob("*.png"))) >= 6


def test_executed_notebook_records_parameters_and_shows_every_figure(outputs):
    folder, _ = outputs
    nb = nbformat.read(folder / "report.ipynb", as_version=4)
    assert nb.metadata.papermill.parameters == {"scenario": "baseline", "set_options": [], "output_dir": "."}
    assert [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    pngs, streams = [], []
    for cell in nb.cells:
        for o in cell.get("outputs", []):
            assert o.output_type != "error"
            if o.output_type == "stream":
                streams.append(o.text)
            if "image/png" in o.get("data", {}):
                pngs.append(base64.b64decode(o.data["image/png"]))
    assert streams == []  # no warnings (a missing glyph, a solver banner) leak into the report
    figures = {p.read_bytes() for p in (folder / "figures").glob("*.png")}
    assert len(pngs) >= 6 and set(pngs) == figures  # the report shows exactly the files written
    headings = [line for c in nb.cells if c.cell_type == "markdown" for line in c.source.splitlines()]
    for section in SECTIONS:
        assert any(section in h for h in headings if h.startswith("#")), section


def test_html_is_chinese_with_code_hidden(outputs):
    folder, _ = outputs
    html = (folder / "report.html").read_text("utf-8")
    assert "run_model(" not in html and "import " not in html
    for section in SECTIONS:
        assert section in html, section
    assert html.count("data:image/png;base64") >= 6
    summary = json.loads((folder / "summary.json").read_text("utf-8"))
    total_wan = f"{summary['public_cost_yuan']['total'] / 1e4:,.1f}万元"
    assert total_wan in html  # the headline public cost, in 万元, as in summary.json
    # Chinese font fallback, tables that keep words whole, a print layout
    assert '"Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", "SimHei", sans-serif' in html
    assert "@media print" in html and "white-space: nowrap" in html


def test_two_runs_are_identical_file_by_file(outputs, tmp_path):
    report, fast = (files_of(f) for f in outputs)
    assert set(fast) <= set(report)
    assert set(report) - set(fast) == {"report.ipynb", "report.html"}
    for name in fast:
        if name == "manifest.json":
            a, b = json.loads(report[name]), json.loads(fast[name])
            assert a["git"] == {"commit": "0" * 40, "dirty": False}
            assert {k: v for k, v in a["outputs"].items() if k in b["outputs"]} == b["outputs"]
            assert a["input_files"] == {
                **b["input_files"],
                "notebooks/scenario_report.ipynb": a["input_files"]["notebooks/scenario_report.ipynb"],
            }
            for key in (*VOLATILE, "outputs", "input_files"):
                a.pop(key), b.pop(key)
            assert a == b
        else:
            assert report[name] == fast[name], name
    # the html export is reproducible: exporting the stored notebook again gives the same bytes
    nb = nbformat.read(outputs[0] / "report.ipynb", as_version=4)
    again = export_html(nb, tmp_path / "again.html", json.loads(report["summary.json"])["title"])
    assert again.read_bytes() == report["report.html"]


def test_a_failing_notebook_leaves_the_previous_report(outputs, tmp_path, monkeypatch):
    folder, _ = outputs
    out = tmp_path / "out"
    shutil.copytree(folder, out / "baseline")
    before = files_of(out / "baseline")
    nb_dir = tmp_path / "notebooks"
    nb_dir.mkdir()
    nb = nbformat.read(notebooks_dir() / "scenario_report.ipynb", as_version=4)
    setup = next(i for i, c in enumerate(nb.cells) if "setup" in c.metadata.get("tags", []))
    nb.cells.insert(setup + 1, nbformat.v4.new_code_cell("raise ValueError('budget table is empty')"))
    nbformat.write(nb, nb_dir / "scenario_report.ipynb")
    monkeypatch.setattr(scenario, "notebooks_dir", lambda: nb_dir)
    with pytest.raises(ReportError) as err:
        run_scenario("baseline", out=out, report=True)
    msg = str(err.value)
    assert "\n" not in msg
    assert "第 2 个代码单元" in msg and "ValueError: budget table is empty" in msg and "中原有的输出未改动" in msg
    assert files_of(out / "baseline") == before
    assert [p.name for p in out.iterdir()] == ["baseline"]


def test_compare_notebook(tmp_path):
    rec = run_compare(["baseline", "budget_cut_20"], out=tmp_path, report=True)
    nb = nbformat.read(rec.folder / "report.ipynb", as_version=4)
    pngs = [o.data["image/png"] for c in nb.cells for o in c.get("outputs", []) if "image/png" in o.get("data", {})]
    assert len(pngs) == 1
    assert base64.b64decode(pngs[0]) == (rec.folder / "figures" / "differences.png").read_bytes()
    html = (rec.folder / "report.html").read_text("utf-8")
    assert "财政资金需求" in html and "预算压减20%−基准情景" in html and "run_model(" not in html
    assert 'class="worse"' in html and 'class="better"' in html  # differences coloured by meaning
    assert 'alt="条形图：各情景主要指标与第一个情景之差' in html
    assert (rec.folder / "comparison.xlsx").is_file()
