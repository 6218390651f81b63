"""Rules return meanings; the presentation layer (templates and template tags) turns
them into colours, symbols and addresses. Read from the source with ``ast``.

- The screening module and the models name no Bootstrap colour: a verdict gives a
  ``Level``, an appointment its ``Status``; ``intake/templatetags/verdicts.py`` and
  ``sessions/templatetags/appointments.py`` map them to colours.
- Services and selectors build no URL (``reverse``): they return data, the view or the
  template builds the address.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
APPS = ("intake", "sessions")
BOOTSTRAP_COLOURS = {"primary", "secondary", "success", "danger", "warning", "info"}
BOOTSTRAP_COLOURS |= {"light", "dark", "light border"}


def _files(*names: str) -> list[Path]:
    return sorted(
        path
        for app in APPS
        for name in names
        for path in (ROOT / app).rglob(name)
        if "migrations" not in path.parts
    )


RULE_MODULES = _files("screening.py", "models.py")
DATA_MODULES = _files("services.py", "selectors.py")


def _label(path: Path) -> str:
    return str(path.relative_to(ROOT))


def test_the_rule_and_data_modules_are_found():
    assert {"intake/screening.py", "sessions/models.py"} <= set(map(_label, RULE_MODULES))
    assert {"sessions/booking/services.py", "sessions/booking/selectors.py"} <= set(
        map(_label, DATA_MODULES)
    )
    assert {"sessions/charting/services.py", "sessions/followups/services.py"} <= set(
        map(_label, DATA_MODULES)
    )


@pytest.mark.parametrize("path", RULE_MODULES, ids=_label)
def test_rules_name_no_bootstrap_colour(path):
    tree = ast.parse(path.read_text())
    colours = [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and (node.value in BOOTSTRAP_COLOURS or "text-bg-" in node.value)
    ]
    assert colours == []


@pytest.mark.parametrize("path", DATA_MODULES, ids=_label)
def test_services_build_no_url(path):
    tree = ast.parse(path.read_text())
    reverses = [
        (node.lineno, ast.unparse(node))
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
        and node.module == "django.urls"
        and any(alias.name in {"reverse", "reverse_lazy"} for alias in node.names)
    ]
    assert reverses == []
