"""Notebook execution for the reports: papermill with this Python's own kernel, html export, clean metadata.

The kernel always runs ``sys.executable`` (no kernelspec has to be registered) in a working
directory given by the caller. Its connection file and IPC sockets go to a folder of this run,
``<temp>/tuoyu-kernel-<pid>-…/``, removed when the notebook ends; a run killed outright
(SIGKILL) leaves it behind, and the next run removes it as it removes output temporary folders.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import importlib
import os
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import IO, Any

from tuoyu_model.errors import ReportError, pick
from tuoyu_model.paths import display
from tuoyu_model.runs.publish import DISK_FULL, remove_stale_dirs

CELL_TIMEOUT_S = 900
KERNEL_DIR_NAME = re.compile(r"^tuoyu-kernel-(?P<pid>\d+)-")
# Keys of papermill's notebook metadata that change from run to run (or name the temporary folder).
_PAPERMILL_RUN_KEYS = ("start_time", "end_time", "duration", "input_path", "output_path", "environment_variables")
_ERRNO = re.compile(r"\[Errno (\d+)\] ([^:]*)(?::\s*'(.*)')?")
# What ``python -m ipykernel_launcher`` does (the working folder off sys.path while ipykernel loads),
# without debugpy: ipykernel imports it at start-up (0.1–0.2 s of every report) for a debugger a
# report never uses, and runs without it as where it is not installed.
KERNEL_LAUNCHER = (
    "import sys\n"
    "if sys.path and sys.path[0] == '':\n"
    "    del sys.path[0]\n"
    "sys.modules['debugpy'] = None\n"
    "from ipykernel import kernelapp\n"
    "kernelapp.launch_new_instance()\n"
)


def notebook_modules(*names: str) -> list[Any]:
    """Import the notebook libraries (nbformat, papermill, nbconvert) without jsonschema's IRI grammars.

    nbformat imports jsonschema, whose format checkers import ``rfc3987_syntax`` when it is
    installed (Voilà's dependencies bring it): that module compiles 39 lark grammars at import,
    0.7–4 s of every report, for "iri" format checks nbformat never runs (it validates notebooks
    without a format checker). The first import of jsonschema here sees the module as absent;
    it stays importable for any other code.
    """
    blocked = "rfc3987_syntax" not in sys.modules and "jsonschema" not in sys.modules
    if blocked:
        sys.modules["rfc3987_syntax"] = None  # type: ignore[assignment] # import → ImportError, skipped by jsonschema
    try:
        return [importlib.import_module(n) for n in names]
    finally:
        if blocked and sys.modules.get("rfc3987_syntax", 0) is None:
            del sys.modules["rfc3987_syntax"]


def kernel_dir() -> Path:
    """Create this run's folder for the kernel's connection file and sockets, after removing dead runs' ones."""
    root = Path(tempfile.gettempdir())
    remove_stale_dirs(root, KERNEL_DIR_NAME)
    return Path(tempfile.mkdtemp(prefix=f"tuoyu-kernel-{os.getpid()}-", dir=root))


def _kernel_manager_class(folder: Path, log: IO[bytes], done: dict[str, bool]) -> type:
    """Return a kernel manager class that starts ipykernel with ``sys.executable``, whatever kernelspecs exist.

    A user's ``python3`` kernelspec may point at another Python; this one never does, so
    ``tuoyu run`` gives the same result from any environment and working directory. The
    connection file and sockets live in ``folder``; the kernel's stderr goes to ``log``. Once
    ``done["cells"]`` is set (the last code cell has run, every output is in) the kernel is
    killed at shutdown instead of asked to exit: a kernel with pandas and matplotlib loaded takes
    about 0.7 s to wind down on its own. A run stopped or failed before that shuts down as
    jupyter_client does by default.
    """
    from jupyter_client.kernelspec import KernelSpec  # heavy: imported only when a report runs
    from jupyter_client.manager import AsyncKernelManager
    from traitlets import default

    class CurrentPythonKernelManager(AsyncKernelManager):
        clients: list

        def __init__(self, **kw: Any) -> None:
            super().__init__(**kw)
            self.clients = []

        # IPC sockets on POSIX: nothing listens on a TCP port (ipykernel warns about plain TCP).
        # A temp folder too long for a socket path (about 100 bytes) falls back to TCP.
        @default("transport")
        def _transport_default(self) -> str:
            return "tcp" if os.name == "nt" or len(str(folder)) > 60 else "ipc"

        @default("connection_file")
        def _connection_file_default(self) -> str:
            return str(folder / "kernel.json")

        async def _async_interrupt_kernel(self) -> None:
            # jupyter_client interrupts the kernel before every shutdown and ipykernel then logs a
            # spurious "KeyboardInterrupt caught in kernel" ERROR on stderr; a shutdown needs no interrupt.
            if not self.shutting_down:
                await super()._async_interrupt_kernel()

        async def shutdown_kernel(self, now: bool = False, restart: bool = False) -> None:
            await super()._async_shutdown_kernel(now=now or done["cells"], restart=restart)

        def client(self, **kw: Any) -> Any:
            kc = super().client(**kw)
            self.clients.append(kc)  # the notebook client's: closed by _stop_kernel
            return kc

        async def _async_launch_kernel(self, kernel_cmd: list[str], **kw: Any) -> None:
            # The kernel's own log (e.g. ~20 lines of ZMQError when Ctrl-C ends the run) goes to
            # a file, not the user's terminal; its last line is quoted if the kernel fails.
            kw["stderr"] = log
            await super()._async_launch_kernel(kernel_cmd, **kw)

        @property
        def kernel_spec(self) -> KernelSpec:
            return KernelSpec(
                argv=[sys.executable, "-c", KERNEL_LAUNCHER, "-f", "{connection_file}"],
                display_name="Python 3 (ipykernel)",
                language="python",
                resource_dir="",
            )

    return CurrentPythonKernelManager


def _start_kernel(km: Any, cwd: Path) -> None:
    """Start ``km``'s kernel in ``cwd`` without waiting for it to be ready (for papermill's ``km``).

    The notebook client then only connects; a kernel it did not start it does not stop either:
    :func:`_stop_kernel` does, whatever happened (even a stop while this starts it).
    """
    from jupyter_core.utils import run_sync  # heavy: imported only when a report runs

    # nbclient's own start-up arguments: no IPython history file for a report
    run_sync(km.start_kernel)(cwd=str(cwd), extra_arguments=["--HistoryManager.hist_file=:memory:"])


def _stop_kernel(km: Any) -> None:
    """Stop a kernel :func:`_start_kernel` started (if it runs still), close its clients, free its files."""
    if km is None:
        return
    from jupyter_core.utils import ensure_event_loop, run_sync  # heavy: imported only when a report runs

    # A run stopped inside a cell leaves the notebook client's tasks waiting on the loop: cancelled
    # and collected here, they cannot log "Task exception was never retrieved" at exit.
    loop = ensure_event_loop()
    left = [t for t in asyncio.all_tasks(loop) if not t.done()]
    for t in left:
        t.cancel()
    if left:
        loop.run_until_complete(asyncio.gather(*left, return_exceptions=True))
    for kc in km.clients:
        kc.stop_channels()
    try:
        if run_sync(km.is_alive)():
            run_sync(km.shutdown_kernel)()
    finally:
        run_sync(km.cleanup_resources)()


def _log_tail(log: IO[bytes]) -> str:
    """Return the last line the kernel wrote to its log ("" without one)."""
    try:
        log.seek(0)
        lines = [x.strip() for x in log.read().decode("utf-8", "replace").splitlines() if x.strip()]
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
    (nbformat,) = notebook_modules("nbformat")  # heavy: imported only when a report runs

    ename = getattr(exc, "ename", type(exc).__name__)
    evalue = str(getattr(exc, "evalue", exc)).strip().splitlines()
    evalue = evalue[0] if evalue else ""
    source = str(getattr(exc, "source", "")).strip().splitlines()
    count = getattr(exc, "exec_count", "?")
    where = pick(f"第 {count} 个单元", f"cell {count}")
    try:
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
            where = pick(f"第 {code.index(idx) + 1} 个代码单元", f"code cell {code.index(idx) + 1}")
        if section:
            where += pick(f"（“{section}”一节）", f" (section '{section}')")
    except Exception:  # noqa: BLE001 - the original error matters more than the cell's name
        pass
    first = source[0] if source else ""
    code_hint = pick(f"运行 `{first[:60]}` 时", f" running `{first[:60]}`") if first else ""
    return pick(
        f"{display(notebook)}: {where}{code_hint}出错（{ename}: {evalue}）",
        f"{display(notebook)}: {where}{code_hint} failed: {ename}: {evalue}",
    )


def _disk_full_in_kernel(exc: Exception) -> OSError | None:
    """Return the ``OSError`` of a full disk that a notebook cell raised, rebuilt in this process (None otherwise)."""
    m = _ERRNO.search(str(getattr(exc, "evalue", "")))
    if getattr(exc, "ename", "") in ("OSError", "IOError") and m and int(m.group(1)) in DISK_FULL:
        return OSError(int(m.group(1)), m.group(2).strip(), m.group(3))
    return None


def execute_notebook(notebook: Path, out_nb: Path, parameters: dict[str, Any], cwd: Path) -> dict[str, float]:
    """Execute ``notebook`` with papermill into ``out_nb``; return timings in seconds.

    Raises
    ------
    ReportError
        The kernel did not start or a cell raised; the message names the cell and the error.
    OSError
        The disk is full (errno 28, 27 or a quota), in a cell or writing the notebook:
        :func:`tuoyu_model.runs.publish.publishing` says so in one line.

    """
    t0 = time.perf_counter()
    folder = kernel_dir()
    log = tempfile.TemporaryFile()
    done = {"cells": False}
    last = -1
    km = papermill = None

    def cell_executed(cell: Any, cell_index: int, execute_reply: Any) -> None:
        # the last code cell has run (papermill's injected parameters cell moves it one place on)
        done["cells"] = cell_index >= last

    try:
        # The kernel first: it starts up (about 1 s) while this process loads the notebook libraries.
        km = _kernel_manager_class(folder, log, done)(kernel_name="python3")
        _start_kernel(km, cwd)
        nbformat, papermill = notebook_modules("nbformat", "papermill")  # heavy: imported only when a report runs
        prepare_html_export()  # in the background while the kernel runs
        cells = nbformat.read(notebook, as_version=4).cells
        last = max((i for i, c in enumerate(cells) if c.cell_type == "code"), default=-1)
        papermill.execute_notebook(
            str(notebook),
            str(out_nb),
            parameters=parameters,
            cwd=str(cwd),
            kernel_name="python3",
            km=km,
            on_cell_executed=cell_executed,
            progress_bar=False,
            log_output=False,
            request_save_on_cell_execute=False,
            execution_timeout=CELL_TIMEOUT_S,
            start_timeout=120,
        )
    except Exception as exc:
        if papermill is not None and isinstance(exc, papermill.PapermillExecutionError):
            full = _disk_full_in_kernel(exc)
            if full is not None:
                raise full from None
            raise ReportError(_failure_message(exc, out_nb, notebook)) from None
        if isinstance(exc, OSError) and exc.errno in DISK_FULL:
            raise
        raise _start_failure(exc, notebook, log) from None  # kernel start-up, timeouts: one line for the user
    finally:
        try:
            _stop_kernel(km)
        finally:
            log.close()
            shutil.rmtree(folder, ignore_errors=True)
    total = time.perf_counter() - t0
    nb = nbformat.read(out_nb, as_version=4)
    cells = {
        c.metadata.get("tags", ["cell"])[0] if c.metadata.get("tags") else f"cell{i}": float(
            c.metadata.get("papermill", {}).get("duration") or 0.0
        )
        for i, c in enumerate(nb.cells)
    }
    busy = sum(cells.values())
    return {"papermill_total": total, "kernel_startup_and_overhead": total - busy, **cells}


def _start_failure(exc: Exception, notebook: Path, log: IO[bytes]) -> ReportError:
    """One line for a notebook that could not run at all (the kernel did not start, a timeout)."""
    first = (str(exc).strip().splitlines() or [""])[0]
    tail = _log_tail(log)
    cause = f"{type(exc).__name__}: {first}"  # the library's words, quoted
    return ReportError(
        f"{display(notebook)}: 无法运行报告笔记本（{cause}{f'；内核：{tail}' if tail else ''}）；"
        f"请检查 {sys.executable} 所在环境中是否安装了 ipykernel",
        en=f"{display(notebook)}: could not execute the notebook: {cause}"
        f"{f' (kernel: {tail})' if tail else ''}; check that ipykernel is installed in {sys.executable}",
    )


def clean_notebook(path: Path, notebook: Path) -> Any:
    """Strip run-dependent metadata (times, temporary paths) from an executed notebook in place.

    Keeps what papermill records about the run's parameters; ``input_path`` becomes the
    notebook's project-relative path and ``output_path`` the file's own name.
    """
    (nbformat,) = notebook_modules("nbformat")  # heavy: imported only when a report runs

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


_EXPORTER: dict[str, concurrent.futures.Future] = {}  # the HTML exporter of this process, built once


def _build_exporter() -> Any:
    """Return an HTML exporter (code and prompts hidden) with its templates compiled."""
    (nbconvert, nbformat) = notebook_modules("nbconvert", "nbformat")  # heavy: imported only when a report runs
    exporter = nbconvert.HTMLExporter(
        template_name="lab",
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        optimistic_validation=True,  # the notebook validated once, not after each of its dozen preprocessors
    )
    exporter.from_notebook_node(nbformat.v4.new_notebook())  # compiles the templates, reads the theme
    return exporter


def prepare_html_export() -> None:
    """Start building the HTML exporter in a background thread (once per process).

    Called when a notebook starts: importing nbconvert and compiling its templates (about 1 s)
    then overlaps the kernel's work, during which this process only waits for messages.
    """
    if "html" not in _EXPORTER:
        pool = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="tuoyu-html")
        _EXPORTER["html"] = pool.submit(_build_exporter)
        pool.shutdown(wait=False)


def export_html(nb: Any, path: Path, title: str) -> Path:
    """Export an executed notebook to HTML with the code and prompts hidden."""
    prepare_html_export()
    exporter = _EXPORTER["html"].result()
    body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": title}})
    Path(path).write_text(body, encoding="utf-8")
    return Path(path)
