"""The clinic's clock: the one place that turns a moment into clinic wall-clock time.

The clinic's zone is ``settings.TIME_ZONE``. Django's ``timezone.localtime()`` and
``localdate()`` use the *active* zone instead, which is the same today (no middleware
activates another) but would not be if a request or task ever activated one: the day of
a visit, "today" on a calendar and the dates in messages must not change with it. Every
module outside this one asks here (``tests/clinic/test_clock.py`` keeps that true).
Templates' ``|date`` and ``|time`` filters use the active zone, which is this one while
nothing activates another.
"""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.utils import timezone


def clinic_tz() -> ZoneInfo:
    """The clinic's time zone (``settings.TIME_ZONE``): working hours, quiet hours and
    the days of the calendar are wall-clock times there."""
    return timezone.get_default_timezone()


def clinic_localtime(moment: datetime | None = None) -> datetime:
    """An aware moment (default: now) as an aware datetime in the clinic's zone."""
    return timezone.localtime(moment, clinic_tz())


def clinic_day(moment: datetime | None = None) -> date:
    """The clinic's calendar day of an aware moment (default: today)."""
    return clinic_localtime(moment).date()


def clinic_today() -> date:
    """Today's date on the clinic's wall clock."""
    return clinic_day()
