"""Views of the visit chart: physiotherapists only; every read and write is audited."""

import re
from functools import wraps

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import HttpResponseBadRequest, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from clinic import audit, links, once
from clinic.access import public, require_roles
from clinic.clock import clinic_localtime
from clinic.roles import CLINICAL
from intake.models import Patient
from sessions.booking.models import Appointment, visit_number
from sessions.charting import aftercare as aftercare_links
from sessions.charting import page, selectors, services, sites
from sessions.charting.catalogue import AftercareTemplate
from sessions.charting.forms import (
    AddendumForm,
    AdverseEventForm,
    NoteForm,
    SafetyCheckForm,
    SignForm,
    SiteForm,
)
from sessions.charting.models import (
    AdverseEvent,
    NeedlingSite,
    Visit,
)
from sessions.charting.refusals import (
    REFUSALS,
    chart_visits,
    draft_version,
    refused,
    visit_or_404,
)
from sessions.documents.selectors import timeline_documents
from sessions.followups.models import ScheduledMessage
from sessions.outcomes.report_pages import timeline_measures


@require_roles(*CLINICAL)
@require_http_methods(["GET", "POST"])
def chart(request, appointment_pk: int):
    """The chart of an appointment. Reading it creates nothing: until something is saved
    the draft is unsaved, and its forms post here (``?part=``) to start it."""
    visit = chart_visits().filter(appointment_id=appointment_pk).first()
    if visit is None:
        appointment = get_object_or_404(
            Appointment.objects.select_related(
                "patient", "location", "type", "course"
            ).with_visit_number(),
            pk=appointment_pk,
        )
        try:
            visit = services.visit_for(appointment=appointment, author=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("intake:patient-detail", appointment.patient_id)
        visit.visit_number = appointment.visit_number  # type: ignore[attr-defined]  # with_visit_number()
    if request.method == "POST":
        handler = FORM_HANDLERS.get(request.GET.get("part", ""))
        if handler is None:
            return HttpResponseBadRequest("Unknown part of the chart.")
        return _handle(handler, request, visit)
    audit.record(request, audit.Action.VIEW, obj=visit if visit.pk else visit.appointment)
    return page.render_chart(request, visit)


def _by_visit_id(handler):
    """The POST view for one form of a saved draft, found by the visit's id."""

    @require_roles(*CLINICAL)
    @require_POST
    @wraps(handler)
    def view(request, pk: int):
        return _handle(handler, request, visit_or_404(pk))

    return view


def _handle(handler, request, visit: Visit):
    """Run one chart form's handler, once the visit is one ``request.user`` may write
    (before its form is read); a write refused, here or by its service, is answered by
    ``refused``. A form whose one-time token was spent already is answered with where
    it led (``clinic.once``)."""
    replay = once.replay_of(request)
    if replay is not None:  # a form sent again once it was saved (Sign pressed twice)
        return replay.response(request, page.chart_url(visit, "top"))
    try:
        services.visit_check_writable(visit=visit, by=request.user)
        return handler(request, visit)
    except REFUSALS as exc:
        return refused(request, visit, exc, **_typed(request, visit))


# The forms an unsaved chart posts (``?part=``), bound as typed: a post that finds the
# draft started by someone else meanwhile is refused with the typing shown back.
TYPED = {
    "safety": lambda request, visit: SafetyCheckForm(request.POST, visit=visit),
    "note": lambda request, visit: NoteForm(request.POST),
    "sites": lambda request, visit: SiteForm(request.POST, visit=visit),
    "adverse": lambda request, visit: AdverseEventForm(request.POST),
    "sign": lambda request, visit: SignForm(request.POST),
}


def _typed(request, visit: Visit) -> dict:
    part = request.GET.get("part", "")
    typed = {"typed_form": TYPED[part](request, visit)} if part in TYPED else {}
    if part == "sign":  # Sign carries the note typed beside it
        typed["typed_note"] = NoteForm(request.POST)
    return typed


def _safety_check(request, visit: Visit):
    form = SafetyCheckForm(request.POST, visit=visit)
    if not form.is_valid():
        return page.render_chart(request, visit, safety_form=form)
    data = form.cleaned_data
    try:
        visit = services.visit_start(visit=visit)
        services.visit_safety_check(
            visit=visit,
            by=request.user,
            pregnancy=data["pregnancy"],
            surgery_date=data["surgery_date"],
            surgery_description=data["surgery_description"],
            anticoagulants=data["anticoagulants"],
            medication_notes=data["medication_notes"],
            consent_today=data["consent_today"],
            version=draft_version(request),
        )
    except REFUSALS as exc:
        return refused(request, visit, exc, safety_form=form)
    audit.record(request, audit.Action.UPDATE, obj=visit, detail="safety check")
    messages.success(request, "Safety check recorded; the screening below is up to date.")
    return redirect(page.chart_url(visit, "screening"))


def _acknowledge(request, visit: Visit):
    try:
        visit = services.visit_start(visit=visit)
        codes = services.visit_acknowledge(
            visit=visit, by=request.user, version=draft_version(request)
        )
    except REFUSALS as exc:
        return refused(request, visit, exc, "screening")
    audit.record(request, audit.Action.UPDATE, obj=visit, detail="precautions: " + ", ".join(codes))
    messages.success(request, "Precautions acknowledged.")
    return redirect(page.chart_url(visit, "screening"))


def _note_save(request, visit: Visit):
    """Save the draft note; answers JSON to the autosave script."""
    autosave = request.headers.get("X-Autosave") == "1"
    form = NoteForm(request.POST, instance=visit)
    if not form.is_valid():
        if autosave:
            return JsonResponse({"errors": form.errors}, status=400)
        return page.render_chart(request, visit, note_form=form)
    try:
        visit = services.visit_note_save(
            visit=visit, by=request.user, version=draft_version(request), **form.cleaned_data
        )
    except REFUSALS as exc:
        return refused(request, visit, exc, note_form=form)
    audit.record(request, audit.Action.UPDATE, obj=visit, detail="autosave" if autosave else "note")
    if autosave:
        return JsonResponse(
            {
                "saved": clinic_localtime().strftime("%H:%M:%S"),
                "version": visit.version,
                "blockers": page.sign_blockers(visit),
            }
        )
    messages.success(request, "Draft saved.")
    return redirect(page.chart_url(visit, "note"))


def _site_add(request, visit: Visit):
    form = SiteForm(request.POST, visit=visit)
    if not form.is_valid():  # the model's clean() holds the hard stops
        return page.render_chart(request, visit, site_form=form)
    try:
        site = sites.site_add(
            visit=visit, by=request.user, version=draft_version(request), **form.cleaned_data
        )
    except REFUSALS as exc:
        return refused(request, visit, exc, site_form=form)
    except ValidationError as exc:  # a hard stop, weighed again under the draft's lock
        form.add_error(None, exc)
        return page.render_chart(request, visit, site_form=form)
    audit.record(request, audit.Action.CREATE, obj=site, patient=visit.patient)
    messages.success(request, f"Site added: {site}.")
    return redirect(page.chart_url(site.visit, "sites"))


@require_roles(*CLINICAL)
@require_POST
def links_revoke(request, pk: int):
    """Stop a visit's patient links. Any physiotherapist may: it changes no record, only
    kills links (a wrong address, say), and cannot wait for the author's next shift."""
    visit = visit_or_404(pk)
    stopped = aftercare_links.visit_links_revoke(visit=visit)
    audit.record(request, audit.Action.UPDATE, obj=visit, detail=f"links stopped: {stopped}")
    messages.success(request, "The aftercare and check-in links of this visit no longer work.")
    return redirect(page.chart_url(visit, "aftercare"))


def _adverse_event_add(request, visit: Visit):
    form = AdverseEventForm(request.POST)
    if not form.is_valid():
        return page.render_chart(request, visit, adverse_form=form)
    try:
        event = services.adverse_event_add(
            visit=visit, by=request.user, version=draft_version(request), **form.cleaned_data
        )
    except REFUSALS as exc:
        return refused(request, visit, exc, adverse_form=form)
    audit.record(request, audit.Action.CREATE, obj=event, patient=visit.patient)
    messages.success(request, "Adverse event recorded.")
    return redirect(page.chart_url(event.visit, "adverse"))


def _template_use(request, visit: Visit):
    """The sign form again with the chosen template's text, the rest as typed (no write;
    refused as the sign form is, by ``_handle``)."""
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
    return page.render_chart(request, visit, sign_form=form)


def _note_with_sign(request, visit: Visit):
    """Save the note typed on the page that pressed Sign (its fields come with the
    press: the Sign button belongs to the note's form), so typing not yet autosaved,
    or typed without a script, is kept whatever signing says. Returns (the visit as
    saved, its version now, None), or (visit, None, the chart's answer) when the note
    is refused: its fields marked, or the conflict with the typing shown."""
    version = draft_version(request)
    if not any(name in request.POST for name in NoteForm.base_fields):
        return visit, version, None  # an older page: the sign form alone
    note_form = NoteForm(request.POST, instance=visit)
    sign_form = SignForm(request.POST)
    if not note_form.is_valid():
        sign_form.is_valid()
        return (
            visit,
            None,
            page.render_chart(request, visit, note_form=note_form, sign_form=sign_form),
        )
    try:
        visit = services.visit_note_save(
            visit=visit, by=request.user, version=version, **note_form.cleaned_data
        )
    except REFUSALS as exc:
        answer = refused(request, visit, exc, "sign", note_form=note_form, sign_form=sign_form)
        return visit, None, answer
    audit.record(request, audit.Action.UPDATE, obj=visit, detail="note, with sign")
    return visit, visit.version, None


def _sign(request, visit: Visit):
    visit, version, answer = _note_with_sign(request, visit)
    if answer is not None:
        return answer
    if "use_template" in request.POST:
        return _template_use(request, visit)
    form = SignForm(request.POST)
    if form.is_valid():
        try:
            with once.claim(request) as claim:
                services.visit_sign(
                    visit=visit,
                    by=request.user,
                    version=version,
                    **form.cleaned_data,
                )
                claim.result_url = page.chart_url(visit, "top")
        except REFUSALS as exc:
            return refused(request, visit, exc, "sign", sign_form=form)
        except ValidationError as exc:  # what stands in the way of signing
            form.add_error(None, exc)
        else:
            audit.record(request, audit.Action.SIGN, obj=visit)
            messages.success(request, "The note is signed and locked; the aftercare is on its way.")
            return redirect(page.chart_url(visit, "top"))
    return page.render_chart(request, visit, sign_form=form)


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


@require_roles(*CLINICAL)
@require_POST
def addendum_add(request, pk: int):
    visit = visit_or_404(pk)
    form = AddendumForm(request.POST)
    if form.is_valid():
        try:
            addendum = services.addendum_add(visit=visit, author=request.user, **form.cleaned_data)
        except REFUSALS as exc:
            return refused(request, visit, exc, "addenda")
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            audit.record(request, audit.Action.UPDATE, obj=visit, detail=f"addendum {addendum.pk}")
            messages.success(request, "Addendum added.")
            return redirect(page.chart_url(visit, "addenda"))
    return page.render_chart(request, visit, addendum_form=form)


@require_roles(*CLINICAL)
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
        {
            "patient": patient,
            "visits": visits,
            "chart": selectors.nprs_chart(visits),
            "outcome_measures": timeline_measures(request, patient),
            "documents": timeline_documents(patient),
        },
    )


@require_roles(*CLINICAL)
def visit_print(request, pk: int):
    visit = visit_or_404(pk)
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


@require_roles(*CLINICAL)
def adverse_events(request):
    events = AdverseEvent.objects.select_related(
        "visit__appointment__patient", "visit__author"
    ).order_by("-created_at")
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    audit.record(request, audit.Action.VIEW, detail="adverse events list")
    return render(request, "sessions/adverse_events.html", {"page": page})


@public
def aftercare(request, token: str):
    delivery = aftercare_links.delivery_from_token(token)
    if delivery is None:
        return links.refuse(request)
    audit.record(
        request, audit.Action.VIEW, obj=delivery.visit, actor_role="patient", detail="aftercare"
    )
    return render(request, "sessions/aftercare.html", {"visit": delivery.visit})
