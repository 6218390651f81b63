"""Time arithmetic for the calendar: plain functions over aware datetimes, no database.

Working hours are wall-clock times in the clinic's zone (``clinic.clock.clinic_tz()``,
which callers pass in as ``tz``); they become moments in UTC per day, so a
daylight-saving day has its real length (23 or 25 hours). UTC matters: Python compares
and subtracts datetimes sharing one tzinfo by wall clock.
"""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

Interval = tuple[datetime, datetime]


def at(day: date, clock: time, tz: ZoneInfo) -> datetime:
    """The moment (in UTC) of a wall-clock time on a day (the earlier one if it repeats)."""
    return datetime.combine(day, clock, tzinfo=tz).astimezone(UTC)


def wall_clock_missing(wall: datetime, tz: ZoneInfo) -> bool:
    """Whether a naive wall-clock time is skipped when the clocks go forward."""
    there_and_back = wall.replace(tzinfo=tz).astimezone(UTC).astimezone(tz)
    return there_and_back.replace(tzinfo=None) != wall


def wall_clock_repeats(wall: datetime, tz: ZoneInfo) -> bool:
    """Whether a naive wall-clock time happens twice when the clocks go back."""
    first, second = (wall.replace(tzinfo=tz, fold=fold) for fold in (0, 1))
    return first.utcoffset() != second.utcoffset() and not wall_clock_missing(wall, tz)


def moment(wall: datetime, tz: ZoneInfo, *, second: bool = False) -> datetime:
    """The moment (in UTC) of a naive wall-clock time; ``second``: the later one of a
    repeated time. A time that does not exist is the caller's to refuse."""
    return wall.replace(tzinfo=tz, fold=int(second)).astimezone(UTC)


def day_bounds(day: date, tz: ZoneInfo) -> Interval:
    return at(day, time(0), tz), at(day + timedelta(days=1), time(0), tz)


def subtract(intervals: list[Interval], busy: list[Interval]) -> list[Interval]:
    """The parts of ``intervals`` that no ``busy`` interval covers (half-open)."""
    result = []
    for start, end in intervals:
        pieces = [(start, end)]
        for b_start, b_end in busy:
            next_pieces = []
            for p_start, p_end in pieces:
                if b_end <= p_start or b_start >= p_end:
                    next_pieces.append((p_start, p_end))
                    continue
                if p_start < b_start:
                    next_pieces.append((p_start, b_start))
                if b_end < p_end:
                    next_pieces.append((b_end, p_end))
            pieces = next_pieces
        result.extend(pieces)
    return sorted(result)


def free_slots(
    working: list[Interval], busy: list[Interval], length: timedelta, not_before: datetime
) -> list[Interval]:
    """Bookable slots of ``length`` inside working time, clear of ``busy``, after ``not_before``."""
    slots = []
    for start, end in subtract(working, busy):
        cursor = start
        while cursor + length <= end:
            if cursor >= not_before:
                slots.append((cursor, cursor + length))
            cursor += length
    return slots


def covers(intervals: list[Interval], start: datetime, end: datetime) -> bool:
    """Whether [start, end) lies entirely inside one of ``intervals``."""
    return any(i_start <= start and end <= i_end for i_start, i_end in intervals)


def week_of(day: date) -> list[date]:
    monday = day - timedelta(days=day.weekday())
    return [monday + timedelta(days=i) for i in range(7)]


def clock(text: str) -> time:
    hour, minute = (int(part) for part in text.split(":"))
    return time(hour, minute)


def out_of_quiet_hours(moment: datetime, start: time, end: time, tz: ZoneInfo) -> datetime:
    """``moment``, or the end of the quiet hours it falls in (clinic wall-clock)."""
    local = moment.astimezone(tz)
    wall = local.time()
    overnight = start > end  # e.g. 21:00-08:00
    quiet = (wall >= start or wall < end) if overnight else (start <= wall < end)
    if not quiet:
        return moment
    day = local.date()
    if overnight and wall >= start:
        day += timedelta(days=1)
    return at(day, end, tz)


def reminder_due(visit_start: datetime, reminder_at: time, tz: ZoneInfo) -> datetime:
    """The day before the visit, at the reminder time (clinic wall-clock)."""
    day_before = visit_start.astimezone(tz).date() - timedelta(days=1)
    return at(day_before, reminder_at, tz)


def day_words(moment: datetime, now: datetime, tz: ZoneInfo) -> str:
    """How a message sent at ``now`` names the day of ``moment``: "today", "tomorrow",
    or "on Tuesday 24 November" (clinic calendar days, not 24-hour spans)."""
    local = moment.astimezone(tz)
    days = (local.date() - now.astimezone(tz).date()).days
    if days == 0:
        return "today"
    if days == 1:
        return "tomorrow"
    return f"on {local:%A} {local.day} {local:%B}"


def retry_delay(attempt: int) -> timedelta:
    """Back-off after a failed send: 1, 2, 4, 8... minutes, at most an hour."""
    return timedelta(minutes=min(2 ** max(attempt - 1, 0), 60))
