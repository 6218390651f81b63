"""Check-ins (patients, by signed link), alerts (physiotherapists), call tasks (front
desk, no clinical detail) and message health (clinic admins)."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from clinic import audit, links
from clinic.access import public, require_roles
from clinic.roles import Role
from intake.services import preferences_link
from sessions.followups import selectors, services
from sessions.followups.forms import AcknowledgeForm, CallDoneForm, CheckinForm
from sessions.followups.models import Alert, CallTask, CheckinAnswer


@public
def checkin(request, token: str):
    message = services.checkin_from_token(token)
    if message is None:
        return links.refuse(request)
    latest = message.answers.first()
    initial = (
        {
            "soreness": latest.soreness,
            "compared": latest.compared,
            "bruising": latest.bruising,
            "red_flags": latest.red_flags,
            "comment": latest.comment,
        }
        if latest
        else {}
    )
    form = CheckinForm(request.POST or None, initial=initial)
    refused = ""
    if request.method == "POST" and form.is_valid():
        try:
            answer = services.checkin_answer(message=message, **form.cleaned_data)
        except ValidationError as error:
            refused = " ".join(error.messages)
        else:
            audit.record(
                request,
                audit.Action.CREATE,
                obj=answer,
                patient=message.patient,
                actor_role="patient",
            )
            return render(request, "sessions/checkin_thanks.html", {"answer": answer})
    if request.method == "GET":
        audit.record(
            request, audit.Action.VIEW, obj=message, patient=message.patient, actor_role="patient"
        )
        if latest is not None and not services.checkin_takes_answers(message):
            refused = services.CHECKIN_FULL
    return render(
        request,
        "sessions/checkin.html",
        {
            "form": form,
            "answered": latest is not None,
            "refused": refused,
            "preferences_url": preferences_link(message.patient),
        },
    )


@require_roles(Role.PHYSIO)
def alert_detail(request, pk: int):
    alert = get_object_or_404(
        Alert.objects.select_related(
            "answer__message", "visit__appointment__patient", "acknowledged_by", "physio"
        ),
        pk=pk,
    )
    form = AcknowledgeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.alert_acknowledge(alert=alert, by=request.user, **form.cleaned_data)
        audit.record(
            request,
            audit.Action.UPDATE,
            obj=alert,
            patient=alert.visit.patient,
            detail="alert acknowledged",
        )
        messages.success(request, "Alert acknowledged.")
        return redirect("home")
    audit.record(request, audit.Action.VIEW, obj=alert, patient=alert.visit.patient)
    # Every answer to the visit's check-ins: the open alert follows the latest worrying
    # one, and what came before must stay in view.
    history = CheckinAnswer.objects.filter(message__visit=alert.visit).order_by(
        "-answered_at", "-id"
    )
    return render(
        request, "sessions/alert.html", {"alert": alert, "form": form, "history": history}
    )


@require_roles(Role.FRONT_DESK)
@require_POST
def call_done(request, pk: int):
    task = get_object_or_404(CallTask.objects.open().select_related("patient"), pk=pk)
    form = CallDoneForm(request.POST)
    if form.is_valid():
        services.call_task_done(task=task, by=request.user, note=form.cleaned_data["note"])
        audit.record(
            request, audit.Action.UPDATE, obj=task, patient=task.patient, detail="call done"
        )
        messages.success(request, f"Call to {task.patient} recorded.")
    return redirect("home")


@require_roles(Role.ADMIN)
def message_health(request):
    return render(
        request,
        "sessions/message_health.html",
        {
            "health": selectors.message_health(),
            "dispatch_seconds": settings.FOLLOWUP_DISPATCH_SECONDS,
            "sms_backend": selectors.sms_backend_name(),
            "sms_stuck_minutes": int(selectors.SMS_STUCK_AFTER.total_seconds() // 60),
        },
    )
