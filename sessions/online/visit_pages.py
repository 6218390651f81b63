"""The patient's own visit, by the self-service link in their confirmation and
reminder (``v/<token>/``): see it, say they will come (booking's
``appointment_confirm``), cancel it, move it (``visits``). Public pages: the
signed link is the key; a bad link gets ``clinic.links.refuse``."""

from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from clinic import audit, clock, links
from clinic.access import public
from clinic.roles import display_name
from clinic.types import StaffUser
from intake.services import preferences_link
from sessions.booking import services as booking
from sessions.booking.models import Appointment, Confirmation
from sessions.online import guards, services, visits
from sessions.online.bookable import Bookable
from sessions.online.eligibility import PUBLIC_WORDS
from sessions.online.forms import posted, slot_value
from sessions.online.visit_forms import VisitCancelForm, VisitConfirmForm, VisitMoveForm
from sessions.outcomes.links import questionnaire_link
from sessions.outcomes.services import open_for_appointment


def _context(appointment: Appointment, token: str, **extra: object) -> dict:
    now = timezone.now()
    return {
        "appointment": appointment,
        "token": token,
        "practitioner": display_name(appointment.practitioner),
        "start": clock.clinic_localtime(appointment.start),
        "verdict": visits.changeable(appointment, now),
        "call_to_move": visits.CALL_TO_MOVE,
        **extra,
    }


def _visit(token: str) -> Appointment | None:
    appointment = services.visit_from_token(token)
    if appointment is None:
        return None
    return Appointment.objects.select_related("practitioner", "location", "type", "patient").get(
        pk=appointment.pk
    )


def _manage_page(
    request: HttpRequest, appointment: Appointment, token: str, **extra: object
) -> HttpResponse:
    """The visit's own page, with its confirm button and the patient's link to their
    message preferences."""
    context = _context(
        appointment,
        token,
        preferences_url=preferences_link(appointment.patient),
        questionnaire_urls=[
            questionnaire_link(q) for q in open_for_appointment(appointment, timezone.now())
        ],
        **{"confirm_form": VisitConfirmForm(), **extra},
    )
    return render(request, "online/visit_manage.html", context)


@public
@require_http_methods(["GET"])
def visit_manage(request: HttpRequest, token: str) -> HttpResponse:
    appointment = _visit(token)
    if appointment is None:
        return links.refuse(request)
    audit.record(request, audit.Action.VIEW, obj=appointment, actor_role="patient")
    return _manage_page(request, appointment, token)


@public
@require_http_methods(["GET", "POST"])
def visit_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """Yes, I will be there (a POST): confirmed "from the visit link", then back to the
    page. A GET (a link opened, a prefetch) changes nothing: back to the page."""
    appointment = _visit(token)
    if appointment is None:
        return links.refuse(request)
    if request.method == "GET":
        return redirect("sessions:visit-manage", token)
    if guards.over_limit(request, "booking"):
        return guards.too_many(request)
    form = VisitConfirmForm(request.POST)
    if not form.is_valid():
        return _manage_page(request, appointment, token, confirm_form=form)
    try:
        booking.appointment_confirm(appointment=appointment, via=Confirmation.LINK)
    except ValidationError as error:
        return _manage_page(request, appointment, token, refused=" ".join(error.messages))
    audit.record(
        request,
        audit.Action.UPDATE,
        obj=appointment,
        detail="confirmed online by the patient",
        actor_role="patient",
    )
    return redirect("sessions:visit-manage", token)


@public
@require_http_methods(["GET", "POST"])
def visit_cancel(request: HttpRequest, token: str) -> HttpResponse:
    appointment = _visit(token)
    if appointment is None:
        return links.refuse(request)
    form = VisitCancelForm(posted(request))
    refused = ""
    if request.method == "POST":
        if guards.over_limit(request, "booking"):
            return guards.too_many(request)
        if form.is_valid():
            try:
                visits.visit_cancel_self(appointment=appointment)
            except ValidationError as error:
                refused = " ".join(error.messages)
            else:
                audit.record(
                    request,
                    audit.Action.UPDATE,
                    obj=appointment,
                    detail="cancelled online by the patient",
                    actor_role="patient",
                )
                return render(request, "online/visit_cancelled.html", _context(appointment, token))
    context = _context(appointment, token, form=form, refused=refused)
    return render(request, "online/visit_cancel.html", context)


def _day_from(request: HttpRequest) -> date:
    """The first day of the week shown: ?from=YYYY-MM-DD, kept between today and a year
    and a bit ahead (past the policy's horizon the page is simply empty)."""
    today = clock.clinic_day(timezone.now())
    try:
        asked = date.fromisoformat(request.GET.get("from", ""))
    except ValueError:
        return today
    return min(max(asked, today), today + timedelta(days=400))


def _practitioner_id(request: HttpRequest, appointment: Appointment) -> int | None:
    value = request.GET.get("practitioner", "")
    if value == "any":
        return None
    try:
        return int(value)
    except ValueError:
        return appointment.practitioner_id


@public
@require_http_methods(["GET", "POST"])
def visit_move(request: HttpRequest, token: str) -> HttpResponse:
    appointment = _visit(token)
    if appointment is None:
        return links.refuse(request)
    form = VisitMoveForm(posted(request))
    refused = ""
    if request.method == "POST":
        if guards.over_limit(request, "booking"):
            return guards.too_many(request)
        if form.is_valid():
            practitioner_id, start = form.cleaned_data["slot"]
            try:
                moved = visits.visit_move_self(
                    appointment=appointment, practitioner_id=practitioner_id, start=start
                )
            except ValidationError as error:
                refused = " ".join(error.messages)
            else:
                audit.record(
                    request,
                    audit.Action.UPDATE,
                    obj=moved,
                    detail="moved online by the patient",
                    actor_role="patient",
                )
                moved = _visit(token) or moved
                return render(request, "online/visit_moved.html", _context(moved, token))
    practitioner_id = _practitioner_id(request, appointment)
    day_from = _day_from(request)
    found = Bookable()
    people: list[StaffUser] = []
    verdict = visits.changeable(appointment, timezone.now())
    if verdict.can_move:
        found, people = visits.move_choices(
            appointment,
            practitioner_id=practitioner_id,
            day_from=day_from,
            now=timezone.now(),
        )
    names = {p.pk: display_name(p) for p in people}
    context = _context(
        appointment,
        token,
        form=form,
        refused=refused,
        refusal=PUBLIC_WORDS[found.refusal] if found.refusal is not None else "",
        days=[
            (
                day,
                [
                    (
                        slot_value(slot),
                        clock.clinic_localtime(slot.start),
                        names.get(slot.practitioner_id, ""),
                    )
                    for slot in slots
                ],
            )
            for day, slots in found.days.items()
        ],
        people=[(p.pk, names[p.pk]) for p in people],
        chosen=practitioner_id if practitioner_id in names else "any",
        day_from=day_from,
        next_from=day_from + timedelta(days=7),
        prev_from=day_from - timedelta(days=7),
    )
    return render(request, "online/visit_move.html", context)
