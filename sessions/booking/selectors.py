"""Booking's reads: who can be booked, working time, which visit types fit a start,
the open course, and the day and week calendars."""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.http import urlencode

from clinic import clock
from clinic.roles import Role, display_name
from clinic.types import StaffUser
from intake import services as intake_services
from intake.models import Intake, IntakeInvitation, Patient
from intake.screening import Badge, Outcome
from sessions import schedule
from sessions.billing.documents import Invoice
from sessions.billing.rules import Authorisation
from sessions.billing.selectors import visit_authorisation, with_case_visit_number
from sessions.booking.models import (
    Appointment,
    AppointmentQuerySet,
    AppointmentType,
    Course,
    Location,
    TimeOff,
    WorkingHours,
)
from sessions.followups.models import ScheduledMessage
from sessions.followups.services import reminder_key
from sessions.online.models import SlotHold

SLOT_LENGTH = timedelta(minutes=30)


def practitioners() -> QuerySet[StaffUser]:
    """Active physiotherapists, by name: the staff a visit can be booked with (the
    booking forms offer these, and the booking's save refuses anyone else)."""
    return (
        get_user_model()
        .objects.filter(groups__name=Role.PHYSIO.value, is_active=True)
        .order_by("first_name", "last_name", "id")
    )


# --- Working time -------------------------------------------------------------------


def working_intervals(
    hours: list[WorkingHours], time_off: list[TimeOff], day: date
) -> list[schedule.Interval]:
    """A practitioner's working time on ``day`` from their hours and time off there. A
    time off without a start or an end is the whole day off."""
    tz = clock.clinic_tz()
    working = [
        (schedule.at(day, h.starts, tz), schedule.at(day, h.ends, tz))
        for h in hours
        if h.weekday == day.weekday()
    ]
    off: list[schedule.Interval] = []
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


# --- What a booking would run into ------------------------------------------------------


def needling_blocked(*, patient: Patient, day: date) -> str:
    """Why needling cannot be booked for the patient on ``day`` without an override
    note, in front-desk words (no clinical detail); empty if it can. Raises nothing."""
    verdict = intake_services.patient_verdict(patient, day).verdict
    if verdict.outcome != Outcome.CONTRAINDICATED:
        return ""
    return f"Needling on {day.isoformat()}: {verdict.front_desk_answer()}"


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
    the rules a booking's save applies (clash, working hours, needling eligibility),
    before the form is sent."""
    types = list(AppointmentType.objects.filter(is_active=True))
    if not types:
        return []
    day = clock.clinic_day(start)
    needling = any(t.involves_needling for t in types)
    blocked = needling_blocked(patient=patient, day=day) if needling else ""
    longest = max(t.duration for t in types)
    others = list(
        Appointment.objects.overlapping(practitioner_id, start, start + longest)
        .exclude(pk=exclude_id)
        .order_by("start")
    )
    working = practitioner_working_time(practitioner_id, location_id, day)
    fits: list[TypeFit] = []
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


# --- Calendars ------------------------------------------------------------------------


@dataclass
class Entry:
    start: datetime
    end: datetime
    appointment: Appointment | None = None
    badge: Badge | None = None
    intake_state: str = ""
    authorisation: Authorisation | None = None  # under a payer case: "visit k of N"
    # A time someone is booking online right now (a live ``SlotHold``): until when.
    held_until: datetime | None = None
    # Whether the patient said they will come: a ``Confirm`` value for a booked visit
    # still to come, empty for any other entry (``confirmation_state``).
    confirmation: str = ""

    @property
    def is_free(self) -> bool:
        return self.appointment is None and self.held_until is None

    @property
    def is_held(self) -> bool:
        return self.held_until is not None

    @property
    def booked_online(self) -> bool:
        """The patient booked it themselves (``sessions.online``)."""
        return self.appointment is not None and self.appointment.booked_online

    @property
    def awaiting_approval(self) -> bool:
        """An online booking front desk has not approved yet (the patient's confirmation
        waits for it)."""
        a = self.appointment
        return a is not None and a.needs_approval and a.status == Appointment.Status.BOOKED

    @property
    def book_query(self) -> str:
        """The start for the booking form, as the clinic's wall clock (and which one of a
        repeated time, on the night the clocks go back)."""
        local = clock.clinic_localtime(self.start)
        query: dict[str, str | int] = {"start": f"{local:%Y-%m-%dT%H:%M}", "start_fold": local.fold}
        return urlencode(query)

    @property
    def times(self) -> str:
        """The time range, e.g. 09:00–09:30, in the clinic's time zone (with the zone's
        abbreviation for a time that happens twice, the night the clocks go back)."""
        return f"{_clock(self.start)}–{_clock(self.end)}"


class Confirm:
    """The confirmation marks of a calendar entry (``Entry.confirmation``)."""

    CONFIRMED = "confirmed"
    NOT_CONFIRMED = "not_confirmed"
    # Its reminder went out and the patient has not answered: front desk calls.
    CALL = "call"


def confirmation_state(appointment: Appointment, now: datetime) -> str:
    """The ``Confirm`` mark of a visit at ``now``: empty unless it could be confirmed
    (``Appointment.confirm_refusal``: booked, approved, not started); ``CALL`` when
    the reminder for its current time was sent (``reminder_sent_key``, annotated by
    ``_appointments``) and the patient has not confirmed."""
    if appointment.confirm_refusal(now) is not None:
        return ""
    if appointment.confirmed_at is not None:
        return Confirm.CONFIRMED
    # A reminder for an earlier time of a moved visit does not count.
    if getattr(appointment, "reminder_sent_key", None) == reminder_key(appointment):
        return Confirm.CALL
    return Confirm.NOT_CONFIRMED


def _clock(moment: datetime) -> str:
    local = clock.clinic_localtime(moment)
    repeats = schedule.wall_clock_repeats(local.replace(tzinfo=None), clock.clinic_tz())
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
    invoiced = Invoice.objects.live().filter(appointment=OuterRef("pk"))
    # The key of the latest reminder sent (its key names the time it was for): the
    # appointment foreign key's index finds a visit's messages.
    reminded = ScheduledMessage.objects.filter(
        appointment=OuterRef("pk"),
        kind=ScheduledMessage.Kind.REMINDER,
        status=ScheduledMessage.Status.SENT,
    ).order_by("-sent_at", "-id")
    return (
        with_case_visit_number(
            qs.select_related("patient", "type", "course", "payer_case", "missed_fee", *related)
        )
        .with_visit_number()
        .annotate(
            is_invoiced=Exists(invoiced),
            reminder_sent_key=Subquery(reminded.values("key")[:1]),
        )
        .prefetch_related(
            Prefetch("patient__intakes", queryset=intakes, to_attr="intake_list"),
            Prefetch("patient__health_updates", to_attr="health_update_list"),
        )
        .order_by("start", "id")
    )


def _entry(appointment: Appointment, now: datetime) -> Entry:
    patient = appointment.patient
    intakes: list[Intake] = patient.intake_list  # type: ignore[attr-defined]  # prefetched (to_attr), newest first
    badge = None
    if appointment.type.involves_needling and appointment.is_active:
        day = appointment.day
        screening = intake_services.patient_verdict(
            patient,
            day,
            intakes=intakes,
            updates=patient.health_update_list,  # type: ignore[attr-defined]  # prefetched (to_attr)
        )
        badge = screening.verdict.booking_badge()
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
        authorisation=visit_authorisation(appointment),
        confirmation=confirmation_state(appointment, now),
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
    holds: list[SlotHold],
) -> Column:
    working = working_intervals(hours, time_off, day)
    busy = [(a.start, a.end) for a in appointments if a.is_active]
    busy += [(h.start, h.end) for h in holds]
    entries = [_entry(a, now) for a in appointments]
    entries += [Entry(h.start, h.end, held_until=h.expires_at) for h in holds]
    entries += [Entry(s, e) for s, e in schedule.free_slots(working, busy, SLOT_LENGTH, now)]
    entries.sort(key=lambda e: (e.start, e.is_free))
    return Column(title, practitioner, location, day, entries, working=bool(working))


def calendar_day(location: Location, day: date, now: datetime | None = None) -> list[Column]:
    """One column per practitioner who works at the location that day or has visits there."""
    now = now or timezone.now()
    start, end = schedule.day_bounds(day, clock.clinic_tz())
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
    # Times being booked online right now (at any location: a practitioner is in one
    # place at a time) are not offered as free.
    holds = list(
        SlotHold.objects.live(now).filter(practitioner__in=staff, start__lt=end, end__gt=start)
    )
    return [
        _column(
            display_name(p) + ("" if p.is_active else " (no longer active)"),
            p,
            location,
            day,
            [a for a in appointments if a.practitioner_id == p.pk],
            [h for h in hours if h.practitioner_id == p.pk and p.bookable],
            [t for t in time_off if t.practitioner_id == p.pk],
            now,
            [h for h in holds if h.practitioner_id == p.pk],
        )
        for p in staff
    ]


def visits_on(day: date, practitioner: StaffUser | None = None) -> list[Entry]:
    """The day's visits at every location (one practitioner's, if given), as entries."""
    start, end = schedule.day_bounds(day, clock.clinic_tz())
    qs = Appointment.objects.filter(start__gte=start, start__lt=end)
    if practitioner is not None:
        qs = qs.filter(practitioner=practitioner)
    now = timezone.now()
    return [_entry(a, now) for a in _appointments(qs, "practitioner", "location")]


def calendar_week(
    practitioner: StaffUser, location: Location, day: date, now: datetime | None = None
) -> list[Column]:
    """One column per day of the week of ``day``, for one practitioner (all locations;
    free slots shown for ``location``)."""
    now = now or timezone.now()
    days = schedule.week_of(day)
    start = schedule.day_bounds(days[0], clock.clinic_tz())[0]
    end = schedule.day_bounds(days[-1], clock.clinic_tz())[1]
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
    holds = list(
        SlotHold.objects.live(now).filter(practitioner=practitioner, start__lt=end, end__gt=start)
    )
    columns: list[Column] = []
    for d in days:
        todays = [a for a in appointments if a.day == d]
        held = [h for h in holds if h.day == d]
        columns.append(
            _column(
                f"{d:%a %b} {d.day}", practitioner, location, d, todays, hours, time_off, now, held
            )
        )
    return columns
