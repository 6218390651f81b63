"""The check-out journey: after a needling visit the front desk opens the day calendar,
checks the patient out, takes a split payment (debit and cash) in the one form, and sees
a balance of zero on the invoice (desktop)."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from playwright.sync_api import Page, expect

from clinic import clock
from intake.models import Patient
from sessions.billing.models import BillableItem, Fee
from sessions.billing.services import fee_for
from sessions.models import Appointment, AppointmentType, Invoice, Location, Payment
from tests.factories import AppointmentFactory


@pytest.fixture
def needling_visit(demo_clinic) -> Appointment:
    """Aisha's IMS treatment with the physio an hour ago, marked completed, and its fee."""
    kind = AppointmentType.objects.get(name="IMS treatment")
    item, _ = BillableItem.objects.get_or_create(
        appointment_type=kind, defaults={"name": "IMS treatment (check-out journey)"}
    )
    if not Fee.objects.filter(item=item, payer_kind="").exists():
        Fee.objects.create(item=item, amount=Decimal("95.00"), effective_from=date(2000, 1, 1))
    return AppointmentFactory(
        patient=Patient.objects.get(legal_first_name="Aisha", legal_last_name="Rahman"),
        practitioner=get_user_model().objects.get(username="physio"),
        location=Location.objects.order_by("name").first(),
        type=kind,
        start=timezone.now() - timedelta(hours=1),
        status=Appointment.Status.COMPLETED,
    )


def test_front_desk_checks_out_a_needling_visit_with_a_split_payment(
    page: Page, live_server, login, needling_visit
):
    visit = needling_visit
    item = BillableItem.objects.get(appointment_type=visit.type)
    fee = fee_for(item=item, on=visit.day).amount
    debit = Decimal("50.00")
    cash = fee - debit

    login(page, live_server, "frontdesk")
    day = clock.clinic_day(visit.start).isoformat()
    page.goto(f"{live_server.url}/calendar/?date={day}&location={visit.location_id}")
    entry = page.locator("li.appt", has_text=visit.patient.full_name)
    entry.get_by_role("link", name="Check out").click()

    expect(
        page.get_by_role("heading", name=f"Check-out: {visit.patient.full_name}")
    ).to_be_visible()
    page.get_by_label("Payment 1: method").select_option("debit")
    page.get_by_label("Payment 1: amount ($)").fill(str(debit))
    page.get_by_label("Payment 1: reference").fill("TERM 0042")
    page.get_by_label("Payment 2: method").select_option("cash")
    page.get_by_label("Payment 2: amount ($)").fill(str(cash))
    with page.expect_navigation():
        page.get_by_role("button", name="Issue the invoice and take payment").click()

    invoice = Invoice.objects.get(appointment=visit)
    expect(page.get_by_role("heading", name=f"Invoice {invoice.display_number}")).to_be_visible()
    expect(page.get_by_test_id("patient-due")).to_have_text("$0.00")
    methods = sorted(Payment.objects.filter(patient=visit.patient).values_list("method", "amount"))
    assert methods == [("cash", cash), ("debit", debit)]
