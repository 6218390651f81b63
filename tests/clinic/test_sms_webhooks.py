"""verify_webhook (clinic/sms/webhooks.py): a request signed with the auth token over
the URL Twilio called passes; anything else does not. Signatures are made by the fake
provider the way Twilio makes them (the library's RequestValidator)."""

import hashlib
import json

import pytest
from django.test import RequestFactory

from clinic.sms import send_sms
from clinic.sms.webhooks import verify_webhook
from tests.clinic import sms_webhook_urls
from tests.fake_sms_provider import FakeTwilio

PATH = "/sms/status/"
PARAMS = {
    "MessageSid": "SM" + "a" * 32,
    "MessageStatus": "delivered",
    "To": "+14035550123",
    "From": "+15875550100",
}


@pytest.fixture
def twilio(settings):
    """The fake provider's credentials in the settings (no server needed to sign)."""
    provider = FakeTwilio()
    settings.TWILIO_ACCOUNT_SID = provider.account_sid
    settings.TWILIO_AUTH_TOKEN = provider.auth_token
    settings.SITE_URL = "https://clinic.example.com"
    return provider


def signed_post(provider, url, params, *, signature=None, **extra):
    signature = provider.sign(url, params) if signature is None else signature
    return RequestFactory().post(PATH, params, headers={"X-Twilio-Signature": signature}, **extra)


def test_a_request_signed_over_the_public_address_passes(twilio):
    request = signed_post(twilio, "https://clinic.example.com/sms/status/", PARAMS)
    assert verify_webhook(request)


def test_a_changed_field_fails(twilio):
    request = RequestFactory().post(
        PATH,
        {**PARAMS, "MessageStatus": "failed"},
        headers={
            "X-Twilio-Signature": twilio.sign("https://clinic.example.com/sms/status/", PARAMS)
        },
    )
    assert not verify_webhook(request)


def test_an_added_field_fails(twilio):
    signature = twilio.sign("https://clinic.example.com/sms/status/", PARAMS)
    request = signed_post(twilio, "", {**PARAMS, "ErrorCode": "30003"}, signature=signature)
    assert not verify_webhook(request)


def test_a_signature_over_another_address_fails(twilio):
    request = signed_post(twilio, "https://clinic.example.com/sms/other/", PARAMS)
    assert not verify_webhook(request)


def test_a_signature_made_with_another_token_fails(twilio):
    other = FakeTwilio(account_sid=twilio.account_sid)
    request = signed_post(other, "https://clinic.example.com/sms/status/", PARAMS)
    assert not verify_webhook(request)


def test_a_request_without_a_signature_fails(twilio):
    assert not verify_webhook(RequestFactory().post(PATH, PARAMS))


def test_an_empty_signature_fails(twilio):
    assert not verify_webhook(signed_post(twilio, "", PARAMS, signature=""))


def test_nothing_passes_while_no_auth_token_is_configured(twilio, settings):
    request = signed_post(twilio, "https://clinic.example.com/sms/status/", PARAMS)
    settings.TWILIO_AUTH_TOKEN = ""
    assert not verify_webhook(request)


def test_a_get_fails_even_when_signed(twilio):
    url = "https://clinic.example.com/sms/status/?MessageSid=SM1"
    request = RequestFactory().get(
        "/sms/status/?MessageSid=SM1", headers={"X-Twilio-Signature": twilio.sign(url, {})}
    )
    assert not verify_webhook(request)


def test_the_query_string_is_part_of_the_signed_address(twilio):
    url = "https://clinic.example.com/sms/status/?message=42"
    signature = twilio.sign(url, PARAMS)
    good = RequestFactory().post(
        "/sms/status/?message=42", PARAMS, headers={"X-Twilio-Signature": signature}
    )
    moved = RequestFactory().post(
        "/sms/status/?message=43", PARAMS, headers={"X-Twilio-Signature": signature}
    )
    assert verify_webhook(good)
    assert not verify_webhook(moved)


def test_a_signature_over_the_address_with_the_default_port_passes(twilio):
    # Twilio sometimes signs https://host:443/...; the library tries both forms.
    request = signed_post(twilio, "https://clinic.example.com:443/sms/status/", PARAMS)
    assert verify_webhook(request)


def test_behind_a_tls_proxy_the_forwarded_scheme_counts(twilio, settings):
    # SITE_URL names another host; the request reached us as http through the proxy,
    # which says the caller used https.
    settings.SITE_URL = "https://www.example.org"
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.ALLOWED_HOSTS = ["clinic.example.com"]
    request = signed_post(
        twilio,
        "https://clinic.example.com/sms/status/",
        PARAMS,
        HTTP_HOST="clinic.example.com",
        HTTP_X_FORWARDED_PROTO="https",
    )
    assert verify_webhook(request)


def test_without_the_proxy_setting_a_forwarded_scheme_is_not_believed(twilio, settings):
    settings.SITE_URL = "https://www.example.org"
    settings.SECURE_PROXY_SSL_HEADER = None
    settings.ALLOWED_HOSTS = ["clinic.example.com"]
    request = signed_post(
        twilio,
        "https://clinic.example.com/sms/status/",
        PARAMS,
        HTTP_HOST="clinic.example.com",
        HTTP_X_FORWARDED_PROTO="https",
    )
    assert not verify_webhook(request)


def test_a_host_django_refuses_still_gets_an_answer_from_the_public_address(twilio, settings):
    settings.ALLOWED_HOSTS = ["clinic.example.com"]
    request = signed_post(
        twilio, "https://clinic.example.com/sms/status/", PARAMS, HTTP_HOST="evil.example"
    )
    assert verify_webhook(request)  # signed over SITE_URL, so no build_absolute_uri needed
    bad = signed_post(twilio, "https://evil.example/sms/status/", PARAMS, HTTP_HOST="evil.example")
    assert not verify_webhook(bad)


def test_a_json_body_is_checked_through_its_hash_in_the_address(twilio):
    body = json.dumps({"MessageSid": "SM1", "MessageStatus": "delivered"})
    digest = hashlib.sha256(body.encode()).hexdigest()
    url = f"https://clinic.example.com/sms/status/?bodySHA256={digest}"
    signature = twilio.sign(url, {})
    good = RequestFactory().post(
        f"/sms/status/?bodySHA256={digest}",
        body,
        content_type="application/json",
        headers={"X-Twilio-Signature": signature},
    )
    changed = RequestFactory().post(
        f"/sms/status/?bodySHA256={digest}",
        body.replace("delivered", "failed"),
        content_type="application/json",
        headers={"X-Twilio-Signature": signature},
    )
    assert verify_webhook(good)
    assert not verify_webhook(changed)


@pytest.mark.urls("tests.clinic.sms_webhook_urls")
@pytest.mark.django_db(transaction=True)
def test_the_fake_provider_posts_a_signed_status_callback_over_http(
    fake_twilio, live_server, settings
):
    settings.SITE_URL = live_server.url
    sms_webhook_urls.received.clear()
    sent = send_sms("+14035550123", "Hello", status_callback=f"{live_server.url}/sms/status/")
    assert fake_twilio.send_status(sent.provider_id, "delivered") == 204
    assert fake_twilio.send_status(sent.provider_id, "failed", error_code=30003) == 204
    assert [(r["MessageSid"], r["MessageStatus"]) for r in sms_webhook_urls.received] == [
        (sent.provider_id, "delivered"),
        (sent.provider_id, "failed"),
    ]
    assert sms_webhook_urls.received[1]["ErrorCode"] == "30003"


@pytest.mark.urls("tests.clinic.sms_webhook_urls")
@pytest.mark.django_db(transaction=True)
def test_a_callback_with_a_bad_signature_is_refused_over_http(fake_twilio, live_server, settings):
    settings.SITE_URL = live_server.url
    sms_webhook_urls.received.clear()
    sent = send_sms("+14035550123", "Hello", status_callback=f"{live_server.url}/sms/status/")
    assert fake_twilio.send_status(sent.provider_id, "delivered", signature="bm90IGl0") == 403
    assert sms_webhook_urls.received == []


@pytest.mark.urls("tests.clinic.sms_webhook_urls")
@pytest.mark.django_db(transaction=True)
def test_the_fake_provider_posts_a_signed_reply_over_http(fake_twilio, live_server, settings):
    settings.SITE_URL = live_server.url
    sms_webhook_urls.received.clear()
    url = f"{live_server.url}/sms/status/"
    answered = fake_twilio.send_reply(url, from_="+14035550123", to="+15875550100", body="C")
    assert answered == 204
    [reply] = sms_webhook_urls.received
    assert (reply["From"], reply["Body"], reply["SmsStatus"]) == ("+14035550123", "C", "received")
    forged = fake_twilio.send_reply(
        url, from_="+14035550123", to="+15875550100", body="STOP", signature="Zm9yZ2Vk"
    )
    assert forged == 403
