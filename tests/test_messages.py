"""What the people who run the model read is Chinese; ``TUOYU_LANG=en`` gives developers English.

Every broken input's message is checked for Chinese prose in ``tests/test_broken_inputs.py``
(``assert_chinese``, defined there); here: that check can fail, every command's ``--help`` is
Chinese, English comes back with ``TUOYU_LANG=en``, and a run's console ends with the report to open.
"""

from __future__ import annotations

import argparse
import re
import shutil

import pytest

from tests.test_broken_inputs import CASES, _prepare, assert_chinese
from tuoyu_model.cli import build_parser, main
from tuoyu_model.errors import DataError, did_you_mean, english, pick
from tuoyu_model.runs import parallel
from tuoyu_model.runs.scenario import RunRecord


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
