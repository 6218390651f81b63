import threading
import time
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.db import close_old_connections, connection, transaction
from django.urls import reverse

from clinic.models import AuditEvent
from sessions import charting, followups, services
from sessions.models import Alert, Appointment, CallTask, ScheduledMessage, Visit
from sessions.tasks import dispatch_due_messages
from tests.factories import NeedlingAuthorisationFactory, PatientFactory
from tests.mail_backends import OutageBackend
from tests.sessions.conftest import NOW, local, submitted_intake

Status = ScheduledMessage.Status


@pytest.fixture
def patient(db):
    patient = PatientFactory(email="marcus@example.com", email_reminders=True)
    submitted_intake(patient, needles={"pregnancy": "no"})
    return patient


def make_visit(physio, patient, location, treatment, start, end=None) -> Visit:
    appointment = Appointment.objects.create(
        patient=patient,
        practitioner=physio,
        location=location,
        type=treatment,
        start=start,
        end=end or start + timedelta(minutes=30),
        course=services.active_course(patient),
    )
    return Visit.objects.create(appointment=appointment, author=physio)


@pytest.fixture
def visit(physio, patient, location, treatment):
    return make_visit(physio, patient, location, treatment, local(2026, 11, 20, 9, 30))


def checkin(visit, **fields) -> ScheduledMessage:
    defaults = dict(
        key=f"checkin:{visit.pk}:{uuid.uuid4().hex[:6]}",
        kind="checkin",
        patient=visit.patient,
        appointment=visit.appointment,
        visit=visit,
        due_at=NOW,
        nonce=uuid.uuid4().hex,
    )
    return ScheduledMessage.objects.create(**{**defaults, **fields})


def dispatch_and_send(now=None):
    return [
        followups.message_send(message_id=pk, claim=c, now=now)
        for pk, c in followups.messages_claim_due(now=now)
    ]


class TestScheduling:
    def test_signing_a_needling_visit_schedules_24_and_48_hour_checkins(self, visit, physio):
        from sessions.models import Muscle

        NeedlingAuthorisationFactory(practitioner=physio)
        charting.visit_safety_check(
            visit=visit,
            by=physio,
            pregnancy="no",
            surgery_date=None,
            surgery_description="",
            anticoagulants=False,
            medication_notes="",
            consent_today=True,
        )
        charting.visit_acknowledge(visit=visit, by=physio)
        muscle = Muscle.objects.create(name="Test muscle", region="hip", nerve_roots="L5")
        charting.site_add(
            visit=visit, muscle=muscle, side="left", depth_cm=Decimal(3), twitch="weak"
        )
        Visit.objects.filter(pk=visit.pk).update(
            pain_today=5,
            needle_product="X",
            needle_size="Y",
            needles_out=1,
            needles_back=1,
            single_use_sterile=True,
            skin_antisepsis=True,
            gloves=True,
            sharps_disposal=True,
        )
        charting.visit_sign(
            visit=visit,
            by=physio,
            aftercare_template=None,
            aftercare_text="Rest",
            home_exercises="",
        )
        due = sorted(
            ScheduledMessage.objects.filter(kind="checkin").values_list("due_at", flat=True)
        )
        assert due == [local(2026, 11, 21, 10), local(2026, 11, 22, 10)]

    def test_offsets_come_from_settings_and_may_be_decimal(self, visit, settings):
        settings.FOLLOWUP_CHECKIN_HOURS = [1.5, 36]
        messages = followups.checkins_schedule(visit=visit)
        # The visit ends at 10:00: 11:30 the same day, and 22:00 the next, which falls
        # in quiet hours and so waits until 08:00.
        assert [m.due_at for m in messages] == [local(2026, 11, 20, 11, 30), local(2026, 11, 22, 8)]
        assert [m.hours_after for m in messages] == [Decimal("1.5"), Decimal("36")]

    def test_checkins_are_scheduled_once(self, visit):
        followups.checkins_schedule(visit=visit)
        followups.checkins_schedule(visit=visit)
        assert ScheduledMessage.objects.count() == 2

    def test_a_checkin_due_in_quiet_hours_waits_for_the_morning(
        self, physio, patient, location, treatment, settings
    ):
        settings.FOLLOWUP_CHECKIN_HOURS = [24]
        late = make_visit(
            physio,
            patient,
            location,
            treatment,
            local(2026, 11, 20, 21, 30),
            local(2026, 11, 20, 22),
        )
        (message,) = followups.checkins_schedule(visit=late)
        assert message.due_at == local(2026, 11, 22, 8)

    def test_quiet_hours_end_at_eight_local_across_the_fall_back_change(
        self, physio, patient, location, treatment, settings, frozen_now
    ):
        frozen_now.move_to(local(2026, 10, 30, 12))
        settings.FOLLOWUP_CHECKIN_HOURS = [24]
        visit = make_visit(
            physio,
            patient,
            location,
            treatment,
            local(2026, 10, 31, 22),
            local(2026, 10, 31, 22, 30),
        )
        (message,) = followups.checkins_schedule(visit=visit)
        assert message.due_at == local(2026, 11, 2, 8)
        assert message.due_at.astimezone(local(2026, 11, 2, 8).tzinfo).utcoffset() == timedelta(
            hours=-7
        )

    def test_booking_schedules_a_reminder_the_day_before(self, book_any):
        appointment = book_any(local(2026, 11, 24, 9))
        reminder = ScheduledMessage.objects.get(kind="reminder")
        assert reminder.due_at == local(2026, 11, 23, 10)
        assert reminder.appointment == appointment

    def test_reminder_time_is_configurable(self, book_any, settings):
        settings.REMINDER_TIME = "17:30"
        book_any(local(2026, 11, 24, 9))
        assert ScheduledMessage.objects.get(kind="reminder").due_at == local(2026, 11, 23, 17, 30)

    def test_a_visit_tomorrow_booked_after_reminder_time_is_reminded_soon(
        self, book_any, frozen_now
    ):
        frozen_now.move_to(local(2026, 11, 20, 15))
        book_any(local(2026, 11, 21, 9))
        assert ScheduledMessage.objects.get(kind="reminder").due_at == local(2026, 11, 20, 15)

    def test_no_reminder_for_a_visit_within_two_hours(self, book_any):
        book_any(local(2026, 11, 20, 11))
        assert not ScheduledMessage.objects.filter(kind="reminder").exists()

    def test_rescheduling_moves_the_reminder_and_cancelling_cancels_it(
        self, book_any, physio, location, treatment
    ):
        appointment = book_any(local(2026, 11, 24, 9))
        services.appointment_reschedule(
            appointment=appointment,
            practitioner=physio,
            location=location,
            type=treatment,
            start=local(2026, 11, 26, 9),
        )
        pending = ScheduledMessage.objects.get(kind="reminder", status=Status.PENDING)
        assert pending.due_at == local(2026, 11, 25, 10)
        assert (
            ScheduledMessage.objects.filter(kind="reminder", status=Status.CANCELLED).count() == 1
        )
        services.appointment_cancel(appointment=appointment, reason="Unwell")
        assert not ScheduledMessage.objects.filter(status=Status.PENDING).exists()

    def test_a_rolled_back_booking_leaves_no_message(self, book_any):
        with pytest.raises(RuntimeError), transaction.atomic():
            book_any(local(2026, 11, 24, 9))
            raise RuntimeError("failed later in the request")
        assert not ScheduledMessage.objects.exists()

    def test_a_rolled_back_signing_leaves_no_message(self, visit):
        with pytest.raises(RuntimeError), transaction.atomic():
            followups.checkins_schedule(visit=visit)
            raise RuntimeError("failed later in the request")
        assert not ScheduledMessage.objects.exists()


@pytest.fixture
def book_any(physio, location, treatment, front_desk, hours, patient):
    def book(start):
        return services.appointment_book(
            patient=patient,
            practitioner=physio,
            location=location,
            type=treatment,
            start=start,
            created_by=front_desk,
        )

    return book


class TestSending:
    def test_a_due_message_is_sent_once(self, visit):
        message = checkin(visit)
        claims = followups.messages_claim_due()
        assert [pk for pk, _ in claims] == [message.pk]
        pk, claim = claims[0]
        assert followups.message_send(message_id=pk, claim=claim) == "sent"
        assert followups.message_send(message_id=pk, claim=claim) == "not-claimed"
        assert followups.messages_claim_due() == []
        message.refresh_from_db()
        assert (message.status, message.attempts) == (Status.SENT, 1)
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
        assert followups.messages_claim_due() == []

    def test_quiet_hours_at_send_time_defer_to_the_morning(self, visit, frozen_now):
        message = checkin(visit, due_at=local(2026, 11, 20, 21, 30))
        frozen_now.move_to(local(2026, 11, 20, 21, 30))
        assert dispatch_and_send() == ["deferred"]
        message.refresh_from_db()
        assert (message.status, message.due_at) == (Status.PENDING, local(2026, 11, 21, 8))
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
        message = ScheduledMessage.objects.create(
            key="reminder:x",
            kind="reminder",
            patient=visit.patient,
            appointment=visit.appointment,
            due_at=NOW,
            nonce="n1",
        )
        Appointment.objects.filter(pk=visit.appointment_id).update(status="cancelled")
        assert dispatch_and_send() == ["cancelled"]
        message.refresh_from_db()
        assert message.status == Status.CANCELLED

    def test_mail_server_down_then_up_sends_once_after_retry(self, visit, settings, frozen_now):
        settings.EMAIL_BACKEND = "tests.mail_backends.OutageBackend"
        message = checkin(visit)
        OutageBackend.down = True
        try:
            assert dispatch_and_send() == ["retry"]
        finally:
            OutageBackend.down = False
        message.refresh_from_db()
        assert message.status == Status.PENDING
        assert "mail server unreachable" in message.last_error
        assert message.due_at == NOW + timedelta(minutes=1)
        assert dispatch_and_send() == []  # back-off: not yet
        frozen_now.shift(timedelta(minutes=1))
        assert dispatch_and_send() == ["sent"]
        assert len(mail.outbox) == 1
        message.refresh_from_db()
        assert (message.status, message.attempts, message.last_error) == (Status.SENT, 2, "")

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
        assert message.status == Status.FAILED
        assert followups.message_health()["failed"] == 1

    def test_a_row_left_sending_is_claimed_again_after_its_lease(self, visit, frozen_now):
        message = checkin(visit)
        ((pk, first_claim),) = followups.messages_claim_due()  # the worker then dies
        assert followups.messages_claim_due() == []  # leased
        frozen_now.shift(timedelta(seconds=django_settings.FOLLOWUP_LEASE_SECONDS + 1))
        ((_, second_claim),) = followups.messages_claim_due()
        assert followups.message_send(message_id=pk, claim=first_claim) == "not-claimed"
        assert followups.message_send(message_id=pk, claim=second_claim) == "sent"
        assert len(mail.outbox) == 1
        message.refresh_from_db()
        assert message.attempts == 2

    def test_claims_are_sent_in_batches_and_a_row_claimed_again_is_left_alone(
        self, visit, settings
    ):
        settings.FOLLOWUP_SEND_BATCH = 2
        first, second, third = (checkin(visit) for _ in range(3))
        batches = followups.send_batches(followups.messages_claim_due())
        assert [ids for ids, _ in batches] == [[first.pk, second.pk], [third.pk]]
        (ids, claim), (rest, _) = batches
        # The second row's lease ran out and a later dispatch holds it now.
        ScheduledMessage.objects.filter(pk=second.pk).update(claim="later-dispatch")
        assert followups.messages_send(ids=ids, claim=claim) == {
            first.pk: "sent",
            second.pk: "not-claimed",
        }
        assert followups.messages_send(ids=rest, claim=claim) == {third.pk: "sent"}
        assert len(mail.outbox) == 2
        second.refresh_from_db()
        assert (second.status, second.claim) == (Status.SENDING, "later-dispatch")

    def test_a_slow_batch_renews_the_leases_of_the_rows_still_to_send(
        self, visit, monkeypatch, frozen_now
    ):
        messages = [checkin(visit) for _ in range(3)]
        ((_, claim),) = {(None, c) for _, c in followups.messages_claim_due()}
        lease = django_settings.FOLLOWUP_LEASE_SECONDS

        class SlowMailServer:  # every step takes a good part of a lease
            now = 0.0

            def monotonic(self):
                self.now += lease * 0.4
                frozen_now.shift(timedelta(seconds=lease * 0.4))
                return self.now

        monkeypatch.setattr(followups, "time", SlowMailServer())
        outcomes = followups.messages_send(ids=[m.pk for m in messages], claim=claim)
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
        health = followups.message_health()
        assert (health["due"], health["oldest_overdue_seconds"]) == (2, 420)
        assert client.get(reverse("healthz")).json()["oldest_overdue_message_seconds"] == 420

    def test_message_health_page_is_for_clinic_admins(self, client_for, clinic_admin, front_desk):
        assert client_for(clinic_admin).get(reverse("sessions:message-health")).status_code == 200
        assert client_for(front_desk).get(reverse("sessions:message-health")).status_code == 403


class TestCheckinAnswers:
    @pytest.fixture
    def sent(self, visit):
        message = checkin(visit)
        dispatch_and_send()
        message.refresh_from_db()
        return message

    def url(self, message):
        return followups.checkin_link(message).removeprefix("http://127.0.0.1:8000")

    ANSWER = {"soreness": "4", "compared": "expected", "comment": "Stiff but fine"}

    def test_a_calm_answer_is_kept_without_alert(self, client, sent):
        response = client.post(self.url(sent), self.ANSWER)
        assert "your answers are with the clinic" in response.content.decode()
        assert sent.answers.get().soreness == 4
        assert not Alert.objects.exists()
        assert AuditEvent.objects.filter(role="patient", action="create").exists()

    def test_answering_again_updates_and_keeps_history(self, client, sent):
        client.post(self.url(sent), self.ANSWER)
        page = client.get(self.url(sent)).content.decode()
        assert "You have answered before" in page and "Stiff but fine" in page
        client.post(self.url(sent), {**self.ANSWER, "soreness": "2"})
        assert list(sent.answers.values_list("soreness", flat=True)) == [2, 4]

    def test_answering_costs_the_same_queries_however_many_answers_came_before(
        self, client, sent, django_assert_max_num_queries
    ):
        client.post(self.url(sent), self.ANSWER)
        with django_assert_max_num_queries(8) as first:  # 5, + savepoints and the audit lock
            client.post(self.url(sent), self.ANSWER)
        queries = len(first.captured_queries)  # read now: each request resets the log
        for soreness in range(10):
            client.post(self.url(sent), {**self.ANSWER, "soreness": str(soreness)})
        with django_assert_max_num_queries(queries):
            response = client.post(self.url(sent), self.ANSWER)
        assert "your answers are with the clinic" in response.content.decode()
        assert sent.answers.count() == 13

    def test_a_red_flag_alerts_the_physio_and_asks_front_desk_to_call(
        self, client, sent, physio, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(self.url(sent), {**self.ANSWER, "red_flags": ["fever"]})
        assert "the clinic will call you" in response.content.decode()
        alert = Alert.objects.get()
        assert alert.physio == physio
        assert CallTask.objects.get().patient == sent.patient
        (email,) = [m for m in mail.outbox if m.to == [physio.email]]
        assert "/alerts/" in email.body and sent.patient.legal_last_name not in email.body

    def test_soreness_of_eight_alerts(self, client, sent):
        client.post(self.url(sent), {**self.ANSWER, "soreness": "8"})
        assert Alert.objects.count() == 1

    def test_seven_does_not(self, client, sent):
        client.post(self.url(sent), {**self.ANSWER, "soreness": "7"})
        assert not Alert.objects.exists()

    def test_physio_sees_and_acknowledges_the_alert(self, client, client_for, sent, physio):
        client.post(self.url(sent), {**self.ANSWER, "red_flags": ["numbness_weakness"]})
        staff = client_for(physio)
        home = staff.get(reverse("home")).content.decode()
        assert "Check-ins needing attention" in home
        alert = Alert.objects.get()
        page = staff.get(reverse("sessions:alert", args=[alert.pk])).content.decode()
        assert "New numbness or weakness" in page
        response = staff.post(
            reverse("sessions:alert", args=[alert.pk]), {"action_taken": "Called; seen today"}
        )
        assert response.status_code == 302
        alert.refresh_from_db()
        assert (alert.acknowledged_by, alert.action_taken) == (physio, "Called; seen today")
        assert "Check-ins needing attention" not in staff.get(reverse("home")).content.decode()

    def test_front_desk_gets_a_call_task_without_clinical_detail(
        self, client, client_for, sent, front_desk
    ):
        client.post(
            self.url(sent),
            {**self.ANSWER, "soreness": "9", "red_flags": ["fever"], "comment": "Hot knee"},
        )
        desk = client_for(front_desk)
        home = desk.get(reverse("home")).content.decode()
        assert "Patients to call" in home and sent.patient.legal_last_name in home
        for detail in ("Fever", "9/10", "Hot knee", "soreness"):
            assert detail not in home
        alert = Alert.objects.get()
        assert desk.get(reverse("sessions:alert", args=[alert.pk])).status_code == 403
        task = CallTask.objects.get()
        desk.post(reverse("sessions:call-done", args=[task.pk]), {"note": "Left a message"})
        task.refresh_from_db()
        assert task.done_by == front_desk

    def test_the_link_expires_after_seven_days(self, client, sent, frozen_now):
        frozen_now.shift(timedelta(days=7, seconds=1))
        assert client.get(self.url(sent)).status_code == 404

    def test_a_tampered_or_unsent_link_is_refused(self, client, visit):
        unsent = checkin(visit, due_at=NOW + timedelta(days=1))
        assert client.get(self.url(unsent)).status_code == 404
        assert client.get(reverse("sessions:checkin", args=["x"])).status_code == 404

    def test_soreness_starts_empty_and_must_be_chosen(self, client, sent):
        page = client.get(self.url(sent)).content.decode()
        select = page[page.index('name="soreness"') :]
        select = select[: select.index("</select>")]
        assert '<option value="" selected>Choose 0 to 10</option>' in select
        response = client.post(self.url(sent), {"compared": "expected"})
        assert "Choose a number from 0 to 10." in response.content.decode()
        assert not sent.answers.exists()

    def test_out_of_range_answers_get_messages(self, client, sent):
        response = client.post(self.url(sent), {"soreness": "11", "compared": "nope"})
        page = response.content.decode()
        assert response.status_code == 200 and "Select a valid choice" in page

    def test_response_rate(self, client, sent, physio):
        assert followups.checkin_response_rate(physio) == (0, 1)
        client.post(self.url(sent), self.ANSWER)
        assert followups.checkin_response_rate(physio) == (1, 1)


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
            results.append(followups.messages_claim_due(batch=50))
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
    from celery.contrib.testing.worker import start_worker

    from clinic.celery import app

    visit = make_visit(physio, patient, location, treatment, local(2026, 11, 20, 9, 30))
    message = checkin(visit)
    queue = f"test-{uuid.uuid4().hex}"
    with start_worker(app, pool="solo", perform_ping_check=False, queues=[queue]):
        from sessions.tasks import send_messages

        for ids, claim in followups.send_batches(followups.messages_claim_due()):
            send_messages.apply_async((ids, claim), queue=queue)
        deadline = time.monotonic() + 20
        while not mailoutbox and time.monotonic() < deadline:
            time.sleep(0.1)
    assert [m.to for m in mailoutbox] == [["marcus@example.com"]]
    message.refresh_from_db()
    assert message.status == Status.SENT


def test_acknowledging_after_speaking_to_the_patient_closes_the_call(
    client, client_for, visit, physio, front_desk
):
    message = checkin(visit)
    dispatch_and_send()
    message.refresh_from_db()
    client.post(
        followups.checkin_link(message).removeprefix("http://127.0.0.1:8000"),
        {"soreness": "9", "compared": "worse"},
    )
    alert = Alert.objects.get()
    response = client_for(physio).post(
        reverse("sessions:alert", args=[alert.pk]),
        {"action_taken": "Phoned, advice given", "call_handled": "on"},
    )
    assert response.status_code == 302, response.content.decode()[-800:]
    task = CallTask.objects.get()
    assert task.done_by == physio and "spoke to the patient" in task.note
    assert "Patients to call" not in client_for(front_desk).get(reverse("home")).content.decode()


class TestSmtpConnection:
    @pytest.fixture
    def sink(self, settings):
        from clinic.management.commands.bench import SmtpSink

        sink = SmtpSink()
        time.sleep(0.2)
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", sink.port
        settings.EMAIL_USE_TLS, settings.EMAIL_TIMEOUT = False, 5
        yield sink
        followups._drop_smtp_connection()

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
