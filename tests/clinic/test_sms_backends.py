"""send_sms and the backends that need no provider: the file backend (development) and
the in-memory one the tests use."""

import pytest

from clinic.sms import SentSms, SmsPermanentError, get_connection, send_sms
from clinic.sms.backends import filebased, locmem

NUMBER = "+14035550123"


def test_tests_send_to_the_outbox_by_default(sms_outbox):
    sent = send_sms(NUMBER, "See you tomorrow at 10:00.")
    assert [(m.to, m.body) for m in sms_outbox] == [(NUMBER, "See you tomorrow at 10:00.")]
    assert sent.provider_id.startswith("locmem-")
    assert (sent.segments, sent.encoding) == (1, "GSM-7")


def test_the_outbox_is_empty_at_the_start_of_each_test(sms_outbox):
    assert sms_outbox == []


def test_the_connection_is_the_backend_the_setting_names(settings):
    assert isinstance(get_connection(), locmem.SmsBackend)
    settings.SMS_BACKEND = "clinic.sms.backends.filebased.SmsBackend"
    assert isinstance(get_connection(), filebased.SmsBackend)


def test_the_segments_and_encoding_come_back_with_the_sent_message(sms_outbox):
    sent = send_sms(NUMBER, "Zoë, " + "a" * 70)
    assert (sent.segments, sent.encoding) == (2, "UCS-2")


def test_the_status_callback_travels_with_the_message(sms_outbox):
    send_sms(NUMBER, "Hello", status_callback="https://clinic.example.com/sms/status/")
    assert sms_outbox[0].status_callback == "https://clinic.example.com/sms/status/"


@pytest.mark.parametrize(
    "number",
    [
        "4035550123",  # no country code: not E.164
        "+1 403 555 0123",  # spaces
        "+1403555012",  # a digit short
        "+14035550123x5",
        "+",
        "",
        "+99912345678",  # no such country
        "+1403555012345678",
    ],
)
def test_a_number_that_is_not_valid_e164_is_refused_permanently(number, sms_outbox):
    with pytest.raises(SmsPermanentError) as refused:
        send_sms(number, "Hello")
    assert refused.value.code == "invalid-number"
    assert sms_outbox == []


def test_a_refusal_does_not_quote_the_number():
    with pytest.raises(SmsPermanentError) as refused:
        send_sms("+1403555012", "Hello")
    assert "403555012" not in str(refused.value)


def test_an_empty_body_is_a_bug_not_a_send(sms_outbox):
    with pytest.raises(ValueError):
        send_sms(NUMBER, "  ")
    assert sms_outbox == []


def test_an_overlong_body_is_a_bug_not_a_send(sms_outbox):
    with pytest.raises(ValueError):
        send_sms(NUMBER, "a" * 1601)
    assert sms_outbox == []


def test_the_file_backend_writes_one_file_per_message(tmp_path, settings):
    settings.SMS_BACKEND = "clinic.sms.backends.filebased.SmsBackend"
    settings.SMS_FILE_PATH = tmp_path / "sms"
    first = send_sms(NUMBER, "First", status_callback="https://clinic.example.com/s/")
    second = send_sms("+15875550199", "Zoë, second")
    files = sorted((tmp_path / "sms").iterdir())
    assert [f.name for f in files] == sorted(
        [f"{first.provider_id}.txt", f"{second.provider_id}.txt"]
    )
    text = (tmp_path / "sms" / f"{first.provider_id}.txt").read_text()
    header, body = text.split("\n\n", 1)
    assert "To: +14035550123" in header.splitlines()
    assert "Segments: 1 (GSM-7)" in header.splitlines()
    assert "Status-Callback: https://clinic.example.com/s/" in header.splitlines()
    assert any(line.startswith("Date: ") for line in header.splitlines())
    assert body == "First\n"
    second_text = (tmp_path / "sms" / f"{second.provider_id}.txt").read_text(encoding="utf-8")
    assert "Segments: 1 (UCS-2)" in second_text
    assert second_text.endswith("\n\nZoë, second\n")
    assert second == SentSms(provider_id=second.provider_id, segments=1, encoding="UCS-2")


def test_the_file_backend_defaults_to_var_sms(settings):
    assert settings.SMS_FILE_PATH == settings.VAR_DIR / "sms"


def test_one_connection_sends_several_messages(sms_outbox):
    with get_connection() as connection:
        for n in range(3):
            send_sms(NUMBER, f"Message {n}", connection=connection)
    assert [m.body for m in sms_outbox] == ["Message 0", "Message 1", "Message 2"]
