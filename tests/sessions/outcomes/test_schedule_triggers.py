"""Schedules at work: the reminder of visit k of a course makes the questionnaires its
schedules list (once) and carries their links, by email and on the visit page; a
closing course sends the discharge ones. Time is pinned (tests/sessions/conftest.py:
Friday 2026-11-20 10:00 in Calgary)."""

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import time_machine
from django.core import mail
from django.db import IntegrityError

from clinic.models import AuditEvent
from sessions.followups import dispatch
from sessions.followups.services import reminder_key
from sessions.models import Appointment, ScheduledMessage
from sessions.online.services import visit_link
from sessions.outcomes import services
from sessions.outcomes.models import OutcomeSchedule, Questionnaire
from tests.factories import AppointmentFactory, PatientFactory, ScheduledMessageFactory
from tests.sessions.conftest import NOW, local, submitted_intake

pytestmark = pytest.mark.django_db


@pytest.fixture
def patient(db):
    patient = PatientFactory(email="marcus@example.com", email_reminders=True)
    submitted_intake(patient, needles={"pregnancy": "no"})
    return patient


@pytest.fixture
def course_visits(patient, physio, location, treatment):
    """Visits 1 and 2 done this week, 3 tomorrow at 09:00, 4 next week."""
    starts = [local(2026, 11, 16, 9), local(2026, 11, 18, 9), local(2026, 11, 21, 9)]
    starts.append(local(2026, 11, 25, 9))
    visits = [
        AppointmentFactory(
            patient=patient, practitioner=physio, location=location, type=treatment, start=s
        )
        for s in starts
    ]
    Appointment.objects.filter(pk__in=[v.pk for v in visits[:2]]).update(status="completed")
    return visits


def schedule(admin, visits=(), type_=None, at_discharge=False, instrument="nprs"):
    return OutcomeSchedule.objects.create(
        instrument=instrument,
        appointment_type=type_,
        visit_numbers=list(visits),
        at_discharge=at_discharge,
        created_by=admin,
    )


def remind(appointment, due_at=NOW) -> ScheduledMessage:
    return ScheduledMessageFactory(
        key=reminder_key(appointment),
        kind="reminder",
        visit=None,
        appointment=appointment,
        hours_after=None,
        due_at=due_at,
    )


def send_due(now=None):
    return [
        dispatch.messages_send(ids=[pk], claim=c, now=now)[pk]
        for pk, c in dispatch.messages_claim_due(now=now)
    ]


class TestVisitTrigger:
    def test_the_reminder_of_visit_3_makes_the_questionnaire_and_carries_its_link(
        self, course_visits, clinic_admin
    ):
        schedule(clinic_admin, [1, 3, 8])
        remind(course_visits[2])
        assert send_due() == ["sent"]
        q = Questionnaire.objects.get()
        assert (q.appointment, q.trigger, q.course) == (
            course_visits[2],
            "visit",
            course_visits[2].course,
        )
        (email,) = mail.outbox
        assert "Before your visit, please fill in this short questionnaire" in email.body
        assert "/q/" in email.body
        assert AuditEvent.objects.filter(object_id=str(q.pk), action="create").count() == 1

    def test_visit_4_of_a_schedule_for_3_gets_nothing(self, course_visits, clinic_admin):
        schedule(clinic_admin, [3])
        monday = local(2026, 11, 24, 10)
        with time_machine.travel(monday, tick=False):
            remind(course_visits[3], due_at=monday)
            assert send_due(monday) == ["sent"]
        assert not Questionnaire.objects.exists()
        assert "/q/" not in mail.outbox[0].body

    def test_a_cancelled_earlier_visit_does_not_count(self, course_visits, clinic_admin):
        schedule(clinic_admin, [2])
        Appointment.objects.filter(pk=course_visits[0].pk).update(status="cancelled")
        remind(course_visits[2])  # now visit 2 of the course
        send_due()
        assert Questionnaire.objects.get().appointment == course_visits[2]

    def test_a_schedule_for_another_type_is_not_used(self, course_visits, clinic_admin, talk):
        schedule(clinic_admin, [3], type_=talk)
        remind(course_visits[2])
        send_due()
        assert not Questionnaire.objects.exists()

    def test_a_reminder_sent_again_makes_no_second_questionnaire(self, course_visits, clinic_admin):
        schedule(clinic_admin, [3])
        appointment = course_visits[2]
        services.visit_questionnaires(appointment=appointment, now=NOW)
        services.visit_questionnaires(appointment=appointment, now=NOW)
        assert Questionnaire.objects.count() == 1
        with pytest.raises(IntegrityError):
            services.questionnaire_create(
                patient=appointment.patient,
                instrument="nprs",
                by=None,
                trigger="visit",
                appointment=appointment,
                now=NOW,
            )

    def test_the_visit_page_carries_the_link(self, course_visits, clinic_admin, client):
        schedule(clinic_admin, [3])
        appointment = course_visits[2]
        (q,) = services.visit_questionnaires(appointment=appointment, now=NOW)
        page = client.get(urlsplit(visit_link(appointment)).path)
        assert "Questionnaire to fill in before your visit" in page.content.decode()
        services.questionnaire_save(questionnaire=q, answers={"pain": 2}, now=NOW)
        services.questionnaire_submit(questionnaire=q, now=NOW)
        page = client.get(urlsplit(visit_link(appointment)).path)
        assert "Questionnaire to fill in before your visit" not in page.content.decode()


class TestDischarge:
    def test_closing_a_course_sends_the_discharge_questionnaires_once(
        self, course_visits, clinic_admin, django_capture_on_commit_callbacks
    ):
        schedule(clinic_admin, at_discharge=True)
        schedule(clinic_admin, [1])  # not at discharge
        course = course_visits[0].course
        with time_machine.travel(NOW + timedelta(days=10), tick=False):
            with django_capture_on_commit_callbacks(execute=True):
                sent = services.discharge_questionnaires(course=course)
                again = services.discharge_questionnaires(course=course)
        assert again == []
        (q,) = sent
        assert (q.trigger, q.course, q.appointment) == ("discharge", course, None)
        assert q.created_at == NOW + timedelta(days=10)
        assert len(mail.outbox) == 1 and "/q/" in mail.outbox[0].body

    def test_no_email_no_discharge_questionnaire(self, course_visits, clinic_admin, patient):
        schedule(clinic_admin, at_discharge=True)
        patient.email = ""
        patient.save()
        assert services.discharge_questionnaires(course=course_visits[0].course) == []
        assert not Questionnaire.objects.exists()
