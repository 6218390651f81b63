"""Receipts and statements as PDF: the text read back out of the file (pypdf) carries every
field an insurer asks for, names in any Latin script exactly, and totals that add up."""

import unicodedata
from dataclasses import fields, replace
from datetime import date
from decimal import Decimal
from io import BytesIO

import pytest
from django.conf import settings
from pypdf import PdfReader
from reportlab.pdfbase.ttfonts import TTFont

from sessions.billing.pdf import (
    ClinicHeader,
    ReceiptData,
    ReceiptLine,
    ReceiptPayment,
    StatementData,
    StatementRow,
    money,
    receipt_pdf,
    statement_pdf,
)

NAMES = ["Zoë Łukasiewicz-Nguyễn", "Ğülşen Öztürk", "François Dupré"]
CLINIC = ClinicHeader(
    name="Clinique Sainte-Thérèse Physio",
    address="123 Rue Saint-Denis\nMontréal QC H2X 3K8",
    phone="514-555-0100",
)


def receipt(**changes) -> ReceiptData:
    data = ReceiptData(
        clinic=CLINIC,
        invoice_number="INV-000123",
        issue_date=date(2026, 11, 30),
        service_date=date(2026, 11, 28),
        patient_name="Zoë Łukasiewicz-Nguyễn",
        patient_birth_date=date(1980, 2, 29),
        lines=(
            ReceiptLine(
                "IMS treatment, 45 minutes", Decimal(1), Decimal("85.00"), Decimal("85.00")
            ),
            ReceiptLine(
                "Knee brace", Decimal(1), Decimal("40.00"), Decimal("42.00"), "GST", Decimal("2.00")
            ),
        ),
        total=Decimal("127.00"),
        amount_paid=Decimal("100.00"),
        balance=Decimal("27.00"),
        practitioner_name="François Dupré",
        practitioner_designation="Physiotherapist",
        registration_number="PT-04521",
        regulatory_body="Physiotherapy Alberta College & Association",
        payments=(
            ReceiptPayment(date(2026, 11, 28), "Debit", Decimal("60.00"), "AUTH 554411"),
            ReceiptPayment(date(2026, 11, 29), "E-transfer", Decimal("40.00"), "CAxYz12"),
        ),
        payer_name="Blue Cross",
        claim_number="CLM-77-1024",
        payer_portion=Decimal("76.20"),
        patient_portion=Decimal("50.80"),
    )
    return replace(data, **changes)


def text_of(pdf: bytes) -> list[str]:
    """Each page's text, whitespace runs folded to one space (table cells and wrapped
    lines come out of pypdf on separate lines)."""
    return [" ".join(page.extract_text().split()) for page in PdfReader(BytesIO(pdf)).pages]


@pytest.fixture(scope="module")
def receipt_text() -> str:
    pages = text_of(receipt_pdf(receipt()))
    assert len(pages) == 1
    return pages[0]


def test_a_receipt_is_a_pdf_that_opens():
    pdf = receipt_pdf(receipt())
    assert pdf.startswith(b"%PDF-")
    reader = PdfReader(BytesIO(pdf))
    assert len(reader.pages) == 1
    assert reader.metadata.title == "Receipt INV-000123"


@pytest.mark.parametrize(
    "field",
    [
        "Receipt",
        "Invoice no. INV-000123",
        "Issued 2026-11-30",
        "Clinique Sainte-Thérèse Physio",
        "123 Rue Saint-Denis",
        "Montréal QC H2X 3K8",
        "Tel. 514-555-0100",
        "Zoë Łukasiewicz-Nguyễn",
        "Date of birth 1980-02-29",
        "Date of service: 2026-11-28",
        "IMS treatment, 45 minutes 1 $85.00 CAD — $85.00 CAD",
        "Knee brace 1 $40.00 CAD GST $2.00 CAD $42.00 CAD",
        "Total $127.00 CAD",
        "Payer portion (Blue Cross) $76.20 CAD",
        "Patient portion $50.80 CAD",
        "Amount paid $100.00 CAD",
        "Balance $27.00 CAD",
        "Payer: Blue Cross",
        "Claim no. CLM-77-1024",
        "Provided by: François Dupré, Physiotherapist, Registration no. PT-04521",
        "Registered with Physiotherapy Alberta College & Association",
        "2026-11-28 Debit AUTH 554411 $60.00 CAD",
        "2026-11-29 E-transfer CAxYz12 $40.00 CAD",
        "Receipt for insurance purposes",
        "Page 1 of 1",
    ],
)
def test_the_receipt_shows_every_field_an_insurer_asks_for(receipt_text, field):
    assert field in receipt_text


@pytest.mark.parametrize("name", NAMES)
def test_names_in_latin_extended_and_vietnamese_come_back_exactly(name):
    [page] = text_of(receipt_pdf(receipt(patient_name=name, practitioner_name=name)))
    assert f"Patient {name} " in page
    assert f"Provided by: {name}, " in page


def test_a_name_typed_decomposed_prints_composed():
    decomposed = unicodedata.normalize("NFD", "Zoë Łukasiewicz-Nguyễn")
    [page] = text_of(receipt_pdf(receipt(patient_name=decomposed)))
    assert "Patient Zoë Łukasiewicz-Nguyễn " in page


def test_the_embedded_font_has_a_glyph_for_every_letter_of_the_names():
    """Text extraction reads the characters back even where a font lacks the glyph (a
    blank box on paper), so the font itself is checked."""
    fonts = settings.BASE_DIR / "static" / "fonts"
    for file in ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf"):
        font = TTFont(file, str(fonts / file))
        missing = {c for name in NAMES for c in name if ord(c) not in font.face.charToGlyph}
        assert missing == set(), file
    assert (fonts / "LICENSE").read_text().count("Bitstream") > 0


def test_every_font_in_the_file_is_dejavu_embedded():
    reader = PdfReader(BytesIO(receipt_pdf(receipt())))
    fonts = [f.get_object() for f in reader.pages[0]["/Resources"]["/Font"].values()]
    assert fonts
    for font in fonts:
        if "/DescendantFonts" in font:
            font = font["/DescendantFonts"][0].get_object()
        assert "DejaVuSans" in font["/BaseFont"]
        assert "/FontFile2" in font["/FontDescriptor"]


def test_text_that_looks_like_markup_prints_as_typed():
    [page] = text_of(receipt_pdf(receipt(patient_name="O'Brien <b>& Sons</b>")))
    assert "O'Brien <b>& Sons</b>" in page


def test_a_receipt_without_payer_or_payment_says_no_payment():
    data = receipt(
        payments=(),
        amount_paid=Decimal("0"),
        balance=Decimal("127.00"),
        payer_name="",
        claim_number="",
        payer_portion=None,
        patient_portion=None,
        patient_birth_date=None,
    )
    [page] = text_of(receipt_pdf(data))
    assert "No payment recorded." in page
    assert "Balance $127.00 CAD" in page
    assert "Payer" not in page and "Claim" not in page and "Date of birth" not in page


def test_a_receipt_has_no_field_for_clinical_detail():
    names = {f.name for f in fields(ReceiptData)} | {f.name for f in fields(ReceiptLine)}
    clinical = ("diagnos", "note", "site", "pain", "nprs", "muscle", "soap", "treatment")
    assert [n for n in names if any(word in n for word in clinical)] == []


def test_a_receipt_whose_figures_disagree_is_refused():
    with pytest.raises(ValueError, match="sum of its lines"):
        receipt(total=Decimal("120.00"), balance=Decimal("20.00"))
    with pytest.raises(ValueError, match="total minus the amount paid"):
        receipt(balance=Decimal("0.00"))


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        (Decimal("85"), "$85.00 CAD"),
        (Decimal("1234.5"), "$1,234.50 CAD"),
        (Decimal("0.005"), "$0.01 CAD"),
        (Decimal("-5"), "-$5.00 CAD"),
        (Decimal("0"), "$0.00 CAD"),
    ],
)
def test_money_is_written_to_the_cent_with_its_currency(amount, text):
    assert money(amount) == text


def statement(rows: int) -> StatementData:
    """``rows`` rows: two invoices of $85.00 then a payment of $50.00, repeated."""
    made, balance = [], Decimal("10.00")
    for i in range(rows):
        if i % 3 == 2:
            balance -= Decimal("50.00")
            made.append(
                StatementRow(
                    date(2026, 1, 1 + i % 28),
                    "Payment",
                    f"PAY-{i:04d}",
                    "Visa",
                    balance,
                    payment=Decimal("50.00"),
                )
            )
        else:
            balance += Decimal("85.00")
            made.append(
                StatementRow(
                    date(2026, 1, 1 + i % 28),
                    "Invoice",
                    f"INV-{i:06d}",
                    "IMS treatment",
                    balance,
                    charge=Decimal("85.00"),
                )
            )
    charges = sum((r.charge or Decimal(0) for r in made), Decimal(0))
    payments = sum((r.payment or Decimal(0) for r in made), Decimal(0))
    return StatementData(
        clinic=CLINIC,
        patient_name="Ğülşen Öztürk",
        statement_date=date(2026, 11, 30),
        period_start=date(2026, 1, 1),
        period_end=date(2026, 11, 30),
        rows=tuple(made),
        total_charges=charges,
        total_payments=payments,
        balance=Decimal("10.00") + charges - payments,
        opening_balance=Decimal("10.00"),
    )


def test_a_long_statement_spans_pages_with_the_header_on_each_and_right_totals():
    data = statement(90)  # 60 invoices of $85.00, 30 payments of $50.00
    assert data.total_charges == Decimal("5100.00")
    assert data.total_payments == Decimal("1500.00")
    pages = text_of(statement_pdf(data))

    assert len(pages) > 1
    header = "Date Type No. Description Charge Payment Balance"
    assert all(header in page for page in pages)
    assert all(f"of {len(pages)}" in page for page in pages)
    everything = " ".join(pages)
    assert all(f"INV-{i:06d}" in everything for i in range(90) if i % 3 != 2)
    assert all(f"PAY-{i:04d}" in everything for i in range(90) if i % 3 == 2)
    last = pages[-1]
    assert "Opening balance $10.00 CAD" in last
    assert "Total charges $5,100.00 CAD" in last
    assert "Total payments $1,500.00 CAD" in last
    assert "Balance owing $3,610.00 CAD" in last
    # The running balance of the last row is the balance owing.
    assert "PAY-0089 Visa $50.00 $3,610.00" in last
    assert "Ğülşen Öztürk" in pages[0]
    assert "Period 2026-01-01 to 2026-11-30" in pages[0]


def test_a_statement_in_credit_says_so():
    data = replace(
        statement(0),
        rows=(
            StatementRow(
                date(2026, 2, 1),
                "Payment",
                "PAY-1",
                "Cash",
                Decimal("-30.00"),
                payment=Decimal("40.00"),
            ),
        ),
        total_payments=Decimal("40.00"),
        balance=Decimal("-30.00"),
        credit=Decimal("30.00"),
    )
    [page] = text_of(statement_pdf(data))
    assert "Balance (in credit) -$30.00 CAD" in page
    assert "Credit on account $30.00 CAD" in page


def test_a_statement_whose_totals_disagree_is_refused():
    data = statement(3)
    with pytest.raises(ValueError, match="total charges"):
        replace(data, total_charges=Decimal("1.00"))
    with pytest.raises(ValueError, match="balance does not follow"):
        replace(data, balance=Decimal("1.00"))


def test_a_statement_prints_the_clinics_address_and_phone_like_the_receipt():
    [page] = text_of(statement_pdf(statement(3)))
    assert "Clinique Sainte-Thérèse Physio" in page
    assert "123 Rue Saint-Denis" in page and "Montréal QC H2X 3K8" in page
    assert "Tel. 514-555-0100" in page


def test_the_clinic_header_of_a_location_has_its_address_and_phone():
    from types import SimpleNamespace

    place = SimpleNamespace(name="Kensington", address="1 Main St\nCalgary AB", phone="403-1")
    assert ClinicHeader.at("Clinic", place) == ClinicHeader(
        "Clinic", "1 Main St\nCalgary AB", "403-1"
    )
    bare = SimpleNamespace(name="Kensington", address="", phone="")
    assert ClinicHeader.at("Clinic", bare).address == "Kensington"
    assert ClinicHeader.at("Clinic", None) == ClinicHeader("Clinic", "")
