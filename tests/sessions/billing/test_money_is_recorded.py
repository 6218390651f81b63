"""Recorded payments, refunds and allocations never change, and an issued invoice gets
no new lines: the models, their querysets and, on PostgreSQL, triggers refuse."""

from decimal import Decimal as D

import pytest
from django.db import DatabaseError, connection, models, transaction

from sessions.billing import services
from sessions.billing.documents import DocumentIsIssued
from sessions.billing.payments import AllocationIn, payment_take, refund_record
from sessions.billing.selectors import invoice_balances
from sessions.models import Invoice, InvoiceLine, Payment, PaymentAllocation, Refund

pytestmark = pytest.mark.django_db


@pytest.fixture
def invoice(completed, clerk):
    return services.invoice_issue_for_appointment(appointment=completed, issued_by=clerk)


@pytest.fixture
def paid(invoice, clerk, location):
    """The 95.00 invoice paid with 100.00; 5.00 of it refunded."""
    payment = payment_take(
        patient=invoice.patient,
        amount=D("100"),
        method="cash",
        recorded_by=clerk,
        allocations=[AllocationIn(invoice)],
        location=location,
    )
    refund_record(
        patient=invoice.patient,
        amount=D("5"),
        method="cash",
        reason="Overpaid",
        recorded_by=clerk,
        location=location,
    )
    return payment


def test_a_line_cannot_be_added_to_an_issued_invoice(invoice):
    with pytest.raises(DocumentIsIssued, match="only when their invoice is issued"):
        InvoiceLine.objects.create(
            invoice=invoice, description="Extra", unit_price=D("10"), line_total=D("10")
        )
    assert invoice.lines.count() == 1


@pytest.mark.parametrize("model", [Payment, Refund, PaymentAllocation])
def test_bulk_changes_to_recorded_money_are_refused(paid, model):
    with pytest.raises(DocumentIsIssued, match="never edited or deleted"):
        model.objects.all().update(id=models.F("id"))
    with pytest.raises(DocumentIsIssued, match="never edited or deleted"):
        model.objects.all().delete()


def test_deleting_an_allocation_does_not_make_a_paid_invoice_owing(invoice, paid):
    with pytest.raises(DocumentIsIssued):
        PaymentAllocation.objects.filter(invoice=invoice).delete()
    with pytest.raises(DocumentIsIssued):
        PaymentAllocation.objects.filter(invoice=invoice).get().delete()
    assert invoice_balances(invoice_ids=[invoice.pk])[invoice.pk].patient_due == D("0.00")


def test_a_recorded_payment_or_refund_cannot_be_saved_again_or_deleted(paid):
    paid.amount = D("1")
    with pytest.raises(DocumentIsIssued):
        paid.save()
    refund = Refund.objects.get()
    refund.amount = D("1")
    with pytest.raises(DocumentIsIssued):
        refund.save()
    for row in (paid, refund):
        with pytest.raises(DocumentIsIssued):
            row.delete()
    assert Payment.objects.get().amount == D("100.00")


def test_a_live_invoice_cannot_change_its_void_reason_without_voiding(invoice):
    invoice.void_reason = "sneaky"
    with pytest.raises(DocumentIsIssued):
        invoice.save(update_fields=["void_reason"])
    assert Invoice.objects.get(pk=invoice.pk).void_reason == ""


@pytest.mark.postgres
class TestPostgresTriggers:
    @pytest.mark.parametrize(
        "sql",
        [
            "UPDATE treatment_sessions_payment SET amount = 1 WHERE id = {payment}",
            "DELETE FROM treatment_sessions_payment WHERE id = {payment}",
            "UPDATE treatment_sessions_refund SET amount = 1",
            "DELETE FROM treatment_sessions_refund",
            "UPDATE treatment_sessions_paymentallocation SET amount = 1",
            "DELETE FROM treatment_sessions_paymentallocation WHERE invoice_id = {invoice}",
        ],
    )
    def test_postgres_refuses_changes_to_recorded_money(self, invoice, paid, sql):
        with pytest.raises(DatabaseError, match="recorded money"):
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(sql.format(payment=paid.pk, invoice=invoice.pk))
        assert Payment.objects.get().amount == D("100.00")
        assert PaymentAllocation.objects.filter(invoice=invoice).exists()

    def test_postgres_refuses_a_line_inserted_into_an_issued_invoice(self, invoice):
        with pytest.raises(DatabaseError, match="lines add up to"):
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(
                    "INSERT INTO treatment_sessions_invoiceline (invoice_id, description,"
                    " quantity, unit_price, tax_name, tax_rate, tax_amount, line_total)"
                    " VALUES (%s, 'Extra', 1, 10, '', 0, 0, 10)",
                    [invoice.pk],
                )
                # The check runs at commit; the test's transaction never commits.
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        assert invoice.lines.count() == 1

    def test_postgres_lets_an_invoice_be_issued_with_its_lines(self, invoice):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        assert invoice.lines.count() == 1
