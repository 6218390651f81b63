"""The patient page shows front desk the patient's balance and a way to the account;
physiotherapists see neither."""

from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.urls import reverse

from sessions.billing import services
from sessions.billing.payments import AllocationIn, payment_take
from sessions.models import Appointment
from tests.factories import AppointmentFactory

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
    client = client_for(clerk)
    with django_assert_max_num_queries(15):  # the physio's 13, plus the account's two
        text = page(client, completed.patient)
    assert 'data-testid="patient-balance">-$40.00</strong> (credit $40.00)' in text
