import json

from django.core.files.storage import FileSystemStorage
from django.db.utils import OperationalError
from django.urls import reverse

from clinic import health


def test_healthz_is_200_when_database_and_broker_answer(client, db):
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert json.loads(response.content) == {
        "database": "ok",
        "broker": "ok",
        "status": "ok",
        "oldest_overdue_message_seconds": 0,
        "sms": {"backend": "locmem.SmsBackend", "sms_failed_24h": 0, "sms_stuck": 0},
        "documents_storage": "ok",
    }


def test_healthz_is_503_naming_the_broker_when_it_is_down(client, db, settings):
    # Nothing listens on port 1 of loopback: the connection is refused at once.
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {}
    response = client.get(reverse("healthz"))
    assert response.status_code == 503
    body = json.loads(response.content)
    assert body["database"] == "ok"
    assert body["broker"] == "unavailable"
    assert body["status"] == "failing: broker"


class UnreachableDatabase:
    def cursor(self):
        raise OperationalError("connection refused")


def test_healthz_is_503_naming_the_database_when_it_is_down(client, db, monkeypatch):
    monkeypatch.setattr(health, "connection", UnreachableDatabase())
    response = client.get(reverse("healthz"))
    assert response.status_code == 503
    assert json.loads(response.content)["status"] == "failing: database"


def test_healthz_needs_no_login_and_is_not_cached(client, db):
    response = client.get(reverse("healthz"))
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_healthz_answers_head_for_monitors(client, db):
    """Uptime monitors often probe with HEAD; it got 405."""
    response = client.head(reverse("healthz"))
    assert response.status_code == 200
    assert response.content == b""


class UnreachableStorage(FileSystemStorage):
    """A storage whose server does not answer (a bucket behind a dead network)."""

    def exists(self, name):
        raise ConnectionError("could not connect to the endpoint URL")


def test_healthz_reports_an_unreachable_documents_storage_without_failing(client, db, settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "documents": {"BACKEND": f"{__name__}.UnreachableStorage"},
    }

    response = client.get(reverse("healthz"))

    assert response.status_code == 200
    body = json.loads(response.content)
    assert (body["documents_storage"], body["status"]) == ("unavailable", "ok")
