"""Follow-up counts: message health for operations, check-in response rates."""

from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, Min, Q
from django.utils import timezone

from clinic.types import StaffUser
from sessions.followups.models import ScheduledMessage


def message_health(now: datetime | None = None) -> dict[str, Any]:
    """Counts for operations: due, sending, failed, sent in 24 h, and the oldest
    overdue message's wait in seconds (0 if none). Raises nothing."""
    now = now or timezone.now()
    counts = ScheduledMessage.objects.aggregate(
        due=Count("pk", filter=Q(status=ScheduledMessage.Status.PENDING, due_at__lte=now)),
        sending=Count("pk", filter=Q(status=ScheduledMessage.Status.SENDING)),
        failed=Count("pk", filter=Q(status=ScheduledMessage.Status.FAILED)),
        sent_24h=Count(
            "pk",
            filter=Q(status=ScheduledMessage.Status.SENT, sent_at__gte=now - timedelta(hours=24)),
        ),
        oldest_due=Min("due_at", filter=Q(status=ScheduledMessage.Status.PENDING, due_at__lte=now)),
    )
    oldest = counts.pop("oldest_due")
    counts["oldest_overdue_seconds"] = int((now - oldest).total_seconds()) if oldest else 0
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
