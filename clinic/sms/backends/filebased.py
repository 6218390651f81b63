"""One file per message in ``settings.SMS_FILE_PATH`` (``var/sms/`` by default), for
development: ``make run`` writes there and a person reads what was sent."""

import uuid
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from clinic.clock import clinic_localtime
from clinic.sms.backends.base import BaseSmsBackend
from clinic.sms.message import SentSms, SmsMessage


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
        provider_id = f"{sent_at:%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:12]}"
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
