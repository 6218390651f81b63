"""Beat purges deleted documents' files once their retention period is over
(sessions.tasks.documents_purge, scheduled in CELERY_BEAT_SCHEDULE)."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from celery.schedules import crontab

from sessions import tasks
from sessions.documents import services
from sessions.documents.models import Kind
from tests.factories import PatientFactory, UserFactory
from tests.sessions.documents.samples import make_pdf_bytes

DELETED = datetime(2026, 3, 2, 10, 0, tzinfo=ZoneInfo("America/Edmonton"))


def test_beat_runs_the_purge_every_night(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["documents-purge"]
    assert entry["task"] == "sessions.tasks.documents_purge"
    assert entry["task"] == tasks.documents_purge.name
    assert isinstance(entry["schedule"], crontab)
    assert entry["schedule"].hour == {3}
    assert entry["schedule"].minute == {15}


@pytest.fixture
def deleted_document(db, documents_storage):
    patient = PatientFactory()
    document = services.documents_upload(
        patient=patient, uploads=[("scan.pdf", make_pdf_bytes())], kind=Kind.REFERRAL
    ).added[0]
    return services.document_delete(
        document=document, by=UserFactory(), reason="a duplicate", now=DELETED
    )


def test_the_task_keeps_a_deleted_file_until_its_retention_period_ends(deleted_document):
    storage = services.documents_storage()
    with time_machine.travel(DELETED.replace(year=2036, day=1), tick=False):
        assert tasks.documents_purge() == 0
    deleted_document.refresh_from_db()
    assert deleted_document.file_purged_at is None
    assert storage.exists(deleted_document.storage_name)


def test_the_task_removes_the_file_once_the_retention_period_is_over(deleted_document):
    storage = services.documents_storage()
    later = DELETED.replace(year=2036, day=3)
    with time_machine.travel(later, tick=False):
        assert tasks.documents_purge() == 1
        assert tasks.documents_purge() == 0  # once only
    deleted_document.refresh_from_db()
    assert deleted_document.file_purged_at == later
    assert deleted_document.thumbnail is None
    assert not storage.exists(deleted_document.storage_name)


def test_the_task_leaves_documents_on_the_record_alone(db, documents_storage):
    kept = services.documents_upload(
        patient=PatientFactory(), uploads=[("scan.pdf", make_pdf_bytes())], kind=Kind.REFERRAL
    ).added[0]
    with time_machine.travel(DELETED.replace(year=2046), tick=False):
        assert tasks.documents_purge() == 0
    assert services.documents_storage().exists(kept.storage_name)
