"""Follow-ups' records: scheduled messages (check-ins and reminders), check-in answers,
alerts for the physiotherapist and call tasks for front desk."""

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils import timezone

from sessions.booking.models import Appointment
from sessions.charting.models import Visit

# Messages that will never go out: they do not hold their key (see the constraint).
DEAD_STATUSES = ("cancelled", "skipped")


class ScheduledMessageQuerySet(models.QuerySet):
    def live(self):
        """Rows that hold their key: everything except cancelled and skipped ones."""
        return self.exclude(status__in=DEAD_STATUSES)

    def claimable(self, now):
        """Due and waiting, or left "sending" by a worker whose lease ran out."""
        return self.filter(
            models.Q(status=ScheduledMessage.Status.PENDING, due_at__lte=now)
            | models.Q(status=ScheduledMessage.Status.SENDING, lease_until__lt=now)
        )


class ScheduledMessage(models.Model):
    """A message to a patient with a due time. The database, not the broker, holds the
    schedule; the dispatcher claims due rows and queues one send task per row."""

    class Kind(models.TextChoices):
        CHECKIN = "checkin", "Soreness check-in"
        REMINDER = "reminder", "Appointment reminder"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"
        SKIPPED = "skipped", "Skipped"

    key = models.CharField(
        max_length=80,
        db_index=True,
        help_text="One live message per purpose; cancelled and skipped rows do not count.",
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    patient = models.ForeignKey("intake.Patient", on_delete=models.PROTECT, related_name="+")
    appointment = models.ForeignKey(
        Appointment, on_delete=models.PROTECT, related_name="messages", null=True, blank=True
    )
    visit = models.ForeignKey(
        Visit, on_delete=models.PROTECT, related_name="messages", null=True, blank=True
    )
    hours_after = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    due_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    claim = models.CharField(max_length=40, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    nonce = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = ScheduledMessageQuerySet.as_manager()

    class Meta:
        ordering = ["due_at", "id"]
        indexes = [
            models.Index(fields=["status", "due_at"], name="message_status_due_idx"),
            models.Index(fields=["status", "lease_until"], name="message_status_lease_idx"),
            models.Index(fields=["status", "sent_at"], name="message_status_sent_idx"),
        ]
        constraints = [
            # A visit moved away and back, or check-ins cancelled and scheduled again,
            # must get a new live row under the old key: dead rows stay as history.
            models.UniqueConstraint(
                fields=["key"],
                condition=~models.Q(status__in=DEAD_STATUSES),
                name="message_live_key_uniq",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.key} ({self.status})"


class CheckinAnswer(models.Model):
    """One answer to a check-in; answering again adds a row (the latest counts)."""

    class Compared(models.TextChoices):
        BETTER = "better", "Better than I expected"
        AS_EXPECTED = "expected", "About as expected"
        WORSE = "worse", "Worse than I expected"

    RED_FLAGS = {
        "fever": "Fever or chills",
        "spreading_redness": "Redness, heat or swelling that is spreading",
        "numbness_weakness": "New numbness or weakness",
        "breathing": "Shortness of breath or chest pain",
        "severe_pain": "Pain above 8 out of 10 that is not easing after two days",
    }

    message = models.ForeignKey(ScheduledMessage, on_delete=models.PROTECT, related_name="answers")
    soreness = models.PositiveSmallIntegerField(
        "soreness (NPRS 0-10)",
        validators=[MaxValueValidator(10, "NPRS runs from 0 to 10.")],
        help_text="Post-needling soreness on the numeric pain rating scale: 0 = none, "
        "10 = the worst imaginable.",
    )
    compared = models.CharField(max_length=8, choices=Compared.choices)
    bruising = models.BooleanField(default=False)
    red_flags = models.JSONField(default=list, blank=True)
    comment = models.TextField(blank=True, max_length=2000)
    answered_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["message_id", "-answered_at", "-id"]
        indexes = [models.Index(fields=["message", "-answered_at"], name="answer_message_idx")]

    def __str__(self) -> str:
        return f"Answer to {self.message.key}"

    @property
    def needs_attention(self) -> bool:
        return bool(self.red_flags) or self.soreness >= 8

    @property
    def red_flag_labels(self) -> list[str]:
        return [self.RED_FLAGS.get(code, code) for code in self.red_flags]


class AlertQuerySet(models.QuerySet):
    def open(self) -> "AlertQuerySet":
        """Alerts not yet acknowledged."""
        return self.filter(acknowledged_at__isnull=True)


class Alert(models.Model):
    """A worrying check-in for the treating physiotherapist, until acknowledged. A visit
    has at most one open alert; it points at the latest worrying answer."""

    answer = models.OneToOneField(CheckinAnswer, on_delete=models.PROTECT, related_name="alert")
    visit = models.ForeignKey(Visit, on_delete=models.PROTECT, related_name="alerts")
    physio = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="alerts"
    )
    created_at = models.DateTimeField(default=timezone.now)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    action_taken = models.CharField(max_length=500, blank=True)

    objects = AlertQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["physio", "acknowledged_at"], name="alert_open_idx")]
        constraints = [
            # A worrying answer given again updates the visit's open alert (see
            # services.checkin_answer); this refuses a second one that races past.
            models.UniqueConstraint(
                fields=["visit"],
                condition=models.Q(acknowledged_at__isnull=True),
                name="alert_one_open_per_visit",
            )
        ]

    def __str__(self) -> str:
        return f"Alert for {self.visit}"


class CallTaskQuerySet(models.QuerySet):
    def open(self) -> "CallTaskQuerySet":
        """Calls not yet marked done."""
        return self.filter(done_at__isnull=True)


class CallTask(models.Model):
    """For front desk: call a patient back, after a check-in alert (``alert``) or at the
    patient's request (``reason``, for example an online booking the clinic must
    arrange). Carries no clinical detail."""

    patient = models.ForeignKey("intake.Patient", on_delete=models.PROTECT, related_name="+")
    alert = models.OneToOneField(
        Alert, null=True, blank=True, on_delete=models.PROTECT, related_name="call_task"
    )
    reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    done_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(max_length=300, blank=True)

    objects = CallTaskQuerySet.as_manager()

    class Meta:
        ordering = ["created_at"]
        indexes = [models.Index(fields=["done_at", "created_at"], name="calltask_open_idx")]

    def __str__(self) -> str:
        return f"Call {self.patient}"
