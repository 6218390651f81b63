"""Demo documents: two sample files to try the upload with (a referral letter as a PDF,
a photo of an insurance card carrying a GPS position the upload strips), written under
var/demo-files/, and Ravi Patel's referral already on his record, as front desk would
have added it. The people, doctor and numbers are invented."""

import io
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from PIL import Image, ImageDraw
from reportlab.lib.pagesizes import LETTER
from reportlab.pdfgen import canvas

from clinic import clock
from intake.models import Patient
from sessions.documents.models import Document, Kind
from sessions.documents.services import documents_upload

REFERRAL_LINES = [
    "Bow River Family Medicine",
    "1200 Centre Street NW, Calgary AB",
    "",
    "Referral to physiotherapy",
    "",
    "Patient: {name}",
    "Reason: neck and right shoulder pain for 5 months, worse at the desk;",
    "tender bands in the upper trapezius and levator scapulae. No red flags on exam.",
    "Request: assessment and intramuscular stimulation (IMS) if appropriate.",
    "Relevant history: no anticoagulants, no pacemaker, not pregnant.",
    "",
    "Dr. Helen Moreau (demo), family physician",
]


def referral_pdf(name: str) -> bytes:
    """A one-page referral letter for ``name``, as a PDF."""
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=LETTER)
    y = 720
    for line in REFERRAL_LINES:
        pdf.drawString(72, y, line.format(name=name))
        y -= 20
    pdf.showPage()
    pdf.save()
    return out.getvalue()


def insurance_card_jpeg() -> bytes:
    """A photo-sized picture of an insurance card, with a GPS position in its EXIF."""
    card = Image.new("RGB", (1600, 1000), (236, 242, 250))
    draw = ImageDraw.Draw(card)
    draw.rectangle((0, 0, 1600, 180), fill=(20, 70, 140))
    for y, text in (
        (60, "PRAIRIE HEALTH BENEFITS (DEMO)"),
        (300, "Member: Ravi Patel"),
        (400, "Plan 44120  Member ID 0093 1123 07"),
        (500, "Paramedical: physiotherapy covered"),
    ):
        draw.text((80, y), text, fill=(0, 0, 0) if y > 100 else (255, 255, 255))
    exif = Image.Exif()
    exif[0x010F] = "DemoPhone"
    exif[0x8825] = {1: "N", 2: (51.0, 3.0, 1.0), 3: "W", 4: (114.0, 4.0, 2.0)}
    out = io.BytesIO()
    card.save(out, format="JPEG", quality=85, exif=exif)
    return out.getvalue()


def write_sample_files(folder: Path) -> list[Path]:
    """Write the two sample files into ``folder``; returns their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    samples = {
        "referral-letter.pdf": referral_pdf("Sam Demo"),
        "insurance-card.jpg": insurance_card_jpeg(),
    }
    paths = []
    for name, content in samples.items():
        path = folder / name
        path.write_bytes(content)
        paths.append(path)
    return paths


def sample_folder() -> Path:
    return Path(settings.VAR_DIR) / "demo-files"


def seed_documents(*, users: dict) -> int:
    """The sample files, and Ravi's referral on his record; returns the rows made (0 when
    he has documents already)."""
    write_sample_files(sample_folder())
    ravi = Patient.objects.filter(legal_first_name="Ravi", legal_last_name="Patel").first()
    if ravi is None or Document.objects.filter(patient=ravi).exists():
        return 0
    result = documents_upload(
        patient=ravi,
        uploads=[("referral-moreau.pdf", referral_pdf("Ravi Patel"))],
        kind=Kind.REFERRAL,
        title="Referral from Dr. Moreau",
        document_date=clock.clinic_today() - timedelta(weeks=7),
        uploaded_by=users["frontdesk"],
    )
    return len(result.added)
