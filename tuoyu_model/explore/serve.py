"""``tuoyu explore``: serve ``notebooks/explore.ipynb`` as a Voilà app on 127.0.0.1 only.

Voilà runs as a child process in the same process group, so Ctrl-C in the terminal (or a SIGTERM
to the group) reaches both; this process also asks Voilà to stop (SIGTERM: it shuts its kernels
down), waits for it (bounded), kills it if it lingers, and says in Chinese that it has stopped. Voilà's own English log
goes to a file in a temporary folder, removed at the end; its last lines are shown only when it
fails to start.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tuoyu_model.errors import ScenarioError
from tuoyu_model.explore.app import SCENARIO_VARIABLE
from tuoyu_model.parameters import load_scenario, scenario_path
from tuoyu_model.paths import notebooks_dir

HOST = "127.0.0.1"  # loopback only: the explorer is never reachable from another machine
DEFAULT_PORT = 8866  # Voilà's usual port; the next free one is taken when it is busy
START_TIMEOUT = 120.0  # seconds for Voilà to listen (imports are slow on a loaded machine)
STOP_TIMEOUT = 15.0  # seconds for Voilà to shut its kernels down before it is ended
INSTALL_HINT = 'tuoyu explore 需要 Voilà 和 ipywidgets：请运行 pip install -e ".[explore]" 安装后再试'


def missing_packages() -> list[str]:
    """Return the explorer's optional packages that are not installed (``voila``, ``ipywidgets``)."""
    return [name for name in ("voila", "ipywidgets") if importlib.util.find_spec(name) is None]


def port_free(port: int) -> bool:
    """Whether ``port`` can be listened on at 127.0.0.1."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind((HOST, port))
        except OSError:
            return False
    return True


def choose_port(port: int | None) -> int:
    """Return ``port`` if free (else a Chinese error), or the first free port from :data:`DEFAULT_PORT`.

    Raises
    ------
    ScenarioError
        The port asked for is out of range or in use.

    """
    if port is not None:
        if not 1 <= port <= 65535:
            raise ScenarioError(f"--port {port}：端口须在1至65535之间，例如 --port 8866")
        if not port_free(port):
            raise ScenarioError(f"--port {port}：端口已被占用，请换一个端口，例如 --port {port + 1}")
        return port
    return next(p for p in range(DEFAULT_PORT, DEFAULT_PORT + 200) if port_free(p))


def _listening(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.5)
        return s.connect_ex((HOST, port)) == 0


def voila_command(notebook: Path, port: int) -> list[str]:
    """Return the Voilà command line: loopback only, that port or nothing, no browser, code hidden, our kernel."""
    return [
        sys.executable,
        "-m",
        "voila",
        str(notebook),
        f"--port={port}",
        f"--Voila.ip={HOST}",
        "--Voila.port_retries=0",
        "--no-browser",
        "--strip_sources=True",
        "--show_tracebacks=False",
        "--VoilaConfiguration.kernel_spec_manager_class=tuoyu_model.explore.kernels.CurrentPythonKernelSpecManager",
    ]


def kernel_scenario(scenario: str) -> str:
    """Check ``scenario`` and return it as the kernel must get it: a name, or a file's full path.

    The kernel runs in ``notebooks/``, so a relative path would point elsewhere there.

    Raises
    ------
    ScenarioError
        An unknown or invalid scenario (one line now, not an error page later).

    """
    start = load_scenario(scenario)
    return scenario if start.name == scenario else str(scenario_path(scenario))


def _tail(log: Path, lines: int = 3) -> str:
    try:
        text = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()
    except OSError:
        return ""
    return " / ".join(text[-lines:])


def _stop(proc: subprocess.Popen) -> None:
    """Ask Voilà to stop (SIGTERM: it shuts its kernels down), kill it if it lingers; bounded waits."""
    if proc.poll() is None:
        proc.terminate()
    try:
        proc.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=STOP_TIMEOUT)


def serve(scenario: str = "baseline", port: int | None = None) -> int:
    """Serve the explorer for ``scenario`` until Ctrl-C; return the exit status.

    Raises
    ------
    ScenarioError
        An unknown or invalid scenario, or a port that cannot be used.

    """
    if missing_packages():
        print(f"tuoyu: {INSTALL_HINT}", file=sys.stderr)
        return 2
    scenario = kernel_scenario(scenario)
    port = choose_port(port)
    notebook = notebooks_dir() / "explore.ipynb"
    scratch = Path(tempfile.mkdtemp(prefix="tuoyu-explore-"))
    log = scratch / "voila.log"
    env = {**os.environ, SCENARIO_VARIABLE: scenario}
    proc = None
    try:
        with open(log, "w", encoding="utf-8") as out:
            proc = subprocess.Popen(voila_command(notebook, port), stdout=out, stderr=subprocess.STDOUT, env=env)
        deadline = time.monotonic() + START_TIMEOUT
        while not _listening(port):
            if proc.poll() is not None or time.monotonic() > deadline:
                print(f"tuoyu: 情景探索服务未能启动（{_tail(log) or '无日志'}）", file=sys.stderr)
                return 1
            time.sleep(0.2)
        print(f"情景探索已启动：请在浏览器中打开 http://{HOST}:{port}/ （按 Ctrl-C 停止）", flush=True)
        proc.wait()
        print("情景探索服务已停止。", flush=True)
        return 0 if proc.returncode == 0 else 1
    except KeyboardInterrupt:
        if proc is not None:
            _stop(proc)
        print("情景探索已停止。", flush=True)
        return 0
    finally:
        if proc is not None and proc.poll() is None:
            _stop(proc)
        shutil.rmtree(scratch, ignore_errors=True)
