"""Billing's ledgers for the front desk and the clinic admin: a location's day sheet
and accounts receivable by age. Each runs a fixed number of queries whatever the
history's size."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.db import models

from clinic import clock
from sessions.billing import money
from sessions.billing.documents import CreditNote, Invoice, Payment, PaymentAllocation, Refund
from sessions.booking.models import Location


@dataclass
class DaySheet:
    """A location's clinic day: money taken by method (refunds subtracted), invoices
    issued and voided that day, and the rows behind the totals: each payment (its
    allocations prefetched, for the invoice numbers), credit notes and refunds."""

    day: date
    by_method: dict[str, Decimal] = field(default_factory=dict)
    taken: Decimal = Decimal("0.00")
    invoices: list[Invoice] = field(default_factory=list)
    invoiced: Decimal = Decimal("0.00")
    voids: list[Invoice] = field(default_factory=list)
    payments: list[Payment] = field(default_factory=list)
    credit_notes: list[CreditNote] = field(default_factory=list)
    refunds: list[Refund] = field(default_factory=list)


def day_sheet(*, location: Location, day: date) -> DaySheet:
    """The day sheet of ``location`` on clinic day ``day`` (six queries): the totals by
    method are summed from the payment and refund rows it lists."""
    start, end = _bounds(day)
    sheet = DaySheet(day=day)
    sheet.payments = list(
        Payment.objects.filter(location=location, received_at__gte=start, received_at__lt=end)
        .exclude(method=Payment.Method.CREDIT_NOTE)
        .select_related("patient")
        .prefetch_related(
            models.Prefetch(
                "allocations",
                PaymentAllocation.objects.filter(invoice__isnull=False)
                .select_related("invoice")
                .order_by("invoice__number"),
            )
        )
        .order_by("received_at", "id")
    )
    sheet.refunds = list(
        Refund.objects.filter(location=location, refunded_at__gte=start, refunded_at__lt=end)
        .select_related("patient")
        .order_by("refunded_at", "id")
    )
    taken: dict[str, Decimal] = defaultdict(lambda: money.ZERO)
    for payment in sheet.payments:
        taken[payment.method] += payment.amount
    for refund in sheet.refunds:
        taken[refund.method] -= refund.amount
    sheet.by_method = dict(sorted(taken.items()))
    sheet.taken = money.total(taken.values())
    issued = Invoice.objects.filter(location=location, issued_at__gte=start, issued_at__lt=end)
    sheet.invoices = list(issued.select_related("patient").order_by("number"))
    sheet.invoiced = money.total(i.total for i in sheet.invoices if not i.is_void)
    voided = Invoice.objects.filter(location=location, voided_at__gte=start, voided_at__lt=end)
    sheet.voids = list(voided.select_related("patient", "voided_by").order_by("number"))
    sheet.credit_notes = list(
        CreditNote.objects.filter(
            invoice__location=location, issued_at__gte=start, issued_at__lt=end
        )
        .select_related("invoice__patient")
        .order_by("number")
    )
    return sheet


def _bounds(day: date) -> tuple[datetime, datetime]:
    """The clinic day ``day`` as [start, end) aware moments (DST days included)."""
    tz = clock.clinic_tz()
    start = datetime.combine(day, datetime.min.time(), tzinfo=tz)
    end = datetime.combine(date.fromordinal(day.toordinal() + 1), datetime.min.time(), tzinfo=tz)
    return start, end


BUCKETS = ("0-30", "31-60", "61-90", "over 90")


def age_bucket(*, issued: date, as_of: date) -> str:
    """The age bucket of an invoice issued on clinic day ``issued``, seen on ``as_of``:
    0-30 days, 31-60, 61-90, over 90."""
    days = (as_of - issued).days
    if days <= 30:
        return BUCKETS[0]
    if days <= 60:
        return BUCKETS[1]
    if days <= 90:
        return BUCKETS[2]
    return BUCKETS[3]


@dataclass
class Receivable:
    """What one debtor (a patient, or a payer) owes, by age bucket."""

    name: str
    key: str
    buckets: dict[str, Decimal] = field(
        default_factory=lambda: {b: Decimal("0.00") for b in BUCKETS}
    )

    @property
    def total(self) -> Decimal:
        return money.total(self.buckets.values())


@dataclass
class Receivables:
    patients: list[Receivable]
    payers: list[Receivable]


_OWING = """
SELECT i.id, i.patient_id, i.payer_case_id, i.issued_at,
       i.patient_portion - COALESCE(a.patient, 0) - COALESCE(c.patient, 0) AS patient_due,
       i.payer_portion - COALESCE(a.payer, 0) - COALESCE(c.payer, 0) AS payer_due
FROM {invoice} i
LEFT JOIN (
    SELECT invoice_id,
           SUM(amount) FILTER (WHERE portion = 'patient') AS patient,
           SUM(amount) FILTER (WHERE portion = 'payer') AS payer
    FROM {allocation} WHERE invoice_id IS NOT NULL GROUP BY invoice_id
) a ON a.invoice_id = i.id
LEFT JOIN (
    SELECT invoice_id,
           SUM(applied) FILTER (WHERE portion = 'patient') AS patient,
           SUM(applied) FILTER (WHERE portion = 'payer') AS payer
    FROM {credit_note} GROUP BY invoice_id
) c ON c.invoice_id = i.id
WHERE i.voided_at IS NULL AND (
    i.patient_portion - COALESCE(a.patient, 0) - COALESCE(c.patient, 0) > 0
    OR i.payer_portion - COALESCE(a.payer, 0) - COALESCE(c.payer, 0) > 0
)"""


def _owing_sql() -> str:
    """Live invoices with a portion still owed, with ``patient_due`` and ``payer_due``
    (as ``with_balances`` computes them)."""
    return _OWING.format(
        invoice=Invoice._meta.db_table,
        allocation=PaymentAllocation._meta.db_table,
        credit_note=CreditNote._meta.db_table,
    )


def receivables(*, as_of: date) -> Receivables:
    """Accounts receivable on ``as_of`` by age, per patient (their portions) and per
    payer (payer portions, by payer name and kind). Age runs from the invoice's issue
    date (the clinic day it was issued), as a debt starts when the bill is sent. Three
    queries: the invoices owing with what they owe (``_OWING``: one pass over each
    table, no per-invoice subqueries, which at 100,000 invoices took seconds), then
    their patients and cases."""
    rows: list = list(Invoice.objects.raw(_owing_sql()))  # Invoices with the two dues
    models.prefetch_related_objects(rows, "patient", "payer_case")
    patients: dict[int, Receivable] = {}
    payers: dict[str, Receivable] = {}
    for inv in rows:
        bucket = age_bucket(issued=clock.clinic_day(inv.issued_at), as_of=as_of)
        # SQLite hands the raw query's sums back as int or float (162.25), PostgreSQL
        # as Decimal: read each through its text, which is exact to the cent either way.
        patient_due, payer_due = money.cents(str(inv.patient_due)), money.cents(str(inv.payer_due))
        if patient_due > 0:
            debtor = patients.setdefault(
                inv.patient_id, Receivable(name=inv.patient.full_name, key=str(inv.patient_id))
            )
            debtor.buckets[bucket] += patient_due
        if payer_due > 0 and inv.payer_case is not None:
            case = inv.payer_case
            name = case.payer_name or case.get_kind_display()
            key = f"{case.kind}:{name.casefold()}"
            payers.setdefault(key, Receivable(name=name, key=key)).buckets[bucket] += payer_due
    return Receivables(
        patients=sorted(patients.values(), key=lambda r: r.name.casefold()),
        payers=sorted(payers.values(), key=lambda r: r.name.casefold()),
    )
