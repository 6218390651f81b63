"""One clinic clock: the day of a moment is the clinic's (``settings.TIME_ZONE``,
America/Edmonton in tests), whatever zone is active, and only ``clinic/clock.py`` asks
Django for local time."""

import ast
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import time_machine
from django.utils import timezone

from clinic import clock
from sessions.booking.models import Appointment
from sessions.charting.models import Visit

ROOT = Path(__file__).resolve().parents[2]

# 02:30 UTC on 10 March is 19:30 on 9 March in Edmonton: a different day in UTC.
EVENING = datetime(2027, 3, 10, 2, 30, tzinfo=UTC)


def test_the_clinic_time_zone_is_the_configured_one(settings):
    settings.TIME_ZONE = "America/Halifax"
    assert clock.clinic_tz() == ZoneInfo("America/Halifax")


def test_the_clinic_day_ignores_the_active_zone():
    with timezone.override("UTC"):
        assert timezone.localdate(EVENING) == date(2027, 3, 10)
        assert clock.clinic_day(EVENING) == date(2027, 3, 9)
        assert clock.clinic_localtime(EVENING).hour == 19


def test_today_is_the_clinics_today_whatever_zone_is_active():
    with time_machine.travel(EVENING, tick=False), timezone.override("UTC"):
        assert clock.clinic_today() == date(2027, 3, 9)
        assert clock.clinic_localtime().date() == date(2027, 3, 9)


def test_an_appointment_and_its_visit_fall_on_the_clinic_day():
    appointment = Appointment(start=EVENING, end=EVENING)
    with timezone.override("UTC"):
        assert appointment.day == date(2027, 3, 9)
        assert Visit(appointment=appointment).day == date(2027, 3, 9)


def test_arrival_is_allowed_on_the_clinic_day_even_when_utc_is_already_tomorrow():
    appointment = Appointment(start=EVENING, end=EVENING, status=Appointment.Status.BOOKED)
    earlier_that_day = datetime(2027, 3, 9, 16, 0, tzinfo=UTC)  # 09:00 in Edmonton
    with timezone.override("UTC"):
        assert appointment.mark_refusal(Appointment.Status.ARRIVED, earlier_that_day) is None


def local_time_calls(path: Path) -> list[int]:
    """Lines calling ``timezone.localtime(``/``localdate(`` or the bare imported names."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        named = (
            func.attr
            if isinstance(func, ast.Attribute)
            and isinstance(func.value, ast.Name)
            and func.value.id == "timezone"
            else func.id
            if isinstance(func, ast.Name)
            else None
        )
        if named in ("localtime", "localdate"):
            found.append(node.lineno)
    return found


def modules_asking_django_for_local_time() -> list[str]:
    found = []
    for package in ("clinic", "intake", "sessions"):
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if "/migrations/" in relative or relative == "clinic/clock.py":
                continue
            found += [f"{relative}:{line}" for line in local_time_calls(path)]
    return found


def test_only_the_clinic_clock_asks_django_for_local_time():
    assert modules_asking_django_for_local_time() == []


def test_the_local_time_check_finds_a_planted_call(tmp_path):
    planted = tmp_path / "planted.py"
    planted.write_text(
        "from django.utils import timezone\n"
        "from django.utils.timezone import localdate\n"
        "a = timezone.localtime(None)\n"
        "b = localdate()\n"
    )
    assert local_time_calls(planted) == [3, 4]
