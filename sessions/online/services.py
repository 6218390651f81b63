"""Online booking's writes shared by the public pages, the patient's own visit link
and the wait list: holding a slot, booking a hold, releasing it, and the patient's
self-service link to a visit.

A hold is taken under a lock on its practitioner (``clinic.locks``), after checking
that no active visit and no live hold overlaps it, so of two people choosing the same
slot at once exactly one gets it. Booking a hold goes through
``booking.services.appointment_book``: the same checks, the database's guard against
double booking, the confirmation, the intake invitation and the reminder as a
front-desk booking.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from clinic import clock, links
from intake.models import Patient
from sessions.booking import services as booking
from sessions.booking.models import Appointment, AppointmentType, Location
from sessions.online import eligibility
from sessions.online.models import OnlineBookingPolicy, SlotHold, VisitLink
from sessions.online.slots import free_slots, offered_online, slot_is_free

NOT_OFFERED = "That time cannot be booked online."
NO_LONGER_OFFERED = "That time can no longer be booked online. Please choose another."
TAKEN = "Sorry, someone has just taken that time. Please choose another."
EXPIRED = "The time you chose was held for you, but the hold has run out."


@transaction.atomic
def hold_create(
    *,
    location: Location,
    type: AppointmentType,
    practitioner_id: int,
    start: datetime,
    patient: Patient | None,
    replaces: Appointment | None = None,
    expires_in: timedelta | None = None,
    now: datetime | None = None,
) -> SlotHold:
    """Hold [start, start + type's length) with the practitioner for ``policy.hold``
    (or ``expires_in``); returns the hold. Raises ValidationError keyed by ``start``
    when the time is not offered online (outside the policy's window or the working
    hours, not bookable at this location or with this practitioner) or is taken, and
    keyed by ``type`` when ``eligibility.refusal`` refuses it (its public words)."""
    now = now or timezone.now()
    policy = OnlineBookingPolicy.get()
    end = start + type.duration
    day = clock.clinic_day(start)
    if not offered_online(location, type, practitioner_id, start, end, now, policy):
        raise ValidationError({"start": NOT_OFFERED}, code="not_offered")
    refused = eligibility.refusal(
        patient=patient, type=type, practitioner_id=practitioner_id, day=day
    )
    if refused is not None:
        raise ValidationError({"type": eligibility.PUBLIC_WORDS[refused]}, code=refused.value)
    SlotHold.lock_practitioner(practitioner_id)
    ignore = replaces.pk if replaces else None
    # Only the times the pages offer (a forged 10:07 would leave gaps no one can book);
    # a time not among them is either taken or never offered.
    offered = free_slots(
        location=location,
        type=type,
        practitioner_ids=[practitioner_id],
        day_from=day,
        day_to=day,
        not_before=start,
        now=now,
        ignore_appointment_id=ignore,
    )
    if not any(s.start == start for s in offered.get(day, [])):
        if not slot_is_free(
            practitioner_id=practitioner_id,
            start=start,
            end=end,
            now=now,
            ignore_appointment_id=ignore,
        ):
            raise ValidationError({"start": TAKEN}, code="taken")
        raise ValidationError({"start": NOT_OFFERED}, code="not_offered")
    return SlotHold.objects.create(
        location=location,
        type=type,
        practitioner_id=practitioner_id,
        start=start,
        end=end,
        patient=patient,
        replaces=replaces,
        expires_at=now + (expires_in or policy.hold),
        created_at=now,
    )


@transaction.atomic
def hold_release(*, hold: SlotHold) -> None:
    """Give the slot back (the person went back or chose another). Booked holds stay."""
    SlotHold.objects.filter(
        pk=hold.pk, status__in=[SlotHold.Status.HELD, SlotHold.Status.AWAITING]
    ).update(status=SlotHold.Status.RELEASED)


@transaction.atomic
def hold_book(
    *, hold: SlotHold, patient: Patient, new_record: bool = False, now: datetime | None = None
) -> Appointment:
    """Book the held slot for ``patient`` (the email was proved: a returning patient's
    sign-in, a new person's confirmation link, a wait-list offer's link); returns the
    appointment, ``booked_online``. A hold that ran out still books if its time is
    still free. ``new_record``: the patient's record was made just now for a new person,
    who is asked what a new person is (``eligibility.refusal`` with no patient: the
    types for new patients; they are screened at that visit). Raises ValidationError
    keyed by ``start`` (taken, released or already booked: ``TAKEN``), keyed by
    ``type`` (``eligibility.refusal`` on the day, public words), or as
    ``booking.appointment_book``."""
    now = now or timezone.now()
    SlotHold.lock_practitioner(hold.practitioner_id)
    hold = SlotHold.objects.select_for_update().select_related("location", "type").get(pk=hold.pk)
    if hold.status in (SlotHold.Status.BOOKED, SlotHold.Status.RELEASED):
        raise ValidationError({"start": TAKEN}, code="taken")
    # A confirmation link may be opened hours after the hold: the window and the
    # switches are asked again. A wait-list offer's hold is the clinic's own offer of a
    # freed time (``waitlist.slot_offer`` checked it by the wait list's rules).
    if not hold.offers.exists() and not offered_online(
        hold.location, hold.type, hold.practitioner_id, hold.start, hold.end, now
    ):
        raise ValidationError({"start": NO_LONGER_OFFERED}, code="not_offered")
    refused = eligibility.refusal(
        patient=None if new_record else patient,
        type=hold.type,
        practitioner_id=hold.practitioner_id,
        day=hold.day,
    )
    if refused is not None:
        raise ValidationError({"type": eligibility.PUBLIC_WORDS[refused]}, code=refused.value)
    if not slot_is_free(
        practitioner_id=hold.practitioner_id,
        start=hold.start,
        end=hold.end,
        now=now,
        ignore_hold_id=hold.pk,
        ignore_appointment_id=hold.replaces_id,
    ):
        raise ValidationError({"start": TAKEN}, code="taken")
    appointment = booking.appointment_book(
        patient=patient,
        practitioner=hold.practitioner,
        location=hold.location,
        type=hold.type,
        start=hold.start,
        created_by=None,
        booked_online=True,
        online_hold_id=hold.pk,
        now=now,
    )
    hold.status = SlotHold.Status.BOOKED
    hold.patient = patient
    hold.appointment = appointment
    hold.save(update_fields=["status", "patient", "appointment"])
    return appointment


def visit_link(appointment: Appointment) -> str:
    """The full address of the patient's self-service link to ``appointment`` (view
    ``sessions:visit-manage``), making its nonce row on first use."""
    row, _ = VisitLink.objects.get_or_create(appointment=appointment)
    return links.link_to("visit", row, "sessions:visit-manage")


def visit_from_token(token: str, now: datetime | None = None) -> Appointment | None:
    """The appointment a genuine self-service link names, or None: the link works until
    ``VISIT_LINK_DAYS`` days after the visit's start (``clinic.links.link_live``)."""
    row = links.row_from_token("visit", token, VisitLink.objects.select_related("appointment"))
    if row is None:
        return None
    now = now or timezone.now()
    if not links.link_live(row.appointment.start, settings.VISIT_LINK_DAYS, now):
        return None
    return row.appointment


def visit_link_answer(sender: object, *, appointment: Appointment, **kwargs: object) -> str:
    """``booking.signals.visit_link_wanted``: the visit's self-service link."""
    return visit_link(appointment)
