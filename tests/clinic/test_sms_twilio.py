"""The Twilio backend, through the official library, against the local fake provider
(tests/fake_sms_provider.py): what reaches Twilio, and how its refusals read."""

import base64

import pytest
from django.core.exceptions import ImproperlyConfigured

from clinic.sms import SmsPermanentError, SmsTemporaryError, get_connection, send_sms
from clinic.sms.backends.twilio import SmsBackend

NUMBER = "+14035550123"
CALLBACK = "https://clinic.example.com/sms/status/"


def test_a_text_reaches_twilio_with_number_sender_body_and_callback(fake_twilio):
    sent = send_sms(NUMBER, "Bow River: see you Tue 10:00.", status_callback=CALLBACK)
    [message] = fake_twilio.messages
    assert sent.provider_id == message.sid
    assert sent.provider_id.startswith("SM")
    assert (message.to, message.from_, message.body) == (
        NUMBER,
        "+15875550100",
        "Bow River: see you Tue 10:00.",
    )
    assert message.status_callback == CALLBACK
    assert (sent.segments, sent.encoding) == (1, "GSM-7")


def test_the_request_uses_basic_auth_with_the_account_sid_and_token(fake_twilio):
    send_sms(NUMBER, "Hello")
    [request] = fake_twilio.requests
    assert request.authorized
    assert request.path == f"/2010-04-01/Accounts/{fake_twilio.account_sid}/Messages.json"
    assert request.answered == 201


def test_a_wrong_auth_token_is_refused_by_twilio_permanently(fake_twilio, settings):
    settings.TWILIO_AUTH_TOKEN = "not-the-token"
    with pytest.raises(SmsPermanentError) as refused:
        send_sms(NUMBER, "Hello")
    assert refused.value.code == "20003"
    assert [r.authorized for r in fake_twilio.requests] == [False]
    assert fake_twilio.messages == []


def test_the_fake_refuses_a_request_without_credentials(fake_twilio):
    # The backend always authenticates; this shows the fake really checks.
    credentials = base64.b64encode(f"{fake_twilio.account_sid}:wrong".encode()).decode()
    status, payload = fake_twilio.handle(
        "POST",
        f"/2010-04-01/Accounts/{fake_twilio.account_sid}/Messages.json",
        f"Basic {credentials}",
        {"To": NUMBER, "From": "+15875550100", "Body": "x"},
    )
    assert (status, payload["code"]) == (401, 20003)


def test_a_messaging_service_replaces_the_from_number(fake_twilio, settings):
    settings.TWILIO_MESSAGING_SERVICE_SID = "MG" + "1" * 32
    send_sms(NUMBER, "Hello")
    [request] = fake_twilio.requests
    assert request.form["MessagingServiceSid"] == "MG" + "1" * 32
    assert "From" not in request.form


def test_no_status_callback_is_sent_when_none_is_given(fake_twilio):
    send_sms(NUMBER, "Hello")
    assert "StatusCallback" not in fake_twilio.requests[0].form


def test_segments_come_from_twilio(fake_twilio):
    sent = send_sms(NUMBER, "Zoë " + "a" * 80)
    assert (sent.segments, sent.encoding) == (2, "UCS-2")


@pytest.mark.parametrize("code", [21211, 21610, 21614])
def test_an_invalid_or_opted_out_number_is_a_permanent_error_with_twilios_code(fake_twilio, code):
    fake_twilio.fail(400, code)
    with pytest.raises(SmsPermanentError) as refused:
        send_sms(NUMBER, "Hello")
    assert refused.value.code == str(code)
    assert refused.value.opted_out is (code == 21610)
    assert fake_twilio.messages == []


def test_a_permanent_error_does_not_quote_twilios_message_with_the_number(fake_twilio):
    fake_twilio.fail(400, 21211, message=f"The 'To' number {NUMBER} is not a valid phone number.")
    with pytest.raises(SmsPermanentError) as refused:
        send_sms(NUMBER, "Hello")
    assert NUMBER not in str(refused.value)
    assert refused.value.__cause__ is None
    assert refused.value.__suppress_context__


@pytest.mark.parametrize("status", [500, 502, 503])
def test_a_server_error_is_temporary(fake_twilio, status):
    fake_twilio.fail(status, 20500 if status == 500 else None)
    with pytest.raises(SmsTemporaryError) as refused:
        send_sms(NUMBER, "Hello")
    assert refused.value.code == ("20500" if status == 500 else str(status))


def test_too_many_requests_is_temporary(fake_twilio):
    fake_twilio.fail(429, 20429)
    with pytest.raises(SmsTemporaryError) as refused:
        send_sms(NUMBER, "Hello")
    assert refused.value.code == "20429"


def test_after_a_temporary_error_the_same_message_goes_through(fake_twilio):
    fake_twilio.fail(503, None)
    with get_connection() as connection:
        with pytest.raises(SmsTemporaryError):
            send_sms(NUMBER, "Hello", connection=connection)
        sent = send_sms(NUMBER, "Hello", connection=connection)
    assert [m.sid for m in fake_twilio.messages] == [sent.provider_id]


def test_a_provider_that_does_not_answer_in_time_is_temporary(fake_twilio, settings):
    settings.TWILIO_TIMEOUT_SECONDS = 0.3
    fake_twilio.delay(1.0)
    with pytest.raises(SmsTemporaryError) as refused:
        send_sms(NUMBER, "Hello")
    assert refused.value.code == "timeout"


def test_a_provider_that_cannot_be_reached_is_temporary(fake_twilio, settings):
    fake_twilio.stop()
    with pytest.raises(SmsTemporaryError) as refused:
        send_sms(NUMBER, "Hello")
    assert refused.value.code == "connection"


def test_an_invalid_number_never_reaches_twilio(fake_twilio):
    with pytest.raises(SmsPermanentError):
        send_sms("+1403555012", "Hello")
    assert fake_twilio.requests == []


def test_one_connection_sends_a_batch(fake_twilio):
    with get_connection() as connection:
        sids = [
            send_sms(NUMBER, f"Message {n}", connection=connection).provider_id for n in range(5)
        ]
    assert sids == [m.sid for m in fake_twilio.messages]
    assert len(set(sids)) == 5


def test_the_backend_refuses_to_start_without_credentials(settings):
    settings.TWILIO_ACCOUNT_SID = ""
    settings.TWILIO_AUTH_TOKEN = ""
    with pytest.raises(ImproperlyConfigured):
        SmsBackend()


def test_the_backend_refuses_to_start_without_a_sender(settings):
    settings.TWILIO_ACCOUNT_SID = "AC" + "0" * 32
    settings.TWILIO_AUTH_TOKEN = "token"
    settings.TWILIO_FROM_NUMBER = ""
    settings.TWILIO_MESSAGING_SERVICE_SID = ""
    with pytest.raises(ImproperlyConfigured):
        SmsBackend()


def test_a_twilio_region_and_edge_in_the_environment_still_reach_the_api_base(
    fake_twilio, monkeypatch
):
    # The library reads TWILIO_REGION / TWILIO_EDGE and builds another host name; the
    # requests still go where TWILIO_API_BASE says.
    monkeypatch.setenv("TWILIO_REGION", "ie1")
    monkeypatch.setenv("TWILIO_EDGE", "dublin")
    sent = send_sms(NUMBER, "Hello")
    assert [m.sid for m in fake_twilio.messages] == [sent.provider_id]
