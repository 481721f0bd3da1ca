"""Where the data and the outputs live.

The package runs from an editable install or a checkout: ``data/`` and ``outputs/`` sit beside
``tuoyu_model/``. ``TUOYU_DATA_DIR`` and ``TUOYU_OUTPUTS_DIR`` point elsewhere (tests use them), so
the result never depends on the current working directory.
"""

from __future__ import annotations

import os
from pathlib import Path

from tuoyu_model.errors import DataError, ScenarioError

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = PACKAGE_DIR.parent

# Bytes of one file or folder name: NAME_MAX on ext4, xfs, btrfs, tmpfs and APFS (NTFS allows 255
# UTF-16 units, never fewer than the UTF-8 bytes). Names are counted in UTF-8 bytes: a Chinese
# character takes 3, so 80 of them (240 bytes) do not fit once a suffix is added.
NAME_MAX = 255
# While a run swaps its new output folder in, the old one is renamed ``.<folder>.old-<pid>-<ns>``:
# "." + ".old-" + a pid (≤ 7 digits, Linux's pid_max 4,194,304) + "-" + monotonic ns (≤ 20
# digits) = 34 bytes around the folder name. (The temporary folder, ``.<name[:60]>.tmp-<pid>-<8
# random>``, is shorter.)
SWAP_NAME_BYTES = 1 + len(".old-") + 7 + 1 + 20
# A run with ``--set`` writes ``<scenario>__set-<8 hex digits>``.
SET_SUFFIX_BYTES = len("__set-") + 8
# The longest output folder name (221 bytes), and the longest scenario name (207 bytes: 69
# Chinese characters or 207 letters), so that every run of it, with --set, can be redone.
MAX_OUTPUT_NAME_BYTES = NAME_MAX - SWAP_NAME_BYTES
MAX_SCENARIO_NAME_BYTES = MAX_OUTPUT_NAME_BYTES - SET_SUFFIX_BYTES


def data_dir() -> Path:
    """Return the data folder: ``$TUOYU_DATA_DIR`` or ``<project>/data``."""
    env = os.environ.get("TUOYU_DATA_DIR")
    return Path(env).resolve() if env else PROJECT_ROOT / "data"


def outputs_dir() -> Path:
    """Return the outputs folder: ``$TUOYU_OUTPUTS_DIR`` or ``<project>/outputs``."""
    env = os.environ.get("TUOYU_OUTPUTS_DIR")
    return Path(env).resolve() if env else PROJECT_ROOT / "outputs"


def notebooks_dir() -> Path:
    """Return the folder of the report notebooks."""
    return PROJECT_ROOT / "notebooks"


def display(path: Path) -> str:
    """Show ``path`` relative to the project root when it lies inside it (for messages)."""
    path = Path(path)
    try:
        return path.resolve().relative_to(PROJECT_ROOT).as_posix()
    except ValueError:
        return str(path)


def read_bounded(path: Path, max_bytes: int, why: str) -> bytes:
    """Return the bytes of the file at ``path``, refusing a file larger than ``max_bytes``.

    The size is checked before reading, and at most ``max_bytes + 1`` bytes are read, so a
    hostile or mistaken file (a data dump, a file still growing) costs no memory.

    Parameters
    ----------
    path : Path
        A regular file.
    max_bytes : int
        The cap.
    why : str
        The cap in words with its reason, for the message (e.g. ``"1 MiB；真实文件最大约 16 KB"``).

    Raises
    ------
    DataError
        Not found (or not a regular file), unreadable, or larger than the cap.

    """
    path = Path(path)
    where = display(path)
    if not path.is_file():
        raise DataError(
            f"{where}: 找不到文件；请从代码仓库恢复它，或用 TUOYU_DATA_DIR 指向数据文件夹",
            en=f"{where}: file not found; restore it from the repository or set TUOYU_DATA_DIR",
        )
    try:
        with open(path, "rb") as f:
            raw = f.read(max_bytes + 1)
    except OSError as exc:
        raise DataError(
            f"{where}: 无法读取（{exc.strerror}）；请在 Excel/WPS 中关闭它，或检查文件权限",
            en=f"{where}: cannot be read ({exc.strerror}); close it in Excel/WPS or check the permissions",
        ) from None
    if len(raw) > max_bytes:
        size = max(path.stat().st_size, len(raw))
        raise DataError(
            f"{where}: 文件有 {size:,} 字节，超过上限 {max_bytes:,} 字节（{why}）；请确认选对了文件，或删去多余的内容"
        )
    return raw


def check_name_length(name: str, where: str, limit: int, fix: str) -> None:
    """Refuse ``name`` when its UTF-8 bytes exceed ``limit`` (an output folder must fit NAME_MAX).

    Parameters
    ----------
    name : str
        A scenario name or an output folder name.
    where : str
        Named at the start of the message (the scenario file, or ``compare``).
    limit : int
        :data:`MAX_SCENARIO_NAME_BYTES` for a scenario, :data:`MAX_OUTPUT_NAME_BYTES` for a folder.
    fix : str
        What to do, for the message.

    Raises
    ------
    ScenarioError
        With the name's bytes, the limit and how it is made up.

    Examples
    --------
    >>> check_name_length("基线" * 30, "x.yaml", MAX_SCENARIO_NAME_BYTES, "把文件改名")
    >>> check_name_length("托" * 80, "x.yaml", MAX_SCENARIO_NAME_BYTES, "把文件改名")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    tuoyu_model.errors.ScenarioError: x.yaml: 名称 '托托托托托托托托托托托托…' 有 240 字节...

    """
    size = len(name.encode("utf-8", "surrogatepass"))
    if size > limit:
        shown = name if len(name) <= 12 else name[:12] + "…"
        raise ScenarioError(
            f"{where}: 名称 '{shown}' 有 {size} 字节（UTF-8，汉字每字 3 字节），超过上限 {limit} 字节："
            f"文件系统的文件夹名最多 {NAME_MAX} 字节，其中 '__set-<哈希>' 后缀占 {SET_SUFFIX_BYTES} 字节、"
            f"替换旧输出时的临时名占 {SWAP_NAME_BYTES} 字节；{fix}（至多约 {limit // 3} 个汉字或 {limit} 个字母）"
        )
