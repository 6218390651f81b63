"""Pure time arithmetic: no database."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sessions import schedule

TZ = ZoneInfo("America/Edmonton")
DAY = date(2026, 11, 23)
HALF_HOUR = timedelta(minutes=30)


def at(hour, minute=0, day=DAY):
    return schedule.at(day, time(hour, minute), TZ)


def local(moment: datetime) -> str:
    return moment.astimezone(TZ).strftime("%H:%M")


def test_free_slots_fill_working_time_around_visits():
    working = [(at(9), at(12))]
    busy = [(at(10), at(11))]
    slots = schedule.free_slots(working, busy, HALF_HOUR, not_before=at(0))
    assert [local(s) for s, _ in slots] == ["09:00", "09:30", "11:00", "11:30"]


def test_back_to_back_visits_leave_no_gap_and_no_overlap():
    busy = [(at(9), at(9, 30)), (at(9, 30), at(10))]
    slots = schedule.free_slots([(at(9), at(11))], busy, HALF_HOUR, not_before=at(0))
    assert [local(s) for s, _ in slots] == ["10:00", "10:30"]


def test_a_gap_shorter_than_a_slot_offers_nothing():
    busy = [(at(9), at(9, 45))]
    slots = schedule.free_slots([(at(9), at(10))], busy, HALF_HOUR, not_before=at(0))
    assert slots == []


def test_past_slots_are_not_offered():
    slots = schedule.free_slots([(at(9), at(11))], [], HALF_HOUR, not_before=at(9, 45))
    assert [local(s) for s, _ in slots] == ["10:00", "10:30"]


def test_covers_requires_the_whole_visit_inside_working_time():
    working = [(at(9), at(12))]
    assert schedule.covers(working, at(11, 30), at(12))
    assert not schedule.covers(working, at(11, 45), at(12, 15))
    assert not schedule.covers(working, at(8, 30), at(9, 30))


def test_subtract_splits_around_time_off():
    result = schedule.subtract([(at(8), at(16))], [(at(12), at(13))])
    assert result == [(at(8), at(12)), (at(13), at(16))]


def test_spring_forward_day_has_23_hours():
    start, end = schedule.day_bounds(date(2026, 3, 8), TZ)
    assert end - start == timedelta(hours=23)


def test_fall_back_day_has_25_hours():
    start, end = schedule.day_bounds(date(2026, 11, 1), TZ)
    assert end - start == timedelta(hours=25)


def test_working_hours_keep_wall_clock_times_across_daylight_saving():
    before = schedule.at(date(2026, 3, 7), time(9), TZ)
    after = schedule.at(date(2026, 3, 9), time(9), TZ)
    assert before.astimezone(TZ).utcoffset() == timedelta(hours=-7)
    assert after.astimezone(TZ).utcoffset() == timedelta(hours=-6)
    assert after - before == timedelta(days=2, hours=-1)
    assert local(before) == local(after) == "09:00"


def test_week_starts_on_monday():
    week = schedule.week_of(date(2026, 11, 26))
    assert week[0] == date(2026, 11, 23) and week[-1] == date(2026, 11, 29)


def test_a_visit_later_the_same_clinic_day_is_today():
    assert schedule.day_words(at(9), at(8), TZ) == "today"


def test_a_visit_the_next_clinic_day_is_tomorrow_even_minutes_after_midnight():
    # 23:59 on the 23rd to 00:01 on the 24th: tomorrow, though two minutes apart.
    assert schedule.day_words(at(0, 1, DAY + timedelta(days=1)), at(23, 59), TZ) == "tomorrow"


def test_late_evening_utc_is_still_the_clinic_day():
    # 22:00 in Calgary is already the 24th in UTC; the visit at 09:00 on the 24th is
    # tomorrow, not today.
    assert schedule.day_words(at(9, day=DAY + timedelta(days=1)), at(22), TZ) == "tomorrow"


def test_a_visit_two_days_away_is_named_by_weekday_and_date():
    wednesday = at(9, day=date(2026, 11, 25))
    assert schedule.day_words(wednesday, at(10), TZ) == "on Wednesday 25 November"


def wall(*args) -> datetime:
    """A naive wall-clock time, as a form gives it."""
    return datetime(*args, tzinfo=TZ).replace(tzinfo=None)


FALL_BACK_0130 = wall(2027, 11, 7, 1, 30)
SPRING_FORWARD_0230 = wall(2027, 3, 14, 2, 30)


def test_half_past_one_on_the_fall_back_night_happens_twice():
    assert schedule.wall_clock_repeats(FALL_BACK_0130, TZ)
    assert not schedule.wall_clock_missing(FALL_BACK_0130, TZ)
    first = schedule.moment(FALL_BACK_0130, TZ)
    second = schedule.moment(FALL_BACK_0130, TZ, second=True)
    assert second - first == timedelta(hours=1)
    assert first.astimezone(TZ).tzname() == "MDT" and second.astimezone(TZ).tzname() == "MST"


def test_half_past_two_on_the_spring_forward_night_does_not_exist():
    assert schedule.wall_clock_missing(SPRING_FORWARD_0230, TZ)
    assert not schedule.wall_clock_repeats(SPRING_FORWARD_0230, TZ)


def test_an_ordinary_time_neither_repeats_nor_is_missing():
    for time_ in (
        wall(2027, 11, 7, 2, 0),
        wall(2027, 11, 7, 0, 59),
        wall(2027, 3, 14, 3),
    ):
        assert not schedule.wall_clock_repeats(time_, TZ)
        assert not schedule.wall_clock_missing(time_, TZ)
