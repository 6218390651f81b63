"""Payments: partial and split payments, overpayment held as credit, credit applied to
a later invoice, payer payments, refunds from credit, and the statement's balance."""

from datetime import date
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError

from sessions.billing import services
from sessions.billing.payments import AllocationIn, credit_apply, payment_take, refund_record
from sessions.billing.selectors import invoice_balances, patient_account, patient_statement
from sessions.billing.services import LineIn
from sessions.models import Appointment, Payment
from tests.factories import PatientFactory, PayerCaseFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def invoice(completed, clerk):
    return services.invoice_issue_for_appointment(appointment=completed, issued_by=clerk)


def due(invoice):
    return invoice_balances(invoice_ids=[invoice.pk])[invoice.pk]


def pay(invoice, clerk, amount, method="debit", **kwargs):
    return payment_take(
        patient=invoice.patient,
        amount=D(amount),
        method=method,
        recorded_by=clerk,
        allocations=[AllocationIn(invoice)],
        location=invoice.location,
        **kwargs,
    )


def test_partial_payments_add_up_to_paid(invoice, clerk):
    pay(invoice, clerk, "50", "cash")
    assert due(invoice).patient_due == D("45.00")
    pay(invoice, clerk, "45", "credit_card")
    assert due(invoice).patient_due == D("0.00")
    assert patient_account(patient=invoice.patient).balance == D("0.00")


def test_overpayment_is_held_as_credit(invoice, clerk):
    payment = pay(invoice, clerk, "100", "cash")
    assert payment.allocations.get().amount == D("95.00")
    account = patient_account(patient=invoice.patient)
    assert (account.owed, account.credit) == (D("0.00"), D("5.00"))


def test_credit_is_applied_to_a_later_invoice(invoice, clerk, location):
    pay(invoice, clerk, "120", "cash")
    later = services.invoice_issue(
        patient=invoice.patient,
        lines=[LineIn(description="Brace", unit_price=D("40"))],
        location=location,
        issued_by=clerk,
        service_date=date(2026, 11, 20),
    )
    (allocation,) = credit_apply(invoice=later)
    assert allocation.amount == D("25.00")
    assert due(later).patient_due == D("15.00")
    assert patient_account(patient=invoice.patient).credit == D("0.00")


def test_applying_more_credit_than_held_is_refused(invoice, clerk):
    pay(invoice, clerk, "100", "cash")
    with pytest.raises(ValidationError) as caught:
        credit_apply(invoice=invoice, amount=D("6"))
    assert "$5.00 of credit" in caught.value.message_dict["amount"][0]


def test_an_allocation_above_the_balance_is_refused_and_nothing_kept(invoice, clerk):
    with pytest.raises(ValidationError) as caught:
        payment_take(
            patient=invoice.patient,
            amount=D("200"),
            method="cash",
            recorded_by=clerk,
            allocations=[AllocationIn(invoice, D("96"))],
        )
    assert "$95.00 left to pay" in caught.value.message_dict["amount"][0]
    assert not Payment.objects.exists()


@pytest.mark.parametrize(("amount", "field"), [("0", "amount"), ("-5", "amount")])
def test_a_payment_must_be_above_zero(invoice, clerk, amount, field):
    with pytest.raises(ValidationError) as caught:
        pay(invoice, clerk, amount)
    assert field in caught.value.message_dict


def test_another_patients_invoice_is_refused(invoice, clerk):
    with pytest.raises(ValidationError) as caught:
        payment_take(
            patient=PatientFactory(),
            amount=D("5"),
            method="cash",
            recorded_by=clerk,
            allocations=[AllocationIn(invoice)],
        )
    assert "another patient's" in caught.value.message_dict["invoice"][0]


def test_a_payer_pays_its_portion_and_the_patient_theirs(completed, clerk):
    case = PayerCaseFactory(patient=completed.patient, payer_share_amount=D("60"))
    Appointment.objects.filter(pk=completed.pk).update(payer_case=case)
    invoice = services.invoice_issue_for_appointment(appointment=completed, issued_by=clerk)
    assert (invoice.payer_portion, invoice.patient_portion) == (D("60.00"), D("20.00"))
    pay(invoice, clerk, "60", "payer", payer_case=case, reference="WCB remittance 7")
    pay(invoice, clerk, "20", "debit")
    assert (due(invoice).payer_due, due(invoice).patient_due) == (D("0.00"), D("0.00"))


def test_a_payer_payment_names_its_case(invoice, clerk):
    with pytest.raises(ValidationError) as caught:
        pay(invoice, clerk, "60", "payer")
    assert "payer_case" in caught.value.message_dict


def test_refund_comes_out_of_credit_only(invoice, clerk):
    pay(invoice, clerk, "100", "cash")
    with pytest.raises(ValidationError) as caught:
        refund_record(
            patient=invoice.patient,
            amount=D("5.01"),
            method="cash",
            reason="x",
            recorded_by=clerk,
            location=invoice.location,
        )
    assert "$5.00" in caught.value.message_dict["amount"][0]
    refund_record(
        patient=invoice.patient,
        amount=D("5"),
        method="cash",
        reason="Overpaid",
        recorded_by=clerk,
        location=invoice.location,
    )
    account = patient_account(patient=invoice.patient)
    assert (account.credit, account.balance) == (D("0.00"), D("0.00"))


def test_refund_needs_a_reason(invoice, clerk):
    pay(invoice, clerk, "100", "cash")
    with pytest.raises(ValidationError) as caught:
        refund_record(
            patient=invoice.patient,
            amount=D("5"),
            method="cash",
            reason="",
            recorded_by=clerk,
            location=invoice.location,
        )
    assert "reason" in caught.value.message_dict


def test_refund_needs_a_location(invoice, clerk):
    pay(invoice, clerk, "100", "cash")
    with pytest.raises(ValidationError) as caught:
        refund_record(
            patient=invoice.patient, amount=D("5"), method="cash", reason="Over", recorded_by=clerk
        )
    assert "location" in caught.value.message_dict


def test_statement_runs_to_the_account_balance(invoice, clerk, frozen_now):
    frozen_now.shift(60)
    pay(invoice, clerk, "120", "cash")
    frozen_now.shift(60)
    services.credit_note_issue(invoice=invoice, amount=D("10"), reason="Short", issued_by=clerk)
    frozen_now.shift(60)
    refund_record(
        patient=invoice.patient,
        amount=D("30"),
        method="cash",
        reason="Back",
        recorded_by=clerk,
        location=invoice.location,
    )
    rows = patient_statement(patient=invoice.patient)
    assert [r.kind for r in rows] == ["invoice", "payment", "credit_note", "refund"]
    assert [r.balance for r in rows] == [D("95.00"), D("-25.00"), D("-35.00"), D("-5.00")]
    assert rows[-1].balance == patient_account(patient=invoice.patient).balance
