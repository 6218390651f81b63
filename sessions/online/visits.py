"""A patient's own changes to a booked visit through its self-service link: cancel or
move it, up to ``policy.cancel_notice_hours`` before it starts (later, they call the
clinic). The freed time goes to the wait list through booking's ``slot_freed``.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from clinic import clock, emails
from clinic.types import StaffUser
from sessions.billing.models import BillingPolicy
from sessions.booking import services as booking
from sessions.booking.models import Appointment
from sessions.online import eligibility, services
from sessions.online.models import OnlineBookingPolicy, SlotHold
from sessions.online.slots import Slot, first_available, free_slots, online_practitioners, window

CANCEL_REASON = "Cancelled online by the patient"
NOT_BOOKED = "This visit can no longer be changed online."
TOO_LATE = "It is too late to change this visit online. Please call the clinic."


@dataclass(frozen=True)
class Changeable:
    """Whether the patient may change the visit online now, and what to tell them."""

    allowed: bool
    reason: str = ""  # why not, in words for the patient
    call_us: bool = False  # inside the notice window: "please call the clinic"
    late_fee: bool = False  # and a late-cancellation fee may apply


def changeable(appointment: Appointment, now: datetime) -> Changeable:
    """Whether ``appointment`` may be cancelled or moved online at ``now``: booked,
    in the future, and at least ``policy.cancel_notice_hours`` away (exactly that far
    is still allowed)."""
    if appointment.status != Appointment.Status.BOOKED or appointment.start <= now:
        return Changeable(False, NOT_BOOKED)
    notice = timedelta(hours=OnlineBookingPolicy.get().cancel_notice_hours)
    if appointment.start - now < notice:
        late_fee = BillingPolicy.get().late_cancel_fee_on
        return Changeable(False, TOO_LATE, call_us=True, late_fee=late_fee)
    return Changeable(True)


def _refuse_unless_changeable(appointment: Appointment, now: datetime) -> None:
    verdict = changeable(appointment, now)
    if not verdict.allowed:
        raise ValidationError(verdict.reason, code="too_late" if verdict.call_us else "closed")


@transaction.atomic
def visit_cancel_self(*, appointment: Appointment, now: datetime | None = None) -> Appointment:
    """Cancel the visit for the patient (reason "Cancelled online by the patient");
    emails them once committed. Raises ValidationError keyed by no field when it may
    no longer be changed online."""
    now = now or timezone.now()
    appointment = Appointment.objects.select_for_update().get(pk=appointment.pk)
    _refuse_unless_changeable(appointment, now)
    appointment = booking.appointment_cancel(appointment=appointment, reason=CANCEL_REASON, now=now)
    transaction.on_commit(lambda: _email_cancelled(appointment.pk))
    return appointment


def _email_cancelled(appointment_id: int) -> None:
    appointment = Appointment.objects.select_related("patient", "location").get(pk=appointment_id)
    if appointment.patient.email:
        emails.visit_cancelled_self(
            to=appointment.patient.email,
            first_name=appointment.patient.greeting_name,
            start=clock.clinic_localtime(appointment.start),
            location=appointment.location,
        )


def move_choices(
    appointment: Appointment, *, practitioner_id: int | None, day_from: date, now: datetime
) -> tuple[dict[date, list[Slot]], list[StaffUser]]:
    """(free slots of the visit's type at its location for 7 days from ``day_from``
    within the online window, the practitioners offered): with ``practitioner_id`` one
    of them, else the first available. Needling types keep only practitioners
    authorised on each day."""
    policy = OnlineBookingPolicy.get()
    earliest, last_day = window(policy, now)
    people = list(online_practitioners(policy))
    ids = [p.pk for p in people]
    if practitioner_id in ids:
        ids = [practitioner_id]
    day_from = max(day_from, clock.clinic_day(earliest))
    days = free_slots(
        location=appointment.location,
        type=appointment.type,
        practitioner_ids=ids,
        day_from=day_from,
        day_to=min(day_from + timedelta(days=6), last_day),
        not_before=earliest,
        now=now,
        ignore_appointment_id=appointment.pk,
    )
    if appointment.type.involves_needling:
        for day in list(days):
            allowed = eligibility.authorised_ids(ids, day)
            days[day] = [s for s in days[day] if s.practitioner_id in allowed]
            if not days[day]:
                del days[day]
    if practitioner_id not in ids or len(ids) > 1:
        days = first_available(days)
    return days, people


@transaction.atomic
def visit_move_self(
    *,
    appointment: Appointment,
    practitioner_id: int,
    start: datetime,
    now: datetime | None = None,
) -> Appointment:
    """Move the visit to ``start`` with the practitioner (same type and location): the
    new time is held for it (``services.hold_create`` with ``replaces``: the online
    window, working hours, freedom and eligibility on the new day), then booking moves
    it. Emails the patient once committed. Raises ValidationError keyed by no field
    (may no longer be changed), by ``start`` or ``type`` (``hold_create``), or as
    ``booking.appointment_reschedule``."""
    now = now or timezone.now()
    appointment = (
        Appointment.objects.select_for_update()
        .select_related("patient", "location", "type")
        .get(pk=appointment.pk)
    )
    _refuse_unless_changeable(appointment, now)
    hold = services.hold_create(
        location=appointment.location,
        type=appointment.type,
        practitioner_id=practitioner_id,
        start=start,
        patient=appointment.patient,
        replaces=appointment,
        now=now,
    )
    practitioner = online_practitioners().get(pk=practitioner_id)
    booking.appointment_reschedule(
        appointment=appointment,
        practitioner=practitioner,
        location=appointment.location,
        type=appointment.type,
        start=start,
        front_desk_note=appointment.front_desk_note,
        online_hold_id=hold.pk,
        now=now,
    )
    SlotHold.objects.filter(pk=hold.pk).update(status=SlotHold.Status.BOOKED)
    transaction.on_commit(lambda: _email_moved(appointment.pk))
    return Appointment.objects.get(pk=appointment.pk)


def _email_moved(appointment_id: int) -> None:
    appointment = Appointment.objects.select_related("patient", "location").get(pk=appointment_id)
    if appointment.patient.email:
        emails.visit_moved_self(
            to=appointment.patient.email,
            first_name=appointment.patient.greeting_name,
            start=clock.clinic_localtime(appointment.start),
            location=appointment.location,
            manage_link=services.visit_link(appointment),
        )
