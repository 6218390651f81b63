"""Billing's catalogue and arrangements: billable items and their effective-dated fees,
payer cases with their authorisation, the missed-visit fee policy and the fees it
proposes, and the gapless document number series. The issued documents (invoices,
credit notes, payments) are in ``documents``."""

from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from clinic import clock
from sessions.booking.models import AppointmentType

# A typed amount's domain limit (a fee, a payment, a payer's remittance).
AMOUNT_MAX = MaxValueValidator(Decimal("50000.00"), "An amount is at most $50,000.00: check it.")
POSITIVE = MinValueValidator(Decimal("0.01"), "Enter an amount above zero.")
NOT_NEGATIVE = MinValueValidator(Decimal("0.00"), "The amount cannot be negative.")
PERCENT = [
    MinValueValidator(Decimal(0), "A percent runs from 0 to 100."),
    MaxValueValidator(Decimal(100), "A percent runs from 0 to 100."),
]


class PayerKind(models.TextChoices):
    WORKERS_COMP = "workers_comp", "Workers' compensation"
    MOTOR_VEHICLE = "motor_vehicle", "Motor vehicle"
    EXTENDED_HEALTH = "extended_health", "Extended health"
    SELF_PAY = "self_pay", "Self-pay"


class BillableItem(models.Model):
    """Something the clinic charges for: a visit type's treatment, or goods (a brace).
    Tax is per item; physiotherapy services are normally exempt (rate 0)."""

    name = models.CharField(max_length=100, unique=True)
    appointment_type = models.OneToOneField(
        AppointmentType,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="billable_item",
        help_text="The visit type this item bills (its fee is charged at check-out).",
    )
    tax_name = models.CharField(max_length=20, blank=True, help_text="For example GST.")
    tax_rate = models.DecimalField(
        "tax rate (%)", max_digits=5, decimal_places=2, default=Decimal(0), validators=PERCENT
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.tax_rate and not self.tax_name.strip():
            raise ValidationError({"tax_name": "Name the tax (for example GST)."})


class Fee(models.Model):
    """An item's price from ``effective_from`` on, for one payer kind (blank: the
    default). Invoice lines copy the price, so a new fee never changes an old invoice."""

    item = models.ForeignKey(BillableItem, on_delete=models.PROTECT, related_name="fees")
    payer_kind = models.CharField(
        max_length=20, choices=PayerKind.choices, blank=True, help_text="Blank: everyone else."
    )
    amount = models.DecimalField(
        max_digits=10, decimal_places=2, validators=[AMOUNT_MAX, NOT_NEGATIVE]
    )
    effective_from = models.DateField()

    class Meta:
        ordering = ["item_id", "payer_kind", "-effective_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["item", "payer_kind", "effective_from"], name="fee_one_per_day"
            ),
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="fee_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.item} {self.payer_kind or 'default'} from {self.effective_from}"


class PayerCaseQuerySet(models.QuerySet):
    def open_on(self, day: date) -> "PayerCaseQuerySet":
        return self.filter(opened_on__lte=day).exclude(closed_on__lt=day)


class PayerCase(models.Model):
    """Who pays for a patient's treatment of one injury or plan, and what they have
    authorised: a number of visits and/or dates, and the payer's share of each visit as
    a percent or an amount (the patient pays the rest)."""

    patient = models.ForeignKey(
        "intake.Patient", on_delete=models.PROTECT, related_name="payer_cases"
    )
    kind = models.CharField(max_length=20, choices=PayerKind.choices)
    payer_name = models.CharField(max_length=120, blank=True, help_text="For example WCB-Alberta.")
    claim_number = models.CharField("claim or policy number", max_length=60, blank=True)
    injury_date = models.DateField(null=True, blank=True)
    case_manager_name = models.CharField(max_length=120, blank=True)
    case_manager_phone = models.CharField(max_length=30, blank=True)
    case_manager_email = models.EmailField(blank=True)
    notes = models.TextField(blank=True, max_length=2000)
    opened_on = models.DateField(default=clock.clinic_today)
    closed_on = models.DateField(null=True, blank=True)
    authorised_visits = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MaxValueValidator(200, "At most 200 visits.")],
        help_text="Empty: no visit limit.",
    )
    authorised_from = models.DateField(null=True, blank=True)
    authorised_until = models.DateField(null=True, blank=True)
    payer_share_percent = models.DecimalField(
        "payer's share (%)",
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=PERCENT,
    )
    payer_share_amount = models.DecimalField(
        "payer's share per visit",
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[AMOUNT_MAX, NOT_NEGATIVE],
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = PayerCaseQuerySet.as_manager()

    class Meta:
        ordering = ["patient_id", "-opened_on", "-id"]
        indexes = [models.Index(fields=["patient", "closed_on"], name="payercase_patient_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(payer_share_percent__isnull=True)
                | models.Q(payer_share_amount__isnull=True),
                name="payercase_one_share",
            ),
            models.CheckConstraint(
                condition=models.Q(authorised_until__isnull=True)
                | models.Q(authorised_from__isnull=True)
                | models.Q(authorised_until__gte=models.F("authorised_from")),
                name="payercase_dates_in_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.claim_number}".strip()

    def clean(self) -> None:
        errors = {}
        if self.payer_share_percent is not None and self.payer_share_amount is not None:
            errors["payer_share_amount"] = "Give the payer's share as a percent or an amount."
        if (
            self.authorised_from
            and self.authorised_until
            and self.authorised_until < self.authorised_from
        ):
            errors["authorised_until"] = "The authorisation must end after it starts."
        if self.kind == PayerKind.SELF_PAY and (
            self.payer_share_percent is not None or self.payer_share_amount is not None
        ):
            errors["kind"] = "A self-pay case has no payer share."
        if errors:
            raise ValidationError(errors)


class BillingPolicy(models.Model):
    """The clinic's missed-visit fee policy: one row (``BillingPolicy.get()``)."""

    no_show_fee_on = models.BooleanField("charge a no-show fee", default=False)
    no_show_fee = models.DecimalField(
        max_digits=10, decimal_places=2, default=Decimal(0), validators=[AMOUNT_MAX, NOT_NEGATIVE]
    )
    late_cancel_fee_on = models.BooleanField("charge a late-cancellation fee", default=False)
    late_cancel_hours = models.PositiveSmallIntegerField(
        "hours of notice",
        default=24,
        validators=[MaxValueValidator(168, "At most 168 hours (a week).")],
    )
    late_cancel_fee = models.DecimalField(
        max_digits=10, decimal_places=2, default=Decimal(0), validators=[AMOUNT_MAX, NOT_NEGATIVE]
    )

    class Meta:
        verbose_name_plural = "billing policy"
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="one_billing_policy")]

    def __str__(self) -> str:
        return "Billing policy"

    def save(self, *args, **kwargs):
        self.pk = 1
        super().save(*args, **kwargs)

    @classmethod
    def get(cls) -> "BillingPolicy":
        return cls.objects.get_or_create(pk=1)[0]


class MissedVisitFee(models.Model):
    """A fee for a no-show or a late cancellation: proposed when the visit is marked,
    then charged (an invoice) or waived with a reason by the front desk."""

    class Kind(models.TextChoices):
        NO_SHOW = "no_show", "No-show fee"
        LATE_CANCEL = "late_cancel", "Late-cancellation fee"

    class Status(models.TextChoices):
        PROPOSED = "proposed", "Proposed"
        CHARGED = "charged", "Charged"
        WAIVED = "waived", "Waived"

    appointment = models.OneToOneField(
        "treatment_sessions.Appointment", on_delete=models.PROTECT, related_name="missed_fee"
    )
    kind = models.CharField(max_length=12, choices=Kind.choices)
    amount = models.DecimalField(max_digits=10, decimal_places=2, validators=[AMOUNT_MAX, POSITIVE])
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PROPOSED)
    waive_reason = models.CharField(max_length=300, blank=True)
    proposed_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    invoice = models.OneToOneField(
        "treatment_sessions.Invoice",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="missed_fee",
    )

    class Meta:
        ordering = ["-proposed_at"]
        indexes = [models.Index(fields=["status", "proposed_at"], name="missedfee_status_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.get_status_display()})"

    @property
    def patient(self):
        return self.appointment.patient


class DocumentSequence(models.Model):
    """The next number of one series ("invoice", "credit_note"), taken under a row lock
    inside the issuing transaction: numbers run without gaps or duplicates."""

    series = models.CharField(max_length=20, unique=True)
    next_number = models.PositiveIntegerField(default=1, editable=False)

    def __str__(self) -> str:
        return f"{self.series}: next {self.next_number}"


class ReceiptLink(models.Model):
    """A receipt emailed to the patient: the signed link's nonce (``clinic.links``; a
    new nonce revokes it) and when it was sent. It opens the one invoice it names."""

    invoice = models.ForeignKey(
        "treatment_sessions.Invoice", on_delete=models.PROTECT, related_name="receipt_links"
    )
    email = models.EmailField()
    nonce = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    sent_at = models.DateTimeField(null=True, blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["invoice", "created_at"], name="receiptlink_invoice_idx")]

    def __str__(self) -> str:
        return f"Receipt link for invoice {self.invoice_id}"
