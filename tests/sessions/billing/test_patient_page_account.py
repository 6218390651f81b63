"""The patient page shows front desk the patient's balance and a way to the account;
physiotherapists see neither."""

from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.urls import reverse

from sessions.billing import services
from sessions.billing.payments import AllocationIn, payment_take
from sessions.documents.services import documents_upload
from sessions.models import Appointment
from tests.factories import AppointmentFactory
from tests.sessions.documents.samples import make_pdf_bytes

pytestmark = pytest.mark.django_db


def visits_invoiced(completed, clerk, count: int) -> None:
    """``count`` more completed visits, each invoiced at $95.00 and paid $100.00."""
    for k in range(count):
        visit = (
            completed
            if k == 0
            else AppointmentFactory(
                patient=completed.patient,
                practitioner=completed.practitioner,
                location=completed.location,
                type=completed.type,
                start=completed.start - timedelta(days=k),
                status=Appointment.Status.COMPLETED,
            )
        )
        invoice = services.invoice_issue_for_appointment(appointment=visit, issued_by=clerk)
        payment_take(
            patient=invoice.patient,
            amount=D("100"),
            method="cash",
            recorded_by=clerk,
            allocations=[AllocationIn(invoice)],
        )


def page(client, patient) -> str:
    return client.get(reverse("intake:patient-detail", args=[patient.pk])).content.decode()


def test_front_desk_sees_the_balance_and_the_account_link(client_for, clerk, completed):
    services.invoice_issue_for_appointment(appointment=completed, issued_by=clerk)
    text = page(client_for(clerk), completed.patient)
    assert 'data-testid="patient-balance">$95.00</strong>' in text
    assert f'href="{reverse("sessions:account", args=[completed.patient_id])}"' in text


def test_front_desk_sees_credit(client_for, clerk, completed):
    visits_invoiced(completed, clerk, 1)
    text = page(client_for(clerk), completed.patient)
    assert 'data-testid="patient-balance">-$5.00</strong> (credit $5.00)' in text


def test_physiotherapist_sees_no_balance_nor_account(client_for, clerk, physio, completed):
    services.invoice_issue_for_appointment(appointment=completed, issued_by=clerk)
    text = page(client_for(physio), completed.patient)
    assert "patient-balance" not in text
    assert reverse("sessions:account", args=[completed.patient_id]) not in text


def test_front_desk_patient_page_queries_do_not_grow_with_invoices(
    client_for, clerk, completed, django_assert_max_num_queries
):
    visits_invoiced(completed, clerk, 8)
    for kind in ("insurance_card", "referral"):  # one the desk opens, one it only counts
        uploads = [(f"{kind}-{n}.pdf", make_pdf_bytes()) for n in range(6)]
        documents_upload(patient=completed.patient, uploads=uploads, kind=kind)
    client = client_for(clerk)
    # The physio's 14, plus the account's two, plus the documents' setting and the count
    # of those front desk does not open.
    with django_assert_max_num_queries(17):
        text = page(client, completed.patient)
    assert 'data-testid="patient-balance">-$40.00</strong> (credit $40.00)' in text
