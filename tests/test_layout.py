"""The code's shape: small modules and functions, imports that only point down, no cycles.

Layers, lowest first: the shared base of `index/` (errors, models, text, settings, atomic);
`index.notes` and `index.model`; `index.catalog` (attaches to the notes' talks); `index.search`
(may use the model's encoders); the index commands (`index.build`, `index.query`, ...); `bot`;
then `bench` and `scripts`, which may use everything but the tests."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("index", "bot", "bench", "scripts")
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60
BASE = {"index", "index.errors", "index.models", "index.text", "index.settings", "index.atomic"}
# What each part may import from the project (besides itself and third-party code).
ALLOWED = {
    "base": {"base"},
    "index.notes": {"base"},
    "index.model": {"base"},
    "index.catalog": {"base", "index.notes"},
    "index.search": {"base", "index.model"},
    "index.sources": {"base", "index.notes", "index.catalog"},
    "index.commands": {"base", "index.notes", "index.model", "index.catalog", "index.search",
                       "index.sources", "index.commands"},
    "bot": {"base", "index.model", "index.search", "index.commands", "bot"},
    "bench": {"base", "index.notes", "index.model", "index.catalog", "index.search",
              "index.commands", "bot", "bench"},
    "scripts": {"base", "index.notes", "index.model", "index.catalog", "index.search",
                "index.sources", "index.commands", "bot", "scripts"},
}


def sources(*packages: str) -> list[Path]:
    return sorted(p for pkg in packages for p in (ROOT / pkg).rglob("*.py"))


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def part_of(module: str) -> str:
    if module in BASE or any(module.startswith(b + ".") for b in BASE - {"index"}):
        return "base"
    top = module.split(".")
    if top[0] == "index":
        sub = f"index.{top[1]}"
        return sub if sub in ALLOWED else "index.commands"
    return top[0]


def imports_of(path: Path) -> set[str]:
    """Project modules imported anywhere in a file (lazy imports inside functions included)."""
    module = module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    known = {module_name(p) for p in sources(*PACKAGES, "tests")}
    # A test helper imported by its bare name (the tests folder put on sys.path) is still tests.
    bare = {m.rpartition(".")[2]: m for m in known if m.startswith("tests.")}
    found |= {bare[m.split(".")[0]] for m in found if m.split(".")[0] in bare}
    return {m for m in found if m in known and m != module}


def test_no_module_is_too_long() -> None:
    long = {str(p.relative_to(ROOT)): n for p in sources(*PACKAGES, "tests")
            if (n := len(p.read_text("utf-8").splitlines())) > MAX_MODULE_LINES}
    assert not long, f"modules over {MAX_MODULE_LINES} lines: {long}"


def test_no_function_is_too_long() -> None:
    long = {}
    for path in sources(*PACKAGES, "tests"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                first = min([node.lineno] + [d.lineno for d in node.decorator_list])
                length = (node.end_lineno or node.lineno) - first + 1
                if length > MAX_FUNCTION_LINES:
                    long[f"{path.relative_to(ROOT)}:{node.lineno} {node.name}"] = length
    assert not long, f"functions over {MAX_FUNCTION_LINES} lines: {long}"


@pytest.mark.parametrize("path", sources(*PACKAGES), ids=lambda p: str(p.relative_to(ROOT)))
def test_imports_point_down(path: Path) -> None:
    here = part_of(module_name(path))
    wrong = sorted(m for m in imports_of(path)
                   if part_of(m) != here and part_of(m) not in ALLOWED[here])
    assert not wrong, f"{module_name(path)} ({here}) imports {wrong}"


def test_no_import_cycles() -> None:
    graph = {module_name(p): imports_of(p) for p in sources(*PACKAGES)}
    # A package's __init__ importing its own modules is not a cycle of the code's design.
    graph = {m: {d for d in deps if not m.startswith(d + ".") and not d.startswith(m + ".")}
             for m, deps in graph.items()}
    cycles, state = [], {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = "open"
        for dep in sorted(graph.get(node, ())):
            if state.get(dep) == "open":
                cycles.append(trail[trail.index(dep):] + [dep] if dep in trail else [node, dep])
            elif dep not in state:
                visit(dep, trail + [dep])
        state[node] = "done"

    for start in sorted(graph):
        if start not in state:
            visit(start, [start])
    assert not cycles, f"import cycles: {cycles}"


def test_the_checks_can_fail(tmp_path: Path) -> None:
    """The helpers see an upward import and a cycle when there is one."""
    assert part_of("index.search.retriever") == "index.search"
    assert part_of("index.models") == "base"
    assert part_of("index.build") == "index.commands"
    assert "index.search" not in ALLOWED["index.notes"]
    assert imports_of(ROOT / "index" / "build.py")   # build uses notes, catalog, search


def test_library_code_does_not_read_the_environment() -> None:
    """Settings come from one place (index/settings.py, extended by bot/settings.py) and are
    passed down; only pydantic-settings reads the environment. Setting a variable for a
    library (TOKENIZERS_PARALLELISM) is not a read."""
    reads = re.compile(r"os\.environ\s*\[|os\.environ\.get\(|os\.getenv\(|getenv\(")
    found = [f"{p.relative_to(ROOT)}:{n}" for p in sources("index", "bot")
             for n, line in enumerate(p.read_text("utf-8").splitlines(), 1)
             if reads.search(line)]
    assert not found, found
