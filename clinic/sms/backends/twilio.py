"""Twilio's Programmable Messaging through its official library (``twilio``).

Configured by ``TWILIO_ACCOUNT_SID``, ``TWILIO_AUTH_TOKEN`` and a sender:
``TWILIO_FROM_NUMBER`` or ``TWILIO_MESSAGING_SERVICE_SID``. ``TWILIO_API_BASE`` points the
library somewhere other than https://api.twilio.com (the tests' fake provider,
tests/fake_sms_provider.py). How failures read: Twilio answers 4xx with an error code
(21211 invalid number, 21610 opted out, 21614 not a mobile...) for a message it will
never take, and 429 or 5xx when it cannot take one now; a timeout or a refused
connection is temporary too.

``find_sent`` reads the account's messages to the number (the list Twilio gives newest
first: GET .../Messages.json?To=...&PageSize=...) for one with the same words, created
at or after ``since`` less ``CLOCK_SKEW`` (Twilio's clock is not ours, and it gives the
time to the second). A list that cannot be read is a temporary error: not knowing
whether Twilio has the text, we must not send it again. So is a question asked too
soon: Twilio lists a text once it has taken it, and a request whose sender died (or
gave up) may still be in its hands; until ``answer_window`` has passed since the first
attempt began, its absence from the list proves nothing.
"""

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests  # the HTTP library twilio is built on (installed with it)
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from twilio.base.exceptions import TwilioException, TwilioRestException, TwilioServiceException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from clinic.sms.backends.base import BaseSmsBackend
from clinic.sms.message import SentSms, SmsMessage, SmsPermanentError, SmsTemporaryError

TWILIO_API = "https://api.twilio.com"
# Codes Twilio gives to "try again later" with a 4xx status (20429 Too Many Requests).
TEMPORARY_CODES = frozenset({"20429", "20500", "20503"})
# How far Twilio's clock may be behind ours, plus its whole seconds (see find_sent).
CLOCK_SKEW = timedelta(seconds=60)
# Messages read per request when looking for one already sent: a patient gets a few a day.
FIND_PAGE_SIZE = 20

# The library logs every request's URL and headers at INFO; settings.LOGGING keeps it
# at WARNING (no message content is in them, but they are noise).
logger = logging.getLogger("twilio.http_client")


class ApiBaseHttpClient(TwilioHttpClient):
    """The library's HTTP client, sending to ``api_base`` instead of Twilio's host when
    it is not Twilio's (the library builds absolute https://api.twilio.com/... URLs, or a
    regional host with TWILIO_REGION / TWILIO_EDGE; every request passes through here)."""

    def __init__(self, *, api_base: str, timeout: float) -> None:
        super().__init__(timeout=timeout, logger=logger)
        self.api_base = urlsplit(api_base.rstrip("/"))

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Response:
        if self.api_base.geturl() != TWILIO_API:
            parts = urlsplit(url)
            url = urlunsplit(
                (
                    self.api_base.scheme,
                    self.api_base.netloc,
                    self.api_base.path + parts.path,
                    parts.query,
                    parts.fragment,
                )
            )
        return super().request(method, url, *args, **kwargs)


class SmsBackend(BaseSmsBackend):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.account_sid = settings.TWILIO_ACCOUNT_SID
        self.auth_token = settings.TWILIO_AUTH_TOKEN
        self.from_number = settings.TWILIO_FROM_NUMBER
        self.messaging_service_sid = settings.TWILIO_MESSAGING_SERVICE_SID
        if not (self.account_sid and self.auth_token):
            raise ImproperlyConfigured(
                "The Twilio SMS backend needs TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN"
            )
        if not (self.from_number or self.messaging_service_sid):
            raise ImproperlyConfigured(
                "The Twilio SMS backend needs TWILIO_FROM_NUMBER or TWILIO_MESSAGING_SERVICE_SID"
            )
        self.client: Client | None = None

    def open(self) -> None:
        if self.client is None:
            http_client = ApiBaseHttpClient(
                api_base=settings.TWILIO_API_BASE, timeout=settings.TWILIO_TIMEOUT_SECONDS
            )
            self.client = Client(self.account_sid, self.auth_token, http_client=http_client)

    def close(self) -> None:
        if self.client is not None:
            session = getattr(self.client.http_client, "session", None)
            if session is not None:
                session.close()
            self.client = None

    def send(self, message: SmsMessage) -> SentSms:
        opened_here = self.client is None
        self.open()
        assert self.client is not None
        options: dict[str, str] = (
            {"messaging_service_sid": self.messaging_service_sid}
            if self.messaging_service_sid
            else {"from_": self.from_number}
        )
        if message.status_callback:
            options["status_callback"] = message.status_callback
        try:
            with _network_errors():
                created = self.client.messages.create(to=message.to, body=message.body, **options)
        except (TwilioRestException, TwilioServiceException) as exc:
            raise _error(exc.status, exc.code) from None  # its text quotes the number
        finally:
            if opened_here:
                self.close()
        return _sent(created, message)

    def find_sent(self, message: SmsMessage, *, since: datetime) -> SentSms | None:
        """Twilio's message to ``message.to`` with exactly ``message.body``, created at or
        after ``since`` (aware) less CLOCK_SKEW, whatever its status (queued, delivered,
        failed...), or None. Raises SmsTemporaryError when the list cannot be read
        (network, timeout, an error status), or with code "too-soon" before
        ``answer_window`` has passed since ``since`` (the first attempt may still be in
        Twilio's hands): Twilio may have the text, so it must not be sent again blindly."""
        window = answer_window(timeout_seconds=settings.TWILIO_TIMEOUT_SECONDS)
        if timezone.now() < since + window:
            raise SmsTemporaryError(
                "Too soon to tell whether Twilio took the text", code="too-soon"
            )
        opened_here = self.client is None
        self.open()
        assert self.client is not None
        oldest = since - CLOCK_SKEW
        try:
            with _network_errors():
                # Newest first, a page at a time: stop at the first one older than ``oldest``.
                for found in self.client.messages.stream(to=message.to, page_size=FIND_PAGE_SIZE):
                    created = found.date_created
                    if isinstance(created, datetime) and created < oldest:
                        return None
                    if found.body == message.body and str(found.direction).startswith("outbound"):
                        return _sent(found, message)
        except TwilioException as exc:
            raise SmsTemporaryError(
                "Twilio's list of sent messages could not be read", code=_list_error_code(exc)
            ) from None  # its text may quote the number
        finally:
            if opened_here:
                self.close()
        return None


@contextmanager
def _network_errors() -> Iterator[None]:
    """Turn the HTTP library's failures into SmsTemporaryError: Twilio could not be
    reached, or did not answer in time (then it may have taken the message: see
    SmsTemporaryError)."""
    try:
        yield
    except requests.ConnectTimeout as exc:
        raise SmsTemporaryError("Twilio could not be reached", code="connection") from exc
    except requests.Timeout as exc:
        raise SmsTemporaryError("Twilio did not answer in time", code="timeout") from exc
    except requests.ConnectionError as exc:
        raise SmsTemporaryError("Twilio could not be reached", code="connection") from exc


def _sent(record: Any, message: SmsMessage) -> SentSms:
    """What Twilio's message resource ``record`` says of the text ``message``."""
    return SentSms(
        provider_id=record.sid,
        segments=_int(record.num_segments) or message.segments,
        encoding=message.encoding,
    )


def _error(status: int, code: int | None) -> SmsPermanentError | SmsTemporaryError:
    """The error for Twilio's answer. Twilio's own message is left out: it quotes the
    phone number, and ours may be logged."""
    code_text = str(code if code is not None else status)
    if status == 429 or status >= 500 or code_text in TEMPORARY_CODES:
        return SmsTemporaryError(f"Twilio answered {status}", code=code_text)
    return SmsPermanentError(f"Twilio answered {status}", code=code_text)


def answer_window(*, timeout_seconds: int) -> timedelta:
    """How long after a send began Twilio may still be taking the text: the library
    waits ``timeout_seconds`` to connect and as long again for the answer, and a second
    more covers Twilio finishing a request whose sender gave up."""
    return timedelta(seconds=2 * timeout_seconds + 1)


def _list_error_code(exc: TwilioException) -> str:
    """Twilio's error code, else the HTTP status, of a list request that failed: the
    library raises TwilioRestException (status, code) for some answers and a bare
    TwilioException("Unable to fetch page", response) for a page that is not a 200."""
    code = getattr(exc, "code", None) or getattr(exc, "status", None)
    if code is None and len(exc.args) > 1:
        code = getattr(exc.args[1], "status_code", None)
    return str(code or "list")


def _int(value: object) -> int | None:
    try:
        return int(str(value))
    except ValueError:
        return None
