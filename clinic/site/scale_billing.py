"""A scale clinic's billing for ``seed_scale``: one invoice per visit (one line at the
treatment fee), most paid the same day by card, cash or debit (one payment and its
allocation each), the rest left owing so accounts receivable has ages to show. Invoice
numbers continue the series without gaps and the ``DocumentSequence`` row is moved past
them."""

from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Max

from clinic.site import bulk
from sessions.billing.documents import Invoice, InvoiceLine, Payment, PaymentAllocation
from sessions.billing.models import BillableItem, DocumentSequence, Fee
from sessions.models import Appointment, AppointmentType

FEE = Decimal("95.00")
UNPAID_ONE_IN = 20  # 5% of invoices are left owing
METHODS = ("credit_card", "debit", "cash", "e_transfer")


def invoices(rng, first_appointment: int, now) -> int:
    """Invoice every appointment from id ``first_appointment`` on; returns how many."""
    kind = AppointmentType.objects.get(name="IMS treatment")
    item, _ = BillableItem.objects.get_or_create(
        name="IMS treatment", defaults={"appointment_type": kind}
    )
    Fee.objects.get_or_create(
        item=item, payer_kind="", effective_from=date(2015, 1, 1), defaults={"amount": FEE}
    )
    rows = list(
        Appointment.objects.filter(id__gte=first_appointment)
        .order_by("id")
        .values_list("id", "patient_id", "location_id", "practitioner_id", "end")
    )
    first_invoice, first_line, first_payment, first_allocation = (
        bulk.next_id(m) for m in (Invoice, InvoiceLine, Payment, PaymentAllocation)
    )
    number = (Invoice.objects.aggregate(n=Max("number"))["n"] or 0) + 1
    paid = [i for i in range(len(rows)) if rng.randrange(UNPAID_ONE_IN)]
    bulk.insert(
        Invoice,
        [
            "id", "number", "patient", "appointment", "location", "practitioner",
            "service_date", "issued_at", "issued_by", "payer_portion", "patient_portion",
            "total", "void_reason",
        ],
        (
            (
                first_invoice + i, number + i, patient, appt, location, staff,
                end.date(), end, staff, Decimal("0.00"), FEE, FEE, "",
            )
            for i, (appt, patient, location, staff, end) in enumerate(rows)
        ),
    )  # fmt: skip
    bulk.insert(
        InvoiceLine,
        [
            "id", "invoice", "item", "description", "quantity", "unit_price", "tax_name",
            "tax_rate", "tax_amount", "line_total",
        ],
        (
            (first_line + i, first_invoice + i, item.pk, item.name, 1, FEE, "", 0, 0, FEE)
            for i in range(len(rows))
        ),
    )  # fmt: skip
    bulk.insert(
        Payment,
        ["id", "patient", "method", "amount", "received_at", "reference", "location",
         "recorded_by"],
        (
            (
                first_payment + j, rows[i][1], METHODS[i % len(METHODS)], FEE,
                rows[i][4] + timedelta(minutes=1), "", rows[i][2], rows[i][3],
            )
            for j, i in enumerate(paid)
        ),
    )  # fmt: skip
    bulk.insert(
        PaymentAllocation,
        ["id", "payment", "invoice", "portion", "amount", "allocated_at"],
        (
            (
                first_allocation + j, first_payment + j, first_invoice + i, "patient", FEE,
                rows[i][4] + timedelta(minutes=1),
            )
            for j, i in enumerate(paid)
        ),
    )  # fmt: skip
    if rows:
        DocumentSequence.objects.update_or_create(
            series="invoice", defaults={"next_number": number + len(rows)}
        )
    return len(rows)
