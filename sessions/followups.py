"""Follow-up messages: soreness check-ins after a needling visit and reminders the day
before a visit. Rows in ScheduledMessage are the schedule; nothing waits in the broker.

A row moves pending -> sending -> sent once. The dispatcher claims due rows with a
fresh claim token; the send task proceeds only while it holds that claim and renews
the lease first, so a redelivered task and a re-claimed row never both send. A worker
that dies mid-send leaves the row "sending" until its lease runs out; then the next
dispatch claims it again.

A key names a message's purpose (a reminder for this visit at this time, the 24-hour
check-in of this visit). Only live rows hold it: a cancelled or skipped row is history,
so a visit moved away and back gets its reminder again. What was decided when a message
was scheduled is decided again when it is sent (``send_problem``): the visit may have
moved, been cancelled or be about to start, and the patient may have declined email.
"""

import logging
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, F, Min, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from clinic import emails
from clinic.links import link_to, row_from_token
from clinic.types import StaffUser
from sessions import schedule
from sessions.models import (
    Alert,
    Appointment,
    CallTask,
    CheckinAnswer,
    ScheduledMessage,
    Visit,
)

logger = logging.getLogger(__name__)
CHECKIN_PURPOSE = "checkin"
# A reminder is not worth sending for a visit closer than this.
REMINDER_MIN_NOTICE = timedelta(hours=2)
Status = ScheduledMessage.Status


def _deliverable(moment: datetime) -> datetime:
    return schedule.out_of_quiet_hours(
        moment,
        schedule.clock(settings.QUIET_HOURS_START),
        schedule.clock(settings.QUIET_HOURS_END),
        schedule.clinic_tz(),
    )


def _schedule_once(**fields: Any) -> ScheduledMessage | None:
    """A new pending message, unless a live one holds its key already."""
    if ScheduledMessage.objects.live().filter(key=fields["key"]).exists():
        return None
    message = ScheduledMessage(nonce=secrets.token_urlsafe(24), **fields)
    message.due_at = _deliverable(message.due_at)
    try:
        with transaction.atomic():  # a savepoint: a twin that raced past leaves ours usable
            message.full_clean()
            message.save()
    except (IntegrityError, ValidationError):
        if ScheduledMessage.objects.live().filter(key=message.key).exists():
            return None
        raise
    return message


# --- Scheduling -------------------------------------------------------------------------


def checkins_schedule(*, visit: Visit) -> list[ScheduledMessage]:
    """Check-ins FOLLOWUP_CHECKIN_HOURS after the visit ends (once per visit and offset)."""
    created = []
    for hours in settings.FOLLOWUP_CHECKIN_HOURS:
        message = _schedule_once(
            key=f"checkin:{visit.pk}:{hours:g}h",
            kind=ScheduledMessage.Kind.CHECKIN,
            patient=visit.patient,
            appointment=visit.appointment,
            visit=visit,
            hours_after=Decimal(str(hours)),
            due_at=visit.appointment.end + timedelta(hours=hours),
        )
        if message is not None:
            created.append(message)
    return created


def reminder_key(appointment: Appointment) -> str:
    """The purpose of a reminder: this appointment at its current time."""
    return f"reminder:{appointment.pk}:{int(appointment.start.timestamp())}"


def reminder_schedule(
    *, appointment: Appointment, now: datetime | None = None
) -> ScheduledMessage | None:
    """A reminder the day before at REMINDER_TIME; sooner if that has passed, none when
    the visit is too close (under REMINDER_MIN_NOTICE) or a live one holds its key.
    Returns the new message, or None."""
    now = now or timezone.now()
    if appointment.start - now < REMINDER_MIN_NOTICE:
        return None
    due = schedule.reminder_due(
        appointment.start, schedule.clock(settings.REMINDER_TIME), schedule.clinic_tz()
    )
    return _schedule_once(
        key=reminder_key(appointment),
        kind=ScheduledMessage.Kind.REMINDER,
        patient=appointment.patient,
        appointment=appointment,
        due_at=max(due, now),
    )


def messages_cancel_for(
    *, appointment: Appointment, kinds: Iterable[str] = (ScheduledMessage.Kind.REMINDER,)
) -> int:
    """Cancel what has not gone out yet (a cancelled or moved visit); returns how many."""
    return ScheduledMessage.objects.filter(
        appointment=appointment, kind__in=kinds, status=Status.PENDING
    ).update(status=Status.CANCELLED, last_error="The appointment was cancelled or moved.")


def reminder_move(
    *, appointment: Appointment, now: datetime | None = None
) -> ScheduledMessage | None:
    """Cancel the visit's pending reminder and schedule one for its new time (or None,
    as ``reminder_schedule``)."""
    messages_cancel_for(appointment=appointment)
    return reminder_schedule(appointment=appointment, now=now)


# --- Dispatch and send ----------------------------------------------------------------------


def messages_claim_due(*, now: datetime | None = None, batch: int = 1000) -> list[tuple[int, str]]:
    """Claim every due message: (id, claim) pairs to queue, one send task each."""
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
                status=Status.SENDING, claim=claim, lease_until=lease, attempts=F("attempts") + 1
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
        return Status.CANCELLED, f"The appointment is {appointment.get_status_display().lower()}."
    if message.key != reminder_key(appointment):
        return Status.CANCELLED, "The appointment was moved; the reminder for its new time counts."
    if appointment.start <= now:
        return Status.SKIPPED, "The visit had started before the reminder could go out."
    margin = settings.REMINDER_SKIP_WITHIN_MINUTES
    if appointment.start - now < timedelta(minutes=margin):
        reason = f"The visit starts in less than {margin} minutes: too late to remind."
        return Status.SKIPPED, reason
    return None


def _checkin_problem(message: ScheduledMessage, now: datetime) -> tuple[str, str] | None:
    appointment = message.appointment  # the visit's own
    assert appointment is not None and message.visit is not None  # a check-in names both
    if appointment.status in (Appointment.Status.CANCELLED, Appointment.Status.NO_SHOW):
        return Status.CANCELLED, f"The appointment is {appointment.get_status_display().lower()}."
    if not message.visit.is_signed:
        return Status.SKIPPED, "The visit's note is not signed."
    return None


SEND_CHECKS: dict[str, Callable[[ScheduledMessage, datetime], tuple[str, str] | None]] = {
    ScheduledMessage.Kind.REMINDER: _reminder_problem,
    ScheduledMessage.Kind.CHECKIN: _checkin_problem,
}


def send_problem(message: ScheduledMessage, now: datetime) -> tuple[str, str] | None:
    """Why ``message`` must not go out at ``now``: (status, reason), or None to send it."""
    problem = SEND_CHECKS[message.kind](message, now)
    if problem:
        return problem
    patient = message.patient
    if not patient.email:
        return Status.SKIPPED, "The patient has no email address."
    if not patient.email_reminders:
        return Status.SKIPPED, "The patient declined email."
    return None


def _finish(message_id: int, held_claim: str, **fields: Any) -> bool:
    """Leave "sending" (releasing the claim), if this send still holds it."""
    held = ScheduledMessage.objects.filter(pk=message_id, claim=held_claim, status=Status.SENDING)
    return bool(held.update(claim="", **fields))


def message_send(*, message_id: int, claim: str, now: datetime | None = None) -> str:
    """Send one claimed message; returns what happened (for logs and tests)."""
    return messages_send(ids=[message_id], claim=claim, now=now)[message_id]


def send_batches(claimed: list[tuple[int, str]]) -> list[tuple[list[int], str]]:
    """Group claimed (id, claim) pairs into send tasks of FOLLOWUP_SEND_BATCH ids."""
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
    """Send claimed messages one by one; returns what happened to each id.

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
        return ScheduledMessage.objects.filter(pk__in=pks, claim=claim, status=Status.SENDING)

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
    deliverable = _deliverable(now)
    if deliverable > now:
        _finish(message.pk, claim, status=Status.PENDING, due_at=deliverable)
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
            _finish(message.pk, claim, status=Status.FAILED, last_error=error)
            return "failed"
        _finish(
            message.pk,
            claim,
            status=Status.PENDING,
            due_at=now + schedule.retry_delay(message.attempts),
            last_error=error,
        )
        return "retry"
    _finish(message.pk, claim, status=Status.SENT, sent_at=now, last_error="")
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
        emails.checkin(to=patient.email, first_name=first_name, link=link, connection=connection)
    else:
        appointment = message.appointment
        assert appointment is not None  # a reminder always names its appointment
        emails.reminder(
            to=patient.email,
            first_name=first_name,
            start=timezone.localtime(appointment.start),
            day=schedule.day_words(appointment.start, now, schedule.clinic_tz()),
            location=appointment.location,
            connection=connection,
        )


# --- Check-in answers and escalation ---------------------------------------------------------


def checkin_link(message: ScheduledMessage) -> str:
    """The full address of the check-in's answer page."""
    return link_to(CHECKIN_PURPOSE, message, "sessions:checkin")


def checkin_from_token(token: str, now: datetime | None = None) -> ScheduledMessage | None:
    """The check-in a link opens: genuine, sent, and within CHECKIN_LINK_DAYS."""
    now = now or timezone.now()
    sent_checkins = ScheduledMessage.objects.select_related(
        "patient", "visit__author", "visit__appointment"
    ).filter(kind=ScheduledMessage.Kind.CHECKIN, status=Status.SENT)
    message = row_from_token(CHECKIN_PURPOSE, token, sent_checkins)
    if message is None:
        return None
    if message.sent_at is None or now > message.sent_at + timedelta(
        days=settings.CHECKIN_LINK_DAYS
    ):
        return None
    return message


def _lock_visit(visit_id: int) -> None:
    """Answers to a visit's check-ins and acknowledgements of its alert are taken one at
    a time (the visit row is the lock; SQLite serialises writes anyway), so two answers
    at once cannot both open an alert, and an answer cannot land in an alert that is
    being acknowledged."""
    list(Visit.objects.select_for_update().filter(pk=visit_id).order_by().values("pk"))


def checkin_takes_answers(message: ScheduledMessage) -> bool:
    """Whether the check-in's link takes another answer (at most CHECKIN_MAX_ANSWERS)."""
    return message.answers.count() < settings.CHECKIN_MAX_ANSWERS


CHECKIN_FULL = (
    "This check-in has been answered as many times as it can be, so this answer was not "
    "saved. If anything has changed, please call the clinic; in an emergency call 911."
)


@transaction.atomic
def checkin_answer(
    *,
    message: ScheduledMessage,
    soreness: int,
    compared: str,
    bruising: bool,
    red_flags: list[str],
    comment: str,
    now: datetime | None = None,
) -> CheckinAnswer:
    """Keep the answer (earlier ones stay as history) and return it; escalate a worrying
    one. Raises ValidationError keyed by no field once the link has taken
    CHECKIN_MAX_ANSWERS answers, keyed by the CheckinAnswer field ``full_clean`` refuses
    (``soreness`` is 0-10)."""
    assert message.visit_id is not None  # a check-in always names its visit
    _lock_visit(message.visit_id)
    if not checkin_takes_answers(message):
        raise ValidationError(CHECKIN_FULL)
    answer = CheckinAnswer(
        message=message,
        soreness=soreness,
        compared=compared,
        bruising=bruising,
        red_flags=[code for code in CheckinAnswer.RED_FLAGS if code in red_flags],
        comment=comment.strip(),
        answered_at=now or timezone.now(),
    )
    answer.full_clean(exclude=["message"])  # the message was just loaded: no lookup again
    answer.save()
    if answer.needs_attention:
        _alert_raise(answer=answer, message=message)
    return answer


def _alert_raise(*, answer: CheckinAnswer, message: ScheduledMessage) -> Alert:
    """The visit's open alert, updated to this answer; or a new one, with a call task
    for front desk (unless one is still open) and an email to the physiotherapist.
    Called under the visit's lock (checkin_answer)."""
    visit = message.visit
    assert visit is not None  # a check-in always names its visit
    alert = Alert.objects.filter(visit=visit, acknowledged_at__isnull=True).first()
    if alert is not None:
        alert.answer = answer
        alert.save(update_fields=["answer"])
        return alert
    alert = Alert.objects.create(answer=answer, visit=visit, physio=visit.author)
    if not CallTask.objects.filter(alert__visit=visit, done_at__isnull=True).exists():
        CallTask.objects.create(patient=message.patient, alert=alert)
    link = settings.SITE_URL + reverse("sessions:alert", args=[alert.pk])
    physio_email = visit.author.email
    if physio_email:
        transaction.on_commit(lambda: emails.checkin_alert(to=physio_email, link=link))
    return alert


@transaction.atomic
def alert_acknowledge(
    *,
    alert: Alert,
    by: StaffUser,
    action_taken: str,
    call_handled: bool = False,
    now: datetime | None = None,
) -> Alert:
    """Acknowledge this alert and any older open ones of the same visit; close the
    front-desk call when the physiotherapist has spoken to the patient. Returns the
    alert as saved."""
    now = now or timezone.now()
    _lock_visit(alert.visit_id)
    Alert.objects.filter(visit=alert.visit, acknowledged_at__isnull=True).update(
        acknowledged_by=by, acknowledged_at=now, action_taken=action_taken.strip()
    )
    if call_handled:
        CallTask.objects.filter(alert__visit=alert.visit, done_at__isnull=True).update(
            done_by=by, done_at=now, note="Not needed: the physiotherapist spoke to the patient."
        )
    alert.refresh_from_db()
    return alert


def call_task_done(
    *, task: CallTask, by: StaffUser, note: str, now: datetime | None = None
) -> CallTask:
    """Close a front-desk call with what was said; returns the task."""
    task.done_by = by
    task.done_at = now or timezone.now()
    task.note = note.strip()
    task.save(update_fields=["done_by", "done_at", "note"])
    return task


# --- Reporting ----------------------------------------------------------------------------


def message_health(now: datetime | None = None) -> dict[str, Any]:
    """Counts for operations: due, sending, failed, sent in 24 h, oldest overdue."""
    now = now or timezone.now()
    counts = ScheduledMessage.objects.aggregate(
        due=Count("pk", filter=Q(status=Status.PENDING, due_at__lte=now)),
        sending=Count("pk", filter=Q(status=Status.SENDING)),
        failed=Count("pk", filter=Q(status=Status.FAILED)),
        sent_24h=Count("pk", filter=Q(status=Status.SENT, sent_at__gte=now - timedelta(hours=24))),
        oldest_due=Min("due_at", filter=Q(status=Status.PENDING, due_at__lte=now)),
    )
    oldest = counts.pop("oldest_due")
    counts["oldest_overdue_seconds"] = int((now - oldest).total_seconds()) if oldest else 0
    return counts


def checkin_response_rate(
    physio: StaffUser, now: datetime | None = None, days: int = 30
) -> tuple[int, int]:
    """(answered, sent) check-ins of the physio's visits over the last ``days``."""
    now = now or timezone.now()
    sent = ScheduledMessage.objects.filter(
        kind=ScheduledMessage.Kind.CHECKIN,
        status=Status.SENT,
        visit__author=physio,
        sent_at__gte=now - timedelta(days=days),
    )
    return sent.filter(answers__isnull=False).distinct().count(), sent.count()
