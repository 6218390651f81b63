"""A Celery worker process dies in the middle of sending: the message still goes out
exactly once. Real worker processes, real Redis, real PostgreSQL, the real clock."""

import os
import subprocess
import sys
import time
import uuid
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from sessions.followups import dispatch
from sessions.models import ScheduledMessage, Visit
from sessions.tasks import send_messages
from tests.factories import (
    AppointmentFactory,
    PatientFactory,
    ScheduledMessageFactory,
    VisitFactory,
)

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.celery_worker,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def frozen_now():
    """This module runs on the real clock: the workers are other processes."""
    return None


def test_a_worker_killed_mid_send_still_sends_exactly_once(physio, location, treatment, tmp_path):
    patient = PatientFactory(email="marcus@example.com", email_reminders=True)
    now = timezone.now()
    appointment = AppointmentFactory(
        patient=patient,
        practitioner=physio,
        location=location,
        type=treatment,
        start=now - timedelta(hours=25),
    )
    visit = VisitFactory(appointment=appointment, status=Visit.Status.SIGNED, signed_at=now)
    message = ScheduledMessageFactory(
        key=f"checkin:{visit.pk}:24h", visit=visit, hours_after=None, due_at=now
    )
    db = connection.settings_dict
    queue = f"test-{uuid.uuid4().hex}"
    env = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        "DATABASE_URL": (
            f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
        ),
        "EMAIL_BACKEND": "tests.mail_backends.DieOnceBackend",
        "EMAIL_FILE_PATH": str(tmp_path / "mail"),
        "DIE_ONCE_MARKER": str(tmp_path / "died"),
        "FOLLOWUP_LEASE_SECONDS": "2",
        # No quiet hours, whatever time of day the suite runs.
        "QUIET_HOURS_START": "00:00",
        "QUIET_HOURS_END": "00:00",
    }
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "clinic",
        "worker",
        "--pool=solo",
        "-Q",
        queue,
        "--loglevel=WARNING",
    ]

    def dispatch_due():
        for ids, claim in dispatch.send_batches(dispatch.messages_claim_due()):
            send_messages.apply_async((ids, claim), queue=queue)

    settings.QUIET_HOURS_START = settings.QUIET_HOURS_END = "00:00"
    first = subprocess.Popen(command, env=env, cwd=settings.BASE_DIR)
    try:
        dispatch_due()
        assert first.wait(timeout=90) == 1  # it died inside the mail backend
    finally:
        first.kill()
    assert (tmp_path / "died").exists()
    message.refresh_from_db()
    assert message.status == ScheduledMessage.Status.SENDING  # left behind by the dead worker

    time.sleep(2.5)  # its lease runs out
    second = subprocess.Popen(command, env=env, cwd=settings.BASE_DIR)
    try:
        dispatch_due()
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            message.refresh_from_db()
            if message.status == ScheduledMessage.Status.SENT:
                break
            time.sleep(0.2)
    finally:
        second.terminate()
        second.wait(timeout=30)
    assert message.status == ScheduledMessage.Status.SENT
    assert message.attempts == 2
    assert len(list((tmp_path / "mail").iterdir())) == 1
