import threading
import time
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.db import IntegrityError, close_old_connections, connection, transaction
from django.urls import reverse

from clinic.models import AuditEvent
from clinic.site.bench import SmtpSink
from sessions.booking import services
from sessions.charting import services as charting
from sessions.followups import dispatch
from sessions.followups import selectors as followup_selectors
from sessions.followups import services as followups
from sessions.models import Alert, Appointment, CallTask, ScheduledMessage, Visit
from sessions.tasks import dispatch_due_messages
from tests.factories import (
    AppointmentFactory,
    NeedlingAuthorisationFactory,
    PatientFactory,
    ScheduledMessageFactory,
    VisitFactory,
)
from tests.mail_backends import OutageBackend
from tests.sessions.conftest import NOW, local, submitted_intake


@pytest.fixture
def patient(db):
    patient = PatientFactory(email="marcus@example.com", email_reminders=True)
    submitted_intake(patient, needles={"pregnancy": "no"})
    return patient


def make_visit(physio, patient, location, treatment, start, end=None) -> Visit:
    appointment = AppointmentFactory(
        patient=patient,
        practitioner=physio,
        location=location,
        type=treatment,
        start=start,
        **({"end": end} if end else {}),
    )
    return VisitFactory(appointment=appointment, author=physio)


@pytest.fixture
def visit(physio, patient, location, treatment):
    return make_visit(physio, patient, location, treatment, local(2026, 11, 20, 9, 30))


def checkin(visit, *, sign=True, **fields) -> ScheduledMessage:
    """A check-in of ``visit``, whose note is signed (only a signed note has them)."""
    if sign:
        Visit.objects.filter(pk=visit.pk, status=Visit.Status.DRAFT).update(
            status=Visit.Status.SIGNED, signed_at=NOW
        )
    defaults = dict(
        key=f"checkin:{visit.pk}:{uuid.uuid4().hex[:6]}", visit=visit, hours_after=None, due_at=NOW
    )
    return ScheduledMessageFactory(**{**defaults, **fields})


def dispatch_and_send(now=None):
    return [
        dispatch.message_send(message_id=pk, claim=c, now=now)
        for pk, c in dispatch.messages_claim_due(now=now)
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
            nprs_before=5,
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
        pending = ScheduledMessage.objects.get(
            kind="reminder", status=ScheduledMessage.Status.PENDING
        )
        assert pending.due_at == local(2026, 11, 25, 10)
        assert (
            ScheduledMessage.objects.filter(
                kind="reminder", status=ScheduledMessage.Status.CANCELLED
            ).count()
            == 1
        )
        services.appointment_cancel(appointment=appointment, reason="Unwell")
        assert not ScheduledMessage.objects.filter(status=ScheduledMessage.Status.PENDING).exists()

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
        claims = dispatch.messages_claim_due()
        assert [pk for pk, _ in claims] == [message.pk]
        pk, claim = claims[0]
        assert dispatch.message_send(message_id=pk, claim=claim) == "sent"
        assert dispatch.message_send(message_id=pk, claim=claim) == "not-claimed"
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
        assert dispatch.message_send(message_id=pk, claim=first_claim) == "not-claimed"
        assert dispatch.message_send(message_id=pk, claim=second_claim) == "sent"
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
        # 7 (the visit lock and the answer count included), + savepoints and the audit lock
        with django_assert_max_num_queries(10) as first:
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

    RED_FLAG = {**ANSWER, "red_flags": ["fever"]}

    def test_a_worrying_answer_given_twice_keeps_one_alert_call_and_email(
        self, client, sent, physio, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            client.post(self.url(sent), self.RED_FLAG)
            client.post(self.url(sent), {**self.RED_FLAG, "soreness": "9"})
        alert = Alert.objects.get()
        assert alert.answer == sent.answers.first()  # the latest, soreness 9
        assert alert.answer.soreness == 9
        assert CallTask.objects.count() == 1
        assert len([m for m in mail.outbox if m.to == [physio.email]]) == 1

    def test_the_two_checkins_of_a_visit_share_its_open_alert(self, client, sent, visit):
        later = checkin(visit, key=f"checkin:{visit.pk}:48h", due_at=NOW)
        dispatch_and_send()
        later.refresh_from_db()
        client.post(self.url(sent), self.RED_FLAG)
        client.post(self.url(later), {**self.ANSWER, "soreness": "8"})
        alert = Alert.objects.get()
        assert alert.answer.message == later
        assert CallTask.objects.count() == 1

    def test_the_alert_page_keeps_an_earlier_red_flag_in_view(
        self, client, client_for, sent, physio
    ):
        client.post(self.url(sent), self.RED_FLAG)
        client.post(self.url(sent), {**self.ANSWER, "soreness": "9"})
        alert = Alert.objects.get()
        page = client_for(physio).get(reverse("sessions:alert", args=[alert.pk])).content
        assert "Fever or chills" in page.decode()

    def test_a_worrying_answer_after_acknowledgement_opens_a_new_alert_but_no_second_call(
        self, client, client_for, sent, physio
    ):
        client.post(self.url(sent), self.RED_FLAG)
        first = Alert.objects.get()
        followups.alert_acknowledge(alert=first, by=physio, action_taken="Advice by email")
        client.post(self.url(sent), {**self.ANSWER, "soreness": "9"})
        assert Alert.objects.count() == 2
        assert Alert.objects.filter(acknowledged_at__isnull=True).get().answer.soreness == 9
        assert CallTask.objects.filter(done_at__isnull=True).count() == 1

    def test_the_database_refuses_a_second_open_alert_for_a_visit(self, client, sent, visit):
        client.post(self.url(sent), self.RED_FLAG)
        client.post(self.url(sent), self.ANSWER)
        with pytest.raises(IntegrityError), transaction.atomic():
            Alert.objects.create(answer=sent.answers.first(), visit=visit, physio=visit.author)

    def test_a_link_takes_at_most_the_configured_number_of_answers(self, client, sent, settings):
        settings.CHECKIN_MAX_ANSWERS = 3
        for soreness in ("1", "2", "3"):
            client.post(self.url(sent), {**self.ANSWER, "soreness": soreness})
        response = client.post(self.url(sent), {**self.ANSWER, "comment": "Much worse now"})
        page = response.content.decode()
        assert response.status_code == 200
        assert "answered as many times as it can be" in page and "call the clinic" in page
        assert "Much worse now" in page  # what the patient typed is still in the form
        assert sent.answers.count() == 3
        assert "answered as many times" in client.get(self.url(sent)).content.decode()

    def test_response_rate(self, client, sent, physio):
        assert followup_selectors.checkin_response_rate(physio) == (0, 1)
        client.post(self.url(sent), self.ANSWER)
        assert followup_selectors.checkin_response_rate(physio) == (1, 1)


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
    from celery.contrib.testing.worker import start_worker

    from clinic.celery import app

    visit = make_visit(physio, patient, location, treatment, local(2026, 11, 20, 9, 30))
    message = checkin(visit)
    queue = f"test-{uuid.uuid4().hex}"
    with start_worker(app, pool="solo", perform_ping_check=False, queues=[queue]):
        from sessions.tasks import send_messages

        for ids, claim in dispatch.send_batches(dispatch.messages_claim_due()):
            send_messages.apply_async((ids, claim), queue=queue)
        deadline = time.monotonic() + 20
        while not mailoutbox and time.monotonic() < deadline:
            time.sleep(0.1)
    assert [m.to for m in mailoutbox] == [["marcus@example.com"]]
    message.refresh_from_db()
    assert message.status == ScheduledMessage.Status.SENT


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


def reschedule(appointment, start):
    return services.appointment_reschedule(
        appointment=appointment,
        practitioner=appointment.practitioner,
        location=appointment.location,
        type=appointment.type,
        start=start,
    )


class TestKeysCountLiveRowsOnly:
    def test_a_visit_moved_away_and_back_has_one_pending_reminder_for_its_time(self, book_any):
        appointment = book_any(local(2026, 11, 24, 10))
        reschedule(appointment, local(2026, 11, 24, 11))
        reschedule(appointment, local(2026, 11, 24, 10))
        (pending,) = ScheduledMessage.objects.filter(
            kind="reminder", status=ScheduledMessage.Status.PENDING
        )
        assert pending.key == followups.reminder_key(appointment)
        assert pending.due_at == local(2026, 11, 23, 10)
        assert (
            ScheduledMessage.objects.filter(status=ScheduledMessage.Status.CANCELLED).count() == 2
        )

    def test_the_pending_reminder_for_the_old_time_goes_out_for_the_new_one(
        self, book_any, frozen_now
    ):
        appointment = book_any(local(2026, 11, 24, 10))
        reschedule(appointment, local(2026, 11, 24, 11))
        reschedule(appointment, local(2026, 11, 24, 10))
        frozen_now.move_to(local(2026, 11, 23, 10))
        assert dispatch_and_send() == ["sent"]
        (email,) = mail.outbox
        assert "tomorrow at 10:00" in email.subject

    @pytest.mark.parametrize(
        "dead", [ScheduledMessage.Status.CANCELLED, ScheduledMessage.Status.SKIPPED]
    )
    def test_checkins_scheduled_again_after_their_rows_died_are_pending(self, visit, dead):
        followups.checkins_schedule(visit=visit)
        ScheduledMessage.objects.update(status=dead)
        again = followups.checkins_schedule(visit=visit)
        assert len(again) == 2
        assert ScheduledMessage.objects.filter(status=ScheduledMessage.Status.PENDING).count() == 2

    @pytest.mark.parametrize(
        "live",
        [
            ScheduledMessage.Status.PENDING,
            ScheduledMessage.Status.SENDING,
            ScheduledMessage.Status.SENT,
            ScheduledMessage.Status.FAILED,
        ],
    )
    def test_a_live_row_still_holds_its_key(self, visit, live):
        followups.checkins_schedule(visit=visit)
        ScheduledMessage.objects.update(status=live)
        assert followups.checkins_schedule(visit=visit) == []
        assert ScheduledMessage.objects.count() == 2

    def test_the_database_refuses_a_second_live_row_under_one_key(self, visit):
        checkin(visit, key="k", status=ScheduledMessage.Status.CANCELLED)
        checkin(visit, key="k", status=ScheduledMessage.Status.SKIPPED)
        checkin(visit, key="k")  # one live row next to dead ones is fine
        with pytest.raises(IntegrityError), transaction.atomic():
            checkin(visit, key="k", status=ScheduledMessage.Status.SENT)


class TestCheckedAgainWhenSent:
    """What was decided at scheduling is decided again at send time (time pinned)."""

    def test_a_reminder_pushed_past_quiet_hours_to_the_visit_day_says_today(
        self, book_any, frozen_now
    ):
        frozen_now.move_to(local(2026, 11, 20, 22, 30))
        book_any(local(2026, 11, 21, 9))
        reminder = ScheduledMessage.objects.get(kind="reminder")
        assert reminder.due_at == local(2026, 11, 21, 8)
        frozen_now.move_to(local(2026, 11, 21, 8))
        assert dispatch_and_send() == ["sent"]
        (email,) = mail.outbox
        assert "today at 09:00" in email.subject and "tomorrow" not in email.subject
        assert "appointment today at" in email.body

    def test_a_reminder_sent_the_day_before_says_tomorrow(self, book_any, frozen_now):
        book_any(local(2026, 11, 24, 9))
        frozen_now.move_to(local(2026, 11, 23, 10))
        dispatch_and_send()
        assert "tomorrow at 09:00" in mail.outbox[0].subject

    def test_a_reminder_held_back_two_days_names_the_day(self, book_any, frozen_now):
        appointment = book_any(local(2026, 11, 24, 9))
        ScheduledMessage.objects.update(due_at=local(2026, 11, 22, 10))
        frozen_now.move_to(local(2026, 11, 22, 10))
        dispatch_and_send()
        assert "on Tuesday 24 November at 09:00" in mail.outbox[0].subject
        assert appointment.start == local(2026, 11, 24, 9)

    def test_a_reminder_dispatched_after_the_visit_started_is_skipped_with_the_reason(
        self, book_any, frozen_now
    ):
        book_any(local(2026, 11, 24, 9))
        frozen_now.move_to(local(2026, 11, 24, 12))  # the worker was down
        assert dispatch_and_send() == [ScheduledMessage.Status.SKIPPED]
        assert mail.outbox == []
        reminder = ScheduledMessage.objects.get(kind="reminder")
        assert reminder.status == ScheduledMessage.Status.SKIPPED
        assert "had started" in reminder.last_error

    def test_a_reminder_exactly_the_margin_before_the_visit_goes_out(
        self, book_any, frozen_now, settings
    ):
        settings.REMINDER_SKIP_WITHIN_MINUTES = 30
        book_any(local(2026, 11, 24, 9))
        frozen_now.move_to(local(2026, 11, 24, 8, 30))
        assert dispatch_and_send() == ["sent"]
        assert "today at 09:00" in mail.outbox[0].subject

    def test_a_reminder_a_second_inside_the_margin_is_skipped(self, book_any, frozen_now, settings):
        settings.REMINDER_SKIP_WITHIN_MINUTES = 30
        book_any(local(2026, 11, 24, 9))
        frozen_now.move_to(local(2026, 11, 24, 8, 30) + timedelta(seconds=1))
        assert dispatch_and_send() == [ScheduledMessage.Status.SKIPPED]
        reminder = ScheduledMessage.objects.get(kind="reminder")
        assert reminder.last_error == (
            "The visit starts in less than 30 minutes: too late to remind."
        )

    def test_a_reminder_claimed_before_its_visit_moved_is_not_sent(self, book_any, frozen_now):
        appointment = book_any(local(2026, 11, 24, 9))
        frozen_now.move_to(local(2026, 11, 23, 10))
        ((pk, claim),) = dispatch.messages_claim_due()
        reschedule(appointment, local(2026, 11, 26, 9))  # while the send task waits
        assert (
            dispatch.message_send(message_id=pk, claim=claim) == ScheduledMessage.Status.CANCELLED
        )
        assert mail.outbox == []
        assert "moved" in ScheduledMessage.objects.get(pk=pk).last_error
        (pending,) = ScheduledMessage.objects.filter(status=ScheduledMessage.Status.PENDING)
        assert pending.due_at == local(2026, 11, 25, 10)

    def test_a_reminder_for_a_no_show_is_not_sent(self, book_any, frozen_now):
        appointment = book_any(local(2026, 11, 24, 9))
        frozen_now.move_to(local(2026, 11, 23, 10))
        Appointment.objects.filter(pk=appointment.pk).update(status=Appointment.Status.NO_SHOW)
        assert dispatch_and_send() == [ScheduledMessage.Status.CANCELLED]

    def test_a_reminder_for_a_patient_who_declined_email_since_booking_is_skipped(
        self, book_any, frozen_now, patient
    ):
        book_any(local(2026, 11, 24, 9))
        patient.email_reminders = False
        patient.save()
        frozen_now.move_to(local(2026, 11, 23, 10))
        assert dispatch_and_send() == [ScheduledMessage.Status.SKIPPED]
        assert mail.outbox == []

    def test_a_checkin_of_a_cancelled_visit_is_not_sent(self, visit):
        message = checkin(visit)
        Appointment.objects.filter(pk=visit.appointment_id).update(
            status=Appointment.Status.CANCELLED
        )
        assert dispatch_and_send() == [ScheduledMessage.Status.CANCELLED]
        message.refresh_from_db()
        assert message.last_error == "The appointment is cancelled."

    def test_a_checkin_of_an_unsigned_note_is_not_sent(self, visit):
        message = checkin(visit, sign=False)  # the app schedules check-ins at signing only
        assert dispatch_and_send() == [ScheduledMessage.Status.SKIPPED]
        message.refresh_from_db()
        assert message.last_error == "The visit's note is not signed."

    def test_every_kind_has_a_send_check(self):
        assert set(dispatch.SEND_CHECKS) == set(ScheduledMessage.Kind)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_worrying_answers_at_once_raise_one_alert(physio, patient, location, treatment):
    visit = make_visit(physio, patient, location, treatment, local(2026, 11, 20, 9, 30))
    message = checkin(visit, status=ScheduledMessage.Status.SENT, sent_at=NOW)
    barrier = threading.Barrier(2)
    errors: list[Exception] = []

    def run(soreness):
        close_old_connections()
        try:
            barrier.wait()
            followups.checkin_answer(
                message=ScheduledMessage.objects.get(pk=message.pk),
                soreness=soreness,
                compared="worse",
                bruising=False,
                red_flags=["fever"],
                comment="",
            )
        except Exception as exc:  # collected: the test fails on any
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(s,)) for s in (8, 9)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    assert message.answers.count() == 2
    assert Alert.objects.count() == 1 and CallTask.objects.count() == 1


def test_the_checkin_email_states_the_configured_link_lifetime(visit, settings):
    settings.CHECKIN_LINK_DAYS = 3
    checkin(visit)
    dispatch_and_send()
    (email,) = mail.outbox
    assert "works for 3 days" in email.body and "seven" not in email.body
