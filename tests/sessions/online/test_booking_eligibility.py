"""Who may book what online, at the boundaries, through the slot page and the hold: a
new person only the types for new patients; a returning patient's needling visit only
from the screening's "not before" date, with consent on file, with a practitioner
whose authorisation is in force that day; a refused day offers a call back."""

from datetime import date, timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from intake.models import Intake
from intake.screening import SURGERY_WINDOW_DAYS
from sessions.followups.models import CallTask
from sessions.online import eligibility, services
from sessions.online.eligibility import PUBLIC_WORDS, Refusal
from sessions.online.signin import callback_reason
from tests.factories import NeedlingAuthorisationFactory, PatientFactory, clinic_time
from tests.sessions.online.booking_fixtures import *  # noqa: F403  # the fixtures
from tests.sessions.online.booking_fixtures import (
    NOW,
    sign_in_as,
    slot_value,
    slots_url,
    submitted_intake,
)

pytestmark = pytest.mark.django_db

# A Tuesday: the first day needling is allowed again after the surgery below.
NOT_BEFORE = date(2026, 12, 8)
DAY_BEFORE = NOT_BEFORE - timedelta(days=1)  # Monday


@pytest.fixture(autouse=True)
def pinned():
    with time_machine.travel(NOW, tick=False):
        yield


def at_nine(day: date):
    return clinic_time(day.year, day.month, day.day, 9)


def hold(location, type, physio, day, patient):
    return services.hold_create(
        location=location,
        type=type,
        practitioner_id=physio.pk,
        start=at_nine(day),
        patient=patient,
    )


@pytest.fixture
def after_surgery(db):
    """A returning patient whose surgery makes needling wait until ``NOT_BEFORE``."""
    patient = PatientFactory(email="sam.surgery@example.com")
    submitted_intake(patient, surgery_on=NOT_BEFORE - timedelta(days=SURGERY_WINDOW_DAYS))
    return patient


def days_offered(client, location, type, day_from) -> str:
    return client.get(slots_url(location, type) + f"?from={day_from}").content.decode()


# --- New or returning -----------------------------------------------------------------


def test_a_new_person_may_hold_an_assessment(location, assessment, physio_online):
    assert hold(location, assessment, physio_online, date(2026, 12, 7), None).pk


def test_a_new_person_may_not_hold_a_follow_up(location, follow_up, physio_online):
    with pytest.raises(ValidationError) as refused:
        hold(location, follow_up, physio_online, date(2026, 12, 7), None)
    assert refused.value.message_dict == {"type": [PUBLIC_WORDS[Refusal.NEW_PATIENTS_ONLY]]}


def test_a_new_person_on_the_follow_up_page_is_asked_to_sign_in(client, location, follow_up):
    html = client.get(slots_url(location, follow_up)).content.decode()
    assert "New patients start with an initial assessment" in html
    assert 'name="slot"' not in html and reverse("sessions:online-sign-in") in html


def test_a_returning_patient_may_hold_a_follow_up(
    location, follow_up, physio_online, authorisation, returning
):
    assert hold(location, follow_up, physio_online, date(2026, 12, 7), returning).pk


# --- Screening's "not before" date ------------------------------------------------------


def test_needling_the_day_before_the_not_before_date_is_refused(
    location, follow_up, physio_online, authorisation, after_surgery
):
    with pytest.raises(ValidationError) as refused:
        hold(location, follow_up, physio_online, DAY_BEFORE, after_surgery)
    assert refused.value.message_dict == {"type": [PUBLIC_WORDS[Refusal.NOT_CLEARED]]}


def test_needling_on_the_not_before_date_is_allowed(
    location, follow_up, physio_online, authorisation, after_surgery
):
    assert hold(location, follow_up, physio_online, NOT_BEFORE, after_surgery).pk


def test_the_slot_page_offers_the_not_before_date_and_a_call_back_for_the_day_before(
    client, location, follow_up, physio_online, authorisation, after_surgery
):
    sign_in_as(client, after_surgery)
    html = days_offered(client, location, follow_up, DAY_BEFORE)
    assert slot_value(physio_online, at_nine(NOT_BEFORE)) in html
    assert slot_value(physio_online, at_nine(DAY_BEFORE)) not in html
    assert PUBLIC_WORDS[Refusal.NOT_CLEARED] in html and "Ask for a call back" in html
    assert "Knee" not in html and "surgery" not in html.lower()  # no clinical detail


def test_no_consent_on_file_is_refused_with_a_call_back(
    client, location, follow_up, physio_online, authorisation, returning
):
    Intake.objects.filter(patient=returning).update(consent=None)
    assert eligibility.needling_refusal(patient=returning, day=NOT_BEFORE) == Refusal.NO_CONSENT
    sign_in_as(client, returning)
    html = days_offered(client, location, follow_up, NOT_BEFORE)
    assert PUBLIC_WORDS[Refusal.NO_CONSENT] in html and 'name="slot"' not in html


def test_asking_for_a_call_back_makes_one_front_desk_task(
    client, location, follow_up, physio_online, authorisation, after_surgery
):
    sign_in_as(client, after_surgery)
    url = reverse("sessions:online-callback", args=[location.pk, follow_up.pk])
    response = client.post(url)
    assert response.status_code == 200 and b"the clinic will call you" in response.content
    client.post(url)  # pressed twice: still one open task
    task = CallTask.objects.get()
    assert (task.patient, task.reason, task.alert) == (
        after_surgery,
        callback_reason(follow_up),
        None,
    )


def test_a_call_back_needs_a_signed_in_patient(client, location, follow_up):
    url = reverse("sessions:online-callback", args=[location.pk, follow_up.pk])
    response = client.post(url)
    assert response["Location"] == reverse("sessions:online-sign-in")
    assert not CallTask.objects.exists()


# --- The practitioner's authorisation ---------------------------------------------------


def test_an_authorisation_ending_the_day_before_the_visit_refuses_it(
    location, follow_up, physio_online, returning
):
    visit_day = date(2026, 12, 8)
    NeedlingAuthorisationFactory(
        practitioner=physio_online, valid_until=visit_day - timedelta(days=1)
    )
    with pytest.raises(ValidationError) as refused:
        hold(location, follow_up, physio_online, visit_day, returning)
    assert refused.value.message_dict == {"type": [PUBLIC_WORDS[Refusal.NOT_AUTHORISED]]}
    assert hold(location, follow_up, physio_online, visit_day - timedelta(days=1), returning).pk


def test_an_authorisation_ending_on_the_visit_day_allows_it(
    location, follow_up, physio_online, returning
):
    visit_day = date(2026, 12, 8)
    NeedlingAuthorisationFactory(practitioner=physio_online, valid_until=visit_day)
    assert hold(location, follow_up, physio_online, visit_day, returning).pk


def test_the_slot_page_hides_days_past_the_authorisation(
    client, location, follow_up, physio_online, returning
):
    NeedlingAuthorisationFactory(practitioner=physio_online, valid_until=date(2026, 12, 7))
    sign_in_as(client, returning)
    html = days_offered(client, location, follow_up, date(2026, 12, 7))
    assert slot_value(physio_online, at_nine(date(2026, 12, 7))) in html
    assert slot_value(physio_online, at_nine(date(2026, 12, 8))) not in html
