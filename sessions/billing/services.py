"""Billing's writes for invoices and credit notes, and the fee and number lookups they
take. Amounts are ``Decimal`` (``money``). Every function is atomic, takes keyword
arguments, and raises ``ValidationError`` keyed by the field of the form that would send
it (no field: a refusal about the record's state, said as a sentence).

The screens audit what they call: ``audit.record(request, Action.CREATE, obj=invoice)``
(every document has a ``patient``). Payments are in ``payments``, the proposing and waiving of
missed-visit fees in ``missed``."""

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from clinic.types import StaffUser
from intake.models import Patient
from sessions.billing import money
from sessions.billing.documents import CreditNote, Invoice, InvoiceLine, Payment, Portion
from sessions.billing.models import (
    BillableItem,
    DocumentSequence,
    Fee,
    MissedVisitFee,
    PayerCase,
    PayerKind,
)
from sessions.billing.payments import patient_lock
from sessions.billing.selectors import invoice_balances
from sessions.booking.models import Appointment, Location


def number_take(*, series: str) -> int:
    """The next number of ``series``, under a row lock held until the caller's
    transaction ends: concurrent issues wait, so numbers have no gaps or duplicates
    (a rolled-back issue gives its number back). Call inside a transaction."""
    DocumentSequence.objects.bulk_create([DocumentSequence(series=series)], ignore_conflicts=True)
    sequence = DocumentSequence.objects.select_for_update().get(series=series)
    number = sequence.next_number
    DocumentSequence.objects.filter(pk=sequence.pk).update(next_number=number + 1)
    return number


def fee_for(*, item: BillableItem, payer_kind: str = "", on: date) -> Fee:
    """The fee of ``item`` on day ``on``: the latest effective that day for
    ``payer_kind``, else the latest default one. Raises ValidationError keyed by
    ``item`` when there is none."""
    kinds = [payer_kind, ""] if payer_kind else [""]
    fees = Fee.objects.filter(item=item, payer_kind__in=kinds, effective_from__lte=on)
    for kind in kinds:
        fee = fees.filter(payer_kind=kind).order_by("-effective_from").first()
        if fee is not None:
            return fee
    raise ValidationError(
        {"item": f"{item.name} has no fee on {on:%Y-%m-%d}: add one in the fee schedule."}
    )


@dataclass(frozen=True)
class LineIn:
    """A line to invoice: ``unit_price`` None takes the item's fee on the service date
    (for the case's payer kind); ``description`` empty takes the item's name."""

    item: BillableItem | None = None
    quantity: int = 1
    unit_price: Decimal | None = None
    description: str = ""
    # Whether the payer case's share applies to this line; None: when the item bills a
    # visit type (a treatment, not goods).
    payer_covers: bool | None = None

    @property
    def covered(self) -> bool:
        if self.payer_covers is not None:
            return self.payer_covers
        return self.item is not None and self.item.appointment_type_id is not None


@dataclass
class _Lines:
    rows: list[InvoiceLine] = field(default_factory=list)
    covered: list[bool] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        return money.total(line.line_total for line in self.rows)

    @property
    def covered_total(self) -> Decimal:
        return money.total(r.line_total for r, c in zip(self.rows, self.covered, strict=True) if c)


@dataclass(frozen=True)
class Priced:
    """Lines priced for an invoice (unsaved ``rows``), their ``total``, and its split:
    the ``payer`` case's share of the covered lines (the visit's own), the ``patient``
    the rest (goods and their tax included)."""

    rows: list[InvoiceLine]
    total: Decimal
    payer: Decimal
    patient: Decimal


def _price_lines(lines: list[LineIn], *, payer_kind: str, on: date) -> _Lines:
    if not lines:
        raise ValidationError({"lines": "An invoice needs at least one line."})
    priced = _Lines()
    for line in lines:
        if line.quantity < 1:
            raise ValidationError({"quantity": "The quantity is at least 1."})
        item = line.item
        if item is None and (line.unit_price is None or not line.description.strip()):
            raise ValidationError(
                {"lines": "A line without an item needs a description and a price."}
            )
        if line.unit_price is not None:
            price = money.cents(line.unit_price)
        else:
            assert item is not None
            price = fee_for(item=item, payer_kind=payer_kind, on=on).amount
        if price < 0:
            raise ValidationError({"unit_price": "A price cannot be negative."})
        tax_rate = item.tax_rate if item else Decimal(0)
        amounts = money.line_amounts(quantity=line.quantity, unit_price=price, tax_rate=tax_rate)
        priced.rows.append(
            InvoiceLine(
                item=item,
                description=(line.description.strip() or (item.name if item else ""))[:200],
                quantity=line.quantity,
                unit_price=price,
                tax_name=item.tax_name if item and tax_rate else "",
                tax_rate=tax_rate,
                tax_amount=amounts.tax,
                line_total=amounts.total,
            )
        )
        priced.covered.append(line.covered)
    return priced


def lines_priced(*, lines: list[LineIn], payer_case: PayerCase | None, on: date) -> Priced:
    """Price ``lines`` (fees on day ``on`` for the case's payer kind) and split the
    total: the case's share applies to the covered lines only. Raises ValidationError
    keyed by ``lines``, ``item``, ``quantity`` or ``unit_price``."""
    priced = _price_lines(lines, payer_kind=payer_case.kind if payer_case else "", on=on)
    share = _case_split(payer_case, priced.covered_total)
    return Priced(priced.rows, priced.total, share.payer, priced.total - share.payer)


def visit_lines(*, appointment: Appointment, extra: list[LineIn] | None = None) -> list[LineIn]:
    """A completed visit's lines: its type's item (the payer case covers it), then
    ``extra`` (goods; the patient pays them). Raises ValidationError keyed by ``item``
    when no active item bills the visit's type."""
    item = BillableItem.objects.filter(appointment_type=appointment.type, is_active=True).first()
    if item is None:
        name = appointment.type.name
        raise ValidationError({"item": f"No billable item bills “{name}”: add a fee for it."})
    others = [LineIn(x.item, x.quantity, x.unit_price, x.description, False) for x in extra or []]
    return [LineIn(item=item, payer_covers=True), *others]


def visit_lines_priced(*, appointment: Appointment, extra: list[LineIn] | None = None) -> Priced:
    """What check-out invoices for a completed visit (``visit_lines`` priced on its day
    for its case, ``lines_priced``): check-out's preview and its issue both use this.
    Raises ValidationError as both."""
    return lines_priced(
        lines=visit_lines(appointment=appointment, extra=extra),
        payer_case=appointment.payer_case,
        on=appointment.day,
    )


def _case_split(case: PayerCase | None, amount: Decimal) -> money.Split:
    if case is None or case.kind == PayerKind.SELF_PAY:
        return money.split(amount)
    if case.payer_share_percent is None and case.payer_share_amount is None:
        return money.split(amount, payer_percent=Decimal(100))
    return money.split(
        amount, payer_percent=case.payer_share_percent, payer_amount=case.payer_share_amount
    )


@transaction.atomic
def invoice_issue(
    *,
    patient: Patient,
    lines: list[LineIn],
    location: Location,
    issued_by: StaffUser,
    service_date: date,
    payer_case: PayerCase | None = None,
    practitioner: StaffUser | None = None,
    appointment: Appointment | None = None,
    now: datetime | None = None,
) -> Invoice:
    """Issue an invoice: price ``lines`` (fees on ``service_date`` for the case's payer
    kind), split the total between ``payer_case`` (its share of the lines it covers,
    ``LineIn.covered``; none: the patient pays all) and the patient, and take the next
    invoice number. Returns it with its lines.
    Raises ValidationError keyed by ``lines``, ``item``, ``quantity``, ``unit_price``,
    ``payer_case``, or ``appointment`` (it already has a live invoice)."""
    now = now or timezone.now()
    if payer_case is not None and payer_case.patient_id != patient.pk:
        raise ValidationError({"payer_case": "That case belongs to another patient."})
    if appointment is not None and Invoice.objects.live().filter(appointment=appointment).exists():
        raise ValidationError({"appointment": "This visit already has an invoice."})
    priced = lines_priced(lines=lines, payer_case=payer_case, on=service_date)
    invoice = Invoice(
        number=number_take(series="invoice"),
        patient=patient,
        appointment=appointment,
        payer_case=payer_case,
        location=location,
        practitioner=practitioner,
        service_date=service_date,
        issued_at=now,
        issued_by=issued_by,
        payer_portion=priced.payer,
        patient_portion=priced.patient,
        total=priced.total,
    )
    invoice.full_clean(exclude=["number"], validate_constraints=False)
    invoice.save()
    for line in priced.rows:
        line.invoice = invoice
        line.full_clean()
    InvoiceLine.objects.bulk_create(priced.rows)
    return invoice


# Visit states an invoice may be issued for at check-out, and why the others may not.
BILLABLE_REFUSALS = {
    Appointment.Status.BOOKED: "The visit has not happened yet: mark it completed first.",
    Appointment.Status.ARRIVED: "The patient is still here: mark the visit completed first.",
    Appointment.Status.CANCELLED: "The visit was cancelled with notice: there is nothing to bill.",
}


@transaction.atomic
def invoice_issue_for_appointment(
    *,
    appointment: Appointment,
    issued_by: StaffUser,
    extra: list[LineIn] | None = None,
    now: datetime | None = None,
) -> Invoice:
    """Check-out's one press: invoice a completed visit at its type's fee (for its
    case's payer kind, on the visit's day), plus ``extra`` lines (goods), billed to the
    visit's payer case. A no-show or late-cancelled visit is billed its proposed
    missed-visit fee instead (``missed_fee_charge``). Raises ValidationError
    with no field for a visit not billable, keyed by ``item`` when its type has no fee,
    by ``appointment`` when it is already invoiced."""
    appointment = (
        Appointment.objects.select_for_update(of=("self",))
        .select_related("patient", "type", "payer_case")
        .get(pk=appointment.pk)
    )
    status = appointment.status
    fee = getattr(appointment, "missed_fee", None)
    if status in (Appointment.Status.NO_SHOW, Appointment.Status.CANCELLED) and fee is not None:
        return missed_fee_charge(fee=fee, decided_by=issued_by, now=now)
    if status == Appointment.Status.NO_SHOW:
        raise ValidationError("No no-show fee was proposed for this visit (the policy is off).")
    if status != Appointment.Status.COMPLETED:
        raise ValidationError(BILLABLE_REFUSALS[Appointment.Status(status)])
    return invoice_issue(
        patient=appointment.patient,
        lines=visit_lines(appointment=appointment, extra=extra),
        location=appointment.location,
        issued_by=issued_by,
        service_date=appointment.day,
        payer_case=appointment.payer_case,
        practitioner=appointment.practitioner,
        appointment=appointment,
        now=now,
    )


@transaction.atomic
def invoice_void(
    *, invoice: Invoice, reason: str, voided_by: StaffUser, now: datetime | None = None
) -> Invoice:
    """Void an invoice nothing was paid or credited on; it stays, marked void with who,
    when and why; a missed-visit fee it charged is proposed again. Raises
    ValidationError keyed by ``reason`` (empty), or with no field
    when it is void already or has payments or credit notes (use a credit note)."""
    patient_lock(patient_id=Invoice.objects.values_list("patient_id", flat=True).get(pk=invoice.pk))
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if invoice.is_void:
        raise ValidationError(f"{invoice.display_number} is void already.")
    if not reason.strip():
        raise ValidationError({"reason": "Give the reason for voiding."})
    if invoice.allocations.exists() or invoice.credit_notes.exists():
        raise ValidationError(
            f"{invoice.display_number} has payments or credit notes on it: "
            "issue a credit note instead of voiding it."
        )
    invoice.voided_at = now or timezone.now()
    invoice.voided_by = voided_by
    invoice.void_reason = reason.strip()[:300]
    invoice.save(update_fields=list(Invoice.void_fields))
    # A charged missed-visit fee goes back to proposed: check-out may charge it again.
    MissedVisitFee.objects.filter(invoice=invoice).update(
        status=MissedVisitFee.Status.PROPOSED, invoice=None, decided_by=None, decided_at=None
    )
    return invoice


@transaction.atomic
def credit_note_issue(
    *,
    invoice: Invoice,
    amount: Decimal,
    reason: str,
    issued_by: StaffUser,
    portion: str = Portion.PATIENT,
    now: datetime | None = None,
) -> CreditNote:
    """Take ``amount`` off one portion of an invoice, at most what is not credited yet.
    The part beyond the portion's unpaid balance becomes patient credit (a Payment of
    method ``credit_note``; a payer's portion is credited up to its unpaid balance only).
    Raises ValidationError keyed by ``amount`` or ``reason``, or with no field for a
    void invoice."""
    now = now or timezone.now()
    patient_lock(patient_id=Invoice.objects.values_list("patient_id", flat=True).get(pk=invoice.pk))
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if invoice.is_void:
        raise ValidationError(f"{invoice.display_number} is void: there is nothing to credit.")
    if not reason.strip():
        raise ValidationError({"reason": "Give the reason for the credit note."})
    amount = money.cents(amount)
    balances = invoice_balances(invoice_ids=[invoice.pk])[invoice.pk]
    is_patient = portion == Portion.PATIENT
    owed = invoice.patient_portion if is_patient else invoice.payer_portion
    credited = balances.credited_patient if is_patient else balances.credited_payer
    unpaid = balances.patient_due if is_patient else balances.payer_due
    limit = owed - credited if is_patient else unpaid
    if amount <= 0:
        raise ValidationError({"amount": "Enter an amount above zero."})
    if amount > limit:
        raise ValidationError(
            {"amount": f"At most {money.format_money(limit)} can be credited on this portion."}
        )
    note = CreditNote(
        number=number_take(series="credit_note"),
        invoice=invoice,
        portion=portion,
        amount=amount,
        applied=min(amount, unpaid),
        reason=reason.strip()[:300],
        issued_at=now,
        issued_by=issued_by,
    )
    note.full_clean(exclude=["number"], validate_constraints=False)
    note.save()
    if note.amount > note.applied:
        credit = Payment(
            patient=invoice.patient,
            method=Payment.Method.CREDIT_NOTE,
            amount=note.amount - note.applied,
            received_at=now,
            reference=note.display_number,
            credit_note=note,
            location=invoice.location,
            recorded_by=issued_by,
        )
        credit.full_clean()
        credit.save()
    return note


def open_case_for(*, patient: Patient, on: date) -> PayerCase | None:
    """The patient's case open on day ``on`` that was opened last, or None."""
    return PayerCase.objects.filter(patient=patient).open_on(on).first()


@transaction.atomic
def missed_fee_charge(
    *, fee: MissedVisitFee, decided_by: StaffUser, now: datetime | None = None
) -> Invoice:
    """Charge a proposed missed-visit fee: an invoice to the patient alone (payers do
    not pay for missed visits) dated the visit's day; returns it. Raises ValidationError
    with no field when the fee was decided already."""
    now = now or timezone.now()
    fee = (
        MissedVisitFee.objects.select_for_update(of=("self",))
        .select_related("appointment__patient", "appointment__location")
        .get(pk=fee.pk)
    )
    if fee.status != MissedVisitFee.Status.PROPOSED:
        raise ValidationError(f"This fee was {fee.get_status_display().lower()} already.")
    appointment = fee.appointment
    invoice = invoice_issue(
        patient=appointment.patient,
        lines=[LineIn(description=fee.get_kind_display(), unit_price=fee.amount)],
        location=appointment.location,
        issued_by=decided_by,
        service_date=appointment.day,
        practitioner=appointment.practitioner,
        appointment=appointment,
        now=now,
    )
    fee.status = MissedVisitFee.Status.CHARGED
    fee.decided_by, fee.decided_at, fee.invoice = decided_by, now, invoice
    fee.save(update_fields=["status", "decided_by", "decided_at", "invoice"])
    return invoice
