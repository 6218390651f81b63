"""Outcome measures' records: the questionnaires sent to patients (and their answers and
scores), when the clinic sends them, the licensed wording a clinic loaded, and the
progress reports a physiotherapist signs. The instruments themselves are data in
``instruments``, not rows."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from sessions.booking.models import Appointment, AppointmentType, Course


class InstrumentWording(models.Model):
    """The item wording a clinic loaded for a licensed instrument (``instruments.
    Licence.LICENSED``), under the licence it names. ``items``: {item key: {"text": str,
    "options": {value (str): label}}} for every item of the instrument."""

    instrument = models.CharField(max_length=20, unique=True)
    items = models.JSONField()
    licence_reference = models.CharField(
        max_length=300,
        help_text="The clinic's licence for this wording: who granted it, until when.",
    )
    loaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    loaded_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Wording of {self.instrument}"


class OutcomeSchedule(models.Model):
    """When the clinic sends an instrument: before the visits numbered ``visit_numbers``
    of a course (1: the first visit, with the intake) and, with ``at_discharge``, when
    the course closes; for visits of ``appointment_type`` (empty: every type that
    counts as a visit). Set by the clinic admin."""

    instrument = models.CharField(max_length=20)
    appointment_type = models.ForeignKey(
        AppointmentType, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    visit_numbers = models.JSONField(default=list, blank=True)
    at_discharge = models.BooleanField(default=False)
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["instrument", "id"]

    def __str__(self) -> str:
        return f"Schedule for {self.instrument}"


class Questionnaire(models.Model):
    """One instrument sent to one patient through a signed link (``nonce``), kept as
    they fill it in (``answers`` saved as they go) and scored when they finish. Good
    until ``expires_at``; a finished one is never changed."""

    class Trigger(models.TextChoices):
        VISIT = "visit", "Before a visit of the course"
        DISCHARGE = "discharge", "At discharge"
        MANUAL = "manual", "Sent by a physiotherapist"
        TABLET = "tablet", "Filled in at the clinic"

    patient = models.ForeignKey(
        "intake.Patient", on_delete=models.PROTECT, related_name="questionnaires"
    )
    instrument = models.CharField(max_length=20)
    course = models.ForeignKey(
        Course, null=True, blank=True, on_delete=models.PROTECT, related_name="questionnaires"
    )
    # The visit it was sent before (or at): where its score sits on the course's curve.
    appointment = models.ForeignKey(
        Appointment,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="questionnaires",
    )
    schedule = models.ForeignKey(
        OutcomeSchedule, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    trigger = models.CharField(max_length=10, choices=Trigger.choices)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    nonce = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    expires_at = models.DateTimeField()
    # {item key: value}; for patient-named items (PSFS) also {item key + "_name": name}.
    answers = models.JSONField(default=dict, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    score = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    answered_items = models.PositiveSmallIntegerField(null=True, blank=True)
    score_note = models.CharField(max_length=300, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["patient", "instrument", "created_at"], name="quest_patient_idx"),
            models.Index(fields=["course", "instrument"], name="quest_course_idx"),
            models.Index(fields=["appointment"], name="quest_appointment_idx"),
        ]
        constraints = [
            # One questionnaire of an instrument per visit: a schedule run twice, or a
            # reminder sent again, finds the one it made.
            models.UniqueConstraint(
                fields=["appointment", "instrument"],
                condition=models.Q(withdrawn_at__isnull=True),
                name="quest_one_per_visit",
            )
        ]

    def __str__(self) -> str:
        return f"{self.instrument} for {self.patient}"

    @property
    def is_completed(self) -> bool:
        return self.completed_at is not None


class ProgressReport(models.Model):
    """A progress summary a physiotherapist signed for a payer or a referring
    physician: what it said (``content``, the scores, dates, visits and dose as they
    were when signed), to whom, and when. Never changed after signing."""

    patient = models.ForeignKey(
        "intake.Patient", on_delete=models.PROTECT, related_name="progress_reports"
    )
    course = models.ForeignKey(
        Course, null=True, blank=True, on_delete=models.PROTECT, related_name="progress_reports"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="progress_reports"
    )
    recipient = models.CharField(max_length=200)
    comment = models.TextField(max_length=4000, blank=True)
    content = models.JSONField()
    signed_at = models.DateTimeField(default=timezone.now)
    nonce = models.CharField(max_length=64, unique=True, editable=False)

    class Meta:
        ordering = ["-signed_at", "-id"]
        indexes = [models.Index(fields=["patient", "-signed_at"], name="report_patient_idx")]

    def __str__(self) -> str:
        return f"Progress report for {self.patient} ({self.signed_at:%Y-%m-%d})"

    def save(self, *args, **kwargs) -> None:
        """Saved once, when signed. Raises ReportIsSigned for a report already saved:
        a change is a new report."""
        if self.pk is not None and ProgressReport.objects.filter(pk=self.pk).exists():
            raise ReportIsSigned("A signed progress report cannot be changed; sign a new one.")
        super().save(*args, **kwargs)


class ReportIsSigned(Exception):
    pass
