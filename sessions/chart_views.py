"""Views of the visit chart: physiotherapists only; every read and write is audited."""

import re
from functools import wraps

from django.contrib import messages
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import Http404, HttpResponseBadRequest, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from clinic import audit, links
from clinic.access import public, require_roles
from clinic.roles import Role
from intake.models import Patient
from sessions import charting
from sessions.chart_forms import (
    AddendumForm,
    AdverseEventForm,
    NoteForm,
    SafetyCheckForm,
    SignForm,
    SiteForm,
)
from sessions.models import (
    AdverseEvent,
    AftercareTemplate,
    Appointment,
    NeedlingSite,
    NoteIsSigned,
    ScheduledMessage,
    Visit,
    visit_number,
)

CLINICIAN = (Role.PHYSIO,)


def _visits():
    # Only what the chart shows: each join adds to PostgreSQL's planning time, paid on
    # every request (the author is shown, not the booked practitioner).
    return Visit.objects.select_related(
        "appointment__patient",
        "appointment__location",
        "appointment__type",
        "appointment__course",
        "safety_check__recorded_by",
        "author",
        "acknowledged_by",
    ).annotate(visit_number=visit_number("appointment"))


def _visit(pk: int) -> Visit:
    return get_object_or_404(_visits(), pk=pk)


def _chart_url(visit: Visit, anchor: str = "") -> str:
    url = reverse("sessions:chart", args=[visit.appointment_id])
    return f"{url}#{anchor}" if anchor else url


# Each form of a draft chart: the URL name it posts to, and the id of the summary its
# refusal shows (the action's #fragment), so the page opens on it, focused. A refusal of
# one field alone has no summary: that field takes the focus (chart_forms.FocusFirstError).
PARTS = {
    "safety": ("sessions:safety-check", "safety-errors"),
    "acknowledge": ("sessions:acknowledge", "screening"),
    "note": ("sessions:note-save", "note-errors"),
    "sites": ("sessions:site-add", "sites-errors"),
    "adverse": ("sessions:adverse-add", "adverse-errors"),
    "sign": ("sessions:sign", "sign-problems"),
}


def _form_actions(visit: Visit) -> dict[str, str]:
    """Where each form posts; an unsaved draft's forms post to the chart itself, whose
    first save starts the draft."""
    if visit.pk is None:
        chart_url = reverse("sessions:chart", args=[visit.appointment_id])
        return {part: f"{chart_url}?part={part}#{anchor}" for part, (_, anchor) in PARTS.items()}
    return {
        part: f"{reverse(name, args=[visit.pk])}#{anchor}" for part, (name, anchor) in PARTS.items()
    }


def _safety_initial(visit: Visit) -> dict:
    check = visit.safety_check
    if check is None:
        return {}
    return {
        "pregnancy": check.pregnancy,
        "surgery_since_last": bool(check.surgery_date),
        "surgery_date": check.surgery_date,
        "surgery_description": check.surgery_description,
        "anticoagulants": check.anticoagulants,
        "medication_notes": check.medication_notes,
        "consent_today": visit.consent_today,
    }


def _render_chart(request, visit: Visit, status: int = 200, **forms):
    appointment = visit.appointment
    appointment.visit_number = visit.visit_number  # type: ignore[attr-defined]  # "visit k of N" (with_visit_number)
    verdict = charting.visit_verdict(visit)
    authorisation = charting.authorisation_on(visit.author, visit.day)
    previous, previous_checkins = charting.previous_visit(visit)
    saved = visit.pk is not None
    context = {
        "visit": visit,
        "appointment": appointment,
        "patient": visit.patient,
        "verdict": verdict,
        "unacknowledged": charting.unacknowledged(visit, verdict),
        "authorisation": authorisation,
        "sites": list(visit.sites.select_related("muscle")) if saved else [],
        "adverse_events": list(visit.adverse_events.all()) if saved else [],
        "previous": previous,
        "previous_checkins": previous_checkins,
        "actions": _form_actions(visit),
    }
    if visit.is_signed:  # read-only, with what came after signing
        context |= {
            "addenda": list(visit.addenda.select_related("author")),
            "deliveries": list(visit.aftercare_deliveries.all()),
            "addendum_form": forms.get("addendum_form") or AddendumForm(),
        }
    else:
        context |= _draft_context(request, visit, verdict, authorisation, context["sites"], forms)
    return render(request, "sessions/chart.html", context, status=status)


def _draft_context(request, visit, verdict, authorisation, sites, forms) -> dict:
    """What a draft chart adds: the hard stops and the forms to complete it."""
    blockers = charting.needling_blockers(visit, verdict, authorised=bool(authorisation))
    problems = charting.sign_problems(visit, sites, blockers)
    templates = list(AftercareTemplate.objects.filter(is_active=True))
    template = next(iter(templates), None)
    sign_form = forms.get("sign_form") or SignForm(
        initial={
            "aftercare_template": template,
            "aftercare_text": template.body if template else "",
        }
    )
    sign_form.offer(templates)
    if sign_form.is_bound:  # a refused sign: every reason, each linked to where to fix it
        listed = {p.message for p in problems}
        problems = problems + [
            charting.Problem(
                str(error) if name == NON_FIELD_ERRORS else f"{sign_form[name].label}: {error}",
                "sign" if name == NON_FIELD_ERRORS else sign_form[name].id_for_label,
            )
            for name, errors in sign_form.errors.items()
            for error in errors
            if error not in listed
        ]
    return {
        "blockers": blockers,
        "sign_problems": problems,
        "sign_refused": sign_form.is_bound,
        "safety_form": forms.get("safety_form")
        or SafetyCheckForm(initial=_safety_initial(visit), visit=visit),
        "note_form": forms.get("note_form") or NoteForm(instance=visit),
        "site_form": forms.get("site_form") or SiteForm(visit=visit),
        "adverse_form": forms.get("adverse_form") or AdverseEventForm(),
        "sign_form": sign_form,
        "templates": templates,
    }


@require_roles(*CLINICIAN)
@require_http_methods(["GET", "POST"])
def chart(request, appointment_pk: int):
    """The chart of an appointment. Reading it creates nothing: until something is saved
    the draft is unsaved, and its forms post here (``?part=``) to start it."""
    visit = _visits().filter(appointment_id=appointment_pk).first()
    if visit is None:
        appointment = get_object_or_404(
            Appointment.objects.select_related(
                "patient", "location", "type", "course"
            ).with_visit_number(),
            pk=appointment_pk,
        )
        try:
            visit = charting.visit_for(appointment=appointment, author=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("intake:patient-detail", appointment.patient_id)
        visit.visit_number = appointment.visit_number  # type: ignore[attr-defined]  # with_visit_number
    if request.method == "POST":
        handler = FORM_HANDLERS.get(request.GET.get("part", ""))
        if handler is None:
            return HttpResponseBadRequest("Unknown part of the chart.")
        return _handle(handler, request, visit)
    audit.record(request, audit.Action.VIEW, obj=visit if visit.pk else visit.appointment)
    return _render_chart(request, visit)


def _by_visit_id(handler):
    """The POST view for one form of a saved draft, found by the visit's id."""

    @require_roles(*CLINICIAN)
    @require_POST
    @wraps(handler)
    def view(request, pk: int):
        return _handle(handler, request, _visit(pk))

    return view


def _handle(handler, request, visit: Visit):
    """Run one chart form's handler. A note signed meanwhile (another tab, a double
    click on Sign) is refused as any signed note is: 409 to autosave, else the message."""
    try:
        return handler(request, visit)
    except NoteIsSigned:
        if request.headers.get("X-Autosave") == "1":
            return JsonResponse({"error": NoteIsSigned.MESSAGE}, status=409)
        messages.error(request, NoteIsSigned.MESSAGE)
        return redirect(_chart_url(visit, "addenda"))


def _refuse_if_signed(request, visit: Visit):
    if visit.is_signed:
        messages.error(request, NoteIsSigned.MESSAGE)
        return redirect(_chart_url(visit, "addenda"))
    return None


def _safety_check(request, visit: Visit):
    if refusal := _refuse_if_signed(request, visit):
        return refusal
    form = SafetyCheckForm(request.POST, visit=visit)
    if not form.is_valid():
        return _render_chart(request, visit, safety_form=form)
    data = form.cleaned_data
    visit = charting.visit_start(visit=visit)
    charting.visit_safety_check(
        visit=visit,
        by=request.user,
        pregnancy=data["pregnancy"],
        surgery_date=data["surgery_date"],
        surgery_description=data["surgery_description"],
        anticoagulants=data["anticoagulants"],
        medication_notes=data["medication_notes"],
        consent_today=data["consent_today"],
    )
    audit.record(request, audit.Action.UPDATE, obj=visit, detail="safety check")
    messages.success(request, "Safety check recorded; the screening below is up to date.")
    return redirect(_chart_url(visit, "screening"))


def _acknowledge(request, visit: Visit):
    if refusal := _refuse_if_signed(request, visit):
        return refusal
    visit = charting.visit_start(visit=visit)
    codes = charting.visit_acknowledge(visit=visit, by=request.user)
    audit.record(request, audit.Action.UPDATE, obj=visit, detail="precautions: " + ", ".join(codes))
    messages.success(request, "Precautions acknowledged.")
    return redirect(_chart_url(visit, "screening"))


def _note_save(request, visit: Visit):
    """Save the draft note; answers JSON to the autosave script."""
    autosave = request.headers.get("X-Autosave") == "1"
    if visit.is_signed:
        if autosave:
            return JsonResponse({"error": NoteIsSigned.MESSAGE}, status=409)
        return _refuse_if_signed(request, visit)
    form = NoteForm(request.POST, instance=visit)
    if not form.is_valid():
        if autosave:
            return JsonResponse({"errors": form.errors}, status=400)
        return _render_chart(request, visit, note_form=form)
    visit = charting.visit_note_save(visit=visit, **form.cleaned_data)
    audit.record(request, audit.Action.UPDATE, obj=visit, detail="autosave" if autosave else "note")
    if autosave:
        return JsonResponse({"saved": timezone.localtime().strftime("%H:%M:%S")})
    messages.success(request, "Draft saved.")
    return redirect(_chart_url(visit, "note"))


def _site_add(request, visit: Visit):
    if refusal := _refuse_if_signed(request, visit):
        return refusal
    form = SiteForm(request.POST, visit=visit)
    if not form.is_valid():  # the model's clean() holds the hard stops
        return _render_chart(request, visit, site_form=form)
    site = charting.site_add(visit=visit, **form.cleaned_data)
    audit.record(request, audit.Action.CREATE, obj=site, patient=visit.patient)
    messages.success(request, f"Site added: {site}.")
    return redirect(_chart_url(site.visit, "sites"))


@require_roles(*CLINICIAN)
@require_POST
def site_remove(request, pk: int):
    site = NeedlingSite.objects.select_related("visit").filter(pk=pk).first()
    if site is None:  # removed already (a double click): back to the chart it was on
        visit_pk = request.POST.get("visit", "")
        if not re.fullmatch(r"[0-9]{1,18}", visit_pk):
            raise Http404("No such site")
        messages.info(request, "That site was already removed.")
        return redirect(_chart_url(_visit(int(visit_pk)), "sites"))
    if refusal := _refuse_if_signed(request, site.visit):
        return refusal
    charting.site_remove(site=site)
    audit.record(request, audit.Action.UPDATE, obj=site.visit, detail=f"site removed: {site}")
    return redirect(_chart_url(site.visit, "sites"))


@require_roles(*CLINICIAN)
@require_POST
def links_revoke(request, pk: int):
    visit = _visit(pk)
    stopped = charting.visit_links_revoke(visit=visit)
    audit.record(request, audit.Action.UPDATE, obj=visit, detail=f"links stopped: {stopped}")
    messages.success(request, "The aftercare and check-in links of this visit no longer work.")
    return redirect(_chart_url(visit, "aftercare"))


def _adverse_event_add(request, visit: Visit):
    if refusal := _refuse_if_signed(request, visit):
        return refusal
    form = AdverseEventForm(request.POST)
    if not form.is_valid():
        return _render_chart(request, visit, adverse_form=form)
    event = charting.adverse_event_add(visit=visit, **form.cleaned_data)
    audit.record(request, audit.Action.CREATE, obj=event, patient=visit.patient)
    messages.success(request, "Adverse event recorded.")
    return redirect(_chart_url(event.visit, "adverse"))


def _template_use(request, visit: Visit):
    """The sign form again with the chosen template's text, the rest as typed (no write)."""
    chosen = request.POST.get("aftercare_template", "")
    template = (
        AftercareTemplate.objects.filter(is_active=True, pk=chosen).first()
        if re.fullmatch(r"[0-9]{1,18}", chosen)
        else None
    )
    form = SignForm(
        initial={
            "aftercare_template": template,
            "aftercare_text": template.body if template else request.POST.get("aftercare_text"),
            "home_exercises": request.POST.get("home_exercises", ""),
        }
    )
    audit.record(request, audit.Action.VIEW, obj=visit if visit.pk else visit.appointment)
    return _render_chart(request, visit, sign_form=form)


def _sign(request, visit: Visit):
    if refusal := _refuse_if_signed(request, visit):
        return refusal
    if "use_template" in request.POST:
        return _template_use(request, visit)
    form = SignForm(request.POST)
    if form.is_valid():
        try:
            charting.visit_sign(visit=visit, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            audit.record(request, audit.Action.SIGN, obj=visit)
            messages.success(request, "The note is signed and locked; the aftercare is on its way.")
            return redirect(_chart_url(visit, "top"))
    return _render_chart(request, visit, sign_form=form)


FORM_HANDLERS = {
    "safety": _safety_check,
    "acknowledge": _acknowledge,
    "note": _note_save,
    "sites": _site_add,
    "adverse": _adverse_event_add,
    "sign": _sign,
}
safety_check = _by_visit_id(_safety_check)
acknowledge = _by_visit_id(_acknowledge)
note_save = _by_visit_id(_note_save)
site_add = _by_visit_id(_site_add)
adverse_event_add = _by_visit_id(_adverse_event_add)
sign = _by_visit_id(_sign)


@require_roles(*CLINICIAN)
@require_POST
def addendum_add(request, pk: int):
    visit = _visit(pk)
    form = AddendumForm(request.POST)
    if form.is_valid():
        try:
            addendum = charting.addendum_add(visit=visit, author=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            audit.record(request, audit.Action.UPDATE, obj=visit, detail=f"addendum {addendum.pk}")
            messages.success(request, "Addendum added.")
            return redirect(_chart_url(visit, "addenda"))
    return _render_chart(request, visit, addendum_form=form)


@require_roles(*CLINICIAN)
def timeline(request, patient_pk: int):
    patient = get_object_or_404(Patient, pk=patient_pk)
    visits = list(
        Visit.objects.filter(appointment__patient=patient)
        .select_related("appointment__type", "appointment__course", "author")
        .annotate(number=visit_number("appointment"))
        # Into plain lists (to_attr): a prefetched manager costs a queryset clone per visit
        # each time the template reads it.
        .prefetch_related(
            Prefetch(
                "sites", queryset=NeedlingSite.objects.select_related("muscle"), to_attr="site_list"
            ),
            Prefetch("adverse_events", to_attr="adverse_event_list"),
            Prefetch("addenda", to_attr="addendum_list"),
            Prefetch(
                "messages",
                queryset=ScheduledMessage.objects.filter(kind=ScheduledMessage.Kind.CHECKIN)
                .order_by("due_at")
                .prefetch_related(Prefetch("answers", to_attr="answer_list")),
                to_attr="checkins",
            ),
        )
        .order_by("appointment__start")
    )
    audit.record(request, audit.Action.VIEW, obj=patient, detail="chart timeline")
    return render(
        request,
        "sessions/timeline.html",
        {"patient": patient, "visits": visits, "chart": charting.pain_chart(visits)},
    )


@require_roles(*CLINICIAN)
def visit_print(request, pk: int):
    visit = _visit(pk)
    audit.record(request, audit.Action.EXPORT, obj=visit, detail="printable record")
    return render(
        request,
        "sessions/visit_print.html",
        {
            "visit": visit,
            "sites": visit.sites.select_related("muscle"),
            "adverse_events": visit.adverse_events.all(),
            "addenda": visit.addenda.select_related("author"),
        },
    )


@require_roles(*CLINICIAN)
def adverse_events(request):
    events = AdverseEvent.objects.select_related(
        "visit__appointment__patient", "visit__author"
    ).order_by("-created_at")
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    audit.record(request, audit.Action.VIEW, detail="adverse events list")
    return render(request, "sessions/adverse_events.html", {"page": page})


@public
def aftercare(request, token: str):
    delivery = charting.delivery_from_token(token)
    if delivery is None:
        return links.refuse(request)
    audit.record(
        request, audit.Action.VIEW, obj=delivery.visit, actor_role="patient", detail="aftercare"
    )
    return render(request, "sessions/aftercare.html", {"visit": delivery.visit})
