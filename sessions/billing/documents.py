"""Billing's issued documents: invoices and their lines, credit notes, payments, their
allocations and refunds.

An issued invoice, its lines and a credit note never change, nor do recorded payments,
refunds and their allocations. The models and their
querysets refuse with ``DocumentIsIssued``; the one change allowed is voiding an invoice
once (``Invoice.void_fields``), and on PostgreSQL triggers refuse any other change from
any SQL (migrations 0014 and 0017). Every document names its ``patient`` so
``clinic.audit.record(request, ..., obj=document)`` files it under them."""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils import timezone

from sessions.billing.models import AMOUNT_MAX, PERCENT, POSITIVE, PayerCase
from sessions.booking.models import Appointment, Location


class DocumentIsIssued(ValidationError):
    """An issued invoice or credit note cannot change: void it or issue a credit note."""

    MESSAGE = "An issued invoice is never edited: void it or issue a credit note."

    def __init__(self, message: str = MESSAGE):
        super().__init__(message, code="issued")


MONEY_IS_RECORDED = "Recorded money is never edited or deleted: record a refund or a credit note."


class Portion(models.TextChoices):
    PATIENT = "patient", "Patient"
    PAYER = "payer", "Payer"


class ImmutableQuerySet(models.QuerySet):
    """Refuses bulk changes: issued documents are changed by no one."""

    def update(self, **kwargs):
        raise DocumentIsIssued()

    def delete(self):
        raise DocumentIsIssued()


class MoneyQuerySet(models.QuerySet):
    """Refuses bulk changes to recorded money (payments, refunds, allocations)."""

    def update(self, **kwargs):
        raise DocumentIsIssued(MONEY_IS_RECORDED)

    def delete(self):
        raise DocumentIsIssued(MONEY_IS_RECORDED)


class RecordedMoney(models.Model):
    """Money recorded once (payments, refunds, allocations): written, then never saved
    again nor deleted, here or through ``MoneyQuerySet``; PostgreSQL triggers refuse the
    same from any SQL (migration 0017)."""

    objects = MoneyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise DocumentIsIssued(MONEY_IS_RECORDED)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise DocumentIsIssued(MONEY_IS_RECORDED)


class InvoiceQuerySet(ImmutableQuerySet):
    def live(self) -> "InvoiceQuerySet":
        return self.filter(voided_at__isnull=True)


class Invoice(models.Model):
    """A bill for one service date, split between the payer case (``payer_portion``)
    and the patient (``patient_portion``); ``total`` is their sum and the lines' sum."""

    number = models.PositiveIntegerField(unique=True, editable=False)
    patient = models.ForeignKey("intake.Patient", on_delete=models.PROTECT, related_name="invoices")
    appointment = models.ForeignKey(
        Appointment, null=True, blank=True, on_delete=models.PROTECT, related_name="invoices"
    )
    payer_case = models.ForeignKey(
        PayerCase, null=True, blank=True, on_delete=models.PROTECT, related_name="invoices"
    )
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="invoices")
    practitioner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    service_date = models.DateField()
    issued_at = models.DateTimeField(default=timezone.now)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    payer_portion = models.DecimalField(max_digits=10, decimal_places=2, validators=[AMOUNT_MAX])
    patient_portion = models.DecimalField(max_digits=10, decimal_places=2, validators=[AMOUNT_MAX])
    total = models.DecimalField(max_digits=10, decimal_places=2, validators=[AMOUNT_MAX])
    voided_at = models.DateTimeField(null=True, blank=True)
    voided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    void_reason = models.CharField(max_length=300, blank=True)

    objects = InvoiceQuerySet.as_manager()

    void_fields = ("voided_at", "voided_by", "void_reason")

    class Meta:
        ordering = ["-issued_at", "-number"]
        indexes = [
            models.Index(fields=["patient", "issued_at"], name="invoice_patient_idx"),
            models.Index(fields=["payer_case", "issued_at"], name="invoice_case_idx"),
            models.Index(fields=["location", "issued_at"], name="invoice_location_idx"),
            models.Index(fields=["location", "voided_at"], name="invoice_location_void_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["appointment"],
                condition=models.Q(voided_at__isnull=True, appointment__isnull=False),
                name="one_live_invoice_per_appointment",
            ),
            models.CheckConstraint(
                condition=models.Q(total=models.F("payer_portion") + models.F("patient_portion")),
                name="invoice_portions_add_up",
            ),
            models.CheckConstraint(
                condition=models.Q(payer_portion__gte=0, patient_portion__gte=0),
                name="invoice_portions_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return self.display_number

    def save(self, *args, **kwargs):
        if self.pk is not None:
            fields = set(kwargs.get("update_fields") or ())
            voiding = "voided_at" in fields and self.voided_at is not None
            voidable = Invoice.objects.filter(pk=self.pk, voided_at__isnull=True).exists()
            if not (voiding and fields <= {*self.void_fields} and voidable):
                raise DocumentIsIssued()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise DocumentIsIssued()

    @property
    def display_number(self) -> str:
        return f"INV-{self.number:06d}"

    @property
    def is_void(self) -> bool:
        return self.voided_at is not None


class InvoiceLine(models.Model):
    """One line as issued: the price and tax are copied, never looked up again."""

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="lines")
    item = models.ForeignKey(
        "treatment_sessions.BillableItem",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    description = models.CharField(max_length=200)
    quantity = models.PositiveSmallIntegerField(
        default=1, validators=[MaxValueValidator(100, "A line holds at most 100 of an item.")]
    )
    unit_price = models.DecimalField(max_digits=10, decimal_places=2, validators=[AMOUNT_MAX])
    tax_name = models.CharField(max_length=20, blank=True)
    tax_rate = models.DecimalField(
        max_digits=5, decimal_places=2, default=Decimal(0), validators=PERCENT
    )
    tax_amount = models.DecimalField(
        max_digits=10, decimal_places=2, default=Decimal(0), validators=[AMOUNT_MAX]
    )
    line_total = models.DecimalField(max_digits=10, decimal_places=2, validators=[AMOUNT_MAX])

    objects = ImmutableQuerySet.as_manager()

    class Meta:
        ordering = ["invoice_id", "id"]

    def __str__(self) -> str:
        return self.description

    def save(self, *args, **kwargs):
        # Lines are written only by ``invoice_issue`` (bulk_create, with the invoice);
        # on PostgreSQL a deferred trigger refuses lines that change an invoice's total.
        raise DocumentIsIssued("Lines are added only when their invoice is issued.")

    def delete(self, *args, **kwargs):
        raise DocumentIsIssued()


class CreditNote(models.Model):
    """Takes ``amount`` off one portion of an invoice. The part beyond that portion's
    unpaid balance becomes patient credit (a ``Payment`` of method ``credit_note``);
    ``applied`` is the part that reduced the balance."""

    number = models.PositiveIntegerField(unique=True, editable=False)
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="credit_notes")
    portion = models.CharField(max_length=8, choices=Portion.choices, default=Portion.PATIENT)
    amount = models.DecimalField(max_digits=10, decimal_places=2, validators=[AMOUNT_MAX, POSITIVE])
    applied = models.DecimalField(max_digits=10, decimal_places=2, validators=[AMOUNT_MAX])
    reason = models.CharField(max_length=300)
    issued_at = models.DateTimeField(default=timezone.now)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    objects = ImmutableQuerySet.as_manager()

    class Meta:
        ordering = ["-issued_at", "-number"]
        indexes = [
            models.Index(fields=["invoice", "portion"], name="creditnote_invoice_idx"),
            models.Index(fields=["issued_at"], name="creditnote_issued_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__gt=0, applied__gte=0, applied__lte=models.F("amount")),
                name="creditnote_amounts",
            )
        ]

    def __str__(self) -> str:
        return self.display_number

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise DocumentIsIssued("An issued credit note is never edited.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise DocumentIsIssued("An issued credit note is never edited.")

    @property
    def display_number(self) -> str:
        return f"CN-{self.number:06d}"

    @property
    def patient(self):
        return self.invoice.patient


class Payment(RecordedMoney):
    """Money received from the patient, or from a payer (``method`` payer, with its
    case). What is not allocated to invoices or refunds is the patient's credit."""

    class Method(models.TextChoices):
        CASH = "cash", "Cash"
        DEBIT = "debit", "Debit"
        CREDIT_CARD = "credit_card", "Credit card (terminal)"
        E_TRANSFER = "e_transfer", "E-transfer"
        CHEQUE = "cheque", "Cheque"
        PAYER = "payer", "Payer payment"
        # Not money received: a credit note's part beyond what was owed.
        CREDIT_NOTE = "credit_note", "Credit from a credit note"

    patient = models.ForeignKey("intake.Patient", on_delete=models.PROTECT, related_name="payments")
    method = models.CharField(max_length=12, choices=Method.choices)
    amount = models.DecimalField(max_digits=10, decimal_places=2, validators=[AMOUNT_MAX, POSITIVE])
    received_at = models.DateTimeField(default=timezone.now)
    reference = models.CharField(max_length=100, blank=True, help_text="Cheque or terminal number.")
    payer_case = models.ForeignKey(
        PayerCase, null=True, blank=True, on_delete=models.PROTECT, related_name="payments"
    )
    credit_note = models.OneToOneField(
        CreditNote, null=True, blank=True, on_delete=models.PROTECT, related_name="credit"
    )
    location = models.ForeignKey(
        Location, null=True, blank=True, on_delete=models.PROTECT, related_name="payments"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [
            models.Index(fields=["patient", "received_at"], name="payment_patient_idx"),
            models.Index(fields=["location", "received_at"], name="payment_location_idx"),
            models.Index(fields=["payer_case", "received_at"], name="payment_case_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="payment_positive"),
            models.CheckConstraint(
                condition=~models.Q(method="payer") | models.Q(payer_case__isnull=False),
                name="payer_payment_names_case",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_method_display()} {self.amount}"

    @property
    def is_patient_money(self) -> bool:
        return self.method != self.Method.PAYER


class Refund(RecordedMoney):
    """Money given back to the patient from their credit: recorded here, paid out by
    the clinic (cash, card terminal, cheque). Its allocations say which payments it
    came out of."""

    patient = models.ForeignKey("intake.Patient", on_delete=models.PROTECT, related_name="refunds")
    amount = models.DecimalField(max_digits=10, decimal_places=2, validators=[AMOUNT_MAX, POSITIVE])
    method = models.CharField(max_length=12, choices=Payment.Method.choices)
    reason = models.CharField(max_length=300)
    refunded_at = models.DateTimeField(default=timezone.now)
    location = models.ForeignKey(
        Location, null=True, blank=True, on_delete=models.PROTECT, related_name="refunds"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-refunded_at", "-id"]
        indexes = [
            models.Index(fields=["patient", "refunded_at"], name="refund_patient_idx"),
            models.Index(fields=["location", "refunded_at"], name="refund_location_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="refund_positive")
        ]

    def __str__(self) -> str:
        return f"Refund {self.amount}"


class PaymentAllocation(RecordedMoney):
    """Part of a payment put toward one portion of an invoice, or paid back by a refund
    (exactly one of ``invoice`` and ``refund``)."""

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="allocations")
    invoice = models.ForeignKey(
        Invoice, null=True, blank=True, on_delete=models.PROTECT, related_name="allocations"
    )
    refund = models.ForeignKey(
        Refund, null=True, blank=True, on_delete=models.PROTECT, related_name="allocations"
    )
    portion = models.CharField(max_length=8, choices=Portion.choices, default=Portion.PATIENT)
    amount = models.DecimalField(max_digits=10, decimal_places=2, validators=[AMOUNT_MAX, POSITIVE])
    allocated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["allocated_at", "id"]
        indexes = [
            models.Index(fields=["invoice", "portion"], name="allocation_invoice_idx"),
            models.Index(fields=["payment"], name="allocation_payment_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="allocation_positive"),
            models.CheckConstraint(
                condition=models.Q(invoice__isnull=False, refund__isnull=True)
                | models.Q(invoice__isnull=True, refund__isnull=False),
                name="allocation_invoice_or_refund",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.amount} of {self.payment}"
