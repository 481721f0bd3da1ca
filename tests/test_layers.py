"""The package's imports run one way (docs/design.md, "Module map"): a module imports only its own
layer or the layers below it, and no two modules import each other, even through others.

Read from the files themselves (every ``import tuoyu_model…`` / ``from tuoyu_model… import``,
at module top or inside a function), so a new module or a new import is checked the day it is
written; a module that no layer lists fails too. No module is over ``MAX_MODULE_LINES`` lines, and
every module has its line in the module map.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from tuoyu_model.paths import PACKAGE_DIR

# Layer of each module (a package's name stands for all its modules), bottom first.
LAYERS: list[tuple[str, ...]] = [
    ("errors", "paths", "machine"),
    (
        "yaml_reader",
        "csv_reader",
        "workbook_reader",
        "data",
        "parameter_schema",
        "parameters",
        "data_status",
        "towns_workbook",
        "towns_import",
        "unit_maps",
        "units",
    ),
    ("costs", "children", "demand", "income", "pricing", "family", "workforce"),
    ("allocation",),
    ("summary", "results"),
    ("presentation", "csv_writer", "workbook_writer", "writers"),
    ("runs", "sweep"),
    ("progress", "explore"),
    ("cli", "cli_parser", "__main__", "__init__"),
]
LAYER = {name: i for i, names in enumerate(LAYERS) for name in names}


def module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE_DIR).with_suffix("")
    parts = [p for p in rel.parts if p != "__init__"] or ["__init__"]
    return ".".join(parts)


def layer_of(module: str) -> int:
    head = module.split(".")[0]
    if head not in LAYER:
        raise KeyError(module)
    return LAYER[head]


def own_imports(path: Path) -> set[str]:
    """Modules of the package that ``path`` imports (``tuoyu_model.`` stripped)."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("tuoyu_model"):
            base = node.module.removeprefix("tuoyu_model").lstrip(".")
            if base:
                out.add(base)
            else:  # from tuoyu_model import costs, demand
                out.update(a.name for a in node.names)
        elif isinstance(node, ast.Import):
            out.update(a.name.removeprefix("tuoyu_model.") for a in node.names if a.name.startswith("tuoyu_model."))
    return out


MODULES = {module_name(p): p for p in sorted(PACKAGE_DIR.rglob("*.py"))}


@pytest.mark.parametrize("module", sorted(MODULES))
def test_every_module_imports_only_its_layer_or_below(module):
    try:
        mine = layer_of(module)
    except KeyError:
        pytest.fail(f"{module} is in no layer: add it to LAYERS here and to docs/design.md's module map")
    upward = sorted(m for m in own_imports(MODULES[module]) if layer_of(m) > mine)
    assert not upward, f"{module} (layer {mine}) imports from a higher layer: {upward}"


def test_no_import_cycle():
    graph = {m: {i for i in own_imports(p) if i in MODULES and i != m} for m, p in MODULES.items()}
    # a package's __init__ re-exports its modules: a module naming its own package is not a cycle
    graph = {m: {i for i in deps if not m.startswith(i + ".")} for m, deps in graph.items()}
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(m: str) -> None:
        state[m] = 1
        path.append(m)
        for n in sorted(graph[m]):
            if state.get(n) == 1:
                cycle = path[path.index(n) :] + [n]
                pytest.fail("import cycle: " + " → ".join(cycle))
            if n not in state:
                visit(n)
        path.pop()
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m)


def test_the_layer_check_can_fail(tmp_path):
    bad = tmp_path / "x.py"
    bad.write_text("from tuoyu_model.results import run_model\n", encoding="utf-8")
    assert {m for m in own_imports(bad) if layer_of(m) > layer_of("pricing")} == {"results"}


# "No module over about 500 lines" (issue 9): a module past this cap has more than one job; split it
# along its jobs (as allocation/solve.py → priority.py and read.py → sensitivity.py were).
MAX_MODULE_LINES = 520


def too_long(paths: dict[str, Path], root: Path = PACKAGE_DIR.parent, cap: int = MAX_MODULE_LINES) -> list[str]:
    """Return ``path (n lines)``, the path relative to ``root``, for every module of ``paths`` over ``cap`` lines."""
    out = []
    for path in paths.values():
        n = len(path.read_text(encoding="utf-8").splitlines())
        if n > cap:
            out.append(f"{path.relative_to(root).as_posix()} ({n} lines)")
    return sorted(out)


def test_no_module_over_the_line_cap():
    long = too_long(MODULES)
    assert not long, (
        f"modules over {MAX_MODULE_LINES} lines (split each along its jobs and add the new module "
        f"to docs/design.md's module map): {', '.join(long)}"
    )


def test_the_line_cap_check_can_fail(tmp_path):
    fake = tmp_path / "tuoyu_model" / "long.py"
    fake.parent.mkdir()
    fake.write_text("x = 1\n" * (MAX_MODULE_LINES + 1), encoding="utf-8")
    short = fake.with_name("short.py")
    short.write_text("x = 1\n" * MAX_MODULE_LINES, encoding="utf-8")
    found = too_long({"long": fake, "short": short}, root=tmp_path)
    assert found == [f"tuoyu_model/long.py ({MAX_MODULE_LINES + 1} lines)"]


def map_names(text: str) -> set[str]:
    """Names in backticks in docs/design.md's "Module map" section (up to the next ``###``)."""
    section = text.split("### Module map", 1)[1].split("\n### ", 1)[0]
    return set(re.findall(r"`([^`\s]+)`", section))


def unmapped(modules: list[str], names: set[str]) -> list[str]:
    """Modules the map names neither by their last part (``priority``) nor as a path (``runs/publish``)."""
    return [m for m in modules if m.split(".")[-1] not in names and m.replace(".", "/") not in names]


# Every module but the packages' __init__ files (a package is named by its layer's heading).
MAPPED = sorted(m for m, p in MODULES.items() if p.name != "__init__.py")


def test_every_module_is_in_the_design_module_map():
    names = map_names((PACKAGE_DIR.parent / "docs" / "design.md").read_text(encoding="utf-8"))
    missing = unmapped(MAPPED, names)
    assert not missing, f"docs/design.md's module map has no line for: {', '.join(missing)} (add one: its job)"


def test_the_module_map_check_can_fail():
    names = map_names("### Module map\n- `build`: …\n- `runs/publish`: …\n### next\n- `priority`\n")
    assert unmapped(["allocation.build", "runs.publish", "allocation.priority"], names) == ["allocation.priority"]
