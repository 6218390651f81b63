"""Keeps messages in ``outbox`` (as django.core.mail.outbox): the tests' backend
(tests/conftest.py selects it and empties the outbox for each test).

``find_sent`` looks in the outbox: what each message was answered with, and when, is
kept beside it (``outbox`` stays a plain list of SmsMessage, as the tests read it).
"""

import itertools
from datetime import datetime

from django.utils import timezone

from clinic.sms.backends.base import BaseSmsBackend
from clinic.sms.message import SentSms, SmsMessage

outbox: list[SmsMessage] = []
_ids = itertools.count(1)
# id(message) -> (the message, its answer, when it was taken), for messages in the outbox.
_taken: dict[int, tuple[SmsMessage, SentSms, datetime]] = {}


class SmsBackend(BaseSmsBackend):
    def send(self, message: SmsMessage) -> SentSms:
        if not outbox:
            _taken.clear()  # the outbox was emptied: forget what was in it
        sent = SentSms(
            provider_id=f"locmem-{next(_ids)}",
            segments=message.segments,
            encoding=message.encoding,
        )
        outbox.append(message)
        _taken[id(message)] = (message, sent, timezone.now())
        return sent

    def find_sent(self, message: SmsMessage, *, since: datetime) -> SentSms | None:
        """The newest message in the outbox to the same number with the same words,
        taken at or after ``since``; None when there is none."""
        for kept in reversed(outbox):
            record = _taken.get(id(kept))
            if record is None or record[0] is not kept:
                continue  # put in the outbox by hand, not sent through this backend
            _, sent, taken_at = record
            if kept.to == message.to and kept.body == message.body and taken_at >= since:
                return sent
        return None
