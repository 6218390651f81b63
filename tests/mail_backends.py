"""Email backends that misbehave on purpose, for the follow-up delivery tests."""

import os
from pathlib import Path

from django.core.mail.backends.filebased import EmailBackend as FileBackend
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend


class OutageBackend(LocmemBackend):
    """Refuses to connect while ``OutageBackend.down`` is true, like a mail server that is off."""

    down = False

    def send_messages(self, messages):
        if OutageBackend.down:
            raise ConnectionRefusedError("mail server unreachable")
        return super().send_messages(messages)


class DieOnceBackend(FileBackend):
    """The first send kills the whole worker process (as a crash or OOM kill would);
    later sends write files. The marker file remembers across processes."""

    def send_messages(self, messages):
        marker = Path(os.environ["DIE_ONCE_MARKER"])
        if not marker.exists():
            marker.write_text("died")
            os._exit(1)
        return super().send_messages(messages)
