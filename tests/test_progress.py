"""Progress tables, projections and the re-plan, on hand-worked examples."""

import datetime as dt
import json
import math
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from tuoyu_model import costs
from tuoyu_model.allocation.marginal import NO_QUESTIONS
from tuoyu_model.data import load_targets, load_towns
from tuoyu_model.parameters import apply_overrides, default_parameters, load_scenario, parse_set_options
from tuoyu_model.progress import (
    completion_table,
    coverage_table,
    for_people_progress,
    projection_table,
    read_progress,
    replan,
    workforce_progress,
)
from tuoyu_model.progress.evaluation import DAYS_PER_MONTH
from tuoyu_model.results import run_model

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "progress"
REL = 1e-9  # tolerance for shares computed from whole numbers
SLOTS = 1e-4  # tolerance on LP slot counts (solver noise)


@pytest.fixture(scope="module")
def targets():
    return load_targets()


@pytest.fixture(scope="module")
def towns(targets):
    return load_towns(targets=targets)


@pytest.fixture(scope="module")
def good(targets):
    return read_progress(FIXTURES / "good" / "returns_utf8.csv", targets=targets)


def test_completion_against_every_target_set(good, targets):
    c = completion_table(good, targets).set_index(["town_id", "target_set"])
    # 旧宫镇 reports 320 slots, 96 inclusive. Floor 2024: 490/147; high-quality 2025: 490/294;
    # plan 2025: 880/530.
    j = c.loc[("jiugong", "floor_2024")]
    assert j.completion_total == pytest.approx(320 / 490, rel=REL)
    assert j.completion_inclusive == pytest.approx(96 / 147, rel=REL)
    assert (j.gap_total, j.gap_inclusive) == (490 - 320, 147 - 96)
    assert c.loc[("jiugong", "high_quality_2025")].gap_inclusive == 294 - 96
    assert c.loc[("jiugong", "plan_2025")].gap_total == 880 - 320
    assert len(c) == 22 * 3


def test_units_that_did_not_report_stay_blank_not_zero(good, targets, towns):
    c = completion_table(good, targets)
    huangcun = c[c.town_id == "huangcun"]
    assert not huangcun.reported.any() and huangcun.total_slots.isna().all() and huangcun.gap_total.isna().all()
    p = projection_table(good, targets, towns, default_parameters())
    assert p.set_index("town_id").at["huangcun", "status"] == "not_reported"
    assert p.reported.sum() == 3


def test_coverage_and_inclusive_share(good, targets):
    cov = coverage_table(good, targets, default_parameters()).set_index("town_id")
    # 安定镇: 12 of 40 slots inclusive = 30%; 12 < 20 (the minimum per unit) so not covered.
    assert cov.at["anding", "inclusive_share"] == pytest.approx(0.3, rel=REL)
    assert bool(cov.at["anding", "inclusive_service"]) and not bool(cov.at["anding", "covered"])
    assert bool(cov.at["jiugong", "covered"])
    assert pd.isna(cov.at["huangcun", "covered"])


def test_workforce_against_goals(good, targets):
    w = workforce_progress(good, targets, default_parameters()).set_index("town_id")
    # 兴丰街道: 27 of 30 certified = 90% exactly (0.9 × 30 must not round up to 28); 5
    # institutions + 30 caregivers = 35 to train, 5 + 30 trained; 5 health staff for 5.
    x = w.loc["xingfeng"]
    assert (x.certified_needed, x.training_needed, x.health_staff_needed) == (0, 0, 0)
    assert bool(x.meets_certified) and bool(x.meets_training) and bool(x.meets_health)
    # 旧宫镇: ⌈0.9 × 64⌉ = 58 − 50 = 8 to certify; 9 + 64 = 73 to train, 8 + 55 = 63 trained.
    j = w.loc["jiugong"]
    assert (j.certified_needed, j.training_needed) == (8, 10)
    assert j.certified_share == pytest.approx(50 / 64, rel=REL)


def _series(rows):
    return pd.DataFrame(
        [{"town_id": t, "date": pd.Timestamp(d), "total_slots": s, "inclusive_slots": i} for t, d, s, i in rows]
    )


@pytest.mark.parametrize("threshold, at_risk", [(1.0, True), (0.98, False)])
def test_projection_from_the_last_two_reports(targets, towns, threshold, at_risk):
    # 旧宫镇: 300 on 31 March, 360 on 30 June (91 days): +60 per 91 days. 184 days to 31 Dec:
    # 360 + 60 × 184 / 91 = 481.3 of 490 → 98.2%; inclusive 147 → 160 keeps above 147.
    progress = _series([("jiugong", "2024-03-31", 300, 147), ("jiugong", "2024-06-30", 360, 160)])
    params = apply_overrides(default_parameters(), {"at_risk_completion_threshold": threshold}, "test")
    r = projection_table(progress, targets, towns, params).set_index("town_id").loc["jiugong"]
    assert r.projected_total == pytest.approx(360 + 60 * 184 / 91, rel=1e-9)
    assert r.rate_total_per_month == pytest.approx(60 / (91 / DAYS_PER_MONTH), rel=1e-9)
    assert DAYS_PER_MONTH == costs.DAYS_PER_MONTH == pytest.approx(365 / 12)  # one month length in the package
    assert r.basis == "trend_last_two_reports"
    assert bool(r.at_risk) is at_risk


def test_projection_with_one_report_starts_from_the_2023_stock(targets, towns):
    # 安定镇's end-2023 stock is 45 (towns.csv); 63 on 30 June 2024 is +18 in 182 days; 184
    # more days give 63 + 18 × 184 / 182 = 81.2 < 90 → at risk.
    progress = _series([("anding", "2024-06-30", 63, 30)])
    r = projection_table(progress, targets, towns, default_parameters()).set_index("town_id").loc["anding"]
    assert towns.at["anding", "existing_slots_2023"] == 45
    assert r.projected_total == pytest.approx(63 + 18 * 184 / 182, rel=1e-9)
    assert r.basis == "trend_since_2023_stock" and r.status == "at_risk"


def test_a_unit_at_its_target_is_done(targets, towns):
    r = projection_table(_series([("anding", "2024-06-30", 90, 24)]), targets, towns, default_parameters())
    assert r.set_index("town_id").at["anding", "status"] == "done"


def _stock_at(targets, target_set, changes=None):
    t = targets[targets.target_set == target_set][["town_id", "total_slots", "inclusive_slots"]].copy()
    t = t.set_index("town_id").astype(float)
    for town_id, (total, inclusive) in (changes or {}).items():
        t.loc[town_id] = (total, inclusive)
    return t.reset_index()


NEW_MONEY = ["capital_subsidy", "conversion", "operating_subsidy_new"]


def _plan(overrides):
    """Baseline with ``overrides``: its parameters and its own result tables (the original plan)."""
    s = load_scenario("baseline", overrides)
    return s.parameters, run_model("baseline", {**overrides, **parse_set_options([NO_QUESTIONS])}).tables


@pytest.mark.parametrize("as_of", [dt.date(2024, 6, 30), dt.date(2025, 6, 30)])
def test_replan_from_a_stock_meeting_the_targets_costs_nothing_new(targets, towns, as_of):
    params, original = _plan({"district_centre_slots": 0})
    stock = _stock_at(targets, "high_quality_2025")  # 4700 slots, 2820 inclusive (60%)
    progress = _series([("jiugong", as_of.isoformat(), 490, 294)])
    out = replan(progress, params, targets, towns, as_of, original, stock=stock)
    assert out["replan_changes"].new_slots_replan.sum() == pytest.approx(0, abs=SLOTS)
    assert out["replan_changes"].capital_replan_yuan.sum() == pytest.approx(0, abs=1.0)
    b = out["replan_budget"]
    assert b[(b.plan == "replan") & b.item.isin(NEW_MONEY)].amount_yuan.sum() == pytest.approx(0, abs=1.0)
    assert out["replan_stock"].shortfall_total.sum() == pytest.approx(0, abs=SLOTS)


def test_replan_behind_with_unlimited_money_and_capacity_builds_exactly_the_gap(targets, towns):
    # Every unit at its 2025 target except 旧宫镇 at 390 of 490 (inclusive 294 of 294): with
    # money unlimited (budget 0) and ample capacity the re-plan builds 490 − 390 = 100 slots,
    # all in 旧宫镇, and leaves no shortfall.
    params, original = _plan(
        {
            "district_centre_slots": 0,
            "social_capacity_per_1000": 100.0,
            "build_share_by_year": {2024: 1.0, 2025: 1.0},
            "budget": {2024: 0, 2025: 0},
        }
    )
    stock = _stock_at(targets, "high_quality_2025", {"jiugong": (390, 294)})
    progress = _series([("jiugong", "2025-03-31", 390, 294)])
    out = replan(progress, params, targets, towns, dt.date(2025, 3, 31), original, stock=stock)
    ch = out["replan_changes"].set_index("town_id")
    assert ch.new_slots_replan.sum() == pytest.approx(100, abs=SLOTS)
    assert ch.at["jiugong", "new_slots_replan"] == pytest.approx(100, abs=SLOTS)
    assert ch.shortfall_total_replan.sum() == pytest.approx(0, abs=SLOTS)


def test_replan_after_the_plan_is_an_error(targets, towns, good):
    from tuoyu_model.errors import DataError

    with pytest.raises(DataError, match="没有剩余的年份可以重新测算"):
        replan(good, load_scenario("baseline").parameters, targets, towns, dt.date(2025, 12, 31), {})


@pytest.mark.e2e
def test_cli_writes_the_output_contract_and_keeps_old_outputs_on_failure(tmp_path, capsys):
    from tuoyu_model.cli import main

    sample = sorted(str(p) for p in (FIXTURES / "sample").glob("*.xlsx"))
    assert main(["progress", *sample, "--no-report", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    folder = tmp_path / "progress" / "2024-09-30"
    assert "21/22个属地报送" in out and "大兴经开区" in out
    for name in (
        "completion",
        "projection",
        "coverage",
        "workforce",
        "not_reported",
        "replan_changes",
        "replan_allocation",
        "progress_reports",
    ):
        assert (folder / "tables" / f"{name}.csv").read_bytes()[:3] == b"\xef\xbb\xbf"
    summary = json.loads((folder / "summary.json").read_text("utf-8"))
    manifest = json.loads((folder / "manifest.json").read_text("utf-8"))
    assert summary["units_not_reported"] == ["大兴经开区"]
    assert len(manifest["progress_files"]) == 2
    assert all(len(h) == 64 for h in manifest["progress_files"].values())
    assert manifest["as_of"] == "2024-09-30" and manifest["scenario"] == "baseline"
    # the package's one manifest layout (runs.provenance.build_manifest), as for tuoyu run and compare
    assert manifest["kind"] == "progress"
    assert list(manifest)[-5:] == ["input_files", "outputs", "git", "versions", "run"]
    assert "data/towns.csv" in manifest["input_files"] and "data/scenarios/baseline.yaml" in manifest["input_files"]
    assert set(manifest["outputs"]) >= {"results.xlsx", "summary.json", "figures/completion.png"}
    assert manifest["parameters"]["target_set_2025"] == "high_quality_2025"
    wb = openpyxl.load_workbook(folder / "results.xlsx", read_only=True)
    assert wb.sheetnames[:5] == ["摘要", "完成情况", "滞后预警", "普惠覆盖", "队伍建设"]
    assert "托位完成率" in [c.value for c in next(wb["完成情况"].iter_rows(max_row=1))]
    wb.close()
    before = (folder / "summary.json").read_bytes()
    assert (
        main(
            [
                "progress",
                *sample,
                str(FIXTURES / "broken" / "text_in_number.xlsx"),
                "--no-report",
                "--out",
                str(tmp_path),
            ]
        )
        == 2
    )
    assert (folder / "summary.json").read_bytes() == before
    assert [p.name for p in (tmp_path / "progress").iterdir() if p.name != ".tuoyu.lock"] == ["2024-09-30"]


def test_shares_are_never_divided_by_zero(targets):
    p = _series([("anding", "2024-06-30", 0, 0)])
    cov = coverage_table(p, targets, default_parameters()).set_index("town_id")
    assert math.isnan(cov.at["anding", "inclusive_share"])


def test_mid_year_replan_compares_like_with_like(targets, towns):
    # Money and capacity unlimited, no centre: the original plan builds each unit from its
    # end-2023 stock exactly to its 2025 target; 旧宫镇: 245 → 490, 245 new slots in 2024–2025.
    # On 30 September 2024 every unit reports its 2025 target except 旧宫镇 at 390: 390 − 245 =
    # 145 of the original's 245 are built, so the original still asks 245 − 145 = 100, which is
    # what the re-plan builds (490 − 390). The change is 0, not 100 − 245 = −145.
    params, original = _plan(
        {
            "district_centre_slots": 0,
            "social_capacity_per_1000": 100.0,
            "build_share_by_year": {2024: 1.0, 2025: 1.0},
            "budget": {2024: None, 2025: None},
        }
    )
    stock = _stock_at(targets, "high_quality_2025", {"jiugong": (390, 294)})
    progress = _series([("jiugong", "2024-09-30", 390, 294)])
    out = replan(progress, params, targets, towns, dt.date(2024, 9, 30), original, stock=stock)
    j = out["replan_changes"].set_index("town_id").loc["jiugong"]
    assert towns.at["jiugong", "existing_slots_2023"] == 245
    assert j.built_in_replan_years + j.new_slots_original == pytest.approx(245, abs=SLOTS)
    assert (j.built_in_replan_years, j.new_slots_original) == (
        pytest.approx(145, abs=SLOTS),
        pytest.approx(100, abs=SLOTS),
    )
    assert j.new_slots_replan == pytest.approx(100, abs=SLOTS)
    assert j.new_slots_change == pytest.approx(0, abs=SLOTS)
    # money still to spend: nothing where the original plan's slots are all built
    ch = out["replan_changes"]
    done = ch[ch.new_slots_original.abs() <= SLOTS]
    assert len(done) >= 19 and done.capital_original_yuan.abs().max() == pytest.approx(0, abs=1.0)


def test_replan_allocation_codes_are_chinese_for_people():
    df = pd.DataFrame({"town": ["旧宫镇"], "channel": ["kindergarten"], "kind": ["inclusive"], "new_slots": [20]})
    row = for_people_progress(df).iloc[0].tolist()
    assert "幼儿园托班" in row and "普惠" in row


def test_replan_solves_only_the_replan_and_reads_the_scenarios_own_plan(targets, towns, good, monkeypatch):
    # The original plan comes from the scenario's run: replan solves once (the re-plan), and
    # evaluate given the scenario's tables runs no scenario; its comparison is the tables' plan.
    from tuoyu_model.progress import evaluate
    from tuoyu_model.progress import replanning as replan_module
    from tuoyu_model.progress import run as run_module

    s = load_scenario("baseline")
    original = run_model(s).tables
    solves = []
    real_solve = replan_module.solve
    monkeypatch.setattr(replan_module, "solve", lambda inputs: solves.append(inputs.years) or real_solve(inputs))
    monkeypatch.setattr(run_module, "run_model", lambda *a, **k: pytest.fail("the scenario was run again"))
    files = [FIXTURES / "good" / "returns_utf8.csv"]
    result = evaluate(files, scenario=s, original=original)
    assert solves == [[2024, 2025]]
    # new_slots_original is the scenario's own 2024–2025 new slots less what is built since
    ch = result.tables["replan_changes"]
    planned = original["allocation"].new_slots.sum()
    assert (ch.new_slots_original + ch.built_in_replan_years).sum() == pytest.approx(planned, abs=SLOTS)
    b = result.tables["replan_budget"]
    assert b[b.plan == "original"].amount_yuan.sum() == pytest.approx(original["budget"].amount_yuan.sum(), rel=REL)


def test_replan_without_the_original_plans_tables_says_which(targets, towns, good):
    with pytest.raises(KeyError, match="原方案缺少表 conversions, stock, budget"):
        replan(good, load_scenario("baseline").parameters, targets, towns, dt.date(2024, 6, 30), {"allocation": None})


def test_the_progress_code_writes_no_goal_or_unit_conversion_of_its_own():
    # The goals are workforce.yaml's and 万元 is the package's one WAN: none written again here.
    import tuoyu_model

    package = Path(tuoyu_model.__file__).parent
    files = [*(package / "progress").glob("*.py"), package / "presentation" / "progress_report.py"]
    assert len(files) >= 9
    for path in files:
        text = path.read_text("utf-8")
        assert "1e4" not in text and "10_000" not in text and "WAN =" not in text, path.name
        assert "90%" not in text and "100%" not in text, path.name


def test_the_template_notes_follow_the_workforce_goals(tmp_path):
    from tuoyu_model.progress import write_templates

    params = apply_overrides(default_parameters(), {"certified_share_target": 0.85}, "test")
    xlsx, _ = write_templates(tmp_path, params)
    wb = openpyxl.load_workbook(xlsx, read_only=True)
    notes = " ".join(str(c) for row in wb["填报说明"].iter_rows(values_only=True) for c in row if c)
    wb.close()
    assert "目标不低于 85%" in notes and "goal ≥ 85%" in notes and "90%" not in notes
