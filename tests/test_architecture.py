"""The layers of docs/ARCHITECTURE.md, kept true: a module may import only its own layer
and the layers below it.

    site      clinic.site, clinic.management, clinic.urls: may import everything
    sessions  may import intake and the kernel
    intake    may import the kernel
    kernel    every other clinic module: imports neither app

Read from the source with ``ast`` (every import statement, at any depth); nothing is
imported. Settings and the Celery app name the apps in strings, which are not imports.
"""

import ast
from pathlib import Path

import pytest
from django.urls import resolve, reverse

from clinic.site import patient
from tests.clinic.test_imports import imported_names, is_project

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("clinic", "intake", "sessions")
SITE = ("clinic.site", "clinic.management", "clinic.urls")

# Each layer and the layers it may import, lowest first.
MAY_IMPORT = {
    "kernel": {"kernel"},
    "intake": {"kernel", "intake"},
    "sessions": {"kernel", "intake", "sessions"},
    "site": {"kernel", "intake", "sessions", "site"},
}


def layer_of(module: str) -> str:
    if any(module == top or module.startswith(f"{top}.") for top in SITE):
        return "site"
    package = module.split(".")[0]
    return "kernel" if package == "clinic" else package


def project_modules() -> dict[str, Path]:
    """Dotted name -> file, for every module of the three packages (migrations too)."""
    modules = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            modules[".".join(parts)] = path
    return modules


def forbidden_imports() -> list[str]:
    """Every import of a layer the importing module may not use, as readable lines."""
    found = []
    for module, path in project_modules().items():
        layer = layer_of(module)
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Import | ast.ImportFrom):
                continue
            names = [n for n in imported_names(node, module, path) if is_project(n)]
            if isinstance(node, ast.ImportFrom) and len(names) > 1:
                names = names[1:]  # ``from clinic import urls`` imports clinic.urls
            bad = sorted({layer_of(n) for n in names} - MAY_IMPORT[layer])
            if bad:
                relative = path.relative_to(ROOT).as_posix()
                found.append(
                    f"{relative}:{node.lineno} ({layer}) imports {', '.join(bad)}: "
                    f"{ast.unparse(node)}"
                )
    return found


def test_no_module_imports_a_layer_above_its_own():
    assert forbidden_imports() == []


def test_the_patient_page_is_the_site_layers_under_the_intake_namespace():
    url = reverse("intake:patient-detail", args=[7])
    assert url == "/patients/7/"
    assert resolve(url).func is patient.patient_detail


@pytest.mark.parametrize(
    ("path", "source", "found"),
    [
        ("clinic/audit.py", "from sessions.models import Visit\n", True),
        ("clinic/audit.py", "def f():\n    import intake.services\n", True),
        ("clinic/audit.py", "from clinic import urls\n", True),
        ("clinic/audit.py", "from clinic.site import export\n", True),
        ("clinic/audit.py", "from clinic import once\n", False),
        ("intake/views.py", "from sessions.models import Appointment\n", True),
        ("intake/views.py", "from clinic.management.commands import seed_demo\n", True),
        ("intake/views.py", "from clinic import audit\n", False),
        ("sessions/views.py", "from clinic.site import patient\n", True),
        ("sessions/views.py", "from intake.models import Patient\n", False),
        ("clinic/site/views.py", "from sessions.models import Visit\n", False),
        ("clinic/site/views.py", "from . import export\n", False),
        ("clinic/urls.py", "from intake import urls\n", False),
    ],
)
def test_the_layer_check_catches_an_import_from_above(path, source, found, tmp_path, monkeypatch):
    for package in PACKAGES:
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text("")
    (tmp_path / "clinic" / "site").mkdir()
    (tmp_path / "clinic" / "site" / "__init__.py").write_text("")
    (tmp_path / path).write_text(source)
    monkeypatch.setattr(f"{__name__}.ROOT", tmp_path)
    assert bool(forbidden_imports()) is found
