"""``find_sent``: each backend finds a text it already took (same number, same words,
taken since the first attempt began), so a sender that never heard the answer does not
send it twice; and says so when it cannot tell (Twilio's list unreadable)."""

import base64
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from clinic.sms import SmsMessage, SmsTemporaryError, get_connection, send_sms
from clinic.sms.backends import filebased, locmem, twilio

NUMBER = "+14035550123"
OTHER = "+14035550124"
BODY = "Bow River Physio: see you Tue 10:00. Manage: https://c.example/r/abc"


# --- Twilio, against the fake provider ------------------------------------------------------


def settled(settings):
    """A first attempt that began long enough ago for Twilio to have finished with it."""
    window = twilio.answer_window(timeout_seconds=settings.TWILIO_TIMEOUT_SECONDS)
    return timezone.now() - window - timedelta(seconds=1)


def test_twilio_finds_the_text_it_took_with_its_sid_and_segments(fake_twilio, settings):
    since = settled(settings)
    sent = send_sms(NUMBER, BODY)
    found = get_connection().find_sent(SmsMessage(NUMBER, BODY), since=since)
    assert found == sent
    assert found.provider_id == fake_twilio.messages[0].sid


def test_twilio_lists_the_number_newest_first_with_a_small_page(fake_twilio, settings):
    send_sms(NUMBER, BODY)
    get_connection().find_sent(SmsMessage(NUMBER, BODY), since=settled(settings))
    listed = fake_twilio.requests[-1]
    assert (listed.method, listed.answered) == ("GET", 200)
    assert listed.path == f"/2010-04-01/Accounts/{fake_twilio.account_sid}/Messages.json"
    assert listed.form == {"To": NUMBER, "PageSize": str(twilio.FIND_PAGE_SIZE)}


def test_twilio_finds_nothing_when_the_text_never_reached_it(fake_twilio, settings):
    since = settled(settings)
    assert get_connection().find_sent(SmsMessage(NUMBER, BODY), since=since) is None


def test_twilio_needs_the_same_words_to_the_same_number(fake_twilio, settings):
    since = settled(settings)
    send_sms(NUMBER, BODY)
    send_sms(OTHER, BODY + " ")
    connection = get_connection()
    assert connection.find_sent(SmsMessage(NUMBER, BODY + " "), since=since) is None
    assert connection.find_sent(SmsMessage(OTHER, BODY), since=since) is None


def test_twilio_does_not_count_a_text_taken_before_the_first_attempt(fake_twilio, settings):
    sent = send_sms(NUMBER, BODY)
    fake_twilio.message(sent.provider_id).created_at -= timedelta(minutes=10)
    since = timezone.now() - timedelta(minutes=5)
    assert get_connection().find_sent(SmsMessage(NUMBER, BODY), since=since) is None


def test_twilio_allows_for_its_clock_being_a_little_behind(fake_twilio, settings):
    since = settled(settings)
    sent = send_sms(NUMBER, BODY)
    fake_twilio.message(sent.provider_id).created_at = since - twilio.CLOCK_SKEW / 2
    found = get_connection().find_sent(SmsMessage(NUMBER, BODY), since=since)
    assert found is not None and found.provider_id == sent.provider_id


def test_twilio_finds_the_text_behind_newer_ones_to_the_same_number(fake_twilio, settings):
    since = settled(settings)
    sent = send_sms(NUMBER, BODY)
    for n in range(twilio.FIND_PAGE_SIZE - 1):
        send_sms(NUMBER, f"Another text {n}")
    found = get_connection().find_sent(SmsMessage(NUMBER, BODY), since=since)
    assert found is not None and found.provider_id == sent.provider_id


def test_twilio_counts_a_text_whatever_became_of_it(fake_twilio, settings):
    since = settled(settings)
    sent = send_sms(NUMBER, BODY)
    fake_twilio.message(sent.provider_id).status = "failed"
    found = get_connection().find_sent(SmsMessage(NUMBER, BODY), since=since)
    assert found is not None and found.provider_id == sent.provider_id


def test_twilio_will_not_tell_while_the_first_attempt_may_still_be_in_its_hands(
    fake_twilio, settings
):
    # Twilio lists a text once it has taken it; a request whose sender died may still
    # be on its way in. Its absence from the list then proves nothing.
    settings.TWILIO_TIMEOUT_SECONDS = 10
    since = timezone.now() - timedelta(seconds=20)  # the window is 21 s
    with pytest.raises(SmsTemporaryError) as too_soon:
        get_connection().find_sent(SmsMessage(NUMBER, BODY), since=since)
    assert too_soon.value.code == "too-soon"
    assert fake_twilio.requests == []
    since -= timedelta(seconds=2)
    assert get_connection().find_sent(SmsMessage(NUMBER, BODY), since=since) is None


@pytest.mark.parametrize("status", [500, 503, 429])
def test_a_list_twilio_cannot_give_is_a_temporary_error(fake_twilio, settings, status):
    since = settled(settings)
    send_sms(NUMBER, BODY)
    fake_twilio.fail(status, None)
    with pytest.raises(SmsTemporaryError) as unknown:
        get_connection().find_sent(SmsMessage(NUMBER, BODY), since=since)
    assert unknown.value.code == str(status)
    assert NUMBER not in str(unknown.value)


def test_a_list_refused_for_bad_credentials_is_still_not_a_none(fake_twilio, settings):
    # Not knowing whether Twilio has the text is never "it does not": nothing is resent.
    since = settled(settings)
    send_sms(NUMBER, BODY)
    settings.TWILIO_AUTH_TOKEN = "not-the-token"
    with pytest.raises(SmsTemporaryError):
        get_connection().find_sent(SmsMessage(NUMBER, BODY), since=since)


def test_a_twilio_that_cannot_be_reached_is_a_temporary_error(fake_twilio, settings):
    since = settled(settings)
    fake_twilio.stop()
    with pytest.raises(SmsTemporaryError) as unknown:
        get_connection().find_sent(SmsMessage(NUMBER, BODY), since=since)
    assert unknown.value.code == "connection"


def test_a_twilio_that_does_not_answer_the_list_in_time_is_a_temporary_error(fake_twilio, settings):
    settings.TWILIO_TIMEOUT_SECONDS = 1
    since = settled(settings)
    fake_twilio.delay(1.5)
    with pytest.raises(SmsTemporaryError) as unknown:
        get_connection().find_sent(SmsMessage(NUMBER, BODY), since=since)
    assert unknown.value.code == "timeout"


# --- The fake itself: the list as Twilio gives it -----------------------------------------


def test_the_fake_lists_a_number_newest_first_in_twilios_page_shape(fake_twilio):
    send_sms(NUMBER, "first")
    send_sms(OTHER, "other")
    send_sms(NUMBER, "second")
    path = f"/2010-04-01/Accounts/{fake_twilio.account_sid}/Messages.json"
    status, page = fake_twilio.handle(
        "GET", path, _auth(fake_twilio), {"To": NUMBER, "PageSize": "1"}
    )
    assert status == 200
    assert [m["body"] for m in page["messages"]] == ["second"]
    assert (page["page"], page["page_size"], page["next_page_uri"]) == (0, 1, None)
    assert page["uri"].startswith(path + "?")
    assert page["messages"][0]["date_created"].endswith(" GMT")  # RFC 2822, as Twilio


def _auth(provider) -> str:
    pair = f"{provider.account_sid}:{provider.auth_token}".encode()
    return "Basic " + base64.b64encode(pair).decode()


# --- The in-memory backend ----------------------------------------------------------------


def test_locmem_finds_the_text_in_its_outbox(sms_outbox):
    since = timezone.now()
    sent = send_sms(NUMBER, BODY)
    assert get_connection().find_sent(SmsMessage(NUMBER, BODY), since=since) == sent


def test_locmem_needs_the_same_number_and_words(sms_outbox):
    since = timezone.now()
    send_sms(NUMBER, BODY)
    connection = get_connection()
    assert connection.find_sent(SmsMessage(OTHER, BODY), since=since) is None
    assert connection.find_sent(SmsMessage(NUMBER, BODY + "!"), since=since) is None


def test_locmem_does_not_count_a_text_taken_before_since(sms_outbox):
    with time_machine.travel(timezone.now() - timedelta(minutes=10), tick=False):
        send_sms(NUMBER, BODY)
    assert get_connection().find_sent(SmsMessage(NUMBER, BODY), since=timezone.now()) is None


def test_locmem_finds_nothing_once_the_outbox_is_emptied(sms_outbox):
    since = timezone.now()
    send_sms(NUMBER, BODY)
    sms_outbox.clear()
    assert get_connection().find_sent(SmsMessage(NUMBER, BODY), since=since) is None
    assert locmem.outbox is sms_outbox


# --- The file backend ---------------------------------------------------------------------


@pytest.fixture
def files(tmp_path, settings):
    settings.SMS_BACKEND = "clinic.sms.backends.filebased.SmsBackend"
    settings.SMS_FILE_PATH = tmp_path
    return tmp_path


def test_filebased_finds_the_file_it_wrote_with_its_id(files):
    since = timezone.now()
    sent = send_sms(NUMBER, BODY + "\n\nSecond paragraph.")
    found = get_connection().find_sent(
        SmsMessage(NUMBER, BODY + "\n\nSecond paragraph."), since=since
    )
    assert found == sent
    assert (files / f"{sent.provider_id}.txt").exists()


def test_filebased_needs_the_same_number_and_words(files):
    since = timezone.now()
    send_sms(NUMBER, BODY)
    connection = get_connection()
    assert connection.find_sent(SmsMessage(OTHER, BODY), since=since) is None
    assert connection.find_sent(SmsMessage(NUMBER, BODY[:-1]), since=since) is None


def test_filebased_does_not_count_a_file_written_before_since(files):
    with time_machine.travel(timezone.now() - timedelta(minutes=10), tick=False):
        send_sms(NUMBER, BODY)
    assert get_connection().find_sent(SmsMessage(NUMBER, BODY), since=timezone.now()) is None


def test_filebased_passes_over_a_file_that_is_not_one_of_its_own(files):
    since = timezone.now()
    sent = send_sms(NUMBER, BODY)
    (files / "99991231-235959-stray.txt").write_bytes(b"\xff\xfe not a message")
    (files / "99991231-235958-noheader.txt").write_text("just words")
    found = get_connection().find_sent(SmsMessage(NUMBER, BODY), since=since)
    assert found is not None and found.provider_id == sent.provider_id


def test_filebased_and_locmem_find_nothing_for_a_text_never_sent(files, sms_outbox):
    since = timezone.now()
    assert filebased.SmsBackend().find_sent(SmsMessage(NUMBER, BODY), since=since) is None
    assert locmem.SmsBackend().find_sent(SmsMessage(NUMBER, BODY), since=since) is None
