"""The chart page: what it shows of a visit, draft or signed, and where each of its
forms posts. The views in ``views`` handle the requests and render it through here."""

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.forms import BaseForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from clinic.roles import display_name
from clinic.types import AnyUser
from sessions.charting import selectors
from sessions.charting import sites as site_services
from sessions.charting.body_map import body_map, region_of
from sessions.charting.catalogue import AftercareTemplate, Muscle
from sessions.charting.forms import (
    AddendumForm,
    AdverseEventForm,
    NoteForm,
    SafetyCheckForm,
    SignForm,
    SiteForm,
)
from sessions.charting.hard_stops import Problem, needling_blockers, unacknowledged
from sessions.charting.models import NeedlingSite, Visit
from sessions.outcomes.report_pages import chart_header_measures


def chart_url(visit: Visit, anchor: str = "") -> str:
    url = reverse("sessions:chart", args=[visit.appointment_id])
    return f"{url}#{anchor}" if anchor else url


# Each form of a draft chart: the URL name it posts to, and the id of the summary its
# refusal shows (the action's #fragment), so the page opens on it, focused. A refusal of
# one field alone has no summary: that field takes the focus (clinic.form_errors).
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
        url = chart_url(visit)
        return {part: f"{url}?part={part}#{anchor}" for part, (_, anchor) in PARTS.items()}
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


def editable_by(visit: Visit, user: AnyUser) -> bool:
    """Whether the chart shows ``user`` the forms that change ``visit``: a draft, to its
    author (an unsaved one is the viewer's own). The services refuse anyone else."""
    return not visit.is_signed and (visit.pk is None or visit.author_id == user.pk)


def read_only_reason(visit: Visit, user: AnyUser) -> str:
    """Why the chart shows ``user`` no forms on a draft ("" when it does, or when signed:
    a signed note says so itself)."""
    if visit.is_signed or editable_by(visit, user):
        return ""
    return f"Draft by {display_name(visit.author)}; only they can change it."


def saved_meanwhile(visit: Visit, forms: dict[str, BaseForm]) -> list[tuple[str, str]]:
    """(label, value saved now) for each field of the refused ``forms`` whose saved value
    on ``visit`` differs from what was typed: the other tab's or person's write."""
    changed = []
    for form in forms.values():
        for bound in form:
            if bound.name == "version" or not hasattr(visit, bound.name):
                continue
            now = getattr(visit, bound.name)
            try:
                typed = bound.field.to_python(bound.value())
            except ValidationError:  # typed but not valid: it differs from anything saved
                typed = bound.value()
            if (now or None) != (typed or None):
                changed.append((str(bound.label), "—" if now in (None, "") else str(now)))
    return changed


def sign_blockers(visit: Visit) -> list[dict[str, str]]:
    """What still stands between the saved draft and its signature, as the sign bar
    lists it: [{"message": ..., "anchor": the id of the field that fixes it}]."""
    sites = list(visit.sites.all())
    return [
        {"message": p.message, "anchor": p.anchor} for p in selectors.sign_problems(visit, sites)
    ]


def render_refused(request: HttpRequest, visit: Visit, **forms: BaseForm) -> HttpResponse:
    """The chart, read-only, to someone whose write was refused because another
    physiotherapist started the draft meanwhile (403): who did, and what ``forms`` held
    as typed, to copy from."""
    reason = f"Draft started by {display_name(visit.author)} a moment ago; only they can change it."
    typed = [
        (bound.label, bound.value())
        for form in forms.values()
        for bound in form
        if bound.value() not in (None, "", False, []) and bound.name != "version"
    ]
    return render_chart(request, visit, status=403, refusal=(reason, typed))


def render_chart(
    request: HttpRequest,
    visit: Visit,
    status: int = 200,
    refusal: tuple[str, list] | None = None,
    saved_meanwhile: list[tuple[str, str]] | None = None,
    **forms: BaseForm,
) -> HttpResponse:
    """The chart page of ``visit`` (``status``: 409 for a conflict); ``forms`` are the
    refused forms to show again as typed, by context name (``note_form``, ...);
    ``refusal`` the reason and the typed (label, value) pairs of ``render_refused``."""
    appointment = visit.appointment
    # "visit k of N": annotated by with_visit_number() or copied by the chart view.
    appointment.visit_number = visit.visit_number  # type: ignore[attr-defined]
    verdict = visit.verdict()
    authorisation = visit.needling_authorisation()
    previous, previous_checkins, last_needling = selectors.previous_visit(visit)
    saved = visit.pk is not None
    context = {
        "visit": visit,
        "appointment": appointment,
        "patient": visit.patient,
        "verdict": verdict,
        "unacknowledged": unacknowledged(visit, verdict),
        "authorisation": authorisation,
        "sites": list(visit.sites.select_related("muscle")) if saved else [],
        "adverse_events": list(visit.adverse_events.all()) if saved else [],
        "previous": previous,
        "previous_checkins": previous_checkins,
        "actions": _form_actions(visit),
        "editable": editable_by(visit, request.user),
        "read_only_reason": refusal[0] if refusal else read_only_reason(visit, request.user),
        "typed": refusal[1] if refusal else [],
        "saved_meanwhile": saved_meanwhile or [],
        "outcome_measures": chart_header_measures(request, visit.patient, appointment.course),
    }
    if visit.is_signed:  # read-only, with what came after signing
        context |= {
            "addenda": list(visit.addenda.select_related("author")),
            "deliveries": list(visit.aftercare_deliveries.all()),
            "addendum_form": forms.get("addendum_form") or AddendumForm(),
        }
    else:
        context |= _draft_context(
            request, visit, verdict, authorisation, context["sites"], last_needling, forms
        )
    return render(request, "sessions/chart.html", context, status=status)


def _draft_context(request, visit, verdict, authorisation, sites, last, forms) -> dict:
    """What a draft chart adds: the hard stops and the forms to complete it."""
    blockers = needling_blockers(visit, verdict, authorised=bool(authorisation))
    problems = selectors.sign_problems(visit, sites, blockers)
    templates = list(AftercareTemplate.objects.filter(is_active=True))
    template = next(iter(templates), None)
    sign_form = forms.get("sign_form") or SignForm(
        initial={
            "aftercare_template": template,
            "aftercare_text": template.body if template else "",
        }
    )
    sign_form.offer(templates)
    for field in sign_form.fields.values():  # sent with the note by Sign (chart.html)
        field.widget.attrs["form"] = "note-form"
    if sign_form.is_bound:  # a refused sign: every reason, each linked to where to fix it
        listed = {p.message for p in problems}
        problems = problems + [
            Problem(
                str(error) if name == NON_FIELD_ERRORS else f"{sign_form[name].label}: {error}",
                "sign" if name == NON_FIELD_ERRORS else sign_form[name].id_for_label,
            )
            for name, errors in sign_form.errors.items()
            for error in errors
            if error not in listed
        ]
    # A GET ?muscle= narrows the muscles offered (the search works without a script).
    muscle_query = request.GET.get("muscle", "").strip()[:60] if request.method == "GET" else ""
    # The body map's ?region= narrows them to one region (anything else is ignored).
    region = region_of(request.GET.get("region", "")) if request.method == "GET" else ""
    site_form = forms.get("site_form") or SiteForm(
        visit=visit, muscle_query=muscle_query, muscle_region=region
    )
    # The last needling visit: its sites can be repeated while the draft has none, and
    # its needles are the note's defaults where the draft names none (sites or not).
    unnamed = [name for name in site_services.NEEDLE_FIELDS if not getattr(visit, name)]
    needles = {name: getattr(last, name) for name in unnamed if last is not None}
    return {
        "blockers": blockers,
        "sign_problems": problems,
        "sign_refused": sign_form.is_bound,
        "safety_form": forms.get("safety_form")
        or SafetyCheckForm(initial=_safety_initial(visit), visit=visit),
        "note_form": forms.get("note_form") or NoteForm(instance=visit, initial=needles),
        "site_form": site_form,
        "muscle_query": muscle_query,
        "muscle_region": region,
        "muscle_region_label": dict(Muscle.Region.choices).get(region, ""),
        "body_map": body_map(region),
        "last_needling": None if sites else last,
        "adverse_form": forms.get("adverse_form") or AdverseEventForm(),
        # The choices of a site row's twitch and tolerance, changed in place.
        "twitch_choices": NeedlingSite.Twitch.choices,
        "tolerance_choices": NeedlingSite.Tolerance.choices,
        "sign_form": sign_form,
        "templates": templates,
    }
