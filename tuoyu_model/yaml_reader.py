"""The one YAML reader of the package: safe, strict and bounded.

Every YAML the package reads — the parameter files, the scenarios, the values of ``--set`` and
any spec file added later — goes through :func:`read_yaml` (a file) or :func:`parse_yaml` (a
text). On top of PyYAML's safe loader they refuse:

- duplicate keys (YAML itself would silently keep the last);
- aliases (``*a``, and so any use of an anchor ``&a``): the formats never need them, and nine
  levels of aliases ("billion laughs") expand a 1 KB file into 10⁹ values that no check would
  finish;
- nesting deeper than :data:`MAX_YAML_DEPTH` levels (the deepest shipped file nests 5), which
  would otherwise end in a RecursionError thousands of lines long;
- files (and texts) over :data:`MAX_YAML_BYTES` (the largest shipped file is 16 KB);
- non-UTF-8 text, empty files and numbers too long to be read (over 4,300 digits).

The checks run on the composed nodes before any value is built: an alias there is one shared
node, so a hostile file costs one pass of libyaml's parser and memory in proportion to its text
(libyaml itself stops at 1,000 levels, so composing never runs deep).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from tuoyu_model.errors import DataError, TuoyuError
from tuoyu_model.paths import display, read_bounded

# The shipped files are at most 16 KB (allocation.yaml); 1 MiB is 60 times that, and a file of
# that size still validates in about a second. A bigger one is a mistake (a pasted data dump).
MAX_YAML_BYTES = 1 << 20
# The deepest shipped file nests 5 levels (file → parameter → value → channel → age band, the
# leaf counted);
# 20 leaves room for any real format and stays far below Python's recursion limit.
MAX_YAML_DEPTH = 20

# libyaml's parser when PyYAML was built with it (5x faster on the parameter files); same safe
# constructors and resolvers either way.
_SafeBase = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _StrictLoader(_SafeBase):
    """A safe YAML loader that rejects duplicate keys instead of keeping the last one."""


class _DuplicateKeyError(yaml.constructor.ConstructorError):
    """A mapping names the same key twice (YAML itself would silently keep the last)."""


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen: dict = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        try:
            duplicate = key in seen
        except TypeError:  # an unhashable key: let construct_mapping report it in YAML's words
            break
        if duplicate:
            raise _DuplicateKeyError(
                None, None, f"duplicate key '{key}' (first at line {seen[key] + 1})", key_node.start_mark
            )
        seen[key] = key_node.start_mark.line
    return loader.construct_mapping(node, deep=deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
# YAML 1.1 reads 5e6 and 1e-3 as text (it wants 5.0e+6); people write them, so read them as floats.
_StrictLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float", re.compile(r"^[-+]?[0-9][0-9_]*(\.[0-9_]*)?[eE][-+]?[0-9]+$"), list("-+0123456789")
)


def _too_deep(where: str, line: int) -> str:
    return f"{where}: 第 {line} 行嵌套超过 {MAX_YAML_DEPTH} 层（随附文件最多 5 层）；请检查括号或缩进，删去多余的层级"


def _check_nodes(root: yaml.Node | None, where: str, error: type[Exception]) -> None:
    """Refuse aliases and deep nesting in the composed node graph, before any value is built.

    An alias is the anchored node itself a second time in the graph, so sharing is found by
    identity; the walk is iterative and visits each node once, whatever the file holds.
    """
    seen: set[int] = set()
    stack = [(root, 1)] if root is not None else []
    while stack:
        node, depth = stack.pop()
        if id(node) in seen:
            raise error(
                f"{where}: 第 {node.start_mark.line + 1} 行的值被 YAML 别名（*名称）再次引用；"
                "本格式不支持锚点和别名，请把值直接写出来"
            )
        seen.add(id(node))
        if depth > MAX_YAML_DEPTH:
            raise error(_too_deep(where, node.start_mark.line + 1))
        if isinstance(node, yaml.SequenceNode):
            stack.extend((child, depth + 1) for child in node.value)
        elif isinstance(node, yaml.MappingNode):
            stack.extend((child, depth + 1) for pair in node.value for child in pair)


def parse_yaml(text: str, where: str, error: type[Exception] = DataError) -> Any:
    r"""Parse YAML ``text`` safely and strictly; ``where`` names it in messages.

    Parameters
    ----------
    text : str
        The YAML text.
    where : str
        The file, or ``--set NAME``, named at the start of every message.
    error : exception class, default DataError
        Raised with a one-line message (``ScenarioError`` for ``--set``).

    Raises
    ------
    DataError
        (or ``error``) Invalid YAML, a duplicate key, an anchor or alias, nesting deeper than
        :data:`MAX_YAML_DEPTH`, a text over :data:`MAX_YAML_BYTES`, or a number too long to read.

    Examples
    --------
    >>> parse_yaml("{a: 5e6, b: [1, 2]}", "x.yaml")
    {'a': 5000000.0, 'b': [1, 2]}
    >>> parse_yaml("a: &x [1]\nb: *x", "x.yaml")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    tuoyu_model.errors.DataError: x.yaml: 第 1 行的值被 YAML 别名（*名称）再次引用；...

    """
    size = len(text.encode("utf-8"))
    if size > MAX_YAML_BYTES:
        raise error(
            f"{where}: 内容有 {size:,} 字节，超过上限 {MAX_YAML_BYTES:,} 字节（1 MiB；随附文件最大约 16 KB）；"
            "请检查是否粘贴了多余的内容"
        )
    try:
        loader = _StrictLoader(text)
        try:
            node = loader.get_single_node()
            _check_nodes(node, where, error)
            return loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        if "maximum nesting depth" in str(exc):  # libyaml's own limit (1,000) met before ours
            raise error(_too_deep(where, mark.line + 1 if mark else 1)) from None
        line = f" line {mark.line + 1}:" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        fix = (
            "keep one of them"
            if isinstance(exc, _DuplicateKeyError)
            else "check the indentation (spaces, not tabs), the colons and the brackets"
        )
        raise error(f"{where}:{line} invalid YAML: {problem}; {fix}") from None
    except TuoyuError:
        raise
    except ValueError:  # int() of a number with more digits than Python converts (4,300)
        raise error(f"{where}: 有一个数字超过 4,300 位，无法读取；请检查该数字（参数的取值都远小于此）") from None


def read_yaml(path: Path, error: type[Exception] = DataError) -> Any:
    """Read a YAML file with :func:`parse_yaml`'s checks, after refusing files over the size cap.

    Raises
    ------
    DataError
        (or ``error``) With the file name, the line and what to fix.

    """
    path = Path(path)
    where = display(path)
    try:
        raw = read_bounded(path, MAX_YAML_BYTES, "1 MiB；随附文件最大约 16 KB")
    except DataError as exc:
        raise error(str(exc)) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise error(f"{where}: not UTF-8 text (byte {exc.start}); re-save the file as UTF-8") from None
    if not text.strip():
        raise error(f"{where}: the file is empty; expected a YAML mapping")
    return parse_yaml(text, where, error)


def dump_yaml(value: Any) -> str:
    """Write ``value`` as YAML people read (Chinese kept as it is, keys in the given order).

    The counterpart of :func:`parse_yaml` for the files the package writes (a scenario saved by
    the explorer); what it writes reads back through :func:`parse_yaml` unchanged.

    Examples
    --------
    >>> print(dump_yaml({"title": "预算", "overrides": {"budget": {2025: 30000000}}}), end="")
    title: 预算
    overrides:
      budget:
        2025: 30000000

    """
    return yaml.safe_dump(value, allow_unicode=True, sort_keys=False, width=100)
