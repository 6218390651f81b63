"""Text messages: the sending channel beside clinic/emails.py.

``send_sms(to, body)`` hands one message to the backend ``settings.SMS_BACKEND`` names,
as Django's ``send_mail`` does with ``EMAIL_BACKEND``: files under ``var/sms/`` in
development (``backends.filebased``), an outbox list in tests (``backends.locmem``),
Twilio in production (``backends.twilio``). It returns the provider's id for the message
and the segments it takes, or raises ``SmsPermanentError`` (this message will never go:
use another channel) or ``SmsTemporaryError`` (try again later). Which messages go when,
and to whom, is the follow-ups' business (sessions); bodies never carry health
information.

``segments``: the encoding and segment count of a text. ``webhooks``: checking that a
request really comes from the provider.
"""

from typing import Any

from django.conf import settings
from django.utils.module_loading import import_string

from clinic.sms.backends.base import BaseSmsBackend
from clinic.sms.message import (
    SentSms,
    SmsError,
    SmsMessage,
    SmsPermanentError,
    SmsTemporaryError,
    sms_message,
)
from clinic.sms.segments import encoding, segments

__all__ = [
    "BaseSmsBackend",
    "SentSms",
    "SmsError",
    "SmsMessage",
    "SmsPermanentError",
    "SmsTemporaryError",
    "encoding",
    "get_connection",
    "segments",
    "send_sms",
]


def get_connection(backend: str | None = None, **kwargs: Any) -> BaseSmsBackend:
    """An instance of the backend ``backend`` names (default ``settings.SMS_BACKEND``);
    use it as a context manager to send several messages over one connection."""
    backend_class = import_string(backend or settings.SMS_BACKEND)
    return backend_class(**kwargs)


def send_sms(
    to_e164: str,
    body: str,
    *,
    status_callback: str | None = None,
    connection: BaseSmsBackend | None = None,
) -> SentSms:
    """Send ``body`` to ``to_e164`` ("+14035550123"); the provider will report the
    message's fate to ``status_callback`` (an absolute URL) when given."""
    message = sms_message(to_e164, body, status_callback=status_callback)
    return (connection or get_connection()).send(message)
