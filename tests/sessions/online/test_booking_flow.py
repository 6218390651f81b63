"""The public booking pages end to end over HTTP: a new person holds a time, types their
details, confirms by the emailed link (once), and is booked; duplicates of a record on
file; a run-out hold that is still free; a time taken meanwhile; a returning patient
books directly; the honeypot; the audit rows."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.urls import reverse

from clinic.models import AuditEvent
from intake.models import Patient
from sessions.booking.models import Appointment
from sessions.followups.models import CallTask
from sessions.online import signin
from sessions.online.models import EmailCheck, OnlineBookingPolicy, SlotHold
from sessions.online.people import DUPLICATE_REASON
from sessions.online.services import NO_LONGER_OFFERED, TAKEN
from tests.factories import AppointmentFactory, PatientFactory, clinic_time
from tests.sessions.online.booking_fixtures import *  # noqa: F403  # the fixtures
from tests.sessions.online.booking_fixtures import (
    NEW_PERSON,
    NOW,
    sign_in_as,
    slot_value,
    slots_url,
)

pytestmark = pytest.mark.django_db

NINE_MONDAY = clinic_time(2026, 12, 7, 9)


@pytest.fixture(autouse=True)
def pinned():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def hold_slot(client, location, type, practitioner, start=NINE_MONDAY):
    response = client.post(slots_url(location, type), {"slot": slot_value(practitioner, start)})
    assert response.status_code == 302, response.content.decode()[-2000:]
    return response["Location"]


def confirm_link(outbox) -> str:
    [message] = [m for m in outbox if "confirm your booking" in m.subject.lower()]
    return re.search(r"https?://\S+/book/confirm/[^/\s]+/", message.body).group()


def path_of(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url)


def send_details(client, details_url, capture, data=NEW_PERSON):
    with capture(execute=True):
        response = client.post(details_url, data)
    return response


def test_a_new_person_books_an_assessment_through_the_emailed_link(
    client, location, assessment, physio_online, django_capture_on_commit_callbacks
):
    details_url = hold_slot(client, location, assessment, physio_online)
    page = client.get(details_url)
    assert page.status_code == 200 and b"Your details" in page.content
    response = send_details(client, details_url, django_capture_on_commit_callbacks)
    assert response.status_code == 302 and response["Location"].endswith("/sent/")
    hold = SlotHold.objects.get()
    assert hold.status == SlotHold.Status.AWAITING
    assert b"nadia.new@example.com" in client.get(response["Location"]).content
    link = path_of(confirm_link(mail.outbox))
    assert not Appointment.objects.exists()  # not booked before the link is used

    page = client.get(link)  # email scanners fetch GET links: nothing happens
    assert b"Confirm my booking" in page.content and not Appointment.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(link)
    assert response.status_code == 302
    booked = client.get(response["Location"])
    assert b"You are booked" in booked.content
    appointment = Appointment.objects.get()
    assert appointment.booked_online and appointment.start == NINE_MONDAY
    patient = appointment.patient
    assert (patient.legal_first_name, patient.email) == ("Nadia", "nadia.new@example.com")
    assert b"/v/" in booked.content  # the visit's own link
    subjects = [m.subject for m in mail.outbox]
    assert any("questionnaire" in s for s in subjects), subjects  # the intake invitation
    assert AuditEvent.objects.filter(
        action="create", role="patient", object_id=str(appointment.pk), detail="booked online"
    ).exists()
    assert AuditEvent.objects.filter(
        action="create", role="patient", patient=patient, detail="registered online"
    ).exists()


def test_the_confirmation_link_books_once(
    client, location, assessment, physio_online, django_capture_on_commit_callbacks
):
    send_details(client, hold_slot(client, location, assessment, physio_online),
                 django_capture_on_commit_callbacks)  # fmt: skip
    link = path_of(confirm_link(mail.outbox))
    assert client.post(link).status_code == 302
    again = client.post(link)
    assert again.status_code == 200 and b"You are booked" in again.content
    assert Appointment.objects.count() == 1
    assert EmailCheck.objects.get(purpose="confirm").used_at is not None


def test_a_hold_that_ran_out_still_books_when_the_time_is_free(
    client, location, assessment, physio_online, django_capture_on_commit_callbacks, pinned
):
    send_details(client, hold_slot(client, location, assessment, physio_online),
                 django_capture_on_commit_callbacks)  # fmt: skip
    link = path_of(confirm_link(mail.outbox))
    pinned.shift(timedelta(hours=2))  # the 30-minute hold is long gone; the link lives a day
    assert client.post(link).status_code == 302
    assert Appointment.objects.get().start == NINE_MONDAY


def test_a_time_taken_after_the_hold_ran_out_gets_a_clear_message(
    client, location, assessment, physio_online, django_capture_on_commit_callbacks, pinned
):
    send_details(client, hold_slot(client, location, assessment, physio_online),
                 django_capture_on_commit_callbacks)  # fmt: skip
    link = path_of(confirm_link(mail.outbox))
    pinned.shift(timedelta(hours=2))
    AppointmentFactory(practitioner=physio_online, location=location, start=NINE_MONDAY)
    response = client.post(link)
    assert response.status_code == 200
    assert TAKEN in response.content.decode().replace("&#x27;", "'")
    assert (
        Appointment.objects.count() == 1
        and not Patient.objects.filter(email=NEW_PERSON["email"]).exists()
    )  # nothing kept: no record for a booking that did not happen


def test_a_taken_slot_says_so_on_the_slot_page(client, location, assessment, physio_online):
    AppointmentFactory(practitioner=physio_online, location=location, start=NINE_MONDAY)
    response = client.post(
        slots_url(location, assessment), {"slot": slot_value(physio_online, NINE_MONDAY)}
    )
    assert response.status_code == 200
    assert TAKEN in response.content.decode().replace("&#x27;", "'")
    assert not SlotHold.objects.exists()


def test_the_same_email_name_and_birth_date_books_against_the_patient_on_file(
    client, location, assessment, physio_online, django_capture_on_commit_callbacks
):
    on_file = PatientFactory(
        legal_first_name="NADIA",
        legal_last_name="Newcomer",
        date_of_birth="1988-04-12",
        email=NEW_PERSON["email"],
    )
    send_details(client, hold_slot(client, location, assessment, physio_online),
                 django_capture_on_commit_callbacks)  # fmt: skip
    client.post(path_of(confirm_link(mail.outbox)))
    assert Appointment.objects.get().patient == on_file
    assert Patient.objects.count() == 1 and not CallTask.objects.exists()


def test_the_same_email_with_another_name_makes_a_new_record_and_a_call(
    client, location, assessment, physio_online, django_capture_on_commit_callbacks
):
    on_file = PatientFactory(
        legal_first_name="N.", legal_last_name="Other", email=NEW_PERSON["email"]
    )
    send_details(client, hold_slot(client, location, assessment, physio_online),
                 django_capture_on_commit_callbacks)  # fmt: skip
    client.post(path_of(confirm_link(mail.outbox)))
    patient = Appointment.objects.get().patient
    assert patient != on_file and patient.legal_last_name == "Newcomer"
    assert CallTask.objects.filter(patient=patient).exists()


def test_same_name_and_birth_date_with_another_email_makes_a_new_record_and_a_call(
    client, location, assessment, physio_online, django_capture_on_commit_callbacks
):
    on_file = PatientFactory(
        legal_first_name="Nadia",
        legal_last_name="Newcomer",
        date_of_birth="1988-04-12",
        email="nadia.old@example.com",
    )
    send_details(client, hold_slot(client, location, assessment, physio_online),
                 django_capture_on_commit_callbacks)  # fmt: skip
    response = client.post(path_of(confirm_link(mail.outbox)))
    booked = client.get(response["Location"]).content.decode()
    patient = Appointment.objects.get().patient
    assert patient != on_file and patient.email == NEW_PERSON["email"]
    assert CallTask.objects.get().reason == DUPLICATE_REASON
    assert CallTask.objects.get().patient == patient
    assert "nadia.old" not in booked  # the match is never shown


def test_details_keep_what_was_typed_and_check_the_birth_date(
    client, location, assessment, physio_online
):
    details_url = hold_slot(client, location, assessment, physio_online)
    response = client.post(details_url, {**NEW_PERSON, "date_of_birth": "2030-01-01"})
    html = response.content.decode()
    assert response.status_code == 200 and "in the future" in html
    assert 'value="Nadia"' in html and 'value="nadia.new@example.com"' in html
    response = client.post(details_url, {**NEW_PERSON, "date_of_birth": "1890-01-01"})
    assert "check the year of birth" in response.content.decode()
    response = client.post(details_url, {**NEW_PERSON, "date_of_birth": "12/04/88"})
    assert response.status_code == 200 and "YYYY-MM-DD" in response.content.decode()
    assert SlotHold.objects.get().status == SlotHold.Status.HELD


def test_the_honeypot_refuses_the_form_and_saves_nothing(
    client, location, assessment, physio_online, django_capture_on_commit_callbacks
):
    details_url = hold_slot(client, location, assessment, physio_online)
    response = send_details(
        client,
        details_url,
        django_capture_on_commit_callbacks,
        {**NEW_PERSON, "website": "http://spam.example"},
    )
    assert response.status_code == 200 and b"could not be sent" in response.content
    assert SlotHold.objects.get().status == SlotHold.Status.HELD and not mail.outbox
    refused = client.post(
        slots_url(location, assessment),
        {"slot": slot_value(physio_online, NINE_MONDAY), "website": "x"},
    )
    assert refused.status_code == 200 and SlotHold.objects.count() == 1


def test_a_hold_made_in_another_browser_is_not_shown(client, location, assessment, physio_online):
    details_url = hold_slot(client, location, assessment, physio_online)
    stranger = Client()
    response = stranger.get(details_url)
    assert response.status_code == 302
    assert response["Location"] == reverse("sessions:online-start")


def test_a_returning_patient_books_a_follow_up_on_the_details_page(
    client, location, follow_up, physio_online, authorisation, returning,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    sign_in_as(client, returning)
    services = client.get(reverse("sessions:online-services", args=[location.pk]))
    assert b"IMS follow-up" in services.content
    details_url = hold_slot(client, location, follow_up, physio_online)
    page = client.get(details_url)
    assert b"Book this time" in page.content and b"Date of birth" not in page.content
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(details_url)
    assert response.status_code == 302
    assert b"You are booked" in client.get(response["Location"]).content
    appointment = Appointment.objects.get()
    assert appointment.patient == returning and appointment.booked_online
    assert AuditEvent.objects.filter(role="patient", detail="online sign-in").exists()


def test_a_new_person_sees_only_the_services_for_new_patients(
    client, location, assessment, follow_up
):
    page = client.get(reverse("sessions:online-services", args=[location.pk]))
    assert b"Initial assessment" in page.content and b"IMS follow-up" not in page.content
    assert b"Sign in" in page.content


def test_start_skips_to_the_only_location(client, location):
    response = client.get(reverse("sessions:online-start"))
    assert response["Location"] == reverse("sessions:online-services", args=[location.pk])


def test_a_location_not_online_is_not_found(client, location, assessment):
    location.books_online = False
    location.save()
    assert client.get(slots_url(location, assessment)).status_code == 404
    assert client.get(reverse("sessions:online-services", args=[location.pk])).status_code == 404


def test_rubbish_slot_values_are_refused_politely(client, location, assessment):
    for value in ["", "abc", "1:2:3", "99999:99999999999999999999", f"{10**20}:0"]:
        response = client.post(slots_url(location, assessment), {"slot": value})
        assert response.status_code == 200, value
    assert not SlotHold.objects.exists()
    assert (
        client.get(slots_url(location, assessment) + "?from=garbage&practitioner=x").status_code
        == 200
    )


def test_forged_confirmation_links_get_the_invalid_link_page(client):
    response = client.get(reverse("sessions:online-confirm", args=["nonsense"]))
    assert response.status_code == 404
    assert signin.check_from_token(signin.CONFIRM_PURPOSE, "nonsense") is None


def test_a_confirmation_no_longer_in_the_online_window_asks_for_another_time(
    client, location, assessment, physio_online, django_capture_on_commit_callbacks
):
    send_details(client, hold_slot(client, location, assessment, physio_online),
                 django_capture_on_commit_callbacks)  # fmt: skip
    OnlineBookingPolicy.objects.update(min_notice_hours=7 * 24)  # the time is now too soon
    response = client.post(path_of(confirm_link(mail.outbox)))
    assert NO_LONGER_OFFERED in response.content.decode().replace("&#x27;", "'")
    assert not Appointment.objects.exists()
