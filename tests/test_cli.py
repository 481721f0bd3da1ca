"""The ``tuoyu`` command: validate, scenarios, params; the same from any working directory."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tuoyu_model.cli import main
from tuoyu_model.parameters import default_parameters, list_scenarios, load_scenario
from tuoyu_model.paths import PROJECT_ROOT


def _run_module(args, cwd, env=None):
    """``python -m tuoyu_model ARGS`` as a user runs it; TUOYU_* variables removed unless given.

    The session's solve cache is kept (conftest.py): a user's own cache is never written by tests.
    """
    base = {k: v for k, v in os.environ.items() if not k.startswith("TUOYU_") or k == "TUOYU_SOLVE_CACHE"}
    return subprocess.run(
        [sys.executable, "-m", "tuoyu_model", *args],
        cwd=cwd,
        env={**base, **(env or {})},
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
    )


def test_validate_passes_on_shipped_data_and_prints_the_totals(capsys):
    assert main(["validate"]) == 0
    out = capsys.readouterr().out
    # The annex's printed 合计 row: 2024 floor, 2025 high-quality, 2025 plan (total/inclusive).
    for fragment in ("floor_2024 4700/1410", "high_quality_2025 4700/2820", "plan_2025 8600/5160"):
        assert fragment in out
    assert "targets.csv：22 个属地" in out
    assert f"参数：{len(default_parameters())} 个" in out
    for name in list_scenarios():
        assert name in out
    assert out.rstrip().endswith("检查通过")


def test_validate_names_the_data_folder_it_checked(data_copy, capsys):
    assert main(["validate"]) == 0
    assert str(data_copy) in capsys.readouterr().out.splitlines()[0]


def test_scenarios_lists_every_scenario_with_its_title(capsys):
    assert main(["scenarios"]) == 0
    lines = capsys.readouterr().out.splitlines()
    names, defaults = list_scenarios(), default_parameters()
    assert [line.split()[0] for line in lines] == names
    for line, name in zip(lines, names, strict=True):
        assert load_scenario(name, defaults=defaults).title in line


@pytest.mark.parametrize(
    "args, starred",
    [
        (["params", "baseline"], set()),
        (["params", "household_3"], {"household_size"}),
        (["params", "high_take_up"], {"take_up_rate"}),
        (["params", "household_3", "--set", "fee_cap_share=0.25"], {"household_size", "fee_cap_share"}),
        (["params", "--set", "inclusive_share_target.2025=0.7"], {"inclusive_share_target"}),
    ],
)
def test_params_marks_overridden_parameters(capsys, args, starred):
    assert main(args) == 0
    lines = capsys.readouterr().out.splitlines()
    marked = {line.split(" ", 1)[0] for line in lines if line.split(" ")[1:2] == ["*"]}
    assert marked == starred
    assert ("* 由情景文件或 --set 改动" in lines) == bool(starred)


def test_params_shows_the_overridden_value(capsys):
    assert main(["params", "baseline", "--set", "fee_cap_share=0.25"]) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if x.startswith("fee_cap_share "))
    assert line.startswith("fee_cap_share * = 0.25 [share]")


def test_help_exits_0(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    for command in ("validate", "scenarios", "params", "run"):
        assert command in out


@pytest.mark.parametrize("args", [["validate"], ["params", "household_3"]])
def test_module_runs_the_same_from_another_directory(tmp_path, capsys, args):
    assert main(args) == 0
    expected = capsys.readouterr().out
    proc = _run_module(args, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    assert proc.stdout == expected
    assert not any(tmp_path.iterdir()), "nothing is written to the working directory"


def test_console_script_is_installed():
    script = os.path.join(os.path.dirname(sys.executable), "tuoyu")
    if not os.path.exists(script):
        pytest.skip("no 'tuoyu' script next to this Python (not a pip install)")
    proc = subprocess.run(
        [script, "scenarios"], cwd=PROJECT_ROOT.parent, capture_output=True, text=True, encoding="utf-8", timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split()[0] == "baseline"


@pytest.mark.parametrize(
    "args, words",
    [
        (["run", "baseline", "--out", "/proc/nope"], ("--out /proc/nope: 无法创建这个文件夹", "可写的文件夹")),
        (["run", "baseline", "--out", "README.md"], ("--out README.md: 无法创建这个文件夹", "已有同名的文件")),
        (["compare", "baseline", "household_3", "--out", "/proc/nope"], ("--out /proc/nope: 无法创建",)),
        (["progress", "data/templates/progress_template.csv", "--out", "/proc/nope"], ("--out /proc/nope: 无法",)),
        (["run", "baseline", "--jobs", "-1", "--no-report"], ("--jobs -1：", "正整数", "--jobs 2")),
    ],
)
def test_bad_out_folder_and_jobs_are_one_line(capsys, monkeypatch, args, words):
    monkeypatch.chdir(PROJECT_ROOT)
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    for w in words:
        assert w in err


def test_bad_data_in_a_report_run_is_the_validate_line_not_a_notebook_cell(data_copy, capsys):
    # bytes that are not UTF-8: the same one line 'tuoyu validate' prints, no notebook jargon
    (data_copy / "towns.csv").write_bytes(
        (data_copy / "towns.csv").read_bytes().replace("旧宫镇".encode(), "旧宫镇".encode("gbk"))
    )
    assert main(["validate"]) == 2
    expected = capsys.readouterr().err
    assert main(["run", "baseline"]) == 2
    out = capsys.readouterr()
    assert out.err == expected and "notebook" not in out.err and "cell" not in out.err
    assert "data/towns.csv" in expected or "towns.csv" in expected


@pytest.mark.e2e
@pytest.mark.parametrize("sig, status, word", [("SIGINT", 130, "已中断"), ("SIGTERM", 143, "已被终止")])
def test_ctrl_c_and_sigterm_print_one_line_and_leave_nothing(tmp_path, sig, status, word):
    import signal
    import time

    # Solved afresh (no solve cache): a run long enough to be interrupted inside its notebook.
    base = {k: v for k, v in os.environ.items() if not k.startswith("TUOYU_")} | {"TUOYU_SOLVE_CACHE": "off"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "tuoyu_model", "run", "baseline", "--out", str(tmp_path)],
        cwd=PROJECT_ROOT,
        env=base,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
        start_new_session=True,
        # as from a terminal: SIGINT not ignored, even when the suite itself runs as a background job
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    # Signal once the run is under way (its temporary folder exists), whatever the machine's speed;
    # a short pause more puts the signal inside the notebook's execution on a typical machine.
    deadline = time.monotonic() + 60
    while not any(tmp_path.glob(".baseline.tmp-*")) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(1.0)
    assert proc.poll() is None, "the run ended before it could be interrupted"
    os.killpg(proc.pid, getattr(signal, sig))  # as the terminal does: the whole process group
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == status
    assert err == f"tuoyu：{word}；此前的输出未改动\n"  # no kernel log lines
    assert list(tmp_path.iterdir()) == []  # no temporary folder left behind


# --- argparse mistakes: one Chinese line naming --help, exit 2, no usage block (issue 14) ---


@pytest.mark.parametrize(
    "args, words",
    [
        (["--bogus"], ("无法识别的参数 --bogus", "'tuoyu --help'")),
        (["run", "--bogus"], ("tuoyu run: 无法识别的参数 --bogus", "'tuoyu run --help'")),
        (["run", "--jobs", "abc"], ("--jobs 的值 'abc' 不是整数", "'tuoyu run --help'")),
        (["run", "--out"], ("--out 后面要跟一个值", "'tuoyu run --help'")),
        ([], ("缺少参数 COMMAND", "'tuoyu --help'")),
        (["rn"], ("'rn'", "是否想写 'run'", "'tuoyu --help'")),
        (["compare"], ("tuoyu compare: 缺少参数 SCENARIO", "'tuoyu compare --help'")),
    ],
)
def test_command_line_mistakes_are_one_chinese_line_naming_help(capsys, args, words):
    assert main(args) == 2
    out = capsys.readouterr()
    assert out.out == ""
    assert out.err.count("\n") == 1 and "usage:" not in out.err
    assert out.err.startswith("tuoyu：错误：")
    for w in words:
        assert w in out.err, out.err


def test_subcommand_help_still_prints_the_usage_and_exits_0(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["run", "--help"])
    assert exc.value.code == 0
    assert "--no-report" in capsys.readouterr().out


# --- what the user sees, as subprocesses: ASCII-only consoles and argparse mistakes ---


def _one_line_exit_2(proc) -> str:
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stderr.count("\n") == 1, proc.stderr
    return proc.stderr


ASCII_CONSOLES = {
    "LC_ALL=C,PYTHONUTF8=0": {"LC_ALL": "C", "LANG": "C", "PYTHONUTF8": "0", "PYTHONIOENCODING": ""},
    "PYTHONIOENCODING=ascii": {"PYTHONIOENCODING": "ascii"},
}


@pytest.mark.e2e
@pytest.mark.parametrize("env", ASCII_CONSOLES.values(), ids=ASCII_CONSOLES)
def test_an_ascii_only_console_gets_escapes_never_a_crash(tmp_path, env):
    ok = _run_module(["validate"], cwd=tmp_path, env=env)
    assert ok.returncode == 0, ok.stderr
    assert "Traceback" not in ok.stderr and ok.stderr == ""
    assert "\\u5408\\u8ba1" in ok.stdout  # 合计, degraded to an escape
    assert ok.stdout.rstrip().endswith("\\u68c0\\u67e5\\u901a\\u8fc7")  # 检查通过
    bad = _run_module(["params", "--set", "rent=1e308"], cwd=tmp_path, env=env)
    assert "'rent' = 1e+308" in _one_line_exit_2(bad)
    assert not any(tmp_path.iterdir())


def test_argparse_mistakes_as_a_subprocess(tmp_path):
    err = _one_line_exit_2(_run_module(["run", "--jobs", "abc"], cwd=tmp_path))
    assert err == "tuoyu：错误：tuoyu run: --jobs 的值 'abc' 不是整数；运行 'tuoyu run --help' 查看用法\n"
    err = _one_line_exit_2(_run_module(["--bogus"], cwd=tmp_path))
    assert "无法识别的参数 --bogus" in err
    assert not any(tmp_path.iterdir())


# --- scenario names: the real limit is bytes of the output folder name, not characters ---


def test_the_name_limit_adds_up_to_the_file_systems_255_bytes(tmp_path):
    from tuoyu_model.paths import MAX_SCENARIO_NAME_BYTES, NAME_MAX, SET_SUFFIX_BYTES, SWAP_NAME_BYTES

    assert os.pathconf(tmp_path, "PC_NAME_MAX") == NAME_MAX
    name = "托" * (MAX_SCENARIO_NAME_BYTES // 3)
    folder = f"{name}__set-{'0' * 8}"
    assert len(folder.encode()) == MAX_SCENARIO_NAME_BYTES + SET_SUFFIX_BYTES
    # The longest name a run gives it while swapping it in: the largest pid and nanosecond count.
    swap = f".{folder}.old-{4_194_304}-{2**64 - 1}"
    assert len(swap.encode()) == MAX_SCENARIO_NAME_BYTES + SET_SUFFIX_BYTES + SWAP_NAME_BYTES == NAME_MAX
    (tmp_path / swap).mkdir()  # fits
    with pytest.raises(OSError, match="File name too long"):
        (tmp_path / (swap + "x")).mkdir()


def _scenario_named(data_copy, name: str) -> str:
    path = data_copy / "scenarios" / f"{name}.yaml"
    path.write_text((data_copy / "scenarios" / "household_3.yaml").read_text("utf-8"), encoding="utf-8")
    return name


@pytest.mark.e2e
def test_a_scenario_name_at_the_limit_runs_and_reruns_with_set(data_copy, capsys):
    from tuoyu_model.paths import MAX_SCENARIO_NAME_BYTES

    name = _scenario_named(data_copy, "托" * (MAX_SCENARIO_NAME_BYTES // 3))
    for _ in range(2):  # the rerun replaces the folder: the longest name it makes must fit too
        assert main(["run", name, "--no-report", "--set", "household_size=3.5"]) == 0, capsys.readouterr().err
    outputs = data_copy.parent / "outputs"
    assert [p.name.startswith(name + "__set-") for p in outputs.iterdir() if p.name != ".tuoyu.lock"] == [True]


@pytest.mark.parametrize("name", ["托" * 70, "a" * 208, "x" * 130 + "托" * 26])
def test_a_scenario_name_over_the_limit_is_refused_with_the_reason(data_copy, capsys, name):
    _scenario_named(data_copy, name)
    assert main(["run", name, "--no-report"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    for w in (f"有 {len(name.encode())} 字节", "超过上限 207 字节", "255 字节", "__set-<哈希>"):
        assert w in err, err
    assert not (data_copy.parent / "outputs").exists() or not any((data_copy.parent / "outputs").iterdir())


def test_a_130_letter_name_runs(data_copy, capsys):
    # It was refused before, as if it held a forbidden character; 130 bytes fit.
    name = _scenario_named(data_copy, "a" * 130)
    assert main(["params", name]) == 0, capsys.readouterr().err


def test_a_comparison_folder_over_the_limit_is_refused_before_anything_runs(data_copy, capsys):
    names = [_scenario_named(data_copy, c * 100) for c in "abc"]
    assert main(["compare", *names, "--no-report"]) == 2
    err = capsys.readouterr().err
    assert "输出文件夹: 名称 'compare__aaa" in err and "超过上限 221 字节" in err
    assert not (data_copy.parent / "outputs").exists() or not any((data_copy.parent / "outputs").iterdir())
