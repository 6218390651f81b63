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
    # How it went out: "email", "sms" or "both" (intake.models.Channel); empty until
    # then. ``fallback_reason``: why it went by email although texts were chosen.
    channels = models.CharField(max_length=5, blank=True)
    fallback_reason = models.CharField(max_length=300, blank=True)
    # Set as soon as the email has gone, so a retry of the text does not send it twice.
    email_sent_at = models.DateTimeField(null=True, blank=True)
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
    # A text reply front desk must read and answer (its words are on the reply).
    reply = models.OneToOneField(
        "SmsReply", null=True, blank=True, on_delete=models.PROTECT, related_name="call_task"
    )
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


class SmsDelivery(models.Model):
    """The text a scheduled message went out as, and what the provider said of it.

    Made (status ``attempting``, ``body`` kept) before the provider is called, so a
    worker that dies between the provider taking the text and this row saying so leaves
    a trace: the next attempt asks the provider whether it has the text already
    (``clinic.sms`` backends' ``find_sent``) instead of sending it twice.
    """

    class Status(models.TextChoices):
        ATTEMPTING = "attempting", "Being sent"
        REFUSED = "refused", "Refused by the provider"
        QUEUED = "queued", "Queued at the provider"
        SENT = "sent", "Sent to the carrier"
        DELIVERED = "delivered", "Delivered"
        UNDELIVERED = "undelivered", "Not delivered"
        FAILED = "failed", "Failed"

    # Statuses that end a text's story: a late "sent" callback must not undo them.
    FINAL = (Status.REFUSED, Status.DELIVERED, Status.UNDELIVERED, Status.FAILED)
    # The provider did not get the text to the phone: the email fallback may go.
    NOT_DELIVERED = (Status.REFUSED, Status.UNDELIVERED, Status.FAILED)

    message = models.OneToOneField(ScheduledMessage, on_delete=models.PROTECT, related_name="sms")
    to = models.CharField("to (E.164)", max_length=16)
    body = models.TextField(max_length=1600)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.ATTEMPTING)
    # The provider's id (Twilio's "SM..."): status callbacks name the text by it.
    provider_id = models.CharField(max_length=64, blank=True)
    segments = models.PositiveSmallIntegerField(null=True, blank=True)
    # The provider's error code for a refusal or a failed delivery ("21211", "30003").
    error_code = models.CharField(max_length=20, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    sent_at = models.DateTimeField(null=True, blank=True)
    status_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["status", "status_at"], name="smsdelivery_status_idx"),
            # A reply is matched to the latest text sent to its number.
            models.Index(fields=["to", "-sent_at"], name="smsdelivery_to_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["provider_id"],
                condition=~models.Q(provider_id=""),
                name="smsdelivery_provider_id_uniq",
            )
        ]

    def __str__(self) -> str:
        return f"Text for message {self.message_id} ({self.status})"


class SmsReply(models.Model):
    """A text a patient sent to the clinic's number, and what it did. Kept once per
    provider id, so the provider delivering it again changes nothing. The text can hold
    anything a patient writes: only staff who handle calls read it (audited)."""

    class Action(models.TextChoices):
        CONFIRMED = "confirmed", "Confirmed the visit"
        NO_VISIT = "no_visit", "Confirmed, but no visit is coming up"
        RESCHEDULE = "reschedule", "Asked to rebook"
        OPTED_OUT = "opted_out", "Opted out of texts"
        OPTED_IN = "opted_in", "Opted back in to texts"
        HELP = "help", "Asked for help"
        TASK = "task", "Passed to front desk"
        UNKNOWN_NUMBER = "unknown", "From a number not on file"

    provider_id = models.CharField(max_length=64, unique=True)
    from_number = models.CharField("from (E.164)", max_length=16)
    body = models.TextField(max_length=1600)
    received_at = models.DateTimeField(default=timezone.now)
    patient = models.ForeignKey(
        "intake.Patient", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    appointment = models.ForeignKey(
        Appointment, null=True, blank=True, on_delete=models.PROTECT, related_name="sms_replies"
    )
    action = models.CharField(max_length=10, choices=Action.choices)
    # What the clinic answered (empty: nothing).
    answer = models.CharField(max_length=320, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [
            models.Index(fields=["patient", "-received_at"], name="smsreply_patient_idx"),
        ]

    def __str__(self) -> str:
        return f"Text reply {self.provider_id} ({self.action})"
