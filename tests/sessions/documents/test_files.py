"""What an uploaded file may be and what is kept of it (sessions.documents.files): no
database, real bytes."""

import hashlib
import io

import pytest
from django.core.exceptions import ValidationError
from PIL import Image
from pypdf import PdfReader, PdfWriter

from sessions.documents import files
from tests.sessions.documents.samples import (
    GPS_IFD,
    exif_of,
    make_heic_bytes,
    make_jpeg_bytes,
    make_pdf_bytes,
    make_png_bytes,
)


def refusal(name: str, data: bytes) -> str:
    with pytest.raises(ValidationError) as caught:
        files.accept(name, data)
    assert list(caught.value.message_dict) == ["files"]
    return " ".join(caught.value.messages)


def test_a_photo_loses_its_gps_position_and_every_other_exif_field():
    original = make_jpeg_bytes(gps=True)
    assert exif_of(original).get_ifd(GPS_IFD)  # the sample does carry a position

    kept = files.accept("IMG_2041.jpg", original)

    assert kept.content_type == "image/jpeg"
    assert not exif_of(kept.content).get_ifd(GPS_IFD)
    assert dict(exif_of(kept.content)) == {}
    assert b"PhoneMaker" not in kept.content


def test_a_pdf_renamed_jpg_is_taken_as_the_pdf_it_is_and_kept_byte_for_byte():
    pdf = make_pdf_bytes()

    kept = files.accept("referral.jpg", pdf)

    assert (kept.content_type, kept.extension) == ("application/pdf", "pdf")
    assert kept.content == pdf


def test_an_html_file_renamed_pdf_is_refused_whatever_its_name():
    html = b"<!doctype html><html><script>fetch('/audit/')</script></html>"

    message = refusal("referral.pdf", html)

    assert message.startswith("referral.pdf: this kind of file cannot be added.")
    assert "PDF, JPEG, PNG or HEIC" in message


def test_an_svg_is_refused_as_it_can_carry_script():
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'

    assert "cannot be added" in refusal("card.png", svg)


def test_an_empty_file_is_refused_with_a_reason():
    assert (
        refusal("scan.pdf", b"") == "scan.pdf: the file is empty (0 bytes). Choose the file again."
    )


def test_a_file_over_the_limit_is_refused_and_the_limit_said(settings):
    settings.DOCUMENT_MAX_FILE_BYTES = 2048
    big = make_pdf_bytes(pages=30)
    assert len(big) > 2048

    assert refusal("big.pdf", big) == "big.pdf: the file is larger than 2.0\xa0KB."


def test_a_file_exactly_at_the_limit_is_accepted(settings):
    pdf = make_pdf_bytes()
    settings.DOCUMENT_MAX_FILE_BYTES = len(pdf)

    assert files.accept("at-limit.pdf", pdf).content == pdf


def test_a_jpeg_with_html_appended_comes_out_a_plain_picture():
    polyglot = make_jpeg_bytes() + b"<html><script>alert(document.cookie)</script></html>"

    kept = files.accept("card.jpg", polyglot)

    assert b"<script" not in kept.content
    assert kept.content != polyglot
    with Image.open(io.BytesIO(kept.content)) as picture:
        assert picture.format == "JPEG"


def test_a_phone_heic_photo_is_kept_as_jpeg():
    kept = files.accept("IMG_0001.HEIC", make_heic_bytes((300, 200)))

    assert (kept.content_type, kept.extension) == ("image/jpeg", "jpg")
    with Image.open(io.BytesIO(kept.content)) as picture:
        assert picture.size == (300, 200)


def test_a_png_stays_png_with_its_transparency():
    kept = files.accept("screenshot.png", make_png_bytes())

    assert kept.content_type == "image/png"
    with Image.open(io.BytesIO(kept.content)) as picture:
        assert picture.mode == "RGBA"


def test_the_cameras_orientation_is_applied_before_the_exif_is_dropped():
    picture = Image.new("RGB", (640, 480), "white")
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to view
    out = io.BytesIO()
    picture.save(out, format="JPEG", exif=exif)

    kept = files.accept("portrait.jpg", out.getvalue())

    with Image.open(io.BytesIO(kept.content)) as upright:
        assert upright.size == (480, 640)


def test_a_very_large_photo_is_scaled_to_the_longest_side_kept():
    kept = files.accept("huge.jpg", make_jpeg_bytes((5000, 2500)))

    with Image.open(io.BytesIO(kept.content)) as picture:
        assert picture.size == (files.MAX_IMAGE_SIDE, files.MAX_IMAGE_SIDE // 2)


def test_a_picture_with_more_pixels_than_allowed_is_refused_before_decoding(settings):
    settings.DOCUMENT_MAX_IMAGE_PIXELS = 100 * 100 - 1

    message = refusal("bomb.png", make_png_bytes((100, 100)))

    assert message == "bomb.png: the picture has too many pixels to open safely."


def test_a_truncated_photo_is_refused_not_half_kept():
    broken = make_jpeg_bytes((800, 600), colour="red")[:400]

    assert "the picture could not be read" in refusal("cut.jpg", broken)


def test_a_pdf_with_a_password_is_refused_with_what_to_do():
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(make_pdf_bytes())))
    writer.encrypt(user_password="secret", owner_password="owner")
    out = io.BytesIO()
    writer.write(out)

    message = refusal("locked.pdf", out.getvalue())

    assert message == "locked.pdf: the PDF is protected by a password. Send it without one."


def test_a_damaged_pdf_is_refused():
    assert "the PDF is damaged" in refusal("torn.pdf", b"%PDF-1.7\n" + b"\x00" * 200)


def test_a_pdf_gets_a_thumbnail_of_its_first_page():
    kept = files.accept("referral.pdf", make_pdf_bytes())

    assert kept.thumbnail is not None
    with Image.open(io.BytesIO(kept.thumbnail)) as thumb:
        assert thumb.format == "JPEG"
        assert max(thumb.size) <= files.THUMBNAIL_SIDE


def test_an_image_gets_a_small_jpeg_thumbnail():
    kept = files.accept("card.png", make_png_bytes((1200, 800)))

    with Image.open(io.BytesIO(kept.thumbnail or b"")) as thumb:
        assert (thumb.format, thumb.size) == ("JPEG", (320, 213))


def test_the_digest_is_of_the_bytes_kept():
    kept = files.accept("card.jpg", make_jpeg_bytes(gps=True))

    assert kept.sha256 == hashlib.sha256(kept.content).hexdigest()


@pytest.mark.parametrize(
    ("sent", "shown"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\me\\scan.pdf", "scan.pdf"),
        ("line\nbreak\x00.pdf", "linebreak.pdf"),
        ("", "file"),
        ("a" * 300 + ".pdf", "a" * 120),
    ],
)
def test_the_senders_file_name_is_only_ever_text_without_folders(sent, shown):
    assert files.display_name(sent) == shown
