"""The receipt journey: the front desk emails a paid visit's receipt from its page, and
the patient opens the mailed link on a phone and downloads the PDF."""

import re
from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from playwright.sync_api import Page, expect

from clinic.models import PractitionerProfile
from sessions.billing import services as billing
from sessions.billing.payments import AllocationIn, payment_take
from sessions.models import Appointment, AppointmentType, Invoice, Location
from tests.factories import AppointmentFactory, PatientFactory

PATIENT_EMAIL = "zoe.ln@example.com"


@pytest.fixture
def paid_invoice(demo_clinic, settings, live_server) -> Invoice:
    """Zoë's needling visit yesterday, invoiced and paid by debit; the physio's
    registration is on file."""
    settings.SITE_URL = live_server.url
    users = get_user_model().objects
    physio, clerk = users.get(username="physio"), users.get(username="frontdesk")
    PractitionerProfile.objects.update_or_create(
        user=physio,
        defaults={"designation": "Registered Physiotherapist", "registration_number": "PT-04417"},
    )
    zoe = PatientFactory(
        legal_first_name="Zoë", legal_last_name="Łukasiewicz-Nguyễn", email=PATIENT_EMAIL
    )
    now = timezone.localtime()
    yesterday = datetime.combine(now.date() - timedelta(days=1), time(7), tzinfo=now.tzinfo)
    visit = AppointmentFactory(
        patient=zoe,
        practitioner=physio,
        location=Location.objects.order_by("name").first(),
        type=AppointmentType.objects.get(name="IMS treatment"),
        start=yesterday,
        status=Appointment.Status.COMPLETED,
    )
    invoice = billing.invoice_issue(
        patient=zoe,
        lines=[billing.LineIn(description="IMS treatment", unit_price=Decimal("95.00"))],
        location=visit.location,
        issued_by=clerk,
        service_date=visit.day,
        practitioner=physio,
        appointment=visit,
    )
    payment_take(
        patient=zoe,
        amount=Decimal("95.00"),
        method="debit",
        recorded_by=clerk,
        allocations=[AllocationIn(invoice)],
        location=visit.location,
    )
    return invoice


def test_front_desk_emails_the_receipt_and_the_patient_opens_it_on_a_phone(
    page: Page, phone_page: Page, live_server, login, mailoutbox, paid_invoice
):
    login(page, live_server, "frontdesk")
    page.goto(f"{live_server.url}/invoices/{paid_invoice.pk}/receipt/")
    expect(page.get_by_role("heading", name="Receipt", exact=True)).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text("PT-04417")
    with page.expect_navigation():
        page.get_by_role("button", name="Email the receipt to the patient").click()
    expect(page.get_by_role("status")).to_contain_text(f"on its way to {PATIENT_EMAIL}")

    (mail,) = mailoutbox
    assert mail.to == [PATIENT_EMAIL]
    assert "IMS treatment" not in mail.body and "PT-04417" not in mail.body
    match = re.search(rf"{re.escape(live_server.url)}/r/[^/\s]+/", mail.body)
    assert match, mail.body

    phone_page.goto(match.group())
    main = phone_page.get_by_role("main")
    expect(main).to_contain_text("Zoë Łukasiewicz-Nguyễn")
    expect(main).to_contain_text(paid_invoice.display_number)
    width = phone_page.viewport_size["width"]
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= width
    href = phone_page.get_by_role("link", name="Download PDF").get_attribute("href")
    pdf = phone_page.request.get(live_server.url + href)
    assert pdf.status == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.body().startswith(b"%PDF")


# Elements marked data-nowrap whose text lays out on more than one line.
WRAPPED = """() => [...document.querySelectorAll('[data-nowrap]')].filter(el => {
  const range = document.createRange();
  range.selectNodeContents(el);
  const rects = [...range.getClientRects()].filter(r => r.width > 0);
  return new Set(rects.map(r => Math.round(r.top))).size > 1;
}).map(el => el.textContent.trim())"""


def test_receipt_numbers_and_dates_do_not_break_on_a_phone(
    phone_page: Page, live_server, login, paid_invoice
):
    """At 390 px "PT-04417" and "2026-11-30" stay whole (they wrapped at the hyphen)."""
    login(phone_page, live_server, "frontdesk")
    phone_page.goto(f"{live_server.url}/invoices/{paid_invoice.pk}/receipt/")
    main = phone_page.get_by_role("main")
    expect(main).to_contain_text("PT-04417")
    values = phone_page.eval_on_selector_all("[data-nowrap]", "els => els.map(e => e.textContent)")
    assert "PT-04417" in values and paid_invoice.display_number in values
    assert paid_invoice.service_date.isoformat() in values
    assert phone_page.evaluate(WRAPPED) == []
    width = phone_page.viewport_size["width"]
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= width
