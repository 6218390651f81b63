"""Booking: writes that touch appointments, courses and outgoing messages, and the
read helpers behind the calendars."""

import secrets
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import icalendar
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.http import urlencode

from clinic import emails
from clinic.links import link_to, row_from_token
from clinic.roles import Role
from clinic.types import StaffUser
from intake import services as intake_services
from intake.models import Intake, IntakeInvitation, Patient
from intake.screening import Badge, Status, screen
from sessions import followups, schedule
from sessions.models import (
    Appointment,
    AppointmentQuerySet,
    AppointmentType,
    CalendarFeed,
    Course,
    Location,
    ScheduledMessage,
    TimeOff,
    WorkingHours,
)

SLOT_LENGTH = timedelta(minutes=30)
BOOKING_HORIZON = timedelta(days=730)
FEED_PURPOSE = "calendar-feed"


def practitioners() -> QuerySet[StaffUser]:
    """Active physiotherapists, by name."""
    return (
        get_user_model()
        .objects.filter(groups__name=Role.PHYSIO.value, is_active=True)
        .order_by("first_name", "last_name", "id")
    )


# --- Working time -------------------------------------------------------------------


def working_intervals(
    hours: list[WorkingHours], time_off: list[TimeOff], day: date
) -> list[schedule.Interval]:
    """A practitioner's working time on ``day`` from their hours and time off there."""
    tz = schedule.clinic_tz()
    working = [
        (schedule.at(day, h.starts, tz), schedule.at(day, h.ends, tz))
        for h in hours
        if h.weekday == day.weekday()
    ]
    off = []
    for t in time_off:
        if t.day != day:
            continue
        if t.starts is None or t.ends is None:
            return []
        off.append((schedule.at(day, t.starts, tz), schedule.at(day, t.ends, tz)))
    return schedule.subtract(working, off)


def practitioner_working_time(
    practitioner_id: int, location_id: int, day: date
) -> list[schedule.Interval]:
    """The practitioner's working time at the location on ``day``."""
    hours = list(
        WorkingHours.objects.filter(practitioner_id=practitioner_id, location_id=location_id)
    )
    off = list(TimeOff.objects.filter(practitioner_id=practitioner_id, day=day))
    return working_intervals(hours, off, day)


# --- Booking --------------------------------------------------------------------------


def _clash_message(other: Appointment) -> str:
    local = timezone.localtime(other.start)
    return (
        f"{other.practitioner.get_full_name() or other.practitioner} is already booked "
        f"{local:%Y-%m-%d %H:%M}–{timezone.localtime(other.end):%H:%M} "
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
) -> None:
    """Refuse a booking the clinic would not want, with messages for the form: raises
    ValidationError keyed by ``practitioner``, ``start``, ``allow_outside_hours`` and
    ``eligibility_override``."""
    errors: dict[str, list[ValidationError]] = {}
    start, end = appointment.start, appointment.end
    if not appointment.practitioner.groups.filter(name=Role.PHYSIO.value).exists():
        errors.setdefault("practitioner", []).append(
            ValidationError("Only physiotherapists can be booked.", code="not_practitioner")
        )
    if start < now:
        errors.setdefault("start", []).append(
            ValidationError("This time has already passed.", code="past")
        )
    elif start > now + BOOKING_HORIZON:
        errors.setdefault("start", []).append(
            ValidationError("Bookings can be made up to two years ahead.", code="too_far")
        )
    day = timezone.localtime(start).date()
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
    if errors:
        raise ValidationError(errors)


def needling_blocked(*, patient: Patient, day: date) -> str:
    """Why needling cannot be booked for the patient on ``day`` without an override
    note, in front-desk words (no clinical detail); empty if it can."""
    verdict, _ = intake_services.patient_verdict(patient, day)
    if verdict.status != Status.CONTRAINDICATED:
        return ""
    return f"Needling on {day.isoformat()}: {verdict.front_desk_answer()}"


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


@dataclass
class TypeFit:
    """Whether a visit of ``type`` from a given start would be accepted as it is."""

    type: AppointmentType
    runs_into: Appointment | None = None  # the visit it would overlap
    outside_hours: bool = False
    needs_note: str = ""  # why needling needs an override note that day

    @property
    def fits(self) -> bool:
        return self.runs_into is None and not self.outside_hours and not self.needs_note


def types_at(
    *,
    patient: Patient,
    practitioner_id: int,
    location_id: int,
    start: datetime,
    exclude_id: int | None = None,
) -> list[TypeFit]:
    """Each active visit type, with what a booking of it from ``start`` would run into:
    the rules ``_check_booking`` applies (clash, working hours, needling eligibility),
    before the form is sent."""
    types = list(AppointmentType.objects.filter(is_active=True))
    if not types:
        return []
    day = timezone.localtime(start).date()
    needling = any(t.involves_needling for t in types)
    blocked = needling_blocked(patient=patient, day=day) if needling else ""
    longest = max(t.duration for t in types)
    others = list(
        Appointment.objects.overlapping(practitioner_id, start, start + longest)
        .exclude(pk=exclude_id)
        .order_by("start")
    )
    working = practitioner_working_time(practitioner_id, location_id, day)
    fits = []
    for t in types:
        end = start + t.duration
        runs_into = next((o for o in others if o.start < end), None)
        outside = not schedule.covers(working, start, end)
        fits.append(TypeFit(t, runs_into, outside, blocked if t.involves_needling else ""))
    return fits


def type_default(*, patient: Patient, fits: list[TypeFit] | None) -> AppointmentType | None:
    """The long first-visit type for a new patient, the short treatment type after; only
    of the types that fit, when the start is known (``fits``), so none if none fits."""
    if fits is None:
        fitting = list(AppointmentType.objects.filter(is_active=True))
    else:
        fitting = [f.type for f in fits if f.fits]
    if not fitting:
        return None
    first_visit = not patient.appointments.active().exists()
    return max(fitting, key=lambda t: t.duration_minutes if first_visit else -t.duration_minutes)


def course_active(*, patient: Patient) -> Course | None:
    """The patient's open course (not closed), or None. A read: it creates nothing."""
    return patient.courses.filter(closed_on__isnull=True).first()


def course_open_or_get(*, patient: Patient) -> Course:
    """The patient's open course, opened (written) now if they have none; for writes
    only. One open course per patient is a database constraint: of two bookings racing
    to open one, the second waits for the first to commit, fails to insert and takes
    the first one's course."""
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
    they have none. Raises ``ValidationError`` keyed by field (``planned_max`` below
    ``planned_min``)."""
    course = course_open_or_get(patient=patient)
    course.planned_min, course.planned_max = planned_min, planned_max
    course.full_clean()
    course.save()
    return course


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
    now: datetime | None = None,
) -> Appointment:
    """Book a visit; returns the saved appointment. Sends the intake link (first visit,
    no intake yet) and a confirmation (patients who agreed to email) once the booking has
    committed. Raises ValidationError keyed by ``practitioner``, ``start``,
    ``allow_outside_hours`` or ``eligibility_override`` (``_check_booking``), or by the
    Appointment field ``full_clean`` refuses."""
    now = now or timezone.now()
    start = start.astimezone(UTC)  # durations are real time, also across DST changes
    appointment = Appointment(
        patient=patient,
        practitioner=practitioner,
        location=location,
        type=type,
        start=start,
        end=start + type.duration,
        front_desk_note=front_desk_note.strip(),
        eligibility_override=override_note.strip(),
        created_by=created_by,
    )
    _check_booking(
        appointment=appointment,
        override_note=override_note,
        allow_outside_hours=allow_outside_hours,
        now=now,
    )
    appointment.course = course_open_or_get(patient=patient)
    appointment.full_clean(exclude=["course"])
    _save_guarded(appointment)
    _after_booking(appointment, created_by, now)
    return appointment


def _after_booking(appointment: Appointment, booked_by: StaffUser | None, now: datetime) -> None:
    # Scheduled even without email: the send records why it was skipped.
    followups.reminder_schedule(appointment=appointment, now=now)
    patient = appointment.patient
    if not patient.email:
        return
    intake_services.intake_invite_unless_open(patient=patient, sent_by=booked_by, now=now)
    if patient.email_reminders:
        transaction.on_commit(lambda: send_confirmation(appointment.pk))


def send_confirmation(appointment_id: int) -> None:
    appointment = Appointment.objects.select_related("patient", "practitioner", "location").get(
        pk=appointment_id
    )
    if appointment.status != Appointment.Status.BOOKED:
        return
    emails.appointment_confirmation(
        to=appointment.patient.email,
        first_name=appointment.patient.greeting_name,
        start=timezone.localtime(appointment.start),
        practitioner=appointment.practitioner.get_full_name(),
        location=appointment.location,
    )


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
    now: datetime | None = None,
) -> Appointment:
    """Move a booked visit; returns it saved, its reminder moved with it. Raises
    ValidationError keyed by no field when it is no longer booked, else as
    ``appointment_book``."""
    now = now or timezone.now()
    appointment = Appointment.objects.select_for_update().get(pk=appointment.pk)
    if appointment.status != Appointment.Status.BOOKED:
        raise ValidationError("Only a booked appointment can be moved.")
    appointment.practitioner = practitioner
    appointment.location = location
    appointment.type = type
    appointment.start = start.astimezone(UTC)
    appointment.end = appointment.start + type.duration
    appointment.front_desk_note = front_desk_note.strip()
    appointment.eligibility_override = override_note.strip()
    _check_booking(
        appointment=appointment,
        override_note=override_note,
        allow_outside_hours=allow_outside_hours,
        now=now,
    )
    appointment.full_clean()
    _save_guarded(appointment)
    followups.reminder_move(appointment=appointment, now=now)
    return appointment


@transaction.atomic
def appointment_cancel(*, appointment: Appointment, reason: str) -> Appointment:
    """Cancel a visit and its pending messages; returns it. Raises ValidationError keyed
    by no field when its state does not allow it, keyed by ``reason`` when none is given."""
    appointment = Appointment.objects.select_for_update().get(pk=appointment.pk)
    if not appointment.can_become(Appointment.Status.CANCELLED):
        raise ValidationError(
            f"A {appointment.get_status_display().lower()} visit cannot be cancelled."
        )
    if not reason.strip():
        raise ValidationError({"reason": "Please give the reason for cancelling."})
    appointment.status = Appointment.Status.CANCELLED
    appointment.cancellation_reason = reason.strip()
    appointment.save(update_fields=["status", "cancellation_reason", "updated_at"])
    followups.messages_cancel_for(appointment=appointment, kinds=list(ScheduledMessage.Kind))
    return appointment


@transaction.atomic
def appointment_set_status(
    *, appointment: Appointment, status: str, now: datetime | None = None
) -> Appointment:
    """Mark a visit arrived, no-show or completed; returns it. Raises ValidationError
    keyed by no field, with the reason, when its state or the time does not allow it
    (``Appointment.mark_refusal``)."""
    appointment = Appointment.objects.select_for_update().get(pk=appointment.pk)
    if refusal := appointment.mark_refusal(status, now or timezone.now()):
        raise ValidationError(refusal)
    appointment.status = status
    appointment.save(update_fields=["status", "updated_at"])
    return appointment


# --- Calendars ------------------------------------------------------------------------


@dataclass
class Entry:
    start: datetime
    end: datetime
    appointment: Appointment | None = None
    badge: Badge | None = None
    intake_state: str = ""

    @property
    def is_free(self) -> bool:
        return self.appointment is None

    @property
    def book_query(self) -> str:
        """The start for the booking form, as the clinic's wall clock (and which one of a
        repeated time, on the night the clocks go back)."""
        local = timezone.localtime(self.start)
        query: dict[str, str | int] = {"start": f"{local:%Y-%m-%dT%H:%M}", "start_fold": local.fold}
        return urlencode(query)

    @property
    def times(self) -> str:
        """The time range, e.g. 09:00–09:30, in the clinic's time zone (with the zone's
        abbreviation for a time that happens twice, the night the clocks go back)."""
        return f"{_clock(self.start)}–{_clock(self.end)}"


def _clock(moment: datetime) -> str:
    local = timezone.localtime(moment)
    repeats = schedule.wall_clock_repeats(local.replace(tzinfo=None), schedule.clinic_tz())
    return f"{local:%H:%M} {local:%Z}" if repeats else f"{local:%H:%M}"


@dataclass
class Column:
    title: str
    practitioner: StaffUser
    location: Location
    day: date
    entries: list[Entry] = field(default_factory=list)
    working: bool = False

    @property
    def book_query(self) -> str:
        """The practitioner and location for the booking form from one of this column's
        free slots (the entry adds the start; the view gives the booking address)."""
        return urlencode({"practitioner": self.practitioner.pk, "location": self.location.pk})


def _appointments(qs: AppointmentQuerySet, *related: str) -> AppointmentQuerySet:
    """The visits a calendar lists, with what their entries show. ``related``: the
    practitioner and/or location, where the calendar does not already know them."""
    # Prefetched into plain lists (to_attr): a calendar holds a hundred visits or more,
    # and a prefetched manager costs a queryset clone per patient and relation.
    intakes = Intake.objects.order_by("-number").prefetch_related(
        Prefetch(
            "invitations",
            queryset=IntakeInvitation.objects.order_by("-created_at"),
            to_attr="invitation_list",
        )
    )
    return (
        qs.select_related("patient", "type", "course", *related)
        .with_visit_number()
        .prefetch_related(
            Prefetch("patient__intakes", queryset=intakes, to_attr="intake_list"),
            Prefetch("patient__health_updates", to_attr="health_update_list"),
        )
        .order_by("start", "id")
    )


def _entry(appointment: Appointment) -> Entry:
    patient = appointment.patient
    intakes: list[Intake] = patient.intake_list  # type: ignore[attr-defined]  # prefetched (to_attr), newest first
    badge = None
    if appointment.type.involves_needling and appointment.is_active:
        submitted = next((i for i in intakes if i.is_submitted), None)
        updates = patient.health_update_list  # type: ignore[attr-defined]  # prefetched (to_attr)
        facts = intake_services.health_facts(submitted, updates)
        badge = screen(facts, timezone.localtime(appointment.start).date()).booking_badge()
    latest = intakes[0] if intakes else None
    return Entry(
        appointment.start,
        appointment.end,
        appointment,
        badge=badge,
        intake_state=intake_services.intake_state_label(
            latest,
            latest.invitation_list if latest else [],  # type: ignore[attr-defined]  # prefetched (to_attr)
        ),
    )


def _column(
    title: str,
    practitioner: StaffUser,
    location: Location,
    day: date,
    appointments: list[Appointment],
    hours: list[WorkingHours],
    time_off: list[TimeOff],
    now: datetime,
) -> Column:
    working = working_intervals(hours, time_off, day)
    busy = [(a.start, a.end) for a in appointments if a.is_active]
    entries = [_entry(a) for a in appointments]
    entries += [Entry(s, e) for s, e in schedule.free_slots(working, busy, SLOT_LENGTH, now)]
    entries.sort(key=lambda e: (e.start, e.is_free))
    return Column(title, practitioner, location, day, entries, working=bool(working))


def calendar_day(location: Location, day: date, now: datetime | None = None) -> list[Column]:
    """One column per practitioner who works at the location that day or has visits there."""
    now = now or timezone.now()
    start, end = schedule.day_bounds(day, schedule.clinic_tz())
    appointments = list(
        _appointments(
            Appointment.objects.filter(location=location, start__gte=start, start__lt=end)
        )
    )
    hours = list(WorkingHours.objects.filter(location=location, weekday=day.weekday()))
    # Free slots only for practitioners who can be booked; a column for anyone with a
    # visit here, so a visit of someone since deactivated is not lost from the day.
    bookable = practitioners().filter(pk__in=[h.practitioner_id for h in hours])
    staff = list(
        get_user_model()
        .objects.filter(Q(pk__in=bookable) | Q(pk__in=[a.practitioner_id for a in appointments]))
        .annotate(bookable=Exists(bookable.filter(pk=OuterRef("pk"))))
        .order_by("first_name", "last_name", "id")
    )
    # The location and practitioners are known: shared, not loaded again for every visit.
    by_id = {p.pk: p for p in staff}
    for a in appointments:
        a.location = location
        if a.practitioner_id in by_id:
            a.practitioner = by_id[a.practitioner_id]
    time_off = list(TimeOff.objects.filter(day=day, practitioner__in=staff))
    return [
        _column(
            (p.get_full_name() or p.username) + ("" if p.is_active else " (no longer active)"),
            p,
            location,
            day,
            [a for a in appointments if a.practitioner_id == p.pk],
            [h for h in hours if h.practitioner_id == p.pk and p.bookable],
            [t for t in time_off if t.practitioner_id == p.pk],
            now,
        )
        for p in staff
    ]


def visits_on(day: date, practitioner: StaffUser | None = None) -> list[Entry]:
    """The day's visits at every location (one practitioner's, if given), as entries."""
    start, end = schedule.day_bounds(day, schedule.clinic_tz())
    qs = Appointment.objects.filter(start__gte=start, start__lt=end)
    if practitioner is not None:
        qs = qs.filter(practitioner=practitioner)
    return [_entry(a) for a in _appointments(qs, "practitioner", "location")]


def calendar_week(
    practitioner: StaffUser, location: Location, day: date, now: datetime | None = None
) -> list[Column]:
    """One column per day of the week of ``day``, for one practitioner (all locations;
    free slots shown for ``location``)."""
    now = now or timezone.now()
    days = schedule.week_of(day)
    start = schedule.day_bounds(days[0], schedule.clinic_tz())[0]
    end = schedule.day_bounds(days[-1], schedule.clinic_tz())[1]
    appointments = list(
        _appointments(
            Appointment.objects.filter(practitioner=practitioner, start__gte=start, start__lt=end),
            "location",
        )
    )
    for a in appointments:
        a.practitioner = practitioner
    hours = list(WorkingHours.objects.filter(practitioner=practitioner, location=location))
    time_off = list(TimeOff.objects.filter(practitioner=practitioner, day__in=days))
    columns = []
    for d in days:
        todays = [a for a in appointments if timezone.localtime(a.start).date() == d]
        columns.append(
            _column(f"{d:%a %b} {d.day}", practitioner, location, d, todays, hours, time_off, now)
        )
    return columns


# --- Practitioner calendar feed ---------------------------------------------------------


@transaction.atomic
def feed_create(*, practitioner: StaffUser) -> CalendarFeed:
    """A new secret feed address; the previous one stops working. Two requests at once
    take turns (the practitioner's row is locked), so one address is ever live; the
    database holds that too (one_live_feed_per_practitioner)."""
    get_user_model().objects.select_for_update().filter(pk=practitioner.pk).first()
    feed_revoke(practitioner=practitioner)
    return CalendarFeed.objects.create(practitioner=practitioner, nonce=secrets.token_urlsafe(24))


def feed_revoke(*, practitioner: StaffUser) -> None:
    """Stop the practitioner's live feed address working."""
    CalendarFeed.objects.filter(practitioner=practitioner, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )


def feed_url(feed: CalendarFeed) -> str:
    """The feed's full secret address."""
    return link_to(FEED_PURPOSE, feed, "sessions:calendar-feed")


def feed_expires_at(feed: CalendarFeed) -> datetime:
    """When the feed's address stops working (CALENDAR_FEED_DAYS after it was made)."""
    return feed.created_at + timedelta(days=settings.CALENDAR_FEED_DAYS)


def feed_from_token(token: str, now: datetime | None = None) -> CalendarFeed | None:
    """The feed a link opens: genuine, not revoked, within CALENDAR_FEED_DAYS."""
    now = now or timezone.now()
    feeds = CalendarFeed.objects.select_related("practitioner").filter(
        revoked_at__isnull=True, created_at__gt=now - timedelta(days=settings.CALENDAR_FEED_DAYS)
    )
    return row_from_token(FEED_PURPOSE, token, feeds)


def feed_ics(feed: CalendarFeed, now: datetime | None = None) -> bytes:
    """iCalendar (RFC 5545) text of the practitioner's active visits from 30 days back:
    patient initials and visit type only, never clinical detail. The ``icalendar``
    library escapes, folds long lines and writes CRLF; times are in UTC."""
    now = now or timezone.now()
    appointments = (
        Appointment.objects.active()
        .filter(practitioner=feed.practitioner, start__gte=now - timedelta(days=30))
        .select_related("patient", "type", "location")
        .order_by("start")[:2000]
    )
    host = settings.SITE_URL.split("://")[-1]
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//IMS Clinic//Calendar feed//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", _feed_text(settings.CLINIC_NAME))
    for a in appointments:
        event = icalendar.Event()
        event.add("uid", f"appointment-{a.pk}@{host}")
        event.add("dtstamp", now.astimezone(UTC))
        event.add("dtstart", a.start.astimezone(UTC))
        event.add("dtend", a.end.astimezone(UTC))
        event.add("summary", _feed_text(f"{a.patient.initials} – {a.type.name}"))
        event.add("location", _feed_text(a.location.name))
        calendar.add_component(event)
    return calendar.to_ical()


def _feed_text(text: str) -> str:
    """Line breaks of any kind as one newline (the library writes it as \\n); other
    control characters are not allowed in iCalendar text and are dropped."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return "".join(c for c in text if c in "\t\n" or unicodedata.category(c) != "Cc")
