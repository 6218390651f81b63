"""A patient opens the message-choices link from a reminder on a phone, adds their
mobile number, switches visit reminders to texts and agrees to them; the front desk sees
the consent on the patient's page."""

import re

import pytest
from playwright.sync_api import Page, expect

from intake import services
from intake.models import Channel, MessagePurpose, Patient, SmsConsentEvent
from tests.factories import PatientFactory

pytestmark = pytest.mark.e2e


@pytest.fixture
def link(transactional_db, settings, live_server) -> tuple[Patient, str]:
    settings.SITE_URL = live_server.url
    patient = PatientFactory(
        legal_first_name="Noor", email="noor@example.com", phone="call the office", mobile=""
    )
    return patient, services.preferences_link(patient)


def test_a_patient_switches_reminders_to_texts_with_consent_on_a_phone(phone_page: Page, link):
    patient, url = link
    page = phone_page
    page.goto(url)
    expect(
        page.get_by_role("heading", name=re.compile("How should we reach you, Noor"))
    ).to_be_visible()
    # The page fits the phone: nothing to scroll sideways.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    reminders = page.get_by_role("group", name="Visit reminders")
    reminders.get_by_label("Text message", exact=True).check()
    page.get_by_role("button", name="Save my choices").click()
    # Refused: no number and no consent yet; what was chosen stays chosen.
    expect(page.get_by_text("Add a mobile number to get text messages.")).to_be_visible()
    expect(page.get_by_text("To get text messages, tick the box to agree to them.")).to_be_visible()
    expect(reminders.get_by_label("Text message", exact=True)).to_be_checked()

    page.get_by_label("Mobile number").fill("403 555 01")
    page.get_by_label(re.compile("I agree to get text messages")).check()
    page.get_by_role("button", name="Save my choices").click()
    expect(page.get_by_text(re.compile("not a phone number we can read"))).to_be_visible()
    expect(page.get_by_label("Mobile number")).to_have_value("403 555 01")

    page.get_by_label("Mobile number").fill("403 555 0188")
    page.get_by_label(re.compile("I agree to get text messages")).check()
    page.get_by_role("button", name="Save my choices").click()
    expect(page.get_by_role("heading", name=re.compile("choices are saved"))).to_be_visible()
    expect(page.get_by_test_id("reminder-channel")).to_have_text("Text message")
    expect(page.get_by_test_id("checkin-channel")).to_have_text("Email")

    stored = Patient.objects.get(pk=patient.pk)
    assert str(stored.mobile) == "+14035550188"
    assert services.channels_for(stored, MessagePurpose.REMINDER) == {Channel.SMS}
    assert services.channels_for(stored, MessagePurpose.CHECKIN) == {Channel.EMAIL}
    event = SmsConsentEvent.objects.get(patient=patient)
    assert (event.kind, event.source, event.recorded_by) == ("given", "patient_link", None)

    # Opened again, the page shows the saved choices.
    page.goto(url)
    expect(page.get_by_label("Mobile number")).to_have_value("(403) 555-0188")
    expect(
        page.get_by_role("group", name="Visit reminders").get_by_label("Text message", exact=True)
    ).to_be_checked()
