"""The one publishing path: temporary folder → files → manifest → atomic swap, never losing what is not ours.

Every output folder (``tuoyu run``, ``tuoyu compare``, ``tuoyu progress``) is written by
:func:`publishing`:

1. the output base is checked (:func:`tuoyu_model.runs.locations.output_base`: never a system
   or home root, never the project's ``data/``, ``notebooks/`` or package folder) and the target
   ``base/<name>`` is checked before any work (:func:`check_replaceable`: no symlink, no folder
   this package did not write);
2. the caller writes into a fresh temporary sibling ``base/.<name>.tmp-<pid>-…``;
3. ``manifest.json`` and the marker file :data:`MARKER` are written into it;
4. under a lock of the output base (:data:`LOCK_NAME`, ``filelock``, across processes and
   threads) the target is checked again and swapped: old folder aside, new folder in, old
   folder removed. A failure anywhere leaves the previous folder as it was and removes the
   temporary one; a full disk is one line saying so and where.
"""

from __future__ import annotations

import errno
import json
import os
import re
import secrets
import shutil
import stat
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import filelock

from tuoyu_model.csv_writer import write_json
from tuoyu_model.errors import ReportError, ScenarioError, TuoyuError
from tuoyu_model.runs.locations import shown
from tuoyu_model.runs.signals import raise_if_stopped

PACKAGE = "tuoyu-model"
MARKER = ".tuoyu-output"  # in every folder this package writes; only such folders are ever replaced
MARKER_TEXT = (
    f"{PACKAGE}\n"
    "本文件夹由 tuoyu-model 写入（tuoyu run / compare / progress），再次运行时会被整体替换；"
    "请不要在这里保存自己的文件。\n"
)
LOCK_NAME = ".tuoyu.lock"  # one lock per output base: publishing there is serialised
LOCK_TIMEOUT_S = 300  # a swap takes well under a second; this long means another run is stuck
MANIFEST_READ_LIMIT = 8 << 20  # bytes: a manifest of ours is well under 1 MB
STALE_TEMP_S = 24 * 3600  # a temporary folder this old is stale whatever its process
TEMP_NAME = re.compile(r"^\..+\.(tmp|old)-(?P<pid>\d+)-")
# Errors of a full disk, a file over the size limit (ulimit -f) or an exhausted quota.
DISK_FULL = {
    errno.ENOSPC: "磁盘已满",
    errno.EFBIG: "文件超过大小上限（文件系统或 ulimit -f）",
    getattr(errno, "EDQUOT", errno.ENOSPC): "磁盘配额已用完",
}


def is_ours(folder: Path) -> bool:
    """Whether ``folder`` was written by this package: its marker, or a manifest of ours (outputs of earlier versions).

    An empty folder counts as ours too: replacing it loses nothing.
    """
    folder = Path(folder)
    marker = folder / MARKER
    try:
        if not marker.is_symlink() and marker.is_file() and marker.stat().st_size < 4096:
            if marker.read_text("utf-8", errors="replace").splitlines()[:1] == [PACKAGE]:
                return True
        manifest = folder / "manifest.json"
        if not manifest.is_symlink() and manifest.is_file() and manifest.stat().st_size < MANIFEST_READ_LIMIT:
            m = json.loads(manifest.read_text("utf-8"))
            if isinstance(m, dict) and isinstance(m.get("versions"), dict) and PACKAGE in m["versions"]:
                return True
        return not any(folder.iterdir())
    except (OSError, ValueError):
        return False


def check_replaceable(final: Path) -> None:
    """Refuse to replace ``final`` unless it is absent or a real folder this package wrote.

    Safe without the lock while another run swaps ``final``: a folder that changes under the
    check (moved aside, replaced) is looked at again; under the lock it cannot change.

    Raises
    ------
    ScenarioError
        ``final`` is a symlink (never followed: its target stays as it is), a file, or a folder
        without this package's marker or manifest (a user's folder: nothing in it is touched).

    """
    final = Path(final)
    where = shown(final)
    for _ in range(10):
        before = _lstat(final)
        if before is None:
            return
        if stat.S_ISLNK(before.st_mode):
            raise ScenarioError(
                f"{where} 是一个符号链接，本程序不会替换链接或它指向的文件夹；"
                "请删除这个链接，或用 --out 指定另一个文件夹"
            )
        if not stat.S_ISDIR(before.st_mode):
            raise ScenarioError(
                f"{where} 已存在且是一个文件，不是本程序的输出文件夹；请把它移走，或用 --out 指定另一个文件夹"
            )
        if is_ours(final):
            return
        after = _lstat(final)
        if after is not None and (after.st_dev, after.st_ino) == (before.st_dev, before.st_ino):
            break  # the same folder throughout: not ours
    try:
        names = sorted(p.name for p in final.iterdir())
    except OSError:
        names = []
    more = f" 等 {len(names)} 项" if len(names) > 3 else ""
    held = f"，其中有 {'、'.join(names[:3])}{more}" if names else ""
    raise ScenarioError(
        f"{where}/ 已存在，但不是本程序写的输出文件夹（没有 {MARKER} 标记或本程序的 manifest.json{held}），"
        "为免删除其中的文件已停止；请把它移走或改名，或用 --out 指定另一个文件夹"
    )


def _lstat(path: Path) -> os.stat_result | None:
    try:
        return os.lstat(path)
    except FileNotFoundError:
        return None


def remove_stale_dirs(base: Path, pattern: re.Pattern[str] = TEMP_NAME) -> list[Path]:
    """Remove the folders in ``base`` matching ``pattern`` whose process (group ``pid``) is gone, or over a day old.

    A run killed outright leaves its temporary folders behind. Two runs may work in one folder
    at once, so a folder of a living process is kept. Returns the folders removed.
    """
    removed = []
    try:
        entries = list(Path(base).iterdir())
    except OSError:
        return removed
    now = time.time()
    for p in entries:
        m = pattern.match(p.name)
        if not m or p.is_symlink() or not p.is_dir() or int(m.group("pid")) == os.getpid():
            continue
        try:
            old = now - p.stat().st_mtime > STALE_TEMP_S
        except OSError:
            continue
        if old or not _process_alive(int(m.group("pid"))):
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
    """Create the temporary folder of a run, ``base/.<name>.tmp-<pid>-…``, after removing stale ones.

    Made with ``mkdir``, so the user's umask gives it the permissions of any folder they make
    (colleagues on a shared server read the outputs as it allows; ``mkdtemp`` would make 0700,
    and changing the umask to read it is not thread-safe).
    """
    remove_stale_dirs(base)
    prefix = f".{name[:60]}.tmp-{os.getpid()}-"
    while True:
        path = Path(base) / f"{prefix}{secrets.token_hex(6)}"
        try:
            path.mkdir(mode=0o777)
        except FileExistsError:
            continue  # 48 random bits taken: draw again
        return path


def publish_lock(base: Path) -> filelock.FileLock:
    """Return the lock that serialises publishing into ``base`` (the file ``base/.tuoyu.lock``, kept)."""
    return filelock.FileLock(Path(base) / LOCK_NAME, timeout=LOCK_TIMEOUT_S)


def publish_dir(tmp: Path, final: Path) -> None:
    """Mark ``tmp`` as ours and swap it in for ``final`` under the lock of ``final``'s folder.

    ``final`` is checked again under the lock (another run may have changed it meanwhile).

    Raises
    ------
    ScenarioError
        ``final`` may not be replaced (:func:`check_replaceable`), or another run held the lock
        for :data:`LOCK_TIMEOUT_S` seconds.

    """
    tmp, final = Path(tmp), Path(final)
    (tmp / MARKER).write_text(MARKER_TEXT, encoding="utf-8")
    try:
        with publish_lock(final.parent):
            check_replaceable(final)
            old = _swap(tmp, final)
    except filelock.Timeout:
        raise ScenarioError(
            f"{shown(final)}/：另一个 tuoyu 运行正在写入 {shown(final.parent)}/，等了 {LOCK_TIMEOUT_S} 秒仍未结束；"
            "请等它结束后重跑"
        ) from None
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _swap(tmp: Path, final: Path) -> Path | None:
    """Move ``tmp`` into place; return the old folder, moved aside (to remove), or None.

    If the second move fails the old folder is put back, so ``final`` is never lost.
    """
    old = None
    if final.exists():
        old = final.with_name(f".{final.name[:60]}.old-{os.getpid()}-{time.monotonic_ns()}")
        os.replace(final, old)
    try:
        os.replace(tmp, final)
    except OSError:
        if old is not None:
            os.replace(old, final)
        raise
    return old


def write_failure(exc: OSError, final: Path) -> str:
    r"""One Chinese line for an ``OSError`` while writing ``final``'s files: a full disk says so and where.

    Examples
    --------
    >>> full = OSError(28, "No space left on device", "/srv/out/.b.tmp-1-x/results.xlsx")
    >>> print(write_failure(full, Path("/srv/out/b")).replace("；", "；\n"))
    /srv/out/b/：磁盘已满，写入 results.xlsx 时失败（No space left on device）；
    请清理 /srv/out 所在磁盘的空间后重跑，原有输出未改动

    """
    name = Path(exc.filename).name if exc.filename else ""
    at = f"写入 {name} 时" if name else "写入时"
    reason = exc.strerror or str(exc)
    where = shown(final)
    if exc.errno in DISK_FULL:
        return (
            f"{where}/：{DISK_FULL[exc.errno]}，{at}失败（{reason}）；"
            f"请清理 {shown(final.parent)} 所在磁盘的空间后重跑，原有输出未改动"
        )
    return f"{where}/：{at}出错（{reason}）；请检查该文件夹可写、磁盘正常后重跑，原有输出未改动"


@contextmanager
def publishing(
    final: Path, manifest: Callable[[Path], Mapping[str, Any]] | None = None, *, label: str = ""
) -> Iterator[Path]:
    """Write an output folder atomically: yield a temporary folder; on success publish it as ``final``.

    Parameters
    ----------
    final : Path
        The folder to publish, ``base/<name>`` from
        :func:`~tuoyu_model.runs.locations.safe_output_dir` (``base`` from
        :func:`~tuoyu_model.runs.locations.output_base`). Checked at once (:func:`check_replaceable`), before any work.
    manifest : callable, optional
        ``manifest(folder) -> dict``, called after the ``with`` body (so it sees what the body
        set, e.g. its timings) and written as ``folder/manifest.json``; usually a
        :func:`tuoyu_model.runs.provenance.build_manifest` call.
    label : str, default ""
        Prefix of error messages (the scenario's name, ``compare``); errors from the body then
        also say that the previous outputs are unchanged.

    Raises
    ------
    ScenarioError
        ``final`` may not be replaced (a symlink, a user's folder); nothing is written.
    ReportError
        Writing failed (a full disk names itself and the folder).
    TuoyuError
        Whatever the body raised. In every case the previous ``final`` is unchanged and the
        temporary folder removed.

    Examples
    --------
    >>> import tempfile
    >>> from tuoyu_model.runs.locations import output_base
    >>> base = output_base(tempfile.mkdtemp())
    >>> with publishing(base / "demo", lambda folder: {"kind": "demo"}) as tmp:
    ...     _ = (tmp / "a.csv").write_text("x")
    >>> sorted(p.name for p in (base / "demo").iterdir())
    ['.tuoyu-output', 'a.csv', 'manifest.json']

    """
    final = Path(final)
    prefix = f"{label}: " if label else ""
    check_replaceable(final)
    tmp = None
    try:
        try:
            tmp = make_temp_dir(final.parent, final.name)
            try:
                yield tmp
            except TuoyuError as exc:
                kept = shown(final)
                raise type(exc)(
                    f"{prefix}{exc.zh}；{kept}/ 中原有的输出未改动",
                    en=f"{prefix}{exc.en or exc.zh}; the previous outputs in {kept}/ are unchanged",
                ) from None
            raise_if_stopped()  # Ctrl-C or SIGTERM arrived, even if a library swallowed it: nothing is published
            if manifest is not None:
                write_json(manifest(tmp), tmp / "manifest.json")
            publish_dir(tmp, final)
        except OSError as exc:
            raise ReportError(prefix + write_failure(exc, final)) from None
    except ScenarioError as exc:
        if prefix and not str(exc).startswith(prefix):
            raise ScenarioError(f"{prefix}{exc.zh}", en=f"{prefix}{exc.en or exc.zh}") from None
        raise
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
