"""What goes to a backend and what comes back, and how sending fails."""

from dataclasses import dataclass

import phonenumbers

from clinic.sms.segments import Encoding, encoding, segments

# Twilio refuses a body longer than this; ours are a line or two.
MAX_BODY = 1600


class SmsError(Exception):
    """Sending failed. ``code`` is the provider's error code (Twilio's "21211") or, for
    a failure before the provider answered, a word of ours ("timeout", "invalid-number")."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(f"{message} (code {code})")
        self.code = code


class SmsPermanentError(SmsError):
    """The provider will never take this message: the number is invalid, not a mobile,
    or has opted out at the provider. Do not retry; use another channel."""

    # Twilio's "Attempt to send to unsubscribed recipient": the number replied STOP.
    OPTED_OUT_CODES = frozenset({"21610"})

    @property
    def opted_out(self) -> bool:
        return self.code in self.OPTED_OUT_CODES


class SmsTemporaryError(SmsError):
    """The provider could not take the message now (it is down, overloaded or slow, or
    the network is): the same message may succeed later. With code "timeout" the request
    reached the provider but no answer came back, so it may have taken the message: a
    retry can send it twice (Twilio's REST API has no idempotency key)."""


@dataclass(frozen=True)
class SmsMessage:
    to: str  # E.164, "+14035550123"
    body: str
    status_callback: str | None = None

    @property
    def encoding(self) -> Encoding:
        return encoding(self.body)

    @property
    def segments(self) -> int:
        return segments(self.body)


@dataclass(frozen=True)
class SentSms:
    """A message the backend accepted: the provider's id for it (status callbacks name
    it), and the segments it is billed as."""

    provider_id: str
    segments: int
    encoding: Encoding


def is_e164(number: str) -> bool:
    """Whether ``number`` is a valid phone number written in E.164 ("+" and digits)."""
    if not number.startswith("+") or not number[1:].isdigit() or len(number) > 16:
        return False
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.is_valid_number(parsed) and (
        phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164) == number
    )


def sms_message(to: str, body: str, *, status_callback: str | None = None) -> SmsMessage:
    """The message, checked: SmsPermanentError for a number that is not valid E.164 (no
    provider would take it); ValueError for an empty or overlong body (a bug of ours)."""
    if not is_e164(to):
        raise SmsPermanentError("not a valid E.164 phone number", code="invalid-number")
    if not body.strip():
        raise ValueError("an SMS needs a body")
    if len(body) > MAX_BODY:
        raise ValueError(f"an SMS body is at most {MAX_BODY} characters")
    return SmsMessage(to=to, body=body, status_callback=status_callback)
