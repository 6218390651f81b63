"""Booking's writes: booking, moving, cancelling, marking and confirming visits, and opening a
patient's course. A booking and a move take one write path (``_booking_save``): the
clinic's checks, the save that the database guards against double booking, and the
reminder; the checks' reads are in ``selectors``."""

from datetime import UTC, datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from clinic import clock, emails
from clinic.roles import display_name
from clinic.types import StaffUser
from intake import services as intake_services
from intake.models import Patient
from sessions import schedule
from sessions.billing.authorisations import booking_authorisation_check
from sessions.billing.missed import missed_fee_propose
from sessions.billing.models import PayerCase
from sessions.booking.models import (
    Appointment,
    AppointmentType,
    Confirmation,
    Course,
    Location,
)
from sessions.booking.selectors import (
    course_active,
    needling_blocked,
    practitioner_working_time,
    practitioners,
)
from sessions.booking.signals import course_discharged, slot_freed, visit_link_wanted
from sessions.followups import services as followups
from sessions.followups.models import ScheduledMessage
from sessions.online.models import SlotHold

BOOKING_HORIZON = timedelta(days=730)
# ``payer_case`` not given: a new booking bills to its course's case, a move keeps its own.
COURSE_CASE = object()


def _clash_message(other: Appointment) -> str:
    local = clock.clinic_localtime(other.start)
    return (
        f"{display_name(other.practitioner)} is already booked "
        f"{local:%Y-%m-%d %H:%M}–{clock.clinic_localtime(other.end):%H:%M} "
        f"({other.patient.full_name}, {other.type.name})."
    )


def _first_clash(
    practitioner_id: int, start: datetime, end: datetime, exclude_id: int | None = None
) -> Appointment | None:
    qs = Appointment.objects.overlapping(practitioner_id, start, end).select_related(
        "patient", "practitioner", "type"
    )
    if exclude_id:
        qs = qs.exclude(pk=exclude_id)
    return qs.first()


def _check_booking(
    *,
    appointment: Appointment,
    override_note: str,
    allow_outside_hours: bool,
    now: datetime,
    online_hold_id: int | None = None,
) -> None:
    """Refuse a booking the clinic would not want, with messages for the form: raises
    ValidationError keyed by ``practitioner``, ``start``, ``allow_outside_hours`` and
    ``eligibility_override``. A time someone is booking online (a live hold other than
    ``online_hold_id``, the one being booked) is refused like a clash."""
    errors: dict[str, list[ValidationError]] = {}
    start, end = appointment.start, appointment.end
    if not practitioners().filter(pk=appointment.practitioner_id).exists():
        errors.setdefault("practitioner", []).append(
            ValidationError("Only active physiotherapists can be booked.", code="not_practitioner")
        )
    if start < now:
        errors.setdefault("start", []).append(
            ValidationError("This time has already passed.", code="past")
        )
    elif start > now + BOOKING_HORIZON:
        errors.setdefault("start", []).append(
            ValidationError("Bookings can be made up to two years ahead.", code="too_far")
        )
    day = appointment.day
    working = practitioner_working_time(appointment.practitioner_id, appointment.location_id, day)
    if not allow_outside_hours and not schedule.covers(working, start, end):
        errors.setdefault("allow_outside_hours", []).append(
            ValidationError(
                "This time is outside the practitioner's working hours at this location. "
                "Tick the box to book it anyway.",
                code="outside_hours",
            )
        )
    if appointment.type.involves_needling and not override_note.strip():
        blocked = needling_blocked(patient=appointment.patient, day=day)
        if blocked:
            errors.setdefault("eligibility_override", []).append(
                ValidationError(
                    f"{blocked}. Add a note (for example “physiotherapist to reassess”) "
                    "to book anyway.",
                    code="not_eligible",
                )
            )
    clash = _first_clash(appointment.practitioner_id, start, end, exclude_id=appointment.pk)
    if clash:
        errors.setdefault("start", []).append(ValidationError(_clash_message(clash), code="clash"))
    elif held := (
        SlotHold.objects.overlapping(appointment.practitioner_id, start, end, now)
        .exclude(pk=online_hold_id)
        .order_by("expires_at")
        .last()
    ):
        until = clock.clinic_localtime(held.expires_at)
        errors.setdefault("start", []).append(
            ValidationError(
                f"A patient is booking this time online (held until {until:%H:%M}). "
                "Choose another time, or book it once the hold has run out.",
                code="held",
            )
        )
    if errors:
        raise ValidationError(errors)


def _save_guarded(appointment: Appointment) -> None:
    """Save. Two bookings racing past the check above: on PostgreSQL the exclusion
    constraint refuses the second; SQLite serialises write transactions (IMMEDIATE).
    The loser raises ValidationError keyed by ``start``."""
    try:
        with transaction.atomic():
            appointment.save()
    except IntegrityError as exc:
        if "appt_no_double_booking" not in str(exc):
            raise
        clash = _first_clash(
            appointment.practitioner_id, appointment.start, appointment.end, appointment.pk
        )
        message = _clash_message(clash) if clash else "That time was just booked by someone else."
        raise ValidationError({"start": [ValidationError(message, code="clash")]}) from None


def course_open_or_get(*, patient: Patient) -> Course:
    """The patient's open course, opened (written) now if they have none; for writes
    only. One open course per patient is a database constraint: of two bookings racing
    to open one, the second waits for the first to commit, fails to insert and takes
    the first one's course. Returns the course; raises ValidationError keyed by the
    Course field ``full_clean`` refuses."""
    course = course_active(patient=patient)
    if course is not None:
        return course
    course = Course(patient=patient)
    course.full_clean(validate_constraints=False)  # the insert below is the check
    try:
        with transaction.atomic():
            course.save()
    except IntegrityError:
        course = course_active(patient=patient)
        if course is None:
            raise
    return course


@transaction.atomic
def course_plan_save(*, patient: Patient, planned_min: int, planned_max: int) -> Course:
    """Save the planned number of visits on the patient's open course, opening one if
    they have none; returns the course. Raises ``ValidationError`` keyed by field
    (``planned_max`` below ``planned_min``)."""
    course = course_open_or_get(patient=patient)
    course.planned_min, course.planned_max = planned_min, planned_max
    course.full_clean()
    course.save()
    return course


def _booking_save(
    appointment: Appointment,
    *,
    practitioner: StaffUser,
    location: Location,
    type: AppointmentType,
    start: datetime,
    front_desk_note: str,
    override_note: str,
    allow_outside_hours: bool,
    now: datetime,
    payer_case: PayerCase | None | object = COURSE_CASE,
    authorisation_override: str = "",
    online_hold_id: int | None = None,
) -> None:
    """Put the visit at its place and time, refuse what the clinic would not want, save
    it and schedule its reminder (cancelling a moved visit's old one). A new booking
    opens the patient's course, unless they have one. Raises ValidationError as
    ``_check_booking`` and ``_save_guarded``, by ``payer_case`` or
    ``authorisation_override`` (``booking_authorisation_check``), or keyed by the
    Appointment field ``full_clean`` refuses."""
    moving = appointment.pk is not None
    if moving and (
        Appointment.objects.filter(pk=appointment.pk)
        .exclude(start=start, location=location)
        .exists()
    ):
        # The patient confirmed another time or place: the new one is not confirmed.
        appointment.confirmed_at, appointment.confirmed_via = None, ""
    appointment.practitioner = practitioner
    appointment.location = location
    appointment.type = type
    appointment.start = start.astimezone(UTC)  # durations are real time, also across DST
    appointment.end = appointment.start + type.duration
    appointment.front_desk_note = front_desk_note.strip()
    appointment.eligibility_override = override_note.strip()
    if isinstance(payer_case, PayerCase) or payer_case is None:
        appointment.payer_case = payer_case
    if not moving:
        appointment.course = course_open_or_get(patient=appointment.patient)
        if payer_case is COURSE_CASE:  # billed to the course's payer case
            appointment.payer_case = appointment.course.payer_case
    # Online holds are taken under this lock: front desk cannot book a time between a
    # hold's check and its insert.
    SlotHold.lock_practitioner(practitioner.pk)
    errors: dict[str, list[ValidationError]] = {}
    try:
        _check_booking(
            appointment=appointment,
            override_note=override_note,
            allow_outside_hours=allow_outside_hours,
            now=now,
            online_hold_id=online_hold_id,
        )
    except ValidationError as exc:
        errors.update(exc.error_dict)
    try:
        appointment.authorisation_override = booking_authorisation_check(
            appointment=appointment, override=authorisation_override
        )
    except ValidationError as exc:
        errors.update(exc.error_dict)
    if errors:
        raise ValidationError(errors)
    appointment.full_clean(exclude=None if moving else ["course"])
    _save_guarded(appointment)
    if moving:
        followups.reminder_move(appointment=appointment, now=now)
    else:
        # Scheduled even without email: the send records why it was skipped.
        followups.reminder_schedule(appointment=appointment, now=now)


@transaction.atomic
def appointment_book(
    *,
    patient: Patient,
    practitioner: StaffUser,
    location: Location,
    type: AppointmentType,
    start: datetime,
    created_by: StaffUser | None,
    front_desk_note: str = "",
    override_note: str = "",
    allow_outside_hours: bool = False,
    payer_case: PayerCase | None | object = COURSE_CASE,
    authorisation_override: str = "",
    booked_online: bool = False,
    online_hold_id: int | None = None,
    now: datetime | None = None,
) -> Appointment:
    """Book a visit; returns the saved appointment. Sends the intake link (first visit,
    no intake yet) and a confirmation (patients who agreed to email) once the booking has
    committed. ``booked_online``: the patient booked it (``sessions.online``); at a
    location where front desk approves online bookings it waits for that approval
    (``needs_approval``) and its confirmation waits too. Raises ValidationError keyed by
    ``practitioner``, ``start``, ``allow_outside_hours`` or ``eligibility_override``
    (``_check_booking``), or by the Appointment field ``full_clean`` refuses."""
    now = now or timezone.now()
    appointment = Appointment(patient=patient, created_by=created_by)
    appointment.booked_online = booked_online
    appointment.needs_approval = booked_online and location.online_needs_approval
    _booking_save(
        appointment,
        practitioner=practitioner,
        location=location,
        type=type,
        start=start,
        front_desk_note=front_desk_note,
        override_note=override_note,
        allow_outside_hours=allow_outside_hours,
        now=now,
        payer_case=payer_case,
        authorisation_override=authorisation_override,
        online_hold_id=online_hold_id,
    )
    if patient.email:
        intake_services.intake_invite_unless_open(patient=patient, sent_by=created_by, now=now)
        if patient.email_reminders and not appointment.needs_approval:
            transaction.on_commit(lambda: send_confirmation(appointment.pk))
    return appointment


def send_confirmation(appointment_id: int) -> None:
    """Email the booking's confirmation, unless it is no longer booked. Raises
    Appointment.DoesNotExist for an unknown id."""
    appointment = Appointment.objects.select_related("patient", "practitioner", "location").get(
        pk=appointment_id
    )
    if appointment.status != Appointment.Status.BOOKED:
        return
    answers = visit_link_wanted.send(sender=Appointment, appointment=appointment)
    emails.appointment_confirmation(
        to=appointment.patient.email,
        first_name=appointment.patient.greeting_name,
        start=clock.clinic_localtime(appointment.start),
        practitioner=display_name(appointment.practitioner),
        location=appointment.location,
        manage_link=next((link for _, link in answers if link), ""),
    )


def _tell_slot_freed(appointment: Appointment) -> None:
    """Once the transaction commits, say that ``appointment``'s current time is free
    (``signals.slot_freed``: the wait list offers it)."""
    freed = {
        "location_id": appointment.location_id,
        "practitioner_id": appointment.practitioner_id,
        "start": appointment.start,
        "end": appointment.end,
    }
    # Robust: the visit is cancelled or moved even if the wait list cannot be told now.
    transaction.on_commit(lambda: slot_freed.send(sender=Appointment, **freed), robust=True)


@transaction.atomic
def appointment_reschedule(
    *,
    appointment: Appointment,
    practitioner: StaffUser,
    location: Location,
    type: AppointmentType,
    start: datetime,
    front_desk_note: str = "",
    override_note: str = "",
    allow_outside_hours: bool = False,
    payer_case: PayerCase | None | object = COURSE_CASE,
    authorisation_override: str = "",
    online_hold_id: int | None = None,
    now: datetime | None = None,
) -> Appointment:
    """Move a booked visit; returns it saved, its reminder moved with it to the new
    time. Raises ValidationError keyed by no field when it is no longer booked, else as
    ``appointment_book``."""
    now = now or timezone.now()
    appointment = Appointment.objects.select_for_update().get(pk=appointment.pk)
    if appointment.status != Appointment.Status.BOOKED:
        raise ValidationError("Only a booked appointment can be moved.")
    _tell_slot_freed(appointment)  # the old time (sent only if the move commits)
    _booking_save(
        appointment,
        practitioner=practitioner,
        location=location,
        type=type,
        start=start,
        front_desk_note=front_desk_note,
        override_note=override_note,
        allow_outside_hours=allow_outside_hours,
        now=now,
        payer_case=payer_case,
        authorisation_override=authorisation_override,
        online_hold_id=online_hold_id,
    )
    return appointment


# Said by the cancel form's empty field and by the service alike.
CANCEL_REASON_REQUIRED = "Please give the reason for cancelling."


@transaction.atomic
def appointment_cancel(
    *, appointment: Appointment, reason: str, now: datetime | None = None
) -> Appointment:
    """Cancel a visit and its pending messages, proposing the late-cancellation fee
    when the clinic's policy applies at ``now``; returns it. Raises ValidationError keyed
    by no field when its state does not allow it, keyed by ``reason`` when none is given."""
    appointment = Appointment.objects.select_for_update().get(pk=appointment.pk)
    if not appointment.can_become(Appointment.Status.CANCELLED):
        raise ValidationError(
            f"A {appointment.get_status_display().lower()} visit cannot be cancelled."
        )
    if not reason.strip():
        raise ValidationError({"reason": CANCEL_REASON_REQUIRED})
    was = appointment.status
    appointment.status = Appointment.Status.CANCELLED
    appointment.cancellation_reason = reason.strip()
    appointment.save(update_fields=["status", "cancellation_reason", "updated_at"])
    if was == Appointment.Status.BOOKED:
        _tell_slot_freed(appointment)
    followups.messages_cancel_for(appointment=appointment, kinds=list(ScheduledMessage.Kind))
    missed_fee_propose(appointment=appointment, previous_status=was, now=now or timezone.now())
    return appointment


@transaction.atomic
def appointment_set_status(
    *, appointment: Appointment, status: str, now: datetime | None = None
) -> Appointment:
    """Mark a visit arrived, no-show or completed (a no-show proposes the clinic's
    no-show fee, ``billing.missed``); returns it. Raises ValidationError
    keyed by no field, with the reason, when its state or the time does not allow it
    (``Appointment.mark_refusal``)."""
    now = now or timezone.now()
    appointment = Appointment.objects.select_for_update().get(pk=appointment.pk)
    if refusal := appointment.mark_refusal(status, now):
        raise ValidationError(refusal)
    appointment.status = status
    appointment.save(update_fields=["status", "updated_at"])
    if status == Appointment.Status.NO_SHOW:
        missed_fee_propose(appointment=appointment, now=now)
    return appointment


@transaction.atomic
def appointment_confirm(
    *, appointment: Appointment, via: str, now: datetime | None = None
) -> Appointment:
    """Record that the patient will come (``via``: a ``Confirmation`` value: a text
    reply, the visit link, or front desk after a call) at ``now``; returns the visit.
    A visit already confirmed keeps its first confirmation (returned unchanged). Raises
    ValidationError keyed by no field, in words for patient and front desk alike, when
    the visit is not booked, awaits front desk's approval, or has started
    (``Appointment.confirm_refusal``); ValueError for an unknown ``via``."""
    now = now or timezone.now()
    via = Confirmation(via)
    appointment = Appointment.objects.select_for_update().get(pk=appointment.pk)
    if refusal := appointment.confirm_refusal(now):
        raise ValidationError(refusal, code="cannot_confirm")
    if appointment.confirmed_at is None:
        appointment.confirmed_at, appointment.confirmed_via = now, via.value
        appointment.save(update_fields=["confirmed_at", "confirmed_via", "updated_at"])
    return appointment


@transaction.atomic
def course_discharge(*, patient: Patient, now: datetime | None = None) -> Course:
    """Close the patient's open course today (the clinic's date): the patient is
    discharged, and the questionnaires due at discharge go out once this commits
    (``signals.course_discharged``). Returns the closed course. Raises ValidationError
    keyed by no field when no course is open, or while visits of it are still booked
    (cancel or move them first)."""
    now = now or timezone.now()
    course = (
        Course.objects.select_for_update().filter(patient=patient, closed_on__isnull=True).first()
    )
    if course is None:
        raise ValidationError("There is no open course of treatment to close.")
    booked = course.appointments.filter(status=Appointment.Status.BOOKED).count()
    if booked:
        visits = "visit is" if booked == 1 else "visits are"
        raise ValidationError(
            f"{booked} {visits} still booked in this course: cancel or move them first."
        )
    course.closed_on = clock.clinic_day(now)
    course.save(update_fields=["closed_on"])
    transaction.on_commit(lambda: course_discharged.send(sender=Course, course=course, now=now))
    return course
