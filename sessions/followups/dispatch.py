"""Sending follow-up messages: the dispatcher claims due rows, the send tasks send them
on a pooled SMTP connection. Nothing waits in the broker.

A row moves pending -> sending -> sent once. The dispatcher claims due rows with a
fresh claim token; the send task proceeds only while it holds that claim and renews
the lease first, so a redelivered task and a re-claimed row never both send. A worker
that dies mid-send leaves the row "sending" until its lease runs out; then the next
dispatch claims it again.

What was decided when a message was scheduled is decided again when it is sent
(``send_problem``): the visit may have moved, been cancelled or be about to start, and
the patient may have declined email.
"""

import logging
import threading
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.mail import get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection, transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from clinic import clock, emails
from intake import services as intake_services
from sessions import schedule
from sessions.booking.models import Appointment
from sessions.followups.models import ScheduledMessage
from sessions.followups.services import checkin_link, deliverable_at, reminder_key
from sessions.online.services import visit_link

logger = logging.getLogger(__name__)


def messages_claim_due(*, now: datetime | None = None, batch: int = 1000) -> list[tuple[int, str]]:
    """Claim every due message, ``batch`` rows per transaction: (id, claim) pairs to
    queue, one send task each. Raises nothing of its own."""
    now = now or timezone.now()
    lease = now + timedelta(seconds=settings.FOLLOWUP_LEASE_SECONDS)
    claimed: list[tuple[int, str]] = []
    while True:
        with transaction.atomic():
            candidates = ScheduledMessage.objects.claimable(now).order_by("due_at", "id")
            if connection.features.has_select_for_update_skip_locked:
                candidates = candidates.select_for_update(skip_locked=True)
            ids = list(candidates.values_list("pk", flat=True)[:batch])
            if not ids:
                return claimed
            claim = uuid.uuid4().hex
            # The condition is repeated so the update itself is the guard (SQLite has
            # no row locks; a concurrent dispatcher simply updates nothing).
            ScheduledMessage.objects.claimable(now).filter(pk__in=ids).update(
                status=ScheduledMessage.Status.SENDING,
                claim=claim,
                lease_until=lease,
                attempts=F("attempts") + 1,
            )
            claimed += [
                (pk, claim)
                for pk in ScheduledMessage.objects.filter(pk__in=ids, claim=claim).values_list(
                    "pk", flat=True
                )
            ]
        if len(ids) < batch:
            return claimed


# --- Still to send? -------------------------------------------------------------------------
# One function per kind checks a message against the current state of its visit at send
# time; a new kind (a wait-list offer) adds its own to SEND_CHECKS. Each returns the
# status to finish with and the reason kept on the row, or None to send.


def _reminder_problem(message: ScheduledMessage, now: datetime) -> tuple[str, str] | None:
    appointment = message.appointment
    assert appointment is not None  # a reminder always names its appointment
    if appointment.status != Appointment.Status.BOOKED:
        return (
            ScheduledMessage.Status.CANCELLED,
            f"The appointment is {appointment.get_status_display().lower()}.",
        )
    if appointment.needs_approval:
        # An online booking front desk has not approved yet: no reminder for a visit the
        # patient was not yet confirmed. Approval schedules it again (a skipped row no
        # longer holds its key; see ``desk_services.appointment_approve``).
        return (
            ScheduledMessage.Status.SKIPPED,
            "The online booking was still waiting for the clinic's approval.",
        )
    if message.key != reminder_key(appointment):
        return (
            ScheduledMessage.Status.CANCELLED,
            "The appointment was moved; the reminder for its new time counts.",
        )
    if appointment.start <= now:
        return (
            ScheduledMessage.Status.SKIPPED,
            "The visit had started before the reminder could go out.",
        )
    margin = settings.REMINDER_SKIP_WITHIN_MINUTES
    if appointment.start - now < timedelta(minutes=margin):
        reason = f"The visit starts in less than {margin} minutes: too late to remind."
        return ScheduledMessage.Status.SKIPPED, reason
    return None


def _checkin_problem(message: ScheduledMessage, now: datetime) -> tuple[str, str] | None:
    appointment = message.appointment  # the visit's own
    assert appointment is not None and message.visit is not None  # a check-in names both
    if appointment.status in (Appointment.Status.CANCELLED, Appointment.Status.NO_SHOW):
        return (
            ScheduledMessage.Status.CANCELLED,
            f"The appointment is {appointment.get_status_display().lower()}.",
        )
    if not message.visit.is_signed:
        return ScheduledMessage.Status.SKIPPED, "The visit's note is not signed."
    return None


SEND_CHECKS: dict[str, Callable[[ScheduledMessage, datetime], tuple[str, str] | None]] = {
    ScheduledMessage.Kind.REMINDER: _reminder_problem,
    ScheduledMessage.Kind.CHECKIN: _checkin_problem,
}


def send_problem(message: ScheduledMessage, now: datetime) -> tuple[str, str] | None:
    """Why ``message`` must not go out at ``now``: (status, reason), or None to send it.
    Raises KeyError for a kind SEND_CHECKS does not know."""
    problem = SEND_CHECKS[message.kind](message, now)
    if problem:
        return problem
    patient = message.patient
    if not patient.email:
        return ScheduledMessage.Status.SKIPPED, "The patient has no email address."
    if not patient.email_reminders:
        return ScheduledMessage.Status.SKIPPED, "The patient declined email."
    return None


def _finish(message_id: int, held_claim: str, **fields: Any) -> bool:
    """Leave "sending" (releasing the claim), if this send still holds it."""
    held = ScheduledMessage.objects.filter(
        pk=message_id, claim=held_claim, status=ScheduledMessage.Status.SENDING
    )
    return bool(held.update(claim="", **fields))


def send_batches(claimed: list[tuple[int, str]]) -> list[tuple[list[int], str]]:
    """Group claimed (id, claim) pairs into send tasks of FOLLOWUP_SEND_BATCH ids; returns
    (ids, claim) per task."""
    by_claim: dict[str, list[int]] = {}
    for pk, claim in claimed:
        by_claim.setdefault(claim, []).append(pk)
    size = settings.FOLLOWUP_SEND_BATCH
    return [
        (ids[i : i + size], claim)
        for claim, ids in by_claim.items()
        for i in range(0, len(ids), size)
    ]


def messages_send(*, ids: list[int], claim: str, now: datetime | None = None) -> dict[int, str]:
    """Send claimed messages one by one; returns what happened to each id: ``sent``,
    ``deferred`` (quiet hours: pending again, due when they end), ``retry`` (the send
    failed and will be tried again), ``failed`` (the last attempt failed), ``cancelled``
    or ``skipped`` (a send-time check refused it: see ``send_problem``), or
    ``not-claimed`` (sent already, or claimed again by someone else).

    Raises nothing for a failed send: the error is kept on the row (``last_error``).
    The leases are renewed together first, and again for the rest once half a lease
    has gone by (a slow mail server), so no row can be claimed again while it is sent.
    Each row is finished on its own as soon as it is sent.
    """
    lease = timedelta(seconds=settings.FOLLOWUP_LEASE_SECONDS)

    def clock() -> datetime:
        return now or timezone.now()

    def renew(pks: list[int]) -> None:
        held(pks).update(lease_until=clock() + lease)

    def held(pks: list[int]) -> QuerySet[ScheduledMessage]:
        return ScheduledMessage.objects.filter(
            pk__in=pks, claim=claim, status=ScheduledMessage.Status.SENDING
        )

    outcomes = dict.fromkeys(ids, "not-claimed")  # sent already, or claimed again later
    renew(ids)
    renewed = time.monotonic()
    batch = list(
        held(ids).select_related("patient", "appointment__location", "visit").order_by("pk")
    )
    for index, message in enumerate(batch):
        if time.monotonic() - renewed > lease.total_seconds() / 2:
            renew([m.pk for m in batch[index:]])
            renewed = time.monotonic()
        outcomes[message.pk] = _send_held(message, claim, clock())
    return outcomes


def _send_held(message: ScheduledMessage, claim: str, now: datetime) -> str:
    skip = send_problem(message, now)
    if skip:
        _finish(message.pk, claim, status=skip[0], last_error=skip[1])
        return skip[0]
    deliverable = deliverable_at(now)
    if deliverable > now:
        _finish(message.pk, claim, status=ScheduledMessage.Status.PENDING, due_at=deliverable)
        return "deferred"
    try:
        _deliver_with_retry(message, now)
    except Exception as exc:  # the mail server, whatever it raised
        error = f"{type(exc).__name__}: {exc}"[:500]
        # The log gets the kind of failure only: a mail server's text can name the
        # recipient. The full text stays with the message row (last_error).
        logger.warning(
            "Message %s not sent (attempt %s): %s", message.pk, message.attempts, type(exc).__name__
        )
        if message.attempts >= settings.FOLLOWUP_MAX_ATTEMPTS:
            _finish(message.pk, claim, status=ScheduledMessage.Status.FAILED, last_error=error)
            return "failed"
        _finish(
            message.pk,
            claim,
            status=ScheduledMessage.Status.PENDING,
            due_at=now + schedule.retry_delay(message.attempts),
            last_error=error,
        )
        return "retry"
    _finish(message.pk, claim, status=ScheduledMessage.Status.SENT, sent_at=now, last_error="")
    return "sent"


_smtp = threading.local()  # one open SMTP connection per worker thread
SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"


def _smtp_connection() -> BaseEmailBackend | None:
    """The thread's open SMTP connection (None with other backends, which keep their
    own behaviour, e.g. one file per message in development)."""
    if settings.EMAIL_BACKEND != SMTP_BACKEND:
        return None
    connection = getattr(_smtp, "connection", None)
    if connection is None:
        connection = get_connection(SMTP_BACKEND)
        connection.open()
        _smtp.connection = connection
    return connection


def _drop_smtp_connection() -> None:
    connection = getattr(_smtp, "connection", None)
    _smtp.connection = None
    if connection is not None:
        try:
            connection.close()
        except Exception:  # already broken; nothing more to do
            pass


def _deliver_with_retry(message: ScheduledMessage, now: datetime) -> None:
    """Send on the thread's connection; a connection the server dropped while it sat
    idle gets one immediate retry on a fresh one."""
    reused = getattr(_smtp, "connection", None) is not None
    try:
        _deliver(message, _smtp_connection(), now)
    except Exception:
        _drop_smtp_connection()
        if not reused:
            raise
        _deliver(message, _smtp_connection(), now)


def _deliver(message: ScheduledMessage, connection: BaseEmailBackend | None, now: datetime) -> None:
    patient = message.patient
    first_name = patient.greeting_name
    if message.kind == ScheduledMessage.Kind.CHECKIN:
        link = checkin_link(message)
        emails.checkin(
            to=patient.email,
            first_name=first_name,
            link=link,
            connection=connection,
        )
    else:
        appointment = message.appointment
        assert appointment is not None  # a reminder always names its appointment
        emails.reminder(
            to=patient.email,
            first_name=first_name,
            start=clock.clinic_localtime(appointment.start),
            day=schedule.day_words(appointment.start, now, clock.clinic_tz()),
            location=appointment.location,
            connection=connection,
            manage_link=visit_link(appointment),
            preferences_link=intake_services.preferences_link(patient, now=now),
        )
