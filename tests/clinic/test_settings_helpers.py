import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection

from clinic.env import envbool, envint, envlist, envstr


@pytest.mark.parametrize("raw", ["1", "true", "True", "yes", "on"])
def test_envbool_reads_true_values(monkeypatch, raw):
    monkeypatch.setenv("FLAG", raw)
    assert envbool("FLAG", False) is True


@pytest.mark.parametrize("raw", ["0", "false", "no", "off", ""])
def test_envbool_reads_false_values(monkeypatch, raw):
    monkeypatch.setenv("FLAG", raw)
    assert envbool("FLAG", True) is False


def test_envbool_uses_default_when_unset(monkeypatch):
    monkeypatch.delenv("FLAG", raising=False)
    assert envbool("FLAG", True) is True


def test_envbool_refuses_other_values_naming_the_variable(monkeypatch):
    monkeypatch.setenv("FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="FLAG must be a boolean"):
        envbool("FLAG", False)


def test_envint_parses_and_checks_minimum(monkeypatch):
    monkeypatch.setenv("N", "42")
    assert envint("N", 1, minimum=1) == 42
    monkeypatch.setenv("N", "0")
    with pytest.raises(ImproperlyConfigured, match="N must be at least 1"):
        envint("N", 1, minimum=1)


def test_envint_refuses_text(monkeypatch):
    monkeypatch.setenv("N", "ten")
    with pytest.raises(ImproperlyConfigured, match="N must be a whole number"):
        envint("N", 1)


def test_envlist_splits_on_commas_and_drops_blanks(monkeypatch):
    monkeypatch.setenv("HOSTS", " a.example.com, ,b.example.com ")
    assert envlist("HOSTS", []) == ["a.example.com", "b.example.com"]


def test_envstr_default(monkeypatch):
    monkeypatch.delenv("NAME_X", raising=False)
    assert envstr("NAME_X", "fallback") == "fallback"


@pytest.mark.postgres
def test_postgresql_sessions_plan_with_ssd_costs(db):
    # With the spinning-disk default, name search read every patient instead of its
    # trigram index at 100,000 patients (docs/PERFORMANCE.md).
    with connection.cursor() as cursor:
        cursor.execute("SHOW random_page_cost")
        assert cursor.fetchone() == ("1.1",)
