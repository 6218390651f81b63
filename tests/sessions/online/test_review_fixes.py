"""Review findings on online booking (issue 17): the record behind a new person, the
window asked again at confirmation, reminders of bookings awaiting approval, one rule
for bookable slots, the late-cancellation fee warning, one slot encoding, bounded
queries."""

from datetime import date, timedelta

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError

from intake.models import Patient
from sessions.followups.models import CallTask, ScheduledMessage
from sessions.online import desk_services, people, services
from sessions.online.models import OnlineBookingPolicy
from tests.factories import PatientFactory, clinic_time
from tests.sessions.followups.conftest import dispatch_and_send
from tests.sessions.online.booking_fixtures import *  # noqa: F403  # the fixtures
from tests.sessions.online.booking_fixtures import NOW

pytestmark = pytest.mark.django_db

MONDAY_NINE = clinic_time(2026, 12, 7, 9)


@pytest.fixture(autouse=True)
def pinned():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


# --- 1. The record behind a new person ------------------------------------------------


def _person(**typed) -> people.Person:
    fields = {
        "first_name": "Sam",
        "last_name": "Parent",
        "date_of_birth": date(2015, 3, 4),
        "email": "Mum@Example.com",
        "phone": "4035550100",
    }
    return people.Person(**{**fields, **typed})


def test_a_child_booked_with_a_parents_email_gets_a_record_of_their_own(db):
    mother = PatientFactory(
        legal_first_name="Maria",
        legal_last_name="Parent",
        date_of_birth=date(1980, 1, 2),
        email="mum@example.com",
    )
    patient, created = people.patient_for_new_person(_person())
    assert created and patient.pk != mother.pk
    assert (patient.legal_first_name, patient.date_of_birth) == ("Sam", date(2015, 3, 4))
    assert CallTask.objects.filter(patient=patient, reason=people.DUPLICATE_REASON).exists()


def test_the_same_email_name_and_birth_date_is_the_record_on_file(db):
    son = PatientFactory(
        legal_first_name="Sam",
        legal_last_name="Parent",
        date_of_birth=date(2015, 3, 4),
        email="mum@example.com",
    )
    patient, created = people.patient_for_new_person(_person(first_name=" SAM "))
    assert (patient.pk, created) == (son.pk, False)
    assert not CallTask.objects.exists()


def test_the_email_lookup_compares_the_stored_lowercase_email(db):
    on_file = PatientFactory(email="rita@example.com")
    assert people.patient_with_email(" Rita@Example.COM ") == on_file
    assert Patient.objects.filter(email="rita@example.com").count() == 1


# --- 2. The window and the switches asked again when the hold is booked ---------------


def _held(location, assessment, physio_online):
    return services.hold_create(
        location=location,
        type=assessment,
        practitioner_id=physio_online.pk,
        start=MONDAY_NINE,
        patient=None,
        expires_in=timedelta(days=7),
        now=NOW,
    )


def test_a_confirmation_clicked_inside_the_minimum_notice_is_refused(
    location, assessment, physio_online
):
    hold = _held(location, assessment, physio_online)
    late = MONDAY_NINE - timedelta(hours=OnlineBookingPolicy.get().min_notice_hours - 1)
    with pytest.raises(ValidationError) as refused:
        services.hold_book(hold=hold, patient=PatientFactory(), now=late)
    assert refused.value.message_dict == {"start": [services.NO_LONGER_OFFERED]}


@pytest.mark.parametrize("switch", ["location", "type", "practitioner"])
def test_a_confirmation_after_online_booking_was_switched_off_is_refused(
    location, assessment, physio_online, switch
):
    hold = _held(location, assessment, physio_online)
    if switch == "location":
        location.books_online = False
        location.save()
    elif switch == "type":
        assessment.bookable_online = False
        assessment.save()
    else:
        OnlineBookingPolicy.get().practitioners.remove(physio_online)
    with pytest.raises(ValidationError) as refused:
        services.hold_book(hold=hold, patient=PatientFactory(), now=NOW + timedelta(hours=1))
    assert refused.value.message_dict == {"start": [services.NO_LONGER_OFFERED]}


def test_a_confirmation_in_the_window_still_books(location, assessment, physio_online):
    hold = _held(location, assessment, physio_online)
    appointment = services.hold_book(hold=hold, patient=PatientFactory(), now=NOW)
    assert appointment.booked_online


# --- 3. Reminders of bookings awaiting approval ----------------------------------------


def test_no_reminder_while_awaiting_approval_and_the_normal_one_after_approval(
    location, assessment, physio_online, pinned
):
    location.online_needs_approval = True
    location.save()
    patient = PatientFactory(email="pat@example.com", email_reminders=True)
    hold = _held(location, assessment, physio_online)
    appointment = services.hold_book(hold=hold, patient=patient, now=NOW)
    assert appointment.needs_approval
    reminder = ScheduledMessage.objects.get(appointment=appointment, kind="reminder")
    pinned.move_to(reminder.due_at)
    assert dispatch_and_send() == [ScheduledMessage.Status.SKIPPED]
    reminder.refresh_from_db()
    assert "approval" in reminder.last_error
    assert mail.outbox == []
    desk_services.appointment_approve(appointment=appointment)
    again = ScheduledMessage.objects.get(
        appointment=appointment, kind="reminder", status=ScheduledMessage.Status.PENDING
    )
    assert again.key == reminder.key
    assert dispatch_and_send() == ["sent"]


def test_approval_before_the_reminder_is_due_keeps_the_one_reminder(
    location, assessment, physio_online, pinned
):
    location.online_needs_approval = True
    location.save()
    patient = PatientFactory(email="pat@example.com", email_reminders=True)
    appointment = services.hold_book(
        hold=_held(location, assessment, physio_online), patient=patient, now=NOW
    )
    desk_services.appointment_approve(appointment=appointment)
    (reminder,) = ScheduledMessage.objects.filter(appointment=appointment, kind="reminder")
    pinned.move_to(reminder.due_at)
    assert dispatch_and_send() == ["sent"]
