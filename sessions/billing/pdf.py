"""Receipts and statements as PDF, from the plain values of ``sessions.billing.printouts``.

Text is drawn in DejaVu Sans, embedded from ``static/fonts/`` (the 14 standard PDF fonts
stop at Latin-1: no "Ł", "ễ", "ğ"). Letter pages, each with a footer and "Page k of n".

The building blocks (``pdf_text``, ``paragraph``, ``rich_paragraph``, ``heading_block``,
``two_blocks``, ``data_table``, ``build_pdf``) are public: other printouts (outcome
measures' progress reports) draw with the same fonts, header and page footer.
"""

import unicodedata
from collections.abc import Sequence
from decimal import Decimal
from functools import cache
from html import escape
from io import BytesIO
from typing import Any

from django.conf import settings
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import LETTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from sessions.billing.printouts import (
    ClinicHeader,
    ReceiptData,
    ReceiptLine,
    ReceiptPayment,
    StatementData,
    StatementRow,
    day,
    money,
)

__all__ = [
    "ClinicHeader",
    "ReceiptData",
    "ReceiptLine",
    "ReceiptPayment",
    "StatementData",
    "StatementRow",
    "money",
    "receipt_pdf",
    "statement_pdf",
]

FONT = "DejaVuSans"
FONT_BOLD = "DejaVuSans-Bold"


def receipt_pdf(data: ReceiptData) -> bytes:
    """The receipt as a one-page (Letter) PDF, the bytes of the file."""
    cur = data.currency
    story: list[Flowable] = [
        heading_block(
            "Receipt", [f"Invoice no. {data.invoice_number}", f"Issued {day(data.issue_date)}"]
        ),
        two_blocks(_clinic_block(data.clinic), _patient_block(data)),
        Spacer(1, 5 * mm),
        rich_paragraph(f"<b>Date of service:</b> {pdf_text(day(data.service_date))}"),
        Spacer(1, 2 * mm),
    ]
    rows: list[list[Any]] = [["Service", "Qty", "Unit price", "Tax", "Amount"]]
    for line in data.lines:
        tax = f"{line.tax_name} {money(line.tax, cur)}".strip() if line.tax else "—"
        rows.append(
            [
                paragraph(line.description),
                _num(f"{line.quantity.normalize():f}"),
                _num(money(line.unit_price, cur)),
                _num(tax),
                _num(money(line.line_total, cur)),
            ]
        )
    story.append(data_table(rows, [None, 12 * mm, 30 * mm, 30 * mm, 30 * mm], numbers_from=1))
    story.append(Spacer(1, 2 * mm))
    sums = [("Total", data.total)]
    if data.payer_portion is not None:
        sums.append((f"Payer portion ({data.payer_name or 'payer'})", data.payer_portion))
    if data.patient_portion is not None:
        sums.append(("Patient portion", data.patient_portion))
    sums += [("Amount paid", data.amount_paid), ("Balance", data.balance)]
    story.append(_totals(sums, cur))
    story.append(Spacer(1, 5 * mm))
    provided = (
        f"<b>Provided by:</b> {pdf_text(data.practitioner_name)}, "
        f"{pdf_text(data.practitioner_designation)}, "
        f"Registration no. {pdf_text(data.registration_number)}"
    )
    story.append(rich_paragraph(provided))
    if data.regulatory_body:
        story.append(paragraph(f"Registered with {data.regulatory_body}"))
    story.append(Spacer(1, 5 * mm))
    story.append(rich_paragraph("<b>Payments</b>"))
    story.append(Spacer(1, 1 * mm))
    if data.payments:
        pay_rows: list[list[Any]] = [["Date paid", "Method", "Reference", "Amount"]]
        for p in data.payments:
            pay_rows.append(
                [
                    day(p.paid_on),
                    paragraph(p.method),
                    paragraph(p.reference),
                    _num(money(p.amount, cur)),
                ]
            )
        story.append(data_table(pay_rows, [28 * mm, 40 * mm, None, 32 * mm], numbers_from=3))
    else:
        story.append(paragraph("No payment recorded."))
    footer = (
        f"Receipt for insurance purposes. Invoice no. {data.invoice_number}, "
        f"{data.clinic.name}. All amounts in {cur}."
    )
    return build_pdf(story, footer, title=f"Receipt {data.invoice_number}")


def statement_pdf(data: StatementData) -> bytes:
    """The statement as a PDF over as many pages as its rows need (the table's header
    repeats on each page), the bytes of the file."""
    cur = data.currency
    period = f"{day(data.period_start)} to {day(data.period_end)}"
    story: list[Flowable] = [
        heading_block("Statement", [f"Issued {day(data.statement_date)}", f"Period {period}"]),
        two_blocks(_clinic_block(data.clinic), _patient_block(data)),
        Spacer(1, 5 * mm),
    ]
    story.append(paragraph(f"Amounts in {cur}."))
    story.append(Spacer(1, 1 * mm))

    def cell(amount: Decimal | None) -> Paragraph:
        return paragraph("" if amount is None else money(amount, cur, code=False), "small_num")

    rows: list[list[Any]] = [
        ["Date", "Type", "No.", "Description", "Charge", "Payment", "Balance"],
        ["", "", "", paragraph("Opening balance", "small"), "", "", cell(data.opening_balance)],
    ]
    for r in data.rows:
        rows.append(
            [
                day(r.on),
                paragraph(r.kind, "small"),
                paragraph(r.number, "small"),
                paragraph(r.description, "small"),
                cell(r.charge),
                cell(r.payment),
                cell(r.balance),
            ]
        )
    widths = [19 * mm, 21 * mm, 25 * mm, None, 21 * mm, 21 * mm, 21 * mm]
    story.append(data_table(rows, widths, numbers_from=4, small=True))
    story.append(Spacer(1, 3 * mm))
    sums = [
        ("Opening balance", data.opening_balance),
        ("Total charges", data.total_charges),
        ("Total payments", data.total_payments),
        ("Balance owing" if data.balance >= 0 else "Balance (in credit)", data.balance),
    ]
    if data.credit:
        sums.append(("Credit on account", data.credit))
    story.append(_totals(sums, cur))
    footer = f"Statement for {data.patient_name}, {data.clinic.name}. All amounts in {cur}."
    return build_pdf(story, footer, title=f"Statement {period}")


# Layout --------------------------------------------------------------------------------


@cache
def _styles() -> dict[str, ParagraphStyle]:
    fonts = settings.BASE_DIR / "static" / "fonts"
    pdfmetrics.registerFont(TTFont(FONT, str(fonts / "DejaVuSans.ttf")))
    pdfmetrics.registerFont(TTFont(FONT_BOLD, str(fonts / "DejaVuSans-Bold.ttf")))
    pdfmetrics.registerFontFamily(
        FONT, normal=FONT, bold=FONT_BOLD, italic=FONT, boldItalic=FONT_BOLD
    )
    body = ParagraphStyle("body", fontName=FONT, fontSize=9.5, leading=12.5)
    return {
        "body": body,
        "small": ParagraphStyle("small", parent=body, fontSize=8, leading=10),
        "num": ParagraphStyle("num", parent=body, alignment=TA_RIGHT),
        "small_num": ParagraphStyle(
            "small_num", parent=body, fontSize=8, leading=10, alignment=TA_RIGHT
        ),
        "title": ParagraphStyle("title", parent=body, fontName=FONT_BOLD, fontSize=20, leading=24),
        "right": ParagraphStyle("right", parent=body, alignment=TA_RIGHT),
    }


def pdf_text(text: str) -> str:
    """Text for a Paragraph's markup: composed (NFC, so "ễ" is one glyph the font has,
    not "e" and two combining marks drawn apart) and escaped."""
    return escape(unicodedata.normalize("NFC", text), quote=False)


def paragraph(text: str, style: str = "body") -> Paragraph:
    return Paragraph(pdf_text(text), _styles()[style])


def rich_paragraph(markup: str) -> Paragraph:
    """``markup``: Paragraph markup whose data parts went through ``pdf_text`` already."""
    return Paragraph(markup, _styles()["body"])


def _num(text: str) -> Paragraph:
    return paragraph(text, "num")


def _lines(lines: Sequence[str], first_bold: bool = False) -> Paragraph:
    parts = [pdf_text(line) for line in lines if line]
    if first_bold and parts:
        parts[0] = f"<b>{parts[0]}</b>"
    return Paragraph("<br/>".join(parts), _styles()["body"])


def heading_block(title: str, right: Sequence[str]) -> Table:
    styles = _styles()
    cells = [[Paragraph(pdf_text(title), styles["title"]), _lines_right(right)]]
    table = Table(cells, colWidths=[None, 80 * mm])
    table.setStyle(_table_style([("VALIGN", (0, 0), (-1, -1), "TOP"), *_no_padding()]))
    return table


def _lines_right(lines: Sequence[str]) -> Paragraph:
    return Paragraph("<br/>".join(pdf_text(line) for line in lines), _styles()["right"])


def _clinic_block(clinic: ClinicHeader) -> Paragraph:
    phone = f"Tel. {clinic.phone}" if clinic.phone else ""
    return _lines([clinic.name, *clinic.address.splitlines(), phone], first_bold=True)


def _patient_block(data: ReceiptData | StatementData) -> Paragraph:
    lines = ["Patient", data.patient_name]
    if data.patient_birth_date:
        lines.append(f"Date of birth {day(data.patient_birth_date)}")
    if isinstance(data, ReceiptData) and data.payer_name:
        lines.append(f"Payer: {data.payer_name}")
        if data.claim_number:
            lines.append(f"Claim no. {data.claim_number}")
    return _lines(lines, first_bold=True)


def two_blocks(left: Flowable, right: Flowable) -> Table:
    table = Table([[left, right]], colWidths=["50%", "50%"])
    table.setStyle(
        _table_style(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("TOPPADDING", (0, 0), (-1, -1), 8),
                ("LEFTPADDING", (0, 0), (0, -1), 0),
            ]
        )
    )
    return table


def data_table(
    rows: list[list[Any]], widths: list[Any], *, numbers_from: int, small: bool = False
) -> Table:
    """A ruled table whose first row is a header repeated on every page; the columns from
    ``numbers_from`` on hold amounts (headers aligned right, over the figures)."""
    table = Table(rows, colWidths=widths, repeatRows=1)
    table.setStyle(
        _table_style(
            [
                ("FONT", (0, 0), (-1, -1), FONT, 8 if small else 9.5),
                ("FONT", (0, 0), (-1, 0), FONT_BOLD, 8 if small else 9.5),
                ("ALIGN", (numbers_from, 0), (-1, 0), "RIGHT"),
                ("LEFTPADDING", (0, 0), (0, -1), 0),
                ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.black),
                ("LINEBELOW", (0, 1), (-1, -1), 0.25, colors.grey),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return table


def _totals(sums: Sequence[tuple[str, Decimal]], currency: str) -> Table:
    rows = [[paragraph(label, "right"), _num(money(amount, currency))] for label, amount in sums]
    table = Table(rows, colWidths=[70 * mm, 36 * mm], hAlign="RIGHT")
    table.setStyle(
        _table_style(
            [
                ("LINEABOVE", (0, -1), (-1, -1), 0.8, colors.black),
                ("TOPPADDING", (0, 0), (-1, -1), 1),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
            ]
        )
    )
    return table


def _table_style(commands: list[tuple[Any, ...]]) -> TableStyle:
    """``commands`` after a first one setting DejaVu on every cell: a table's cells default
    to Helvetica, which would then sit unembedded in the file even with no text in it."""
    return TableStyle([("FONT", (0, 0), (-1, -1), FONT), *commands])


def _no_padding() -> list[tuple[Any, ...]]:
    return [(side, (0, 0), (-1, -1), 0) for side in ("LEFTPADDING", "RIGHTPADDING")]


def build_pdf(story: list[Flowable], footer: str, *, title: str) -> bytes:
    """Lay ``story`` out on Letter pages, each with ``footer`` and "Page k of n"."""
    footer = unicodedata.normalize("NFC", footer)
    _styles()  # registers the fonts
    buffer = BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=LETTER,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=20 * mm,
        title=title,
        initialFontName=FONT,
        author="",
        creator="",
    )

    class FooterCanvas(Canvas):
        """Draws the footer once the page count is known (pages are held until save)."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list[dict[str, Any]] = []

        def showPage(self) -> None:  # noqa: N802 (reportlab's name)
            self._pages.append(dict(self.__dict__))
            self._startPage()  # type: ignore[attr-defined]  # reportlab's own recipe

        def save(self) -> None:
            for page in self._pages:
                self.__dict__.update(page)
                self.setFont(FONT, 8)
                self.setFillColor(colors.dimgrey)
                self.drawString(18 * mm, 10 * mm, footer)
                count = f"Page {self.getPageNumber()} of {len(self._pages)}"
                self.drawRightString(LETTER[0] - 18 * mm, 10 * mm, count)
                super().showPage()
            super().save()

    doc.build(story, canvasmaker=FooterCanvas)
    return buffer.getvalue()
