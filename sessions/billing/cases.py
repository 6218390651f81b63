"""Payer cases' pages: a patient's cases with their authorisation used ("3 of 8"), and
the case form (new and edit). Front desk and clinic admin keep cases; physiotherapists
may read the list. No clinical detail is shown here."""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render

from clinic import audit
from clinic.access import require_roles
from clinic.roles import Role, has_role
from intake.models import Patient
from sessions.billing import authorisations
from sessions.billing.models import PayerCase
from sessions.booking.selectors import course_active

BILLERS = (Role.FRONT_DESK, Role.ADMIN)
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
