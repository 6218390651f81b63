"""One function per message. Each renders templates/emails/<name>-subject.txt,
-body.txt and -body.html. Bodies never carry health information."""

from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import EmailMultiAlternatives
from django.core.mail.backends.base import BaseEmailBackend
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from clinic.types import StaffUser


def _send(
    name: str, to: str, context: dict[str, Any], connection: BaseEmailBackend | None = None
) -> None:
    context = {"clinic_name": settings.CLINIC_NAME, **context}
    subject = " ".join(render_to_string(f"emails/{name}-subject.txt", context).split())
    text = render_to_string(f"emails/{name}-body.txt", context)
    html = render_to_string(f"emails/{name}-body.html", context)
    message = EmailMultiAlternatives(subject, text, to=[to], connection=connection)
    message.attach_alternative(html, "text/html")
    message.send()


def intake_invitation(*, to: str, first_name: str, link: str, expires_on: date) -> None:
    _send(
        "intake-invitation",
        to,
        {"first_name": first_name, "link": link, "expires_on": expires_on},
    )


def appointment_confirmation(
    *,
    to: str,
    first_name: str,
    start: datetime,
    practitioner: str,
    location: object,
    manage_link: str = "",
) -> None:
    """``manage_link``: the patient's self-service link to cancel or move the visit
    (online booking's), or "" to say "call us" only."""
    _send(
        "appointment-confirmation",
        to,
        {
            "first_name": first_name,
            "start": start,
            "practitioner": practitioner,
            "location": location,
            "manage_link": manage_link,
        },
    )


def aftercare(*, to: str, first_name: str, link: str) -> None:
    _send("aftercare", to, {"first_name": first_name, "link": link})


def receipt(*, to: str, first_name: str, link: str, expires_on: date) -> None:
    """The patient's receipt is ready behind ``link`` (good until ``expires_on``): the mail
    names no service, practitioner or amount."""
    _send("receipt", to, {"first_name": first_name, "link": link, "expires_on": expires_on})


def checkin(
    *,
    to: str,
    first_name: str,
    link: str,
    connection: BaseEmailBackend | None = None,
    preferences_link: str = "",
) -> None:
    """``preferences_link``: the patient's page to choose email or text (intake)."""
    context = {
        "first_name": first_name,
        "link": link,
        "days": settings.CHECKIN_LINK_DAYS,
        "preferences_link": preferences_link,
    }
    _send("checkin", to, context, connection)


def reminder(
    *,
    to: str,
    first_name: str,
    start: datetime,
    day: str,
    location: object,
    connection: BaseEmailBackend | None = None,
    manage_link: str = "",
    preferences_link: str = "",
    questionnaire_links: list[str] | None = None,
) -> None:
    """``day`` names the visit's day as seen when the reminder leaves ("today", "tomorrow",
    "on Tuesday 24 November"); ``manage_link`` as for ``appointment_confirmation``;
    ``preferences_link`` as for ``checkin``; ``questionnaire_links``: the questionnaires
    to fill in before the visit (named by their link only)."""
    context = {
        "questionnaire_links": questionnaire_links or [],
        "preferences_link": preferences_link,
        "first_name": first_name,
        "start": start,
        "day": day,
        "location": location,
        "manage_link": manage_link,
    }
    _send("reminder", to, context, connection)


def questionnaire(*, to: str, first_name: str, link: str, expires_on: date) -> None:
    """A questionnaire to fill in behind ``link`` (good until ``expires_on``): the mail
    names the clinic only, never the questionnaire's subject."""
    _send("questionnaire", to, {"first_name": first_name, "link": link, "expires_on": expires_on})


def document_request(*, to: str, first_name: str, note: str, link: str, expires_on: date) -> None:
    """A link to send the clinic documents (good until ``expires_on``); ``note`` is what
    the front desk asked for, in their words."""
    context = {"first_name": first_name, "note": note, "link": link, "expires_on": expires_on}
    _send("document-request", to, context)


def checkin_alert(*, to: str, link: str) -> None:
    """To the physiotherapist, with ``link`` (the full address of the alert's page, built
    by follow-ups); the patient and the answers stay behind the login."""
    _send("checkin-alert", to, {"link": link})


def password_link(*, user: StaffUser, new_account: bool) -> None:
    """To a staff member: a one-time link to choose their own password (a new account's
    first, or a reset). Built here, in the worker, so the token never travels the queue."""
    path = reverse(
        "password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    _send(
        "password-link",
        user.email,
        {
            "username": user.get_username(),
            "link": settings.SITE_URL + path,
            "new_account": new_account,
        },
    )


def waitlist_offer(
    *, to: str, first_name: str, start: datetime, location: object, link: str, expires: datetime
) -> None:
    """A freed time offered to someone on the wait list: ``link`` (the offer's page, to
    accept or decline) holds it until ``expires``; the first to accept gets it."""
    context = {
        "first_name": first_name,
        "start": start,
        "location": location,
        "link": link,
        "expires": expires,
    }
    _send("waitlist-offer", to, context)


def waitlist_taken(*, to: str, first_name: str, start: datetime, entry_link: str) -> None:
    """The time offered was taken by someone else; they stay on the wait list
    (``entry_link``: their entry, to see or leave it)."""
    context = {"first_name": first_name, "start": start, "entry_link": entry_link}
    _send("waitlist-taken", to, context)


def waitlist_joined(*, to: str, first_name: str, location: object, entry_link: str) -> None:
    """They are on the wait list; ``entry_link`` shows their entry and lets them leave."""
    context = {"first_name": first_name, "location": location, "entry_link": entry_link}
    _send("waitlist-joined", to, context)


def visit_cancelled_self(*, to: str, first_name: str, start: datetime, location: object) -> None:
    """The patient cancelled their visit with their own link."""
    context = {"first_name": first_name, "start": start, "location": location}
    _send("visit-cancelled-self", to, context)


def visit_moved_self(
    *, to: str, first_name: str, start: datetime, location: object, manage_link: str
) -> None:
    """The patient moved their visit with their own link; ``start`` is the new time."""
    context = {
        "first_name": first_name,
        "start": start,
        "location": location,
        "manage_link": manage_link,
    }
    _send("visit-moved-self", to, context)


def online_declined(*, to: str, first_name: str, start: datetime, location: object) -> None:
    """The clinic could not confirm an online booking (it waited for approval and was
    declined): a polite note asking the patient to call. Never the reason."""
    context = {"first_name": first_name, "start": start, "location": location}
    _send("online-declined", to, context)


def online_sign_in(*, to: str, link: str, expires_at: datetime) -> None:
    """A returning patient's one-time link to sign in and book online (good until
    ``expires_at``); it names nobody and nothing booked."""
    _send("online-sign-in", to, {"link": link, "expires_at": expires_at})


def online_confirm(
    *, to: str, first_name: str, link: str, start: datetime, practitioner: str, location: object
) -> None:
    """To a new person who booked online: the one link that confirms the booking (the
    time is not booked until they press Confirm behind it)."""
    _send(
        "online-confirm",
        to,
        {
            "first_name": first_name,
            "link": link,
            "start": start,
            "practitioner": practitioner,
            "location": location,
        },
    )
