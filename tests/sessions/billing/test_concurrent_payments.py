"""Money moved by two requests at once: each waits for the patient's lock and then
sees what the other committed (no credit spent twice, no invoice overpaid)."""

import threading
from datetime import date
from decimal import Decimal as D

import pytest
from django.db import close_old_connections, connection

from sessions.billing import services
from sessions.billing.payments import AllocationIn, credit_apply, payment_take, refund_record
from sessions.billing.selectors import invoice_balances, patient_account
from sessions.billing.services import LineIn
from sessions.models import PaymentAllocation
from tests.factories import LocationFactory, PatientFactory, UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _issue(patient, location, clerk, price):
    return services.invoice_issue(
        patient=patient,
        lines=[LineIn(description="Treatment", unit_price=D(price))],
        location=location,
        issued_by=clerk,
        service_date=date(2026, 11, 20),
    )


def _run_together(*calls):
    """Run each call in its own thread and connection, started together; returns the
    errors raised."""
    barrier = threading.Barrier(len(calls))
    errors: list[str] = []

    def run(call):
        close_old_connections()
        try:
            barrier.wait()
            call()
        except Exception as exc:  # noqa: BLE001 - any failure is the test's finding
            errors.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(c,)) for c in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return errors


def test_two_credit_presses_at_once_spend_the_credit_once():
    clerk, location, patient = UserFactory(), LocationFactory(), PatientFactory(email="")
    payment_take(patient=patient, amount=D("50"), method="cash", recorded_by=clerk)
    first = _issue(patient, location, clerk, "95")
    second = _issue(patient, location, clerk, "95")

    errors = _run_together(
        lambda: credit_apply(invoice=first), lambda: credit_apply(invoice=second)
    )

    assert errors == []
    spent = sum(a.amount for a in PaymentAllocation.objects.filter(invoice__patient=patient))
    assert spent == D("50.00")
    assert patient_account(patient=patient).credit == D("0.00")


def test_two_payments_at_once_on_one_invoice_leave_the_second_as_credit():
    clerk, location, patient = UserFactory(), LocationFactory(), PatientFactory(email="")
    invoice = _issue(patient, location, clerk, "50")

    def pay():
        payment_take(
            patient=patient,
            amount=D("50"),
            method="debit",
            recorded_by=clerk,
            allocations=[AllocationIn(invoice)],
            location=location,
        )

    errors = _run_together(pay, pay)

    assert errors == []
    assert invoice_balances(invoice_ids=[invoice.pk])[invoice.pk].patient_due == D("0.00")
    assert patient_account(patient=patient).credit == D("50.00")


def test_a_refund_racing_a_credit_use_never_pays_out_spent_credit():
    clerk, location, patient = UserFactory(), LocationFactory(), PatientFactory(email="")
    payment = payment_take(patient=patient, amount=D("50"), method="cash", recorded_by=clerk)
    invoice = _issue(patient, location, clerk, "95")

    def refund():
        refund_record(
            patient=patient,
            amount=D("50"),
            method="cash",
            reason="Moving away",
            recorded_by=clerk,
            location=location,
        )

    errors = _run_together(lambda: credit_apply(invoice=invoice), refund)

    # Whichever came second found no credit left: the refund is refused, or the credit
    # use applies nothing.
    assert all("At most the patient's credit" in e for e in errors)
    out = sum(a.amount for a in PaymentAllocation.objects.filter(payment=payment))
    assert out == D("50.00")
    assert patient_account(patient=patient).credit == D("0.00")
