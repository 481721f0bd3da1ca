"""Where output folders may go: the output base (checked, created, writable) and a folder's name in it.

:func:`output_base` refuses a system or home root and the project's own ``data/``,
``notebooks/`` and package folders (:func:`refused_base`) before anything is created;
:func:`safe_output_dir` refuses a scenario name unfit for a folder (separators, ``..``, a
leading dot, control characters, too long); :func:`shown` is how a folder is written on the
console. Writing into the folder is :mod:`tuoyu_model.runs.publish`.
"""

from __future__ import annotations

import os
from pathlib import Path

from tuoyu_model.errors import ScenarioError, pick
from tuoyu_model.paths import (
    MAX_OUTPUT_NAME_BYTES,
    PACKAGE_DIR,
    PROJECT_ROOT,
    check_name_length,
    data_dir,
    display,
    notebooks_dir,
    outputs_dir,
)

# Output bases refused outright: system folders and home roots (exactly these, not below them).
_SYSTEM_ROOTS = (
    "/",
    "/bin",
    "/boot",
    "/dev",
    "/etc",
    "/home",
    "/lib",
    "/lib32",
    "/lib64",
    "/opt",
    "/proc",
    "/root",
    "/run",
    "/sbin",
    "/srv",
    "/sys",
    "/usr",
    "/usr/local",
    "/var",
    "/Users",
    "/Applications",
    "/Library",
    "/System",
)
_WINDOWS_ROOTS = ("SystemRoot", "ProgramFiles", "ProgramFiles(x86)", "ProgramData", "USERPROFILE")


def shown(path: Path) -> str:
    """Show an output folder on the console: project-relative from the project root, else absolute.

    A user who runs ``tuoyu`` from another folder gets a path they can paste.
    """
    path = Path(path).absolute()
    path = path.parent.resolve() / path.name  # the name itself unresolved: a symlink is shown as the link
    if Path.cwd().resolve() == PROJECT_ROOT:
        try:
            return path.relative_to(PROJECT_ROOT).as_posix()
        except ValueError:
            pass
    return str(path)


def refused_base(base: Path) -> str:
    """Why ``base`` may not hold outputs ("" when it may): a system or home root, or the project's own folders.

    Examples
    --------
    >>> refused_base(Path("/"))
    '系统目录'
    >>> refused_base(PROJECT_ROOT / "data" / "scenarios")
    '本项目的 data/ 文件夹'
    >>> import tempfile
    >>> refused_base(Path(tempfile.gettempdir()) / "tuoyu-outputs")
    ''

    """
    base = Path(base).resolve()
    if base == Path(base.anchor):
        return "系统目录"  # a drive or file-system root
    try:
        home = Path.home().resolve()
    except (OSError, RuntimeError):
        home = None  # no home directory to protect
    if base == home:
        return "用户主目录本身"
    roots = {Path(p).resolve() for p in _SYSTEM_ROOTS if os.name != "nt"}
    roots |= {Path(os.environ[k]).resolve() for k in _WINDOWS_ROOTS if os.environ.get(k)}
    if base in roots:
        return "系统目录"
    own = {
        "本项目的 data/ 文件夹": (PROJECT_ROOT / "data", data_dir()),
        "本项目的 notebooks/ 文件夹": (notebooks_dir(),),
        "本程序的代码文件夹": (PACKAGE_DIR, PROJECT_ROOT / ".git"),
    }
    for what, folders in own.items():
        if any(base == f.resolve() or f.resolve() in base.parents for f in folders):
            return what
    return ""


def output_base(out: str | Path | None, option: str = "--out") -> Path:
    """Return the outputs folder (``out`` or the default), checked, created and checked writable.

    Raises
    ------
    ScenarioError
        The folder is refused (:func:`refused_base`) or cannot be created or written (a file,
        ``/proc``, no permission); one line, nothing created.

    Examples
    --------
    >>> output_base("/proc/nope")
    Traceback (most recent call last):
    ...
    tuoyu_model.errors.ScenarioError: --out /proc/nope: 无法创建这个文件夹（...）；请指定一个可写的文件夹
    >>> output_base("/")
    Traceback (most recent call last):
    ...
    tuoyu_model.errors.ScenarioError: --out /: 不能把输出写到系统目录（/）；请指定专门存放输出的文件夹，例如 ...

    """
    base = Path(out).expanduser() if out else outputs_dir()
    named = out if out else display(base)
    try:
        resolved = base.resolve()
    except (OSError, RuntimeError) as exc:
        raise _cannot_create(option, named, exc) from None
    why = refused_base(resolved)
    if why:
        raise ScenarioError(
            f"{option} {named}: 不能把输出写到{why}（{resolved}）；"
            "请指定专门存放输出的文件夹，例如 --out ~/tuoyu-outputs"
        )
    try:
        if resolved.exists() and not resolved.is_dir():
            raise NotADirectoryError(pick("已有同名的文件", "a file of that name exists"))
        resolved.mkdir(parents=True, exist_ok=True)
        if not os.access(resolved, os.W_OK | os.X_OK):
            raise PermissionError(pick("没有写入权限", "not writable"))
    except OSError as exc:
        raise _cannot_create(option, named, exc.strerror or exc) from None
    return resolved


def _cannot_create(option: str, named: str, reason: object) -> ScenarioError:
    return ScenarioError(
        f"{option} {named}: 无法创建这个文件夹（{reason}）；请指定一个可写的文件夹",
        en=f"{option} {named}: cannot create the folder ({reason}); give a writable folder",
    )


def safe_output_dir(base: Path, name: str) -> Path:
    """Return ``base/name`` (not resolved: a symlink there is refused later, never followed).

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
    tuoyu_model.errors.ScenarioError: 情景名 '../etc' 不能用作输出文件夹名；...

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
            f"情景名 '{name}' 不能用作输出文件夹名；请只用字母、数字、'_' 和 '-'",
            en=f"scenario name '{name}' cannot be used as an output folder; use letters, digits, '_' and '-'",
        )
    check_name_length(name, "输出文件夹", MAX_OUTPUT_NAME_BYTES, "请比较较少的情景或使用较短的情景名")
    base = Path(base).resolve()
    final = base / name
    if final.parent != base:
        raise ScenarioError(
            f"情景名 '{name}' 会写到 {display(base)} 之外；请只用字母、数字、'_' 和 '-'",
            en=f"scenario name '{name}' would write outside {display(base)}; use letters, digits, '_' and '-'",
        )
    return final
