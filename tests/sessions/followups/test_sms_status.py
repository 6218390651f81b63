"""The provider's status callbacks for texts we sent (POST /sms/status/): forward only,
email standing in for an undelivered text, refusals; and the whole loop through the
fake Twilio against a live server."""

from datetime import timedelta

import pytest

from clinic.models import AuditEvent
from intake.models import Channel
from sessions.followups.models import ScheduledMessage, SmsDelivery
from sessions.followups.services import reminder_key
from tests.sessions.conftest import NOW, local
from tests.sessions.followups.conftest import dispatch_and_send
from tests.sessions.followups.sms_webhooks import (
    MOBILE,
    TOKEN,
    reminder_texted,
    signed_post,
    texting_patient,
    visit_for,
)


@pytest.fixture(autouse=True)
def webhook_settings(settings):
    settings.TWILIO_AUTH_TOKEN = TOKEN


@pytest.fixture
def delivery(db):
    patient = texting_patient()
    return reminder_texted(visit_for(patient, local(2026, 11, 24, 9, 30)), sid="SMabc")


def callback(client, status: str, *, sid: str = "SMabc", signature=None, **extra):
    params = {"MessageSid": sid, "MessageStatus": status, "To": MOBILE, **extra}
    return signed_post(client, "sessions:sms-status", params, signature=signature)


def test_delivered_is_recorded(client, delivery):
    response = callback(client, "delivered")

    assert response.status_code == 204
    delivery.refresh_from_db()
    assert delivery.status == SmsDelivery.Status.DELIVERED and delivery.status_at == NOW


def test_a_late_sent_does_not_undo_delivered(client, delivery, frozen_now):
    callback(client, "delivered")
    frozen_now.shift(timedelta(minutes=1))

    response = callback(client, "sent")

    assert response.status_code == 204
    delivery.refresh_from_db()
    assert delivery.status == SmsDelivery.Status.DELIVERED and delivery.status_at == NOW


def test_statuses_move_forward_in_order(client, delivery):
    seen = []
    for status in ["queued", "sending", "sent", "delivered", "undelivered"]:
        callback(client, status)
        delivery.refresh_from_db()
        seen.append(delivery.status)

    assert seen == ["queued", "queued", "sent", "delivered", "delivered"]


def test_read_counts_as_delivered_and_other_words_are_ignored(client, delivery):
    callback(client, "accepted")
    delivery.refresh_from_db()
    assert delivery.status == SmsDelivery.Status.QUEUED

    callback(client, "read")
    delivery.refresh_from_db()
    assert delivery.status == SmsDelivery.Status.DELIVERED


@pytest.mark.parametrize("status", ["undelivered", "failed"])
def test_an_undelivered_text_queues_its_message_again_for_email(client, delivery, status):
    response = callback(client, status, ErrorCode="30003")

    assert response.status_code == 204
    delivery.refresh_from_db()
    assert delivery.status == status and delivery.error_code == "30003"
    message = delivery.message
    message.refresh_from_db()
    assert message.status == ScheduledMessage.Status.PENDING and message.due_at == NOW
    assert message.fallback_reason == "The text was not delivered (code 30003)."


def test_undelivered_when_email_went_already_queues_nothing(client, delivery):
    ScheduledMessage.objects.filter(pk=delivery.message_id).update(email_sent_at=NOW)

    callback(client, "undelivered", ErrorCode="30005")

    delivery.message.refresh_from_db()
    assert delivery.message.status == ScheduledMessage.Status.SENT


def test_the_same_callback_twice_changes_nothing_more(client, delivery, frozen_now):
    callback(client, "undelivered", ErrorCode="30003")
    ScheduledMessage.objects.filter(pk=delivery.message_id).update(
        status=ScheduledMessage.Status.SENT, email_sent_at=NOW
    )
    frozen_now.shift(timedelta(minutes=5))

    response = callback(client, "undelivered", ErrorCode="30003")

    assert response.status_code == 204
    delivery.refresh_from_db()
    assert delivery.status_at == NOW
    delivery.message.refresh_from_db()
    assert delivery.message.status == ScheduledMessage.Status.SENT


def test_an_unknown_message_is_answered_quietly(client, delivery):
    response = callback(client, "delivered", sid="SMnobody")

    assert response.status_code == 204
    delivery.refresh_from_db()
    assert delivery.status == SmsDelivery.Status.QUEUED


@pytest.mark.parametrize("signature", ["", "Zm9yZ2Vk"])
def test_a_bad_or_missing_signature_is_refused_and_audited(client, delivery, signature):
    response = callback(client, "undelivered", signature=signature)

    assert response.status_code == 403
    delivery.refresh_from_db()
    assert delivery.status == SmsDelivery.Status.QUEUED
    denied = AuditEvent.objects.get(action=AuditEvent.Action.DENIED)
    assert "SMS status webhook" in denied.detail and denied.user is None


@pytest.mark.django_db(transaction=True)
def test_the_fake_provider_reports_through_the_live_server(
    live_server, fake_twilio, settings, treatment
):
    """A reminder sent through the Twilio backend to the fake provider carries our
    status callback address; the provider's signed callback reaches it."""
    settings.SITE_URL = live_server.url
    patient = texting_patient(reminder_channel=Channel.SMS)
    visit = visit_for(patient, local(2026, 11, 21, 9, 30), type=treatment)
    ScheduledMessage.objects.create(
        key=reminder_key(visit),
        kind=ScheduledMessage.Kind.REMINDER,
        patient=patient,
        appointment=visit,
        due_at=NOW,
        nonce="live-server-test",
    )
    assert dispatch_and_send() == ["sent"]
    sent = fake_twilio.messages[0]

    assert fake_twilio.send_status(sent.sid, "undelivered", error_code=30003) == 204

    delivery = SmsDelivery.objects.get(provider_id=sent.sid)
    assert delivery.status == SmsDelivery.Status.UNDELIVERED
    assert delivery.message.status == ScheduledMessage.Status.PENDING
    assert fake_twilio.send_status(sent.sid, "sent", signature="forged") == 403
