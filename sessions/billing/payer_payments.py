"""A payer's payment on a case (a cheque or EFT for several visits): recorded from the
case page and put toward the payer portions of the case's invoices, oldest first.
Atomic, keyword-only, ValidationError keyed by the form's fields; the screen audits it
(``audit.record(request, Action.CREATE, obj=payment)``)."""

from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from clinic import clock
from clinic.types import StaffUser
from sessions.billing import money
from sessions.billing.authorisations import payer_label
from sessions.billing.documents import Invoice, Payment
from sessions.billing.models import PayerCase
from sessions.billing.payments import AllocationIn, payment_take
from sessions.billing.selectors import with_balances


def case_payer_due(*, case: PayerCase) -> list[Any]:  # Invoices annotated by with_balances
    """The case's live invoices whose payer portion is still owed, oldest first, each
    with ``payer_due`` (one query)."""
    invoices = with_balances(Invoice.objects.live().filter(payer_case=case))
    return [i for i in invoices.order_by("issued_at", "number") if i.payer_due > 0]


@transaction.atomic
def payer_payment_take(
    *,
    case: PayerCase,
    amount: Decimal,
    received_on: date,
    reference: str,
    recorded_by: StaffUser,
    now: datetime | None = None,
) -> Payment:
    """Record ``amount`` received from the case's payer on ``received_on`` (reference:
    the cheque or EFT number) and allocate it to the payer portions of the case's
    invoices, oldest first. Returns the payment. Raises ValidationError keyed by
    ``amount`` (above zero; not more than the case owes: nothing is kept as payer
    credit), ``received_on`` (in the future) or ``reference``."""
    now = now or timezone.now()
    case = PayerCase.objects.select_for_update().select_related("patient").get(pk=case.pk)
    if received_on > clock.clinic_day(now):
        raise ValidationError({"received_on": "The date received cannot be in the future."})
    if amount is None or money.cents(amount) <= 0:
        raise ValidationError({"amount": "Enter an amount above zero."})
    amount = money.cents(amount)
    invoices = case_payer_due(case=case)
    owed = money.total(i.payer_due for i in invoices)
    if amount > owed:
        raise ValidationError(
            {
                "amount": f"{payer_label(case)} owes {money.format_money(owed)} on its "
                f"invoices: {money.format_money(amount)} is more. Check the amount, or "
                "issue the visits' invoices first."
            }
        )
    received_at = (
        now
        if received_on == clock.clinic_day(now)
        else datetime.combine(received_on, time(12), tzinfo=clock.clinic_tz())
    )
    left, allocations = amount, []
    for invoice in invoices:
        if left <= 0:
            break
        take = min(left, invoice.payer_due)
        allocations.append(AllocationIn(invoice=invoice, amount=take))
        left -= take
    return payment_take(
        patient=case.patient,
        amount=amount,
        method=Payment.Method.PAYER,
        recorded_by=recorded_by,
        allocations=allocations,
        reference=reference,
        payer_case=case,
        now=received_at,
    )
