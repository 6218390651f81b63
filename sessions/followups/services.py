"""Follow-up messages: soreness check-ins after a needling visit and reminders the day
before a visit, scheduled as ScheduledMessage rows; answers to check-ins and the alerts
and call tasks a worrying answer raises. Sending is ``dispatch``; counts are ``selectors``.

A key names a message's purpose (a reminder for this visit at this time, the 24-hour
check-in of this visit). Only live rows hold it: a cancelled or skipped row is history,
so a visit moved away and back gets its reminder again.
"""

import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from clinic import clock, emails
from clinic.links import link_live, link_to, row_from_token
from clinic.types import StaffUser
from sessions import schedule
from sessions.booking.models import Appointment
from sessions.charting.models import Visit
from sessions.followups.links import alert_url
from sessions.followups.models import Alert, CallTask, CheckinAnswer, ScheduledMessage

CHECKIN_PURPOSE = "checkin"
# A reminder is not worth sending for a visit closer than this.
REMINDER_MIN_NOTICE = timedelta(hours=2)


def deliverable_at(moment: datetime) -> datetime:
    """``moment``, or the end of the quiet hours it falls in (QUIET_HOURS_START to
    QUIET_HOURS_END, the clinic's wall clock). Raises nothing (the settings are checked
    at start-up)."""
    return schedule.out_of_quiet_hours(
        moment,
        schedule.clock(settings.QUIET_HOURS_START),
        schedule.clock(settings.QUIET_HOURS_END),
        clock.clinic_tz(),
    )


def _schedule_once(**fields: Any) -> ScheduledMessage | None:
    """A new pending message, unless a live one holds its key already."""
    if ScheduledMessage.objects.live().filter(key=fields["key"]).exists():
        return None
    message = ScheduledMessage(nonce=secrets.token_urlsafe(24), **fields)
    message.due_at = deliverable_at(message.due_at)
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
    """Check-ins FOLLOWUP_CHECKIN_HOURS hours after the visit ends (once per visit and
    offset); returns the ones created now. Raises ValidationError keyed by the
    ScheduledMessage field ``full_clean`` refuses."""
    created: list[ScheduledMessage] = []
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
    Returns the new message, or None. Raises ValidationError keyed by the
    ScheduledMessage field ``full_clean`` refuses."""
    now = now or timezone.now()
    if appointment.start - now < REMINDER_MIN_NOTICE:
        return None
    due = schedule.reminder_due(
        appointment.start, schedule.clock(settings.REMINDER_TIME), clock.clinic_tz()
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
    """Cancel what has not gone out yet (a cancelled or moved visit); returns how many.
    Raises nothing: a message already sent or sending is left as it is."""
    return ScheduledMessage.objects.filter(
        appointment=appointment, kind__in=kinds, status=ScheduledMessage.Status.PENDING
    ).update(
        status=ScheduledMessage.Status.CANCELLED,
        last_error="The appointment was cancelled or moved.",
    )


def reminder_move(
    *, appointment: Appointment, now: datetime | None = None
) -> ScheduledMessage | None:
    """Cancel the visit's pending reminder and schedule one for its new time (or None,
    as ``reminder_schedule``, which says what it raises)."""
    messages_cancel_for(appointment=appointment)
    return reminder_schedule(appointment=appointment, now=now)


# --- Check-in answers and escalation ---------------------------------------------------------


def checkin_link(message: ScheduledMessage) -> str:
    """The full address of the check-in's answer page."""
    return link_to(CHECKIN_PURPOSE, message, "sessions:checkin")


def checkin_from_token(token: str, now: datetime | None = None) -> ScheduledMessage | None:
    """The check-in a link opens: genuine, sent, and within CHECKIN_LINK_DAYS days of
    its sending (else None)."""
    now = now or timezone.now()
    sent_checkins = ScheduledMessage.objects.select_related(
        "patient", "visit__author", "visit__appointment"
    ).filter(kind=ScheduledMessage.Kind.CHECKIN, status=ScheduledMessage.Status.SENT)
    message = row_from_token(CHECKIN_PURPOSE, token, sent_checkins)
    if message is None:
        return None
    if message.sent_at is None or not link_live(message.sent_at, settings.CHECKIN_LINK_DAYS, now):
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
    alert = Alert.objects.open().filter(visit=visit).first()
    if alert is not None:
        alert.answer = answer
        alert.save(update_fields=["answer"])
        return alert
    alert = Alert.objects.create(answer=answer, visit=visit, physio=visit.author)
    if not CallTask.objects.open().filter(alert__visit=visit).exists():
        CallTask.objects.create(patient=message.patient, alert=alert)
    physio_email = visit.author.email
    if physio_email:
        link = alert_url(alert.pk)
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
    alert as saved; raises nothing."""
    now = now or timezone.now()
    _lock_visit(alert.visit_id)
    Alert.objects.open().filter(visit=alert.visit).update(
        acknowledged_by=by, acknowledged_at=now, action_taken=action_taken.strip()
    )
    if call_handled:
        CallTask.objects.open().filter(alert__visit=alert.visit).update(
            done_by=by, done_at=now, note="Not needed: the physiotherapist spoke to the patient."
        )
    alert.refresh_from_db()
    return alert


def call_task_done(
    *, task: CallTask, by: StaffUser, note: str, now: datetime | None = None
) -> CallTask:
    """Close a front-desk call with what was said; returns the task. Raises nothing."""
    task.done_by = by
    task.done_at = now or timezone.now()
    task.note = note.strip()
    task.save(update_fields=["done_by", "done_at", "note"])
    return task
