"""Keeps messages in ``outbox`` (as django.core.mail.outbox): the tests' backend
(tests/conftest.py selects it and empties the outbox for each test)."""

import itertools

from clinic.sms.backends.base import BaseSmsBackend
from clinic.sms.message import SentSms, SmsMessage

outbox: list[SmsMessage] = []
_ids = itertools.count(1)


class SmsBackend(BaseSmsBackend):
    def send(self, message: SmsMessage) -> SentSms:
        outbox.append(message)
        return SentSms(
            provider_id=f"locmem-{next(_ids)}",
            segments=message.segments,
            encoding=message.encoding,
        )
