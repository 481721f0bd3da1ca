"""``tuoyu sweep``: grids against separate runs, monotone curves, Monte Carlo, SALib, Dask, bad specs."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from tuoyu_model.allocation.marginal import NO_QUESTIONS
from tuoyu_model.cli import main
from tuoyu_model.results import run_model
from tuoyu_model.sweep.run import run_sweep


def spec(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def points(folder: Path) -> pd.DataFrame:
    return pd.read_csv(folder / "points.csv", encoding="utf-8-sig", keep_default_na=False, na_values=[""])


SHARE_GRID = """title: 占比目标
scenario: baseline
grid:
  inclusive_share_target.2025: [0.50, 0.55, 0.60, 0.62]
"""


@pytest.fixture
def share_sweep(data_copy, tmp_path):
    return run_sweep(spec(tmp_path, "share", SHARE_GRID), report=False).folder


@pytest.mark.e2e
def test_three_grid_points_equal_separate_runs_with_set(share_sweep, data_copy, capsys):
    pts = points(share_sweep).set_index("inclusive_share_target.2025")
    for share in (0.5, 0.55, 0.6):
        sets = ["--set", f"inclusive_share_target.2025={share}", "--set", NO_QUESTIONS]  # the plan only
        assert main(["run", "--no-report", *sets]) == 0
        out = capsys.readouterr().out
        folder = Path(out.split("已写入 ")[1].split("/，用时")[0])
        summary = json.loads((folder / "summary.json").read_text("utf-8"))
        row = pts.loc[share]
        for year in ("2024", "2025", "total"):
            assert row[f"public_cost_{year}_yuan"] == summary["public_cost_yuan"][year]  # to the fen
        assert row["shortfall_final_slots"] == summary["shortfall_final_slots"]
        assert row["inclusive_share_2025"] == summary["inclusive_share"]["2025"]
        assert row["fee_cap_2025_yuan"] == summary["fee_cap_yuan"]["2025"]
        # the operating subsidy committed after the plan, year by year to the costing horizon (2030)
        committed = summary["subsidy_commitment_by_year"]
        assert sorted(committed) == [str(y) for y in range(2026, 2031)]
        for y, amount in committed.items():
            assert row[f"subsidy_commitment_{y}_yuan"] == amount  # to the fen
        assert row["subsidy_commitment_total_yuan"] == pytest.approx(sum(committed.values()), abs=0.03)


def test_points_csv_has_a_bom_an_id_the_factor_and_the_metrics(share_sweep):
    raw = (share_sweep / "points.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    header = raw.decode("utf-8-sig").splitlines()[0].split(",")
    assert header[:2] == ["point_id", "inclusive_share_target.2025"]
    for col in ("public_cost_2024_yuan", "public_cost_total_yuan", "shortfall_final_slots", "inclusive_share_2025"):
        assert col in header
    for col in ("fee_cap_2025_yuan", "status", "binding"):
        assert col in header
    # post-plan commitments right after the plan years' money, as issue 12 lists the columns
    at = header.index("public_cost_total_yuan")
    assert header[at + 1 : at + 7] == [f"subsidy_commitment_{y}_yuan" for y in range(2026, 2031)] + [
        "subsidy_commitment_total_yuan"
    ]
    for f in ("manifest.json", "summary.json", "results.xlsx", "spec.yaml", "tables/curve.csv", "figures/curve.png"):
        assert (share_sweep / f).is_file(), f


def test_cost_never_falls_as_the_share_target_rises(share_sweep):
    pts = points(share_sweep).sort_values("inclusive_share_target.2025")
    assert (pts.status == "Optimal").all()
    assert (np.diff(pts.public_cost_total_yuan) >= -0.005).all()
    assert pts.public_cost_total_yuan.iloc[-1] > pts.public_cost_total_yuan.iloc[0]  # the curve does rise
    curve = pd.read_csv(share_sweep / "tables" / "curve.csv", encoding="utf-8-sig")
    assert curve.binding_changed.any()  # the binding limits change somewhere along 50–62%


def test_shortfall_never_rises_in_priority_order_as_the_budget_rises(data_copy, tmp_path):
    # The linear program (fractional slots): under a binding budget the whole-slot MIP takes minutes.
    text = """title: 预算
fixed: {budget.2024: 2.0e7, whole_slots: false}
grid:
  budget.2025: [1.0e7, 1.4e7, 1.8e7, 2.2e7, 3.0e7]
"""
    folder = run_sweep(spec(tmp_path, "budget", text), report=False).folder
    pts = points(folder).sort_values("budget.2025")
    assert (pts.status == "Optimal").all()
    # The requirements are met in their stated priority (coverage and centre, then the share, then
    # the unit targets): more money never leaves the plan worse in that order — the slots missing
    # per tier, compared tier by tier, never rise. (Not the slots missing all told: with the money
    # to hold the share at 60%, fewer free market slots are allowed, so more unit totals go unmet.)
    tiers = [("coverage", "centre"), ("share",), ("total", "inclusive")]

    def by_tier(unmet) -> list:
        pairs = [p.split(":") for p in str(unmet).split(";") if ":" in p]
        return [sum(float(u) for k, u in pairs if k.split("-")[0] in t) for t in tiers]

    got = [by_tier(u) for u in pts.unmet]
    for lower, higher in zip(got, got[1:], strict=False):
        first = next((n for n in range(3) if abs(lower[n] - higher[n]) > 0.01), None)
        assert first is None or higher[first] < lower[first], (lower, higher)
    assert got[0] > got[-1] and pts.shortfall_final_slots.iloc[0] > pts.shortfall_final_slots.iloc[-1]  # it binds
    frontier = pd.read_csv(folder / "tables" / "frontier.csv", encoding="utf-8-sig")
    assert (np.diff(frontier.inclusive_slots_final) >= 0).all()


def _collapse(data_dir: Path) -> int:
    """Set every declared distribution to the parameter's own value (a point); returns how many."""
    n = 0
    for path in sorted((data_dir / "parameters").glob("*.yaml")):
        content = yaml.safe_load(path.read_text("utf-8"))
        for entry in content.values():
            unc = entry.get("uncertainty")
            if not unc:
                continue
            dists = {None: unc} if "distribution" in unc else unc
            for key, dist in dists.items():
                value = entry["value"] if key is None else entry["value"][key]
                dist.clear()
                dist.update({"distribution": "triangular", "low": value, "mode": value, "high": value})
                dist["source"] = "assumption"
                n += 1
        path.write_text(yaml.safe_dump(content, allow_unicode=True, sort_keys=False), "utf-8")
    return n


@pytest.mark.e2e
def test_a_monte_carlo_of_point_distributions_equals_the_deterministic_run(data_copy, tmp_path):
    assert _collapse(data_copy) >= 10
    folder = run_sweep(spec(tmp_path, "mc", "title: 点分布\ndraws: 4\nseed: 3\n"), report=False).folder
    pts = points(folder)
    summary = run_model("baseline").summary
    assert (pts.status == "Optimal").all() and len(pts) == 4
    for year in ("2024", "2025", "total"):
        assert (pts[f"public_cost_{year}_yuan"] == summary["public_cost_yuan"][year]).all()
    assert (pts.shortfall_final_slots == summary["shortfall_final_slots"]).all()
    fan = pd.read_csv(folder / "tables" / "fan.csv", encoding="utf-8-sig").set_index("year")
    assert fan.loc["total", "p10_yuan"] == fan.loc["total", "p90_yuan"] == summary["public_cost_yuan"]["total"]


@pytest.mark.e2e
def test_monte_carlo_is_the_same_for_one_or_two_workers_and_varies(data_copy, tmp_path):
    text = "title: 抽样\ndraws: 6\nseed: 11\nparameters: [caregiver_wage, rent]\nbudgets_wan: [5000]\n"
    a = run_sweep(spec(tmp_path, "mc", text), jobs=1, report=False).folder
    one = (a / "points.csv").read_bytes()
    b = run_sweep(spec(tmp_path, "mc", text), jobs=2, report=False).folder
    assert (b / "points.csv").read_bytes() == one
    pts = points(b)
    assert pts.caregiver_wage.between(5000, 7000).all() and pts.caregiver_wage.nunique() == 6
    assert pts.public_cost_total_yuan.nunique() > 1
    prob = pd.read_csv(b / "tables" / "budget_probability.csv", encoding="utf-8-sig")
    p90 = prob.set_index("basis").loc["P90"]
    assert (pts.public_cost_total_yuan <= p90.budget_yuan).mean() >= 0.9


@pytest.mark.e2e
def test_the_dask_local_cluster_gives_the_same_points_csv(data_copy, tmp_path):
    pytest.importorskip("dask.distributed")
    text = "title: Dask\ngrid:\n  caregiver_wage: [5000, 6000, 7000]\n  rent: [3.0, 5.0]\n"
    local = run_sweep(spec(tmp_path, "dask", text), jobs=1, report=False)
    first = (local.folder / "points.csv").read_bytes()
    rec = run_sweep(spec(tmp_path, "dask", text), dask_local=2, report=False)
    assert "LocalCluster" in rec.executed_on
    assert (rec.folder / "points.csv").read_bytes() == first
    manifest = json.loads((rec.folder / "manifest.json").read_text("utf-8"))
    assert manifest["kind"] == "sweep" and manifest["executed_on"] == rec.executed_on


@pytest.mark.e2e
def test_morris_ranks_a_parameter_without_effect_last_with_zero_effect(data_copy, tmp_path):
    text = """title: 敏感性
sensitivity: morris
trajectories: 3
seed: 7
parameters: [caregiver_wage, capital_cost.community, take_up_rate.age_2_3]
"""
    folder = run_sweep(spec(tmp_path, "morris", text), report=False).folder
    sens = pd.read_csv(folder / "tables" / "sensitivity.csv", encoding="utf-8-sig")
    money = sens[sens.metric == "public_cost_total_yuan"].sort_values("rank")
    assert money.factor.iloc[-1] == "take_up_rate.age_2_3"
    assert money.mu_star.iloc[-1] == 0 and money.sigma.iloc[-1] == 0
    assert money.factor.iloc[0] == "caregiver_wage" and money.mu_star.iloc[0] > 0
    summary = json.loads((folder / "summary.json").read_text("utf-8"))
    assert summary["top_factors"][0] == "caregiver_wage"
    assert (folder / "figures" / "tornado.png").is_file()


@pytest.mark.e2e
def test_sobol_gives_indices_with_confidence_intervals(data_copy, tmp_path):
    text = "title: Sobol\nsensitivity: sobol\nsamples: 8\nseed: 5\nparameters: [caregiver_wage, take_up_rate.age_2_3]\n"
    folder = run_sweep(spec(tmp_path, "sobol", text), report=False).folder
    sens = pd.read_csv(folder / "tables" / "sensitivity.csv", encoding="utf-8-sig")
    money = sens[sens.metric == "public_cost_total_yuan"].set_index("factor")
    assert money.loc["take_up_rate.age_2_3", "ST"] == 0 and money.loc["take_up_rate.age_2_3", "S1"] == 0
    assert money.loc["caregiver_wage", "ST"] > 0.5
    assert {"S1_conf", "ST_conf"} <= set(money.columns)


def test_a_point_that_fails_is_counted_and_listed(data_copy, tmp_path, capsys):
    text = "title: 失败\ngrid:\n  district_centre_unit: [auto, nowhere]\n"
    assert main(["sweep", str(spec(tmp_path, "fail", text)), "--no-report"]) == 0
    assert "1 个点未求解" in capsys.readouterr().out
    folder = data_copy.parent / "outputs" / "sweeps" / "fail"
    pts = points(folder)
    assert len(pts) == 2 and pts.status.tolist() == ["Optimal", "error"]
    assert "nowhere" in pts.error.iloc[1]
    failed = pd.read_csv(folder / "tables" / "failed.csv", encoding="utf-8-sig")
    assert failed.point_id.tolist() == [2]
    assert json.loads((folder / "summary.json").read_text("utf-8"))["n_failed"] == 1


@pytest.mark.e2e
def test_a_rerun_is_byte_identical_and_the_report_is_chinese(data_copy, tmp_path):
    path = spec(tmp_path, "report", "title: 报告\ngrid:\n  inclusive_share_target.2025: [0.5, 0.6]\n")
    first = run_sweep(path, report=True).folder
    files = {p.relative_to(first): p.read_bytes() for p in first.rglob("*") if p.is_file()}
    second = run_sweep(path, report=True).folder
    for rel, content in files.items():
        if rel.name != "manifest.json":
            assert (second / rel).read_bytes() == content, rel
    html = (second / "report.html").read_text("utf-8")
    assert "成本曲线" in html and "方法说明" in html and "Traceback" not in html


BAD_SPECS = [
    ("grid:\n  inclusive_share_targt.2025: [0.5]\n", ["inclusive_share_targt", "inclusive_share_target", "不存在"]),
    (
        "grid:\n"
        + "".join(
            f"  {n}: [{', '.join(str(v) for v in vals)}]\n"
            for n, vals in [
                ("caregiver_wage", range(5000, 6000, 100)),
                ("health_staff_wage", range(5000, 6000, 100)),
                ("rent", [x / 10 for x in range(30, 40)]),
                ("occupancy_rate", [x / 100 for x in range(80, 90)]),
                ("household_size", [x / 100 for x in range(220, 230)]),
                ("conversion_willingness", [x / 100 for x in range(40, 50)]),
                ("employer_participation", [x / 100 for x in range(40, 50)]),
                ("slots_per_employer", range(10, 20)),
                ("social_capacity_per_1000", [x / 10 for x in range(10, 20)]),
            ]
        ),
        ["1,000,000,000", "上限"],
    ),
    (
        "draws: 10\nseed: 1\ndistributions:\n  rent: {distribution: uniform, low: 6, high: 3, source: assumption}\n",
        ["rent", "low 6", "high 3", "交换"],
    ),
    ("draws: -1\nseed: 1\n", ["draws", "-1", "正整数"]),
    ("draws: 10\nseed: abc\n", ["seed", "abc", "非负整数"]),
]


@pytest.mark.parametrize("body, words", BAD_SPECS, ids=["unknown", "huge_grid", "low_gt_high", "draws", "seed"])
def test_a_bad_spec_is_one_chinese_line_exit_2_and_nothing_written(data_copy, tmp_path, capsys, body, words):
    path = spec(tmp_path, "bad", "title: 坏方案\n" + body)
    assert main(["sweep", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert "bad.yaml" in err
    for w in words:
        assert w in err
    assert not (data_copy.parent / "outputs" / "sweeps").exists()


def test_validate_checks_the_declared_distributions(data_copy, capsys):
    path = data_copy / "parameters" / "costs.yaml"
    text = path.read_text("utf-8")
    assert "low: 2.5, mode: 4.0, high: 6.0" in text
    path.write_text(text.replace("low: 2.5, mode: 4.0, high: 6.0", "low: 6.5, mode: 4.0, high: 6.0"), "utf-8")
    assert main(["validate"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "costs.yaml" in err and "rent.uncertainty" in err and "low 6.5" in err


def test_params_shows_the_declared_ranges(capsys):
    assert main(["params"]) == 0
    out = capsys.readouterr().out
    assert "不确定性：三角分布 5000–6000–7000" in out
    assert "community: 三角分布 20000–30000–45000（假设）" in out


@pytest.mark.e2e
def test_the_scenario_report_names_the_band_and_the_top_assumptions_of_its_sweeps(data_copy, tmp_path):
    from tuoyu_model.presentation.report import sweeps_folder, uncertainty_markdown

    results = run_model("baseline")
    sweeps = data_copy.parent / "outputs" / "sweeps"
    assert uncertainty_markdown(results, sweeps) == ""  # no sweep yet: no section
    run_sweep(
        spec(tmp_path, "risk", "title: 风险\ndraws: 3\nseed: 2\nparameters: [caregiver_wage, rent]\n"), report=False
    )
    text = "title: 假设\nsensitivity: morris\ntrajectories: 2\nseed: 1\nparameters: [caregiver_wage, rent]\n"
    run_sweep(spec(tmp_path, "drivers", text), report=False)
    md = uncertainty_markdown(results, sweeps)
    band = json.loads((sweeps / "risk" / "summary.json").read_text("utf-8"))["public_cost_total_yuan"]
    assert md.startswith("## 不确定性")
    assert f"{band['p10'] / 1e4:,.2f}万元–{band['p90'] / 1e4:,.2f}万元" in md and "sweeps/risk/report.html" in md
    assert "保育人员月工资" in md and "sweeps/drivers/report.html" in md
    assert uncertainty_markdown(run_model("baseline", ["rent=5", NO_QUESTIONS]), sweeps) == ""  # not the same scenario
    assert sweeps_folder("") == sweeps


@pytest.mark.parametrize("path", sorted((Path(__file__).resolve().parents[1] / "data" / "sweeps").glob("*.yaml")))
def test_every_shipped_spec_is_valid(path):
    from tuoyu_model.sweep.spec import load_spec

    s = load_spec(path)
    assert s.title and 0 < s.n_points() <= 2000


@pytest.mark.parametrize(
    "options, words",
    [(["--jobs", "-1"], ["--jobs -1", "正整数"]), (["--dask-local", "0"], ["--dask-local 0", "正整数"])],
)
def test_bad_options_are_one_line_and_exit_2(data_copy, tmp_path, capsys, options, words):
    path = spec(tmp_path, "opts", SHARE_GRID)
    assert main(["sweep", str(path), *options]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and all(w in err for w in words)
    assert not (data_copy.parent / "outputs" / "sweeps" / "opts").exists()


@pytest.mark.e2e
def test_a_failed_sweep_keeps_the_previous_outputs(data_copy, tmp_path, monkeypatch):
    from tuoyu_model.errors import ReportError
    from tuoyu_model.sweep import run as sweep_run

    path = spec(tmp_path, "keep", "title: 保留\ngrid:\n  caregiver_wage: [5000, 6000]\n")
    folder = run_sweep(path, report=False).folder
    before = {p.relative_to(folder): p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    path.write_text("title: 保留\ngrid:\n  caregiver_wage: [6500, 7000]\n", encoding="utf-8")

    def broken(*args, **kwargs):
        raise ReportError("results.xlsx: simulated failure")

    monkeypatch.setattr(sweep_run, "write_workbook", broken)
    with pytest.raises(ReportError, match="中原有的输出未改动"):
        run_sweep(path, report=False)
    after = {p.relative_to(folder): p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    assert after == before
    assert not [p for p in folder.parent.iterdir() if p.name.startswith(".keep.tmp")]
