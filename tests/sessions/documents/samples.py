"""Real files for the documents tests, made in memory: a PDF (reportlab), JPEG and PNG
(Pillow, the JPEG optionally with a GPS position in its EXIF), HEIC (pillow-heif)."""

import io

import pillow_heif
from PIL import Image
from reportlab.pdfgen import canvas

GPS_IFD = 0x8825


def make_pdf_bytes(text: str = "Referral letter", pages: int = 1) -> bytes:
    out = io.BytesIO()
    pdf = canvas.Canvas(out)
    for number in range(pages):
        pdf.drawString(72, 720, f"{text} (page {number + 1})")
        pdf.showPage()
    pdf.save()
    return out.getvalue()


def make_jpeg_bytes(size=(640, 480), *, gps: bool = False, colour="white") -> bytes:
    picture = Image.new("RGB", size, colour)
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    if gps:
        exif[GPS_IFD] = {1: "N", 2: (49.0, 16.0, 30.0), 3: "W", 4: (123.0, 7.0, 10.0)}
    out = io.BytesIO()
    picture.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def make_png_bytes(size=(200, 100)) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", size, (0, 128, 255, 200)).save(out, format="PNG")
    return out.getvalue()


def make_heic_bytes(size=(300, 200)) -> bytes:
    heif = pillow_heif.from_pillow(Image.new("RGB", size, "red"))
    out = io.BytesIO()
    heif.save(out, quality=60)
    return out.getvalue()


def exif_of(data: bytes) -> Image.Exif:
    with Image.open(io.BytesIO(data)) as picture:
        return picture.getexif()
