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
