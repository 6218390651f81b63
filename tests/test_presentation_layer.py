"""Rules return meanings; the presentation layer (templates and template tags) turns
them into colours, symbols and addresses. Read from the source with ``ast``.

- The screening module and the models name no Bootstrap colour: a verdict gives a
  ``Level``, an appointment its ``Status``; ``intake/templatetags/verdicts.py`` and
  ``sessions/templatetags/appointments.py`` map them to colours.
- Services and selectors reverse no page: they do not import ``reverse`` or
  ``reverse_lazy`` from ``django.urls``, so a page's address is built by the view or the
  template. The addresses that go out in messages are built elsewhere and only called
  from services: patient links through ``clinic.links.link_to`` (the aftercare, check-in
  and invitation links, the calendar feed address), staff pages through the app's own
  ``links.py`` (``sessions/followups/links.py`` for the alert email).
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


def reverse_imports(source: str) -> list[tuple[int, str]]:
    """Each import of ``reverse``/``reverse_lazy`` from ``django.urls`` in ``source``."""
    return [
        (node.lineno, ast.unparse(node))
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.ImportFrom)
        and node.module == "django.urls"
        and any(alias.name in {"reverse", "reverse_lazy"} for alias in node.names)
    ]


@pytest.mark.parametrize("path", DATA_MODULES, ids=_label)
def test_services_reverse_no_page(path):
    assert reverse_imports(path.read_text()) == []


def test_the_reverse_check_finds_a_planted_import():
    planted = "from django.conf import settings\nfrom django.urls import path, reverse_lazy\n"
    assert reverse_imports(planted) == [(2, "from django.urls import path, reverse_lazy")]
