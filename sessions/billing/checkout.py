"""Check-out's one press: issue the visit's invoice and take its payments in one
transaction, so a refused payment leaves no invoice behind."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction

from clinic.types import StaffUser
from sessions.billing.documents import Invoice, Payment, PaymentAllocation
from sessions.billing.payments import AllocationIn, credit_apply, payment_take
from sessions.billing.services import LineIn, invoice_issue_for_appointment, visit_lines_priced
from sessions.booking.models import Appointment


@dataclass(frozen=True)
class PayIn:
    """One payment row of the check-out form; ``row`` numbers its fields."""

    row: int
    method: str
    amount: Decimal
    reference: str = ""


@transaction.atomic
def checkout_take(
    *,
    appointment: Appointment,
    issued_by: StaffUser,
    extra: list[LineIn] | None = None,
    payments: list[PayIn] | None = None,
    use_credit: bool = False,
    now: datetime | None = None,
) -> tuple[Invoice, list[Payment], list[PaymentAllocation]]:
    """Invoice the visit (``invoice_issue_for_appointment``), apply the patient's credit
    when asked, then take ``payments`` toward the invoice (what exceeds it is credit).
    Returns the invoice, the payments and the credit allocations made. Raises
    ValidationError keyed by the form's
    fields (``amount_<row>``, ``method_<row>``, ``item``, ``quantity``) or with none."""
    invoice = invoice_issue_for_appointment(
        appointment=appointment, issued_by=issued_by, extra=extra, now=now
    )
    credited = credit_apply(invoice=invoice, now=now) if use_credit else []
    taken = []
    for pay in payments or []:
        try:
            taken.append(
                payment_take(
                    patient=invoice.patient,
                    amount=pay.amount,
                    method=pay.method,
                    reference=pay.reference,
                    recorded_by=issued_by,
                    allocations=[AllocationIn(invoice=invoice)],
                    location=invoice.location,
                    now=now,
                )
            )
        except ValidationError as exc:
            raise ValidationError(_keyed(exc, pay.row)) from exc
    return invoice, taken, credited


def _keyed(exc: ValidationError, row: int) -> dict | list:
    if not hasattr(exc, "error_dict"):
        return {f"amount_{row}": exc.messages}
    fields = {"amount": f"amount_{row}", "method": f"method_{row}", "reference": f"reference_{row}"}
    return {fields.get(k, f"amount_{row}"): v for k, v in exc.message_dict.items()}


@dataclass(frozen=True)
class Preview:
    """What check-out will invoice for the visit itself: ``description`` at ``amount``
    (None: no fee, ``problem`` says why), split into ``payer`` and ``patient`` shares."""

    description: str
    amount: Decimal | None
    payer: Decimal = Decimal("0.00")
    patient: Decimal = Decimal("0.00")
    problem: str = ""


def checkout_preview(*, appointment: Appointment) -> Preview:
    """The visit's line as check-out would price it (``visit_lines_priced``: the fee
    schedule on the visit's day for its case's payer kind; a missed visit: its proposed
    fee, patient only)."""
    fee = getattr(appointment, "missed_fee", None)
    if appointment.status != Appointment.Status.COMPLETED:
        if fee is None:
            return Preview("Missed-visit fee", None, problem="No fee was proposed.")
        return Preview(fee.get_kind_display(), fee.amount, patient=fee.amount)
    try:
        priced = visit_lines_priced(appointment=appointment)
    except ValidationError as exc:
        return Preview(appointment.type.name, None, problem=" ".join(exc.messages))
    line = priced.rows[0]
    return Preview(line.description, priced.total, payer=priced.payer, patient=priced.patient)
