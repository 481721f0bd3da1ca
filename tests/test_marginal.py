"""Marginal values by re-solving (issue 10): every row is the difference of two separate runs.

``tables/marginal_values.csv`` is computed by changing the plan's own built model and solving
it again. Here each row is checked against two ``tuoyu run`` results — the scenario, and the
scenario with ``--set`` at the step — run through the CLI in-process (one row as a subprocess),
and a re-solve against a fresh build and solve at the changed value.
"""

import json
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from tuoyu_model.allocation import create_model, inputs_from_parameters, solve
from tuoyu_model.allocation.marginal import (
    NO_QUESTIONS,
    Question,
    Timing,
    changed,
    marginal_values,
    plan_figures,
    share_sums,
    share_value,
)
from tuoyu_model.allocation.priority import solve_model
from tuoyu_model.cli import main
from tuoyu_model.parameters import load_scenario
from tuoyu_model.paths import PROJECT_ROOT
from tuoyu_model.results import run_model


def _set_for(row, inputs, limits) -> str:
    """The --set that puts the scenario at the row's step."""
    y = int(row["year"])
    if row["question"] == "share_point":
        q = Question("share_point", y, float(row["step"]))
        return f"inclusive_share_target.{y}={share_value(inputs, q)!r}"
    if row["question"] == "budget":
        b = float(limits.set_index("year").at[y, "budget_yuan"])
        return f"budget.{y}={b + float(row['step'])!r}"
    return f"extra_target_slots.{row['town_id']}={int(row['step'])}"


def _figures(folder, year) -> dict:
    """Public money (plan years) and the year-end's slots and slots missing, read from a run's outputs."""
    s = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    y = str(year)
    return {
        "money": s["public_cost_yuan"]["total"],
        "total": s["total_slots"][y],
        "inclusive": s["inclusive_slots"][y],
        "missing": s["shortfall_by_year"][y],
    }


def _run(tmp_path, scenario, *sets) -> "object":
    out = tmp_path / f"out{len(list(tmp_path.iterdir()))}"
    args = ["run", scenario, "--no-report", "--out", str(out), "--set", NO_QUESTIONS]
    for s in sets:
        args += ["--set", s]
    assert main(args) == 0
    (folder,) = [p for p in out.iterdir() if p.is_dir()]
    return folder


def _check_rows(tmp_path, scenario, pick=None):
    res = run_model(scenario)
    table = res.tables["marginal_values"]
    inputs = inputs_from_parameters(res.scenario.parameters)
    base_folder = _run(tmp_path, scenario)
    rows = table[table.available.astype(bool)]
    if pick is not None:
        rows = rows[pick(rows)]
    assert len(rows)
    for row in rows.to_dict("records"):
        y = int(row["year"])
        base = _figures(base_folder, y)
        new = _figures(_run(tmp_path, scenario, _set_for(row, inputs, res.tables["budget_limits"])), y)
        assert row["public_cost_change_yuan"] == pytest.approx(new["money"] - base["money"], abs=0.02), row
        assert row["total_slots_change"] == pytest.approx(new["total"] - base["total"], abs=1e-6), row
        assert row["inclusive_slots_change"] == pytest.approx(new["inclusive"] - base["inclusive"], abs=1e-6), row
        assert row["shortfall_change_slots"] == pytest.approx(new["missing"] - base["missing"], abs=1e-6), row
    return table


@pytest.mark.e2e
def test_every_baseline_row_is_the_difference_of_two_runs(tmp_path):
    table = _check_rows(tmp_path, "baseline")
    # the baseline has no budget row: the budget questions are there, marked not available
    budget = table[table.question == "budget"]
    assert len(budget) == 2 and not budget.available.astype(bool).any()
    assert budget.public_cost_change_yuan.isna().all()
    # one more point of 2025 share costs money and buys inclusive slots (the share binds in 2025)
    share25 = table[(table.question == "share_point") & (table.year == 2025)].iloc[0]
    assert share25.public_cost_change_yuan > 0 and share25.slots_change > 0


@pytest.mark.e2e
def test_budget_rows_under_a_cut_are_the_difference_of_two_runs(tmp_path):
    table = _check_rows(tmp_path, "budget_cut_20", pick=lambda r: r.question == "budget")
    budget = table[table.question == "budget"]
    # 100万元 more in 2025 (the year whose budget binds) removes shortfall, each slot counted once:
    # never more slots than the money could pay even at the cheapest public price of a slot (a
    # conversion's). 2024's money is not all spent under life-cycle money (what it would build
    # needs 2025 operating subsidies), so 100万元 more there changes nothing — as the two runs show.
    by_year = budget.set_index("year")
    assert by_year.slots_change[2025] > 0 and by_year.slots_change[2024] == 0
    assert by_year.public_cost_change_yuan[2024] == 0
    assert (budget.slots_change <= 1e6 / 3_000).all()


@pytest.mark.e2e
def test_one_row_as_a_subprocess(tmp_path):
    res = run_model("baseline")
    row = res.tables["marginal_values"].query("question == 'share_point' and year == 2025").iloc[0]
    inputs = inputs_from_parameters(res.scenario.parameters)
    step = _set_for(row, inputs, res.tables["budget_limits"])
    folders = []
    for sets in ([], [step]):
        out = tmp_path / f"sub{len(folders)}"
        args = [sys.executable, "-m", "tuoyu_model", "run", "baseline", "--no-report", "--out", str(out)]
        for s in [NO_QUESTIONS, *sets]:
            args += ["--set", s]
        proc = subprocess.run(args, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0, proc.stderr
        folders.append(next(p for p in out.iterdir() if p.is_dir()))
    base, new = (_figures(f, 2025) for f in folders)
    assert row.public_cost_change_yuan == pytest.approx(new["money"] - base["money"], abs=0.02)
    assert row.slots_change == pytest.approx(new["inclusive"] - base["inclusive"], abs=1e-6)


@pytest.mark.parametrize(
    ("question", "town"), [("share_point", ""), ("unit_target", "huangcun"), ("unit_target", "jiugong")]
)
def test_a_resolve_equals_a_fresh_build_and_solve(question, town):
    params = load_scenario("baseline").parameters
    inputs = inputs_from_parameters(params)
    plan = solve(inputs).plan
    q = Question(question, 2025, 1.0 if question == "share_point" else 10.0, town_id=town)
    over = (
        {"inclusive_share_target": {2025: share_value(inputs, q)}}
        if question == "share_point"
        else {"extra_target_slots": {town: 10}}
    )
    fresh = solve(inputs_from_parameters(load_scenario("baseline", over).parameters)).plan
    with changed(plan.model, q) as ok:
        assert ok
        again = solve_model(plan.model, plan.record.solver_name)
    assert again.record.objective == pytest.approx(fresh.record.objective, rel=1e-9)
    assert plan_figures(again) == plan_figures(fresh)
    np.testing.assert_array_equal(again.x, fresh.x)


def test_the_model_is_put_back_after_the_questions():
    params = load_scenario("baseline").parameters
    result = solve(inputs_from_parameters(params))
    model = result.plan.model
    before = [(c.constant, dict(c.expr)) for c in model.rows.cons]
    marginal_values(result, params["marginal_value_steps"])
    after = [(c.constant, dict(c.expr)) for c in model.rows.cons]
    assert before == after
    # and solving it again gives the plan itself
    again = solve_model(model, result.plan.record.solver_name)
    np.testing.assert_array_equal(again.x, result.plan.x)


def test_a_step_of_zero_asks_nothing():
    params = load_scenario("baseline").parameters
    result = solve(inputs_from_parameters(params))
    none = {"share_points": 0, "budget_yuan": 0, "target_slots": 0, "target_units": 0}
    assert marginal_values(result, none).empty
    only_units = {"share_points": 0, "budget_yuan": 0, "target_slots": 10, "target_units": 2}
    table = marginal_values(result, only_units)
    assert list(table.question) == ["unit_target", "unit_target"]
    # the two units with the largest 2025 total target (the stated rule)
    tg = result.plan.model.inputs.targets.query("year == 2025").nlargest(2, "target_total")
    assert set(table.town_id) == set(tg.town_id)


def test_the_csv_has_the_issue_columns_first_and_chinese_sentences(tmp_path):
    assert main(["run", "baseline", "--no-report", "--out", str(tmp_path)]) == 0
    df = pd.read_csv(tmp_path / "baseline" / "tables" / "marginal_values.csv", encoding="utf-8-sig")
    first = ["question", "question_zh", "year", "step", "step_unit", "public_cost_change_yuan", "slots_change"]
    assert list(df.columns[: len(first) + 1]) == [*first, "sentence_zh"]
    assert df.sentence_zh.str.contains("年").all()
    share25 = df.query("question == 'share_point' and year == 2025").iloc[0]
    assert "万元" in share25.sentence_zh and "普惠托位增加" in share25.sentence_zh
    assert df.query("question == 'budget'").sentence_zh.str.contains("未设预算上限").all()


# --- The share question's re-solve over whole sums, and the questions answered in a forked child ---


def _share_changed(scenario):
    """A scenario's plan with its 2025 share row raised one point (the row changed in place), and the question."""
    params = load_scenario(scenario).parameters
    plan = solve(inputs_from_parameters(params)).plan
    return plan, Question("share_point", 2025, 1.0)


@pytest.mark.parametrize("scenario", ["beijing_income", "flat_subsidy", "no_conversions"])
def test_the_share_row_over_whole_sums_gives_the_plain_solves_answer(scenario):
    # Scenarios whose plain share re-solve is fast: the restated row must not change what is optimal.
    plan, q = _share_changed(scenario)
    with changed(plan.model, q) as ok:
        assert ok
        agg = share_sums(plan.model, q)
        assert agg is not None and agg.coefficients[0] == 1.0
        plain = solve_model(plan.model, "highs")
        fast = solve_model(plan.model, "highs", aggregated=agg)
    assert fast.record.objective == pytest.approx(plain.record.objective, rel=1e-9)
    assert plan_figures(fast) == plan_figures(plain)


def test_the_whole_sums_state_the_changed_row_itself():
    # K + (1 - s)·Y, expanded, is the changed share row term by term (one sum for 1, one for 1 - s).
    plan, q = _share_changed("baseline")
    model = plan.model
    with changed(model, q):
        agg = share_sums(model, q)
        rows = zip(model.rows.cons, model.rows.family, model.rows.year, strict=True)
        row = next(c for c, f, y in rows if f == "share" and y == 2025)
        expanded: dict = {}
        for terms, coef in zip(agg.sums, agg.coefficients, strict=True):
            for var, c in terms:
                expanded[var.name] = expanded.get(var.name, 0.0) + coef * c
        assert expanded.keys() == {v.name for v in row.expr}
        for var, c in row.expr.items():
            assert expanded[var.name] == pytest.approx(c, abs=1e-12)
        assert agg.lower == pytest.approx(-row.constant, abs=1e-9)


def test_a_restated_row_reaches_the_solver_and_is_keyed_apart(monkeypatch, tmp_path):
    # A restatement that is NOT the row (its right-hand side 50 higher) must change the answer:
    # proof that HiGHS gets the rows; and the cache keeps the two answers apart.
    from dataclasses import replace

    from tuoyu_model.allocation import solve_cache

    monkeypatch.setenv(solve_cache.ENV, str(tmp_path / "solves"))
    solve_cache.clear_memory()
    plan, q = _share_changed("flat_subsidy")
    with changed(plan.model, q):
        agg = share_sums(plan.model, q)
        right = solve_model(plan.model, "highs", aggregated=agg)
        wrong = solve_model(plan.model, "highs", aggregated=replace(agg, lower=agg.lower + 50))
        again = solve_model(plan.model, "highs", aggregated=agg)
    assert wrong.record.objective > right.record.objective + 1.0
    assert again.record.cached and again.record.objective == right.record.objective
    solve_cache.clear_memory()


def test_no_whole_sums_where_the_question_is_not_a_share_or_the_model_is_relaxed():
    plan, q = _share_changed("baseline")
    assert share_sums(plan.model, Question("unit_target", 2025, 10.0, town_id="huangcun")) is None
    relaxed = create_model(plan.model.inputs, plan.model.budget_rhs, integer=False)
    assert share_sums(relaxed, q) is None


def test_questions_answered_in_a_forked_child_are_the_same_and_fill_the_cache(monkeypatch, tmp_path):
    from tuoyu_model.allocation import solve_cache

    params = load_scenario("baseline").parameters
    result = solve(inputs_from_parameters(params))
    steps = params["marginal_value_steps"]
    monkeypatch.setenv(solve_cache.ENV, str(tmp_path / "solves"))
    solve_cache.clear_memory()
    alone = marginal_values(result, steps, fork=False)
    solve_cache.clear_memory()
    for p in (tmp_path / "solves").rglob("*.json"):
        p.unlink()
    from tuoyu_model.allocation import marginal

    got, plain = [], marginal._child_answers
    monkeypatch.setattr(marginal, "_child_answers", lambda *a: got.append(plain(*a)) or got[-1])
    forked = marginal_values(result, steps, fork=True)
    pd.testing.assert_frame_equal(forked, alone)
    assert [sorted(g) for g in got] == [[4]]  # the child answered the second question solved (huangcun)
    # the child's solves are in this process's memory: with the folder emptied, nothing is solved again
    for p in (tmp_path / "solves").rglob("*.json"):
        p.unlink()
    timing = Timing()
    marginal_values(result, steps, timing, fork=False)
    assert timing.count == 3 and timing.solver == 0.0
    solve_cache.clear_memory()


def _baseline_alone(monkeypatch):
    """The baseline plan, its steps and its table answered without a fork (the solve cache off)."""
    from tuoyu_model.allocation import solve_cache

    monkeypatch.setenv(solve_cache.ENV, "off")
    params = load_scenario("baseline").parameters
    result = solve(inputs_from_parameters(params))
    steps = params["marginal_value_steps"]
    return result, steps, marginal_values(result, steps, fork=False)


def test_a_child_that_fails_only_costs_time(monkeypatch):
    from tuoyu_model.allocation import marginal

    result, steps, alone = _baseline_alone(monkeypatch)
    parent, plain = os.getpid(), marginal._answer

    here = []

    def answer(plan, q, needs_solve):
        if os.getpid() != parent:
            raise RuntimeError("the child fails")
        here.append((q.question, q.town_id))
        return plain(plan, q, needs_solve)

    monkeypatch.setattr(marginal, "_answer", answer)
    pd.testing.assert_frame_equal(marginal_values(result, steps, fork=True), alone)
    # the child's question (huangcun's target) was answered here after the others, once the child had failed
    assert len(here) == len(alone) and here[-1] == ("unit_target", "huangcun")


def test_a_child_that_hangs_is_stopped_and_its_questions_answered_here(monkeypatch):
    import time

    from tuoyu_model.allocation import marginal

    result, steps, alone = _baseline_alone(monkeypatch)
    parent, plain = os.getpid(), marginal._answer

    def answer(plan, q, needs_solve):
        if os.getpid() != parent:
            time.sleep(60)  # the child hangs
        return plain(plan, q, needs_solve)

    monkeypatch.setattr(marginal, "_answer", answer)
    monkeypatch.setattr(marginal, "CHILD_TIMEOUT_S", 1)
    t0 = time.perf_counter()
    pd.testing.assert_frame_equal(marginal_values(result, steps, fork=True), alone)
    assert time.perf_counter() - t0 < 30
