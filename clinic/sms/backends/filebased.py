"""One file per message in ``settings.SMS_FILE_PATH`` (``var/sms/`` by default), for
development: ``make run`` writes there and a person reads what was sent.

A file is named for the time it was written (clinic time, ``20261130-141503-<hex>.txt``)
and holds a header (To, Date, Segments, Id) then a blank line and the body:
``find_sent`` reads the files named for ``since`` or later.
"""

import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from clinic.clock import clinic_localtime
from clinic.sms.backends.base import BaseSmsBackend
from clinic.sms.message import SentSms, SmsMessage
from clinic.sms.segments import GSM7, UCS2

NAME_TIME = "%Y%m%d-%H%M%S"


class SmsBackend(BaseSmsBackend):
    def __init__(self, *, file_path: str | Path | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.file_path = Path(file_path or settings.SMS_FILE_PATH)
        try:
            self.file_path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ImproperlyConfigured(
                f"SMS_FILE_PATH {str(self.file_path)!r} cannot be made: {exc}"
            ) from exc
        if not self.file_path.is_dir():
            raise ImproperlyConfigured(f"SMS_FILE_PATH {str(self.file_path)!r} is not a folder")

    def send(self, message: SmsMessage) -> SentSms:
        sent_at = clinic_localtime()
        provider_id = f"{sent_at.strftime(NAME_TIME)}-{uuid.uuid4().hex[:12]}"
        header = [
            f"To: {message.to}",
            f"Date: {sent_at.isoformat(timespec='seconds')}",
            f"Segments: {message.segments} ({message.encoding})",
        ]
        if message.status_callback:
            header.append(f"Status-Callback: {message.status_callback}")
        text = "\n".join([*header, f"Id: {provider_id}", "", message.body, ""])
        (self.file_path / f"{provider_id}.txt").write_text(text, encoding="utf-8")
        return SentSms(
            provider_id=provider_id, segments=message.segments, encoding=message.encoding
        )

    def find_sent(self, message: SmsMessage, *, since: datetime) -> SentSms | None:
        """The newest file written at or after ``since`` (to the second: the files are
        named and dated to the second) to the same number with the same words, as the
        answer ``send`` gave; None when there is none. A file that cannot be read as
        one of ours is passed over."""
        first_name = clinic_localtime(since).strftime(NAME_TIME)
        names = sorted(
            (path for path in self.file_path.glob("*.txt") if path.name >= first_name),
            reverse=True,
        )
        for path in names:
            found = _read(path)
            if found is None:
                continue
            header, body = found
            if header.get("To") == message.to and body == message.body:
                return SentSms(
                    provider_id=header.get("Id", path.stem),
                    segments=_segments(header.get("Segments", "")) or message.segments,
                    encoding=message.encoding,
                )
        return None


def _read(path: Path) -> tuple[dict[str, str], str] | None:
    """The header fields and body of a file ``send`` wrote, or None."""
    try:
        text = path.read_bytes().decode("utf-8")  # as written: a "\r" in a body stays
    except (OSError, UnicodeDecodeError):
        return None
    head, blank, rest = text.partition("\n\n")
    if not blank:
        return None
    header = {}
    for line in head.splitlines():
        name, colon, value = line.partition(": ")
        if colon:
            header[name] = value
    # send() ends the body with one newline of its own.
    return header, rest.removesuffix("\n")


def _segments(text: str) -> int | None:
    """The count in a Segments header, "2 (GSM-7)"."""
    count, _, encoding = text.partition(" ")
    if not count.isdigit() or encoding.strip("()") not in (GSM7, UCS2):
        return None
    return int(count)
