"""The patient confirms their visit from its self-service link ("Yes, I will be there"):
a booked visit still to come, once; the signed link is the key, CSRF is on; and the
visit and check-in pages link to the patient's message preferences."""

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from clinic.models import AuditEvent
from sessions.booking import services as booking
from sessions.booking.models import Appointment, Confirmation
from sessions.followups import services as followups
from sessions.followups.models import ScheduledMessage
from sessions.online import services
from tests.factories import AppointmentFactory, ScheduledMessageFactory, VisitFactory, clinic_time
from tests.sessions.online.waitlist_world import NOW, online_clinic

pytestmark = pytest.mark.django_db

TEN = clinic_time(2026, 12, 7, 10)
BUTTON = "Yes, I will be there"
CONFIRMED = "You have confirmed this visit."


@pytest.fixture(autouse=True)
def now():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def clinic():
    return online_clinic()


@pytest.fixture
def visit(clinic):
    return AppointmentFactory(
        practitioner=clinic.physio, location=clinic.location, type=clinic.follow_up, start=TEN
    )


def token_of(visit) -> str:
    return services.visit_link(visit).rsplit("/v/", 1)[1].strip("/")


def path(visit, name="sessions:visit-manage", token=None):
    return reverse(name, args=[token or token_of(visit)])


def test_the_page_offers_the_button_and_a_press_confirms_from_the_link(client, visit):
    assert BUTTON in client.get(path(visit)).content.decode()
    response = client.post(path(visit, "sessions:visit-confirm-self"))
    assert response.status_code == 302 and response.url == path(visit)
    visit.refresh_from_db()
    assert (visit.confirmed_at, visit.confirmed_via) == (NOW, Confirmation.LINK)
    page = client.get(path(visit)).content.decode()
    assert CONFIRMED in page and BUTTON not in page
    event = AuditEvent.objects.get(detail="confirmed online by the patient")
    assert (event.role, event.patient, event.user) == ("patient", visit.patient, None)


def test_a_visit_confirmed_by_text_shows_as_confirmed_on_the_page(client, visit):
    booking.appointment_confirm(appointment=visit, via=Confirmation.SMS)
    page = client.get(path(visit)).content.decode()
    assert CONFIRMED in page and BUTTON not in page


def test_confirming_twice_keeps_the_first_confirmation(client, visit, now):
    client.post(path(visit, "sessions:visit-confirm-self"))
    now.move_to(NOW + timedelta(hours=2))
    response = client.post(path(visit, "sessions:visit-confirm-self"))
    assert response.status_code == 302
    visit.refresh_from_db()
    assert visit.confirmed_at == NOW


def test_a_tampered_link_is_refused_and_confirms_nothing(client, visit):
    token = token_of(visit)
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
    response = client.post(path(visit, "sessions:visit-confirm-self", token=tampered))
    assert response.status_code == 404
    assert visit.patient.legal_last_name not in response.content.decode()
    visit.refresh_from_db()
    assert visit.confirmed_at is None


def test_another_visits_link_confirms_only_that_visit(client, clinic, visit):
    other = AppointmentFactory(
        practitioner=clinic.physio,
        location=clinic.location,
        type=clinic.follow_up,
        start=TEN + timedelta(hours=1),
    )
    client.post(path(other, "sessions:visit-confirm-self"))
    visit.refresh_from_db()
    other.refresh_from_db()
    assert visit.confirmed_at is None and other.confirmed_via == Confirmation.LINK


def test_a_cancelled_visit_cannot_be_confirmed(client, visit):
    booking.appointment_cancel(appointment=visit, reason="Patient called")
    assert BUTTON not in client.get(path(visit)).content.decode()
    response = client.post(path(visit, "sessions:visit-confirm-self"))
    assert response.status_code == 200
    assert "A cancelled visit cannot be confirmed." in response.content.decode()
    visit.refresh_from_db()
    assert visit.confirmed_at is None
    assert not AuditEvent.objects.filter(detail="confirmed online by the patient").exists()


def test_a_minute_before_it_starts_the_patient_may_still_confirm(client, visit, now):
    now.move_to(TEN - timedelta(minutes=1))
    assert BUTTON in client.get(path(visit)).content.decode()
    client.post(path(visit, "sessions:visit-confirm-self"))
    visit.refresh_from_db()
    assert visit.confirmed_via == Confirmation.LINK


def test_once_it_has_started_it_cannot_be_confirmed(client, visit, now):
    now.move_to(TEN)
    assert BUTTON not in client.get(path(visit)).content.decode()
    response = client.post(path(visit, "sessions:visit-confirm-self"))
    assert "already started" in response.content.decode()
    visit.refresh_from_db()
    assert visit.confirmed_at is None


def test_a_post_without_the_csrf_token_is_refused(visit):
    response = Client(enforce_csrf_checks=True).post(path(visit, "sessions:visit-confirm-self"))
    assert response.status_code == 403
    visit.refresh_from_db()
    assert visit.confirmed_at is None


def test_the_button_carries_the_csrf_token(client, visit):
    page = client.get(path(visit)).content.decode()
    form = page[page.index('action="' + path(visit, "sessions:visit-confirm-self")) :]
    assert form.index("csrfmiddlewaretoken") < form.index(BUTTON)


def test_a_filled_honeypot_confirms_nothing(client, visit):
    response = client.post(path(visit, "sessions:visit-confirm-self"), {"website": "spam"})
    assert response.status_code == 200
    assert "Please call the clinic" in response.content.decode()
    visit.refresh_from_db()
    assert visit.confirmed_at is None


def test_opening_the_confirm_address_changes_nothing(client, visit):
    response = client.get(path(visit, "sessions:visit-confirm-self"))
    assert response.status_code == 302 and response.url == path(visit)
    visit.refresh_from_db()
    assert visit.confirmed_at is None


def test_the_visit_page_links_to_the_patients_message_preferences(client, visit):
    page = client.get(path(visit)).content.decode()
    assert "Change how we contact you" in page
    (href,) = [
        chunk.split('"', 1)[0]
        for chunk in page.split('href="')[1:]
        if chunk.split('"', 1)[1].startswith(">Change how we contact you")
    ]
    assert href.split("/p/", 1)[1].endswith("/messages/")
    assert client.get("/p/" + href.split("/p/", 1)[1]).status_code == 200


def test_the_checkin_page_links_to_the_patients_message_preferences(client, visit):
    Appointment.objects.filter(pk=visit.pk).update(status=Appointment.Status.COMPLETED)
    message = ScheduledMessageFactory(
        visit=VisitFactory(appointment=visit),
        key=f"checkin:{visit.pk}:test",
        status=ScheduledMessage.Status.SENT,
        sent_at=NOW,
        due_at=NOW,
    )
    url = followups.checkin_link(message).split("://", 1)[1].split("/", 1)[1]
    page = client.get("/" + url).content.decode()
    assert "How are you feeling since your visit?" in page
    assert "Change how we contact you" in page
