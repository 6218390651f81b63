"""Issuing invoices (check-out's one press and by hand), fees by date and payer, the
payer/patient split, voiding and credit notes, and the refusals."""

from datetime import date
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError

from sessions.billing import services
from sessions.billing.documents import Payment, Portion
from sessions.billing.selectors import invoice_balances, patient_account
from sessions.billing.services import LineIn
from sessions.models import Appointment, Invoice
from tests.factories import (
    AppointmentFactory,
    BillableItemFactory,
    FeeFactory,
    PayerCaseFactory,
    clinic_time,
)

pytestmark = pytest.mark.django_db


class TestFees:
    def test_the_latest_fee_effective_that_day_applies(self, treatment_item):
        FeeFactory(item=treatment_item, amount=D("100.00"), effective_from=date(2026, 12, 1))
        assert services.fee_for(item=treatment_item, on=date(2026, 11, 30)).amount == D("95.00")
        assert services.fee_for(item=treatment_item, on=date(2026, 12, 1)).amount == D("100.00")

    def test_a_payer_fee_comes_first_else_the_default(self, treatment_item):
        fee = services.fee_for(item=treatment_item, payer_kind="workers_comp", on=date(2026, 5, 1))
        assert fee.amount == D("80.00")
        fee = services.fee_for(item=treatment_item, payer_kind="motor_vehicle", on=date(2026, 5, 1))
        assert fee.amount == D("95.00")

    def test_no_fee_yet_is_refused_by_item(self, treatment_item):
        with pytest.raises(ValidationError) as caught:
            services.fee_for(item=treatment_item, on=date(2025, 12, 31))
        assert "no fee on 2025-12-31" in caught.value.message_dict["item"][0]


class TestCheckOut:
    def test_a_completed_visit_is_invoiced_at_its_type_fee(self, completed, clerk):
        invoice = services.invoice_issue_for_appointment(appointment=completed, issued_by=clerk)
        assert invoice.number == 1
        assert invoice.display_number == "INV-000001"
        assert (invoice.total, invoice.patient_portion, invoice.payer_portion) == (
            D("95.00"),
            D("95.00"),
            D("0.00"),
        )
        assert invoice.service_date == date(2026, 11, 19)
        assert invoice.practitioner == completed.practitioner
        (line,) = invoice.lines.all()
        assert (line.description, line.unit_price, line.line_total) == (
            "IMS treatment",
            D("95.00"),
            D("95.00"),
        )

    def test_old_invoices_keep_their_price_when_the_fee_changes(self, completed, clerk):
        invoice = services.invoice_issue_for_appointment(appointment=completed, issued_by=clerk)
        FeeFactory(
            item=invoice.lines.get().item, amount=D("120.00"), effective_from=date(2026, 1, 2)
        )
        assert Invoice.objects.get(pk=invoice.pk).lines.get().unit_price == D("95.00")

    def test_a_case_visit_is_split_at_the_payers_fee(self, completed, clerk):
        case = PayerCaseFactory(patient=completed.patient, payer_share_percent=D("80"))
        Appointment.objects.filter(pk=completed.pk).update(payer_case=case)
        invoice = services.invoice_issue_for_appointment(appointment=completed, issued_by=clerk)
        assert invoice.payer_case == case
        assert (invoice.total, invoice.payer_portion, invoice.patient_portion) == (
            D("80.00"),
            D("64.00"),
            D("16.00"),
        )

    def test_goods_with_tax_are_added(self, completed, clerk):
        brace = BillableItemFactory(name="Wrist brace", tax_name="GST", tax_rate=D("5"))
        FeeFactory(item=brace, amount=D("24.90"))
        invoice = services.invoice_issue_for_appointment(
            appointment=completed, issued_by=clerk, extra=[LineIn(item=brace)]
        )
        assert invoice.total == D("95.00") + D("26.15")
        line = invoice.lines.get(item=brace)
        assert (line.tax_name, line.tax_amount) == ("GST", D("1.25"))

    def test_the_case_share_covers_the_visit_line_only(self, completed, clerk):
        case = PayerCaseFactory(patient=completed.patient, payer_share_percent=D("80"))
        Appointment.objects.filter(pk=completed.pk).update(payer_case=case)
        brace = BillableItemFactory(name="Wrist brace", tax_name="GST", tax_rate=D("5"))
        FeeFactory(item=brace, amount=D("24.90"))
        invoice = services.invoice_issue_for_appointment(
            appointment=completed, issued_by=clerk, extra=[LineIn(item=brace)]
        )
        # WCB's 80.00 visit fee: the payer 64.00; the patient 16.00 + the brace 26.15.
        assert (invoice.total, invoice.payer_portion, invoice.patient_portion) == (
            D("106.15"),
            D("64.00"),
            D("42.15"),
        )

    def test_check_out_preview_and_issue_agree(self, completed, clerk):
        from sessions.billing.checkout import checkout_preview

        case = PayerCaseFactory(patient=completed.patient, payer_share_amount=D("50"))
        Appointment.objects.filter(pk=completed.pk).update(payer_case=case)
        completed.refresh_from_db()
        preview = checkout_preview(appointment=completed)
        invoice = services.invoice_issue_for_appointment(appointment=completed, issued_by=clerk)
        assert (preview.amount, preview.payer, preview.patient) == (
            invoice.total,
            invoice.payer_portion,
            invoice.patient_portion,
        )

    @pytest.mark.parametrize(
        ("status", "words"),
        [
            (Appointment.Status.BOOKED, "has not happened"),
            (Appointment.Status.ARRIVED, "still here"),
            (Appointment.Status.CANCELLED, "cancelled with notice"),
            (Appointment.Status.NO_SHOW, "No no-show fee"),
        ],
    )
    def test_visits_not_billable_are_refused(self, completed, clerk, status, words):
        Appointment.objects.filter(pk=completed.pk).update(status=status)
        with pytest.raises(ValidationError, match=words):
            services.invoice_issue_for_appointment(appointment=completed, issued_by=clerk)
        assert not Invoice.objects.exists()

    def test_a_second_invoice_for_the_visit_is_refused(self, completed, clerk):
        services.invoice_issue_for_appointment(appointment=completed, issued_by=clerk)
        with pytest.raises(ValidationError) as caught:
            services.invoice_issue_for_appointment(appointment=completed, issued_by=clerk)
        assert "already has an invoice" in caught.value.message_dict["appointment"][0]

    def test_a_type_without_an_item_is_refused_by_item(self, patient, physio, location, clerk):
        visit = AppointmentFactory(
            patient=patient,
            practitioner=physio,
            location=location,
            start=clinic_time(2026, 11, 19, 11),
            status=Appointment.Status.COMPLETED,
        )
        with pytest.raises(ValidationError) as caught:
            services.invoice_issue_for_appointment(appointment=visit, issued_by=clerk)
        assert "add a fee" in caught.value.message_dict["item"][0]


class TestByHand:
    def test_lines_by_hand(self, patient, location, clerk, treatment_item):
        invoice = services.invoice_issue(
            patient=patient,
            lines=[
                LineIn(item=treatment_item, quantity=2),
                LineIn(description="Report", unit_price=D("40")),
            ],
            location=location,
            issued_by=clerk,
            service_date=date(2026, 11, 20),
        )
        assert invoice.total == D("230.00")

    @pytest.mark.parametrize(
        ("lines", "field"),
        [
            ([], "lines"),
            ([LineIn(description="", unit_price=D("5"))], "lines"),
            ([LineIn(description="X", unit_price=D("-5"))], "unit_price"),
            ([LineIn(description="X", unit_price=D("5"), quantity=0)], "quantity"),
        ],
    )
    def test_bad_lines_are_refused_by_field(self, patient, location, clerk, lines, field):
        with pytest.raises(ValidationError) as caught:
            services.invoice_issue(
                patient=patient,
                lines=lines,
                location=location,
                issued_by=clerk,
                service_date=date(2026, 11, 20),
            )
        assert field in caught.value.message_dict
        assert not Invoice.objects.exists()

    def test_another_patients_case_is_refused(self, patient, location, clerk):
        with pytest.raises(ValidationError) as caught:
            services.invoice_issue(
                patient=patient,
                lines=[LineIn(description="X", unit_price=D("5"))],
                location=location,
                issued_by=clerk,
                service_date=date(2026, 11, 20),
                payer_case=PayerCaseFactory(),
            )
        assert "payer_case" in caught.value.message_dict


class TestVoidAndCredit:
    def test_void_keeps_the_invoice_marked_with_who_and_why(self, completed, clerk):
        invoice = services.invoice_issue_for_appointment(appointment=completed, issued_by=clerk)
        services.invoice_void(invoice=invoice, reason="Wrong patient", voided_by=clerk)
        invoice.refresh_from_db()
        assert (invoice.is_void, invoice.void_reason, invoice.voided_by) == (
            True,
            "Wrong patient",
            clerk,
        )
        assert patient_account(patient=completed.patient).owed == D("0.00")
        # The visit can be invoiced again once its invoice is void.
        again = services.invoice_issue_for_appointment(appointment=completed, issued_by=clerk)
        assert again.number == 2

    def test_void_needs_a_reason_and_happens_once(self, completed, clerk):
        invoice = services.invoice_issue_for_appointment(appointment=completed, issued_by=clerk)
        with pytest.raises(ValidationError) as caught:
            services.invoice_void(invoice=invoice, reason=" ", voided_by=clerk)
        assert "reason" in caught.value.message_dict
        services.invoice_void(invoice=invoice, reason="Duplicate", voided_by=clerk)
        with pytest.raises(ValidationError, match="void already"):
            services.invoice_void(invoice=invoice, reason="Again", voided_by=clerk)

    def test_a_paid_invoice_is_credited_not_voided(self, completed, clerk):
        from sessions.billing.payments import AllocationIn, payment_take

        invoice = services.invoice_issue_for_appointment(appointment=completed, issued_by=clerk)
        payment_take(
            patient=completed.patient,
            amount=D("10"),
            method="cash",
            recorded_by=clerk,
            allocations=[AllocationIn(invoice)],
        )
        with pytest.raises(ValidationError, match="credit note instead"):
            services.invoice_void(invoice=invoice, reason="Oops", voided_by=clerk)

    def test_credit_note_lowers_the_balance_with_its_own_numbers(self, completed, clerk):
        invoice = services.invoice_issue_for_appointment(appointment=completed, issued_by=clerk)
        note = services.credit_note_issue(
            invoice=invoice, amount=D("15"), reason="Short visit", issued_by=clerk
        )
        assert note.display_number == "CN-000001"
        assert invoice_balances(invoice_ids=[invoice.pk])[invoice.pk].patient_due == D("80.00")

    def test_credit_beyond_the_unpaid_balance_becomes_patient_credit(self, completed, clerk):
        from sessions.billing.payments import AllocationIn, payment_take

        invoice = services.invoice_issue_for_appointment(appointment=completed, issued_by=clerk)
        payment_take(
            patient=completed.patient,
            amount=D("95"),
            method="debit",
            recorded_by=clerk,
            allocations=[AllocationIn(invoice)],
        )
        note = services.credit_note_issue(
            invoice=invoice, amount=D("20"), reason="Goodwill", issued_by=clerk
        )
        assert note.applied == D("0.00")
        assert note.credit.method == Payment.Method.CREDIT_NOTE
        account = patient_account(patient=completed.patient)
        assert (account.owed, account.credit, account.balance) == (
            D("0.00"),
            D("20.00"),
            D("-20.00"),
        )

    def test_credit_is_capped_at_what_is_not_credited_yet(self, completed, clerk):
        invoice = services.invoice_issue_for_appointment(appointment=completed, issued_by=clerk)
        services.credit_note_issue(invoice=invoice, amount=D("90"), reason="A", issued_by=clerk)
        with pytest.raises(ValidationError) as caught:
            services.credit_note_issue(
                invoice=invoice, amount=D("5.01"), reason="B", issued_by=clerk
            )
        assert "At most $5.00" in caught.value.message_dict["amount"][0]

    def test_payer_portion_credit_is_capped_at_its_unpaid_balance(self, completed, clerk):
        case = PayerCaseFactory(patient=completed.patient)
        Appointment.objects.filter(pk=completed.pk).update(payer_case=case)
        invoice = services.invoice_issue_for_appointment(appointment=completed, issued_by=clerk)
        assert invoice.payer_portion == D("80.00")
        with pytest.raises(ValidationError):
            services.credit_note_issue(
                invoice=invoice,
                amount=D("80.01"),
                reason="x",
                issued_by=clerk,
                portion=Portion.PAYER,
            )
        services.credit_note_issue(
            invoice=invoice, amount=D("80"), reason="x", issued_by=clerk, portion=Portion.PAYER
        )
        assert invoice_balances(invoice_ids=[invoice.pk])[invoice.pk].payer_due == D("0.00")
