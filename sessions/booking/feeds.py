"""A practitioner's calendar feed: a secret, revocable iCalendar address for their
phone, and the text it serves."""

import secrets
import unicodedata
from datetime import UTC, datetime, timedelta

import icalendar
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from clinic.links import issued_after, link_to, row_from_token
from clinic.types import StaffUser
from sessions.booking.models import Appointment, CalendarFeed

FEED_PURPOSE = "calendar-feed"


@transaction.atomic
def feed_create(*, practitioner: StaffUser) -> CalendarFeed:
    """A new secret feed address, returned; the previous one stops working. Two requests
    at once take turns (the practitioner's row is locked), so one address is ever live;
    the database holds that too (one_live_feed_per_practitioner). Raises nothing."""
    get_user_model().objects.select_for_update().filter(pk=practitioner.pk).first()
    feed_revoke(practitioner=practitioner)
    return CalendarFeed.objects.create(practitioner=practitioner, nonce=secrets.token_urlsafe(24))


def feed_revoke(*, practitioner: StaffUser) -> None:
    """Stop the practitioner's live feed address working. Raises nothing: with no live
    feed there is nothing to stop."""
    CalendarFeed.objects.live().filter(practitioner=practitioner).update(revoked_at=timezone.now())


def feed_url(feed: CalendarFeed) -> str:
    """The feed's full secret address."""
    return link_to(FEED_PURPOSE, feed, "sessions:calendar-feed")


def feed_expires_at(feed: CalendarFeed) -> datetime:
    """When the feed's address stops working (CALENDAR_FEED_DAYS days after it was made)."""
    return feed.created_at + timedelta(days=settings.CALENDAR_FEED_DAYS)


def feed_from_token(token: str, now: datetime | None = None) -> CalendarFeed | None:
    """The feed a link opens: genuine, not revoked, within CALENDAR_FEED_DAYS days of
    its making (else None)."""
    now = now or timezone.now()
    feeds = (
        CalendarFeed.objects.live()
        .select_related("practitioner")
        .filter(created_at__gt=issued_after(settings.CALENDAR_FEED_DAYS, now))
    )
    return row_from_token(FEED_PURPOSE, token, feeds)


def feed_ics(feed: CalendarFeed, now: datetime | None = None) -> bytes:
    """iCalendar (RFC 5545) text of the practitioner's active visits from 30 days back:
    patient initials and visit type only, never clinical detail. The ``icalendar``
    library escapes, folds long lines and writes CRLF; times are in UTC. Raises nothing."""
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
