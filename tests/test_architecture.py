"""The layout stays what the README's module map says: a pure screening core, thin views,
feature modules that stay small, no import cycles, and view modules that never import each other.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "intake"
#: Longest Python module (data files and migrations aside), and longest view function.
MAX_MODULE_LINES = 400
MAX_VIEW_LINES = 25


def _modules() -> dict[str, Path]:
    """Every module of the package by dotted name, migrations aside."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _module_level_imports(name: str, path: Path) -> set[str]:
    """The intake modules `name` imports when it is imported (not inside functions)."""
    tree = ast.parse(path.read_text("utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    imported: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1])
                base = f"{base}.{node.module}" if node.module else base
            imported.add(base)
            imported.update(f"{base}.{alias.name}" for alias in node.names)
    return {module for module in imported if module in MODULES and module != name}


def test_the_screening_core_imports_without_flask_or_sqlalchemy():
    """The pure core must import with Flask, Werkzeug, SQLAlchemy and friends made unimportable."""
    core = sorted(name for name in MODULES if name.startswith("intake.screening"))
    assert "intake.screening.rules" in core and "intake.screening.questionnaire" in core
    script = f"""
import importlib, sys
class Refuse:
    blocked = ("flask", "werkzeug", "sqlalchemy", "flask_sqlalchemy", "flask_wtf", "wtforms",
               "jinja2")
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in self.blocked:
            raise ImportError(f"{{name}} is not allowed in the screening core")
        return None
sys.meta_path.insert(0, Refuse())
for name in {core!r}:
    importlib.import_module(name)
loaded = sorted(m for m in sys.modules if m.split(".")[0] in Refuse.blocked)
assert not loaded, loaded
print(len({core!r}))
"""
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(len(core))


def test_the_followup_core_imports_without_flask_or_sqlalchemy():
    """The follow-up measures and the report's statistics are pure too (issue 12)."""
    pure = ["intake.followup.measures", "intake.followup.stats"]
    assert all(name in MODULES for name in pure)
    script = f"""
import importlib, sys
blocked = ("flask", "werkzeug", "sqlalchemy", "flask_sqlalchemy", "flask_wtf", "wtforms",
           "jinja2", "markupsafe")
class Refuse:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in blocked:
            raise ImportError(f"{{name}} is not allowed in the follow-up core")
        return None
sys.meta_path.insert(0, Refuse())
for name in {pure!r}:
    importlib.import_module(name)
loaded = sorted(m for m in sys.modules if m.split(".")[0] in blocked)
assert not loaded, loaded
print("ok")
"""
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


def test_no_import_cycles():
    """Module-level imports between intake modules form no cycle (a package imports its parts)."""
    graph = {name: _module_level_imports(name, path) for name, path in MODULES.items()}
    # Importing `a.b` imports the package `a` first; that is not a dependency of `a` on `a.b`.
    for name, targets in graph.items():
        graph[name] = {t for t in targets if not name.startswith(t + ".")}
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for target in sorted(graph[node]):
            if state.get(target) == 1:
                cycle = [*stack[stack.index(target) :], target]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if target not in state:
                visit(target)
        stack.pop()
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name)


def test_view_modules_never_import_each_other():
    """Shared helpers live in operations, access or web modules, never in another view module."""
    views = {name for name in MODULES if name.endswith(".views")}
    assert len(views) >= 5
    for name in sorted(views):
        others = _module_level_imports(name, MODULES[name]) & (views - {name})
        assert not others, f"{name} imports {sorted(others)}"


@pytest.mark.parametrize("name", sorted(MODULES))
def test_modules_stay_small(name):
    """Split a module by concern before it passes the limit."""
    lines = len(MODULES[name].read_text("utf-8").splitlines())
    assert lines <= MAX_MODULE_LINES, f"{name} has {lines} lines"


def _is_route(decorator: ast.expr) -> bool:
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    return isinstance(target, ast.Attribute) and target.attr in {"route", "get", "post"}


def test_views_only_translate_http():
    """Each view: parse the request, call an operation, render or redirect; no long views."""
    long_views = []
    count = 0
    for name, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.FunctionDef) and any(map(_is_route, node.decorator_list)):
                count += 1
                body_start = node.body[0].lineno
                if isinstance(node.body[0], ast.Expr) and isinstance(
                    getattr(node.body[0], "value", None), ast.Constant
                ):  # the docstring does not count
                    body_start = node.body[0].end_lineno + 1
                length = node.end_lineno - body_start + 1
                if length > MAX_VIEW_LINES:
                    long_views.append(f"{name}.{node.name}: {length} lines")
    assert count >= 30, "views were not found"
    assert not long_views, long_views


def _readme_map() -> str:
    readme = (ROOT / "README.md").read_text("utf-8")
    section = readme.split("## How it works", 1)[1]
    return section.split("```", 2)[1]


def test_the_readme_module_map_matches_the_tree():
    """Every module and package is in the README's map, and the map names nothing that is gone."""
    text = _readme_map()
    files = [
        path
        for path in PACKAGE.rglob("*")
        if path.suffix in (".py", ".yaml")
        and "migrations" not in path.parts
        and "__pycache__" not in path.parts
        and path.name != "__init__.py"
    ]
    packages = {path.parent.name for path in PACKAGE.rglob("__init__.py")} - {"intake", "versions"}
    # The scoring package is listed as one entry.
    missing = [
        str(p.relative_to(ROOT)) for p in files if p.name not in text and p.parent.name != "scoring"
    ]
    missing += [f"{name}/" for name in sorted(packages) if f"{name}/" not in text]
    assert not missing, f"not in the README's module map: {missing}"
    named = set(re.findall(r"(?<![.\w])[a-z_]+\.(?:py|yaml)", text))
    existing = {p.name for p in files} | {"__init__.py"}
    assert named <= existing, f"the map names files that do not exist: {named - existing}"
