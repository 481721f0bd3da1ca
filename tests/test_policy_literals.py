"""No policy number written in the package's code: the plan's figures live in data/ (issue 9).

The plan's rules — the fee cap's 20% share, the 30%/60% inclusive shares, the 90% certification
goal, the 4.5 slots per 1,000 benchmark, the 3,600 yuan allowance and the 2,000 yuan deduction —
are parameters with a source. A string in the code that states one of them goes stale the day a
scenario changes the parameter (the report's headline once said "20%" under
``--set fee_cap_share=0.25``). This walks every string constant of the package and of the
notebooks' code cells (docstrings and doctest examples aside: they document, with numbers) and
fails on any that states one of those figures.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest

from tuoyu_model.paths import PACKAGE_DIR, notebooks_dir

POLICY = re.compile(
    r"(?<![\d.,])(?:20|30|60|90)\s*[%％]"  # the fee-cap share, the inclusive shares, certification
    r"|(?<![\d.])4\.5(?!\d)"  # slots per 1,000 residents
    r"|(?<![\d])3,?600(?!\d)"  # the yearly childcare allowance
    r"|(?<![\d])2,?000\s*(?:元|yuan)"  # the monthly tax deduction
)


def _docstrings(tree: ast.AST) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                ids.add(id(first.value))
    return ids


def policy_strings(source: str, where: str) -> list[str]:
    """The string constants of ``source`` (docstrings left out) that state a policy figure."""
    tree = ast.parse(source)
    skip = _docstrings(tree)
    return [
        f"{where}:{node.lineno}: {node.value[:80]!r}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip
        if POLICY.search(node.value)
    ]


def test_the_scan_finds_a_policy_number_in_a_string():
    code = 'def f(share):\n    """Cap at 20% (a docstring may say it)."""\n    return f"上限为收入的20%，{share}"\n'
    assert policy_strings(code, "x.py") == ["x.py:3: '上限为收入的20%，'"]
    assert policy_strings('x = "4.5 slots per 1,000"\n', "y.py")
    assert not policy_strings('x = "max-width: 100%; 25% 2024年"\n', "z.py")


@pytest.mark.parametrize("path", sorted(PACKAGE_DIR.rglob("*.py")), ids=lambda p: str(p.relative_to(PACKAGE_DIR)))
def test_no_policy_number_in_the_package_strings(path: Path):
    found = policy_strings(path.read_text(encoding="utf-8"), str(path.relative_to(PACKAGE_DIR.parent)))
    assert not found, "policy figures written in code (read them from the parameters instead): " + "; ".join(found)


@pytest.mark.parametrize("path", sorted(notebooks_dir().glob("*.ipynb")), ids=lambda p: p.name)
def test_no_policy_number_in_the_notebooks(path: Path):
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    source = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
    source = "\n".join(line for line in source.splitlines() if not line.lstrip().startswith(("%", "!")))
    found = policy_strings(source, path.name)
    assert not found, "policy figures written in the notebook (read them from the results instead): " + "; ".join(found)
