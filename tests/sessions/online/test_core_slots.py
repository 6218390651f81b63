"""The free-slot finder and the hold/book services online booking is built on."""

from datetime import date, time, timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError

from clinic.roles import Role
from sessions.booking.models import AppointmentType, TimeOff, WorkingHours
from sessions.booking.selectors import calendar_day
from sessions.booking.services import appointment_book
from sessions.online import services
from sessions.online.models import OnlineBookingPolicy, SlotHold
from sessions.online.slots import first_available, free_slots, slot_is_free
from tests.factories import (
    AppointmentFactory,
    LocationFactory,
    NeedlingAuthorisationFactory,
    PatientFactory,
    UserFactory,
    clinic_time,
)

pytestmark = pytest.mark.django_db

MONDAY = date(2026, 12, 7)
NOW = clinic_time(2026, 12, 1, 8)


@pytest.fixture
def assessment():
    return AppointmentType.objects.create(
        name="Initial assessment",
        duration_minutes=60,
        involves_needling=False,
        bookable_online=True,
        for_new_patients=True,
    )


@pytest.fixture
def clinic_online(assessment):
    location = LocationFactory(books_online=True)
    physio = UserFactory(role=Role.PHYSIO)
    WorkingHours.objects.create(
        practitioner=physio, location=location, weekday=0, starts=time(9), ends=time(12)
    )
    OnlineBookingPolicy.get().practitioners.add(physio)
    return location, physio


def starts(days, day=MONDAY):
    return [
        f"{s.start.astimezone(clinic_time(2026, 1, 1).tzinfo):%H:%M}" for s in days.get(day, [])
    ]


def find(location, type, physios, **kw):
    return free_slots(
        location=location,
        type=type,
        practitioner_ids=[p.pk for p in physios],
        day_from=MONDAY,
        day_to=MONDAY + timedelta(days=6),
        not_before=kw.pop("not_before", NOW),
        now=kw.pop("now", NOW),
        **kw,
    )


def test_slots_step_every_15_minutes_inside_working_hours(clinic_online, assessment):
    location, physio = clinic_online
    days = find(location, assessment, [physio])
    assert list(days) == [MONDAY]
    assert starts(days) == [
        "09:00", "09:15", "09:30", "09:45", "10:00", "10:15", "10:30", "10:45", "11:00"
    ]  # fmt: skip


def test_a_visit_anywhere_time_off_and_a_live_hold_are_busy(clinic_online, assessment):
    location, physio = clinic_online
    AppointmentFactory(
        practitioner=physio, location=LocationFactory(), start=clinic_time(2026, 12, 7, 9)
    )  # 30 minutes at another location
    TimeOff.objects.create(practitioner=physio, day=MONDAY, starts=time(11), ends=time(12))
    SlotHold.objects.create(
        location=location,
        practitioner=physio,
        type=assessment,
        start=clinic_time(2026, 12, 7, 10),
        end=clinic_time(2026, 12, 7, 10, 15),
        expires_at=NOW + timedelta(minutes=5),
    )
    assert starts(find(location, assessment, [physio])) == []  # no free hour is left
    # Once the hold has run out, 10:15 is an hour free again (10:15-11:15 hits time off).
    later = NOW + timedelta(minutes=10)
    assert starts(find(location, assessment, [physio], now=later)) == ["09:30", "09:45", "10:00"]


def test_not_before_and_ignored_visit(clinic_online, assessment):
    location, physio = clinic_online
    mine = AppointmentFactory(
        practitioner=physio, location=location, start=clinic_time(2026, 12, 7, 9)
    )
    days = find(location, assessment, [physio], not_before=clinic_time(2026, 12, 7, 10, 30))
    assert starts(days) == ["10:30", "10:45", "11:00"]
    assert "09:00" in starts(find(location, assessment, [physio], ignore_appointment_id=mine.pk))


def test_first_available_gives_each_start_once(clinic_online, assessment):
    location, physio = clinic_online
    other = UserFactory(role=Role.PHYSIO)
    WorkingHours.objects.create(
        practitioner=other, location=location, weekday=0, starts=time(11), ends=time(13)
    )
    days = first_available(find(location, assessment, [physio, other]))
    assert starts(days)[-1] == "12:00"
    assert len(starts(days)) == len(set(starts(days)))
    assert {s.practitioner_id for s in days[MONDAY] if s.start.hour == 16} == {
        physio.pk
    }  # 09:00 local


def test_query_count_does_not_grow_with_visits(
    clinic_online, assessment, django_assert_num_queries
):
    location, physio = clinic_online
    for hour in (9, 10, 11):
        AppointmentFactory(
            practitioner=physio, location=location, start=clinic_time(2026, 12, 8, hour)
        )
    with django_assert_num_queries(4):
        find(location, assessment, [physio])


@time_machine.travel(NOW, tick=False)
def test_hold_refuses_a_taken_time_and_books_once(clinic_online, assessment):
    location, physio = clinic_online
    start = clinic_time(2026, 12, 7, 9)
    hold = services.hold_create(
        location=location, type=assessment, practitioner_id=physio.pk, start=start, patient=None
    )
    with pytest.raises(ValidationError) as refused:
        services.hold_create(
            location=location,
            type=assessment,
            practitioner_id=physio.pk,
            start=start + timedelta(minutes=30),
            patient=None,
        )
    assert refused.value.message_dict == {"start": [services.TAKEN]}
    patient = PatientFactory()
    appointment = services.hold_book(hold=hold, patient=patient)
    assert appointment.booked_online and not appointment.needs_approval
    assert (appointment.start, appointment.practitioner) == (start, physio)
    with pytest.raises(ValidationError):
        services.hold_book(hold=hold, patient=patient)
    assert not slot_is_free(
        practitioner_id=physio.pk, start=start, end=start + timedelta(hours=1), now=NOW
    )


@time_machine.travel(NOW, tick=False)
def test_hold_refuses_what_is_not_offered_online(clinic_online, assessment):
    location, physio = clinic_online
    start = clinic_time(2026, 12, 7, 9)
    location.books_online = False
    location.save()
    with pytest.raises(ValidationError, match="cannot be booked online"):
        services.hold_create(
            location=location, type=assessment, practitioner_id=physio.pk, start=start, patient=None
        )
    location.books_online = True
    location.save()
    with pytest.raises(ValidationError, match="cannot be booked online"):  # outside hours
        services.hold_create(
            location=location,
            type=assessment,
            practitioner_id=physio.pk,
            start=clinic_time(2026, 12, 7, 11, 30),
            patient=None,
        )
    policy = OnlineBookingPolicy.get()
    policy.horizon_days = 5  # Monday 7 December is 6 days ahead
    policy.save()
    with pytest.raises(ValidationError, match="cannot be booked online"):
        services.hold_create(
            location=location, type=assessment, practitioner_id=physio.pk, start=start, patient=None
        )


@time_machine.travel(NOW, tick=False)
def test_a_location_that_approves_keeps_the_booking_pending(clinic_online, assessment, mailoutbox):
    location, physio = clinic_online
    location.online_needs_approval = True
    location.save()
    hold = services.hold_create(
        location=location,
        type=assessment,
        practitioner_id=physio.pk,
        start=clinic_time(2026, 12, 7, 9),
        patient=None,
    )
    appointment = services.hold_book(hold=hold, patient=PatientFactory(email_reminders=True))
    assert appointment.needs_approval
    assert not [m for m in mailoutbox if "confirm" in m.subject.lower()]


@time_machine.travel(NOW, tick=False)
def test_front_desk_cannot_book_over_a_time_being_booked_online(clinic_online, assessment):
    """A person holding a time online keeps it: the front-desk calendar shows it held and
    a booking over it is refused until the hold runs out."""
    location, physio = clinic_online
    start = clinic_time(2026, 12, 7, 9)
    services.hold_create(
        location=location, type=assessment, practitioner_id=physio.pk, start=start, patient=None
    )
    (column,) = calendar_day(location, MONDAY, now=NOW)
    held = [e for e in column.entries if e.is_held]
    assert [(e.start, e.end) for e in held] == [(start, start + timedelta(hours=1))]
    assert not any(e.is_free and e.start < start + timedelta(hours=1) for e in column.entries)
    book = dict(
        patient=PatientFactory(),
        practitioner=physio,
        location=location,
        type=assessment,
        start=start + timedelta(minutes=30),
        created_by=None,
    )
    with pytest.raises(ValidationError) as refused:
        appointment_book(**book)
    assert "booking this time online (held until 08:10)" in refused.value.message_dict["start"][0]
    later = NOW + timedelta(minutes=11)
    assert appointment_book(**book, now=later).start == start + timedelta(minutes=30)


@time_machine.travel(NOW, tick=False)
def test_only_the_times_the_pages_offer_can_be_held(clinic_online, assessment):
    """A slot value edited to 10:07 would leave gaps no one can book."""
    location, physio = clinic_online
    with pytest.raises(ValidationError) as refused:
        services.hold_create(
            location=location,
            type=assessment,
            practitioner_id=physio.pk,
            start=clinic_time(2026, 12, 7, 10, 7),
            patient=None,
        )
    assert refused.value.message_dict == {"start": [services.NOT_OFFERED]}
    assert services.hold_create(
        location=location,
        type=assessment,
        practitioner_id=physio.pk,
        start=clinic_time(2026, 12, 7, 10, 15),
        patient=None,
    )


@time_machine.travel(NOW, tick=False)
def test_a_new_record_books_a_needling_type_open_to_new_patients(clinic_online, assessment):
    """A clinic may open its "assessment + IMS" first visit to new patients: the person
    is screened at that visit, so their brand-new record (no intake yet) is not refused."""
    location, physio = clinic_online
    assessment.involves_needling = True
    assessment.save()
    NeedlingAuthorisationFactory(practitioner=physio)
    hold = services.hold_create(
        location=location,
        type=assessment,
        practitioner_id=physio.pk,
        start=clinic_time(2026, 12, 7, 9),
        patient=None,
    )
    fresh = PatientFactory()  # no intake: screening says "not screened"
    with pytest.raises(ValidationError):
        services.hold_book(hold=hold, patient=fresh)
    assert services.hold_book(hold=hold, patient=fresh, new_record=True).booked_online
