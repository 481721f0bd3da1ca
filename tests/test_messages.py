"""What the people who run the model read is Chinese; ``TUOYU_LANG=en`` gives developers English.

Every broken input's message is checked for Chinese prose in ``tests/test_broken_inputs.py``
(``assert_chinese``, defined there); here: that check can fail, every command's ``--help`` is
Chinese, English comes back with ``TUOYU_LANG=en``, and a run's console ends with the report to open.
"""

from __future__ import annotations

import argparse
import ast
import re
import shutil
from dataclasses import replace

import pytest

from tests.test_broken_inputs import CASES, _prepare, assert_chinese
from tuoyu_model.allocation.formulas import parse_priority
from tuoyu_model.allocation.inputs import inputs_from_parameters, toy_inputs
from tuoyu_model.allocation.model import check_objective_inputs
from tuoyu_model.allocation.solver import resolve_solver
from tuoyu_model.cli import build_parser, main
from tuoyu_model.costs import CHANNELS
from tuoyu_model.errors import DataError, TuoyuError, did_you_mean, english, pick
from tuoyu_model.income import income_basis
from tuoyu_model.parameters import default_parameters, load_scenario
from tuoyu_model.paths import PACKAGE_DIR
from tuoyu_model.presentation import chart_style
from tuoyu_model.pricing import inclusive_fee, operating_subsidy
from tuoyu_model.runs import parallel
from tuoyu_model.runs.scenario import RunRecord
from tuoyu_model.units import UNIT_ZH


def commands(parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], object]]:
    """Every command and subcommand of ``parser`` with its own parser: ``[((), tuoyu), (("run",), run), …]``."""
    out = [(prefix, parser)]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                out += commands(sub, (*prefix, name))
    return out


COMMANDS = [c for c, _ in commands(build_parser())]


def test_the_chinese_check_can_fail():
    assert_chinese("data/targets.csv: 第 4 行，列 'total_slots' = -380 是负数；托位数都应不小于 0")
    for english_line in (
        "data/targets.csv: row 4, column 'total_slots' = -380 is negative; slot counts must be ≥ 0",
        "scenario 'baselin' not found (did you mean 'baseline'?); known scenarios: baseline",
        "data/targets.csv：找不到 file; restore it from the repository",  # mostly English with a little Chinese
    ):
        with pytest.raises(AssertionError, match="not Chinese"):
            assert_chinese(english_line)


def test_every_command_is_listed():
    assert {"validate", "run", "compare", "sweep", "progress", "explore"} <= {c[0] for c in COMMANDS if c}
    assert ("data", "template") in COMMANDS and ("data", "import") in COMMANDS


@pytest.mark.parametrize("command", COMMANDS, ids=[" ".join(c) or "tuoyu" for c in COMMANDS])
def test_help_of_every_command_is_chinese(command, capsys):
    with pytest.raises(SystemExit) as exc:
        main([*command, "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("用法：tuoyu") and "选项" in out
    for english_word in ("usage:", "options:", "positional arguments", "show this help"):
        assert english_word not in out
    # each line a command or option is described on, and the description, is Chinese
    parser = dict(commands(build_parser()))[command]
    texts = [parser.description] if parser.description else []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            texts += [a.help for a in action._choices_actions]
        elif action.help:
            texts.append(action.help)
    assert texts
    for text in texts:
        assert_chinese(text)
        assert text.split("（")[0] in " ".join(out.split())  # shown (argparse may wrap it)


def test_english_for_developers(monkeypatch, capsys):
    monkeypatch.setenv("TUOYU_LANG", "en")
    assert english() and pick("中文", "English") == "English" and pick("只有中文") == "只有中文"
    with pytest.raises(SystemExit):
        main(["run", "--help"])
    out = capsys.readouterr().out
    assert out.startswith("usage: tuoyu run") and "write tables only, skip the notebook report" in out
    assert main(["params", "baselin"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("tuoyu: error: scenario 'baselin' not found (did you mean 'baseline'?); known scenarios:")
    assert main(["rn"]) == 2
    assert capsys.readouterr().err.startswith("tuoyu: error: tuoyu: argument COMMAND: invalid choice: 'rn'")
    monkeypatch.setenv("TUOYU_LANG", "zh")
    assert not english()
    assert main(["params", "baselin"]) == 2
    assert capsys.readouterr().err.startswith("tuoyu：错误：找不到情景 'baselin'（是否想写 'baseline'？）")


# Broken inputs whose English text is kept: with TUOYU_LANG=en the same line in English.
ENGLISH = {
    "targets-missing-unit": ("target set 'floor_2024' has 21 units, the annex has 22", "add the missing rows"),
    "targets-gbk": ("not UTF-8 text (at byte position", "re-save it as 'CSV UTF-8'"),
    "targets-file-deleted": ("file not found; restore it from the repository",),
    "towns-unknown-unit-id": ("row 2: unit id 'xingfen' is not in the annex (did you mean 'xingfeng'?)",),
    "param-invalid-yaml": ("line 6: invalid YAML", "check the indentation"),
    "scenario-misspelt-parameter": ("unknown parameter 'fee_cap_shar' (did you mean 'fee_cap_share'?)",),
    "set-percent-text": ("'fee_cap_share' = '20%' is not a number", "0.2 for 20%"),
    "scenario-baseline-deleted": ("baseline.yaml is missing",),
}


@pytest.mark.parametrize("case", [c for c in CASES if c.id in ENGLISH], ids=lambda c: c.id)
def test_broken_inputs_in_english_for_developers(case, data_copy, monkeypatch, capsys):
    monkeypatch.setenv("TUOYU_LANG", "en")
    assert main(_prepare(data_copy, case)) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("tuoyu: error: ")
    for words in ENGLISH[case.id]:
        assert words in err, err
    assert not re.search(r"[\u4e00-\u9fff]{4}", err.replace("合计", "")), err  # no Chinese sentence left


def test_an_error_keeps_both_texts_across_a_re_raise():
    exc = DataError("第 3 行是空的", en="row 3 is blank")
    assert (exc.zh, exc.en, str(exc)) == ("第 3 行是空的", "row 3 is blank", "第 3 行是空的")
    assert str(DataError("只有中文")) == "只有中文"
    assert did_you_mean("basline", ["baseline"]) == "（是否想写 'baseline'？）"


def test_the_run_console_ends_with_the_report_to_open(data_copy, monkeypatch, capsys):
    def fake_run(scenario, set_options, out, report):
        folder = data_copy.parent / "outputs" / scenario.name
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "report.html").write_text("<html></html>", encoding="utf-8")
        return RunRecord(scenario.name, folder, 1.25, notes=["注意：示例"])

    monkeypatch.setattr(parallel, "run_scenario", fake_run)
    assert parallel.run_many(["baseline", "household_3"], jobs=1) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "正在运行 2 个情景（表格和报告），1 个进程…"
    assert "[1/2] baseline：已写入 " in lines[1] and lines[1].endswith("/baseline/，用时 1.2 秒")
    assert lines[2] == "[1/2] baseline：注意：示例"
    assert lines[-3].startswith("2 个情景中 2 个完成，共用时")
    assert lines[-2].startswith("请打开报告：") and lines[-2].endswith("/baseline/report.html")
    assert lines[-1].endswith("/household_3/report.html")
    shutil.rmtree(data_copy.parent / "outputs")


# ---- the messages of the model's own checks: Chinese, with the English kept for developers ----------


def _objective_inputs(objective: str, subsidy: bool):
    inputs = replace(toy_inputs(), objective=objective)
    op = {(2024, c): 1.0 for c in CHANNELS} if subsidy else {}
    return lambda: check_objective_inputs(inputs, op, [2024])


def _no_font(monkeypatch):
    monkeypatch.setattr(chart_style.importlib.util, "find_spec", lambda name: None)
    return chart_style.font_path


def _baseline_with(**overrides):
    return load_scenario("baseline", overrides).parameters


# each raises one of the checks whose message was English; the fragment must appear in Chinese
CHECKS = {
    "solver-unknown": (lambda mp: lambda: resolve_solver("gurobi"), "不是可选的求解器"),
    "priority-malformed": (lambda mp: lambda: parse_priority("share > total"), "每项各写一次"),
    "objective-unknown": (lambda mp: _objective_inputs("cheapest", True), "应为 min_cost 或 max_slots"),
    "operating-subsidy-missing": (lambda mp: _objective_inputs("min_cost", False), "缺少 2024 年渠道"),
    "income-measure-unknown": (lambda mp: lambda: income_basis(_baseline_with(), 2024, measure="gross"), "可选值"),
    "income-area-unknown": (lambda mp: lambda: income_basis(_baseline_with(), 2024, area="tongzhou"), "可选值"),
    "subsidy-rule-unknown": (lambda mp: lambda: operating_subsidy(1, 1, 1, rule="mixed"), "可选值"),
    "set-price-above-cap": (
        lambda mp: lambda: inclusive_fee(_baseline_with(inclusive_fee_set_price=2400), 2024),
        "高于 2024 年的收费上限",
    ),
    "budget-year-outside-plan": (
        lambda mp: lambda: inputs_from_parameters(_baseline_with(budget={2026: 5})),
        "不在规划期",
    ),
    "later-first-year-without-stock": (
        lambda mp: lambda: inputs_from_parameters(_baseline_with(), first_year=2025),
        "需要 2024 年底的存量托位",
    ),
    "font-package-missing": (_no_font, "中文字体包 'mplfonts'"),
}


@pytest.mark.parametrize("case", sorted(CHECKS))
def test_the_models_checks_speak_chinese(case, monkeypatch):
    make, words = CHECKS[case]
    call = make(monkeypatch)
    with pytest.raises(TuoyuError) as exc:
        call()
    assert_chinese(str(exc.value))
    assert words in str(exc.value) and "\n" not in str(exc.value)
    assert exc.value.en and not re.search(r"[\u4e00-\u9fff]", exc.value.en)  # the English is kept
    monkeypatch.setenv("TUOYU_LANG", "en")
    assert str(exc.value) == exc.value.en


@pytest.mark.parametrize(
    ("setting", "words"),
    [
        ("fee_cap_share=abc", "（单位：比例，写 0–1 之间的小数）"),
        ("fee_cap_share=3", "（比例）"),
        ("solver=xyz", "'solver' = 'xyz' 不是可选值"),
        ("requirement_priority=share", "'requirement_priority' = 'share' 写法不对"),
        ("operating_subsidy_rule=mixed", "operating_subsidy_rule"),
    ],
)
def test_a_bad_setting_on_the_command_line_is_one_chinese_line(setting, words, data_copy, capsys):
    assert main(["run", "--no-report", "--set", setting]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("tuoyu：错误："), err
    assert_chinese(err)
    assert words in err, err
    assert not (data_copy.parent / "outputs" / "baseline").exists()


def test_every_parameter_unit_has_a_chinese_word():
    units = {str(m.get("unit", "")) for m in default_parameters().meta.values()} - {""}
    assert units - set(UNIT_ZH) == set()
    assert all(re.search(r"[\u4e00-\u9fff]", UNIT_ZH[u]) for u in units)


def test_no_error_the_package_raises_is_written_in_english_only():
    """Every ``raise XError("…")`` with a text of its own has Chinese in it (a forwarded ``exc.zh`` aside)."""
    english = []
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call) and node.exc.args:
                text = ast.get_source_segment(source, node.exc.args[0]) or ""
                if re.search("[\"']", text) and not re.search(r"[\u4e00-\u9fff]|\.zh\b", text):
                    english.append(f"{path.relative_to(PACKAGE_DIR)}:{node.lineno}: {text[:80]}")
    assert english == []
