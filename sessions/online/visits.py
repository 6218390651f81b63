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
from sessions.billing.rules import is_late_cancellation
from sessions.booking import services as booking
from sessions.booking.models import Appointment
from sessions.online import services
from sessions.online.bookable import Bookable, bookable_slots
from sessions.online.models import OnlineBookingPolicy, SlotHold
from sessions.online.slots import first_available, online_practitioners, switched_on

CANCEL_REASON = "Cancelled online by the patient"
NOT_BOOKED = "This visit can no longer be changed online."
TOO_LATE = "It is too late to change this visit online. Please call the clinic."


CALL_TO_MOVE = "To move it to another time, please call the clinic."


@dataclass(frozen=True)
class Changeable:
    """Whether the patient may change the visit online now, and what to tell them."""

    allowed: bool
    reason: str = ""  # why not, in words for the patient
    call_us: bool = False  # inside the notice window: "please call the clinic"
    late_fee: bool = False  # cancelling now would bring a late-cancellation fee
    online: bool = False  # its type is still offered online at its location: it may move

    @property
    def can_move(self) -> bool:
        """Whether the page offers Move (else: call the clinic to move it)."""
        return self.allowed and self.online


def late_fee_due(appointment: Appointment, now: datetime) -> bool:
    """Whether cancelling ``appointment`` at ``now`` would bring billing's
    late-cancellation fee (``BillingPolicy``: switched on, an amount, and less notice
    than its hours, by billing's own rule ``is_late_cancellation``)."""
    policy = BillingPolicy.get()
    if not policy.late_cancel_fee_on or policy.late_cancel_fee <= 0:
        return False
    return is_late_cancellation(
        start=appointment.start, cancelled_at=now, notice_hours=policy.late_cancel_hours
    )


def changeable(appointment: Appointment, now: datetime) -> Changeable:
    """Whether ``appointment`` may be cancelled or moved online at ``now``: booked,
    in the future, and at least ``policy.cancel_notice_hours`` away (exactly that far
    is still allowed); moved only while its type is offered online at its location.
    ``late_fee``: billing would propose a late-cancellation fee if cancelled now (the
    page warns before the patient confirms)."""
    if appointment.status != Appointment.Status.BOOKED or appointment.start <= now:
        return Changeable(False, NOT_BOOKED)
    policy = OnlineBookingPolicy.get()
    notice = timedelta(hours=policy.cancel_notice_hours)
    late_fee = late_fee_due(appointment, now)
    if appointment.start - now < notice:
        return Changeable(False, TOO_LATE, call_us=True, late_fee=late_fee)
    online = switched_on(appointment.location, appointment.type)
    return Changeable(True, late_fee=late_fee, online=online)


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
) -> tuple[Bookable, list[StaffUser]]:
    """(the times the patient may move the visit to: its type at its location for 7
    days from ``day_from``, as ``bookable.bookable_slots`` decides for its patient, the
    practitioners offered): with ``practitioner_id`` one of them, else the first
    available."""
    policy = OnlineBookingPolicy.get()
    location = appointment.location
    people = list(online_practitioners(policy).filter(working_hours__location=location).distinct())
    ids = [p.pk for p in people]
    if practitioner_id in ids:
        ids = [practitioner_id]
    found = bookable_slots(
        patient=appointment.patient,
        location=location,
        type=appointment.type,
        practitioner_ids=ids,
        day_from=day_from,
        day_to=day_from + timedelta(days=6),
        now=now,
        ignore_appointment_id=appointment.pk,
        policy=policy,
    )
    if len(ids) > 1:
        found = Bookable(days=first_available(found.days), refusal=found.refusal)
    return found, people


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
