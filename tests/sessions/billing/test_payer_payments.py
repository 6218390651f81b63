"""A payer's payment on a case: recorded from the case page, put toward the payer
portions of the case's invoices oldest first; more than the case owes is refused, and
a payer payment never pays another case's invoice."""

from datetime import date
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from clinic.models import AuditEvent
from sessions.billing import services
from sessions.billing.documents import Payment, Portion
from sessions.billing.payments import AllocationIn, payment_take
from sessions.billing.selectors import invoice_balances
from sessions.billing.services import LineIn
from tests.factories import PayerCaseFactory, clinic_time

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(patient):
    return PayerCaseFactory(
        patient=patient, payer_name="WCB", claim_number="12345", payer_share_percent=D("80")
    )


def issue(patient, location, clerk, case, amount, day):
    return services.invoice_issue(
        patient=patient,
        lines=[LineIn(description="Treatment", unit_price=D(amount), payer_covers=True)],
        location=location,
        issued_by=clerk,
        service_date=date(2026, 11, day),
        payer_case=case,
        now=clinic_time(2026, 11, day, 12),
    )


def pay_url(case):
    return reverse("sessions:case-payment", args=[case.pk])


def test_a_payer_payment_pays_the_case_invoices_oldest_first(
    client_for, clerk, patient, location, case
):
    first = issue(patient, location, clerk, case, "100", 10)  # payer owes 80.00
    second = issue(patient, location, clerk, case, "100", 12)  # payer owes 80.00
    client = client_for(clerk)
    assert "$160.00" in client.get(pay_url(case)).content.decode()
    data = {
        "amount": "120",
        "received_on": "2026-11-19",
        "reference": "EFT 778",
        "form_token": "p" * 20,
    }
    response = client.post(pay_url(case), data)
    assert response.status_code == 302
    payment = Payment.objects.get()
    assert (payment.method, payment.payer_case, payment.reference) == ("payer", case, "EFT 778")
    balances = invoice_balances(invoice_ids=[first.pk, second.pk])
    assert (balances[first.pk].payer_due, balances[second.pk].payer_due) == (D("0.00"), D("40.00"))
    assert balances[first.pk].patient_due == D("20.00")  # the patient's share is untouched
    assert AuditEvent.objects.filter(
        action="create", object_id=str(payment.pk), url_name="sessions:case-payment"
    ).exists()


def test_more_than_the_case_owes_is_refused_and_the_form_kept(
    client_for, clerk, patient, location, case
):
    issue(patient, location, clerk, case, "100", 10)
    data = {"amount": "95", "received_on": "2026-11-19", "reference": "CHQ 5521"}
    response = client_for(clerk).post(pay_url(case), data)
    assert response.status_code == 200
    error = response.context["form"].errors["amount"][0]
    assert "WCB claim 12345 owes $80.00" in error
    assert 'value="CHQ 5521"' in response.content.decode()
    assert not Payment.objects.exists()


def test_a_future_date_and_a_blank_reference_are_refused(
    client_for, clerk, patient, location, case
):
    issue(patient, location, clerk, case, "100", 10)
    data = {"amount": "10", "received_on": "2026-12-25", "reference": ""}
    response = client_for(clerk).post(pay_url(case), data)
    errors = response.context["form"].errors
    assert "reference" in errors
    data["reference"] = "EFT 1"
    response = client_for(clerk).post(pay_url(case), data)
    assert "future" in response.context["form"].errors["received_on"][0]
    assert not Payment.objects.exists()


def test_physios_are_refused(client_for, physio, case):
    assert client_for(physio).get(pay_url(case)).status_code == 403


def test_a_payer_payment_cannot_pay_another_cases_invoice(patient, location, clerk, case):
    other = PayerCaseFactory(patient=patient, payer_share_percent=D("100"))
    theirs = issue(patient, location, clerk, other, "100", 10)
    with pytest.raises(ValidationError) as caught:
        payment_take(
            patient=patient,
            amount=D("50"),
            method="payer",
            recorded_by=clerk,
            payer_case=case,
            allocations=[AllocationIn(theirs)],
        )
    assert "not billed to that case" in caught.value.message_dict["invoice"][0]
    assert not Payment.objects.exists()
    assert Portion.PAYER == "payer"
