"""The solve cache: a remembered answer is the solver's own answer, and nothing else is ever read back."""

import json
import os

import pandas as pd
import pulp
import pytest

from tuoyu_model.allocation import inputs_from_parameters, solve_cache
from tuoyu_model.allocation.marginal import NO_QUESTIONS
from tuoyu_model.allocation.solver import run_solver, solver_version
from tuoyu_model.parameters import load_scenario
from tuoyu_model.results import run_model


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """A private, empty cache folder (memory cleared before and after)."""
    folder = tmp_path / "solves"
    monkeypatch.setenv(solve_cache.ENV, str(folder))
    solve_cache.clear_memory()
    yield folder
    solve_cache.clear_memory()


def knapsack(capacity: float = 10.0, name: str = "k") -> pulp.LpProblem:
    """A small integer program with one optimum: 3 items of weights 4, 5, 6 and values 5, 6, 8."""
    prob = pulp.LpProblem(name, pulp.LpMaximize)
    x = [prob.add_variable(f"x{i}", 0, 1, cat=pulp.LpInteger) for i in range(3)]
    prob.setObjective(5 * x[0] + 6 * x[1] + 8 * x[2])
    prob.addConstraint(4 * x[0] + 5 * x[1] + 6 * x[2] <= capacity, "weight")
    return prob


def values(prob: pulp.LpProblem) -> dict:
    return {v.name: v.varValue for v in prob.variables()}


def files(folder):
    return sorted(p for p in folder.rglob("*.json"))


def test_a_hit_gives_the_solvers_answer_without_solving(cache):
    first = knapsack()
    rec1 = run_solver(first, "highs", True, 0.0)
    assert not rec1.cached and len(files(cache)) == 1
    second = knapsack()
    rec2 = run_solver(second, "highs", True, 0.0)
    assert rec2.cached and rec2.solver_seconds == 0.0
    assert values(second) == values(first) == {"x0": 1.0, "x1": 0.0, "x2": 1.0}  # 4 + 6 ≤ 10, value 13
    assert rec2.objective == rec1.objective == 13.0


def test_the_folder_serves_another_process(cache):
    run_solver(knapsack(), "highs", True, 0.0)
    solve_cache.clear_memory()  # as a new process: only the folder remains
    again = knapsack()
    assert run_solver(again, "highs", True, 0.0).cached
    assert values(again)["x2"] == 1.0


@pytest.mark.parametrize(
    "change",
    [
        lambda p: p._constraints["weight"].changeRHS(9.0),  # a right-hand side
        lambda p: p.objective.__setitem__(p.variables()[0], 5.5),  # a cost
        lambda p: setattr(p.variables()[1], "upBound", 2),  # a bound
        lambda p: setattr(p.variables()[1], "cat", pulp.LpContinuous),  # integrality
    ],
)
def test_any_change_to_the_problem_is_another_key(cache, change):
    base = solve_cache.fingerprint(knapsack(), "highs", solver_version("highs"), True, 0.0, None)
    prob = knapsack()
    change(prob)
    assert solve_cache.fingerprint(prob, "highs", solver_version("highs"), True, 0.0, None) != base


def test_solver_version_and_gaps_are_part_of_the_key():
    prob = knapsack()
    keys = {
        solve_cache.fingerprint(prob, "highs", "HiGHS 1", True, 0.0, None),
        solve_cache.fingerprint(prob, "highs", "HiGHS 2", True, 0.0, None),
        solve_cache.fingerprint(prob, "cbc", "HiGHS 1", True, 0.0, None),
        solve_cache.fingerprint(prob, "highs", "HiGHS 1", True, 1e-6, None),
        solve_cache.fingerprint(prob, "highs", "HiGHS 1", True, 0.0, 0.5),
    }
    assert len(keys) == 5


def test_changed_capacity_is_solved_not_read_back(cache):
    run_solver(knapsack(10.0), "highs", True, 0.0)
    tight = knapsack(9.0)
    rec = run_solver(tight, "highs", True, 0.0)
    assert not rec.cached
    assert values(tight) == {"x0": 1.0, "x1": 1.0, "x2": 0.0}  # 4 + 5 ≤ 9, value 11


@pytest.mark.parametrize(
    "damage",
    [
        lambda e: "not json{",
        lambda e: json.dumps(e | {"key": "another"}),  # an answer to another problem
        lambda e: json.dumps(e | {"values": e["values"][:-1]}),  # one column short
        lambda e: json.dumps(e | {"values": [1, 1, "1"]}),  # not a number
        lambda e: json.dumps(e | {"format": 0}),  # another format
        lambda e: json.dumps(e | {"values": None}),  # 'optimal' without values
    ],
)
def test_a_damaged_or_foreign_file_is_ignored_and_replaced(cache, damage):
    run_solver(knapsack(), "highs", True, 0.0)
    (path,) = files(cache)
    path.write_text(damage(json.loads(path.read_text(encoding="utf-8"))), encoding="utf-8")
    solve_cache.clear_memory()
    prob = knapsack()
    rec = run_solver(prob, "highs", True, 0.0)
    assert not rec.cached  # solved again, not read from the damaged file
    assert values(prob) == {"x0": 1.0, "x1": 0.0, "x2": 1.0}
    assert json.loads(path.read_text(encoding="utf-8"))["values"] == [1.0, 0.0, 1.0]


def test_an_infeasible_answer_is_kept_for_the_questions_that_accept_one(cache):
    prob = knapsack()
    prob.addConstraint(pulp.lpSum(prob.variables()) >= 4, "impossible")
    assert run_solver(prob, "highs", True, 0.0, infeasible_ok=True).status == "Infeasible"
    again = knapsack()
    again.addConstraint(pulp.lpSum(again.variables()) >= 4, "impossible")
    rec = run_solver(again, "highs", True, 0.0, infeasible_ok=True)
    assert rec.cached and rec.status == "Infeasible"


def test_off_keeps_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv(solve_cache.ENV, "off")
    solve_cache.clear_memory()
    assert solve_cache.cache_folder() is None
    run_solver(knapsack(), "highs", True, 0.0)
    assert not run_solver(knapsack(), "highs", True, 0.0).cached


def test_lp_solves_are_never_cached(cache):
    prob = knapsack()
    for v in prob.variables():
        v.cat = pulp.LpContinuous
    run_solver(prob, "highs", False, 0.0)
    assert files(cache) == []
    assert not run_solver(prob, "highs", False, 0.0).cached


def test_an_unwritable_folder_still_solves(tmp_path, monkeypatch):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder", encoding="utf-8")
    monkeypatch.setenv(solve_cache.ENV, str(blocker / "solves"))
    solve_cache.clear_memory()
    prob = knapsack()
    assert run_solver(prob, "highs", True, 0.0).status == "Optimal"
    assert values(prob)["x2"] == 1.0
    assert blocker.read_text(encoding="utf-8") == "not a folder"


def test_a_cached_scenario_equals_a_fresh_solve(cache, monkeypatch):
    """Baseline's whole-slot plan (marginal questions off): every table the same, cache on or off."""
    steps = [NO_QUESTIONS]
    warm_up = run_model("baseline", steps)
    cached = run_model("baseline", steps)
    monkeypatch.setenv(solve_cache.ENV, "off")
    fresh = run_model("baseline", steps)
    for name in ("allocation", "stock", "budget", "budget_by_town", "commitments", "district"):
        pd.testing.assert_frame_equal(cached.tables[name], fresh.tables[name], check_exact=True)
        pd.testing.assert_frame_equal(warm_up.tables[name], fresh.tables[name], check_exact=True)
    assert cached.summary == fresh.summary


def test_the_folder_keeps_a_bounded_number_of_answers_and_nothing_else_is_removed(cache, monkeypatch):
    monkeypatch.setattr(solve_cache, "MAX_FILES", 3)
    mine = cache / "notes.txt"
    cache.mkdir(parents=True)
    mine.write_text("the user's own file", encoding="utf-8")
    written = set()
    for i, capacity in enumerate((4.0, 5.0, 6.0, 9.0, 10.0)):  # five different problems, five answers
        run_solver(knapsack(capacity), "highs", True, 0.0)
        (new,) = set(files(cache)) - written  # written one second after the one before
        os.utime(new, (1_700_000_000 + i, 1_700_000_000 + i))
        written = set(files(cache))
    kept = files(cache)
    assert len(kept) == 3
    assert mine.read_text(encoding="utf-8") == "the user's own file"
    newest = solve_cache.fingerprint(knapsack(10.0), "highs", solver_version("highs"), True, 0.0, None, "|threads=1")
    assert f"{newest}.json" in {p.name for p in kept}  # the least recently written went first


def test_highs_gets_the_thread_count_and_another_count_is_another_key(cache):
    # allocation.yaml's solver_threads (1: the same whole-slot plan on every machine) reaches HiGHS,
    # and an answer found with another thread count is not read back for it: it may be another plan
    # of the same cost. HiGHS refuses a run whose count differs from its process's first run
    # ('Not Solved') unless solver.highs_threads remakes its scheduler.
    assert load_scenario("baseline").parameters["solver_threads"] == 1
    assert inputs_from_parameters(load_scenario("baseline").parameters).solver_threads == 1
    one = knapsack()
    run_solver(one, "highs", True, 0.0)  # the default is the shipped 1
    assert one.solverModel.getOptionValue("threads")[1] == 1
    two = knapsack()
    rec = run_solver(two, "highs", True, 0.0, threads=2)
    assert not rec.cached and two.solverModel.getOptionValue("threads")[1] == 2
    assert len(files(cache)) == 2 and values(two) == values(one)
    assert run_solver(knapsack(), "highs", True, 0.0, threads=2).cached
    # back to 1 in the same process: HiGHS's scheduler is remade each time (it refused the run before)
    assert run_solver(knapsack(9.0), "highs", True, 0.0).status == "Optimal"
