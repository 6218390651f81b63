"""How a document's bytes leave the server: the one response every document view sends.

A PDF is always a download (``Content-Disposition: attachment``), never shown inside
our pages, whatever it holds. An image was re-encoded on the way in, so it may be shown
inline (the document page's ``<img>``). Either way the browser is told not to guess the
type (``nosniff``), to run nothing and load nothing with it (a sandboxing CSP), not to
keep it in a shared cache, and not to send our address on. The file name is ours,
made from the title: never the sender's.
"""

from django.http import FileResponse, HttpResponse
from django.utils.text import slugify

from sessions.documents.models import Document
from sessions.documents.services import document_open

SANDBOX_CSP = "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'"


def download_name(document: Document) -> str:
    """``<title as a slug>-<id>.<ext>``: ASCII, no path, nothing of the sender's name."""
    stem = slugify(document.title)[:60].strip("-") or "document"
    return f"{stem}-{document.pk}.{document.extension}"


def _harden(response: HttpResponse | FileResponse) -> None:
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = SANDBOX_CSP
    response["Cache-Control"] = "private, no-store"
    response["Referrer-Policy"] = "no-referrer"
    response["Cross-Origin-Resource-Policy"] = "same-origin"


def file_response(document: Document, *, inline: bool = False) -> FileResponse:
    """The document's file. ``inline`` is honoured for images only; a PDF is always an
    attachment. Raises FileNotFoundError when the file is gone (purged)."""
    as_attachment = not (inline and document.is_image)
    response = FileResponse(
        document_open(document),
        as_attachment=as_attachment,
        filename=download_name(document),
        content_type=document.content_type,
    )
    _harden(response)
    return response


def thumbnail_response(document: Document) -> HttpResponse:
    """The stored thumbnail (JPEG); raises FileNotFoundError when there is none."""
    if not document.thumbnail:
        raise FileNotFoundError("no thumbnail")
    response = HttpResponse(bytes(document.thumbnail), content_type="image/jpeg")
    _harden(response)
    return response
