"""The shape of the project's imports (``clinic``, ``intake``, ``sessions``): project
modules are imported at the top of a module, never inside a function, and the project
modules import each other without a circle. A function-level import is how a circle
hides; these tests keep both in view.

Read from the source with ``ast``; nothing is imported. Migrations are left out (Django
loads them itself, and a migration may import what it needs inside a function).
Management commands are checked like any module.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROJECT_PACKAGES = ("clinic", "intake", "sessions")

# (file, function) pairs allowed a project import inside them, each for a reason Django
# imposes. Keep this short; a new entry needs a reason as good as these.
FUNCTION_IMPORTS_ALLOWED = {
    # An AppConfig's module is imported before any model is loaded; roles (through
    # Django's ModelBackend) and security (through the MFA views) load models, so the
    # app imports them once the registry is ready. This also connects the login signals.
    ("clinic/apps.py", "ready"),
    # The same for sessions: booking's signals are connected to online booking's
    # receivers (the wait list's offer task, the visit link) once models are loaded.
    ("sessions/apps.py", "ready"),
}


def project_modules() -> dict[str, Path]:
    """Dotted name -> file, for every module of the project packages we check."""
    modules = {}
    paths = (path for package in PROJECT_PACKAGES for path in (ROOT / package).rglob("*.py"))
    for path in sorted(paths):
        parts = path.relative_to(ROOT).with_suffix("").parts
        if "migrations" in parts:
            continue
        if parts[-1] == "__init__":
            parts = parts[:-1]
        modules[".".join(parts)] = path
    return modules


def _package_of(module: str, path: Path) -> str:
    return module if path.name == "__init__.py" else module.rpartition(".")[0]


def imported_names(node: ast.Import | ast.ImportFrom, module: str, path: Path) -> list[str]:
    """The dotted names an import statement brings in (``from a import b`` gives both
    ``a`` and ``a.b``: ``b`` may be a submodule)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = node.module or ""
    if node.level:
        package = _package_of(module, path).split(".")
        anchor = package[: len(package) - (node.level - 1)]
        base = ".".join([*anchor, *([base] if base else [])])
    return [base, *(f"{base}.{alias.name}" for alias in node.names)]


def is_project(name: str) -> bool:
    return name.split(".")[0] in PROJECT_PACKAGES


class _FunctionImports(ast.NodeVisitor):
    def __init__(self, module: str, path: Path):
        self.module, self.path = module, path
        self.stack: list[str] = []
        self.found: list[tuple[str, int, str]] = []

    def _function(self, node):
        self.stack.append(node.name)
        self.generic_visit(node)
        self.stack.pop()

    visit_FunctionDef = visit_AsyncFunctionDef = _function

    def _import(self, node):
        if self.stack and any(is_project(n) for n in imported_names(node, self.module, self.path)):
            self.found.append((self.stack[-1], node.lineno, ast.unparse(node)))

    visit_Import = visit_ImportFrom = _import


def function_level_project_imports() -> list[str]:
    found = []
    for module, path in project_modules().items():
        visitor = _FunctionImports(module, path)
        visitor.visit(ast.parse(path.read_text(), str(path)))
        relative = path.relative_to(ROOT).as_posix()
        for function, line, text in visitor.found:
            if (relative, function) not in FUNCTION_IMPORTS_ALLOWED:
                found.append(f"{relative}:{line} in {function}(): {text}")
    return found


def _top_level_imports(tree: ast.Module):
    """Import statements run when the module is imported: at module level, in class
    bodies and in module-level if/try blocks, but not inside functions."""
    pending = list(tree.body)
    while pending:
        node = pending.pop()
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        elif not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            pending.extend(ast.iter_child_nodes(node))


def import_graph() -> dict[str, set[str]]:
    """Project module -> the project modules it imports at load time."""
    modules = project_modules()
    graph = {}
    for module, path in modules.items():
        tree = ast.parse(path.read_text(), str(path))
        targets = set()
        for node in _top_level_imports(tree):
            names = imported_names(node, module, path)
            if isinstance(node, ast.ImportFrom) and any(n in modules for n in names[1:]):
                names = names[1:]  # ``from clinic import audit`` imports clinic.audit
            targets.update(n for n in names if n in modules)
        targets.discard(module)
        graph[module] = targets
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One circle in the graph as a path that ends where it starts, or None."""
    done: set[str] = set()

    def visit(node: str, path: list[str]) -> list[str] | None:
        if node in path:
            return path[path.index(node) :] + [node]
        if node in done:
            return None
        for target in sorted(graph.get(node, ())):
            if cycle := visit(target, [*path, node]):
                return cycle
        done.add(node)
        return None

    for start in sorted(graph):
        if cycle := visit(start, []):
            return cycle
    return None


def test_project_modules_import_project_modules_only_at_the_top():
    assert function_level_project_imports() == []


def test_project_modules_import_each_other_without_a_circle():
    cycle = find_cycle(import_graph())
    assert cycle is None, " -> ".join(cycle)


@pytest.mark.parametrize(
    ("source", "found"),
    [
        ("def f():\n    from clinic import audit\n", True),
        ("def f():\n    from . import roles\n", True),
        ("class A:\n    def f(self):\n        import sessions.models\n", True),
        ("def f():\n    from django.urls import reverse\n", False),
        ("from clinic import audit\n", False),
    ],
)
def test_the_function_level_check_sees_project_imports_in_any_function(
    source, found, tmp_path, monkeypatch
):
    package = tmp_path / "clinic"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "example.py").write_text(source)
    monkeypatch.setattr(f"{__name__}.ROOT", tmp_path)
    assert bool(function_level_project_imports()) is found


def test_the_circle_check_finds_a_circle_through_a_relative_import(tmp_path, monkeypatch):
    package = tmp_path / "clinic"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from clinic.b import thing\n")
    (package / "b.py").write_text("try:\n    from . import a\nexcept ImportError:\n    pass\n")
    monkeypatch.setattr(f"{__name__}.ROOT", tmp_path)
    assert find_cycle(import_graph()) == ["clinic.a", "clinic.b", "clinic.a"]


def test_the_circle_check_follows_imports_across_the_apps(tmp_path, monkeypatch):
    for package, source in (
        ("sessions", "from intake.services import patient_verdict\n"),
        ("intake", "from sessions import models\n"),
    ):
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text("")
        (tmp_path / package / ("models.py" if package == "sessions" else "services.py")).write_text(
            source
        )
    monkeypatch.setattr(f"{__name__}.ROOT", tmp_path)
    assert find_cycle(import_graph()) == ["intake.services", "sessions.models", "intake.services"]


def test_management_commands_are_checked_and_migrations_are_not(tmp_path, monkeypatch):
    late_import = "def handle():\n    from sessions import models\n"
    for folder in ("management/commands", "migrations"):
        (tmp_path / "intake" / folder).mkdir(parents=True)
        (tmp_path / "intake" / folder / "example.py").write_text(late_import)
    monkeypatch.setattr(f"{__name__}.ROOT", tmp_path)
    assert function_level_project_imports() == [
        "intake/management/commands/example.py:2 in handle(): from sessions import models"
    ]
