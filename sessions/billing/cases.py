"""Payer cases' pages: a patient's cases with their authorisation used ("3 of 8"), and
the case form (new and edit). Front desk and clinic admin keep cases; physiotherapists
may read the list. No clinical detail is shown here."""

from decimal import Decimal

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from clinic import audit, clock, once
from clinic.access import require_roles
from clinic.form_errors import add_refusal
from clinic.roles import BILLERS, Role, has_role
from intake.models import Patient
from sessions.billing import authorisations, money
from sessions.billing.models import PayerCase
from sessions.billing.payer_payments import case_payer_due, payer_payment_take
from sessions.booking.selectors import course_active

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


@require_roles(*BILLERS, Role.PHYSIO)
def cases(request, patient_pk: int):
    patient = get_object_or_404(Patient, pk=patient_pk)
    course = course_active(patient=patient)
    rows = list(authorisations.cases_of(patient=patient))
    audit.record(request, audit.Action.VIEW, obj=patient, detail="payer cases")
    return render(
        request,
        "sessions/billing/cases.html",
        {
            "patient": patient,
            "cases": rows,
            "course": course,
            "can_edit": has_role(request.user, *BILLERS),
        },
    )


@require_roles(*BILLERS)
def case_new(request, patient_pk: int):
    patient = get_object_or_404(Patient, pk=patient_pk)
    return _case_form(request, PayerCase(patient=patient), patient)


@require_roles(*BILLERS)
def case_edit(request, pk: int):
    case = get_object_or_404(PayerCase.objects.select_related("patient"), pk=pk)
    return _case_form(request, case, case.patient)


def _case_form(request, case: PayerCase, patient: Patient):
    new = case.pk is None
    course = course_active(patient=patient)
    form = PayerCaseForm(request.POST or None, instance=case, course=course)
    if request.method != "POST":  # a new case's page shows the patient too
        audit.record(
            request,
            audit.Action.VIEW,
            obj=case if not new else patient,
            detail="new payer case" if new else "",
        )
    if request.method == "POST" and form.is_valid():
        try:
            case = authorisations.payer_case_save(
                case=form.instance, bill_course=form.cleaned_data.get("bill_course")
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            action = audit.Action.CREATE if new else audit.Action.UPDATE
            audit.record(request, action, obj=case)
            messages.success(request, f"The case {case} is saved.")
            return redirect("sessions:cases", patient.pk)
    if request.method == "POST":  # refused: the form is shown again with the patient
        audit.record(
            request,
            audit.Action.VIEW,
            obj=patient if new else case,
            detail="refused payer case form",
        )
    return render(
        request,
        "sessions/billing/case_form.html",
        {"form": form, "patient": patient, "case": case, "new": new},
    )


@require_roles(*BILLERS)
def case_payment(request, pk: int):
    """Record a payer's payment (cheque, EFT) on the case: it pays the payer portions
    of the case's invoices, oldest first; more than the case owes is refused."""
    case = get_object_or_404(PayerCase.objects.select_related("patient"), pk=pk)
    form = PayerPaymentForm(request.POST or None, initial={"received_on": clock.clinic_today()})
    if request.method == "POST" and form.is_valid():
        back = reverse("sessions:cases", args=[case.patient_id])
        try:
            with once.claim(request) as claim:
                payment = payer_payment_take(
                    case=case, recorded_by=request.user, **form.cleaned_data
                )
                claim.result_url = back
        except once.Replayed as replay:
            return replay.response(request, fallback=back)
        except ValidationError as exc:
            add_refusal(form, exc)
        else:
            audit.record(request, audit.Action.CREATE, obj=payment, detail=f"payer payment {case}")
            paid = money.format_money(payment.amount)
            messages.success(request, f"{paid} from {authorisations.payer_label(case)} recorded.")
            return redirect(claim.result_url)
    detail = "payer payment" if request.method != "POST" else "refused payer payment"
    audit.record(request, audit.Action.VIEW, obj=case, detail=detail)
    invoices = case_payer_due(case=case)
    return render(
        request,
        "sessions/billing/case_payment.html",
        {
            "case": case,
            "patient": case.patient,
            "form": form,
            "invoices": invoices,
            "owed": money.total(i.payer_due for i in invoices),
            "payer": authorisations.payer_label(case),
        },
    )


# --- Forms ---------------------------------------------------------------------------


class PayerCaseForm(forms.ModelForm):
    """A payer case; ``bill_course`` offered when the patient has an open course."""

    bill_course = forms.BooleanField(
        label="Bill this course's visits to this case",
        required=False,
        help_text="New bookings in the patient's open course take this case.",
    )

    class Meta:
        model = PayerCase
        fields = [
            "kind",
            "payer_name",
            "claim_number",
            "injury_date",
            "opened_on",
            "closed_on",
            "authorised_visits",
            "authorised_from",
            "authorised_until",
            "payer_share_percent",
            "payer_share_amount",
            "case_manager_name",
            "case_manager_phone",
            "case_manager_email",
            "notes",
        ]
        widgets = {
            name: DATE_INPUT
            for name in (
                "injury_date",
                "opened_on",
                "closed_on",
                "authorised_from",
                "authorised_until",
            )
        } | {"notes": forms.Textarea(attrs={"rows": 3})}
        labels = {"kind": "Payer kind", "authorised_visits": "Visits authorised"}

    def __init__(self, *args, course=None, **kwargs):
        super().__init__(*args, **kwargs)
        if course is None:
            del self.fields["bill_course"]
        else:
            already = self.instance.pk is not None and course.payer_case_id == self.instance.pk
            self.fields["bill_course"].initial = already
            if already:
                self.fields["bill_course"].help_text = "The open course bills to this case now."


class PayerPaymentForm(forms.Form):
    """A payer's payment: amount, the day it came, and its cheque or EFT number."""

    amount = forms.DecimalField(
        label="Amount received", max_digits=10, decimal_places=2, min_value=Decimal("0.01")
    )
    received_on = forms.DateField(label="Date received", widget=DATE_INPUT)
    reference = forms.CharField(
        label="Reference", max_length=100, help_text="The cheque or EFT number."
    )
