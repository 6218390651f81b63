"""The patient's questionnaire page (``q/<token>/``), phone first: one form for any
instrument, answers kept with every "Save and continue later", scored and locked on
"Submit". Public: the signed link is the key; a bad, expired or withdrawn link gets
``clinic.links.refuse``, a finished one a thank-you (never the answers again)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from clinic import audit, links
from clinic.access import public
from clinic.form_errors import add_refusal
from sessions.outcomes import instruments, services
from sessions.outcomes.forms import QuestionnaireForm
from sessions.outcomes.links import questionnaire_from_token
from sessions.outcomes.models import Questionnaire


def _thanks(request: HttpRequest, questionnaire: Questionnaire) -> HttpResponse:
    tablet = questionnaire.trigger == Questionnaire.Trigger.TABLET
    return render(request, "outcomes/q_done.html", {"tablet": tablet})


@public
@require_http_methods(["GET", "POST"])
def questionnaire_page(request: HttpRequest, token: str) -> HttpResponse:
    questionnaire = questionnaire_from_token(token)
    if questionnaire is None:
        return links.refuse(request)
    now = timezone.now()
    status = services.questionnaire_status(questionnaire, now)
    if status == services.Status.DONE:
        return _thanks(request, questionnaire)
    if status != services.Status.SENT and status != services.Status.STARTED:
        return links.refuse(request)
    instrument = instruments.get(questionnaire.instrument)
    if not services.can_send(instrument):  # its licensed wording was taken away since
        return links.refuse(request)
    if request.method != "POST":
        audit.record(request, audit.Action.VIEW, obj=questionnaire, actor_role="patient")
        # On a clinic tablet the answers saved so far are never shown again: whoever
        # holds the tablet next (the front desk it is handed back to) must not read them.
        tablet = questionnaire.trigger == Questionnaire.Trigger.TABLET
        initial = {} if tablet else questionnaire.answers
        form = QuestionnaireForm(initial=initial, instrument=instrument)
        return _page(request, questionnaire, form, token)
    form = QuestionnaireForm(request.POST, instrument=instrument)
    form.is_valid()  # a choice not offered is dropped and marked; the rest is kept
    try:
        questionnaire = services.questionnaire_save(
            questionnaire=questionnaire, answers=form.answers(), now=now
        )
    except ValidationError as exc:  # it expired or was finished in another tab
        messages.error(request, " ".join(exc.messages))
        return redirect("sessions:questionnaire", token)
    audit.record(
        request, audit.Action.UPDATE, obj=questionnaire, actor_role="patient", detail="saved"
    )
    if "submit" not in request.POST:
        return render(request, "outcomes/q_saved.html", {"token": token})
    try:
        services.questionnaire_submit(questionnaire=questionnaire, now=now)
    except ValidationError as exc:
        add_refusal(form, exc)
        return _page(request, questionnaire, form, token)
    audit.record(
        request, audit.Action.SIGN, obj=questionnaire, actor_role="patient", detail="submitted"
    )
    return redirect("sessions:questionnaire", token)


def _page(
    request: HttpRequest, questionnaire: Questionnaire, form: QuestionnaireForm, token: str
) -> HttpResponse:
    instrument = form.instrument
    return render(
        request,
        "outcomes/q_fill.html",
        {
            "questionnaire": questionnaire,
            "instrument": instrument,
            "form": form,
            "token": token,
            "tablet": questionnaire.trigger == Questionnaire.Trigger.TABLET,
            # The first question in error takes the focus (its first answer).
            "first_error": next((key for key in form.fields if key in form.errors), ""),
        },
    )
