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
from django.urls import reverse
from django.utils import timezone

from clinic import clock, emails, links, sms
from intake import services as intake_services
from intake.models import Channel
from sessions import schedule
from sessions.booking.models import Appointment
from sessions.followups import texts
from sessions.followups.models import ScheduledMessage, SmsDelivery
from sessions.followups.services import checkin_link, deliverable_at, reminder_key
from sessions.online.services import visit_link
from sessions.outcomes import services as outcomes
from sessions.outcomes.links import questionnaire_link

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
    if intake_services.channels_for(patient, message.kind):
        return None
    reasons = []
    if patient.channel_for(message.kind) != Channel.EMAIL:
        reasons.append(intake_services.sms_refusal(patient, message.kind))
    if not patient.email:
        reasons.append("The patient has no email address.")
    elif not patient.email_reminders:
        reasons.append("The patient declined email.")
    return ScheduledMessage.Status.SKIPPED, " ".join(reasons)


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


class SmsLine:
    """One send task's connection to the SMS backend (``settings.SMS_BACKEND``), opened
    for its first text and closed when the task ends or the provider fails."""

    def __init__(self) -> None:
        self._connection: sms.BaseSmsBackend | None = None

    def get(self) -> sms.BaseSmsBackend:
        if self._connection is None:
            self._connection = sms.get_connection()
            self._connection.open()
        return self._connection

    def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                connection.close()
            except Exception:  # already broken; nothing more to do
                pass


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
    line = SmsLine()
    try:
        for index, message in enumerate(batch):
            if time.monotonic() - renewed > lease.total_seconds() / 2:
                renew([m.pk for m in batch[index:]])
                renewed = time.monotonic()
            outcomes[message.pk] = _send_held(message, claim, line, clock())
    finally:
        line.close()
    return outcomes


def _send_held(message: ScheduledMessage, claim: str, line: SmsLine, now: datetime) -> str:
    skip = send_problem(message, now)
    if skip:
        _finish(message.pk, claim, status=skip[0], last_error=skip[1])
        return skip[0]
    deliverable = deliverable_at(now)
    if deliverable > now:
        _finish(message.pk, claim, status=ScheduledMessage.Status.PENDING, due_at=deliverable)
        return "deferred"
    try:
        went, fallback_reason = _deliver_by_channels(message, claim, line, now)
    except Exception as exc:  # the mail server or the SMS provider, whatever it raised
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
    if not went:
        # The text was refused for good and email may not go instead.
        _finish(
            message.pk, claim, status=ScheduledMessage.Status.FAILED, last_error=fallback_reason
        )
        return "failed"
    _finish(
        message.pk,
        claim,
        status=ScheduledMessage.Status.SENT,
        sent_at=now,
        last_error="",
        channels=Channel.BOTH if len(went) == 2 else went.pop(),
        fallback_reason=fallback_reason,
    )
    return "sent"


# --- The channels ---------------------------------------------------------------------------


def _deliver_by_channels(
    message: ScheduledMessage, claim: str, line: SmsLine, now: datetime
) -> tuple[set[str], str]:
    """Send ``message`` by the channels the patient chose and may get now
    (``intake.services.channels_for``); a text the provider refuses for good, or
    reported undelivered, falls back to email when email is allowed. Returns the
    channels it went by (empty: none could be used) and why email stood in for a text
    ("" when it did not). Each channel goes at most once over all attempts: the text's
    ``SmsDelivery`` and ``email_sent_at`` remember. Raises what the mail server or
    ``SmsTemporaryError`` raised; the caller retries."""
    patient = message.patient
    if message.kind == ScheduledMessage.Kind.REMINDER and message.appointment is not None:
        # The clinic's schedules may ask for a questionnaire before this visit: made now,
        # once, so the email below and the visit page (a text's link) both carry it.
        outcomes.visit_questionnaires(appointment=message.appointment, now=now)
    use = intake_services.channels_for(patient, message.kind)
    fallback_reason = ""
    if Channel.SMS in use:
        delivery = _text(message, line, now)
        if delivery.status in SmsDelivery.NOT_DELIVERED:
            use.discard(Channel.SMS)
            fallback_reason = _not_delivered_words(delivery)
            if intake_services.email_allowed(patient):
                use.add(Channel.EMAIL)
    elif patient.channel_for(message.kind) != Channel.EMAIL:
        fallback_reason = intake_services.sms_refusal(patient, message.kind)
    if Channel.EMAIL in use and message.email_sent_at is None:
        _deliver_with_retry(message, now)
        message.email_sent_at = now
        ScheduledMessage.objects.filter(pk=message.pk, claim=claim).update(email_sent_at=now)
    if not use and fallback_reason:
        fallback_reason += " There is no email to send instead."
    return {str(channel) for channel in use}, fallback_reason


def _not_delivered_words(delivery: SmsDelivery) -> str:
    code = f" (code {delivery.error_code})" if delivery.error_code else ""
    if delivery.status == SmsDelivery.Status.REFUSED:
        return f"The SMS provider refused the text{code}."
    return f"The text was not delivered{code}."


def _text(message: ScheduledMessage, line: SmsLine, now: datetime) -> SmsDelivery:
    """The message's text, sent now unless it went (or was refused) before. Returns its
    ``SmsDelivery``; raises SmsTemporaryError (nothing is recorded as sent; the next
    attempt first asks the provider whether it took the text after all)."""
    delivery = SmsDelivery.objects.filter(message=message).first()
    if delivery is not None and (
        delivery.provider_id or delivery.status in SmsDelivery.NOT_DELIVERED
    ):
        return delivery
    connection = line.get()
    if delivery is None:
        delivery = SmsDelivery.objects.create(
            message=message,
            to=str(message.patient.mobile),
            body=_text_words(message, now),
            created_at=now,
        )
    else:
        # An earlier attempt ended without an answer: the provider may have the text.
        try:
            found = connection.find_sent(
                sms.SmsMessage(to=delivery.to, body=delivery.body), since=delivery.created_at
            )
        except sms.SmsTemporaryError:  # cannot tell yet: try again later, send nothing
            line.close()
            raise
        if found is not None:
            return _text_taken(delivery, found, now)
    try:
        sent = sms.send_sms(
            delivery.to,
            delivery.body,
            status_callback=settings.SITE_URL + reverse("sessions:sms-status"),
            connection=connection,
        )
    except sms.SmsPermanentError as exc:
        delivery.status = SmsDelivery.Status.REFUSED
        delivery.error_code = exc.code
        delivery.status_at = now
        delivery.save(update_fields=["status", "error_code", "status_at"])
        if exc.opted_out:  # the patient replied STOP to the provider itself
            intake_services.sms_opt_out(patient=message.patient, at=now)
        return delivery
    except sms.SmsTemporaryError:
        line.close()
        raise
    return _text_taken(delivery, sent, now)


def _text_taken(delivery: SmsDelivery, sent: sms.SentSms, now: datetime) -> SmsDelivery:
    delivery.provider_id = sent.provider_id
    delivery.segments = sent.segments
    delivery.status = SmsDelivery.Status.QUEUED
    delivery.sent_at = delivery.status_at = now
    delivery.save(update_fields=["provider_id", "segments", "status", "sent_at", "status_at"])
    return delivery


def _text_words(message: ScheduledMessage, now: datetime) -> str:
    """The words of the message's text, with a short link to its page."""
    patient = message.patient
    if message.kind == ScheduledMessage.Kind.CHECKIN:
        assert message.appointment is not None  # a check-in names its visit's appointment
        link = links.short_link(
            checkin_link(message),
            expires_at=now + timedelta(days=settings.CHECKIN_LINK_DAYS),
            now=now,
        )
        return texts.checkin_text(
            first_name=patient.greeting_name,
            visit_start=message.appointment.start,
            link=link,
            now=now,
        )
    appointment = message.appointment
    assert appointment is not None  # a reminder always names its appointment
    link = links.short_link(
        visit_link(appointment),
        expires_at=appointment.start + timedelta(days=settings.VISIT_LINK_DAYS),
        now=now,
    )
    return texts.reminder_text(
        first_name=patient.greeting_name,
        start=appointment.start,
        location=appointment.location.name,
        link=link,
        now=now,
    )


# --- Email ----------------------------------------------------------------------------------


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
            questionnaire_links=[
                questionnaire_link(q) for q in outcomes.open_for_appointment(appointment, now)
            ],
        )


def email_after_undelivered(delivery: SmsDelivery, *, now: datetime | None = None) -> bool:
    """The provider reported ``delivery`` undelivered or failed: put its message back in
    the queue, due now, so email goes instead (``_deliver_by_channels`` does not text it
    again), unless email went already or may not go. Returns whether it was queued
    again. Raises nothing."""
    message = delivery.message
    if message.email_sent_at is not None or not intake_services.email_allowed(message.patient):
        return False
    return bool(
        ScheduledMessage.objects.filter(
            pk=message.pk, status=ScheduledMessage.Status.SENT, email_sent_at__isnull=True
        ).update(
            status=ScheduledMessage.Status.PENDING,
            due_at=now or timezone.now(),
            fallback_reason=_not_delivered_words(delivery),
        )
    )
