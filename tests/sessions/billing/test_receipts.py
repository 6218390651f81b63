"""The receipt insurers accept, as the front desk sees and prints it: every field on the
page and in the PDF (text read back with pypdf, accented names), the warning when the
practitioner's registration is missing, who may open it, and a constant query count."""

from decimal import Decimal as D

import pytest
from django.urls import reverse

from clinic.models import AuditEvent
from sessions.billing import services
from sessions.billing.receipts import receipt_for
from sessions.models import Appointment
from tests.factories import AppointmentFactory, PayerCaseFactory, VisitFactory, clinic_time
from tests.sessions.billing.receipt_helpers import (
    DESIGNATION,
    NAME_FIRST,
    NAME_LAST,
    REGISTRATION,
    issued,
    pay,
    pdf_text,
    profile_for,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def paid(completed, clerk, physio, location, settings):
    """Zoë's visit of 2026-11-19, 95.00, paid 50.00 cash and 45.00 debit."""
    settings.CLINIC_NAME = "Bow River Physiotherapy & IMS"
    location.address = "1204 Kensington Rd NW, Calgary AB T2N 3P5"
    location.save()
    patient = completed.patient
    patient.legal_first_name, patient.legal_last_name = NAME_FIRST, NAME_LAST
    patient.save()
    physio.first_name, physio.last_name = "Priya", "Shah"
    physio.save()
    profile_for(physio)
    invoice = issued(completed, clerk)
    pay(invoice, clerk, "50", "cash")
    pay(invoice, clerk, "45", "debit", reference="T-8831")
    return invoice


EVERY_FIELD = [
    "Bow River Physiotherapy &amp; IMS",
    "1204 Kensington Rd NW, Calgary AB T2N 3P5",
    f"{NAME_FIRST} {NAME_LAST}",
    "2026-11-19",
    "IMS treatment",
    "Priya Shah",
    DESIGNATION,
    REGISTRATION,
    "$95.00 CAD",
    "$50.00 CAD",
    "$45.00 CAD",
    "Cash",
    "Debit",
    "T-8831",
    "2026-11-20",  # paid today
]


def test_the_receipt_page_shows_every_field_an_insurer_asks_for(paid, clerk, client_for):
    response = client_for(clerk).get(reverse("sessions:receipt", args=[paid.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    for field in [*EVERY_FIELD, paid.display_number, "Amount paid"]:
        assert field in html, field
    assert "lacks what insurers ask for" not in html
    assert AuditEvent.objects.filter(action="view", patient=paid.patient, detail="receipt").exists()


def test_the_pdf_has_every_field_with_the_accented_name(paid, clinic_admin, client_for):
    response = client_for(clinic_admin).get(reverse("sessions:receipt-pdf", args=[paid.pk]))
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        f'inline; filename="receipt-{paid.display_number}.pdf"'
    )
    text = " ".join(pdf_text(response.content).split())
    for field in [f.replace("&amp;", "&") for f in EVERY_FIELD] + [paid.display_number]:
        assert field in text, field
    assert AuditEvent.objects.filter(detail="receipt pdf", patient=paid.patient).exists()


def test_a_case_invoice_shows_the_payer_portion_and_claim_number(
    completed, clerk, client_for, patient
):
    case = PayerCaseFactory(
        patient=patient, claim_number="WCB-55-0192", payer_share_percent=D("80")
    )
    Appointment.objects.filter(pk=completed.pk).update(payer_case=case)
    invoice = issued(completed, clerk)
    html = client_for(clerk).get(reverse("sessions:receipt", args=[invoice.pk])).content.decode()
    assert "WCB-55-0192" in html
    assert "Payer portion (WCB-Alberta)" in html
    assert "$64.00 CAD" in html and "$16.00 CAD" in html


def test_a_credit_note_on_the_payer_portion_shows_in_the_portions(completed, clerk, patient):
    """The portions printed still add up to the total printed: a note crediting the
    payer's share lowers the payer's portion, not only the total."""
    case = PayerCaseFactory(patient=patient, payer_share_percent=D("80"))
    Appointment.objects.filter(pk=completed.pk).update(payer_case=case)
    invoice = issued(completed, clerk)
    services.credit_note_issue(
        invoice=invoice,
        amount=D("64.00"),
        reason="Payer declined",
        issued_by=clerk,
        portion="payer",
    )
    data = receipt_for(invoice_id=invoice.pk).data
    assert data.total == D("16.00")
    assert (data.payer_portion, data.patient_portion) == (D("0.00"), D("16.00"))


def test_a_missing_registration_is_a_warning_that_says_where_to_add_it(
    completed, clerk, client_for
):
    invoice = issued(completed, clerk)
    html = client_for(clerk).get(reverse("sessions:receipt", args=[invoice.pk])).content.decode()
    assert "This receipt lacks what insurers ask for" in html
    assert "professional registration number is missing" in html
    assert "Administration → Practitioner profiles" in html


def test_no_clinical_detail_reaches_the_receipt(paid, clerk, client_for):
    VisitFactory(appointment=paid.appointment, subjective="Sharp pain L4-L5 secret-note")
    html = client_for(clerk).get(reverse("sessions:receipt", args=[paid.pk])).content.decode()
    assert "secret-note" not in html


def test_a_credit_note_is_a_line_and_the_figures_still_add_up(paid, clerk):
    services.credit_note_issue(invoice=paid, amount=D("20"), reason="Courtesy", issued_by=clerk)
    data = receipt_for(invoice_id=paid.pk).data
    assert data.total == D("75.00")
    assert data.amount_paid == D("75.00")
    assert data.balance == D("0.00")
    assert data.lines[-1].line_total == D("-20.00")


@pytest.mark.parametrize("view", ["sessions:receipt", "sessions:receipt-pdf"])
def test_a_physiotherapist_is_refused_the_receipt(paid, physio, client_for, view):
    response = client_for(physio).get(reverse(view, args=[paid.pk]))
    assert response.status_code == 403


@pytest.mark.parametrize("view", ["sessions:receipt", "sessions:receipt-pdf"])
def test_anonymous_is_sent_to_sign_in(paid, client, view):
    response = client.get(reverse(view, args=[paid.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_an_unknown_invoice_is_not_found(clerk, client_for):
    response = client_for(clerk).get(reverse("sessions:receipt", args=[999999]))
    assert response.status_code == 404


def test_a_void_invoice_says_so_and_has_no_pdf(completed, clerk, client_for):
    invoice = issued(completed, clerk)
    services.invoice_void(invoice=invoice, reason="Wrong patient", voided_by=clerk)
    client = client_for(clerk)
    html = client.get(reverse("sessions:receipt", args=[invoice.pk])).content.decode()
    assert "is void" in html
    response = client.get(reverse("sessions:receipt-pdf", args=[invoice.pk]))
    assert response.status_code == 302


def test_the_receipt_takes_the_same_queries_however_many_lines_and_payments(
    paid, clerk, client_for, patient, physio, location, treatment, django_assert_max_num_queries
):
    client = client_for(clerk)
    url = reverse("sessions:receipt", args=[paid.pk])
    client.get(url)
    with django_assert_max_num_queries(20) as few:
        client.get(url)
    bigger = issued(
        AppointmentFactory(
            patient=patient,
            practitioner=physio,
            location=location,
            type=treatment,
            start=clinic_time(2026, 11, 18, 9),
            status=Appointment.Status.COMPLETED,
        ),
        clerk,
    )
    for _ in range(12):
        pay(bigger, clerk, "5", "cash")
    services.credit_note_issue(invoice=bigger, amount=D("5"), reason="Courtesy", issued_by=clerk)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("sessions:receipt", args=[bigger.pk]))
    assert response.status_code == 200


def test_the_receipt_selector_runs_four_queries(paid, django_assert_num_queries):
    with django_assert_num_queries(4):
        receipt_for(invoice_id=paid.pk)
