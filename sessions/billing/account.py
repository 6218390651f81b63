"""A patient's account pages: the statement on screen and as PDF, a refund from their
credit, and an invoice written by hand. Front desk and clinic admin only; audited."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from clinic import audit, clock, once
from clinic.access import require_roles
from clinic.form_errors import add_refusal
from intake.models import Patient
from sessions.billing import money, printouts, selectors
from sessions.billing.forms import InvoiceNewForm, RefundForm
from sessions.billing.payments import refund_record
from sessions.billing.pdf import statement_pdf as render_statement
from sessions.billing.services import LineIn, invoice_issue
from sessions.billing.views import BILLERS
from sessions.booking import selectors as booking_selectors
from sessions.booking.models import Location

KIND_LABELS = {
    "invoice": "Invoice",
    "void": "Void",
    "credit_note": "Credit note",
    "payment": "Payment",
    "refund": "Refund",
}


def _account_page(request, patient: Patient, refund_form: RefundForm | None = None):
    return render(
        request,
        "sessions/billing/account.html",
        {
            "patient": patient,
            "rows": selectors.patient_statement(patient=patient),
            "account": selectors.patient_account(patient=patient),
            "refund_form": refund_form or RefundForm(patient=patient),
            "kinds": KIND_LABELS,
        },
    )


@require_roles(*BILLERS)
def account(request, patient_pk: int):
    patient = get_object_or_404(Patient, pk=patient_pk)
    audit.record(request, audit.Action.VIEW, obj=patient, detail="account")
    return _account_page(request, patient)


@require_roles(*BILLERS)
def statement_pdf(request, patient_pk: int):
    """The statement as a PDF, shown in the browser (inline)."""
    patient = get_object_or_404(Patient, pk=patient_pk)
    rows = selectors.patient_statement(patient=patient)
    acct = selectors.patient_account(patient=patient)
    today = clock.clinic_today()
    printed = tuple(
        printouts.StatementRow(
            on=clock.clinic_day(row.at),
            kind=KIND_LABELS.get(row.kind, row.kind),
            number=row.reference,
            description=row.description,
            balance=row.balance,
            charge=row.charge or None,
            payment=row.credit or None,
        )
        for row in rows
    )
    zero = money.ZERO
    data = printouts.StatementData(
        clinic=printouts.ClinicHeader.at(settings.CLINIC_NAME, _statement_location(patient)),
        patient_name=patient.full_name,
        patient_birth_date=patient.date_of_birth,
        statement_date=today,
        period_start=printed[0].on if printed else today,
        period_end=today,
        rows=printed,
        total_charges=sum((r.charge or zero for r in printed), zero),
        total_payments=sum((r.payment or zero for r in printed), zero),
        balance=rows[-1].balance if rows else zero,
        credit=acct.credit,
        currency=settings.CLINIC_CURRENCY,
    )
    audit.record(request, audit.Action.VIEW, obj=patient, detail="statement PDF")
    response = HttpResponse(render_statement(data), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="statement-{patient.pk}.pdf"'
    return response


def _statement_location(patient: Patient) -> Location | None:
    """Where the statement comes from: the location of the patient's latest invoice,
    else the clinic's first active location."""
    latest = Location.objects.filter(invoices__patient=patient).order_by("-invoices__issued_at")
    return latest.first() or Location.objects.filter(is_active=True).order_by("pk").first()


@require_roles(*BILLERS)
@require_POST
def refund_add(request, patient_pk: int):
    """Record a refund from the patient's credit (paid out by the clinic, not here); a
    refusal shows the account again with the form as typed."""
    patient = get_object_or_404(Patient, pk=patient_pk)
    form = RefundForm(request.POST, patient=patient)
    if form.is_valid():
        try:
            with once.claim(request) as claim:
                refund = refund_record(
                    patient=patient, recorded_by=request.user, **form.cleaned_data
                )
                claim.result_url = reverse("sessions:account", args=[patient.pk])
        except once.Replayed as replay:
            return replay.response(request, fallback=reverse("sessions:account", args=[patient.pk]))
        except ValidationError as exc:
            add_refusal(form, exc)
        else:
            audit.record(request, audit.Action.CREATE, obj=refund)
            messages.success(request, f"Refund of {money.format_money(refund.amount)} recorded.")
            return redirect(claim.result_url)
    audit.record(request, audit.Action.VIEW, obj=patient, detail="account")
    return _account_page(request, patient, refund_form=form)


@require_roles(*BILLERS)
def invoice_new(request, patient_pk: int):
    """An invoice written by hand: items, quantities, a date of service; billed to the
    patient unless a case of theirs is chosen."""
    patient = get_object_or_404(Patient, pk=patient_pk)
    locations = Location.objects.filter(is_active=True)
    form = InvoiceNewForm(
        request.POST or None,
        locations=locations,
        patient=patient,
        practitioners=booking_selectors.practitioners(),
        initial={"service_date": clock.clinic_today()},
    )
    if request.method == "POST" and form.is_valid():
        day = form.cleaned_data["service_date"]
        try:
            with once.claim(request) as claim:
                inv = invoice_issue(
                    patient=patient,
                    lines=[LineIn(item=item, quantity=qty) for item, qty in form.lines()],
                    location=form.cleaned_data["location"],
                    issued_by=request.user,
                    service_date=day,
                    payer_case=form.cleaned_data["bill_to"],
                    practitioner=form.cleaned_data["practitioner"],
                )
                claim.result_url = reverse("sessions:invoice", args=[inv.pk])
        except once.Replayed as replay:
            return replay.response(request, fallback=request.path)
        except ValidationError as exc:
            add_refusal(form, _lines_keyed(exc))
        else:
            audit.record(request, audit.Action.CREATE, obj=inv, detail="by hand")
            messages.success(request, f"{inv.display_number} issued.")
            return redirect(claim.result_url)
    audit.record(request, audit.Action.VIEW, obj=patient, detail="new invoice")
    return render(request, "sessions/billing/invoice_new.html", {"patient": patient, "form": form})


def _lines_keyed(exc: ValidationError) -> ValidationError:
    """The services' ``item``/``quantity`` keys are the first line's fields here."""
    if not hasattr(exc, "error_dict"):
        return exc
    keys = {"item": "item_1", "quantity": "quantity_1", "lines": "item_1"}
    return ValidationError({keys.get(k, k): v for k, v in exc.message_dict.items()})
