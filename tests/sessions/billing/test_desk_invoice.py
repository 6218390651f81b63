"""The invoice page and its forms (payment, credit, void, credit note), the missed-visit
fee's decision and a by-hand invoice: refusals are field errors with what was typed
kept, writes are audited, physios are refused."""

from datetime import date, timedelta
from decimal import Decimal as D

import pytest
from django.urls import reverse

from clinic import clock
from clinic.models import AuditEvent
from sessions.billing import services
from sessions.billing.documents import CreditNote, Invoice, Payment
from sessions.billing.models import MissedVisitFee
from sessions.billing.payments import AllocationIn, payment_take
from sessions.models import Appointment
from tests.factories import AppointmentTypeFactory, BillableItemFactory, FeeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def invoice(completed, clerk):
    return services.invoice_issue_for_appointment(appointment=completed, issued_by=clerk)


def page(invoice, name="sessions:invoice"):
    return reverse(name, args=[invoice.pk])


def test_the_invoice_page_shows_the_document_and_is_audited(client_for, clerk, invoice):
    response = client_for(clerk).get(page(invoice))
    text = response.content.decode()
    assert invoice.display_number in text and "$95.00" in text
    assert invoice.patient.full_name in text and "Kensington" in text
    assert AuditEvent.objects.filter(
        action="view", url_name="sessions:invoice", object_id=str(invoice.pk)
    ).exists()


def test_a_payment_is_taken_and_audited(client_for, clerk, invoice):
    client = client_for(clerk)
    data = {"method": "credit_card", "amount": "95.00", "reference": "AUTH 1"}
    response = client.post(page(invoice, "sessions:invoice-pay"), data)
    assert response.status_code == 302
    assert Payment.objects.get().reference == "AUTH 1"
    assert AuditEvent.objects.filter(action="create", url_name="sessions:invoice-pay").exists()
    assert 'data-testid="patient-due">$0.00' in client.get(page(invoice)).content.decode()


@pytest.mark.parametrize("amount", ["", "1e5", "-1", "0", "12.345", "999999999999"])
def test_bad_payment_amounts_are_field_errors(client_for, clerk, invoice, amount):
    data = {"method": "cash", "amount": amount, "reference": "kept"}
    response = client_for(clerk).post(page(invoice, "sessions:invoice-pay"), data)
    assert response.status_code == 200
    assert "amount" in response.context["pay_form"].errors
    assert 'value="kept"' in response.content.decode()
    assert not Payment.objects.exists()


def test_void_needs_a_reason_and_is_refused_when_paid(client_for, clerk, invoice):
    client = client_for(clerk)
    payment_take(
        patient=invoice.patient,
        amount=D("10"),
        method="cash",
        recorded_by=clerk,
        allocations=[AllocationIn(invoice)],
    )
    response = client.post(page(invoice, "sessions:invoice-void"), {"reason": ""})
    assert "reason" in response.context["void_form"].errors
    response = client.post(page(invoice, "sessions:invoice-void"), {"reason": "Wrong patient"})
    assert response.status_code == 200
    assert "issue a credit note instead" in str(response.context["void_form"].non_field_errors())
    assert not Invoice.objects.get(pk=invoice.pk).is_void


def test_an_unpaid_invoice_is_voided(client_for, clerk, invoice):
    client_for(clerk).post(page(invoice, "sessions:invoice-void"), {"reason": "Wrong patient"})
    invoice.refresh_from_db()
    assert invoice.is_void and invoice.void_reason == "Wrong patient"


def test_a_credit_note_takes_an_amount_off(client_for, clerk, invoice):
    client = client_for(clerk)
    data = {"amount": "20", "portion": "patient", "reason": "Goodwill"}
    client.post(page(invoice, "sessions:credit-note-add"), data)
    assert CreditNote.objects.get().amount == D("20.00")
    too_much = {"amount": "500", "portion": "patient", "reason": "Goodwill"}
    response = client.post(page(invoice, "sessions:credit-note-add"), too_much)
    assert "At most" in response.context["note_form"].errors["amount"][0]
    assert CreditNote.objects.count() == 1


def test_credit_is_used_on_the_invoice(client_for, clerk, invoice, location):
    payment_take(patient=invoice.patient, amount=D("30"), method="cash", recorded_by=clerk)
    client = client_for(clerk)
    client.post(page(invoice, "sessions:credit-apply"), {"amount": ""})
    assert 'data-testid="patient-due">$65.00' in client.get(page(invoice)).content.decode()
    credit = Payment.objects.get()
    event = AuditEvent.objects.get(url_name="sessions:credit-apply")
    assert (event.action, event.object_id) == ("update", str(invoice.pk))
    assert event.detail == f"credit applied $30.00 from payments {credit.pk}"
    assert not AuditEvent.objects.filter(action="create", object_id=str(credit.pk)).exists()
    response = client.post(page(invoice, "sessions:credit-apply"), {"amount": "5"})
    assert "credit" in response.context["credit_form"].errors["amount"][0]


@pytest.mark.parametrize(
    "name",
    [
        "sessions:invoice",
        "sessions:invoice-pay",
        "sessions:invoice-void",
        "sessions:credit-note-add",
        "sessions:credit-apply",
    ],
)
def test_physios_are_refused_every_invoice_page(client_for, physio, invoice, name):
    client = client_for(physio)
    response = (
        client.post(page(invoice, name))
        if name != "sessions:invoice"
        else client.get(page(invoice))
    )
    assert response.status_code == 403


def test_an_unknown_invoice_is_a_404(client_for, clerk, db):
    assert client_for(clerk).get(reverse("sessions:invoice", args=[999999])).status_code == 404


def test_invoice_page_queries_do_not_grow_with_payments(
    client_for, clerk, invoice, django_assert_max_num_queries
):
    client = client_for(clerk)
    for _ in range(40):
        payment_take(
            patient=invoice.patient,
            amount=D("1"),
            method="cash",
            recorded_by=clerk,
            allocations=[AllocationIn(invoice)],
        )
    with django_assert_max_num_queries(25):
        assert client.get(page(invoice)).status_code == 200


@pytest.fixture
def no_show_fee(completed):
    Appointment.objects.filter(pk=completed.pk).update(status=Appointment.Status.NO_SHOW)
    return MissedVisitFee.objects.create(
        appointment=completed, kind=MissedVisitFee.Kind.NO_SHOW, amount=D("40.00")
    )


def test_a_missed_fee_is_confirmed_into_an_invoice(client_for, clerk, no_show_fee):
    client = client_for(clerk)
    detail = reverse("sessions:appointment-detail", args=[no_show_fee.appointment_id])
    assert (
        reverse("sessions:missed-fee", args=[no_show_fee.pk]) in client.get(detail).content.decode()
    )
    response = client.post(
        reverse("sessions:missed-fee", args=[no_show_fee.pk]), {"decision": "confirm"}
    )
    invoice = Invoice.objects.get()
    assert response["Location"] == reverse("sessions:invoice", args=[invoice.pk])
    assert invoice.total == D("40.00")


def test_a_missed_fee_is_waived_only_with_a_reason(client_for, clerk, no_show_fee):
    client = client_for(clerk)
    fee_url = reverse("sessions:missed-fee", args=[no_show_fee.pk])
    response = client.post(fee_url, {"decision": "waive", "reason": " "})
    assert "reason" in response.context["form"].errors
    client.post(fee_url, {"decision": "waive", "reason": "First time"})
    no_show_fee.refresh_from_db()
    assert no_show_fee.status == "waived" and not Invoice.objects.exists()


def test_an_invoice_is_written_by_hand(client_for, clerk, patient, location):
    brace = BillableItemFactory(name="Knee brace")
    FeeFactory(item=brace, amount=D("40.00"), effective_from=date(2026, 1, 1))
    url = reverse("sessions:invoice-new", args=[patient.pk])
    data = {
        "service_date": "2026-11-18",
        "location": location.pk,
        "item_1": brace.pk,
        "quantity_1": "3",
    }
    response = client_for(clerk).post(url, data)
    invoice = Invoice.objects.get()
    assert response["Location"] == reverse("sessions:invoice", args=[invoice.pk])
    assert invoice.total == D("120.00") and invoice.service_date == date(2026, 11, 18)


def test_a_by_hand_invoice_without_a_fee_keeps_the_form(client_for, clerk, patient, location):
    tape = BillableItemFactory(name="Tape")
    url = reverse("sessions:invoice-new", args=[patient.pk])
    data = {
        "service_date": "2026-11-18",
        "location": location.pk,
        "item_1": tape.pk,
        "quantity_1": "101",
    }
    response = client_for(clerk).post(url, data)
    assert "quantity_1" in response.context["form"].errors
    data["quantity_1"] = "2"
    response = client_for(clerk).post(url, data)
    assert "no fee" in response.context["form"].errors["item_1"][0]
    assert not Invoice.objects.exists()


def test_a_by_hand_invoice_bills_the_patient_unless_a_case_is_chosen(
    client_for, clerk, patient, location, physio
):
    from tests.factories import PayerCaseFactory

    case = PayerCaseFactory(patient=patient, opened_on=date(2026, 11, 1), payer_share_percent=100)
    treatment = BillableItemFactory(name="Assessment")
    FeeFactory(item=treatment, amount=D("40.00"), effective_from=date(2026, 1, 1))
    url = reverse("sessions:invoice-new", args=[patient.pk])
    data = {"service_date": "2026-11-18", "location": location.pk, "item_1": treatment.pk,
            "practitioner": physio.pk}  # fmt: skip
    client = client_for(clerk)
    assert "The patient" in client.get(url).content.decode()
    client.post(url, {**data, "form_token": "a" * 20})
    invoice = Invoice.objects.get()
    assert invoice.payer_case is None and invoice.patient_portion == D("40.00")
    client.post(url, {**data, "bill_to": case.pk, "form_token": "b" * 20})
    billed = Invoice.objects.exclude(pk=invoice.pk).get()
    assert billed.payer_case == case and billed.patient_portion == D("40.00")  # goods


def test_a_by_hand_invoice_refuses_another_patients_case(client_for, clerk, patient, location):
    from tests.factories import PatientFactory, PayerCaseFactory

    theirs = PayerCaseFactory(patient=PatientFactory())
    brace = BillableItemFactory(name="Knee brace")
    FeeFactory(item=brace, amount=D("40.00"), effective_from=date(2026, 1, 1))
    url = reverse("sessions:invoice-new", args=[patient.pk])
    data = {"service_date": "2026-11-18", "location": location.pk, "item_1": brace.pk,
            "bill_to": theirs.pk}  # fmt: skip
    response = client_for(clerk).post(url, data)
    assert "bill_to" in response.context["form"].errors
    assert not Invoice.objects.exists()


def test_a_by_hand_treatment_names_its_practitioner_and_a_sensible_date(
    client_for, clerk, patient, location, physio
):
    """The receipt of a treatment must name who provided it; a date of service after
    today, or years back, is a typing slip."""
    treatment = BillableItemFactory(name="Assessment", appointment_type=AppointmentTypeFactory())
    FeeFactory(item=treatment, amount=D("40.00"), effective_from=date(2020, 1, 1))
    url = reverse("sessions:invoice-new", args=[patient.pk])
    data = {"service_date": "2026-11-18", "location": location.pk, "item_1": treatment.pk}
    client = client_for(clerk)
    response = client.post(url, data)
    assert "receipt must show it" in response.context["form"].errors["practitioner"][0]
    today = clock.clinic_today()
    for day in (today + timedelta(days=1), today - timedelta(days=2 * 365 + 1)):
        response = client.post(url, {**data, "service_date": day, "practitioner": physio.pk})
        assert "service_date" in response.context["form"].errors
        assert response.context["form"]["service_date"].value() == str(day)  # kept
    assert not Invoice.objects.exists()
    client.post(url, {**data, "service_date": today, "practitioner": physio.pk})
    assert Invoice.objects.get().practitioner == physio


def test_provided_by_offers_practitioners_by_name(client_for, clerk, patient, physio):
    physio.first_name, physio.last_name = "Priya", "Shah"
    physio.save()
    page = client_for(clerk).get(reverse("sessions:invoice-new", args=[patient.pk]))
    assert ">Priya Shah</option>" in page.content.decode()


def test_billed_to_names_only_who_owes_a_part(client_for, clerk, patient, location):
    """Goods under a case go wholly to the patient: the invoice does not name the payer
    as billed."""
    from tests.factories import PayerCaseFactory

    case = PayerCaseFactory(patient=patient, payer_share_percent=100, claim_number="WCB-1")
    brace = BillableItemFactory(name="Knee brace")
    FeeFactory(item=brace, amount=D("40.00"), effective_from=date(2020, 1, 1))
    invoice = services.invoice_issue(
        patient=patient,
        lines=[services.LineIn(item=brace)],
        location=location,
        issued_by=clerk,
        service_date=clock.clinic_today(),
        payer_case=case,
    )
    page = client_for(clerk).get(reverse("sessions:invoice", args=[invoice.pk])).content.decode()
    assert "and the patient" not in page
    assert "which pays none of it" in page
