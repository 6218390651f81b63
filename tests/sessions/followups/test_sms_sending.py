"""Reminders and check-ins by text: the channel each goes by, email standing in for a
text that may not or could not go (and the row saying why), each channel at most once
over retries, an opt-out honoured for messages already queued, and the words of the
texts. Texts go to the in-memory outbox or, for the provider's refusals, through the
real Twilio backend to the local fake provider."""

from datetime import timedelta

import pytest
from django.core import mail

from clinic.models import ShortLink
from clinic.sms import segments
from intake import services as intake_services
from intake.models import Channel, Patient, SmsConsent
from sessions.followups import services
from sessions.followups.models import ScheduledMessage, SmsDelivery
from tests.factories import AppointmentFactory, PatientFactory
from tests.sessions.conftest import NOW, local
from tests.sessions.followups.conftest import checkin, dispatch_and_send

EMAIL, SMS, BOTH = Channel.EMAIL, Channel.SMS, Channel.BOTH
MOBILE = "+14035550188"


def texting(**fields) -> Patient:
    """A patient who agreed to texts and has a mobile; channels as given."""
    values = {
        "legal_first_name": "Noor",
        "email": "noor@example.com",
        "email_reminders": True,
        "mobile": MOBILE,
        "reminder_channel": SMS,
        "checkin_channel": SMS,
        "sms_consent": SmsConsent.GIVEN,
    }
    return PatientFactory(**{**values, **fields})


@pytest.fixture
def reminder_for(physio, location, treatment):
    """A pending reminder for a visit tomorrow at 9:30, due now, for ``patient``."""

    def make(patient: Patient) -> ScheduledMessage:
        appointment = AppointmentFactory(
            patient=patient,
            practitioner=physio,
            location=location,
            type=treatment,
            start=local(2026, 11, 21, 9, 30),
        )
        message = services.reminder_schedule(appointment=appointment, now=NOW)
        assert message is not None
        ScheduledMessage.objects.filter(pk=message.pk).update(due_at=NOW)
        message.refresh_from_db()
        return message

    return make


def sent(message: ScheduledMessage) -> ScheduledMessage:
    message.refresh_from_db()
    assert message.status == ScheduledMessage.Status.SENT, message.last_error
    return message


# --- Which channel -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("chosen", "texts", "emails", "channels"),
    [(SMS, 1, 0, "sms"), (EMAIL, 0, 1, "email"), (BOTH, 1, 1, "both")],
)
def test_a_reminder_goes_by_the_channel_the_patient_chose(
    sms_outbox, reminder_for, chosen, texts, emails, channels
):
    message = reminder_for(texting(reminder_channel=chosen))
    assert dispatch_and_send() == ["sent"]
    message = sent(message)
    assert (len(sms_outbox), len(mail.outbox)) == (texts, emails)
    assert message.channels == channels
    assert message.fallback_reason == ""
    if texts:
        (text,) = sms_outbox
        assert text.to == MOBILE
        delivery = message.sms
        assert (delivery.status, delivery.to, delivery.body) == ("queued", MOBILE, text.body)
        assert delivery.provider_id and delivery.segments == 1


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"mobile": ""}, "No valid mobile number is on file."),
        ({"sms_consent": SmsConsent.NONE}, "No SMS consent is on record."),
        ({"sms_consent": SmsConsent.WITHDRAWN}, "No SMS consent is on record."),
        ({"sms_consent": SmsConsent.OPTED_OUT}, "The patient opted out of texts (STOP)."),
    ],
)
def test_a_text_that_may_not_go_falls_back_to_email_and_the_row_says_why(
    sms_outbox, reminder_for, fields, reason
):
    message = reminder_for(texting(**fields))
    assert dispatch_and_send() == ["sent"]
    message = sent(message)
    assert sms_outbox == []
    assert len(mail.outbox) == 1
    assert (message.channels, message.fallback_reason) == ("email", reason)
    assert not SmsDelivery.objects.exists()


def test_no_text_and_no_email_allowed_skips_the_message_with_both_reasons(sms_outbox, reminder_for):
    message = reminder_for(texting(mobile="", email=""))
    assert dispatch_and_send() == ["skipped"]
    message.refresh_from_db()
    assert message.status == ScheduledMessage.Status.SKIPPED
    assert message.last_error == (
        "No valid mobile number is on file. The patient has no email address."
    )
    assert sms_outbox == [] and mail.outbox == []


def test_email_only_without_an_address_keeps_the_old_reason(sms_outbox, reminder_for):
    message = reminder_for(texting(reminder_channel=EMAIL, email=""))
    assert dispatch_and_send() == ["skipped"]
    message.refresh_from_db()
    assert message.last_error == "The patient has no email address."


def test_an_opt_out_after_queueing_is_honoured_at_send_time(sms_outbox, reminder_for):
    patient = texting()
    message = reminder_for(patient)  # queued while texts were allowed
    intake_services.sms_opt_out(patient=patient)
    assert dispatch_and_send() == ["sent"]
    message = sent(message)
    assert sms_outbox == []
    assert message.channels == "email"
    assert message.fallback_reason == "The patient opted out of texts (STOP)."


def test_an_opt_out_without_email_sends_nothing(sms_outbox, reminder_for):
    patient = texting(email="")
    message = reminder_for(patient)
    intake_services.sms_opt_out(patient=patient)
    assert dispatch_and_send() == ["skipped"]
    message.refresh_from_db()
    assert message.last_error.startswith("The patient opted out of texts (STOP).")
    assert sms_outbox == [] and mail.outbox == []


def test_check_ins_follow_their_own_channel(sms_outbox, visit):
    Patient.objects.filter(pk=visit.appointment.patient_id).update(
        mobile=MOBILE, checkin_channel=SMS, sms_consent=SmsConsent.GIVEN
    )
    message = checkin(visit)
    assert dispatch_and_send() == ["sent"]
    message = sent(message)
    (text,) = sms_outbox
    assert mail.outbox == []
    assert message.channels == "sms"
    assert "/s/" in text.body


# --- The provider refuses or fails -----------------------------------------------------


def test_a_number_the_provider_refuses_falls_back_to_email(fake_twilio, reminder_for):
    message = reminder_for(texting())
    fake_twilio.fail(400, 21211, message="Invalid 'To' Phone Number")
    assert dispatch_and_send() == ["sent"]
    message = sent(message)
    assert len(mail.outbox) == 1
    assert message.channels == "email"
    assert message.fallback_reason == "The SMS provider refused the text (code 21211)."
    assert (message.sms.status, message.sms.error_code) == ("refused", "21211")
    # Sent again later (a retry of the email, say), the refused text is not tried again.
    assert fake_twilio.messages == []


def test_a_number_that_stopped_texts_at_the_provider_is_recorded_as_opted_out(
    fake_twilio, reminder_for
):
    patient = texting()
    reminder_for(patient)
    fake_twilio.fail(400, 21610, message="Attempt to send to unsubscribed recipient")
    assert dispatch_and_send() == ["sent"]
    patient.refresh_from_db()
    assert patient.sms_consent == SmsConsent.OPTED_OUT
    assert patient.sms_consent_events.last().get_source_display().endswith("text reply")


def test_a_refused_text_without_email_fails_and_says_why(fake_twilio, reminder_for):
    message = reminder_for(texting(email=""))
    fake_twilio.fail(400, 21614, message="not a mobile number")
    assert dispatch_and_send() == ["failed"]
    message.refresh_from_db()
    assert message.status == ScheduledMessage.Status.FAILED
    assert message.last_error == (
        "The SMS provider refused the text (code 21614). There is no email to send instead."
    )


def test_a_provider_outage_retries_without_sending_the_email_twice(
    fake_twilio, reminder_for, frozen_now
):
    message = reminder_for(texting(reminder_channel=BOTH))
    fake_twilio.fail(503, None)
    # The text fails before the email is tried: nothing went, the row waits to retry.
    assert dispatch_and_send() == ["retry"]
    message.refresh_from_db()
    assert message.status == ScheduledMessage.Status.PENDING
    assert "SmsTemporaryError" in message.last_error
    assert mail.outbox == []
    frozen_now.move_to(message.due_at)
    assert dispatch_and_send() == ["sent"]
    message = sent(message)
    assert message.channels == "both"
    assert len(fake_twilio.messages) == 1 and len(mail.outbox) == 1
    assert message.sms.provider_id == fake_twilio.messages[0].sid


def test_a_failed_email_after_the_text_went_retries_only_the_email(
    fake_twilio, reminder_for, frozen_now, settings
):
    settings.EMAIL_BACKEND = "tests.mail_backends.OutageBackend"
    from tests.mail_backends import OutageBackend

    message = reminder_for(texting(reminder_channel=BOTH))
    OutageBackend.down = True
    try:
        assert dispatch_and_send() == ["retry"]
    finally:
        OutageBackend.down = False
    assert len(fake_twilio.messages) == 1  # the text went
    message.refresh_from_db()
    frozen_now.move_to(message.due_at)
    assert dispatch_and_send() == ["sent"]
    message = sent(message)
    assert len(fake_twilio.messages) == 1  # and did not go again
    assert len(mail.outbox) == 1
    assert message.channels == "both"


def test_the_text_asks_the_provider_for_status_callbacks(fake_twilio, reminder_for, settings):
    reminder_for(texting())
    dispatch_and_send()
    (received,) = fake_twilio.messages
    assert received.status_callback == settings.SITE_URL + "/sms/status/"
    assert received.from_ == "+15875550100"


# --- The words -------------------------------------------------------------------------------


def test_a_reminder_text_holds_the_clinic_the_time_the_reply_words_and_a_short_link(
    sms_outbox, reminder_for, settings
):
    reminder_for(texting())
    dispatch_and_send()
    body = sms_outbox[0].body
    assert body.startswith(settings.CLINIC_SMS_NAME + ":")
    assert "tomorrow (Sat 21 Nov) at 9:30 AM" in body
    assert "Reply C to confirm, R to rebook." in body
    link = ShortLink.objects.get()
    assert f"{settings.SITE_URL}/s/{link.code}" in body
    assert "/v/" in link.target  # the visit's own page
    for word in ("ims", "needl", "sore", "pain", "treatment"):
        assert word not in body.lower().replace("& ims", "")


def test_the_short_link_leads_to_the_visit_page_until_it_expires(
    sms_outbox, reminder_for, client, frozen_now, settings
):
    reminder_for(texting())
    dispatch_and_send()
    link = ShortLink.objects.get()
    response = client.get(f"/s/{link.code}")
    assert response.status_code == 302
    assert response["Location"] == link.target
    assert client.get(response["Location"]).status_code == 200
    # The visit link works VISIT_LINK_DAYS after the visit; so does the short one.
    frozen_now.move_to(local(2026, 11, 21, 9, 30) + timedelta(days=settings.VISIT_LINK_DAYS))
    assert client.get(f"/s/{link.code}").status_code == 404
    assert client.get("/s/AAAAAAAAAAAA").status_code == 404


@pytest.mark.parametrize(
    "clinic_name",
    ["Bow River Physiotherapy & IMS", "Kensington Sports Medicine and IMS Centre Ltd"],
)
@pytest.mark.parametrize("site", ["http://127.0.0.1:8000", "https://bowriverphysio.ca"])
def test_reminder_and_check_in_texts_fit_one_gsm7_segment(
    sms_outbox, reminder_for, visit, settings, clinic_name, site
):
    settings.CLINIC_SMS_NAME = clinic_name
    settings.SITE_URL = site
    reminder_for(texting(legal_first_name="Bartholomew-Alexander"))
    Patient.objects.filter(pk=visit.appointment.patient_id).update(
        mobile="+14035550199", checkin_channel=SMS, sms_consent=SmsConsent.GIVEN
    )
    checkin(visit)
    dispatch_and_send()
    assert len(sms_outbox) == 2
    for text in sms_outbox:
        assert text.encoding == "GSM-7", text.body
        assert len(text.body) <= 160, (len(text.body), text.body)
        assert text.segments == 1


def test_a_name_outside_gsm7_is_left_out_rather_than_doubling_the_segments(
    sms_outbox, reminder_for
):
    reminder_for(texting(legal_first_name="Zoë"))
    dispatch_and_send()
    (text,) = sms_outbox
    assert "Zoë" not in text.body
    assert (text.encoding, text.segments) == ("GSM-7", 1)


def test_a_gsm7_name_is_greeted_when_it_fits(sms_outbox, reminder_for):
    reminder_for(texting(legal_first_name="Søren"))
    dispatch_and_send()
    (text,) = sms_outbox
    assert "Hi Søren," in text.body
    assert text.segments == 1


def test_a_clinic_name_that_needs_ucs2_still_sends_in_as_few_segments_as_it_can(
    sms_outbox, reminder_for, settings
):
    settings.CLINIC_SMS_NAME = "Physiothérapie Côte-des-Neiges – IMS"  # the en dash is not GSM-7
    reminder_for(texting())
    dispatch_and_send()
    (text,) = sms_outbox
    assert text.encoding == "UCS-2"
    required = text.body.replace("Hi Noor, ", "").replace(" Reply STOP to end texts.", "")
    assert text.segments == segments(required)  # the optional parts added no segment


# --- What front desk sees ---------------------------------------------------------------------


def test_the_appointment_page_shows_how_the_reminder_went(
    fake_twilio, reminder_for, client_for, front_desk
):
    message = reminder_for(texting(reminder_channel=BOTH))
    fake_twilio.fail(400, 21614, message="not a mobile number")
    dispatch_and_send()
    page = client_for(front_desk).get(f"/appointments/{message.appointment_id}/").content.decode()
    assert "Reminders" in page
    assert "Sent Fri 20 Nov, 10:00 by email" in page
    assert "text refused by the provider" in page
    assert "The SMS provider refused the text (code 21614)." in page
