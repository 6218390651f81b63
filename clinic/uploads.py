"""Uploaded files as they stream in: one larger than ``DOCUMENT_MAX_FILE_BYTES`` is
skipped part-way, instead of being written whole to a temporary file first.

``FileSizeGuard`` runs first in ``FILE_UPLOAD_HANDLERS``. It passes every chunk on to
Django's own handlers and counts; past the limit it raises ``SkipFile``, so Django
drops that file and carries on with the request's other fields and files. What it
skipped is on ``request.skipped_uploads``: a list of (the sender's file name, the
limit in bytes), so the page can name each file and say why it is missing.
"""

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, SkipFile


def skipped_uploads(request) -> list[tuple[str, int]]:
    """The files of ``request`` that were too large: [(file name as sent, limit in bytes)]."""
    return list(getattr(request, "skipped_uploads", []))


class FileSizeGuard(FileUploadHandler):
    """Skips a file once more than ``DOCUMENT_MAX_FILE_BYTES`` of it has arrived."""

    def new_file(
        self,
        field_name,
        file_name,
        content_type,
        content_length,
        charset=None,
        content_type_extra=None,
    ):  # noqa: E501  # Django's signature
        super().new_file(
            field_name, file_name, content_type, content_length, charset, content_type_extra
        )
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        limit = settings.DOCUMENT_MAX_FILE_BYTES
        if self.received > limit:
            if self.request is not None:
                skipped = getattr(self.request, "skipped_uploads", [])
                skipped.append((self.file_name or "", limit))
                self.request.skipped_uploads = skipped  # type: ignore[attr-defined]
            raise SkipFile()
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None  # the next handler builds the file
