"""A patient's account: the statement on screen and as an inline PDF, refunds from
credit (never more than the credit), balances on the booking form, physios refused."""

import io
from decimal import Decimal as D

import pytest
from django.urls import reverse
from pypdf import PdfReader

from clinic.models import AuditEvent
from sessions.billing import services
from sessions.billing.documents import Refund
from sessions.billing.payments import AllocationIn, payment_take
from sessions.billing.services import LineIn
from sessions.booking.models import Location
from tests.factories import LocationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def paid_over(completed, clerk):
    """The visit invoiced at $95.00 and $120.00 paid: $25.00 of credit."""
    invoice = services.invoice_issue_for_appointment(appointment=completed, issued_by=clerk)
    payment_take(
        patient=invoice.patient,
        amount=D("120"),
        method="cash",
        recorded_by=clerk,
        allocations=[AllocationIn(invoice)],
    )
    return invoice


def account_url(patient, name="sessions:account"):
    return reverse(name, args=[patient.pk])


def test_the_account_shows_the_statement_and_credit(client_for, clerk, paid_over, patient):
    text = client_for(clerk).get(account_url(patient)).content.decode()
    assert paid_over.display_number in text and "Payment, Cash" in text
    assert 'data-testid="account-balance">Balance -$25.00' in text
    assert AuditEvent.objects.filter(action="view", url_name="sessions:account").exists()


def test_the_statement_pdf_is_inline_and_audited(client_for, clerk, paid_over, patient):
    response = client_for(clerk).get(account_url(patient, "sessions:statement-pdf"))
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("inline;")
    assert response.content.startswith(b"%PDF")
    assert AuditEvent.objects.filter(action="view", url_name="sessions:statement-pdf").exists()


def test_the_statement_pdf_prints_where_it_comes_from(client_for, clerk, paid_over, patient):
    """The location of the patient's latest invoice heads the statement (an insurer
    reading it needs the clinic's address)."""
    location = paid_over.location
    Location.objects.filter(pk=location.pk).update(address="12 Bow Trail SW, Calgary")
    response = client_for(clerk).get(account_url(patient, "sessions:statement-pdf"))
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert "12 Bow Trail SW, Calgary" in text


def test_a_refund_up_to_the_credit_is_recorded(client_for, clerk, paid_over, patient, location):
    client = client_for(clerk)
    url = account_url(patient, "sessions:refund-add")
    data = {"amount": "25.01", "method": "cash", "reason": "Moved away", "location": location.pk}
    response = client.post(url, data)
    assert response.status_code == 200
    assert "At most" in response.context["refund_form"].errors["amount"][0]
    assert 'value="Moved away"' in response.content.decode()
    response = client.post(url, {**data, "amount": "25"})
    assert response.status_code == 302
    assert Refund.objects.get().amount == D("25.00")
    assert Refund.objects.get().location == location
    sheet = client.get(reverse("sessions:day-sheet"), {"location": location.pk})
    assert "Moved away" in sheet.content.decode()
    assert AuditEvent.objects.filter(action="create", url_name="sessions:refund-add").exists()


def test_the_refund_form_offers_the_last_visits_location(
    client_for, clerk, paid_over, patient, location
):
    LocationFactory(name="Aardvark")  # first by name, but not where the patient was seen
    response = client_for(clerk).get(account_url(patient))
    assert response.context["refund_form"]["location"].value() == location.pk
    assert 'for="id_location"' in response.content.decode()


def test_a_refund_without_a_location_is_refused(client_for, clerk, paid_over, patient):
    url = account_url(patient, "sessions:refund-add")
    response = client_for(clerk).post(url, {"amount": "5", "method": "cash", "reason": "r"})
    assert "location" in response.context["refund_form"].errors
    assert not Refund.objects.exists()


@pytest.mark.parametrize("amount", ["x", "-3", "1" * 20])
def test_bad_refund_amounts_are_field_errors(client_for, clerk, paid_over, patient, amount):
    url = account_url(patient, "sessions:refund-add")
    response = client_for(clerk).post(url, {"amount": amount, "method": "cash", "reason": "r"})
    assert "amount" in response.context["refund_form"].errors
    assert not Refund.objects.exists()


@pytest.mark.parametrize(
    "name",
    ["sessions:account", "sessions:statement-pdf", "sessions:refund-add", "sessions:invoice-new"],
)
def test_physios_are_refused_the_account_pages(client_for, physio, patient, name):
    assert client_for(physio).post(account_url(patient, name)).status_code == 403


def test_the_booking_form_shows_the_balance(client_for, clerk, paid_over, patient):
    url = reverse("sessions:appointment-new") + f"?patient={patient.pk}"
    text = client_for(clerk).get(url).content.decode()
    assert 'data-testid="patient-balance">-$25.00' in text


def test_account_queries_do_not_grow_with_history(
    client_for, clerk, paid_over, patient, location, django_assert_max_num_queries
):
    client = client_for(clerk)
    for _ in range(30):
        invoice = services.invoice_issue(
            patient=patient,
            lines=[LineIn(description="Tape", unit_price=D("5"))],
            location=location,
            issued_by=clerk,
            service_date=paid_over.service_date,
        )
        payment_take(
            patient=patient,
            amount=D("5"),
            method="debit",
            recorded_by=clerk,
            allocations=[AllocationIn(invoice)],
        )
    with django_assert_max_num_queries(20):
        assert client.get(account_url(patient)).status_code == 200
    with django_assert_max_num_queries(20):
        assert client.get(account_url(patient, "sessions:statement-pdf")).status_code == 200
