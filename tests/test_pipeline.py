"""Runs into the output contract (fast path without the notebook): files, manifest, atomicity."""

import hashlib
import json

import numpy as np
import pandas as pd
import pytest

from tuoyu_model.allocation.marginal import NO_QUESTIONS
from tuoyu_model.cli import main
from tuoyu_model.errors import ReportError, ScenarioError
from tuoyu_model.runs import parallel, provenance, scenario
from tuoyu_model.runs.compare import run_compare
from tuoyu_model.runs.locations import safe_output_dir
from tuoyu_model.runs.parallel import run_many
from tuoyu_model.runs.scenario import run_scenario

CONTRACT_COLUMNS = {
    "allocation": ["town_id", "town", "year", "channel", "kind", "new_slots"],
    "stock": [
        "town_id",
        "town",
        "year",
        "total_slots",
        "inclusive_slots",
        "target_total",
        "target_inclusive",
        "shortfall_total",
        "shortfall_inclusive",
    ],
    "budget": ["year", "item", "amount_yuan"],
    "pricing": [
        "year",
        "household_monthly_income_yuan",
        "fee_cap_yuan",
        "fee_yuan",
        "cost_per_slot_month_yuan",
        "subsidy_per_slot_month_yuan",
    ],
    "demand": ["town_id", "town", "year", "children_under3", "slots_demanded", "slots_per_1000"],
    "workforce": ["town_id", "town", "year", "caregivers_needed", "health_staff_needed", "certified_target"],
    "shadow_prices": ["constraint", "town_id", "year", "value_yuan", "meaning"],
}
MONEY_ABS = 0.05  # yuan: the summary rounds to cents, a sum of 22 units' rounded figures
# manifest fields allowed to differ between two runs of the same scenario
VOLATILE = ("run", "versions")


def manifest_of(folder):
    return json.loads((folder / "manifest.json").read_text("utf-8"))


def summary_parameters(manifest):
    """Public money per converted slot from the run's resolved parameters (yuan)."""
    p = manifest["parameters"]
    return float(p["conversion_cost"]) * float(p["conversion_public_share"])


def files_of(folder):
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("name", ["../x", "a/b", "..", ".hidden", "", "a\\b", "c:d", "x\0y"])
def test_scenario_names_cannot_write_outside_outputs(tmp_path, name):
    with pytest.raises(ScenarioError, match="不能用作输出文件夹名"):
        safe_output_dir(tmp_path, name)


def test_cli_refuses_a_path_like_scenario_name(data_copy, capsys):
    assert main(["run", "../../etc/passwd", "--no-report"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_no_report_run_writes_the_contract(data_copy):
    rec = run_scenario("baseline", report=False)
    folder = rec.folder
    assert folder == (data_copy.parent / "outputs" / "baseline").resolve()
    for name, cols in CONTRACT_COLUMNS.items():
        path = folder / "tables" / f"{name}.csv"
        assert path.read_bytes().startswith(b"\xef\xbb\xbf"), name
        df = pd.read_csv(path, encoding="utf-8-sig")
        assert list(df.columns[: len(cols)]) == cols, name
        assert len(df) > 0, name
    assert len(list((folder / "figures").glob("*.png"))) >= 5
    summary = json.loads((folder / "summary.json").read_text("utf-8"))
    assert summary["solver"]["status"] == "Optimal"
    assert set(summary["public_cost_yuan"]) == {"2024", "2025", "total"}
    # budget.csv is tidy: items only, no total rows to double-count
    budget = pd.read_csv(folder / "tables" / "budget.csv", encoding="utf-8-sig")
    assert "total" not in set(budget["item"])
    # The summary's capital and conversion money re-derived from other files: new slots
    # (allocation.csv) × public capital per slot of their channel and kind (capital_costs.csv),
    # converted slots (conversions.csv) × conversion_cost × conversion_public_share (parameters).
    alloc = pd.read_csv(folder / "tables" / "allocation.csv", encoding="utf-8-sig")
    unit = pd.read_csv(folder / "tables" / "capital_costs.csv", encoding="utf-8-sig").set_index("channel")
    alloc["per_slot"] = [unit.at[c, f"public_capital_{k}_yuan"] for c, k in zip(alloc.channel, alloc.kind, strict=True)]
    conv = pd.read_csv(folder / "tables" / "conversions.csv", encoding="utf-8-sig")
    per_conversion = summary_parameters(manifest_of(folder))
    by_item = summary["public_cost_by_item_yuan"]
    for year in (2024, 2025):
        capital = (alloc.new_slots * alloc.per_slot)[alloc.year == year].sum()
        assert by_item[str(year)]["capital_subsidy"] == pytest.approx(capital, abs=MONEY_ABS)
        converted = conv.loc[conv.year == year, "slots"].sum() * per_conversion
        assert by_item[str(year)]["conversion"] == pytest.approx(converted, abs=MONEY_ABS)
        # the year's headline is its items, each given
        assert summary["public_cost_yuan"][str(year)] == pytest.approx(sum(by_item[str(year)].values()), abs=MONEY_ABS)
    assert capital > 0 and converted > 0  # the check is not vacuous (2025 builds and converts)
    manifest = json.loads((folder / "manifest.json").read_text("utf-8"))
    assert manifest["kind"] == "scenario" and manifest["scenario"] == "baseline"
    assert len(manifest["scenario_hash"]) == 16
    assert manifest["parameters"]["household_size"] == 2.39  # Daxing, 7th census (issue 11)
    towns = data_copy / "towns.csv"
    assert manifest["input_files"]["data/towns.csv"] == hashlib.sha256(towns.read_bytes()).hexdigest()
    assert "data/scenarios/baseline.yaml" in manifest["input_files"]
    assert manifest["outputs"]["results.xlsx"] == hashlib.sha256((folder / "results.xlsx").read_bytes()).hexdigest()
    assert {"pandas", "pulp", "highspy", "python"} <= set(manifest["versions"])
    assert "commit" in manifest["git"]


@pytest.mark.e2e
def test_two_runs_give_identical_files(data_copy, monkeypatch):
    # Other work may be committed to this checkout between the two runs: the commit is fixed
    # here so the comparison covers the manifest's 'git' field too (it must still be there).
    monkeypatch.setattr(provenance, "git_commit", lambda: {"commit": "0" * 40, "dirty": False})
    first = files_of(run_scenario("household_3", report=False).folder)
    second = files_of(run_scenario("household_3", report=False).folder)
    assert first.keys() == second.keys()
    for name in first:
        if name == "manifest.json":
            a, b = json.loads(first[name]), json.loads(second[name])
            assert a["git"] == {"commit": "0" * 40, "dirty": False}
            for key in VOLATILE:
                a.pop(key), b.pop(key)
            assert a == b
        else:
            assert first[name] == second[name], name


@pytest.mark.e2e
def test_a_failed_run_leaves_the_earlier_outputs(data_copy, monkeypatch):
    folder = run_scenario("baseline", report=False).folder
    before = files_of(folder)

    def broken(*args, **kwargs):
        raise ReportError("disk full (simulated)")

    monkeypatch.setattr(scenario, "write_outputs", broken)
    with pytest.raises(ReportError, match="中原有的输出未改动"):
        run_scenario("baseline", report=False)
    assert files_of(folder) == before
    leftovers = [p.name for p in folder.parent.iterdir() if p.name.startswith(".")]
    assert leftovers == [".tuoyu.lock"]  # the publishing lock, kept; no temporary folder


@pytest.mark.e2e
def test_set_options_write_a_separate_folder(data_copy):
    rec = run_scenario("baseline", ["household_size=3"], report=False)
    assert rec.folder.name.startswith("baseline__set-")
    manifest = json.loads((rec.folder / "manifest.json").read_text("utf-8"))
    assert manifest["set_options"] == ["household_size=3"] and manifest["parameters"]["household_size"] == 3


@pytest.mark.e2e
def test_run_many_in_parallel_reports_progress(data_copy, capsys):
    assert run_many(["baseline", "no_conversions"], jobs=2, report=False) == 0
    out = capsys.readouterr().out
    assert "2 个进程" in out and "[2/2]" in out and "2 个情景中 2 个完成" in out
    for name in ("baseline", "no_conversions"):
        assert (data_copy.parent / "outputs" / name / "results.xlsx").is_file()


@pytest.mark.e2e
def test_compare_without_report(data_copy):
    rec = run_compare(["baseline", "budget_cut_20"], report=False)
    table = pd.read_csv(rec.folder / "tables" / "comparison.csv", encoding="utf-8-sig")
    assert list(table.columns) == ["label_zh", "unit_zh", "year", "better", "baseline", "budget_cut_20"]
    cost = table[(table.label_zh == "财政资金需求") & (table.year == "合计")].iloc[0]
    assert cost["budget_cut_20"] < cost["baseline"]  # a 20% cut spends less
    assert (rec.folder / "figures" / "differences.png").is_file()
    manifest = json.loads((rec.folder / "manifest.json").read_text("utf-8"))
    assert manifest["kind"] == "compare" and [s["name"] for s in manifest["scenarios"]] == ["baseline", "budget_cut_20"]
    assert list(manifest)[-5:] == ["input_files", "outputs", "git", "versions", "run"]
    assert "tables/comparison.csv" in manifest["outputs"]
    with pytest.raises(ScenarioError, match="比较至少需要两个不同的情景"):
        run_compare(["baseline"], report=False)


@pytest.mark.e2e
def test_run_many_loads_each_scenario_once(data_copy, monkeypatch):
    calls = []
    real = parallel.load_scenario

    def counting(name, *args, **kwargs):
        calls.append(name)
        return real(name, *args, **kwargs)

    monkeypatch.setattr(parallel, "load_scenario", counting)
    assert run_many(["baseline", "no_conversions"], jobs=1, report=False) == 0
    assert sorted(calls) == ["baseline", "no_conversions"]


@pytest.fixture(scope="module")
def baseline_results():
    from tuoyu_model.results import run_model

    return run_model("baseline")


def test_subsidy_is_cost_minus_fee_revenue_at_the_occupancy_rate(baseline_results):
    # Worked by hand from Daxing's published 2024 per-capita income (62,204 yuan) and its census
    # household size (2.39): the 2025 fee cap is 62,204 × 2.39 / 12 × 20% = 2,477.79 yuan a month
    # and the baseline charges the cap; at 85% occupancy a slot earns 2,106.12. Social
    # institutions cost 4,264.21 a slot-month at 2024 prices (operating_costs): wages 2,842.87,
    # rent 973.33, utilities and other 448.00; in 2025 wages grow 5.04% and other costs 2%, rent
    # stays: 2,842.87 × 1.0504 + 973.33 + 448.00 × 1.02 = 4,416.45, so the gap the district pays
    # is 2,310.33 a month, 27,723.91 a year (from the unrounded cost).
    sub = baseline_results["subsidy"].query("year == 2025").set_index("channel")
    fee = 62_204 * 2.39 / 12 * 0.20
    assert sub["fee_yuan"].to_numpy() == pytest.approx(fee, abs=0.01)
    assert sub.at["social", "cost_per_slot_month_yuan"] == pytest.approx(4416.45, abs=0.01)
    assert sub.at["social", "subsidy_per_slot_month_yuan"] == pytest.approx(2310.33, abs=0.01)
    assert sub.at["social", "subsidy_per_slot_year_yuan"] == pytest.approx(27_723.91, abs=0.01)
    for channel, cost in sub["cost_per_slot_month_yuan"].items():  # every channel: max(0, cost − fee × occupancy)
        assert sub.at[channel, "subsidy_per_slot_month_yuan"] == pytest.approx(max(0.0, cost - fee * 0.85), abs=0.01)
    # 2024 is the cost figures' own year: the cost is operating_costs' at 2024 prices
    ops = baseline_results["operating_costs"].set_index("channel")["cost_per_slot_month_yuan"]
    sub24 = baseline_results["subsidy"].query("year == 2024").set_index("channel")
    assert sub24["cost_per_slot_month_yuan"].to_dict() == pytest.approx(ops.to_dict())


def test_report_notes_use_the_runs_unit_data_not_the_file_now(baseline_results, data_copy):
    from tuoyu_model.presentation.report import assumptions_markdown

    (data_copy / "towns.csv").write_text("broken after the run\n", encoding="utf-8")
    assert "data/towns.csv" in assumptions_markdown(baseline_results)


@pytest.mark.e2e
def test_notebook_only_figures_go_to_a_folder_removed_at_exit(baseline_results, monkeypatch):
    from tuoyu_model import writers

    registered = []
    monkeypatch.setattr(writers.atexit, "register", lambda fn, *a, **k: registered.append((fn, a, k)))
    files = writers.write_outputs(baseline_results)
    folder = files["figure:budget_by_year"].parent.parent
    assert folder.is_dir() and [a for _, a, _ in registered] == [(folder,)]
    for fn, a, k in registered:
        fn(*a, **k)
    assert not folder.exists()


@pytest.mark.e2e
def test_summary_shortfalls_are_year_end_stocks_counted_once():
    from tuoyu_model.results import run_model

    # No money in either year: the 2025 targets (4,700 slots, 60% inclusive) cannot be met. The
    # shortfall is what is missing at each year-end; it never exceeds the year's target plus the
    # centre's 100 slots (the sum over both years once gave 7,992 against a 4,700 target).
    r = run_model("baseline", ["budget.2024=1", "budget.2025=1", NO_QUESTIONS])  # the plan alone
    s, stock, district = r.summary, r["stock"], r["district"].set_index("year")
    for year in r.years:
        k = s["shortfall_by_kind_by_year"][str(year)]
        at = stock[stock.year == year]
        assert k["total"] == pytest.approx(at.shortfall_total.sum())
        assert k["inclusive"] == pytest.approx(at.shortfall_inclusive.sum())
        assert k["share"] == pytest.approx(district.at[year, "shortfall_share"])
        # a unit short of both total and inclusive slots misses its inclusive ones among its total ones
        overlap = np.minimum(at.shortfall_total, np.maximum(at.shortfall_inclusive, at.shortfall_coverage)).sum()
        assert s["shortfall_by_year"][str(year)] == pytest.approx(
            k["total"] + max(k["inclusive"], k["coverage"], k["share"]) - overlap + k["centre"]
        )
        assert s["shortfall_by_year"][str(year)] <= at.target_total.sum() + 100
    assert s["shortfall_final_slots"] == s["shortfall_by_year"]["2025"] > 0
    assert not {"shortfall_slots", "shortfall_total_slots", "shortfall_other_slots"} & set(s)


@pytest.mark.e2e
def test_stale_temporary_folders_of_dead_runs_are_removed(data_copy):
    import os
    import time

    out = data_copy.parent / "outputs"
    dead = out / ".baseline.tmp-999999999-abc"  # no such process
    alive = out / f".baseline.tmp-{os.getppid()}-def"  # a running process: another run, kept
    old = out / f".x.old-{os.getppid()}-1"  # alive but two days old: stale
    for p in (dead, alive, old):
        p.mkdir(parents=True)
    two_days = time.time() - 2 * 24 * 3600
    os.utime(old, (two_days, two_days))
    run_scenario("baseline", report=False)
    assert sorted(p.name for p in out.iterdir()) == sorted([alive.name, "baseline", ".tuoyu.lock"])


@pytest.mark.e2e
def test_output_folder_is_readable_as_the_umask_allows(data_copy):
    import os
    import stat

    mask = os.umask(0o022)
    try:
        folder = run_scenario("baseline", report=False).folder
    finally:
        os.umask(mask)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o755  # not mkdtemp's 0700


@pytest.mark.e2e
def test_console_says_when_targets_are_unmet_and_when_a_report_was_removed(data_copy, capsys, monkeypatch):
    monkeypatch.chdir(data_copy)  # not the project root: the folder is shown as an absolute path
    assert run_many(["baseline"], ["budget.2024=1", "budget.2025=1"], jobs=1, report=False) == 0
    out = capsys.readouterr().out
    # the final year-end's shortfall (see test_summary_shortfalls_are_year_end_stocks_counted_once)
    assert "baseline：注意：2025年底仍有2,778个托位目标未完成（见报告 托位目标与缺口）" in out
    assert f"已写入 {data_copy.parent / 'outputs'}/baseline__set-" in out
    folder = next((data_copy.parent / "outputs").glob("baseline__set-*"))
    (folder / "report.html").write_text("an earlier report", encoding="utf-8")
    assert run_many(["baseline"], ["budget.2024=1", "budget.2025=1"], jobs=1, report=False) == 0
    out = capsys.readouterr().out
    assert "此前的 report.html / report.ipynb 已删除" in out and not (folder / "report.html").exists()
    assert run_many(["baseline"], jobs=1, report=False) == 0
    assert "注意" not in capsys.readouterr().out  # the baseline meets every target


@pytest.mark.e2e
def test_workbook_of_a_run_is_chinese_throughout(data_copy):
    import openpyxl

    folder = run_scenario("baseline", ["budget.2025=1"], report=False).folder
    wb = openpyxl.load_workbook(folder / "results.xlsx")
    english = {
        "yuan",
        "unmet_need",
        "none",
        "annex",
        "held_2025",
        "births",
        "total",
        "inclusive",
        "share",
        "budget",
        "slots of shortfall per slot",
        "floor_2024",
        "high_quality_2025",
        "persons",
    }
    for ws in wb.worksheets:
        assert ws["A1"].value.startswith("基准情景"), ws.title  # the title row
        for c in ws[2]:
            assert any("\u4e00" <= ch <= "\u9fff" for ch in str(c.value)), (ws.title, c.value)
        for row in ws.iter_rows(min_row=3):
            for c in row:
                ids = ("取值", "参数名", "英文名称", "约束", "属地代码", "问题代码", "含义（英文）")
                if ws.cell(2, c.column).value in ids:
                    continue  # ids and values as --set takes them, and the English text kept beside the Chinese
                assert c.value not in english, (ws.title, c.coordinate, c.value)
    summary = json.loads((folder / "summary.json").read_text("utf-8"))
    assert summary["solver"]["whole_slots"] is True
    # CSV money to the fen: no float with 15 digits
    pricing = (folder / "tables" / "pricing.csv").read_text("utf-8-sig")
    assert not any(len(x.split(".")[-1]) > 6 for x in pricing.replace("\n", ",").split(",") if "." in x)
