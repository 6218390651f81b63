"""The patient's own visit link: cancel or move up to the clinic's notice (exactly
``cancel_notice_hours`` before is still allowed, a minute later is not), the late-fee
words, the link reaching only its own visit, and the link in the confirmation and
reminder emails."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from clinic.links import make_token
from clinic.models import AuditEvent
from sessions.billing.models import BillingPolicy
from sessions.booking import services as booking
from sessions.booking.models import Appointment
from sessions.followups import dispatch
from sessions.online import services
from sessions.online.models import OnlineBookingPolicy, VisitLink
from sessions.online.visits import CANCEL_REASON
from tests.factories import AppointmentFactory, PatientFactory, clinic_time
from tests.sessions.online.waitlist_world import NOW, entry_for, online_clinic

pytestmark = pytest.mark.django_db

TEN = clinic_time(2026, 12, 7, 10)
DEADLINE = TEN - timedelta(hours=24)  # the default notice: 24 hours


@pytest.fixture
def clinic():
    return online_clinic()


@pytest.fixture
def visit(clinic):
    return AppointmentFactory(
        practitioner=clinic.physio, location=clinic.location, type=clinic.follow_up, start=TEN
    )


def linked_visit(body: str):
    """The visit the self-service link in an email body opens."""
    (token,) = re.findall(r"/v/([^/\s\"]+)/", body)
    return services.visit_from_token(token)


def path(visit, name="sessions:visit-manage"):
    token = services.visit_link(visit).rsplit("/v/", 1)[1].strip("/")
    return reverse(name, args=[token])


def test_exactly_the_notice_before_the_patient_may_cancel(client, visit):
    with time_machine.travel(DEADLINE, tick=False):
        page = client.get(path(visit))
        assert b"Cancel this appointment" in page.content
        response = client.post(path(visit, "sessions:visit-cancel-self"))
    assert response.status_code == 200
    visit.refresh_from_db()
    assert visit.status == Appointment.Status.CANCELLED
    assert visit.cancellation_reason == CANCEL_REASON
    event = AuditEvent.objects.filter(action="update").latest("id")
    assert (event.role, event.patient) == ("patient", visit.patient)


def test_a_minute_inside_the_notice_the_page_says_to_call(client, visit):
    with time_machine.travel(DEADLINE + timedelta(minutes=1), tick=False):
        page = client.get(path(visit))
        response = client.post(path(visit, "sessions:visit-cancel-self"))
    assert b"Cancel this appointment" not in page.content
    assert b"Please call the clinic" in page.content
    assert b"late-cancellation fee" not in page.content
    assert b"Please call the clinic" in response.content
    visit.refresh_from_db()
    assert visit.status == Appointment.Status.BOOKED


def test_inside_the_notice_with_a_late_fee_the_page_says_it_may_apply(client, visit):
    policy = BillingPolicy.get()
    policy.late_cancel_fee_on = True
    policy.late_cancel_fee = 40
    policy.save()
    with time_machine.travel(DEADLINE + timedelta(minutes=1), tick=False):
        page = client.get(path(visit))
    assert b"A late-cancellation fee may apply" in page.content


def test_the_notice_follows_the_clinic_policy(client, visit):
    OnlineBookingPolicy.objects.update(cancel_notice_hours=48)
    with time_machine.travel(DEADLINE, tick=False):
        response = client.post(path(visit, "sessions:visit-cancel-self"))
    assert b"Please call the clinic" in response.content
    visit.refresh_from_db()
    assert visit.status == Appointment.Status.BOOKED


def test_a_cancelled_or_past_visit_cannot_be_changed(client, visit):
    booking.appointment_cancel(appointment=visit, reason="Patient called")
    with time_machine.travel(NOW, tick=False):
        response = client.post(path(visit, "sessions:visit-move"), {"slot": "x"})
    assert b"can no longer be changed online" in response.content


@time_machine.travel(NOW, tick=False)
def test_the_patient_moves_the_visit_and_the_old_time_goes_to_the_wait_list(
    client, clinic, visit, run_tasks
):
    waiting = entry_for(clinic, PatientFactory())
    page = client.get(path(visit, "sessions:visit-move"))
    new_start = clinic_time(2026, 12, 7, 14)
    value = f"{clinic.physio.pk}:{int(new_start.timestamp())}"
    assert value.encode() in page.content
    with run_tasks():
        response = client.post(path(visit, "sessions:visit-move"), {"slot": value})
    assert response.status_code == 200
    assert b"has moved" in response.content
    visit.refresh_from_db()
    assert visit.start == new_start and visit.status == Appointment.Status.BOOKED
    assert waiting.offers.get().hold.start == TEN
    assert any("has moved" in m.subject for m in mail.outbox)


@time_machine.travel(NOW, tick=False)
def test_a_move_to_a_taken_time_is_refused_on_the_page(client, clinic, visit):
    taken = clinic_time(2026, 12, 7, 14)
    AppointmentFactory(
        practitioner=clinic.physio, location=clinic.location, type=clinic.follow_up, start=taken
    )
    response = client.post(
        path(visit, "sessions:visit-move"), {"slot": f"{clinic.physio.pk}:{int(taken.timestamp())}"}
    )
    assert b"someone has just taken that time" in response.content
    visit.refresh_from_db()
    assert visit.start == TEN


@time_machine.travel(NOW, tick=False)
def test_malformed_move_input_is_refused_without_an_error(client, visit):
    for value in ("", "1:not-a-time", "x:1796652000", "1|2026-12-07T10:00", "1:9" * 30):
        response = client.post(path(visit, "sessions:visit-move"), {"slot": value})
        assert response.status_code == 200
    visit.refresh_from_db()
    assert visit.start == TEN


def test_a_link_reaches_only_its_own_visit(client, clinic, visit):
    other = AppointmentFactory(
        practitioner=clinic.physio,
        location=clinic.location,
        type=clinic.follow_up,
        start=TEN + timedelta(hours=2),
    )
    services.visit_link(visit)
    services.visit_link(other)
    # The token names this visit's link row with the other visit's nonce.
    mine = VisitLink.objects.get(appointment=visit)
    forged = make_token("visit", mine.pk, VisitLink.objects.get(appointment=other).nonce)
    for name in ("sessions:visit-manage", "sessions:visit-cancel-self", "sessions:visit-move"):
        assert client.get(reverse(name, args=[forged])).status_code == 404
        assert client.get(reverse(name, args=["nonsense"])).status_code == 404
    with time_machine.travel(NOW, tick=False):
        client.post(reverse("sessions:visit-cancel-self", args=[forged]))
    visit.refresh_from_db()
    assert visit.status == Appointment.Status.BOOKED


def test_the_honeypot_refuses_a_cancel(client, visit):
    with time_machine.travel(NOW, tick=False):
        client.post(path(visit, "sessions:visit-cancel-self"), {"website": "spam"})
    visit.refresh_from_db()
    assert visit.status == Appointment.Status.BOOKED


def test_too_many_changes_get_the_429_page(client, visit, settings):
    settings.ONLINE_BOOKING_LIMIT = 1
    with time_machine.travel(NOW, tick=False):
        client.post(path(visit, "sessions:visit-cancel-self"), {"website": "spam"})
        response = client.post(path(visit, "sessions:visit-cancel-self"))
    assert response.status_code == 429


@time_machine.travel(NOW, tick=False)
def test_the_confirmation_email_carries_the_self_service_link(
    clinic, django_capture_on_commit_callbacks
):
    patient = PatientFactory(email_reminders=True)
    with django_capture_on_commit_callbacks(execute=True):
        visit = booking.appointment_book(
            patient=patient,
            practitioner=clinic.physio,
            location=clinic.location,
            type=clinic.follow_up,
            start=TEN,
            created_by=None,
        )
    (confirmation,) = [m for m in mail.outbox if m.to == [patient.email] and "booked" in m.body]
    assert linked_visit(confirmation.body) == visit
    assert linked_visit(confirmation.alternatives[0][0]) == visit


def test_the_reminder_email_carries_the_self_service_link(clinic):
    patient = PatientFactory(email_reminders=True)
    with time_machine.travel(NOW, tick=False):
        visit = booking.appointment_book(
            patient=patient,
            practitioner=clinic.physio,
            location=clinic.location,
            type=clinic.follow_up,
            start=TEN,
            created_by=None,
        )
    reminder = visit.messages.get(kind="reminder")
    with time_machine.travel(reminder.due_at + timedelta(minutes=1), tick=False):
        mail.outbox.clear()
        for pk, claim in dispatch.messages_claim_due():
            dispatch.messages_send(ids=[pk], claim=claim)
    (sent,) = [m for m in mail.outbox if "reminder" in m.body]
    assert linked_visit(sent.body) == visit


@time_machine.travel(NOW, tick=False)
def test_the_move_page_survives_any_week_and_practitioner_asked_for(client, visit):
    url = path(visit, "sessions:visit-move")
    for query in (
        {"from": "9999-12-31"},
        {"from": "0001-01-01"},
        {"from": "not-a-day"},
        {"practitioner": "99999999999999999999"},
        {"practitioner": "٣"},
        {"practitioner": "any", "from": "2026-12-07"},
    ):
        assert client.get(url, query).status_code == 200


def test_the_link_ends_visit_link_days_after_the_visit(client, visit, settings):
    settings.VISIT_LINK_DAYS = 7
    url = path(visit)
    with time_machine.travel(TEN + timedelta(days=7, seconds=-1), tick=False):
        assert client.get(url).status_code == 200
    with time_machine.travel(TEN + timedelta(days=7), tick=False):
        assert client.get(url).status_code == 404
