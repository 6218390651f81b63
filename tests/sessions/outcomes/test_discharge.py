"""Discharge: a physiotherapist closes the course; the questionnaires scheduled "at
discharge" go out once, by email; a course with visits still booked is not closed."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from sessions.booking import services as booking
from sessions.booking.models import Appointment, Course
from sessions.outcomes.models import OutcomeSchedule, Questionnaire
from tests.factories import AppointmentFactory, PatientFactory
from tests.sessions.conftest import NOW


@pytest.fixture
def patient(db):
    return PatientFactory(email="ravi@example.com")


@pytest.fixture
def course(patient):
    return booking.course_open_or_get(patient=patient)


@pytest.fixture
def at_discharge(physio):
    return OutcomeSchedule.objects.create(instrument="nprs", at_discharge=True, created_by=physio)


def test_discharge_closes_the_course_and_sends_the_discharge_questionnaire_once(
    patient, course, at_discharge, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        closed = booking.course_discharge(patient=patient, now=NOW)
    assert closed.pk == course.pk and closed.closed_on == NOW.date()
    (sent,) = Questionnaire.objects.filter(course=course)
    assert (sent.instrument, sent.trigger) == ("nprs", Questionnaire.Trigger.DISCHARGE)
    assert [m.to for m in mail.outbox] == [["ravi@example.com"]]
    # Closed already: nothing to close, nothing sent again.
    with pytest.raises(ValidationError, match="no open course"):
        booking.course_discharge(patient=patient, now=NOW)
    assert Questionnaire.objects.filter(course=course).count() == 1


def test_a_course_with_visits_still_booked_is_not_closed(patient, course, physio, at_discharge):
    AppointmentFactory(
        patient=patient,
        practitioner=physio,
        course=course,
        start=NOW + timedelta(days=2),
        status=Appointment.Status.BOOKED,
    )
    with pytest.raises(ValidationError, match="1 visit is still booked"):
        booking.course_discharge(patient=patient, now=NOW)
    assert Course.objects.get(pk=course.pk).closed_on is None
    assert not Questionnaire.objects.exists()


def test_only_a_physiotherapist_discharges(client_for, front_desk, physio, patient, course):
    url = f"/patients/{patient.pk}/discharge/"
    assert client_for(front_desk).post(url).status_code == 403
    response = client_for(physio).post(url)
    assert response.status_code == 302
    assert Course.objects.get(pk=course.pk).closed_on is not None
