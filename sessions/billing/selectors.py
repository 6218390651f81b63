"""Billing's reads for pages: invoice balances, a patient's account, a visit's place in
its payer's authorisation, the patient statement and visits' billing state (the day
sheet and accounts receivable are in ``ledgers``). Each runs a fixed number of queries
whatever the history's size (balances are summed in the database, one subquery per
figure)."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TypeVar

from django.db import models
from django.db.models.functions import Coalesce

from clinic import clock
from intake.models import Patient
from sessions.billing import money
from sessions.billing.documents import (
    CreditNote,
    Invoice,
    InvoiceQuerySet,
    Payment,
    PaymentAllocation,
    Portion,
    Refund,
)
from sessions.billing.models import PayerCase
from sessions.billing.rules import Authorisation, authorisation_status
from sessions.booking.models import Appointment

AMOUNT = models.DecimalField(max_digits=12, decimal_places=2)
ZERO = models.Value(Decimal("0.00"), output_field=AMOUNT)


def _per_invoice(
    model: type[PaymentAllocation] | type[CreditNote], column: str, portion: str
) -> Coalesce:
    rows = model._default_manager.filter(invoice=models.OuterRef("pk"), portion=portion).order_by()
    summed = rows.values("invoice").annotate(s=models.Sum(column)).values("s")
    return Coalesce(models.Subquery(summed, output_field=AMOUNT), ZERO)


def with_balances(qs: InvoiceQuerySet) -> InvoiceQuerySet:
    """Annotate each invoice with ``paid_patient``/``paid_payer`` (allocations),
    ``applied_patient``/``applied_payer`` (credit notes' parts that reduced it),
    ``credited_patient``/``credited_payer`` (credit notes' amounts), and
    ``patient_due``/``payer_due`` (what is still owed on each portion)."""
    qs = qs.annotate(
        paid_patient=_per_invoice(PaymentAllocation, "amount", Portion.PATIENT),
        paid_payer=_per_invoice(PaymentAllocation, "amount", Portion.PAYER),
        applied_patient=_per_invoice(CreditNote, "applied", Portion.PATIENT),
        applied_payer=_per_invoice(CreditNote, "applied", Portion.PAYER),
        credited_patient=_per_invoice(CreditNote, "amount", Portion.PATIENT),
        credited_payer=_per_invoice(CreditNote, "amount", Portion.PAYER),
    )
    return qs.annotate(
        patient_due=models.F("patient_portion")
        - models.F("applied_patient")
        - models.F("paid_patient"),
        payer_due=models.F("payer_portion") - models.F("applied_payer") - models.F("paid_payer"),
    )


@dataclass(frozen=True)
class Balances:
    paid_patient: Decimal
    paid_payer: Decimal
    credited_patient: Decimal
    credited_payer: Decimal
    patient_due: Decimal
    payer_due: Decimal


def invoice_balances(*, invoice_ids: list[int]) -> dict[int, Balances]:
    """Each invoice's balances by id (one query)."""
    rows = with_balances(Invoice.objects.filter(pk__in=invoice_ids)).values(
        "pk", *Balances.__dataclass_fields__
    )
    return {row.pop("pk"): Balances(**row) for row in rows}


def payments_with_remainder(qs: models.QuerySet) -> models.QuerySet:
    """Annotate each payment with ``remainder``: what is not allocated to invoices or
    refunds yet."""
    allocated = PaymentAllocation.objects.filter(payment=models.OuterRef("pk")).order_by()
    summed = allocated.values("payment").annotate(s=models.Sum("amount")).values("s")
    return qs.annotate(
        remainder=models.F("amount") - Coalesce(models.Subquery(summed, output_field=AMOUNT), ZERO)
    )


def patient_credit_payments(*, patient: Patient) -> models.QuerySet:
    """The patient's own payments (not payers') with money left, oldest first."""
    return (
        payments_with_remainder(
            Payment.objects.filter(patient=patient).exclude(method=Payment.Method.PAYER)
        )
        .filter(remainder__gt=0)
        .order_by("received_at", "id")
    )


@dataclass(frozen=True)
class Account:
    """A patient's account: ``owed`` on live invoices, ``credit`` held, ``balance`` =
    owed - credit (negative: the clinic owes them)."""

    owed: Decimal
    credit: Decimal

    @property
    def balance(self) -> Decimal:
        return self.owed - self.credit


def patient_account(*, patient: Patient) -> Account:
    """The patient's account (two queries)."""
    owed = with_balances(Invoice.objects.live().filter(patient=patient)).aggregate(
        s=models.Sum("patient_due")
    )["s"]
    credit = patient_credit_payments(patient=patient).aggregate(s=models.Sum("remainder"))["s"]
    return Account(owed=money.cents(owed or 0), credit=money.cents(credit or 0))


def case_authorisation(
    *, case: PayerCase, start: datetime, exclude_id: int | None = None
) -> Authorisation:
    """Where a visit under ``case`` starting at ``start`` stands against the case's
    authorisation: its number counts the case's earlier visits that are not cancelled
    or no-shows (``exclude_id``: the visit itself, when moving it). One query."""
    visits = Appointment.objects.filter(payer_case=case, start__lt=start).exclude(
        status__in=[Appointment.Status.CANCELLED, Appointment.Status.NO_SHOW]
    )
    if exclude_id is not None:
        visits = visits.exclude(pk=exclude_id)
    earlier = visits.count()
    return authorisation_status(
        number=earlier + 1,
        day=clock.clinic_day(start),
        authorised_visits=case.authorised_visits,
        authorised_from=case.authorised_from,
        authorised_until=case.authorised_until,
    )


QS = TypeVar("QS", bound=models.QuerySet)


def with_case_visit_number(qs: QS) -> QS:
    """Annotate appointments with ``case_visit_number``: their place under their payer
    case, counted as ``case_authorisation`` counts (None without a case)."""
    earlier = (
        Appointment.objects.filter(
            payer_case=models.OuterRef("payer_case"), start__lt=models.OuterRef("start")
        )
        .exclude(status__in=[Appointment.Status.CANCELLED, Appointment.Status.NO_SHOW])
        .order_by()
        .values("payer_case")
        .annotate(n=models.Count("id"))
        .values("n")
    )
    return qs.annotate(
        case_visit_number=models.Case(
            models.When(payer_case__isnull=True, then=None),
            default=Coalesce(models.Subquery(earlier), 0) + 1,
        )
    )


def visit_authorisation(appointment: Appointment) -> Authorisation | None:
    """Where a visit annotated by ``with_case_visit_number`` (its ``payer_case``
    selected) stands: "visit k of N authorised"; None without a case or when it does
    not count (cancelled, no-show). No query."""
    case = appointment.payer_case
    if case is None or not appointment.counts_as_visit:
        return None
    return authorisation_status(
        number=appointment.case_visit_number,  # type: ignore[attr-defined]  # annotated
        day=appointment.day,
        authorised_visits=case.authorised_visits,
        authorised_from=case.authorised_from,
        authorised_until=case.authorised_until,
    )


@dataclass(frozen=True)
class StatementRow:
    """One line of a patient statement: ``charge`` adds to what they owe, ``credit``
    takes off; ``balance`` is the running balance after it."""

    at: datetime
    kind: str  # invoice, void, credit_note, payment, refund
    reference: str
    description: str
    charge: Decimal
    credit: Decimal
    balance: Decimal = Decimal("0.00")


def patient_statement(*, patient: Patient) -> list[StatementRow]:
    """Every invoice (patient portion), void, credit note on the patient portion,
    patient payment and refund of the patient, oldest first, with the running balance
    (the last one is ``patient_account(...).balance``). Four queries."""
    rows: list[StatementRow] = []
    zero = money.ZERO
    for inv in Invoice.objects.filter(patient=patient):
        rows.append(
            StatementRow(
                inv.issued_at,
                "invoice",
                inv.display_number,
                f"Services on {inv.service_date:%Y-%m-%d}",
                inv.patient_portion,
                zero,
            )
        )
        if inv.voided_at:
            rows.append(
                StatementRow(
                    inv.voided_at,
                    "void",
                    inv.display_number,
                    f"Void: {inv.void_reason}",
                    zero,
                    inv.patient_portion,
                )
            )
    notes = CreditNote.objects.filter(invoice__patient=patient, portion=Portion.PATIENT)
    for note in notes.select_related("invoice"):
        rows.append(
            StatementRow(
                note.issued_at,
                "credit_note",
                note.display_number,
                f"Credit on {note.invoice.display_number}: {note.reason}",
                zero,
                note.amount,
            )
        )
    payments = Payment.objects.filter(patient=patient).exclude(
        method__in=[Payment.Method.PAYER, Payment.Method.CREDIT_NOTE]
    )
    for pay in payments:
        rows.append(
            StatementRow(
                pay.received_at,
                "payment",
                pay.reference,
                f"Payment, {pay.get_method_display()}",
                zero,
                pay.amount,
            )
        )
    for refund in Refund.objects.filter(patient=patient):
        rows.append(
            StatementRow(
                refund.refunded_at,
                "refund",
                "",
                f"Refund, {refund.get_method_display()}",
                refund.amount,
                zero,
            )
        )
    rows.sort(key=lambda r: r.at)
    balance = zero
    out = []
    for row in rows:
        balance = balance + row.charge - row.credit
        out.append(StatementRow(**{**row.__dict__, "balance": balance}))
    return out


@dataclass(frozen=True)
class VisitBilling:
    """A visit's billing state for staff pages: its live invoice (None: not invoiced)
    and what the patient still owes on it; ``label`` is "Paid", "Balance $x" or
    "Not invoiced"."""

    invoice: Invoice | None
    due: Decimal = Decimal("0.00")

    @property
    def label(self) -> str:
        if self.invoice is None:
            return "Not invoiced"
        return "Paid" if self.due <= 0 else f"Balance {money.format_money(self.due)}"

    @property
    def status(self) -> str:
        """The state without the amount, for staff who do not bill (physiotherapists)."""
        if self.invoice is None:
            return "Not invoiced"
        return "Paid" if self.due <= 0 else "Balance owing"


def visits_billing(*, appointment_ids: list[int]) -> dict[int, VisitBilling]:
    """Each visit's billing state by appointment id (one query)."""
    found = with_balances(Invoice.objects.live().filter(appointment_id__in=appointment_ids))
    out = {pk: VisitBilling(invoice=None) for pk in appointment_ids}
    for inv in found:
        out[inv.appointment_id] = VisitBilling(invoice=inv, due=inv.patient_due + inv.payer_due)
    return out
