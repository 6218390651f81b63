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


def test_from_a_reminder_text_a_patient_confirms_and_switches_reminders_to_email(
    transactional_db, settings, live_server, phone_page: Page, sms_outbox
):
    """The whole path of a text: the reminder goes out as a text with a short link; on
    a phone the patient opens it, confirms the visit, follows "Change how we contact
    you" and chooses email for reminders; the next reminder goes by email."""
    from datetime import timedelta

    from django.core import mail
    from django.utils import timezone

    from clinic.roles import Role
    from intake.models import SmsConsent
    from sessions.booking.models import Appointment
    from sessions.followups import dispatch
    from sessions.followups import services as followups
    from tests.factories import AppointmentFactory, LocationFactory, UserFactory

    settings.SITE_URL = live_server.url
    settings.QUIET_HOURS_START = settings.QUIET_HOURS_END = "00:00"
    patient = PatientFactory(
        legal_first_name="Noor",
        email="noor@example.com",
        mobile="+14035550188",
        reminder_channel=Channel.SMS,
        checkin_channel=Channel.SMS,
        sms_consent=SmsConsent.GIVEN,
    )
    start = (timezone.now() + timedelta(days=2)).replace(second=0, microsecond=0)
    appointment = AppointmentFactory(
        patient=patient,
        practitioner=UserFactory(role=Role.PHYSIO),
        location=LocationFactory(name="Kensington", phone="403-555-0110"),
        start=start,
    )

    def send_due():
        for ids, claim in dispatch.send_batches(dispatch.messages_claim_due()):
            dispatch.messages_send(ids=ids, claim=claim)

    reminder = followups.reminder_schedule(appointment=appointment)
    reminder.due_at = timezone.now()
    reminder.save(update_fields=["due_at"])
    send_due()
    (text,) = sms_outbox
    link = re.search(r"https?://\S+/s/\S+", text.body).group(0)

    page = phone_page
    page.goto(link)
    expect(page.get_by_role("heading", name="Your appointment")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.get_by_role("button", name="Yes, I will be there").click()
    expect(page.get_by_text("You have confirmed this visit.")).to_be_visible()
    stored = Appointment.objects.get(pk=appointment.pk)
    assert (stored.confirmed_via, stored.confirmed_at is not None) == ("link", True)

    page.get_by_role("link", name=re.compile("Change how we contact you")).click()
    reminders = page.get_by_role("group", name="Visit reminders")
    expect(reminders.get_by_label("Text message", exact=True)).to_be_checked()
    reminders.get_by_label("Email", exact=True).check()
    page.get_by_role("button", name="Save my choices").click()
    expect(page.get_by_role("heading", name=re.compile("choices are saved"))).to_be_visible()
    expect(page.get_by_test_id("reminder-channel")).to_have_text("Email")

    # The visit is moved by the clinic: the reminder for the new time goes by email.
    Appointment.objects.filter(pk=appointment.pk).update(
        start=start + timedelta(hours=1), end=appointment.end + timedelta(hours=1)
    )
    moved = Appointment.objects.get(pk=appointment.pk)
    again = followups.reminder_move(appointment=moved)
    again.due_at = timezone.now()
    again.save(update_fields=["due_at"])
    send_due()
    assert len(sms_outbox) == 1
    assert [m.to for m in mail.outbox] == [["noor@example.com"]]
