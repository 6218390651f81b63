"""The wait list's offers: which entries a freed slot goes to and in which order, one
hold for all of them, accepting (the first books, the others are told), declining,
running out, and the eligibility rules on the slot."""

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError

from sessions import tasks
from sessions.booking import services as booking
from sessions.booking.models import Appointment, AppointmentType
from sessions.followups.models import CallTask
from sessions.online import waitlist
from sessions.online.models import OnlineBookingPolicy, SlotHold, WaitListEntry, WaitListOffer
from sessions.online.people import DUPLICATE_REASON
from tests.factories import AppointmentFactory, PatientFactory, clinic_time
from tests.sessions.online.waitlist_world import MONDAY, NOW, entry_for, online_clinic

pytestmark = pytest.mark.django_db

TEN = clinic_time(2026, 12, 7, 10)


@pytest.fixture
def clinic():
    return online_clinic()


def offer_ten(clinic, now=NOW):
    return waitlist.slot_offer(
        location_id=clinic.location.pk, practitioner_id=clinic.physio.pk, start=TEN, now=now
    )


def test_offers_go_by_priority_then_age_to_offers_per_slot_entries(clinic):
    OnlineBookingPolicy.objects.filter(pk=OnlineBookingPolicy.get().pk).update(offers_per_slot=2)
    oldest = entry_for(clinic, PatientFactory(), created_at=NOW - timedelta(days=3))
    urgent = entry_for(clinic, PatientFactory(), priority=5, created_at=NOW - timedelta(days=1))
    newer = entry_for(clinic, PatientFactory(), created_at=NOW - timedelta(days=2))
    offers = offer_ten(clinic)
    assert [o.entry for o in offers] == [urgent, oldest]
    assert newer.offers.count() == 0


def test_one_hold_for_all_offers_held_for_the_offer_time(
    clinic, django_capture_on_commit_callbacks
):
    first = entry_for(clinic, PatientFactory())
    second = entry_for(clinic, PatientFactory(), created_at=NOW + timedelta(minutes=1))
    with django_capture_on_commit_callbacks(execute=True):
        offers = offer_ten(clinic)
    assert {o.entry for o in offers} == {first, second}
    (hold,) = SlotHold.objects.all()
    assert {o.hold_id for o in offers} == {hold.pk}
    assert hold.patient is None and hold.status == SlotHold.Status.HELD
    assert hold.expires_at == NOW + OnlineBookingPolicy.get().offer
    assert hold.end - hold.start == timedelta(minutes=30)
    assert len(mail.outbox) == 2
    assert all("/o/" in m.body for m in mail.outbox)


def test_entries_that_do_not_want_that_time_are_not_offered_it(clinic):
    patient = PatientFactory
    entry_for(clinic, patient(), time_of_day=WaitListEntry.TimeOfDay.AFTERNOON)
    entry_for(clinic, patient(), weekdays=[1, 2])  # Tuesday, Wednesday
    entry_for(clinic, patient(), earliest=MONDAY + timedelta(days=1))
    entry_for(clinic, patient(), location=AppointmentFactory().location)
    entry_for(
        clinic, patient(), type=clinic.assessment, practitioner=AppointmentFactory().practitioner
    )
    morning = entry_for(clinic, patient(), time_of_day=WaitListEntry.TimeOfDay.MORNING)
    assert [o.entry for o in offer_ten(clinic)] == [morning]


def test_a_slot_that_is_not_free_or_past_is_not_offered(clinic):
    entry_for(clinic, PatientFactory())
    AppointmentFactory(
        practitioner=clinic.physio, location=clinic.location, type=clinic.follow_up, start=TEN
    )
    assert offer_ten(clinic) == []
    assert offer_ten(clinic, now=TEN + timedelta(minutes=1)) == []


def test_an_entry_the_eligibility_rules_refuse_is_skipped(clinic):
    needling = AppointmentType.objects.create(
        name="Needling", duration_minutes=30, involves_needling=True, for_new_patients=True
    )
    # A returning patient with no intake on file: not cleared for needling online.
    entry_for(clinic, PatientFactory(), type=needling, priority=9)
    new_person = entry_for(
        clinic, None, type=needling, first_name="Ann", last_name="New", email="ann@example.com"
    )
    assert [o.entry for o in offer_ten(clinic)] == [new_person]


@time_machine.travel(NOW, tick=False)
def test_the_first_to_accept_books_and_the_others_are_told(
    clinic, django_capture_on_commit_callbacks
):
    alice, bob = PatientFactory(), PatientFactory()
    entry_for(clinic, alice)
    entry_for(clinic, bob, created_at=NOW + timedelta(minutes=1))
    first, second = offer_ten(clinic)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        appointment = waitlist.offer_accept(offer=second, now=NOW + timedelta(minutes=5))
    assert (appointment.patient, appointment.start, appointment.booked_online) == (bob, TEN, True)
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == ("taken", "accepted")
    assert second.entry.status == WaitListEntry.Status.BOOKED
    assert first.entry.status == WaitListEntry.Status.WAITING
    assert SlotHold.objects.get().status == SlotHold.Status.BOOKED
    assert [m.to for m in mail.outbox if "taken" in m.subject] == [[alice.email]]
    with pytest.raises(ValidationError) as refused:
        waitlist.offer_accept(offer=first, now=NOW + timedelta(minutes=6))
    assert waitlist.refusal_code(refused.value) == "taken"
    assert Appointment.objects.count() == 1


def test_an_offer_past_its_time_cannot_be_accepted(clinic):
    entry_for(clinic, PatientFactory())
    (offer,) = offer_ten(clinic)
    with pytest.raises(ValidationError) as refused:
        waitlist.offer_accept(offer=offer, now=offer.expires_at)
    assert waitlist.refusal_code(refused.value) == "expired"
    assert not Appointment.objects.exists()


def test_a_decline_of_the_last_open_offer_offers_the_slot_to_the_next(clinic):
    first = entry_for(clinic, PatientFactory())
    OnlineBookingPolicy.objects.update(offers_per_slot=1)
    nxt = entry_for(clinic, PatientFactory(), created_at=NOW + timedelta(minutes=1))
    (offer,) = offer_ten(clinic)
    assert offer.entry == first
    waitlist.offer_decline(offer=offer, now=NOW + timedelta(minutes=1))
    offer.refresh_from_db()
    assert offer.status == "declined"
    assert first.offers.count() == 1  # never offered the same slot again
    (again,) = nxt.offers.all()
    assert again.hold.start == TEN and again.hold_id != offer.hold_id
    assert SlotHold.objects.get(pk=offer.hold_id).status == SlotHold.Status.RELEASED


def test_offers_that_ran_out_expire_and_the_slot_goes_to_the_next(clinic):
    OnlineBookingPolicy.objects.update(offers_per_slot=1)
    first = entry_for(clinic, PatientFactory())
    nxt = entry_for(clinic, PatientFactory(), created_at=NOW + timedelta(minutes=1))
    (offer,) = offer_ten(clinic)
    assert waitlist.offers_expire(now=offer.expires_at - timedelta(seconds=1)) == 0
    assert waitlist.offers_expire(now=offer.expires_at) == 1
    offer.refresh_from_db()
    assert offer.status == WaitListOffer.Status.EXPIRED
    assert first.offers.count() == 1
    assert nxt.offers.get().status == WaitListOffer.Status.OFFERED


def test_an_entry_with_an_open_offer_is_not_offered_another_slot(clinic):
    entry_for(clinic, PatientFactory())
    assert len(offer_ten(clinic)) == 1
    other = waitlist.slot_offer(
        location_id=clinic.location.pk,
        practitioner_id=clinic.physio.pk,
        start=clinic_time(2026, 12, 7, 14),
        now=NOW,
    )
    assert other == []


def test_a_new_person_accepting_gives_their_birth_date_and_becomes_a_patient(clinic):
    entry = entry_for(
        clinic,
        None,
        type=clinic.assessment,
        first_name="Ann",
        last_name="New",
        email="ann@example.com",
    )
    (offer,) = offer_ten(clinic)
    with pytest.raises(ValidationError) as refused:
        waitlist.offer_accept(offer=offer, now=NOW)
    assert "date_of_birth" in refused.value.error_dict
    appointment = waitlist.offer_accept(
        offer=offer, date_of_birth=MONDAY.replace(year=1980), now=NOW
    )
    assert appointment.patient.legal_last_name == "New"
    assert appointment.patient.email == "ann@example.com"
    entry.refresh_from_db()
    assert entry.patient == appointment.patient


def test_a_new_person_with_the_email_of_another_patient_gets_a_record_and_a_call(clinic):
    known = PatientFactory(email="ann@example.com", date_of_birth=MONDAY.replace(year=1980))
    entry_for(
        clinic,
        None,
        type=clinic.assessment,
        first_name="Ann",
        last_name="X",
        email="ann@example.com",
    )
    (offer,) = offer_ten(clinic)
    appointment = waitlist.offer_accept(
        offer=offer, date_of_birth=MONDAY.replace(year=1981), now=NOW
    )
    # The email is shared (another name and birth date): not the record on file.
    assert appointment.patient != known
    assert appointment.patient.legal_first_name == "Ann"
    assert CallTask.objects.filter(patient=appointment.patient, reason=DUPLICATE_REASON).exists()


@time_machine.travel(NOW, tick=False)
def test_a_front_desk_cancellation_offers_the_freed_time(clinic, run_tasks):
    visit = AppointmentFactory(
        practitioner=clinic.physio, location=clinic.location, type=clinic.follow_up, start=TEN
    )
    waiting = entry_for(clinic, PatientFactory())
    with run_tasks():
        booking.appointment_cancel(appointment=visit, reason="Patient called")
    offer = waiting.offers.get()
    assert offer.hold.start == TEN
    assert any("/o/" in m.body for m in mail.outbox)


@time_machine.travel(NOW, tick=False)
def test_moving_a_visit_offers_its_old_time(clinic, run_tasks):
    visit = AppointmentFactory(
        practitioner=clinic.physio, location=clinic.location, type=clinic.follow_up, start=TEN
    )
    waiting = entry_for(clinic, PatientFactory())
    with run_tasks():
        booking.appointment_reschedule(
            appointment=visit,
            practitioner=clinic.physio,
            location=clinic.location,
            type=clinic.follow_up,
            start=clinic_time(2026, 12, 7, 15),
        )
    assert waiting.offers.get().hold.start == TEN


def test_entry_add_refuses_a_new_person_for_a_returning_patients_type(clinic):
    with pytest.raises(ValidationError) as refused:
        waitlist.entry_add(
            location=clinic.location,
            type=clinic.follow_up,
            earliest=MONDAY,
            latest=MONDAY,
            first_name="Ann",
            last_name="New",
            email="ann@example.com",
            source=WaitListEntry.Source.ONLINE,
            now=NOW,
        )
    assert "type" in refused.value.error_dict


def test_an_entry_with_no_email_to_write_to_is_not_offered(clinic):
    entry_for(clinic, PatientFactory(email=""), priority=9)
    reachable = entry_for(clinic, PatientFactory())
    assert [o.entry for o in offer_ten(clinic)] == [reachable]


def test_beat_closes_offers_that_ran_out(clinic, settings):
    assert settings.CELERY_BEAT_SCHEDULE["waitlist-expire-offers"]["task"] == (
        "sessions.tasks.waitlist_expire_offers"
    )
    entry_for(clinic, PatientFactory())
    (offer,) = offer_ten(clinic)
    with time_machine.travel(offer.expires_at, tick=False):
        assert tasks.waitlist_expire_offers() == 1
    offer.refresh_from_db()
    assert offer.status == WaitListOffer.Status.EXPIRED


def test_a_new_person_like_a_patient_on_file_gets_a_new_record_and_a_desk_task(clinic):
    born = MONDAY.replace(year=1980)
    PatientFactory(legal_first_name="Ann", legal_last_name="New", date_of_birth=born)
    entry_for(
        clinic,
        None,
        type=clinic.assessment,
        first_name="Ann",
        last_name="New",
        email="ann.other@example.com",
    )
    (offer,) = offer_ten(clinic)
    appointment = waitlist.offer_accept(offer=offer, date_of_birth=born, now=NOW)
    assert appointment.patient.email == "ann.other@example.com"
    task = CallTask.objects.get()
    assert (task.patient, task.alert) == (appointment.patient, None)
    assert "duplicate" in task.reason
