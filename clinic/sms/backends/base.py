"""What every SMS backend does: send one message, or raise SmsPermanentError /
SmsTemporaryError. A backend may hold a connection between ``open()`` and ``close()``
(``with get_connection() as connection:`` around a batch)."""

from datetime import datetime
from types import TracebackType
from typing import Any, Self

from clinic.sms.message import SentSms, SmsMessage


class BaseSmsBackend:
    def __init__(self, **kwargs: Any) -> None:
        pass

    def open(self) -> None:
        """Open a connection for several messages; sending opens one anyway."""

    def close(self) -> None:
        """Close the connection ``open()`` made."""

    def __enter__(self) -> Self:
        self.open()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def send(self, message: SmsMessage) -> SentSms:
        raise NotImplementedError("an SMS backend must implement send()")

    def find_sent(self, message: SmsMessage, *, since: datetime) -> SentSms | None:
        """The provider's record of ``message`` (same number, same words) taken at or
        after ``since``, or None. Asked before sending again a text whose first attempt
        ended without an answer (a worker killed mid-send, a timeout), so it is not sent
        twice. None from a backend that cannot tell: the text is sent again."""
        return None
