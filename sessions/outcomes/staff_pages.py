"""Staff pages of questionnaires: a physiotherapist sends one from the patient's page;
front desk or a physiotherapist hands a clinic tablet to the patient (signing
themself out); the clinic admin sets the schedules. Front desk sees whether each
questionnaire is done, never its answers or score (``patient_section``)."""

from datetime import datetime

from django.contrib import messages
from django.contrib.auth import logout
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from clinic import audit
from clinic.access import require_roles
from clinic.roles import Role, has_role
from clinic.types import AnyUser
from intake.models import Patient
from sessions.outcomes import instruments, services
from sessions.outcomes.forms import ScheduleForm, SendForm
from sessions.outcomes.links import questionnaire_path
from sessions.outcomes.models import OutcomeSchedule, Questionnaire

RECENT = 20  # questionnaires listed on the patient's page


def _name(code: str) -> str:
    instrument = instruments.INSTRUMENTS.get(code)
    return instrument.abbreviation if instrument else code


def patient_section(patient: Patient, user: AnyUser, now: datetime) -> dict:
    """What the patient page shows of questionnaires: the latest ``RECENT`` with their
    state (and score, for a physiotherapist only) and the forms to send one. One
    query for the list."""
    is_physio = has_role(user, Role.PHYSIO)
    rows = [
        {
            "name": _name(q.instrument),
            "trigger": q.get_trigger_display(),
            "sent": q.created_at,
            "status": services.STATUS_WORDS[services.questionnaire_status(q, now)],
            "score": q.score if is_physio and q.completed_at else None,
        }
        for q in Questionnaire.objects.filter(patient=patient)
        .defer("answers")
        .order_by("-created_at", "-id")[:RECENT]
    ]
    return {
        "q_rows": rows,
        "q_can_send": is_physio,
        "q_form": SendForm(),
        "q_show_scores": is_physio,
    }


@require_roles(Role.PHYSIO)
@require_POST
def questionnaire_send(request, patient_pk: int):
    patient = get_object_or_404(Patient, pk=patient_pk)
    form = SendForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a questionnaire to send.")
        return redirect("intake:patient-detail", patient.pk)
    try:
        questionnaire = services.questionnaire_send(
            patient=patient, instrument=form.cleaned_data["instrument"], by=request.user
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        audit.record(request, audit.Action.CREATE, obj=questionnaire, detail="sent by email")
        messages.success(request, f"The questionnaire was sent to {patient.email}.")
    return redirect("intake:patient-detail", patient.pk)


@require_roles(Role.FRONT_DESK, Role.PHYSIO)
@require_POST
def questionnaire_tablet(request, patient_pk: int):
    """Make a questionnaire to fill in on this device, sign the staff member out (the
    patient holds the tablet now) and open it."""
    patient = get_object_or_404(Patient, pk=patient_pk)
    form = SendForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a questionnaire to fill in.")
        return redirect("intake:patient-detail", patient.pk)
    try:
        questionnaire = services.tablet_start(
            patient=patient, instrument=form.cleaned_data["instrument"], by=request.user
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("intake:patient-detail", patient.pk)
    audit.record(request, audit.Action.CREATE, obj=questionnaire, detail="handed over on a tablet")
    logout(request)  # nothing of the staff session stays on the patient's screen
    return redirect(questionnaire_path(questionnaire))


# --- Schedules (clinic admin) -------------------------------------------------------------


@require_roles(Role.ADMIN)
def schedule_list(request):
    schedules = OutcomeSchedule.objects.select_related("appointment_type").order_by(
        "-active", "instrument", "id"
    )
    rows = [(s, _name(s.instrument)) for s in schedules]
    return render(request, "outcomes/schedule_list.html", {"rows": rows})


@require_roles(Role.ADMIN)
def schedule_edit(request, pk: int | None = None):
    schedule = get_object_or_404(OutcomeSchedule, pk=pk) if pk is not None else None
    form = ScheduleForm(request.POST or None, schedule=schedule)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            saved = services.schedule_save(
                schedule=schedule,
                instrument=data["instrument"],
                appointment_type_id=data["appointment_type"].pk
                if data["appointment_type"]
                else None,
                visit_numbers=data["visit_numbers"],
                at_discharge=data["at_discharge"],
                active=data["active"],
                by=request.user,
            )
        except ValidationError as exc:
            for key, problems in exc.message_dict.items():
                form.add_error(key if key in form.fields else None, problems)
        else:
            action = audit.Action.UPDATE if schedule else audit.Action.CREATE
            audit.record(request, action, obj=saved, detail=f"outcome schedule {saved.instrument}")
            messages.success(request, "The schedule is saved.")
            return redirect("sessions:schedule-list")
    return render(
        request,
        "outcomes/schedule_form.html",
        {"form": form, "schedule": schedule, "now": timezone.now()},
    )
