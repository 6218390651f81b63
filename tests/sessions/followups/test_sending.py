"""Sending due messages: the send-once states, retries, quiet hours, two dispatchers
racing, a real worker on Redis, and the SMTP connection."""

import threading
import time
import uuid
from datetime import timedelta

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings as django_settings
from django.core import mail
from django.db import close_old_connections, connection
from django.urls import reverse

from clinic.celery import app
from clinic.site.bench import SmtpSink
from sessions.followups import dispatch
from sessions.followups import selectors as followup_selectors
from sessions.models import Appointment, ScheduledMessage
from sessions.tasks import dispatch_due_messages, send_messages
from tests.factories import ScheduledMessageFactory
from tests.mail_backends import OutageBackend
from tests.sessions.conftest import NOW, local
from tests.sessions.followups.conftest import checkin, dispatch_and_send, make_visit


class TestSending:
    def test_a_due_message_is_sent_once(self, visit):
        message = checkin(visit)
        claims = dispatch.messages_claim_due()
        assert [pk for pk, _ in claims] == [message.pk]
        pk, claim = claims[0]
        assert dispatch.messages_send(ids=[pk], claim=claim)[pk] == "sent"
        assert dispatch.messages_send(ids=[pk], claim=claim)[pk] == "not-claimed"
        assert dispatch.messages_claim_due() == []
        message.refresh_from_db()
        assert (message.status, message.attempts) == (ScheduledMessage.Status.SENT, 1)
        (sent,) = mail.outbox
        assert "/c/" in sent.body

    def test_the_email_holds_no_health_information(self, visit):
        checkin(visit)
        dispatch_and_send()
        body = mail.outbox[0].body.lower()
        for word in ("ims", "needl", "sore", "pain", "surgery"):
            assert word not in body.replace("& ims", "")

    def test_messages_not_yet_due_wait(self, visit):
        checkin(visit, due_at=NOW + timedelta(minutes=1))
        assert dispatch.messages_claim_due() == []

    def test_quiet_hours_at_send_time_defer_to_the_morning(self, visit, frozen_now):
        message = checkin(visit, due_at=local(2026, 11, 20, 21, 30))
        frozen_now.move_to(local(2026, 11, 20, 21, 30))
        assert dispatch_and_send() == ["deferred"]
        message.refresh_from_db()
        assert (message.status, message.due_at) == (
            ScheduledMessage.Status.PENDING,
            local(2026, 11, 21, 8),
        )
        assert mail.outbox == []

    def test_patients_who_declined_email_are_skipped_with_the_reason(self, visit):
        visit.patient.email_reminders = False
        visit.patient.save()
        message = checkin(visit)
        assert dispatch_and_send() == ["skipped"]
        message.refresh_from_db()
        assert message.last_error == "The patient declined email."

    def test_patients_without_email_are_skipped(self, visit):
        visit.patient.email = ""
        visit.patient.save()
        checkin(visit)
        assert dispatch_and_send() == ["skipped"]

    def test_a_reminder_for_a_cancelled_visit_is_not_sent(self, visit):
        message = ScheduledMessageFactory(
            key="reminder:x",
            kind="reminder",
            visit=None,
            appointment=visit.appointment,
            hours_after=None,
            due_at=NOW,
        )
        Appointment.objects.filter(pk=visit.appointment_id).update(status="cancelled")
        assert dispatch_and_send() == ["cancelled"]
        message.refresh_from_db()
        assert message.status == ScheduledMessage.Status.CANCELLED

    def test_mail_server_down_then_up_sends_once_after_retry(self, visit, settings, frozen_now):
        settings.EMAIL_BACKEND = "tests.mail_backends.OutageBackend"
        message = checkin(visit)
        OutageBackend.down = True
        try:
            assert dispatch_and_send() == ["retry"]
        finally:
            OutageBackend.down = False
        message.refresh_from_db()
        assert message.status == ScheduledMessage.Status.PENDING
        assert "mail server unreachable" in message.last_error
        assert message.due_at == NOW + timedelta(minutes=1)
        assert dispatch_and_send() == []  # back-off: not yet
        frozen_now.shift(timedelta(minutes=1))
        assert dispatch_and_send() == ["sent"]
        assert len(mail.outbox) == 1
        message.refresh_from_db()
        assert (message.status, message.attempts, message.last_error) == (
            ScheduledMessage.Status.SENT,
            2,
            "",
        )

    def test_after_the_last_attempt_the_message_is_marked_failed(self, visit, settings, frozen_now):
        settings.EMAIL_BACKEND = "tests.mail_backends.OutageBackend"
        settings.FOLLOWUP_MAX_ATTEMPTS = 2
        message = checkin(visit)
        OutageBackend.down = True
        try:
            assert dispatch_and_send() == ["retry"]
            frozen_now.shift(timedelta(minutes=5))
            assert dispatch_and_send() == ["failed"]
        finally:
            OutageBackend.down = False
        message.refresh_from_db()
        assert message.status == ScheduledMessage.Status.FAILED
        assert followup_selectors.message_health()["failed"] == 1

    def test_a_row_left_sending_is_claimed_again_after_its_lease(self, visit, frozen_now):
        message = checkin(visit)
        ((pk, first_claim),) = dispatch.messages_claim_due()  # the worker then dies
        assert dispatch.messages_claim_due() == []  # leased
        frozen_now.shift(timedelta(seconds=django_settings.FOLLOWUP_LEASE_SECONDS + 1))
        ((_, second_claim),) = dispatch.messages_claim_due()
        assert dispatch.messages_send(ids=[pk], claim=first_claim)[pk] == "not-claimed"
        assert dispatch.messages_send(ids=[pk], claim=second_claim)[pk] == "sent"
        assert len(mail.outbox) == 1
        message.refresh_from_db()
        assert message.attempts == 2

    def test_claims_are_sent_in_batches_and_a_row_claimed_again_is_left_alone(
        self, visit, settings
    ):
        settings.FOLLOWUP_SEND_BATCH = 2
        first, second, third = (checkin(visit) for _ in range(3))
        batches = dispatch.send_batches(dispatch.messages_claim_due())
        assert [ids for ids, _ in batches] == [[first.pk, second.pk], [third.pk]]
        (ids, claim), (rest, _) = batches
        # The second row's lease ran out and a later dispatch holds it now.
        ScheduledMessage.objects.filter(pk=second.pk).update(claim="later-dispatch")
        assert dispatch.messages_send(ids=ids, claim=claim) == {
            first.pk: "sent",
            second.pk: "not-claimed",
        }
        assert dispatch.messages_send(ids=rest, claim=claim) == {third.pk: "sent"}
        assert len(mail.outbox) == 2
        second.refresh_from_db()
        assert (second.status, second.claim) == (ScheduledMessage.Status.SENDING, "later-dispatch")

    def test_a_slow_batch_renews_the_leases_of_the_rows_still_to_send(
        self, visit, monkeypatch, frozen_now
    ):
        messages = [checkin(visit) for _ in range(3)]
        ((_, claim),) = {(None, c) for _, c in dispatch.messages_claim_due()}
        lease = django_settings.FOLLOWUP_LEASE_SECONDS

        class SlowMailServer:  # every step takes a good part of a lease
            now = 0.0

            def monotonic(self):
                self.now += lease * 0.4
                frozen_now.shift(timedelta(seconds=lease * 0.4))
                return self.now

        monkeypatch.setattr(dispatch, "time", SlowMailServer())
        outcomes = dispatch.messages_send(ids=[m.pk for m in messages], claim=claim)
        assert list(outcomes.values()) == ["sent"] * 3
        rows = ScheduledMessage.objects.order_by("pk")
        # No row was sent after its lease ran out (another dispatch could have had it).
        assert all(row.sent_at < row.lease_until for row in rows)
        assert rows[2].sent_at > rows[0].lease_until  # without renewal it would have

    def test_the_dispatch_task_queues_ids_only(self, visit, monkeypatch):
        checkin(visit)
        queued = []
        monkeypatch.setattr("sessions.tasks.send_messages.delay", lambda *args: queued.append(args))
        assert dispatch_due_messages() == 1
        ((ids, claim),) = queued
        assert ids == [ScheduledMessage.objects.get().pk]
        assert isinstance(claim, str) and len(claim) == 32

    def test_message_health_and_healthz_report_the_oldest_overdue(self, visit, client):
        checkin(visit, due_at=NOW - timedelta(minutes=7))
        checkin(visit, due_at=NOW - timedelta(minutes=2))
        health = followup_selectors.message_health()
        assert (health["due"], health["oldest_overdue_seconds"]) == (2, 420)
        assert client.get(reverse("healthz")).json()["oldest_overdue_message_seconds"] == 420

    def test_message_health_page_is_for_clinic_admins(self, client_for, clinic_admin, front_desk):
        assert client_for(clinic_admin).get(reverse("sessions:message-health")).status_code == 200
        assert client_for(front_desk).get(reverse("sessions:message-health")).status_code == 403


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_dispatchers_racing_never_claim_a_row_twice(physio, patient, location, treatment):
    visit = make_visit(physio, patient, location, treatment, local(2026, 11, 20, 9, 30))
    for i in range(300):
        checkin(visit, key=f"k{i}", nonce=f"n{i}")
    barrier = threading.Barrier(2)
    results: list[list] = []

    def run():
        close_old_connections()
        try:
            barrier.wait()
            results.append(dispatch.messages_claim_due(batch=50))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    ids = [pk for claimed in results for pk, _ in claimed]
    assert len(ids) == 300 and len(set(ids)) == 300
    assert set(ScheduledMessage.objects.values_list("attempts", flat=True)) == {1}


@pytest.mark.redis
@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_on_redis_delivers_a_due_checkin(
    physio, patient, location, treatment, mailoutbox
):
    visit = make_visit(physio, patient, location, treatment, local(2026, 11, 20, 9, 30))
    message = checkin(visit)
    queue = f"test-{uuid.uuid4().hex}"
    with start_worker(app, pool="solo", perform_ping_check=False, queues=[queue]):
        for ids, claim in dispatch.send_batches(dispatch.messages_claim_due()):
            send_messages.apply_async((ids, claim), queue=queue)
        deadline = time.monotonic() + 20
        while not mailoutbox and time.monotonic() < deadline:
            time.sleep(0.1)
    assert [m.to for m in mailoutbox] == [["marcus@example.com"]]
    message.refresh_from_db()
    assert message.status == ScheduledMessage.Status.SENT


class TestSmtpConnection:
    @pytest.fixture
    def sink(self, settings):
        sink = SmtpSink()
        time.sleep(0.2)
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", sink.port
        settings.EMAIL_USE_TLS, settings.EMAIL_TIMEOUT = False, 5
        yield sink
        dispatch._drop_smtp_connection()

    def wait_for(self, sink, count):
        deadline = time.monotonic() + 5
        while sink.count < count and time.monotonic() < deadline:
            time.sleep(0.05)

    def test_one_connection_serves_many_sends(self, visit, sink):
        for i in range(5):
            checkin(visit, key=f"smtp{i}", nonce=f"smtp{i}")
        assert dispatch_and_send() == ["sent"] * 5
        self.wait_for(sink, 5)
        assert (sink.count, sink.connections) == (5, 1)

    def test_a_connection_dropped_while_idle_is_replaced_at_once(self, visit, sink):
        checkin(visit, key="a", nonce="a")
        assert dispatch_and_send() == ["sent"]
        sink.drop_connections()
        time.sleep(0.2)
        checkin(visit, key="b", nonce="b")
        assert dispatch_and_send() == ["sent"]  # not "retry" a minute later
        self.wait_for(sink, 2)
        assert (sink.count, sink.connections) == (2, 2)


def test_the_checkin_email_states_the_configured_link_lifetime(visit, settings):
    settings.CHECKIN_LINK_DAYS = 3
    checkin(visit)
    dispatch_and_send()
    (email,) = mail.outbox
    assert "works for 3 days" in email.body and "seven" not in email.body
