"""Billing's writes for money: taking a payment (allocated to invoices, the rest held
as credit), applying credit to a later invoice, and recording a refund. Atomic,
keyword-only, ValidationError keyed by field; the screens audit them
(``audit.record(request, Action.CREATE, obj=payment)``)."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from clinic.types import StaffUser
from intake.models import Patient
from sessions.billing import money
from sessions.billing.documents import Invoice, Payment, PaymentAllocation, Portion, Refund
from sessions.billing.models import PayerCase
from sessions.billing.selectors import patient_credit_payments, with_balances
from sessions.booking.models import Location


@dataclass(frozen=True)
class AllocationIn:
    """Put ``amount`` (None: as much as is owed) of the payment toward ``invoice``."""

    invoice: Invoice
    amount: Decimal | None = None


def patient_lock(*, patient_id: int) -> None:
    """Lock the patient's row for the rest of the transaction. Every service that moves
    money (payments, credit, refunds, credit notes, voids) takes it first, then reads
    balances in fresh statements: a request that waited sees the other's commit. FOR NO
    KEY UPDATE: rows merely pointing at the patient (a booking) are not held up."""
    Patient.objects.select_for_update(no_key=True).filter(pk=patient_id).values_list("pk").first()


def _allocate(
    *, payment: Payment, invoice: Invoice, portion: str, amount: Decimal | None, now: datetime
) -> PaymentAllocation | None:
    """Allocate up to what the invoice's portion still owes; returns the allocation
    (None when nothing is owed and no amount was asked). Raises ValidationError keyed by
    ``amount`` when ``amount`` is more than is owed. The caller holds the patient lock."""
    inv = with_balances(Invoice.objects.filter(pk=invoice.pk)).get()
    if inv.is_void:
        raise ValidationError({"invoice": f"{inv.display_number} is void."})
    if inv.patient_id != payment.patient_id:
        raise ValidationError({"invoice": f"{inv.display_number} is another patient's invoice."})
    if portion == Portion.PAYER and inv.payer_case_id != payment.payer_case_id:
        raise ValidationError({"invoice": f"{inv.display_number} is not billed to that case."})
    due = inv.patient_due if portion == Portion.PATIENT else inv.payer_due
    if amount is None:
        amount = due
        if amount <= 0:
            return None
    amount = money.cents(amount)
    if amount > due:
        raise ValidationError(
            {"amount": f"{inv.display_number} has {money.format_money(due)} left to pay."}
        )
    allocation = PaymentAllocation(
        payment=payment, invoice=inv, portion=portion, amount=amount, allocated_at=now
    )
    allocation.full_clean()
    allocation.save()
    return allocation


@transaction.atomic
def payment_take(
    *,
    patient: Patient,
    amount: Decimal,
    method: str,
    recorded_by: StaffUser,
    allocations: list[AllocationIn] | None = None,
    location: Location | None = None,
    reference: str = "",
    payer_case: PayerCase | None = None,
    now: datetime | None = None,
) -> Payment:
    """Record a payment and put it toward ``allocations`` in order (each at most what
    its invoice owes; an allocation without an amount takes what is owed, within what is
    left of the payment). Whatever is left is the patient's credit. A payer payment
    (method ``payer``) names its ``payer_case`` and goes to payer portions. Returns the
    payment. Raises ValidationError keyed by ``amount``, ``method``, ``payer_case`` or
    ``invoice``."""
    now = now or timezone.now()
    is_payer = method == Payment.Method.PAYER
    if method == Payment.Method.CREDIT_NOTE:
        raise ValidationError({"method": "Credit from a credit note is not taken as a payment."})
    if is_payer and payer_case is None:
        raise ValidationError({"payer_case": "Say which case the payer paid for."})
    if payer_case is not None and payer_case.patient_id != patient.pk:
        raise ValidationError({"payer_case": "That case belongs to another patient."})
    patient_lock(patient_id=patient.pk)
    payment = Payment(
        patient=patient,
        method=method,
        amount=money.cents(amount) if amount is not None else amount,
        received_at=now,
        reference=reference.strip()[:100],
        payer_case=payer_case if is_payer else None,
        location=location,
        recorded_by=recorded_by,
    )
    payment.full_clean()
    payment.save()
    portion = Portion.PAYER if is_payer else Portion.PATIENT
    left = payment.amount
    for wanted in allocations or []:
        ask = wanted.amount
        if ask is not None and money.cents(ask) > left:
            raise ValidationError({"amount": "The allocations add up to more than the payment."})
        if ask is None:
            inv = with_balances(Invoice.objects.filter(pk=wanted.invoice.pk)).get()
            ask = min(left, inv.patient_due if portion == Portion.PATIENT else inv.payer_due)
            if ask <= 0:
                continue
        allocation = _allocate(
            payment=payment, invoice=wanted.invoice, portion=portion, amount=ask, now=now
        )
        if allocation is not None:
            left -= allocation.amount
    return payment


@transaction.atomic
def credit_apply(
    *, invoice: Invoice, amount: Decimal | None = None, now: datetime | None = None
) -> list[PaymentAllocation]:
    """Put the patient's credit toward an invoice's patient portion, from their oldest
    payments' remainders first: ``amount`` (None: as much as both allow). Returns the
    allocations made. Raises ValidationError keyed by ``amount`` when the credit or the
    invoice's balance is smaller."""
    now = now or timezone.now()
    patient_lock(patient_id=Invoice.objects.values_list("patient_id", flat=True).get(pk=invoice.pk))
    inv = with_balances(Invoice.objects.filter(pk=invoice.pk)).get()
    payments = list(patient_credit_payments(patient=inv.patient))
    credit = money.total(p.remainder for p in payments)
    want = min(credit, inv.patient_due) if amount is None else money.cents(amount)
    if want > credit:
        raise ValidationError(
            {"amount": f"The patient has {money.format_money(credit)} of credit."}
        )
    if want > inv.patient_due:
        due = money.format_money(inv.patient_due)
        raise ValidationError({"amount": f"{inv.display_number} has {due} left to pay."})
    made = []
    for payment in payments:
        if want <= 0:
            break
        take = min(payment.remainder, want)
        allocation = _allocate(
            payment=payment, invoice=inv, portion=Portion.PATIENT, amount=take, now=now
        )
        assert allocation is not None
        made.append(allocation)
        want -= take
    return made


@transaction.atomic
def refund_record(
    *,
    patient: Patient,
    amount: Decimal,
    method: str,
    reason: str,
    recorded_by: StaffUser,
    location: Location | None = None,
    now: datetime | None = None,
) -> Refund:
    """Record money given back from the patient's credit (paid out by the clinic, not
    here), taken from their oldest payments' remainders, at ``location`` (its day
    sheet lists it). Returns the refund. Raises ValidationError keyed by ``amount``
    (more than the credit), ``reason``, ``method`` or ``location`` (missing)."""
    now = now or timezone.now()
    if location is None:
        raise ValidationError({"location": "Say at which location the money was paid back."})
    if not reason.strip():
        raise ValidationError({"reason": "Give the reason for the refund."})
    if method in (Payment.Method.PAYER, Payment.Method.CREDIT_NOTE):
        raise ValidationError({"method": "Say how the money was given back."})
    patient_lock(patient_id=patient.pk)
    payments = list(patient_credit_payments(patient=patient))
    credit = money.total(p.remainder for p in payments)
    refund = Refund(
        patient=patient,
        amount=money.cents(amount) if amount is not None else amount,
        method=method,
        reason=reason.strip()[:300],
        refunded_at=now,
        location=location,
        recorded_by=recorded_by,
    )
    refund.full_clean()
    if refund.amount > credit:
        most = money.format_money(credit)
        raise ValidationError({"amount": f"At most the patient's credit, {most}, can be refunded."})
    refund.save()
    left = refund.amount
    for payment in payments:
        if left <= 0:
            break
        take = min(payment.remainder, left)
        PaymentAllocation.objects.create(
            payment=payment, refund=refund, portion=Portion.PATIENT, amount=take, allocated_at=now
        )
        left -= take
    return refund
