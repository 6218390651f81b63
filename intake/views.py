from typing import Any, cast

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.datastructures import MultiValueDict
from django.views.decorators.http import require_POST

from clinic import audit, clock, links, once
from clinic.access import public, require_roles
from clinic.roles import Role, has_role
from intake import selectors, services
from intake.answers import IntakeAnswers
from intake.forms import (
    STEP_SLUGS,
    STEP_TITLES,
    STEPS,
    BaseSurgeryFormSet,
    ConsentStep,
    MessagesForm,
    PatientForm,
    PatientSearchForm,
    SurgeryFormSet,
)
from intake.models import ConsentText, Intake, IntakeInvitation, Patient, SmsConsentEvent
from intake.screening import RULES

REGISTRY = (Role.FRONT_DESK, Role.PHYSIO)


@require_roles(*REGISTRY)
def patient_list(request):
    form = PatientSearchForm(request.GET or None)
    patients = Patient.objects.none()
    query = ""
    if form.is_valid() and form.cleaned_data["q"]:
        query = form.cleaned_data["q"]
        patients = Patient.objects.search(query)
    elif not request.GET.get("q"):
        patients = Patient.objects.order_by("-created_at", "-id")
    page = Paginator(patients, 25).get_page(request.GET.get("page"))
    return render(
        request,
        "intake/patient_list.html",
        {
            "form": form,
            "page": page,
            "query": query,
            "show_phone_fixes": has_role(request.user, Role.FRONT_DESK, Role.ADMIN),
        },
    )


@require_roles(*REGISTRY)
def patient_create(request):
    form = PatientForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            with once.claim(request) as claim:
                patient = services.patient_create(
                    patient=form.save(commit=False),
                    confirmed_different=form.confirmed_different,
                    sms_consent=form.consents_to_sms,
                    by=request.user,
                )
                claim.result_url = reverse("intake:patient-detail", args=[patient.pk])
        except once.Replayed as replay:
            return replay.response(request, fallback=reverse("intake:patient-list"))
        except services.PossibleDuplicates as exc:
            form.show_duplicates(exc)
        else:
            detail = "SMS consent given" if form.consents_to_sms else ""
            audit.record(request, audit.Action.CREATE, obj=patient, detail=detail)
            messages.success(request, f"{patient} is registered.")
            return redirect(claim.result_url)
    return render(request, "intake/patient_form.html", {"form": form})


@require_roles(*REGISTRY)
def patient_edit(request, pk: int):
    patient = get_object_or_404(Patient, pk=pk)
    form = PatientForm(request.POST or None, instance=patient)
    if request.method == "POST" and form.is_valid():
        form.save()
        audit.record(request, audit.Action.UPDATE, obj=patient)
        messages.success(request, "The patient's details are saved.")
        return redirect("intake:patient-detail", patient.pk)
    return render(request, "intake/patient_form.html", {"form": form, "patient": patient})


@require_roles(*REGISTRY)
@require_POST
def intake_send(request, pk: int):
    patient = get_object_or_404(Patient, pk=pk)
    detail_url = reverse("intake:patient-detail", args=[patient.pk])
    try:
        with once.claim(request) as claim:
            invitation = services.intake_invite(patient=patient, sent_by=request.user)
            claim.result_url = detail_url
    except once.Replayed as replay:
        return replay.response(request, fallback=detail_url)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        audit.record(request, audit.Action.CREATE, obj=invitation.intake, detail="link sent")
        messages.success(request, f"The intake link was sent to {invitation.email}.")
    return redirect(detail_url)


@require_roles(*REGISTRY)
@require_POST
def invitation_revoke(request, pk: int):
    invitation = get_object_or_404(IntakeInvitation.objects.select_related("intake"), pk=pk)
    services.invitation_revoke(invitation=invitation)
    audit.record(request, audit.Action.UPDATE, obj=invitation.intake, detail="link revoked")
    messages.success(request, "The link is revoked; it no longer opens the intake.")
    return redirect("intake:patient-detail", invitation.intake.patient_id)


@require_roles(Role.PHYSIO)
def intake_summary(request, pk: int):
    intake = get_object_or_404(
        Intake.objects.select_related("patient", "consent"), pk=pk, status=Intake.Status.SUBMITTED
    )
    audit.record(request, audit.Action.VIEW, obj=intake)
    verdict = services.patient_verdict(intake.patient, clock.clinic_today()).verdict
    return render(
        request,
        "intake/intake_summary.html",
        {
            "intake": intake,
            "sections": selectors.answer_sections(intake.answers),
            "verdict": verdict,
        },
    )


def _refused(form, exc: ValidationError) -> None:
    """Put a service's refusal on the form: by field where the form has it."""
    for name, problems in exc.message_dict.items():
        form.add_error(name if name in form.fields else None, problems)


@require_roles(*REGISTRY)
def patient_messages(request, pk: int):
    patient = get_object_or_404(Patient, pk=pk)
    if request.method == "POST" and "revoke_links" in request.POST:
        count = services.messages_links_revoke(patient=patient)
        audit.record(request, audit.Action.UPDATE, obj=patient, detail="message links revoked")
        messages.success(request, f"{count} message link(s) stopped.")
        return redirect("intake:patient-messages", patient.pk)
    form = MessagesForm(request.POST or None, patient=patient, for_patient=False)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            events = services.patient_messages_set(
                patient=patient,
                reminder_channel=data["reminder_channel"],
                checkin_channel=data["checkin_channel"],
                sms_consent=data["sms_consent"],
                source=SmsConsentEvent.Source.FRONT_DESK,
                by=request.user,
            )
        except ValidationError as exc:
            _refused(form, exc)
        else:
            detail = "; ".join(["messages", *(e.get_kind_display() for e in events)])
            audit.record(request, audit.Action.UPDATE, obj=patient, detail=detail)
            messages.success(request, "The patient's message choices are saved.")
            return redirect("intake:patient-detail", patient.pk)
    if request.method != "POST":
        audit.record(request, audit.Action.VIEW, obj=patient, detail="message choices")
    history = patient.sms_consent_events.select_related("recorded_by").order_by("-at", "-id")
    return render(
        request,
        "intake/patient_messages.html",
        {"patient": patient, "form": form, "events": history[:50]},
    )


@require_roles(Role.FRONT_DESK, Role.ADMIN)
def phones_to_fix(request):
    patients = Patient.objects.filter(phone_unreadable=True).order_by(
        "legal_last_name", "legal_first_name", "id"
    )
    listed = patients.only("legal_last_name", "legal_first_name", "preferred_name", "phone")
    page = Paginator(listed, 50).get_page(request.GET.get("page"))
    audit.record(request, audit.Action.VIEW, detail=f"phones to fix, page {page.number}")
    return render(
        request,
        "intake/phones_to_fix.html",
        {"page": page, "can_edit": has_role(request.user, *REGISTRY)},
    )


@require_roles(Role.ADMIN, Role.PHYSIO)
def screening_rules(request):
    return render(request, "intake/screening_rules.html", {"rules": RULES})


# --- The patient's side: reached only through a signed link -----------------------


def _typed(request, form) -> dict:
    """What was typed into this step's own fields (NUL characters dropped), kept as a draft."""
    if isinstance(form, SurgeryFormSet):
        keep = [k for k in request.POST if k.startswith(f"{form.prefix}-")]
    else:
        keep = [k for k in form.fields if k in request.POST]
    return {k: [v.replace("\x00", "") for v in request.POST.getlist(k)] for k in keep}


def _step_form(step: str, intake: Intake, data=None):
    """The step's form: bound to ``data``, else to unfinished typing, else the answers."""
    form_class = dict(STEPS)[step]
    if data is None and step in intake.drafts:
        data = MultiValueDict(intake.drafts[step])
    initial = IntakeAnswers.from_json(intake.answers).initial(step)
    if issubclass(form_class, BaseSurgeryFormSet):  # the surgeries step
        rows = cast(list[dict[str, Any]], initial)  # IntakeAnswers.initial: the rows
        return SurgeryFormSet(
            data, initial=rows, prefix="surgeries", form_kwargs={"patient": intake.patient}
        )
    return form_class(data, initial=initial, patient=intake.patient)


def _open_intake(request, token: str):
    """(invitation, None) for a usable link, else (None, the page to show instead)."""
    invitation = services.invitation_from_token(token)
    if invitation is None:
        return None, links.refuse(request)
    if invitation.intake.is_submitted:
        context = {
            "intake": invitation.intake,
            "token": token if invitation.takes_documents() else None,
        }
        return None, render(request, "intake/fill_done.html", context)
    if not invitation.is_usable():
        return None, links.refuse(request)
    services.invitation_mark_opened(invitation=invitation)
    return invitation, None


def _steps_nav(intake: Intake, current: str) -> list[dict]:
    answers = IntakeAnswers.from_json(intake.answers)
    return [
        {
            "slug": slug,
            "title": STEP_TITLES[slug],
            "done": answers.has(slug),
            "current": slug == current,
        }
        for slug in [*STEP_SLUGS, "consent"]
    ]


@public
def intake_fill(request, token: str, step: str | None = None):
    invitation, refusal = _open_intake(request, token)
    if refusal:
        return refusal
    intake = invitation.intake
    if step is None:
        step = next(iter(IntakeAnswers.from_json(intake.answers).missing(STEP_SLUGS)), "consent")
        return redirect("intake:fill-step", token, step)
    if step == "consent":
        return _consent(request, token, invitation)
    if step not in STEP_SLUGS:
        raise Http404("No such step")
    form = _step_form(step, intake, request.POST if request.method == "POST" else None)
    if request.method == "POST":
        valid, later = form.is_valid(), "later" in request.POST
        try:
            services.intake_save_step(
                intake=intake,
                step=step,
                answers=form.answers() if valid else None,
                typed=None if valid else _typed(request, form),
            )
        except ValidationError as exc:
            # Not kept: the page is shown again with everything typed and the reason.
            messages.error(request, " ".join(exc.messages))
            valid = later = False
        else:
            audit.record(
                request,
                audit.Action.UPDATE,
                obj=intake,
                actor_role="patient",
                detail=f"step {step}",
            )
        if later:
            return render(request, "intake/fill_saved.html", {"intake": intake, "token": token})
        if valid:
            if "add_row" in request.POST:
                return redirect("intake:fill-step", token, step)
            index = STEP_SLUGS.index(step)
            following = STEP_SLUGS[index + 1] if index + 1 < len(STEP_SLUGS) else "consent"
            return redirect("intake:fill-step", token, following)
    else:
        audit.record(
            request, audit.Action.VIEW, obj=intake, actor_role="patient", detail=f"step {step}"
        )
    index = STEP_SLUGS.index(step)
    return render(
        request,
        "intake/fill_step.html",
        {
            "intake": intake,
            "token": token,
            "step": step,
            "title": STEP_TITLES[step],
            "form": form,
            "is_formset": isinstance(form, SurgeryFormSet),
            "number": index + 1,
            "total": len(STEP_SLUGS) + 1,
            "previous": STEP_SLUGS[index - 1] if index else None,
            "nav": _steps_nav(intake, step),
        },
    )


def _consent(request, token: str, invitation: IntakeInvitation):
    intake = invitation.intake
    consent = ConsentText.current()
    form = ConsentStep(request.POST or None)
    missing = IntakeAnswers.from_json(intake.answers).missing(STEP_SLUGS)
    if request.method == "POST" and form.is_valid() and consent and not missing:
        try:
            services.intake_submit(
                intake=intake,
                consent=consent,
                signature_name=form.cleaned_data["signature_name"],
                ip=audit.client_ip(request),
                required_steps=STEP_SLUGS,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            audit.record(
                request, audit.Action.SIGN, obj=intake, actor_role="patient", detail="submitted"
            )
            return redirect("intake:fill-step", token, "consent")
    return render(
        request,
        "intake/fill_consent.html",
        {
            "intake": intake,
            "token": token,
            "consent": consent,
            "form": form,
            "missing": [(s, STEP_TITLES[s]) for s in missing],
            "number": len(STEP_SLUGS) + 1,
            "total": len(STEP_SLUGS) + 1,
            "nav": _steps_nav(intake, "consent"),
            "title": STEP_TITLES["consent"],
        },
    )


# --- The patient's message choices, reached through a message's signed link -----------


@public
def messages_page(request, token: str):
    link = services.messages_link_from_token(token)
    if link is None:
        return links.refuse(request)
    patient = link.patient
    form = MessagesForm(request.POST or None, patient=patient, for_patient=True)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            events = services.patient_messages_set(
                patient=patient,
                reminder_channel=data["reminder_channel"],
                checkin_channel=data["checkin_channel"],
                sms_consent=data["sms_consent"],
                mobile=data["mobile"] or "",
                # Opened from the online booking's last page: consent given while booking.
                source=SmsConsentEvent.Source.ONLINE_BOOKING
                if request.GET.get("via") == "booking"
                else SmsConsentEvent.Source.PATIENT_LINK,
                by=None,
            )
        except ValidationError as exc:
            _refused(form, exc)
        else:
            detail = "; ".join(["messages", *(e.get_kind_display() for e in events)])
            audit.record(
                request, audit.Action.UPDATE, obj=patient, actor_role="patient", detail=detail
            )
            return render(request, "intake/messages_saved.html", {"patient": patient})
    elif request.method != "POST":
        audit.record(
            request, audit.Action.VIEW, obj=patient, actor_role="patient", detail="messages"
        )
    return render(request, "intake/messages.html", {"patient": patient, "form": form})
