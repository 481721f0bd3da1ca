"""Run scenarios into the output contract (``outputs/<scenario>/``, see docs/design.md).

One scenario run:

1. resolve the scenario (all scenarios are validated before anything is written);
2. in a fresh temporary folder next to the final one, execute ``notebooks/scenario_report.ipynb``
   through papermill with the kernel of the *current* Python (``sys.executable``; no kernelspec
   has to be registered) and the folder as the kernel's working directory. The notebook calls
   :func:`tuoyu_model.results.run_model` and :func:`tuoyu_model.writers.write_outputs`, which write the
   tables, the workbook, the figures and ``summary.json``; with ``report=False`` the same two
   calls run in this process instead (the fast path);
3. strip run-dependent metadata from the executed notebook, save it as ``report.ipynb`` and
   export ``report.html`` with the code hidden;
4. write ``manifest.json`` (scenario hash, resolved parameters, input file hashes, versions, git
   commit, run time, and the hash of every file written);
5. only then replace the previous ``outputs/<scenario>/`` with the new folder. Any failure
   leaves the previous outputs untouched and raises :class:`~tuoyu_model.errors.ReportError`
   naming the notebook cell that failed and why.

Several scenarios run in parallel worker processes (``jobs``, default one per core).
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import importlib.metadata
import multiprocessing
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tuoyu_model.errors import ReportError, ScenarioError, TuoyuError
from tuoyu_model.parameters import Scenario, load_scenario, parse_set_options, scenario_path
from tuoyu_model.paths import (
    MAX_OUTPUT_NAME_BYTES,
    PROJECT_ROOT,
    check_name_length,
    data_dir,
    display,
    notebooks_dir,
    outputs_dir,
)

REPORT_NOTEBOOK = "scenario_report.ipynb"
COMPARE_NOTEBOOK = "compare_scenarios.ipynb"
CELL_TIMEOUT_S = 900
PACKAGES = (
    "tuoyu-model",
    "numpy",
    "pandas",
    "pulp",
    "highspy",
    "matplotlib",
    "mplfonts",
    "xlsxwriter",
    "openpyxl",
    "papermill",
    "nbclient",
    "nbconvert",
    "nbformat",
    "ipykernel",
    "jupyter_client",
    "pyyaml",
)
# Keys of papermill's notebook metadata that change from run to run (or name the temporary folder).
_PAPERMILL_RUN_KEYS = ("start_time", "end_time", "duration", "input_path", "output_path", "environment_variables")


def safe_output_dir(base: Path, name: str) -> Path:
    """Return ``base/name``, refusing names that would write outside ``base``.

    Raises
    ------
    ScenarioError
        For names with path separators, ``..`` or other characters unfit for a folder name.

    Examples
    --------
    >>> safe_output_dir(Path("/tmp/out"), "baseline").as_posix()  # doctest: +ELLIPSIS
    '/tmp/out/baseline'
    >>> safe_output_dir(Path("/tmp/out"), "../etc")
    Traceback (most recent call last):
    ...
    tuoyu_model.errors.ScenarioError: scenario name '../etc' cannot be used as an output folder; ...

    """
    bad = '/\\:*?"<>|\0'
    if (
        not name
        or name in (".", "..")
        or any(c in name for c in bad)
        or name.startswith(".")
        or any(ord(c) < 32 for c in name)
    ):
        raise ScenarioError(
            f"scenario name '{name}' cannot be used as an output folder; use letters, digits, '_' and '-'"
        )
    check_name_length(name, "输出文件夹", MAX_OUTPUT_NAME_BYTES, "请比较较少的情景或使用较短的情景名")
    base = Path(base).resolve()
    final = (base / name).resolve()
    if final.parent != base:
        raise ScenarioError(
            f"scenario name '{name}' would write outside {display(base)}; use letters, digits, '_' and '-'"
        )
    return final


STALE_TEMP_S = 24 * 3600  # a temporary folder this old is stale whatever its process
_TEMP_NAME = re.compile(r"^\..+\.(tmp|old)-(\d+)-")


def shown(path: Path) -> str:
    """Show an output folder on the console: project-relative from the project root, else absolute.

    A user who runs ``tuoyu`` from another folder gets a path they can paste.
    """
    path = Path(path).resolve()
    return display(path) if Path.cwd().resolve() == PROJECT_ROOT else str(path)


def output_base(out: str | Path | None, option: str = "--out") -> Path:
    """Return the outputs folder (``out`` or the default), created and checked writable.

    Raises
    ------
    ScenarioError
        The folder cannot be created or written (a file, ``/proc``, no permission); one line.

    Examples
    --------
    >>> output_base("/proc/nope")
    Traceback (most recent call last):
    ...
    tuoyu_model.errors.ScenarioError: --out /proc/nope: cannot create the folder (...); give a writable folder

    """
    base = Path(out).expanduser() if out else outputs_dir()
    try:
        base = base.resolve()
        if base.exists() and not base.is_dir():
            raise NotADirectoryError("a file of that name exists")
        base.mkdir(parents=True, exist_ok=True)
        if not os.access(base, os.W_OK | os.X_OK):
            raise PermissionError("not writable")
    except (OSError, RuntimeError) as exc:
        reason = (exc.strerror or str(exc)) if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise ScenarioError(
            f"{option} {out if out else display(base)}: cannot create the folder ({reason}); give a writable folder"
        ) from None
    return base


def remove_stale_temp_dirs(base: Path) -> list[Path]:
    """Remove temporary folders (``.<name>.tmp-<pid>-…``, ``.<name>.old-<pid>-…``) of runs that are gone.

    A run killed outright leaves its temporary folder behind. Two runs may work in one outputs
    folder at once, so only folders whose process no longer exists, or older than a day, are
    removed. Returns the folders removed.
    """
    removed = []
    try:
        entries = list(Path(base).iterdir())
    except OSError:
        return removed
    now = time.time()
    for p in entries:
        m = _TEMP_NAME.match(p.name)
        if not m or not p.is_dir() or int(m.group(2)) == os.getpid():
            continue
        try:
            old = now - p.stat().st_mtime > STALE_TEMP_S
        except OSError:
            continue
        if old or not _process_alive(int(m.group(2))):
            shutil.rmtree(p, ignore_errors=True)
            removed.append(p)
    return removed


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # another user's process, or we cannot tell: keep its folder
    return True


def make_temp_dir(base: Path, name: str) -> Path:
    """Create the temporary folder of a run, ``base/.<name>.tmp-<pid>-…``, after removing stale ones."""
    remove_stale_temp_dirs(base)
    return Path(tempfile.mkdtemp(prefix=f".{name[:60]}.tmp-{os.getpid()}-", dir=base))


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def publish_dir(tmp: Path, final: Path) -> None:
    """Give ``tmp`` the permissions of a folder made with ``mkdir`` (mkdtemp makes it 0700), then move it into place.

    Colleagues on a shared server can then read the outputs as the user's umask allows.
    """
    os.chmod(tmp, 0o777 & ~_umask())
    replace_dir_atomically(tmp, final)


def replace_dir_atomically(tmp: Path, final: Path) -> None:
    """Move a finished ``tmp`` folder into place; the old ``final`` is removed only afterwards.

    If the second move fails the old folder is put back, so ``final`` is never lost.
    """
    final.parent.mkdir(parents=True, exist_ok=True)
    old = None
    if final.exists():
        old = final.with_name(f".{final.name}.old-{os.getpid()}-{time.monotonic_ns()}")
        os.replace(final, old)
    try:
        os.replace(tmp, final)
    except OSError:
        if old is not None:
            os.replace(old, final)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _label(path: Path) -> str:
    """Return a stable name for an input file: relative to the data folder, else to the project."""
    path = Path(path).resolve()
    for root, prefix in ((data_dir(), "data/"), (PROJECT_ROOT, "")):
        try:
            return prefix + path.relative_to(root).as_posix()
        except ValueError:
            continue
    return str(path)


def scenario_file(scenario: Scenario) -> Path:
    """Return the YAML file a scenario was loaded from, as an absolute path."""
    if scenario.path:
        p = Path(scenario.path)
        p = p if p.is_absolute() else PROJECT_ROOT / p
        if p.is_file():
            return p.resolve()
    return scenario_path(scenario.name)


def input_files(scenario: Scenario, notebook: Path | None = None) -> dict[str, str]:
    """SHA-256 of every input file a scenario run reads (data, parameters, scenario, notebook)."""
    root = data_dir()
    paths = [root / "targets.csv", root / "targets_totals.csv", root / "towns.csv"]
    paths += sorted((root / "parameters").glob("*.yaml"))
    paths.append(scenario_file(scenario))
    if notebook is not None:
        paths.append(notebook)
    return {_label(p): sha256_file(p) for p in paths if Path(p).is_file()}


def versions() -> dict[str, str]:
    """Return the versions of Python and of the packages a run uses.

    The solver's own version (e.g. ``HiGHS 1.16.0``) is in ``summary.json``'s ``solver`` entry,
    as the allocation reports it.
    """
    out = {"python": platform.python_version()}
    for pkg in PACKAGES:
        try:
            out[pkg] = importlib.metadata.version(pkg)
        except importlib.metadata.PackageNotFoundError:
            out[pkg] = "not installed"
    return out


def git_commit() -> dict[str, Any]:
    """Return the checkout's commit and whether it has uncommitted changes (None outside a git checkout)."""
    try:
        commit = subprocess.run(
            ["git", "-C", str(PROJECT_ROOT), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(PROJECT_ROOT), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "dirty": None}
    return {"commit": commit, "dirty": bool(dirty)}


def _kernel_manager_class() -> type:
    """Return a kernel manager class that starts ipykernel with ``sys.executable``, whatever kernelspecs exist.

    A user's ``python3`` kernelspec may point at another Python; this one never does, so
    ``tuoyu run`` gives the same result from any environment and working directory.
    """
    from jupyter_client.kernelspec import KernelSpec
    from jupyter_client.manager import AsyncKernelManager
    from traitlets import default

    class CurrentPythonKernelManager(AsyncKernelManager):
        # IPC sockets on POSIX: nothing listens on a TCP port (ipykernel warns about plain TCP).
        @default("transport")
        def _transport_default(self) -> str:
            return "tcp" if os.name == "nt" else "ipc"

        async def _async_interrupt_kernel(self) -> None:
            # jupyter_client interrupts the kernel before every shutdown and ipykernel then logs a
            # spurious "KeyboardInterrupt caught in kernel" ERROR on stderr; a shutdown needs no interrupt.
            if not self.shutting_down:
                await super()._async_interrupt_kernel()

        async def _async_launch_kernel(self, kernel_cmd: list[str], **kw: Any) -> None:
            # The kernel's own log (e.g. ~20 lines of ZMQError when Ctrl-C ends the run) goes to
            # a file, not the user's terminal; its last line is quoted if the kernel fails.
            if KERNEL_LOG is not None:
                kw["stderr"] = KERNEL_LOG
            await super()._async_launch_kernel(kernel_cmd, **kw)

        @property
        def kernel_spec(self) -> KernelSpec:
            return KernelSpec(
                argv=[sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                display_name="Python 3 (ipykernel)",
                language="python",
                resource_dir="",
            )

    return CurrentPythonKernelManager


KERNEL_LOG: Any = None  # the open file the running notebook kernel's stderr goes to


def _kernel_log_tail() -> str:
    """Return the last line the kernel wrote to its log ("" without one)."""
    if KERNEL_LOG is None:
        return ""
    try:
        KERNEL_LOG.seek(0)
        lines = [x.strip() for x in KERNEL_LOG.read().decode("utf-8", "replace").splitlines() if x.strip()]
    except OSError:
        return ""
    return lines[-1][:200] if lines else ""


def _section_of(cells: list, index: int) -> str:
    """Return the heading of the markdown cell above cell ``index`` (to name a failed cell)."""
    for cell in reversed(cells[:index]):
        if cell.get("cell_type") == "markdown":
            for line in cell.get("source", "").splitlines():
                if line.lstrip().startswith("#"):
                    return line.lstrip("# ").strip()
    return ""


def _failure_message(exc: Exception, nb_path: Path, notebook: Path) -> str:
    """One line naming the failed cell, its section and the error, from papermill's exception."""
    ename = getattr(exc, "ename", type(exc).__name__)
    evalue = str(getattr(exc, "evalue", exc)).strip().splitlines()
    evalue = evalue[0] if evalue else ""
    source = str(getattr(exc, "source", "")).strip().splitlines()
    where = f"cell {getattr(exc, 'exec_count', '?')}"
    try:
        import nbformat

        cells = nbformat.read(nb_path, as_version=4).cells
        # papermill inserts an error banner cell, so its cell_index is off by one: find the cell
        # that holds the error output instead.
        failed = [
            i
            for i, c in enumerate(cells)
            if c.cell_type == "code" and any(o.get("output_type") == "error" for o in c.get("outputs", []))
        ]
        idx = failed[0] if failed else int(getattr(exc, "cell_index", -1))
        section = _section_of(cells, idx) if idx >= 0 else ""
        # papermill puts an error banner cell first: count code cells as the user sees them
        code = [
            i
            for i, c in enumerate(cells)
            if c.cell_type == "code"
            and "injected-parameters" not in c.metadata.get("tags", [])
            and "parameters" not in c.metadata.get("tags", [])
        ]
        if idx in code:
            where = f"code cell {code.index(idx) + 1}"
        if section:
            where += f" (section '{section}')"
    except Exception:  # noqa: BLE001 - the original error matters more than the cell's name
        pass
    first = source[0] if source else ""
    code_hint = f" running `{first[:60]}`" if first else ""
    return f"{display(notebook)}: {where}{code_hint} failed: {ename}: {evalue}"


def execute_notebook(notebook: Path, out_nb: Path, parameters: dict[str, Any], cwd: Path) -> dict[str, float]:
    """Execute ``notebook`` with papermill into ``out_nb``; return timings in seconds.

    Raises
    ------
    ReportError
        The kernel did not start or a cell raised; the message names the cell and the error.

    """
    import papermill

    global KERNEL_LOG
    t0 = time.perf_counter()
    KERNEL_LOG = tempfile.TemporaryFile()
    try:
        papermill.execute_notebook(
            str(notebook),
            str(out_nb),
            parameters=parameters,
            cwd=str(cwd),
            kernel_name="python3",
            kernel_manager_class=_kernel_manager_class(),
            progress_bar=False,
            log_output=False,
            request_save_on_cell_execute=False,
            execution_timeout=CELL_TIMEOUT_S,
            start_timeout=120,
        )
    except papermill.PapermillExecutionError as exc:
        raise ReportError(_failure_message(exc, out_nb, notebook)) from None
    except Exception as exc:  # noqa: BLE001 - kernel start-up, timeouts: one line for the user
        first = (str(exc).strip().splitlines() or [""])[0]
        tail = _kernel_log_tail()
        raise ReportError(
            f"{display(notebook)}: could not execute the notebook: {type(exc).__name__}: {first}"
            f"{f' (kernel: {tail})' if tail else ''}; "
            f"check that ipykernel is installed in {sys.executable}"
        ) from None
    finally:
        KERNEL_LOG.close()
        KERNEL_LOG = None
    total = time.perf_counter() - t0
    import nbformat

    nb = nbformat.read(out_nb, as_version=4)
    cells = {
        c.metadata.get("tags", ["cell"])[0] if c.metadata.get("tags") else f"cell{i}": float(
            c.metadata.get("papermill", {}).get("duration") or 0.0
        )
        for i, c in enumerate(nb.cells)
    }
    busy = sum(cells.values())
    return {"papermill_total": total, "kernel_startup_and_overhead": total - busy, **cells}


def clean_notebook(path: Path, notebook: Path) -> Any:
    """Strip run-dependent metadata (times, temporary paths) from an executed notebook in place.

    Keeps what papermill records about the run's parameters; ``input_path`` becomes the
    notebook's project-relative path and ``output_path`` the file's own name.
    """
    import nbformat

    nb = nbformat.read(path, as_version=4)
    pm = nb.metadata.get("papermill", {})
    for key in _PAPERMILL_RUN_KEYS:
        pm.pop(key, None)
    pm["input_path"] = display(notebook)
    pm["output_path"] = Path(path).name
    for cell in nb.cells:
        if "injected-parameters" in cell.metadata.get("tags", []):
            cell["id"] = "injected-parameters"  # papermill gives it a random id
        cell.metadata.pop("execution", None)
        cpm = cell.metadata.get("papermill")
        if cpm is not None:
            for key in ("start_time", "end_time", "duration"):
                cpm.pop(key, None)
    nbformat.write(nb, path)
    return nb


def export_html(nb: Any, path: Path, title: str) -> Path:
    """Export an executed notebook to HTML with the code and prompts hidden."""
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(
        template_name="lab", exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True
    )
    body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": title}})
    Path(path).write_text(body, encoding="utf-8")
    return Path(path)


@dataclass
class RunRecord:
    """What one scenario run produced: where, how long, and the timing of its parts."""

    name: str
    folder: Path
    seconds: float
    timings: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # lines for the console after "wrote …"


def output_name(scenario: Scenario) -> str:
    """Folder name of a run: the scenario name, plus a hash when ``--set`` changed parameters.

    A run with ``--set`` never overwrites the shipped scenario's outputs.
    """
    if not scenario.cli_overrides:
        return scenario.name
    return f"{scenario.name}__set-{scenario.hash[:8]}"


def _scenario_argument(scenario: Scenario) -> str:
    """Return the notebook's ``scenario`` parameter: the name if shipped, else an absolute path."""
    path = scenario_file(scenario)
    shipped = (data_dir() / "scenarios" / f"{scenario.name}.yaml").resolve()
    return scenario.name if path.resolve() == shipped else str(path.resolve())


def build_manifest(
    kind: str,
    folder: Path,
    *,
    started: float,
    seconds: float,
    inputs: Mapping[str, str],
    timings: Mapping[str, float] | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """Describe a run: what it is, what it read, what it wrote, with which code.

    The one manifest of the package (``tuoyu run``, ``tuoyu compare``, ``tuoyu progress``):
    ``kind``, then the kind's own ``fields`` (scenario, parameters …), ``input_files`` (SHA-256
    of every file read), ``outputs`` (SHA-256 of every file in ``folder`` but the manifest),
    ``git`` (commit, dirty), and the fields that change from run to run: ``versions`` and
    ``run`` (start time, seconds, timings, Python, platform).

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "a.csv").write_text("x")
    >>> m = build_manifest("demo", folder, started=0.0, seconds=1.0, inputs={}, scenario="baseline")
    >>> list(m)
    ['kind', 'scenario', 'input_files', 'outputs', 'git', 'versions', 'run']
    >>> m["outputs"]["a.csv"][:12], m["run"]["started_utc"]
    ('2d711642b726', '1970-01-01T00:00:00Z')

    """
    files = {
        p.relative_to(folder).as_posix(): sha256_file(p)
        for p in sorted(Path(folder).rglob("*"))
        if p.is_file() and p.name != "manifest.json"
    }
    return {
        "kind": kind,
        **fields,
        "input_files": dict(inputs),
        "outputs": files,
        "git": git_commit(),
        # The fields below change from run to run (time and versions); everything else is fixed.
        "versions": versions(),
        "run": {
            "started_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
            "seconds": round(seconds, 3),
            "timings_s": {k: round(v, 3) for k, v in (timings or {}).items()},
            "python": sys.executable,
            "platform": platform.platform(),
        },
    }


def scenario_fields(scenario: Scenario, set_options: list[str]) -> dict[str, Any]:
    """Describe a scenario for a manifest: name, title, hash, file, overrides, resolved parameters."""
    return {
        "scenario": scenario.name,
        "title": scenario.title,
        "scenario_hash": scenario.hash,
        "scenario_file": _label(scenario_file(scenario)),
        "set_options": list(set_options),
        "overridden": dict(sorted(scenario.parameters.overridden.items())),
        "parameters": scenario.parameters.to_jsonable(),
    }


def write_manifest(
    folder: Path,
    scenario: Scenario,
    set_options: list[str],
    started: float,
    seconds: float,
    timings: dict[str, float],
    notebook: Path | None,
) -> Path:
    """Write a scenario run's ``manifest.json`` (:func:`build_manifest`, kind ``scenario``)."""
    import json

    from tuoyu_model.writers import write_json

    summary_path = folder / "summary.json"
    solver = json.loads(summary_path.read_text("utf-8")).get("solver", {}) if summary_path.is_file() else {}
    manifest = build_manifest(
        "scenario",
        folder,
        started=started,
        seconds=seconds,
        timings=timings,
        inputs=input_files(scenario, notebook),
        **scenario_fields(scenario, set_options),
        solver=solver,
    )
    return write_json(manifest, folder / "manifest.json")


def run_scenario(
    name: str | Scenario, set_options: list[str] | None = None, out: str | Path | None = None, report: bool = True
) -> RunRecord:
    """Run one scenario into ``<out>/<scenario>/`` atomically; return where and how long.

    Parameters
    ----------
    name : str or Scenario
        A shipped scenario name, a path to a scenario YAML, or a scenario already loaded with
        ``set_options`` applied (:func:`run_many` validates and loads each scenario once).
    set_options : list of str, optional
        ``NAME=VALUE`` overrides (``--set``); recorded in the manifest.
    out : path, optional
        The outputs folder (default ``outputs/`` or ``$TUOYU_OUTPUTS_DIR``).
    report : bool, default True
        Execute the notebook report (False: tables, workbook, figures and JSON only).

    Raises
    ------
    ScenarioError, DataError, SolverError, ReportError
        Nothing of the previous outputs is changed.

    """
    from tuoyu_model.presentation.report import report_title
    from tuoyu_model.results import run_model
    from tuoyu_model.writers import write_outputs

    set_options = list(set_options or [])
    started, t0 = time.time(), time.perf_counter()
    scenario = name if isinstance(name, Scenario) else load_scenario(name, parse_set_options(set_options))
    base = output_base(out)
    final = safe_output_dir(base, output_name(scenario))
    tmp = make_temp_dir(base, final.name)
    notebook = notebooks_dir() / REPORT_NOTEBOOK
    notes = []
    try:
        if report:
            params = {"scenario": _scenario_argument(scenario), "set_options": set_options, "output_dir": "."}
            timings = execute_notebook(notebook, tmp / "report.ipynb", params, cwd=tmp)
            t1 = time.perf_counter()
            nb = clean_notebook(tmp / "report.ipynb", notebook)
            export_html(nb, tmp / "report.html", report_title(scenario))
            timings["html_export"] = time.perf_counter() - t1
        else:
            t1 = time.perf_counter()
            results = run_model(scenario)
            t2 = time.perf_counter()
            write_outputs(results, tmp)
            timings = {"model": t2 - t1, "write_outputs": time.perf_counter() - t2}
        _check_contract(tmp, report)
        seconds = time.perf_counter() - t0
        write_manifest(tmp, scenario, set_options, started, seconds, timings, notebook if report else None)
        if not report and (final / "report.html").is_file():
            # the folder is replaced whole: a report of the previous run would not match the new tables
            notes.append(
                "此前的 report.html / report.ipynb 已删除（与新表格不再一致）；需要报告时去掉 --no-report 重新运行"
            )
        shortfall = _final_shortfall(tmp / "summary.json")
        publish_dir(tmp, final)
    except TuoyuError as exc:
        raise type(exc)(f"{scenario.name}: {exc}; the previous outputs in {display(final)}/ are unchanged") from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if shortfall:
        year, slots = shortfall
        notes.append(f"注意：{year}年底仍有{slots:,.0f}个托位目标未完成（见报告 托位目标与缺口）")
    return RunRecord(scenario.name, final, time.perf_counter() - t0, timings, notes)


def _final_shortfall(summary_path: Path) -> tuple[int, float] | None:
    """``(last year, slots)`` when targets are unmet at the last year-end, from ``summary.json``."""
    import json

    s = json.loads(Path(summary_path).read_text("utf-8"))
    slots = float(s.get("shortfall_final_slots") or 0.0)
    return (int(s["last_year"]), slots) if slots >= 0.5 else None


CONTRACT_FILES = (
    "results.xlsx",
    "summary.json",
    "tables/allocation.csv",
    "tables/stock.csv",
    "tables/budget.csv",
    "tables/pricing.csv",
    "tables/demand.csv",
    "tables/workforce.csv",
    "tables/shadow_prices.csv",
)


def _check_contract(folder: Path, report: bool) -> None:
    """Refuse to publish a folder that lacks a file of the output contract."""
    needed = list(CONTRACT_FILES) + (["report.ipynb", "report.html"] if report else [])
    missing = [f for f in needed if not (folder / f).is_file()]
    if not list((folder / "figures").glob("*.png")):
        missing.append("figures/*.png")
    if missing:
        raise ReportError(f"the run did not produce {', '.join(missing)}")


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C so that temporary folders are removed on the way out."""


def raise_terminated(signum: int, frame: Any) -> None:
    """Signal handler: turn SIGTERM into :class:`Terminated`."""
    raise Terminated


def _worker_signals() -> None:
    # A worker leaves Ctrl-C to the parent (which terminates it) and cleans up on SIGTERM.
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, raise_terminated)


def validate_inputs() -> None:
    """Load the targets and the unit data before any notebook starts, so a broken file is one clean line.

    The scenario and parameter files are checked when each scenario is loaded.
    """
    from tuoyu_model.data import load_targets, load_towns

    load_towns(targets=load_targets())


def _worker(scenario: Scenario, set_options: list[str], out: str | None, report: bool) -> RunRecord:
    return run_scenario(scenario, set_options, out, report)


def run_many(
    names: list[str], set_options: list[str] | None = None, out: str | None = None, jobs: int = 0, report: bool = True
) -> int:
    """Run each scenario into ``<out>/<scenario>/``, in parallel; print progress; return the exit status.

    All scenarios are validated first (a typo stops everything before anything is written). A
    scenario that fails is reported on one line and leaves its previous outputs unchanged; the
    others still run. Exit status 0 if all succeeded, 2 otherwise.
    """
    set_options = list(set_options or [])
    overrides = parse_set_options(set_options)
    if jobs < 0:
        raise ScenarioError(
            f"--jobs {jobs}: expected 0 (one per core) or a positive number of scenarios run at once; e.g. --jobs 2"
        )
    names = list(dict.fromkeys(names))
    validate_inputs()
    scenarios = {n: load_scenario(n, overrides) for n in names}  # loaded once, run as loaded
    base = output_base(out)
    for s in scenarios.values():
        safe_output_dir(base, output_name(s))
    jobs = jobs or os.cpu_count() or 1
    jobs = max(1, min(jobs, len(names)))
    what = "reports" if report else "tables"
    print(
        f"running {len(names)} scenario{'s' * (len(names) > 1)} ({what}) on {jobs} worker{'s' * (jobs > 1)}…",
        flush=True,
    )
    failures = 0
    t0 = time.perf_counter()

    def done(i: int, name: str, rec: RunRecord | None, err: Exception | None) -> None:
        nonlocal failures
        if err is None:
            print(f"[{i}/{len(names)}] {name}: wrote {shown(rec.folder)}/ in {rec.seconds:.1f} s", flush=True)
            for note in rec.notes:
                print(f"[{i}/{len(names)}] {name}: {note}", flush=True)
        else:
            failures += 1
            print(f"[{i}/{len(names)}] {name}: FAILED", flush=True)
            print(f"tuoyu: error: {err}", file=sys.stderr, flush=True)

    if jobs == 1:
        for i, n in enumerate(names, 1):
            try:
                done(i, n, run_scenario(scenarios[n], set_options, out, report), None)
            except TuoyuError as exc:
                done(i, n, None, exc)
    else:
        ctx = multiprocessing.get_context("spawn")  # no forked locks from the parent's threads
        pool = concurrent.futures.ProcessPoolExecutor(max_workers=jobs, mp_context=ctx, initializer=_worker_signals)
        try:
            futures = {pool.submit(_worker, scenarios[n], set_options, out, report): n for n in names}
            for i, fut in enumerate(concurrent.futures.as_completed(futures), 1):
                try:
                    done(i, futures[fut], fut.result(), None)
                except TuoyuError as exc:
                    done(i, futures[fut], None, exc)
        except BaseException:
            # Ctrl-C or SIGTERM: stop the workers (each removes its temporary folder) and say nothing more
            for proc in list(getattr(pool, "_processes", {}).values()):
                proc.terminate()
            pool.shutdown(wait=True, cancel_futures=True)
            raise
        pool.shutdown(wait=True)
    if len(names) > 1:
        print(f"{len(names) - failures} of {len(names)} scenarios done in {time.perf_counter() - t0:.1f} s", flush=True)
    return 0 if failures == 0 else 2


def run_compare(
    names: list[str], set_options: list[str] | None = None, out: str | None = None, report: bool = True
) -> RunRecord:
    """Compare scenarios side by side into ``<out>/compare__A__B…/`` atomically.

    Executes ``notebooks/compare_scenarios.ipynb`` (headline figures of every scenario, and each
    one's difference from the first, as tables and charts); ``report=False`` writes the tables,
    workbook and figure only.

    Raises
    ------
    ScenarioError
        Fewer than two scenarios, or a bad name.
    ReportError
        The notebook failed; earlier outputs are unchanged.

    """
    from tuoyu_model.results import run_model
    from tuoyu_model.writers import write_comparison, write_json

    names = list(dict.fromkeys(names))
    if len(names) < 2:
        raise ScenarioError(
            f"compare needs at least two different scenarios, got {', '.join(names) or 'none'}; "
            "e.g. tuoyu compare baseline budget_cut_20"
        )
    set_options = list(set_options or [])
    started, t0 = time.time(), time.perf_counter()
    overrides = parse_set_options(set_options)
    validate_inputs()
    scenarios = [load_scenario(n, overrides) for n in names]
    base = output_base(out)
    for s in scenarios:
        safe_output_dir(base, output_name(s))
    final = safe_output_dir(base, "compare__" + "__".join(output_name(s) for s in scenarios))
    tmp = make_temp_dir(base, final.name)
    notebook = notebooks_dir() / COMPARE_NOTEBOOK
    try:
        if report:
            params = {
                "scenarios": [_scenario_argument(s) for s in scenarios],
                "set_options": set_options,
                "output_dir": ".",
            }
            timings = execute_notebook(notebook, tmp / "report.ipynb", params, cwd=tmp)
            nb = clean_notebook(tmp / "report.ipynb", notebook)
            export_html(nb, tmp / "report.html", "情景比较：" + "、".join(s.name for s in scenarios))
        else:
            write_comparison([run_model(s) for s in scenarios], tmp)
            timings = {}
        inputs = {k: v for s in scenarios for k, v in input_files(s, notebook if report else None).items()}
        write_json(
            build_manifest(
                "compare",
                tmp,
                started=started,
                seconds=time.perf_counter() - t0,
                timings=timings,
                inputs=inputs,
                scenarios=[{"name": s.name, "title": s.title, "scenario_hash": s.hash} for s in scenarios],
                set_options=set_options,
            ),
            tmp / "manifest.json",
        )
        publish_dir(tmp, final)
    except TuoyuError as exc:
        raise type(exc)(f"compare: {exc}; the previous outputs in {display(final)}/ are unchanged") from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return RunRecord("compare", final, time.perf_counter() - t0, timings)
