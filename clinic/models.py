import hashlib
from datetime import UTC

from django.conf import settings
from django.db import models
from django.utils import timezone


class AuditLogIsAppendOnly(Exception):
    pass


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AuditLogIsAppendOnly("Audit events cannot be changed.")

    def delete(self):
        raise AuditLogIsAppendOnly("Audit events cannot be deleted.")


class AuditEvent(models.Model):
    """One read or write of clinical data (or a refused attempt). Append-only.

    On PostgreSQL a trigger refuses UPDATE and DELETE as well (migration 0003).
    """

    class Action(models.TextChoices):
        VIEW = "view", "View"
        CREATE = "create", "Create"
        UPDATE = "update", "Update"
        SIGN = "sign", "Sign"
        EXPORT = "export", "Export"
        DENIED = "denied", "Denied"
        LOGIN = "login", "Signed in"
        LOGIN_FAILED = "login-fail", "Sign-in failed"

    at = models.DateTimeField(default=timezone.now, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    role = models.CharField(max_length=40, blank=True)
    action = models.CharField(max_length=10, choices=Action.choices)
    patient = models.ForeignKey(
        "intake.Patient", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    object_type = models.CharField(max_length=100, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    url_name = models.CharField(max_length=200, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    detail = models.CharField(max_length=300, blank=True)
    # Hash chain: each row's digest covers its fields and the previous row's digest,
    # so `manage.py audit_verify` finds a row changed or removed behind the app's back.
    prev_digest = models.CharField(max_length=64, blank=True, editable=False)
    digest = models.CharField(max_length=64, blank=True, editable=False)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["-at", "-id"], name="audit_at_idx"),
            models.Index(fields=["patient", "-at"], name="audit_patient_at_idx"),
            models.Index(fields=["user", "-at"], name="audit_user_at_idx"),
            models.Index(fields=["action", "-at"], name="audit_action_at_idx"),
        ]

    def __str__(self) -> str:
        who = self.user or self.role or "anonymous"
        return f"{self.at:%Y-%m-%d %H:%M} {who} {self.action} {self.object_type} {self.object_id}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AuditLogIsAppendOnly("Audit events cannot be changed.")
        super().save(*args, **kwargs)

    def compute_digest(self) -> str:
        fields = [
            self.prev_digest,
            self.at.astimezone(UTC).isoformat(),
            str(self.user_id or ""),
            self.role,
            self.action,
            str(self.patient_id or ""),
            self.object_type,
            self.object_id,
            self.url_name,
            self.ip or "",
            self.detail,
        ]
        return hashlib.sha256("\x1f".join(fields).encode()).hexdigest()

    def delete(self, *args, **kwargs):
        raise AuditLogIsAppendOnly("Audit events cannot be deleted.")


class FormSubmission(models.Model):
    """A one-time form token that has been used, and where its first submission led.

    ``clinic.once`` inserts the row in the same transaction as the record the form
    creates, so a resubmission (double click, reload, back and send) finds it.
    """

    token = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", null=True
    )
    result_url = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        indexes = [models.Index(fields=["created_at"], name="formsubmission_created_idx")]

    def __str__(self) -> str:
        return f"form token used {self.created_at:%Y-%m-%d %H:%M}"


class PractitionerProfile(models.Model):
    """What a receipt says about a practitioner beyond their name: designation and
    professional registration (insurers reimburse only on a receipt that shows them)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="practitioner_profile"
    )
    designation = models.CharField(
        max_length=80, blank=True, help_text="For example Registered Physiotherapist (PT)."
    )
    registration_number = models.CharField(
        "professional registration number", max_length=40, blank=True
    )
    regulatory_body = models.CharField(
        max_length=120, blank=True, help_text="For example College of Physiotherapists of Alberta."
    )

    def __str__(self) -> str:
        return f"Profile of {self.user}"


class ShortLink(models.Model):
    """A short address (``/s/<code>``) standing for a long patient link, so a text
    message keeps to one segment. The code is random and as secret as the link it
    stands for; it stops working when ``expires_at`` comes (the long link's own end)."""

    code = models.CharField(max_length=16, unique=True, editable=False)
    target = models.CharField(max_length=500)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    expires_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["expires_at"], name="shortlink_expires_idx")]

    def __str__(self) -> str:
        return f"Short link {self.code[:3]}…"
