"""Receipts insurers accept: what one carries (``receipt_for``, four queries whatever the
invoice holds), the staff's printable page and PDF, and the patient's signed link to it
(emailed after commit, good for ``RECEIPT_LINK_DAYS``, revoked by a new nonce like the
aftercare link: ``clinic.links``). Front desk and clinic admin only; every read and
write is audited. A receipt names no diagnosis, note or treated site."""

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db import models, transaction
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from clinic import audit, clock, emails, links
from clinic.access import public, require_roles
from clinic.roles import BILLERS
from clinic.types import StaffUser
from sessions.billing import money
from sessions.billing.documents import Invoice, PaymentAllocation, Portion
from sessions.billing.models import ReceiptLink
from sessions.billing.pdf import receipt_pdf
from sessions.billing.printouts import ClinicHeader, ReceiptData, ReceiptLine, ReceiptPayment
from sessions.billing.selectors import with_balances

RECEIPT_PURPOSE = "receipt"
PROFILE_PLACE = "Administration → Practitioner profiles"


@dataclass(frozen=True)
class Receipt:
    """An invoice's receipt: ``data`` as printed, and ``missing``: what an insurer asks
    for that is not on file (words for staff, with where to add it)."""

    invoice: Invoice
    data: ReceiptData
    missing: tuple[str, ...] = ()


def receipt_for(*, invoice_id: int) -> Receipt:
    """The receipt of invoice ``invoice_id`` (void ones too: the page says so). Credit
    notes are lines taking their amount off; what a credit note gave back to the
    patient's credit is a payment row taken off. Four queries. Raises
    ``Invoice.DoesNotExist``."""
    invoice = (
        with_balances(Invoice.objects.filter(pk=invoice_id))
        .select_related("patient", "location", "payer_case", "practitioner__practitioner_profile")
        .prefetch_related(
            "lines",
            models.Prefetch("allocations", queryset=_allocations()),
            "credit_notes",
        )
        .get()
    )
    cur = settings.CLINIC_CURRENCY
    lines = [
        ReceiptLine(
            description=line.description,
            quantity=Decimal(line.quantity),
            unit_price=line.unit_price,
            line_total=line.line_total,
            tax_name=line.tax_name,
            tax=line.tax_amount,
        )
        for line in invoice.lines.all()
    ]
    notes = sorted(invoice.credit_notes.all(), key=lambda n: n.number)
    for note in notes:
        lines.append(
            ReceiptLine(
                description=f"Credit note {note.display_number}",
                quantity=Decimal(1),
                unit_price=-note.amount,
                line_total=-note.amount,
            )
        )
    payments = [
        ReceiptPayment(
            paid_on=clock.clinic_day(a.payment.received_at),
            method=a.payment.get_method_display(),
            amount=a.amount,
            reference=a.payment.reference,
        )
        for a in invoice.allocations.all()
    ]
    for note in notes:
        if note.amount > note.applied:
            payments.append(
                ReceiptPayment(
                    paid_on=clock.clinic_day(note.issued_at),
                    method=f"Returned to account credit ({note.display_number})",
                    amount=note.applied - note.amount,
                )
            )
    credited = money.total(n.amount for n in notes)
    total = invoice.total - credited
    # Each portion net of the credit notes on it, so the two still add up to the total.
    payer_credited = money.total(n.amount for n in notes if n.portion == Portion.PAYER)
    balance = invoice.patient_due + invoice.payer_due
    practitioner = invoice.practitioner
    profile = _profile(practitioner)
    case = invoice.payer_case
    data = ReceiptData(
        clinic=ClinicHeader.at(settings.CLINIC_NAME, invoice.location),
        invoice_number=invoice.display_number,
        issue_date=clock.clinic_day(invoice.issued_at),
        service_date=invoice.service_date,
        patient_name=invoice.patient.legal_name,
        lines=tuple(lines),
        total=total,
        amount_paid=total - balance,
        balance=balance,
        practitioner_name=practitioner.get_full_name() if practitioner else "",
        practitioner_designation=profile.designation if profile else "",
        registration_number=profile.registration_number if profile else "",
        regulatory_body=profile.regulatory_body if profile else "",
        payments=tuple(payments),
        payer_name=(case.payer_name or case.get_kind_display()) if case else "",
        claim_number=case.claim_number if case else "",
        payer_portion=invoice.payer_portion - payer_credited if case else None,
        patient_portion=invoice.patient_portion - (credited - payer_credited) if case else None,
        currency=cur,
    )
    return Receipt(invoice=invoice, data=data, missing=_missing(invoice, data))


def _allocations() -> models.QuerySet:
    return PaymentAllocation.objects.select_related("payment").order_by("allocated_at", "id")


def _profile(user: StaffUser | None):
    if user is None:
        return None
    try:
        return user.practitioner_profile
    except ObjectDoesNotExist:
        return None


def _missing(invoice: Invoice, data: ReceiptData) -> tuple[str, ...]:
    missing = []
    if invoice.practitioner is None:
        missing.append("The invoice names no practitioner: insurers refuse such a receipt.")
    else:
        for value, what in [
            (data.practitioner_name, "full name (in the staff account)"),
            (data.practitioner_designation, "designation"),
            (data.registration_number, "professional registration number"),
        ]:
            if not value:
                missing.append(
                    f"The practitioner's {what} is missing: the clinic admin adds it in "
                    f"{PROFILE_PLACE}."
                )
    if not invoice.location.address:
        missing.append(
            f"The location {invoice.location.name} has no address: the clinic admin adds it "
            "in Administration → Locations."
        )
    return tuple(missing)


# The patient's link -------------------------------------------------------------------


@transaction.atomic
def receipt_send(
    *, invoice: Invoice, sent_by: StaffUser, now: datetime | None = None
) -> ReceiptLink:
    """Make a receipt link for ``invoice`` and email it to the patient once the
    transaction commits; returns the link's row. Raises ValidationError (no field) for
    a void invoice or a patient with no email address."""
    now = now or timezone.now()
    # Locked, so a void committed meanwhile is seen here, not after the mail has gone.
    invoice = (
        Invoice.objects.select_for_update(of=("self",)).select_related("patient").get(pk=invoice.pk)
    )
    patient = invoice.patient
    if invoice.is_void:
        raise ValidationError(f"{invoice.display_number} is void: there is no receipt to send.")
    if not patient.email:
        raise ValidationError(
            "The patient has no email address on file: add one on their page, or print the receipt."
        )
    row = ReceiptLink(
        invoice=invoice,
        email=patient.email,
        nonce=secrets.token_urlsafe(24),
        created_at=now,
        sent_by=sent_by,
    )
    row.full_clean()
    row.save()
    link = receipt_link(row)
    expires_on = clock.clinic_day(now + timedelta(days=settings.RECEIPT_LINK_DAYS))

    def send() -> None:
        emails.receipt(
            to=row.email, first_name=patient.greeting_name, link=link, expires_on=expires_on
        )
        ReceiptLink.objects.filter(pk=row.pk).update(sent_at=timezone.now())

    transaction.on_commit(send)
    return row


def receipt_link(row: ReceiptLink) -> str:
    """The full address of the receipt page ``row`` opens."""
    return links.link_to(RECEIPT_PURPOSE, row, "sessions:receipt-link")


def link_from_token(token: str, now: datetime | None = None) -> ReceiptLink | None:
    """The receipt link a token names: genuine, not revoked, within RECEIPT_LINK_DAYS of
    its sending (the instant it expires excluded), its invoice not void (else None)."""
    now = now or timezone.now()
    rows = ReceiptLink.objects.filter(
        created_at__gt=links.issued_after(settings.RECEIPT_LINK_DAYS, now),
        invoice__voided_at__isnull=True,
    )
    return links.row_from_token(RECEIPT_PURPOSE, token, rows)


def receipt_links_revoke(*, invoice: Invoice) -> int:
    """Stop every link to this invoice's receipt given out so far; returns how many."""
    return links.links_revoke(invoice.receipt_links.all())


# Views --------------------------------------------------------------------------------


def _pdf_response(receipt: Receipt) -> HttpResponse:
    response = HttpResponse(receipt_pdf(receipt.data), content_type="application/pdf")
    name = f"receipt-{receipt.data.invoice_number}.pdf"
    response["Content-Disposition"] = f'inline; filename="{name}"'
    return response


def _receipt_or_404(pk: int) -> Receipt:
    get_object_or_404(Invoice.objects.only("pk"), pk=pk)
    return receipt_for(invoice_id=pk)


@require_roles(*BILLERS)
def receipt(request, pk: int):
    found = _receipt_or_404(pk)
    audit.record(request, audit.Action.VIEW, obj=found.invoice, detail="receipt")
    return render(
        request,
        "sessions/billing/receipt.html",
        {
            "receipt": found,
            "r": found.data,
            "invoice": found.invoice,
            "link_days": settings.RECEIPT_LINK_DAYS,
        },
    )


@require_roles(*BILLERS)
def receipt_pdf_view(request, pk: int):
    found = _receipt_or_404(pk)
    if found.invoice.is_void:
        messages.error(request, f"{found.invoice.display_number} is void: it has no receipt.")
        return redirect("sessions:receipt", pk=pk)
    audit.record(request, audit.Action.VIEW, obj=found.invoice, detail="receipt pdf")
    return _pdf_response(found)


@require_roles(*BILLERS)
@require_POST
def receipt_send_view(request, pk: int):
    invoice = get_object_or_404(Invoice.objects.select_related("patient"), pk=pk)
    try:
        row = receipt_send(invoice=invoice, sent_by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("sessions:receipt", pk=pk)
    audit.record(request, audit.Action.CREATE, obj=invoice, detail=f"receipt link {row.pk} emailed")
    messages.success(request, f"The receipt link is on its way to {row.email}.")
    return redirect("sessions:receipt", pk=pk)


@require_roles(*BILLERS)
@require_POST
def receipt_links_revoke_view(request, pk: int):
    invoice = get_object_or_404(Invoice.objects.select_related("patient"), pk=pk)
    stopped = receipt_links_revoke(invoice=invoice)
    audit.record(
        request, audit.Action.UPDATE, obj=invoice, detail=f"receipt links stopped: {stopped}"
    )
    messages.success(request, "The receipt links sent for this invoice no longer work.")
    return redirect("sessions:receipt", pk=pk)


@public
def receipt_link_page(request, token: str):
    row = link_from_token(token)
    if row is None:
        return links.refuse(request)
    found = receipt_for(invoice_id=row.invoice_id)
    audit.record(
        request, audit.Action.VIEW, obj=found.invoice, actor_role="patient", detail="receipt link"
    )
    pdf = reverse("sessions:receipt-link-pdf", args=[token])
    return render(request, "sessions/billing/receipt_link.html", {"r": found.data, "pdf_url": pdf})


@public
def receipt_link_pdf(request, token: str):
    row = link_from_token(token)
    if row is None:
        return links.refuse(request)
    found = receipt_for(invoice_id=row.invoice_id)
    audit.record(
        request,
        audit.Action.VIEW,
        obj=found.invoice,
        actor_role="patient",
        detail="receipt link pdf",
    )
    return _pdf_response(found)
