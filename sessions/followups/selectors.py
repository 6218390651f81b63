"""Follow-up counts: message health (emails and texts) for operations, check-in response
rates."""

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Count, Min, Q
from django.utils import timezone

from clinic.types import StaffUser
from intake.models import Channel
from sessions.followups.models import ScheduledMessage, SmsDelivery

# A text still "being sent" this long after it was made: its worker died or hangs
# (the next attempt asks the provider before sending again).
SMS_STUCK_AFTER = timedelta(minutes=5)


def sms_backend_name() -> str:
    """The SMS backend in use as its module and class (``settings.SMS_BACKEND``'s last
    two parts, e.g. "twilio.SmsBackend": every backend's class is ``SmsBackend``); no
    credentials."""
    return ".".join(settings.SMS_BACKEND.rsplit(".", 2)[-2:])


def message_health(now: datetime | None = None) -> dict[str, Any]:
    """Counts for operations, in two aggregate queries: messages due, sending, failed,
    sent in 24 h, the oldest overdue message's wait in seconds (0 if none), and those
    that went by email in 24 h because a text could not (``email_fallback_24h``); texts
    handed to the provider in 24 h (``sms_sent_24h``), reported delivered in 24 h, not
    delivered (refused, undelivered or failed) in 24 h, and stuck "being sent" for over
    ``SMS_STUCK_AFTER`` (``sms_stuck``). Raises nothing."""
    now = now or timezone.now()
    since = now - timedelta(hours=24)
    counts = ScheduledMessage.objects.aggregate(
        due=Count("pk", filter=Q(status=ScheduledMessage.Status.PENDING, due_at__lte=now)),
        sending=Count("pk", filter=Q(status=ScheduledMessage.Status.SENDING)),
        failed=Count("pk", filter=Q(status=ScheduledMessage.Status.FAILED)),
        sent_24h=Count("pk", filter=Q(status=ScheduledMessage.Status.SENT, sent_at__gte=since)),
        email_fallback_24h=Count(
            "pk",
            filter=Q(
                status=ScheduledMessage.Status.SENT, sent_at__gte=since, channels=Channel.EMAIL
            )
            & ~Q(fallback_reason=""),
        ),
        oldest_due=Min("due_at", filter=Q(status=ScheduledMessage.Status.PENDING, due_at__lte=now)),
    )
    oldest = counts.pop("oldest_due")
    counts["oldest_overdue_seconds"] = int((now - oldest).total_seconds()) if oldest else 0
    # Only texts whose status changed in 24 h (a text's sent_at is never after its
    # status_at) and those still being sent: both read from the (status, status_at)
    # index, not the whole table.
    attempting = SmsDelivery.Status.ATTEMPTING
    answered = [status for status in SmsDelivery.Status if status != attempting]
    recent = Q(status__in=answered, status_at__gte=since)
    counts |= SmsDelivery.objects.filter(recent | Q(status=attempting)).aggregate(
        sms_sent_24h=Count("pk", filter=Q(sent_at__gte=since)),
        sms_delivered_24h=Count("pk", filter=recent & Q(status=SmsDelivery.Status.DELIVERED)),
        sms_failed_24h=Count("pk", filter=recent & Q(status__in=SmsDelivery.NOT_DELIVERED)),
        sms_stuck=Count("pk", filter=Q(status=attempting, created_at__lt=now - SMS_STUCK_AFTER)),
    )
    return counts


def checkin_response_rate(
    physio: StaffUser, now: datetime | None = None, days: int = 30
) -> tuple[int, int]:
    """(answered, sent) check-ins of the physio's visits over the last ``days`` days.
    Raises nothing."""
    now = now or timezone.now()
    sent = ScheduledMessage.objects.filter(
        kind=ScheduledMessage.Kind.CHECKIN,
        status=ScheduledMessage.Status.SENT,
        visit__author=physio,
        sent_at__gte=now - timedelta(days=days),
    )
    return sent.filter(answers__isnull=False).distinct().count(), sent.count()


def reminders_of(appointment_id: int, limit: int = 5) -> list[ScheduledMessage]:
    """The visit's reminders, newest first (at most ``limit``), each with its text
    (``sms``, when one was sent), for the appointment page. One query. Raises nothing."""
    return list(
        ScheduledMessage.objects.filter(
            appointment_id=appointment_id, kind=ScheduledMessage.Kind.REMINDER
        )
        .select_related("sms")
        .order_by("-created_at", "-id")[:limit]
    )
