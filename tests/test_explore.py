"""The what-if explorer without a browser: controls → parameters → re-plan → the numbers shown.

The reference is ``tuoyu run --set`` (:func:`run_model` with the same ``--set``): the explorer's
fast re-plan must show the public money and shortfall the full run writes to ``summary.json``.
"""

import json
import re

import pytest

from tuoyu_model import cli
from tuoyu_model.allocation.marginal import NO_QUESTIONS
from tuoyu_model.explore import serve
from tuoyu_model.explore.app import ExploreApp
from tuoyu_model.explore.plan import headline
from tuoyu_model.explore.session import ExploreSession
from tuoyu_model.parameters import load_scenario
from tuoyu_model.paths import PROJECT_ROOT
from tuoyu_model.results import run_model

MONEY_TOL = 0.01  # yuan: both sides round each budget item to the fen


@pytest.fixture(scope="module")
def baseline_app():
    return ExploreApp(ExploreSession("baseline"))


def type_in(app, key, text):
    """Type ``text`` into control ``key`` as a user does, and wait for the whole-slot plan (shown after a preview)."""
    app.texts[key].value = text
    app.session.wait(timeout=120)


def cell(html_text, key):
    """Text of the headline cell ``id='tuoyu-<key>'``."""
    m = re.search(rf"id='tuoyu-{key}'>([^<]*)<", html_text)
    assert m, f"no cell tuoyu-{key} in the headline"
    return m.group(1)


@pytest.mark.e2e
@pytest.mark.parametrize("budget_wan", ["1,000", "1800"])
def test_budget_2025_typed_in_the_control_shows_what_tuoyu_run_set_gives(baseline_app, budget_wan):
    app = baseline_app
    type_in(app, "budget.2025", budget_wan)
    assert app.messages["budget.2025"].value == ""
    yuan = float(budget_wan.replace(",", "")) * 10_000
    ref = run_model("baseline", [f"budget.2025={yuan:.0f}", NO_QUESTIONS]).summary
    plan = app.session.plan
    for y in (2024, 2025):
        assert plan.public_cost_yuan[y] == pytest.approx(ref["public_cost_yuan"][str(y)], abs=MONEY_TOL)
        assert plan.inclusive_share[y] == pytest.approx(ref["inclusive_share"][str(y)], abs=1e-4)
    assert plan.shortfall_final_slots == pytest.approx(ref["shortfall_final_slots"], abs=1e-6)
    # what is on the page, formatted as the report formats it
    shown = app.headline.value
    assert cell(shown, "shortfall") == f"{ref['shortfall_final_slots']:,.0f}个"
    assert cell(shown, "public-cost-2025") == f"{ref['public_cost_yuan']['2025'] / 1e4:,.2f}万元"
    assert cell(shown, "fee-cap-2025") == f"{ref['fee_cap_yuan']['2025']:,.0f}元/人·月"
    assert "2025年年度财政预算由不设上限改为" in app.sentence.value
    app._reset()


def test_a_1000_wan_budget_leaves_a_shortfall_the_sentence_reports(baseline_app):
    app = baseline_app
    before = cell(app.headline.value, "shortfall")
    type_in(app, "budget.2025", "1000")
    after = cell(app.headline.value, "shortfall")
    assert before == "0个" and after != before
    assert "2025年底目标缺口由0个变为" in app.session.sentence()
    assert app.session.plan.budget_yuan[2025] == 10_000_000
    app._reset()
    assert cell(app.headline.value, "shortfall") == "0个"
    assert app.session.sentence().startswith("当前设置与起始情景")


@pytest.mark.parametrize(
    ("key", "typed", "words"),
    [
        ("budget.2025", "很多", "不是数字"),
        ("budget.2025", "-100", "不能小于0万元"),
        ("fee_cap_share", "150", "不能大于100%"),
        ("household_size", "", "不能为空"),
        ("caregiver_wage", "abc元", "不是数字"),
    ],
)
@pytest.mark.e2e
def test_a_bad_value_shows_a_chinese_message_beside_the_control_and_changes_nothing(baseline_app, key, typed, words):
    app = baseline_app
    plan = app.session.plan
    type_in(app, key, typed)
    assert words in app.messages[key].value
    assert app.session.plan is plan and not app.session.values
    # the app keeps working: a good value afterwards re-plans and clears the message
    app.texts[key].value = app.session.controls[key].text(app.session.value(key)) or "3000"
    assert app.messages[key].value == ""
    app._reset()


def test_a_value_the_model_refuses_is_a_message_too():
    s = ExploreSession("baseline")
    msg = s.set("inclusive_share_target.2025", "0.5")  # fine: 0.5% is a (silly) share
    assert msg is None
    s.reset()
    assert s.set("capital_cost.community", "-1").startswith("新增托位建设成本（社区托育点）不能小于0")


@pytest.mark.e2e
def test_starting_from_budget_cut_20_a_fee_change_matches_the_full_run():
    s = ExploreSession("budget_cut_20")
    assert s.set("fee_cap_share", "18") is None
    ref = run_model("budget_cut_20", ["fee_cap_share=0.18", NO_QUESTIONS]).summary
    assert s.plan.public_cost_total_yuan == pytest.approx(ref["public_cost_yuan"]["total"], abs=2 * MONEY_TOL)
    assert s.plan.shortfall_final_slots == pytest.approx(ref["shortfall_final_slots"], abs=1e-6)
    assert headline(s.plan)["fee_cap_2025"] == f"{ref['fee_cap_yuan']['2025']:,.0f}元/人·月"


@pytest.mark.e2e
def test_save_writes_a_scenario_tuoyu_runs_and_validate_accepts(data_copy, capsys):
    app = ExploreApp(ExploreSession("budget_cut_20"))
    type_in(app, "budget.2025", "2,500")
    type_in(app, "household_size", "2.8")
    app.save_name.value = "cut_2025_2500"
    app._save()
    path = data_copy / "scenarios" / "cut_2025_2500.yaml"
    assert path.is_file(), app.save_message.value
    assert "tuoyu run cut_2025_2500" in app.save_message.value
    saved = load_scenario("cut_2025_2500")
    assert saved.parameters.data == app.session.params.data  # the run gets exactly the explorer's settings
    assert saved.overrides["budget_share_of_need"] == 0.8  # the starting scenario's own overrides kept
    assert "2025年年度财政预算由不设上限改为2,500万元" in saved.description
    ref = run_model("cut_2025_2500", [NO_QUESTIONS]).summary
    assert app.session.plan.shortfall_final_slots == pytest.approx(ref["shortfall_final_slots"], abs=1e-6)
    assert cli.main(["validate"]) == 0
    assert "cut_2025_2500" in capsys.readouterr().out
    assert not [p for p in (data_copy / "scenarios").iterdir() if p.name.startswith(".")]  # no scratch left


@pytest.mark.parametrize(
    ("name", "words"),
    [("baseline", "随模型发布的情景"), ("", "不可用"), ("../evil", "不可用"), ("情景一", "不可用")],
)
def test_save_refuses_shipped_and_unusable_names(data_copy, name, words):
    app = ExploreApp(ExploreSession("baseline"))
    before = {p.name: p.read_bytes() for p in (data_copy / "scenarios").iterdir()}
    app.save_name.value = name
    app._save()
    assert words in app.save_message.value
    assert {p.name: p.read_bytes() for p in (data_copy / "scenarios").iterdir()} == before


def test_save_never_overwrites_a_users_file(data_copy):
    mine = data_copy / "scenarios" / "mine.yaml"
    mine.write_bytes((data_copy / "scenarios" / "household_3.yaml").read_bytes())
    before = mine.read_bytes()
    s = ExploreSession("baseline")
    s.set("fee_cap_share", "15")
    with pytest.raises(Exception, match="已有同名情景文件"):
        s.save("mine")
    assert mine.read_bytes() == before


def test_controls_cover_the_questions_of_the_issue():
    s = ExploreSession("baseline")
    keys = set(s.controls)
    for k in (
        "budget.2024",
        "budget.2025",
        "inclusive_share_target.2025",
        "fee_cap_share",
        "inclusive_fee_share_of_cap",
        "household_size",
        "occupancy_rate",
        "caregiver_wage",
        "capital_cost.kindergarten",
    ):
        assert k in keys
    assert any(k.startswith("district_income") or "income" in k for k in keys)
    assert all(re.search("[\u4e00-\u9fff]", c.label) for c in s.controls.values())


def test_explore_without_voila_says_what_to_install(monkeypatch, capsys):
    monkeypatch.setattr(serve, "missing_packages", lambda: ["voila"])
    assert cli.main(["explore"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and 'pip install -e ".[explore]"' in err[0] and "安装" in err[0]


def test_explore_with_an_unknown_scenario_is_one_line_exit_2(capsys):
    assert cli.main(["explore", "no_such_scenario"]) == 2
    assert "no_such_scenario" in capsys.readouterr().err


def test_explore_on_a_busy_port_is_a_chinese_line_exit_2(capsys):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        assert cli.main(["explore", "--port", str(port)]) == 2
    assert "端口已被占用" in capsys.readouterr().err


def test_the_notebook_is_stored_without_outputs_and_has_a_parameters_cell():
    nb = json.loads((PROJECT_ROOT / "notebooks" / "explore.ipynb").read_text(encoding="utf-8"))
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in code)
    assert "parameters" in code[0]["metadata"].get("tags", [])
    assert "explore_app(scenario)" in "".join(code[-1]["source"])


def _perturbed(control, value):
    if control.free_text:  # an order such as requirement_priority's: the same items, reversed
        return " > ".join(reversed(str(value).split(" > ")))
    if control.name.startswith("budget"):  # the total budget and the city's / district's own
        return 20_000_000.0
    if control.unit == "%":
        return round(0.9 * value, 4)
    return value * 1.1 if not control.integer else int(value) + 1


@pytest.mark.parametrize("scenario", ["baseline", "budget_cut_20"])
def test_reused_inputs_equal_a_full_rebuild_for_every_control(scenario):
    import dataclasses

    import pandas as pd

    from tuoyu_model.allocation import inputs_from_parameters
    from tuoyu_model.explore.controls import overrides_of
    from tuoyu_model.explore.plan import plan_inputs
    from tuoyu_model.explore.session import WHERE
    from tuoyu_model.parameters import apply_overrides

    s = ExploreSession(scenario)
    for key, control in s.controls.items():
        if control.choices:
            continue
        value = _perturbed(control, s.value(key))
        params = apply_overrides(s.start.parameters, overrides_of({control: value}), WHERE)
        fast, _ = plan_inputs(params, s.start_inputs, {control.name}, s.targets, s.towns)
        full = inputs_from_parameters(params, s.targets, s.towns)
        for f in dataclasses.fields(full):
            a, b = getattr(fast, f.name), getattr(full, f.name)
            if isinstance(b, pd.DataFrame):
                pd.testing.assert_frame_equal(a, b, check_exact=True, obj=f"{key}: {f.name}")
            else:
                assert a == b, (key, f.name)


@pytest.mark.e2e
def test_the_notebook_runs_under_papermill_and_shows_the_app(tmp_path):
    import nbformat

    from tuoyu_model.runs.notebook import execute_notebook

    out = tmp_path / "explore.ipynb"
    execute_notebook(PROJECT_ROOT / "notebooks" / "explore.ipynb", out, {"scenario": "household_3"}, tmp_path)
    nb = nbformat.read(out, as_version=4)
    app = nb.cells[-1]
    assert [o.get("output_type") for o in app.outputs] == ["execute_result"]
    assert "application/vnd.jupyter.widget-view+json" in app.outputs[0]["data"]
    assert nb.metadata["papermill"]["parameters"] == {"scenario": "household_3"}


def test_controls_follow_parameters_that_later_rounds_add():
    # issue 10's rationing rule and priority order, issue 11's income area and income ratio by
    # measure: a control appears once its parameter exists, with the parameter's own checks.
    from tuoyu_model.explore.controls import controls_for
    from tuoyu_model.parameters import Parameters

    base = load_scenario("baseline").parameters
    common = {"source": "x", "year": 2025, "confidence": "high", "status": "setting", "file": "allocation.yaml"}
    meta = dict(base.meta)
    meta["rationing_rule"] = {
        **common,
        "label": {"zh": "缺口分配规则", "en": "Rationing rule"},
        "unit": "choice",
        "value": "equity",
        "type": "text",
        "choices": ["equity", "least_cost"],
    }
    meta["requirement_priority"] = {
        **common,
        "label": {"zh": "规划要求优先次序", "en": "Priority"},
        "unit": "order",
        "value": "coverage+centre > share > total+inclusive",
        "type": "text",
    }
    ratio = {"all": 0.7283, "urban": 0.7773, "rural": 1.0054}
    meta["district_income_ratio"] = {**base.meta["district_income_ratio"], "value": ratio, "index": "income_measure"}
    data = {**base.data, "rationing_rule": "equity", "district_income_ratio": ratio}
    data["requirement_priority"] = meta["requirement_priority"]["value"]
    controls = {c.key: c for c in controls_for(Parameters(data, meta), [2024, 2025])}
    rule = controls["rationing_rule"]
    assert rule.choices == ("equity", "least_cost") and rule.parse("least_cost") == "least_cost"
    with pytest.raises(Exception, match="请从以下选项中选择"):
        rule.parse("random")
    order = controls["requirement_priority"]
    assert order.free_text and order.parse(" share > total ") == "share > total"
    with pytest.raises(Exception, match="不能为空"):
        order.parse("")
    # only the income measure in use (income_measure: all) gets a control, named in Chinese
    ratios = [k for k in controls if k.startswith("district_income_ratio")]
    assert ratios == ["district_income_ratio.all"]
    assert controls["district_income_ratio.all"].label == "大兴相对北京收入系数（全体居民）"


@pytest.mark.e2e
def test_tuoyu_explore_stops_cleanly_on_ctrl_c(data_copy):
    # Ctrl-C in a terminal reaches the whole foreground process group: the server says it stopped,
    # exits 0, and nothing listens on the port any more.
    import os
    import selectors
    import signal
    import socket
    import subprocess
    import sys
    import time

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "tuoyu_model", "explore", "household_3", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
        start_new_session=True,
        # as from a terminal: SIGINT not ignored, even when the suite itself runs as a background job
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        sel = selectors.DefaultSelector()
        sel.register(proc.stdout, selectors.EVENT_READ)
        line = proc.stdout.readline() if sel.select(timeout=180) else ""
        sel.close()
        assert line.startswith("情景探索已启动：请在浏览器中打开 http://127.0.0.1:"), (line, proc.poll())
        os.killpg(proc.pid, signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
    assert proc.returncode == 0, err
    assert "情景探索已停止" in out and "Traceback" not in err

    def listening():
        with socket.socket() as s:
            return s.connect_ex(("127.0.0.1", port)) == 0

    deadline = time.monotonic() + 10
    while listening() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not listening()


def test_a_scenario_file_reaches_the_kernel_as_a_full_path_and_our_python_runs_it(tmp_path, monkeypatch):
    import sys

    (tmp_path / "mine.yaml").write_bytes((PROJECT_ROOT / "data" / "scenarios" / "household_3.yaml").read_bytes())
    monkeypatch.chdir(tmp_path)
    assert serve.kernel_scenario("mine.yaml") == str(tmp_path / "mine.yaml")
    assert serve.kernel_scenario("household_3") == "household_3"
    cmd = serve.voila_command(PROJECT_ROOT / "notebooks" / "explore.ipynb", 8866)
    assert "--Voila.ip=127.0.0.1" in cmd and "--Voila.port_retries=0" in cmd
    manager = next(a.split("=", 1)[1] for a in cmd if a.startswith("--VoilaConfiguration.kernel_spec_manager_class="))
    module, _, name = manager.rpartition(".")
    spec = getattr(__import__(module, fromlist=[name]), name)().get_kernel_spec("python3")
    assert spec.argv[0] == sys.executable


def test_the_budget_row_shows_the_limit_each_year_kept_to():
    # budget_cut_20: no budget is set, 80% of the uncut plan's spending is (the run's own rule)
    s = ExploreSession("budget_cut_20")
    ref = run_model("budget_cut_20", [NO_QUESTIONS]).tables["budget_limits"].set_index("year")["budget_yuan"]
    h = headline(s.plan)
    for y in (2024, 2025):
        assert s.plan.budget_yuan[y] == pytest.approx(ref[y], abs=MONEY_TOL)
        assert h[f"budget_{y}"] == f"{ref[y] / 1e4:,.2f}万元"
    assert headline(ExploreSession("baseline").plan)["budget_2025"] == "不设上限"


def test_a_choice_in_its_list_matches_the_run_and_is_said_in_chinese(baseline_app):
    app = baseline_app
    type_in(app, "income_area", "beijing")
    ref = run_model("baseline", ["income_area=beijing", NO_QUESTIONS]).summary
    assert app.session.plan.public_cost_total_yuan == pytest.approx(ref["public_cost_yuan"]["total"], abs=2 * MONEY_TOL)
    assert cell(app.headline.value, "fee-cap-2025") == f"{ref['fee_cap_yuan']['2025']:,.0f}元/人·月"
    assert "收费上限所用收入地区由大兴区本区收入改为北京市收入" in app.sentence.value
    app._reset()
    assert app.texts["income_area"].value == "daxing"
