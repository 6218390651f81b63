"""Review findings on online booking (issue 17): the record behind a new person, the
window asked again at confirmation, reminders of bookings awaiting approval, one rule
for bookable slots, the late-cancellation fee warning, one slot encoding, bounded
queries."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse

from clinic.roles import Role
from intake.models import Patient
from sessions.billing.models import BillingPolicy
from sessions.followups.models import CallTask, ScheduledMessage
from sessions.online import desk_services, people, services, visits
from sessions.online.bookable import bookable_slots
from sessions.online.eligibility import PUBLIC_WORDS, Refusal
from sessions.online.forms import SlotForm
from sessions.online.forms import slot_value as encoded
from sessions.online.models import OnlineBookingPolicy
from sessions.online.slots import Slot
from sessions.online.visit_forms import VisitMoveForm
from sessions.online.visits import CALL_TO_MOVE
from tests.factories import AppointmentFactory, PatientFactory, UserFactory, clinic_time
from tests.sessions.followups.conftest import dispatch_and_send
from tests.sessions.online.booking_fixtures import *  # noqa: F403  # the fixtures
from tests.sessions.online.booking_fixtures import MONDAY, NOW, submitted_intake

pytestmark = pytest.mark.django_db

MONDAY_NINE = clinic_time(2026, 12, 7, 9)


@pytest.fixture
def front_desk_user(db):
    return UserFactory(username="desk-review", role=Role.FRONT_DESK)


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


# --- 4. One rule for bookable slots: the move page -------------------------------------


def _visit_path(appointment, name="sessions:visit-manage") -> str:
    token = services.visit_link(appointment).rsplit("/v/", 1)[1].strip("/")
    return reverse(name, args=[token])


@pytest.fixture
def needling_visit(location, follow_up, physio_online, authorisation):
    """A needling follow-up on Monday 9:00 for a patient whose screening now says no
    (a surgery ten days before: needling waits 84 days)."""
    patient = PatientFactory(email="nina@example.com")
    submitted_intake(patient, surgery_on=MONDAY - timedelta(days=10))
    return AppointmentFactory(
        patient=patient,
        practitioner=physio_online,
        location=location,
        type=follow_up,
        start=clinic_time(2026, 12, 7, 9),
    )


def test_the_move_page_offers_no_needling_time_screening_refuses(
    client, needling_visit, physio_online
):
    html = client.get(_visit_path(needling_visit, "sessions:visit-move") + "?from=2026-12-07")
    text = html.content.decode()
    assert f'value="{physio_online.pk}:' not in text
    assert PUBLIC_WORDS[Refusal.NOT_CLEARED] in text.replace("&#x27;", "'")


def test_bookable_slots_is_the_slot_page_s_and_the_move_page_s_rule(
    returning, location, follow_up, physio_online, authorisation
):
    found = bookable_slots(
        patient=returning,
        location=location,
        type=follow_up,
        practitioner_ids=[physio_online.pk],
        day_from=MONDAY,
        day_to=MONDAY,
        now=NOW,
    )
    assert found.refusal is None and found.days[MONDAY][0].start == clinic_time(2026, 12, 7, 9)
    follow_up.bookable_online = False
    follow_up.save()
    assert (
        bookable_slots(
            patient=returning,
            location=location,
            type=follow_up,
            practitioner_ids=[physio_online.pk],
            day_from=MONDAY,
            day_to=MONDAY,
            now=NOW,
        ).days
        == {}
    )


def test_a_visit_whose_type_is_not_offered_online_says_call_to_move(
    client, location, assessment, physio_online
):
    assessment.bookable_online = False
    assessment.save()
    visit = AppointmentFactory(
        practitioner=physio_online,
        location=location,
        type=assessment,
        start=clinic_time(2026, 12, 7, 9),
    )
    page = client.get(_visit_path(visit)).content.decode()
    assert reverse("sessions:visit-move", args=[_visit_path(visit).split("/v/")[1][:-1]]) not in (
        page
    )
    assert "Move to another time" not in page and CALL_TO_MOVE in page
    assert "Cancel this appointment" in page
    move = client.get(_visit_path(visit, "sessions:visit-move")).content.decode()
    assert f'value="{physio_online.pk}:' not in move and CALL_TO_MOVE in move


# --- 5. The late-cancellation fee before the patient cancels ---------------------------


@pytest.fixture
def billing_fee():
    policy = BillingPolicy.get()
    policy.late_cancel_fee_on = True
    policy.late_cancel_fee = Decimal(40)
    policy.late_cancel_hours = 72
    policy.save()
    return policy


def test_a_cancel_allowed_online_but_late_for_billing_warns_of_the_fee(
    client, location, assessment, physio_online, billing_fee, pinned
):
    visit = AppointmentFactory(
        practitioner=physio_online,
        location=location,
        type=assessment,
        start=clinic_time(2026, 12, 7, 9),
    )
    assert "late-fee-warning" not in client.get(_visit_path(visit)).content.decode()
    pinned.move_to(clinic_time(2026, 12, 5, 8))  # 49 hours: online yes, billing's 72 no
    for name in ("sessions:visit-manage", "sessions:visit-cancel-self"):
        page = client.get(_visit_path(visit, name)).content.decode()
        assert "late-fee-warning" in page and "Cancel" in page
    verdict = visits.changeable(visit, clinic_time(2026, 12, 5, 8))
    assert verdict.allowed and verdict.late_fee


# --- 6. One slot encoding --------------------------------------------------------------


def test_the_move_form_reads_the_slot_page_s_encoding_only(physio_online):
    start = clinic_time(2026, 12, 7, 9)
    slot = Slot(physio_online.pk, start, start + timedelta(minutes=30))
    form = VisitMoveForm({"slot": encoded(slot)})
    assert form.is_valid() and form.cleaned_data["slot"] == (physio_online.pk, start)
    same = SlotForm({"slot": encoded(slot)})
    assert same.is_valid() and same.cleaned_data["slot"] == form.cleaned_data["slot"]
    assert not VisitMoveForm({"slot": f"{physio_online.pk}|{start.isoformat()}"}).is_valid()


# --- 8. Bounded queries -----------------------------------------------------------------


def test_the_visit_pages_queries_are_bounded(client, needling_visit, django_assert_max_num_queries):
    # The visit page's first opening also makes the patient's message-preferences link
    # (its read, unique check and insert: 3 more), and reads the visit's questionnaires
    # to fill in (1 more).
    for name, most in (("sessions:visit-manage", 18), ("sessions:visit-cancel-self", 14)):
        with django_assert_max_num_queries(most):
            assert client.get(_visit_path(needling_visit, name)).status_code == 200
    with django_assert_max_num_queries(24):
        client.get(_visit_path(needling_visit, "sessions:visit-move") + "?from=2026-12-07")


def test_the_pending_list_s_queries_are_bounded(
    location, physio_online, front_desk_user, client, django_assert_max_num_queries
):
    for hour in range(9, 12):
        AppointmentFactory(
            practitioner=physio_online,
            location=location,
            start=clinic_time(2026, 12, 7, hour),
            booked_online=True,
            needs_approval=True,
        )
    client.force_login(front_desk_user)
    with django_assert_max_num_queries(14):
        assert client.get(reverse("sessions:online-pending")).status_code == 200


# --- 7. The pending approvals' partial index ---------------------------------------------


def test_bookings_awaiting_approval_have_a_partial_index(db):
    from django.db import connection

    from sessions.booking.models import Appointment

    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, Appointment._meta.db_table)
    assert found["appt_awaiting_approval_idx"]["index"]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT indexdef FROM pg_indexes WHERE indexname = 'appt_awaiting_approval_idx'"
            )
            (definition,) = cursor.fetchone()
        assert "WHERE" in definition and "needs_approval" in definition
