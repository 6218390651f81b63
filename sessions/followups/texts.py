"""The words of follow-up text messages.

A text carries no health information: the clinic's name (``CLINIC_SMS_NAME``, the
clinic's name unless a shorter one is set), the visit's day and time, what
a reply does, and a short link (``clinic.links.short_link``) to the page that holds the
rest. It keeps to as few SMS segments as its required words allow (one, for a clinic
name in GSM-7 of up to about 40 characters): the optional parts (the location, how to
stop texts, the patient's first name) are added only while the count does not grow.
A name outside GSM-7 ("Zoë", "Søren" is fine) switches the whole text to UCS-2 at 70
characters a segment, so a name that would do that is left out too.
"""

from datetime import datetime

from django.conf import settings

from clinic import clock
from clinic.sms import segments

# What a patient can answer to a reminder; ``replies`` reads them.
REPLY_HINT = "Reply C to confirm, R to rebook."
STOP_HINT = "Reply STOP to end texts."


def fit(required: list[str], optional: list[tuple[int, str]]) -> str:
    """The words of ``required`` joined by spaces, with each optional ``(position, words)``
    inserted before ``required[position]`` when the text still takes no more segments
    than ``required`` alone. Optional parts are tried in the order given."""
    parts: list[tuple[float, str]] = [(float(i), words) for i, words in enumerate(required)]
    limit = segments(" ".join(required))
    for order, (position, words) in enumerate(optional):
        trial = sorted([*parts, (position - 0.5 + order / 1000, words)])
        if segments(" ".join(w for _, w in trial)) <= limit:
            parts = trial
    return " ".join(words for _, words in parts)


def when_words(start: datetime, now: datetime, *, dated: bool = True) -> str:
    """ "today at 9:30 AM", "tomorrow (Tue 1 Dec) at 9:30 AM" ("tomorrow at 9:30 AM"
    when not ``dated``) or "Fri 4 Dec at 2:00 PM", on the clinic's wall clock."""
    local = clock.clinic_localtime(start)
    days = (local.date() - clock.clinic_day(now)).days
    date_words = f"{local:%a} {local.day} {local:%b}"
    time_words = f"{local:%I:%M %p}".lstrip("0")
    if days == 0:
        return f"today at {time_words}"
    if days == 1:
        return f"tomorrow ({date_words}) at {time_words}" if dated else f"tomorrow at {time_words}"
    return f"{date_words} at {time_words}"


def reminder_text(
    *, first_name: str, start: datetime, location: str, link: str, now: datetime
) -> str:
    """A reminder the day before: when, how to confirm or rebook, the visit's link. The
    date beside "tomorrow" is dropped when it would cost a segment."""

    def words(dated: bool) -> list[str]:
        return [
            f"{settings.CLINIC_SMS_NAME}:",
            f"your visit is {when_words(start, now, dated=dated)}.",
            REPLY_HINT,
            link,
        ]

    # Most useful first: where (a clinic with several sites), how to stop, a greeting.
    optional = [(3, f"At {location}."), (4, STOP_HINT), (1, f"Hi {first_name},")]
    fewest = segments(" ".join(words(dated=False)))
    if segments(" ".join(words(dated=True))) <= fewest:
        return fit(words(dated=True), optional)
    return fit(words(dated=False), optional)


def checkin_text(*, first_name: str, visit_start: datetime, link: str, now: datetime) -> str:
    """A check-in after a needling visit: a link to answer it, nothing about why."""
    local = clock.clinic_localtime(visit_start)
    return fit(
        [
            f"{settings.CLINIC_SMS_NAME}:",
            f"how are you after your visit on {local:%a} {local.day} {local:%b}?",
            f"Tell us here: {link}",
        ],
        [(3, STOP_HINT), (1, f"Hi {first_name},")],
    )
