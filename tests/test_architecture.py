"""The code's map holds: layers import only downwards, no import cycles, modules and functions
stay small, the wheel lists every package, and ``--help`` stays light.

The layer order is the one written down in docs/architecture.md. Imports under
``if TYPE_CHECKING:`` do not run and are not counted; imports inside functions are.
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src"
PACKAGE = SRC / "policyengine"

#: Bottom to top. A module may import modules of its own layer and of the layers below it.
#: A name ending in ``.*`` means the package and everything in it.
LAYERS: list[tuple[str, list[str]]] = [
    (
        "vocabulary",
        ["policyengine.outcomes", "policyengine.errors", "policyengine._lazy", "policyengine._text"],
    ),
    ("plumbing", ["policyengine._yaml", "policyengine._csv", "policyengine.hookspecs"]),
    ("models", ["policyengine.models.*"]),
    ("condition language", ["policyengine.lang.*", "policyengine._format"]),
    ("pack format", ["policyengine.packs.*"]),
    (
        "monitor kinds",
        [
            "policyengine.monitor.findings",
            "policyengine.monitor.durable",
            "policyengine.monitor.plain",
            "policyengine.monitor.events",
            "policyengine.monitor.population",
            "policyengine.monitor.kinds.*",
        ],
    ),
    ("registry", ["policyengine.plugins"]),
    (
        "evaluation",
        [
            "policyengine.evaluate.*",
            "policyengine.monitor",
            "policyengine.monitor.api",
            "policyengine.monitor.render",
            "policyengine.io.*",
            "policyengine.plan.*",
        ],
    ),
    (
        "applications",
        [
            "policyengine.batch.*",
            "policyengine.compare",
            "policyengine.testing.*",
            "policyengine.history.*",
            "policyengine.service.*",
            "policyengine.web",
            "policyengine.web.*",
        ],
    ),
    ("built-ins", ["policyengine._builtins", "policyengine._shipped_packs"]),
    ("entry points", ["policyengine", "policyengine.cli.*", "policyengine.pytest_plugin"]),
]

MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 80
#: A function may be longer where a comment inside it starts with this and says why.
LONG_ON_PURPOSE = "# long on purpose:"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def layer_of(module: str) -> int:
    for i, (_, patterns) in enumerate(LAYERS):
        for pattern in patterns:
            if module == pattern or (
                pattern.endswith(".*") and (module == pattern[:-2] or module.startswith(pattern[:-1]))
            ):
                return i
    raise LookupError(module)


def _runtime_nodes(tree: ast.AST) -> Iterator[ast.AST]:
    """Every node except those under ``if TYPE_CHECKING:``."""
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            stack.extend(node.orelse)
            continue
        yield node
        stack.extend(ast.iter_child_nodes(node))


def imports_of(module: str) -> set[str]:
    """The package's modules this module imports at run time."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in _runtime_nodes(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                origin = ".".join([*base, node.module] if node.module else base)
            else:
                origin = node.module or ""
            # `from package import submodule` imports the submodule
            targets = [
                f"{origin}.{a.name}" if f"{origin}.{a.name}" in MODULES else origin for a in node.names
            ]
        else:
            continue
        for target in targets:
            while target and target not in MODULES:
                target = target.rpartition(".")[0]
            if target and target != module:
                found.add(target)
    return found


GRAPH = {m: imports_of(m) for m in MODULES}


def test_every_module_has_a_layer() -> None:
    unplaced = []
    for m in MODULES:
        try:
            layer_of(m)
        except LookupError:
            unplaced.append(m)
    assert not unplaced, f"add these to LAYERS here and to docs/architecture.md: {unplaced}"


def test_no_module_imports_from_a_layer_above_it() -> None:
    upward = [
        f"{m} ({LAYERS[layer_of(m)][0]}) imports {t} ({LAYERS[layer_of(t)][0]})"
        for m, targets in GRAPH.items()
        for t in sorted(targets)
        if layer_of(t) > layer_of(m)
    ]
    assert not upward, "\n".join(upward)


def test_no_import_cycles() -> None:
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(v: str) -> None:  # Tarjan's strongly connected components
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in GRAPH[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for v in GRAPH:
        if v not in index:
            visit(v)
    assert not cycles, cycles


def test_the_layer_check_sees_an_upward_import() -> None:
    # the checker itself: a pack module importing the engine would be caught
    assert layer_of("policyengine.evaluate.engine") > layer_of("policyengine.packs.loader")
    assert "policyengine.packs.runtime" in GRAPH["policyengine.evaluate.engine"]


def test_modules_stay_small() -> None:
    big = {
        m: n
        for m, p in MODULES.items()
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    }
    assert not big, big


def test_functions_stay_short_unless_a_comment_says_why() -> None:
    long = []
    for m, path in MODULES.items():
        text = path.read_text(encoding="utf-8")
        lines = text.splitlines()
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                assert node.end_lineno is not None
                body = lines[node.lineno - 1 : node.end_lineno]
                if len(body) > MAX_FUNCTION_LINES and not any(LONG_ON_PURPOSE in line for line in body):
                    long.append(f"{m}.{node.name}: {len(body)} lines")
    assert not long, long


def test_the_wheel_lists_every_package() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    listed = set(config["tool"]["setuptools"]["packages"])
    packages = {module_name(p) for p in PACKAGE.rglob("__init__.py")}
    assert packages - listed == set(), "pyproject.toml [tool.setuptools] packages lacks these"
    assert {p for p in listed if p.startswith("policyengine.")} <= packages


HELP = """
import json, sys
from policyengine.cli import build_parser
build_parser().format_help()
heavy = ("pydantic", "lark", "policyengine.models", "policyengine.packs", "durable", "rich", "openpyxl")
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in heavy or m.startswith(heavy))))
"""


def test_help_and_version_import_nothing_heavy() -> None:
    out = subprocess.run([sys.executable, "-c", HELP], capture_output=True, text=True, check=True, cwd=ROOT)
    assert json.loads(out.stdout) == []
    version = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "policyengine.cli", "--version"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert version.returncode == 0 and version.stdout.startswith("policyengine ")
    imported = {line.split("|")[-1].strip() for line in version.stderr.splitlines() if "|" in line}
    assert not {m for m in imported if re.match(r"(pydantic|lark|policyengine\.models)\b", m)}


@pytest.mark.parametrize("module", sorted(MODULES))
def test_layer_names_are_documented(module: str) -> None:
    doc = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    assert LAYERS[layer_of(module)][0] in doc
