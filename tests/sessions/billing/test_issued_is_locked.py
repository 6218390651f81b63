"""An issued invoice, its lines and a credit note never change: the models, their
querysets and, on PostgreSQL, triggers against raw SQL refuse. Voiding, once, is the one
change allowed."""

from decimal import Decimal as D

import pytest
from django.db import DatabaseError, connection, models, transaction

from sessions.billing import services
from sessions.billing.documents import DocumentIsIssued
from sessions.models import CreditNote, Invoice, InvoiceLine

pytestmark = pytest.mark.django_db


@pytest.fixture
def invoice(completed, clerk):
    return services.invoice_issue_for_appointment(appointment=completed, issued_by=clerk)


@pytest.fixture
def note(invoice, clerk):
    return services.credit_note_issue(invoice=invoice, amount=D("5"), reason="x", issued_by=clerk)


def test_saving_an_issued_invoice_is_refused(invoice):
    invoice.total = D("1.00")
    with pytest.raises(DocumentIsIssued, match="never edited"):
        invoice.save()
    with pytest.raises(DocumentIsIssued):
        invoice.save(update_fields=["total"])
    assert Invoice.objects.get(pk=invoice.pk).total == D("95.00")


def test_deleting_is_refused(invoice, note):
    for row in (invoice, invoice.lines.get(), note):
        with pytest.raises(DocumentIsIssued):
            row.delete()


@pytest.mark.parametrize("model", [Invoice, InvoiceLine, CreditNote])
def test_bulk_update_and_delete_are_refused(invoice, note, model):
    with pytest.raises(DocumentIsIssued):
        model.objects.all().update(id=models.F("id"))
    with pytest.raises(DocumentIsIssued):
        model.objects.all().delete()


def test_an_issued_line_or_credit_note_cannot_be_saved_again(invoice, note):
    line = invoice.lines.get()
    line.unit_price = D("1")
    with pytest.raises(DocumentIsIssued):
        line.save()
    note.amount = D("1")
    with pytest.raises(DocumentIsIssued):
        note.save()


def test_a_void_invoice_cannot_be_voided_again_through_the_model(invoice, clerk):
    services.invoice_void(invoice=invoice, reason="Duplicate", voided_by=clerk)
    invoice.void_reason = "changed my mind"
    with pytest.raises(DocumentIsIssued):
        invoice.save(update_fields=["void_reason"])


@pytest.mark.postgres
class TestPostgresTriggers:
    @pytest.mark.parametrize(
        "sql",
        [
            "UPDATE treatment_sessions_invoice SET total = 1, patient_portion = 1"
            " WHERE id = {invoice}",
            "UPDATE treatment_sessions_invoice SET voided_at = now(), total = 1,"
            " patient_portion = 1 WHERE id = {invoice}",
            "DELETE FROM treatment_sessions_invoice WHERE id = {invoice}",
            "UPDATE treatment_sessions_invoiceline SET unit_price = 1 WHERE invoice_id = {invoice}",
            "DELETE FROM treatment_sessions_invoiceline WHERE invoice_id = {invoice}",
            "UPDATE treatment_sessions_creditnote SET amount = 1 WHERE invoice_id = {invoice}",
            "DELETE FROM treatment_sessions_creditnote WHERE invoice_id = {invoice}",
        ],
    )
    def test_postgres_refuses_changes_in_sql(self, invoice, note, sql):
        with pytest.raises(DatabaseError, match="issued"):
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(sql.format(invoice=invoice.pk))
        assert Invoice.objects.get(pk=invoice.pk).total == D("95.00")

    def test_postgres_allows_voiding_once_and_never_unvoiding(self, invoice):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "UPDATE treatment_sessions_invoice SET voided_at = now(), void_reason = 'x'"
                " WHERE id = %s",
                [invoice.pk],
            )
        with pytest.raises(DatabaseError, match="only be voided, once"):
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(
                    "UPDATE treatment_sessions_invoice SET voided_at = NULL WHERE id = %s",
                    [invoice.pk],
                )
