"""An invoice with every field an insurer asks for, paid in two parts, for the receipt
tests (issued through billing's own services)."""

from decimal import Decimal as D
from io import BytesIO

from pypdf import PdfReader

from clinic.models import PractitionerProfile
from sessions.billing import services
from sessions.billing.payments import AllocationIn, payment_take
from sessions.models import Invoice

NAME_FIRST, NAME_LAST = "Zoë", "Łukasiewicz-Nguyễn"
REGISTRATION = "PT-04417"
DESIGNATION = "Registered Physiotherapist (PT)"


def profile_for(user) -> PractitionerProfile:
    return PractitionerProfile.objects.create(
        user=user,
        designation=DESIGNATION,
        registration_number=REGISTRATION,
        regulatory_body="College of Physiotherapists of Alberta",
    )


def issued(appointment, clerk) -> Invoice:
    return services.invoice_issue_for_appointment(appointment=appointment, issued_by=clerk)


def pay(invoice, clerk, amount, method, reference=""):
    return payment_take(
        patient=invoice.patient,
        amount=D(amount),
        method=method,
        recorded_by=clerk,
        allocations=[AllocationIn(invoice)],
        location=invoice.location,
        reference=reference,
    )


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(BytesIO(content)).pages)
