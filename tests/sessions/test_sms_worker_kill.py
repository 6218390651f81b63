"""A Celery worker sending 1,000 text reminders is killed (SIGKILL) while Twilio has
taken a text but not yet answered: after a new worker takes over, every patient has
had exactly one text. Real worker processes, real Redis, real PostgreSQL, the real
clock, the real Twilio backend and library against the fake provider in this process
(tests/fake_sms_provider.py), which holds the answer to the 400th text so the kill
lands between "the provider took it" and "the row says so"."""

import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.db.models import Max
from django.utils import timezone

from clinic.roles import Role
from clinic.sms.backends import twilio
from intake.models import Channel, SmsConsent, SmsConsentEvent
from sessions.followups import dispatch
from sessions.followups.models import ScheduledMessage, SmsDelivery
from sessions.followups.services import reminder_schedule
from sessions.tasks import send_messages
from tests.factories import AppointmentFactory, PatientFactory, UserFactory
from tests.fake_sms_provider import FakeTwilio

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.celery_worker,
    pytest.mark.django_db(transaction=True),
]

PATIENTS = 1000  # the figure
HOLD_AT = 400  # the text whose answer never reaches the first worker
PHYSIOS = 10  # a practitioner's appointments must not overlap
LEASE_SECONDS = 3


@pytest.fixture
def frozen_now():
    """This module runs on the real clock: the workers are other processes."""
    return None


def texting_patients_with_reminders_due(
    location, treatment, *, count: int = PATIENTS
) -> dict[str, int]:
    """``count`` patients who agreed to texts and chose them for reminders, each with a
    visit tomorrow and its reminder due now; their mobile -> the reminder's id."""
    now = timezone.now()
    physios = UserFactory.create_batch(PHYSIOS, role=Role.PHYSIO)
    first_visit = now + timedelta(days=1)
    reminders = {}
    for n in range(count):
        mobile = f"+1403555{1000 + n:04d}"
        patient = PatientFactory(
            mobile=mobile,
            email="",
            sms_consent=SmsConsent.GIVEN,
            sms_consent_changed_at=now,
            reminder_channel=Channel.SMS,
            checkin_channel=Channel.SMS,
        )
        SmsConsentEvent.objects.create(
            patient=patient,
            kind=SmsConsentEvent.Kind.GIVEN,
            source=SmsConsentEvent.Source.FRONT_DESK,
            at=now,
            mobile=mobile,
        )
        appointment = AppointmentFactory(
            patient=patient,
            practitioner=physios[n % PHYSIOS],
            location=location,
            type=treatment,
            start=first_visit + timedelta(minutes=30 * (n // PHYSIOS)),
        )
        reminder = reminder_schedule(appointment=appointment, now=now)
        assert reminder is not None
        reminders[mobile] = reminder.pk
    # Due now whatever the time of day (the day-before time may not have come yet).
    ScheduledMessage.objects.filter(pk__in=reminders.values()).update(due_at=now)
    return reminders


def _worker_env(provider: FakeTwilio, tmp_path, *, lease_seconds: int) -> dict[str, str]:
    """A worker's environment: this test database and broker, texts through the real
    Twilio backend to ``provider``, no quiet hours."""
    db = connection.settings_dict
    return {
        **{
            k: v
            for k, v in os.environ.items()
            if k != "DJANGO_ALLOW_ASYNC_UNSAFE" and not k.startswith("TWILIO_")
        },
        "DATABASE_URL": (
            f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
        ),
        "SMS_BACKEND": "clinic.sms.backends.twilio.SmsBackend",
        "TWILIO_ACCOUNT_SID": provider.account_sid,
        "TWILIO_AUTH_TOKEN": provider.auth_token,
        "TWILIO_FROM_NUMBER": "+15875550100",
        "TWILIO_API_BASE": provider.base_url,
        # A short wait for an answer: a text whose sender heard none is looked for in
        # Twilio's list once this has surely run out (twilio.answer_window).
        "TWILIO_TIMEOUT_SECONDS": "1",
        "SITE_URL": "http://127.0.0.1:9",  # the status callbacks' address; none is sent
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(tmp_path / "mail"),
        "FOLLOWUP_LEASE_SECONDS": str(lease_seconds),
        # No quiet hours, whatever time of day the suite runs.
        "QUIET_HOURS_START": "00:00",
        "QUIET_HOURS_END": "00:00",
    }


def _worker_command(queue: str) -> list[str]:
    """A worker with two pool processes, as on the clinic's two-core server."""
    return [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "clinic",
        "worker",
        "--pool=prefork",
        "--concurrency=2",
        "-Q",
        queue,
        "--loglevel=WARNING",
    ]


def test_a_worker_killed_mid_text_leaves_every_patient_with_exactly_one_text(
    location, treatment, tmp_path
):
    started = time.monotonic()
    reminders = texting_patients_with_reminders_due(location, treatment)
    built = time.monotonic() - started

    provider = FakeTwilio().start()
    provider.hold(HOLD_AT)
    queue = f"test-{uuid.uuid4().hex}"
    env = _worker_env(provider, tmp_path, lease_seconds=LEASE_SECONDS)
    command = _worker_command(queue)

    def start_worker() -> subprocess.Popen:
        # Its own process group: SIGKILL reaches the pool's children too, as when the
        # machine or the container dies.
        return subprocess.Popen(command, env=env, cwd=settings.BASE_DIR, start_new_session=True)

    def kill(worker: subprocess.Popen) -> None:
        try:
            os.killpg(worker.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        worker.wait(timeout=30)

    def dispatch_due() -> int:
        claimed = dispatch.messages_claim_due()
        for ids, claim in dispatch.send_batches(claimed):
            send_messages.apply_async((ids, claim), queue=queue)
        return len(claimed)

    settings.QUIET_HOURS_START = settings.QUIET_HOURS_END = "00:00"
    settings.FOLLOWUP_LEASE_SECONDS = LEASE_SECONDS
    try:
        first = start_worker()
        try:
            t0 = time.monotonic()
            assert dispatch_due() == PATIENTS
            assert provider.held.wait(timeout=120), "the worker never reached the held text"
            kill(first)  # Twilio has the held text; the worker never heard so
        finally:
            kill(first)
        first_phase = time.monotonic() - t0
        provider.release()
        held = provider.held_message
        assert held is not None
        taken_before_kill = len(provider.messages)
        window = provider.messages[HOLD_AT - 1].created_at - provider.messages[0].created_at
        rate = (HOLD_AT - 1) / max(window.total_seconds(), 1e-3)

        # The kill landed where it should: the held text's row is still "attempting",
        # with no provider id, and its reminder is left "sending".
        held_row = SmsDelivery.objects.select_related("message").get(to=held.to)
        assert (held_row.status, held_row.provider_id) == (SmsDelivery.Status.ATTEMPTING, "")
        assert held_row.message.status == ScheduledMessage.Status.SENDING
        assert ScheduledMessage.objects.exclude(status=ScheduledMessage.Status.SENT).exists()

        # The dead worker's leases run out (and the held text's answer window: until
        # then, nobody can tell whether Twilio has it).
        last_lease = ScheduledMessage.objects.filter(
            status=ScheduledMessage.Status.SENDING
        ).aggregate(last=Max("lease_until"))["last"]
        window = twilio.answer_window(timeout_seconds=int(env["TWILIO_TIMEOUT_SECONDS"]))
        settled = max(last_lease, held_row.created_at + window)
        time.sleep(max((settled - timezone.now()).total_seconds(), 0) + 0.2)

        second = start_worker()
        try:
            t1 = time.monotonic()
            deadline = t1 + 120
            next_dispatch = 0.0
            while time.monotonic() < deadline:
                if time.monotonic() >= next_dispatch:
                    dispatch_due()  # as beat does, every few seconds
                    next_dispatch = time.monotonic() + 5
                pending = ScheduledMessage.objects.exclude(status=ScheduledMessage.Status.SENT)
                if not pending.exists():
                    break
                time.sleep(0.3)
            second_phase = time.monotonic() - t1
        finally:
            second.terminate()
            try:
                second.wait(timeout=30)
            except subprocess.TimeoutExpired:
                kill(second)
    finally:
        provider.stop()
    total = time.monotonic() - started

    print(
        f"\n{PATIENTS} texts: built in {built:.1f} s; "
        f"{rate:.0f} texts/s to the provider before the kill (2 worker processes); "
        f"killed after {taken_before_kill} taken, {first_phase:.1f} s after dispatch; "
        f"second worker finished in {second_phase:.1f} s; "
        f"{len([r for r in provider.requests if r.method == 'GET'])} list requests; "
        f"wall time {total:.1f} s"
    )

    # Every reminder went, by text only.
    messages = ScheduledMessage.objects.filter(pk__in=reminders.values())
    assert Counter(messages.values_list("status", flat=True)) == {
        ScheduledMessage.Status.SENT: PATIENTS
    }
    assert set(messages.values_list("channels", flat=True)) == {Channel.SMS}
    # Twilio took exactly one text per patient: the held one was not sent again.
    taken = Counter(m.to for m in provider.messages)
    assert sum(taken.values()) == PATIENTS
    assert {to for to, count in taken.items() if count > 1} == set()
    assert set(taken) == set(reminders)
    # Each row names the provider's message, so status callbacks find their text.
    deliveries = dict(SmsDelivery.objects.values_list("to", "provider_id"))
    assert deliveries == {m.to: m.sid for m in provider.messages}
    assert set(SmsDelivery.objects.values_list("body", flat=True)) == {
        m.body for m in provider.messages
    }
    # The held text was found in Twilio's list on the next attempt.
    held_row.refresh_from_db()
    assert held_row.provider_id == held.sid
    assert held_row.status == SmsDelivery.Status.QUEUED
    assert any(r.method == "GET" and r.form.get("To") == held.to for r in provider.requests)
    assert ScheduledMessage.objects.get(pk=reminders[held.to]).attempts >= 2


def test_a_pool_process_killed_while_twilio_takes_its_text_sends_nothing_twice(
    location, treatment, tmp_path
):
    """Only the pool's processes die (the OOM killer's choice) while Twilio is still
    taking a text: the worker hands their tasks back to the broker at once (acks late,
    reject on worker lost), and the redelivered task must not conclude from Twilio's
    list, which does not show the text yet, that it never went. It waits until the
    first attempt is surely over, then finds the text."""
    count, hold_at = 60, 30
    reminders = texting_patients_with_reminders_due(location, treatment, count=count)
    provider = FakeTwilio().start()
    provider.hold(hold_at, before_taking=True)
    queue = f"test-{uuid.uuid4().hex}"
    env = _worker_env(provider, tmp_path, lease_seconds=300)
    # Twilio takes the held text within the answer window (11 s), as it must for any
    # find_sent to be right, but after the redelivered task has come back.
    env["TWILIO_TIMEOUT_SECONDS"] = "5"
    window = twilio.answer_window(timeout_seconds=5)
    settings.QUIET_HOURS_START = settings.QUIET_HOURS_END = "00:00"

    def dispatch_due() -> None:
        # The back-off after "too soon to tell" is a minute; the test does not wait it.
        ScheduledMessage.objects.filter(status=ScheduledMessage.Status.PENDING).update(
            due_at=timezone.now()
        )
        for ids, claim in dispatch.send_batches(dispatch.messages_claim_due()):
            send_messages.apply_async((ids, claim), queue=queue)

    worker = subprocess.Popen(
        _worker_command(queue), env=env, cwd=settings.BASE_DIR, start_new_session=True
    )
    pending = ScheduledMessage.objects.exclude(status=ScheduledMessage.Status.SENT)
    try:
        dispatch_due()
        assert provider.held.wait(timeout=120), "the worker never reached the held text"
        held_to = provider.held_to
        held_reminder = ScheduledMessage.objects.filter(pk=reminders[held_to])
        children = subprocess.run(
            ["pgrep", "-P", str(worker.pid)], capture_output=True, text=True, check=True
        ).stdout.split()
        for child in children:
            os.kill(int(child), signal.SIGKILL)
        # The task comes back at once, while Twilio is still at work on the text.
        first_attempt = SmsDelivery.objects.get(to=held_to).created_at
        while timezone.now() < first_attempt + window - timedelta(seconds=1):
            if held_reminder.exclude(status=ScheduledMessage.Status.SENDING).exists():
                break
            time.sleep(0.1)
        redelivered = held_reminder.get()
        provider.release()  # Twilio takes the text now
        assert redelivered.status != ScheduledMessage.Status.SENDING, "no redelivery in time"
        assert redelivered.attempts == 1  # redelivered, not claimed again
        time.sleep(max((first_attempt + window - timezone.now()).total_seconds(), 0) + 0.2)
        deadline = time.monotonic() + 90
        while pending.exists() and time.monotonic() < deadline:
            dispatch_due()
            time.sleep(1)
        assert worker.poll() is None  # the worker itself lived on
    finally:
        try:
            os.killpg(worker.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        worker.wait(timeout=30)
        provider.stop()

    assert not pending.exists()
    taken = Counter(m.to for m in provider.messages)
    assert {to for to, n in taken.items() if n > 1} == set()
    assert set(taken) == set(reminders)
    assert dict(SmsDelivery.objects.values_list("to", "provider_id")) == {
        m.to: m.sid for m in provider.messages
    }
    assert provider.held_message is not None
    assert SmsDelivery.objects.get(to=held_to).provider_id == provider.held_message.sid
    assert any(r.method == "GET" and r.form.get("To") == held_to for r in provider.requests)
