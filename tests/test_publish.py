"""The one publishing path (issue 14, data loss): replace only folders this package wrote, never
follow a symlink, refuse system, home and project folders as output bases, serialise concurrent
publishing, and say in one line when the disk is full — the previous outputs intact every time."""

import errno
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest

from tuoyu_model.cli import main
from tuoyu_model.paths import PACKAGE_DIR, PROJECT_ROOT
from tuoyu_model.runs import notebook, publish, scenario, signals
from tuoyu_model.runs.locations import output_base
from tuoyu_model.runs.publish import LOCK_NAME, MARKER, is_ours, publishing
from tuoyu_model.runs.scenario import run_scenario


def files_of(folder):
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def one_line(capsys):
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("tuoyu：错误：") and "Traceback" not in err, err
    return err


def users_folder(folder):
    """A folder of the user's: a document and a workbook in a subfolder, no marker, no manifest."""
    (folder / "材料").mkdir(parents=True)
    (folder / "笔记.docx").write_bytes(b"PK\x03\x04 the user's own notes")
    (folder / "材料" / "数据.xlsx").write_bytes(b"PK\x03\x04 the user's own workbook")
    return files_of(folder)


# --- only a folder this package wrote is replaced ---


def test_a_users_folder_survives_a_refused_run_byte_for_byte(data_copy, capsys):
    out = data_copy.parent / "outputs"
    before = users_folder(out / "baseline")
    assert main(["run", "baseline", "--no-report"]) == 2
    err = one_line(capsys)
    assert "baseline/ 已存在，但不是本程序写的输出文件夹" in err and "笔记.docx" in err and "--out" in err
    assert files_of(out / "baseline") == before
    assert sorted(p.name for p in out.iterdir()) == ["baseline"]  # no temporary folder, nothing else


def test_a_users_folder_in_place_of_a_comparison_survives(data_copy, capsys):
    out = data_copy.parent / "outputs"
    before = users_folder(out / "compare__baseline__budget_cut_20")
    assert main(["compare", "baseline", "budget_cut_20", "--no-report"]) == 2
    assert "不是本程序写的输出文件夹" in one_line(capsys)
    assert files_of(out / "compare__baseline__budget_cut_20") == before


def test_a_users_folder_stops_every_scenario_of_a_run_before_any_work(data_copy, capsys):
    out = data_copy.parent / "outputs"
    users_folder(out / "no_conversions")
    assert main(["run", "baseline", "no_conversions", "--no-report"]) == 2
    assert "no_conversions/ 已存在" in one_line(capsys)
    assert not (out / "baseline").exists()  # checked before the first scenario ran


@pytest.mark.e2e
def test_a_folder_of_an_earlier_version_is_recognised_by_its_manifest(data_copy):
    folder = data_copy.parent / "outputs" / "baseline"
    folder.mkdir(parents=True)
    (folder / "manifest.json").write_text(json.dumps({"scenario": "baseline", "versions": {"tuoyu-model": "0.0.9"}}))
    (folder / "old_table.csv").write_text("an output of the earlier version")
    rec = run_scenario("baseline", report=False)
    assert not (folder / "old_table.csv").exists()  # replaced whole, as before
    assert (folder / MARKER).read_text("utf-8").splitlines()[0] == "tuoyu-model"
    manifest = json.loads((rec.folder / "manifest.json").read_text("utf-8"))
    assert MARKER not in manifest["outputs"] and "results.xlsx" in manifest["outputs"]
    run_scenario("baseline", report=False)  # and the folder it wrote is replaced again


@pytest.mark.parametrize(
    "files, ours",
    [
        ({}, True),  # empty: nothing to lose
        ({MARKER: "tuoyu-model\n…"}, True),
        ({"manifest.json": '{"versions": {"tuoyu-model": "0.1.0"}}'}, True),
        ({MARKER: "someone-else\n"}, False),
        ({"manifest.json": '{"kind": "scenario"}'}, False),  # another tool's manifest
        ({"manifest.json": "not json"}, False),
        ({"manifest.json": '["tuoyu-model"]'}, False),
        ({"report.html": "<html>"}, False),
    ],
)
def test_what_counts_as_a_folder_of_ours(tmp_path, files, ours):
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    assert is_ours(tmp_path) is ours


def test_a_marker_that_is_a_symlink_does_not_count(tmp_path):
    (tmp_path / "real").write_text("tuoyu-model\n")
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / MARKER).symlink_to(tmp_path / "real")
    assert not is_ours(folder)


def test_a_folder_swapped_by_another_run_during_the_check_is_not_refused(tmp_path, monkeypatch):
    # Checked before the work without the lock: another run may be moving the folder aside right
    # then (seen once in 300 threaded publications as "已存在且是一个文件").
    final = tmp_path / "baseline"
    final.mkdir()
    (final / MARKER).write_text("tuoyu-model\n")
    real = publish.is_ours

    def moved_meanwhile(folder):
        if final.exists():
            final.rename(tmp_path / ".baseline.old-1-1")  # the other run's swap, half done
            return False
        return real(folder)

    monkeypatch.setattr(publish, "is_ours", moved_meanwhile)
    publish.check_replaceable(final)  # absent now: nothing to refuse


# --- never follow a symlink ---


@pytest.mark.e2e
@pytest.mark.parametrize("dangling", [False, True])
def test_a_symlinked_output_folder_is_refused_and_its_target_untouched(data_copy, capsys, dangling):
    out = data_copy.parent / "outputs"
    sibling = out / "kept"
    if not dangling:  # even a folder of ours behind the link: the link is never replaced or followed
        run_scenario("baseline", report=False).folder.rename(sibling)
    before = files_of(sibling) if not dangling else {}
    out.mkdir(exist_ok=True)
    (out / "baseline").symlink_to(sibling, target_is_directory=True)
    assert main(["run", "baseline", "--no-report"]) == 2
    assert "baseline 是一个符号链接" in one_line(capsys)
    assert (out / "baseline").is_symlink() and os.readlink(out / "baseline") == str(sibling)
    assert (files_of(sibling) if not dangling else {}) == before
    assert sibling.exists() is not dangling


def test_a_file_in_place_of_the_output_folder_is_refused(data_copy, capsys):
    out = data_copy.parent / "outputs"
    out.mkdir()
    (out / "baseline").write_bytes(b"a file of the user's")
    assert main(["run", "baseline", "--no-report"]) == 2
    assert "是一个文件" in one_line(capsys)
    assert (out / "baseline").read_bytes() == b"a file of the user's"


# --- output bases refused ---


@pytest.mark.parametrize(
    "base, why",
    [
        (lambda home: Path("/"), "系统目录"),
        (lambda home: Path("/usr"), "系统目录"),
        (lambda home: Path("/etc"), "系统目录"),
        (lambda home: home, "用户主目录本身"),
        (lambda home: PROJECT_ROOT / "data", "data/"),
        (lambda home: PROJECT_ROOT / "data" / "new_folder", "data/"),
        (lambda home: PROJECT_ROOT / "notebooks", "notebooks/"),
        (lambda home: PACKAGE_DIR, "代码文件夹"),
        (lambda home: PACKAGE_DIR / "runs", "代码文件夹"),
    ],
    ids=["root", "usr", "etc", "home", "data", "data-subfolder", "notebooks", "package", "package-subfolder"],
)
def test_system_home_and_project_folders_are_refused_as_output_base(
    data_copy, tmp_path, monkeypatch, capsys, base, why
):
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    folder = base(home)
    before = sorted(p.name for p in folder.iterdir()) if folder.is_dir() else None
    assert main(["run", "baseline", "--no-report", "--out", str(folder)]) == 2
    err = one_line(capsys)
    assert "不能把输出写到" in err and why in err and "--out" in err
    assert (sorted(p.name for p in folder.iterdir()) if folder.is_dir() else None) == before  # nothing created


def test_the_data_folder_in_use_is_refused_too(data_copy, capsys):
    assert main(["compare", "baseline", "household_3", "--no-report", "--out", str(data_copy / "scenarios")]) == 2
    assert "本项目的 data/ 文件夹" in one_line(capsys)


# --- concurrent publishing of one folder ---


def _publish_many(final, who, times, errors):
    for i in range(times):
        try:
            with publishing(final, lambda folder, i=i: {"versions": {"tuoyu-model": "t"}, "by": [who, i]}) as tmp:
                (tmp / "tables").mkdir()
                (tmp / "tables" / "a.csv").write_text(f"{who},{i}")
        except Exception as exc:  # noqa: BLE001 - every failure is counted
            errors.append(exc)


def _check_consistent(final):
    by = json.loads((final / "manifest.json").read_text())["by"]
    assert (final / "tables" / "a.csv").read_text() == f"{by[0]},{by[1]}"
    assert sorted(p.name for p in final.parent.iterdir()) == sorted([final.name, LOCK_NAME])


def test_threads_publishing_one_folder_all_succeed_in_turn(tmp_path):
    final = output_base(tmp_path / "out") / "baseline"
    errors = []
    threads = [threading.Thread(target=_publish_many, args=(final, k, 25, errors)) for k in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []  # 300 publications (the issue saw 78 failures in 300 without the lock)
    _check_consistent(final)


def test_two_processes_publishing_one_folder_both_succeed(tmp_path):
    final = output_base(tmp_path / "out") / "baseline"
    code = (
        "import sys; from pathlib import Path; sys.path.insert(0, sys.argv[3]);"
        "from test_publish import _publish_many; errors = [];"
        "_publish_many(Path(sys.argv[1]), sys.argv[2], 40, errors); print(errors); sys.exit(1 if errors else 0)"
    )
    here = str(Path(__file__).parent)
    procs = [
        subprocess.Popen([sys.executable, "-c", code, str(final), who, here], stdout=subprocess.PIPE, text=True)
        for who in ("a", "b")
    ]
    outs = [p.communicate(timeout=300)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    _check_consistent(final)


# --- a full disk, a file too large ---


@pytest.mark.e2e
@pytest.mark.parametrize("code, words", [(errno.ENOSPC, "磁盘已满"), (errno.EFBIG, "文件超过大小上限")])
def test_disk_full_while_writing_outputs_is_one_line_and_keeps_the_outputs(data_copy, monkeypatch, capsys, code, words):
    out = data_copy.parent / "outputs"
    before = files_of(run_scenario("baseline", report=False).folder)

    def full(results, folder):
        (Path(folder) / "tables").mkdir(parents=True, exist_ok=True)
        (Path(folder) / "tables" / "allocation.csv").write_text("half a ta")
        raise OSError(code, os.strerror(code), str(Path(folder) / "tables" / "allocation.csv"))

    monkeypatch.setattr(scenario, "write_outputs", full)
    assert main(["run", "baseline", "--no-report"]) == 2
    err = one_line(capsys)
    assert words in err and "outputs/baseline/" in err and "allocation.csv" in err and "原有输出未改动" in err
    assert files_of(out / "baseline") == before
    assert sorted(p.name for p in out.iterdir()) == [LOCK_NAME, "baseline"]  # the temporary folder is gone


@pytest.mark.e2e
def test_disk_full_while_writing_the_manifest(data_copy, monkeypatch, capsys):
    out = data_copy.parent / "outputs"
    before = files_of(run_scenario("baseline", report=False).folder)

    def full(obj, path):
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(publish, "write_json", full)
    assert main(["compare", "baseline", "household_3", "--no-report"]) == 2
    assert "磁盘已满，写入 manifest.json 时失败" in one_line(capsys)
    assert main(["run", "baseline", "--no-report"]) == 2
    assert "磁盘已满，写入 manifest.json 时失败" in one_line(capsys)
    assert files_of(out / "baseline") == before
    assert sorted(p.name for p in out.iterdir()) == [LOCK_NAME, "baseline"]


@pytest.mark.e2e
@pytest.mark.parametrize("where", ["cell", "notebook file"])
def test_disk_full_in_the_report_says_so_not_ipykernel(data_copy, monkeypatch, capsys, where):
    import papermill

    def full(*args, **kwargs):
        if where == "cell":
            raise papermill.PapermillExecutionError(
                cell_index=4,
                exec_count=3,
                source="write_outputs(results, output_dir)",
                ename="OSError",
                evalue="[Errno 28] No space left on device: 'tables/allocation.csv'",
                traceback=[],
            )
        raise OSError(errno.ENOSPC, "No space left on device", str(args[1]))

    monkeypatch.setattr(papermill, "execute_notebook", full)
    assert main(["run", "baseline"]) == 2
    err = one_line(capsys)
    assert "磁盘已满" in err and "ipykernel" not in err
    assert ("allocation.csv" if where == "cell" else "report.ipynb") in err
    out = data_copy.parent / "outputs"
    assert not out.exists() or [p.name for p in out.iterdir()] == []


# --- what a run killed outright leaves behind ---


def test_kernel_folders_of_dead_runs_are_removed(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    dead = tmp_path / "tuoyu-kernel-999999999-x"  # no such process
    alive = tmp_path / f"tuoyu-kernel-{os.getppid()}-y"  # a running process: another run, kept
    other = tmp_path / "tmp_not_ours"
    for p in (dead, alive, other):
        p.mkdir()
        (p / "kernel.json").write_text("{}")
    mine = notebook.kernel_dir()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([alive.name, other.name, mine.name])
    assert mine.name.startswith(f"tuoyu-kernel-{os.getpid()}-")


def test_after_sigkill_the_next_run_removes_the_kernel_files_and_the_temporary_folder(tmp_path, monkeypatch):
    temp, out = tmp_path / "tmp", tmp_path / "out"
    temp.mkdir()
    # Solved afresh (no solve cache): a run long enough to be killed half-way.
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("TUOYU_")}, "TMPDIR": str(temp)}
    env["TUOYU_SOLVE_CACHE"] = "off"
    proc = subprocess.Popen(
        [sys.executable, "-m", "tuoyu_model", "run", "baseline", "--out", str(out)],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 120
    while not list(temp.glob("tuoyu-kernel-*/kernel.json")) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert proc.poll() is None, "the run ended before the kernel started"
    os.killpg(proc.pid, signal.SIGKILL)  # the run and its kernel, with no chance to clean up
    proc.wait(timeout=60)
    left = list(temp.glob(f"tuoyu-kernel-{proc.pid}-*"))
    assert left and (left[0] / "kernel.json").is_file()  # what the issue saw
    assert list(out.glob(".baseline.tmp-*"))
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    mine = notebook.kernel_dir()  # the next run's start: the dead run's files are removed
    assert [p.name for p in temp.iterdir()] == [mine.name]
    publish.make_temp_dir(out, "baseline")
    assert [p.name for p in out.iterdir()] == [next(out.glob(f".baseline.tmp-{os.getpid()}-*")).name]


@pytest.mark.parametrize(
    ("handler", "kind"), [("raise_interrupted", KeyboardInterrupt), ("raise_terminated", signals.Terminated)]
)
def test_a_stop_a_library_swallowed_still_publishes_nothing(tmp_path, handler, kind):
    # The notebook client can catch the KeyboardInterrupt of Ctrl-C and carry on to the end of
    # the notebook; the run must still stop before it replaces the outputs.
    final = tmp_path / "out" / "baseline"
    final.parent.mkdir()
    previous = signals.install()
    try:
        with pytest.raises(kind):
            with publishing(final, None) as tmp:
                (tmp / "a.csv").write_text("x\n", encoding="utf-8")
                try:
                    getattr(signals, handler)(signal.SIGINT, None)  # the signal arrives …
                except KeyboardInterrupt:
                    pass  # … and a library swallows it
        assert signals.stop_requested()
    finally:
        signals.restore(previous)
    assert not final.exists() and list((tmp_path / "out").iterdir()) == []  # nothing published, nothing left
    assert not signals.stop_requested()
    assert signal.getsignal(signal.SIGTERM) is previous[signal.SIGTERM]
