"""Documents on a patient's record: referral letters, imaging reports, payer letters,
consent forms, insurance cards. The file itself is in the documents storage
(``storage.documents_storage``) under a name we make, never the sender's; the row says
what it is, whose it is, who brought it in and when, and whether it was deleted (soft:
the file is kept for the retention period)."""

import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from clinic.roles import display_name
from intake.models import Patient
from sessions.billing.models import PayerCase
from sessions.charting.models import Visit


def new_nonce() -> str:
    return secrets.token_urlsafe(24)


class Kind(models.TextChoices):
    REFERRAL = "referral", "Referral"
    IMAGING = "imaging", "Imaging report"
    PAYER_LETTER = "payer_letter", "Payer letter"
    CONSENT = "consent", "Consent form"
    INSURANCE_CARD = "insurance_card", "Insurance card"
    OTHER = "other", "Other"


# Kinds front desk may never be allowed to open: they are clinical by nature.
ALWAYS_CLINICAL = frozenset({Kind.REFERRAL, Kind.IMAGING})
# What front desk opens until the clinic says otherwise: the kinds without clinical content.
DESK_KINDS_DEFAULT = [Kind.INSURANCE_CARD.value, Kind.PAYER_LETTER.value]


def desk_kinds_default() -> list[str]:
    return list(DESK_KINDS_DEFAULT)


class DocumentQuerySet(models.QuerySet):
    def kept(self) -> "DocumentQuerySet":
        """The documents not deleted."""
        return self.filter(deleted_at__isnull=True)

    def without_thumbnail_bytes(self) -> "DocumentQuerySet":
        """The thumbnail's bytes left unread; ``has_thumbnail`` says whether there is one."""
        return self.defer("thumbnail").annotate(
            has_thumbnail=models.Case(
                models.When(thumbnail__isnull=False, then=models.Value(True)),
                default=models.Value(False),
                output_field=models.BooleanField(),
            )
        )


class Document(models.Model):
    """One file on a patient's record, optionally about one visit or one payer case.

    ``storage_name``: the file's name in the documents storage (``patients/<patient
    id>/<random>.<ext>``). ``content_type`` is what the bytes were found to be, after
    images were re-encoded (application/pdf, image/jpeg or image/png). ``size``: bytes
    stored. ``thumbnail``: a small JPEG of the image or of a PDF's first page, or None.
    """

    class Source(models.TextChoices):
        STAFF = "staff", "Staff"
        INTAKE_LINK = "intake_link", "Patient, intake link"
        REQUEST_LINK = "request_link", "Patient, document link"

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="documents")
    visit = models.ForeignKey(
        Visit, null=True, blank=True, on_delete=models.PROTECT, related_name="documents"
    )
    payer_case = models.ForeignKey(
        PayerCase, null=True, blank=True, on_delete=models.PROTECT, related_name="documents"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    title = models.CharField(max_length=200)
    document_date = models.DateField(
        "date of the document",
        null=True,
        blank=True,
        help_text="The date written on it (a referral's, a report's); empty if unknown.",
    )
    notes = models.TextField(blank=True, max_length=2000)
    storage_name = models.CharField(max_length=200, unique=True, editable=False)
    original_name = models.CharField(max_length=200, blank=True, editable=False)
    content_type = models.CharField(max_length=50, editable=False)
    size = models.PositiveBigIntegerField(editable=False)
    sha256 = models.CharField(max_length=64, editable=False)
    thumbnail = models.BinaryField(null=True, blank=True, editable=False)
    source = models.CharField(max_length=20, choices=Source.choices, default=Source.STAFF)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(default=timezone.now, editable=False)
    deleted_at = models.DateTimeField(null=True, blank=True, editable=False)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    deletion_reason = models.CharField(max_length=300, blank=True, editable=False)
    file_purged_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = DocumentQuerySet.as_manager()

    class Meta:
        ordering = ["-uploaded_at", "-id"]
        indexes = [
            # The patient page's and the timeline's list: a patient's kept documents.
            models.Index(
                fields=["patient", "-uploaded_at"],
                name="document_patient_idx",
                condition=models.Q(deleted_at__isnull=True),
            ),
            models.Index(fields=["visit"], name="document_visit_idx"),
            models.Index(fields=["payer_case"], name="document_case_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(deleted_at__isnull=True) | ~models.Q(deletion_reason=""),
                name="document_deletion_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.title}"

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")

    @property
    def uploader(self) -> str:
        """Who added it, as pages say: the staff member, else the patient and how."""
        if self.uploaded_by is not None:
            return display_name(self.uploaded_by)
        return {
            self.Source.INTAKE_LINK: "Patient (intake link)",
            self.Source.REQUEST_LINK: "Patient (document link)",
        }.get(self.Source(self.source), "—")

    @property
    def extension(self) -> str:
        return self.storage_name.rsplit(".", 1)[-1]

    def clean(self) -> None:
        errors = {}
        if self.visit is not None and self.visit.appointment.patient_id != self.patient_id:
            errors["visit"] = "That visit is another patient's."
        if self.payer_case is not None and self.payer_case.patient_id != self.patient_id:
            errors["payer_case"] = "That payer case is another patient's."
        if errors:
            raise ValidationError(errors)


class DocumentPolicy(models.Model):
    """Which kinds of document front desk may open: one row (``DocumentPolicy.get()``),
    set by the clinic admin. Referrals and imaging reports are never among them."""

    desk_kinds = models.JSONField(default=desk_kinds_default, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    changed_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return "Document access"

    @classmethod
    def get(cls) -> "DocumentPolicy":
        return cls.objects.get_or_create(pk=1)[0]

    def clean(self) -> None:
        kinds = set(self.desk_kinds or [])
        unknown = kinds - set(Kind.values)
        if unknown:
            raise ValidationError({"desk_kinds": f"Unknown kinds: {', '.join(sorted(unknown))}."})
        clinical = kinds & ALWAYS_CLINICAL
        if clinical:
            names = ", ".join(sorted(Kind(k).label.lower() for k in clinical))
            raise ValidationError(
                {"desk_kinds": f"Front desk never opens clinical documents ({names})."}
            )


class DocumentRequest(models.Model):
    """A "send us a document" link the front desk emails to a patient: it works for
    ``DOCUMENT_REQUEST_LINK_DAYS`` from ``created_at`` (clinic/links.py's rule), until
    revoked (a new nonce)."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="document_requests")
    nonce = models.CharField(max_length=64, unique=True, default=new_nonce, editable=False)
    note = models.CharField(
        "what to send",
        max_length=200,
        blank=True,
        help_text="Shown to the patient, e.g. “your referral from Dr. Singh”.",
    )
    sent_to = models.EmailField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["patient", "-created_at"], name="docrequest_patient_idx")]

    def __str__(self) -> str:
        return f"Document link for patient {self.patient_id}"
