"""Free slots for online booking, from the same rules as the front-desk calendar:
working hours at the location, time off, every active visit of the practitioner (at
any location), and live holds (``SlotHold.objects.live``). Four queries for any range
and any number of visits; the rest is ``sessions.schedule`` arithmetic.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import QuerySet

from clinic import clock
from clinic.types import StaffUser
from sessions import schedule
from sessions.booking.models import (
    LONGEST_VISIT,
    Appointment,
    AppointmentType,
    Location,
    TimeOff,
    WorkingHours,
)
from sessions.booking.selectors import (
    practitioner_working_time,
    practitioners,
    working_intervals,
)
from sessions.online.models import OnlineBookingPolicy, SlotHold

# Starts fall on this grid from the start of each free stretch.
STEP = timedelta(minutes=15)


@dataclass(frozen=True)
class Slot:
    """A free time of ``type``'s length with one practitioner; aware, in UTC."""

    practitioner_id: int
    start: datetime
    end: datetime

    @property
    def day(self) -> date:
        return clock.clinic_day(self.start)


def online_practitioners(policy: OnlineBookingPolicy | None = None) -> QuerySet[StaffUser]:
    """The active physiotherapists the clinic lets patients book online, by name."""
    policy = policy or OnlineBookingPolicy.get()
    ids = policy.practitioners.values("pk")
    return practitioners().filter(pk__in=ids)


def window(policy: OnlineBookingPolicy, now: datetime) -> tuple[datetime, date]:
    """(the earliest start a patient may book at ``now``, the last clinic day they may
    book): minimum notice and horizon of the policy."""
    earliest = now + timedelta(hours=policy.min_notice_hours)
    return earliest, clock.clinic_day(now) + timedelta(days=policy.horizon_days)


def switched_on(
    location: Location,
    type: AppointmentType,
    practitioner_id: int | None = None,
    policy: OnlineBookingPolicy | None = None,
) -> bool:
    """Whether the clinic offers ``type`` at ``location`` online (both active and
    switched on) and, given ``practitioner_id``, with that practitioner (an active
    physiotherapist taking online bookings). One query with a practitioner, else none."""
    if not (location.books_online and location.is_active):
        return False
    if not (type.bookable_online and type.is_active):
        return False
    if practitioner_id is None:
        return True
    return online_practitioners(policy).filter(pk=practitioner_id).exists()


def offered_online(
    location: Location,
    type: AppointmentType,
    practitioner_id: int,
    start: datetime,
    end: datetime,
    now: datetime,
    policy: OnlineBookingPolicy | None = None,
) -> bool:
    """Whether [start, end) with the practitioner at the location may be booked online
    at ``now``: the switches (``switched_on``), the policy's window (minimum notice,
    horizon) and the practitioner's working hours there (time off included). Whether it
    is free and who may book it are other questions (``slot_is_free``,
    ``eligibility.refusal``). The one rule holding, booking a hold and moving a visit
    all ask. A few queries; raises nothing."""
    policy = policy or OnlineBookingPolicy.get()
    earliest, last_day = window(policy, now)
    day = clock.clinic_day(start)
    if start < earliest or day > last_day:
        return False
    if not switched_on(location, type, practitioner_id, policy):
        return False
    working = practitioner_working_time(practitioner_id, location.pk, day)
    return schedule.covers(working, start, end)


def free_slots(
    *,
    location: Location,
    type: AppointmentType,
    practitioner_ids: list[int],
    day_from: date,
    day_to: date,
    not_before: datetime,
    now: datetime,
    ignore_hold_id: int | None = None,
    ignore_appointment_id: int | None = None,
) -> dict[date, list[Slot]]:
    """Each clinic day from ``day_from`` to ``day_to`` (both included) with its free
    slots of ``type`` with the given practitioners at ``location``, starting at or after
    ``not_before``, by start then practitioner order. ``ignore_hold_id`` and
    ``ignore_appointment_id`` do not count as busy (the asker's own hold; the visit a
    patient is moving). Days with no slot are left out. Four queries; raises nothing."""
    if not practitioner_ids or day_to < day_from:
        return {}
    tz = clock.clinic_tz()
    range_start, _ = schedule.day_bounds(day_from, tz)
    _, range_end = schedule.day_bounds(day_to, tz)
    hours: dict[int, list[WorkingHours]] = defaultdict(list)
    for h in WorkingHours.objects.filter(location=location, practitioner_id__in=practitioner_ids):
        hours[h.practitioner_id].append(h)
    if not hours:
        return {}
    off: dict[int, list[TimeOff]] = defaultdict(list)
    for t in TimeOff.objects.filter(
        practitioner_id__in=list(hours), day__gte=day_from, day__lte=day_to
    ):
        off[t.practitioner_id].append(t)
    busy: dict[int, list[schedule.Interval]] = defaultdict(list)
    visits = (
        Appointment.objects.active()
        .filter(
            practitioner_id__in=list(hours),
            start__lt=range_end,
            start__gt=range_start - LONGEST_VISIT,
            end__gt=range_start,
        )
        .exclude(pk=ignore_appointment_id)
        .values_list("practitioner_id", "start", "end")
    )
    held = (
        SlotHold.objects.live(now)
        .filter(
            practitioner_id__in=list(hours),
            start__lt=range_end,
            start__gt=range_start - LONGEST_VISIT,
            end__gt=range_start,
        )
        .exclude(pk=ignore_hold_id)
        .values_list("practitioner_id", "start", "end")
    )
    for practitioner_id, start, end in [*visits, *held]:
        busy[practitioner_id].append((start, end))
    order = {pk: i for i, pk in enumerate(practitioner_ids)}
    length = type.duration
    days: dict[date, list[Slot]] = {}
    day = day_from
    while day <= day_to:
        found: list[Slot] = []
        day_start, day_end = schedule.day_bounds(day, tz)
        for practitioner_id, their_hours in hours.items():
            working = working_intervals(their_hours, off[practitioner_id], day)
            if not working:
                continue
            # Only the day's busy times: subtracting a whole week's from each day costs
            # most of the time at bench scale (40 practitioners, 5,000 visits a week).
            todays = [b for b in busy[practitioner_id] if b[0] < day_end and b[1] > day_start]
            for start, end in schedule.subtract(working, todays):
                cursor = start
                while cursor + length <= end:
                    if cursor >= not_before:
                        found.append(Slot(practitioner_id, cursor, cursor + length))
                    cursor += STEP
        if found:
            found.sort(key=lambda s: (s.start, order.get(s.practitioner_id, 0)))
            days[day] = found
        day += timedelta(days=1)
    return days


def first_available(days: dict[date, list[Slot]]) -> dict[date, list[Slot]]:
    """The same days with one slot per start time: the first practitioner in order who
    is free then ("first available" instead of a chosen practitioner)."""
    merged: dict[date, list[Slot]] = {}
    for day, slots in days.items():
        by_start: dict[datetime, Slot] = {}
        for slot in slots:
            by_start.setdefault(slot.start, slot)
        merged[day] = list(by_start.values())
    return merged


def slot_is_free(
    *,
    practitioner_id: int,
    start: datetime,
    end: datetime,
    now: datetime,
    ignore_hold_id: int | None = None,
    ignore_appointment_id: int | None = None,
) -> bool:
    """Whether no active visit and no live hold (other than those ignored) overlaps
    [start, end) for the practitioner. Working hours are the caller's to check."""
    visits = Appointment.objects.overlapping(practitioner_id, start, end).exclude(
        pk=ignore_appointment_id
    )
    holds = SlotHold.objects.overlapping(practitioner_id, start, end, now).exclude(
        pk=ignore_hold_id
    )
    return not visits.exists() and not holds.exists()
