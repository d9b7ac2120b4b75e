"""The import rules of docs/ARCHITECTURE.md, checked on every module's AST (imports inside functions too).

    core      imports nothing of ours outside core but hwr_desktop.resources (a leaf: where the bundled
              files are) and the package root (its version); no Qt, pyqtgraph or UI/CLI code
    ui        may import core, resources and ui; never the CLI or the dev tools
    cli       is imported by nothing but the entry points (hwr_desktop/__main__.py)
    devtools  is imported by nothing but the bench command (cli/bench.py)
    and there are no import cycles between our modules.

Inside core, the layers of CORE_LAYERS: the ground floor (core's own modules: errors, paths, tfload,
files, precision) imports no subpackage; each subpackage may import the ground floor, itself and the
subpackages listed for it, nothing else of core; a subpackage missing from the table is an error.
"""
import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "hwr_desktop"
QT = ("PySide6", "shiboken6", "pyqtgraph")


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path, name: str, known: set[str]) -> set[str]:
    """Every module `path` imports, at any depth of its code; `from a import b` counts as a.b when
    a.b is one of ours (a submodule), else as a."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                found.add(sub if sub in known else base)
    return found


def import_graph(root: Path) -> dict[str, set[str]]:
    files = {module_name(p, root): p for p in sorted(root.rglob("*.py"))}
    return {name: imports_of(path, name, set(files)) for name, path in files.items()}


def _within(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def rule_violations(graph: dict[str, set[str]], top: str = "hwr_desktop") -> list[str]:
    core, ui, cli, dev = (f"{top}.{p}" for p in ("core", "ui", "cli", "devtools"))
    core_may_use = {top, f"{top}.resources"}
    problems = []
    for module, imported in graph.items():
        for target in sorted(imported):
            if _within(module, core) and (target.split(".")[0] in QT or
                                          (_within(target, top) and not _within(target, core) and target not in core_may_use)):
                problems.append(f"{module} (core) imports {target}")
            if _within(module, ui) and (_within(target, cli) or _within(target, dev)):
                problems.append(f"{module} (ui) imports {target}")
            if _within(target, cli) and not _within(module, cli) and module != f"{top}.__main__":
                problems.append(f"{module} imports the CLI ({target})")
            if _within(target, dev) and not _within(module, dev) and module != f"{cli}.bench":
                problems.append(f"{module} imports the dev tools ({target})")
    return problems


# Which of core's subpackages each one may import (besides itself and the ground floor).
CORE_LAYERS = {
    "data": set(),
    "network": set(),
    "store": {"data"},
    "models": {"data", "network"},
    "segmentation": {"data"},
    "training": {"data", "network", "models", "store"},
    "export": {"data", "network", "models"},
    "reading": {"data", "models", "segmentation"},
    "inside": {"data", "network", "models", "training"},
}


def core_layer_violations(graph: dict[str, set[str]], top: str = "hwr_desktop",
                          layers: dict[str, set[str]] = CORE_LAYERS) -> list[str]:
    """Imports between core's subpackages (and from its ground floor into them) that `layers` does not allow."""
    core = f"{top}.core"
    depth = core.count(".") + 1                         # hwr_desktop.core.<part>
    packages = {m.split(".")[depth] for m in graph if _within(m, core) and m.count(".") > depth}

    def floor(module: str) -> str:                      # a subpackage's name, or "" for the ground floor
        parts = module.split(".")
        return parts[depth] if len(parts) > depth and parts[depth] in packages else ""

    problems = [f"{core}.{name} is a subpackage without a row in the layers table"
                for name in sorted(packages - set(layers))]
    for module, imported in sorted(graph.items()):
        if not _within(module, core):
            continue
        own = floor(module)
        for target in sorted(t for t in imported if _within(t, core)):
            other = floor(target)
            if other in ("", own):
                continue
            if own == "":
                problems.append(f"{module} (ground floor) imports {target} ({other})")
            elif own in layers and other not in layers[own]:
                problems.append(f"{module} ({own}) imports {target} ({other})")
    return problems


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan), over our own modules only."""
    ours = {m: {t for t in targets if t in graph and t != m} for m, targets in graph.items()}
    index, low, stack, on_stack, found, counter = {}, {}, [], set(), [], [0]

    def visit(node):
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for nxt in ours[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(ours):
        if node not in index:
            visit(node)
    return found


def test_the_import_rules_hold():
    assert rule_violations(import_graph(PACKAGE)) == []


def test_there_are_no_import_cycles():
    assert cycles(import_graph(PACKAGE)) == []


def test_core_keeps_its_layers():
    assert core_layer_violations(import_graph(PACKAGE)) == []


def test_the_layers_table_runs_one_way_and_names_every_subpackage():
    assert cycles({name: set(allowed) for name, allowed in CORE_LAYERS.items()}) == []
    folders = {p.parent.name for p in (PACKAGE / "core").glob("*/__init__.py")}
    assert folders == set(CORE_LAYERS)


def test_a_wrong_import_in_the_real_tree_breaks_the_layers_rule():
    # The real graph with one import added by hand: segmentation reaching up into reading.
    graph = import_graph(PACKAGE)
    graph["hwr_desktop.core.segmentation.marks"].add("hwr_desktop.core.reading.digit_reader")
    assert core_layer_violations(graph) == [
        "hwr_desktop.core.segmentation.marks (segmentation) imports hwr_desktop.core.reading.digit_reader (reading)"]


def test_no_top_level_cli_modules():
    assert sorted(p.name for p in PACKAGE.glob("cli_*.py")) == []


@pytest.fixture
def broken_package(tmp_path):
    """A small package that breaks each rule once."""
    root = tmp_path / "hwr_desktop"
    files = {
        "__init__.py": "", "__main__.py": "from hwr_desktop.cli import main\n",
        "core/__init__.py": "", "core/a.py": "def f():\n    from PySide6 import QtCore\n",
        "core/b.py": "from . import c\n", "core/c.py": "def g():\n    from hwr_desktop.core import b\n",
        "core/d.py": "from hwr_desktop.ui import panel\nfrom hwr_desktop import resources\n", "resources.py": "",
        "ui/__init__.py": "", "ui/panel.py": "from hwr_desktop.cli.common import emit_json\n",
        "cli/__init__.py": "", "cli/common.py": "", "cli/bench.py": "from hwr_desktop.devtools import bench\n",
        "devtools/__init__.py": "", "devtools/bench.py": "", "app.py": "import hwr_desktop.devtools.bench\n",
    }
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


@pytest.fixture
def layered_core(tmp_path):
    """A small core with subpackages that breaks the layers rule each way once."""
    root = tmp_path / "hwr_desktop"
    files = {
        "__init__.py": "", "core/__init__.py": "", "core/errors.py": "",
        "core/files.py": "from hwr_desktop.core.data import mnist\n",              # ground floor reaching up
        "core/data/__init__.py": "", "core/data/mnist.py": "from hwr_desktop.core import errors\n",
        "core/data/preprocess.py": "def f():\n    from hwr_desktop.core.models import inference\n",
        "core/models/__init__.py": "", "core/models/inference.py": "from . import info\nfrom ..data import mnist\n",
        "core/models/info.py": "", "core/extras/__init__.py": "", "core/extras/tool.py": "",
    }
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def test_the_layers_rule_fails_on_wrong_imports_function_level_ones_included(layered_core):
    graph = import_graph(layered_core)
    assert graph["hwr_desktop.core.models.inference"] == {"hwr_desktop.core.models.info", "hwr_desktop.core.data.mnist"}
    assert core_layer_violations(graph, layers={"data": set(), "models": {"data"}}) == [
        "hwr_desktop.core.extras is a subpackage without a row in the layers table",
        "hwr_desktop.core.data.preprocess (data) imports hwr_desktop.core.models.inference (models)",
        "hwr_desktop.core.files (ground floor) imports hwr_desktop.core.data.mnist (data)",
    ]


def test_the_checker_finds_each_kind_of_broken_rule(broken_package):
    graph = import_graph(broken_package)
    assert graph["hwr_desktop.core.b"] == {"hwr_desktop.core.c"}          # relative import resolved
    assert rule_violations(graph) == [
        "hwr_desktop.app imports the dev tools (hwr_desktop.devtools.bench)",
        "hwr_desktop.core.a (core) imports PySide6",
        "hwr_desktop.core.d (core) imports hwr_desktop.ui.panel",
        "hwr_desktop.ui.panel (ui) imports hwr_desktop.cli.common",
        "hwr_desktop.ui.panel imports the CLI (hwr_desktop.cli.common)",
    ]
    assert cycles(graph) == [["hwr_desktop.core.b", "hwr_desktop.core.c"]]   # a function-level import counts
