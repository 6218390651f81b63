"""What an uploaded file may be, read from its bytes, and what is kept of it.

Plain functions over bytes; no database. ``accept`` is the one door:

- The type is read from the content (``filetype``'s signatures), never from the name or
  the browser's word: PDF, JPEG, PNG, or HEIC/HEIF from a phone's camera. Anything else
  is refused, and so is an empty file or one over ``DOCUMENT_MAX_FILE_BYTES``.
- Images are decoded and drawn again into a new file (Pillow; HEIC through
  pillow-heif): nothing of the sender's bytes survives but the pixels, so metadata such
  as the GPS position is gone and a file that is also HTML or a script (a polyglot)
  comes out a plain picture. The camera's orientation is applied first. JPEG and HEIC
  become JPEG, PNG stays PNG; the long side is at most ``MAX_IMAGE_SIDE`` pixels.
- PDFs are kept byte for byte (a referral's text must not change), once pdfium has
  opened them: a damaged or password-protected PDF is refused. They are only ever served
  as downloads (``views.file_response``).
- A thumbnail (JPEG, ``THUMBNAIL_SIDE`` px) of the image or of a PDF's first page.

Every refusal is a ``ValidationError`` keyed by ``"files"`` naming the file as the
sender called it.
"""

import hashlib
import io
import warnings
from dataclasses import dataclass

import filetype
import pypdfium2
from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from PIL import Image, ImageOps, UnidentifiedImageError
from pillow_heif import register_heif_opener

register_heif_opener()

PDF = "application/pdf"
JPEG = "image/jpeg"
PNG = "image/png"
# What the bytes may be (filetype's MIME names) and what each is kept as.
ALLOWED = {
    PDF: PDF,
    JPEG: JPEG,
    PNG: PNG,
    "image/heic": JPEG,
    "image/heif": JPEG,
    "image/avif": JPEG,  # newer phones save HEIF containers labelled AVIF
}
EXTENSIONS = {PDF: "pdf", JPEG: "jpg", PNG: "png"}
ALLOWED_WORDS = "PDF, JPEG, PNG or HEIC (a phone photo)"
MAX_IMAGE_SIDE = 4096  # px: an A4 page photographed at about 350 dpi; text stays sharp
THUMBNAIL_SIDE = 320  # px, long side
SNIFF_BYTES = 8192  # filetype reads signatures from the first few kilobytes


@dataclass(frozen=True)
class Accepted:
    """A file fit to keep: ``content`` (bytes) as stored, its ``content_type`` and
    ``extension``, its ``sha256`` (hex), and a JPEG ``thumbnail`` or None."""

    content: bytes
    content_type: str
    extension: str
    sha256: str
    thumbnail: bytes | None


def size_words(limit: int) -> str:
    """A byte limit as the clinic says it: "20 MB" (whole megabytes), else Django's
    ``filesizeformat``."""
    mb = 1024 * 1024
    return f"{limit // mb} MB" if limit % mb == 0 else filesizeformat(limit)


def too_large(name: str, limit: int) -> str:
    """The sentence for a file over ``limit`` bytes, named as its sender called it."""
    return f"{display_name(name)}: the file is larger than {size_words(limit)}."


def _refuse(name: str, reason: str) -> ValidationError:
    return ValidationError({"files": f"{display_name(name)}: {reason}"})


def display_name(name: str) -> str:
    """The sender's file name made safe to show and to store as text: no folders, no
    control characters, at most 120 characters. Never used as a path."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = "".join(ch for ch in base if ch.isprintable()).strip()
    return cleaned[:120] or "file"


def sniff(head: bytes) -> str | None:
    """The MIME type the first bytes of a file show (``filetype``), or None."""
    kind = filetype.guess(head[:SNIFF_BYTES])
    return kind.mime if kind is not None else None


def accept(name: str, data: bytes) -> Accepted:
    """What to keep of the file the sender called ``name`` with content ``data``.

    Raises ValidationError keyed by ``"files"``: empty, too large, a type not allowed,
    an image that cannot be decoded or is too large in pixels, a PDF that pdfium cannot
    open (damaged or with a password)."""
    limit = settings.DOCUMENT_MAX_FILE_BYTES
    if not data:
        raise _refuse(name, "the file is empty (0 bytes). Choose the file again.")
    if len(data) > limit:
        raise ValidationError({"files": too_large(name, limit)})
    found = sniff(data)
    if found not in ALLOWED:
        raise _refuse(
            name, f"this kind of file cannot be added. Send a {ALLOWED_WORDS}, whatever its name."
        )
    if found == PDF:
        thumbnail = _pdf_thumbnail(name, data)
        return Accepted(data, PDF, "pdf", hashlib.sha256(data).hexdigest(), thumbnail)
    content, content_type, thumbnail = _reencode(name, data, ALLOWED[found])
    return Accepted(
        content,
        content_type,
        EXTENSIONS[content_type],
        hashlib.sha256(content).hexdigest(),
        thumbnail,
    )


def _reencode(name: str, data: bytes, keep_as: str) -> tuple[bytes, str, bytes]:
    """(new image bytes, their type, thumbnail): the pixels only, drawn into a new file."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as opened:
                if opened.width * opened.height > settings.DOCUMENT_MAX_IMAGE_PIXELS:
                    raise _refuse(name, "the picture has too many pixels to open safely.")
                opened.load()
                picture = ImageOps.exif_transpose(opened) or opened
                picture.thumbnail((MAX_IMAGE_SIDE, MAX_IMAGE_SIDE))
                keeps_alpha = keep_as == PNG
                mode = "RGBA" if keeps_alpha and "A" in picture.getbands() else "RGB"
                clean = Image.new(mode, picture.size)
                clean.paste(picture.convert(mode))
    except ValidationError:
        raise
    except (
        UnidentifiedImageError,
        OSError,
        ValueError,
        SyntaxError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
    ) as exc:
        raise _refuse(name, "the picture could not be read. Take or save it again.") from exc
    out = io.BytesIO()
    if keep_as == PNG:
        clean.save(out, format="PNG", optimize=True)
    else:
        clean.save(out, format="JPEG", quality=88, optimize=True)
    return out.getvalue(), keep_as, _thumbnail(clean)


def _thumbnail(picture: Image.Image) -> bytes:
    small = picture.convert("RGB")
    small.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE))
    out = io.BytesIO()
    small.save(out, format="JPEG", quality=70)
    return out.getvalue()


def _pdf_thumbnail(name: str, data: bytes) -> bytes | None:
    """The first page drawn small; refuses a PDF pdfium cannot open. A PDF that opens
    but whose page cannot be drawn still goes in, with no thumbnail (an icon instead)."""
    try:
        pdf = pypdfium2.PdfDocument(data)
    except pypdfium2.PdfiumError as exc:
        if "password" in str(exc).lower():
            raise _refuse(name, "the PDF is protected by a password. Send it without one.") from exc
        raise _refuse(name, "the PDF is damaged and cannot be opened.") from exc
    try:
        if len(pdf) == 0:
            raise _refuse(name, "the PDF has no pages.")
        page = pdf[0]
        width, height = page.get_size()
        scale = THUMBNAIL_SIDE / max(width, height, 1)
        picture = page.render(scale=scale).to_pil()
        return _thumbnail(picture)
    except ValidationError:
        raise
    except (pypdfium2.PdfiumError, OSError, ValueError):
        return None
    finally:
        pdf.close()
