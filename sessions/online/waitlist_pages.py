"""The wait list's pages. Public, by their signed links or from the booking pages:
joining (``waitlist_join``), one's own entry (``w/<token>/``) and an offer
(``o/<token>/``: accept or decline). Front desk and clinic admin: the list with who was
offered what and when, adding a patient, editing or removing an entry. The rules are in
``waitlist``; these parse, call, audit and render."""

from datetime import datetime, timedelta
from typing import cast
from urllib.parse import urlencode

from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from clinic import audit, clock, links
from clinic.access import public, require_roles
from clinic.form_errors import add_refusal
from clinic.roles import Role, display_name
from clinic.types import StaffUser
from intake.models import Patient
from sessions.booking.models import Appointment, AppointmentType, Location
from sessions.booking.selectors import practitioners
from sessions.online import guards, services, signin, visits
from sessions.online import waitlist as waiting  # the view ``waitlist`` keeps its name
from sessions.online.forms import posted
from sessions.online.models import WaitListEntry, WaitListOffer
from sessions.online.slots import online_practitioners
from sessions.online.waitlist_forms import (
    EntryLeaveForm,
    OfferForm,
    StaffEntryForm,
    WaitlistFilterForm,
    WaitlistJoinForm,
)

DESK = (Role.FRONT_DESK, Role.ADMIN)
# A visit's link proves who is joining while the visit is booked and ahead, or for this
# long after the patient cancelled it themselves (the cancel page offers the wait list).
JOIN_AFTER_CANCEL = timedelta(days=7)
# The front desk's list: entries a page, and the latest offers shown for each.
ENTRIES_PER_PAGE = 50
OFFERS_SHOWN = 3


def _one_of(people: QuerySet[StaffUser], pk: int | None) -> StaffUser | None:
    return people.filter(pk=pk).first() if pk is not None else None


def _visit_proves_patient(appointment: Appointment, now: datetime) -> bool:
    """Whether a visit's self-service link still says who its holder is: the visit is
    booked and ahead, or the patient cancelled it online in the last seven days."""
    if appointment.status == Appointment.Status.BOOKED:
        return appointment.start > now
    return (
        appointment.status == Appointment.Status.CANCELLED
        and appointment.cancellation_reason == visits.CANCEL_REASON
        and appointment.updated_at > now - JOIN_AFTER_CANCEL
    )


def _joining_patient(request: HttpRequest) -> tuple[Patient | None, str]:
    """(the patient joining, the visit link's token they came from): by their visit's
    self-service link while it still proves who they are, else by their sign-in."""
    token = request.POST.get("visit") or request.GET.get("visit") or ""
    appointment = services.visit_from_token(token) if token else None
    if appointment is not None and _visit_proves_patient(appointment, timezone.now()):
        return appointment.patient, token
    return signin.session_patient(request), ""


@public
@require_http_methods(["GET", "POST"])
def waitlist_join(request: HttpRequest, location_pk: int, type_pk: int) -> HttpResponse:
    location = get_object_or_404(Location, pk=location_pk, books_online=True, is_active=True)
    type = get_object_or_404(AppointmentType, pk=type_pk, bookable_online=True, is_active=True)
    patient, visit_token = _joining_patient(request)
    context: dict = {"location": location, "type": type, "patient": patient, "visit": visit_token}
    if patient is None and not type.for_new_patients:
        return render(request, "online/waitlist_join_sign_in.html", context)
    people = online_practitioners()
    form = WaitlistJoinForm(posted(request), people=people, new_person=patient is None)
    context["form"] = form
    if request.method == "POST":
        if guards.over_limit(request, "booking", email=request.POST.get("email", "")):
            return guards.too_many(request)
        if form.is_valid():
            data = form.cleaned_data
            practitioner = _one_of(people, form.practitioner_id())
            try:
                entry = waiting.entry_add(
                    location=location,
                    type=type,
                    patient=patient,
                    first_name=data.get("first_name", ""),
                    last_name=data.get("last_name", ""),
                    email=data.get("email", ""),
                    phone=data.get("phone", ""),
                    practitioner=practitioner,
                    earliest=data["earliest"],
                    latest=data["latest"],
                    weekdays=data["weekdays"],
                    time_of_day=data["time_of_day"],
                    source=WaitListEntry.Source.ONLINE,
                )
            except ValidationError as error:
                add_refusal(form, error)
            else:
                audit.record(request, audit.Action.CREATE, obj=entry, actor_role="patient")
                return render(request, "online/waitlist_joined.html", {"entry": entry})
    return render(request, "online/waitlist_join.html", context)


@public
@require_http_methods(["GET", "POST"])
def waitlist_entry(request: HttpRequest, token: str) -> HttpResponse:
    entry = waiting.entry_from_token(token)
    if entry is None or not waiting.entry_link_live(entry, timezone.now()):
        return links.refuse(request)
    form = EntryLeaveForm(posted(request))
    refused = ""
    if request.method == "POST":
        if guards.over_limit(request, "booking"):
            return guards.too_many(request)
        if form.is_valid():
            try:
                entry = waiting.entry_remove(entry=entry)
            except ValidationError as error:
                refused = " ".join(error.messages)
            else:
                audit.record(
                    request,
                    audit.Action.UPDATE,
                    obj=entry,
                    detail="left the wait list",
                    actor_role="patient",
                )
                return render(request, "online/waitlist_left.html", {"entry": entry})
    else:
        audit.record(request, audit.Action.VIEW, obj=entry, actor_role="patient")
    context = {"entry": entry, "form": form, "refused": refused, "token": token}
    return render(request, "online/waitlist_entry.html", context)


@public
@require_http_methods(["GET", "POST"])
def offer(request: HttpRequest, token: str) -> HttpResponse:
    found = waiting.offer_from_token(token)
    if found is None:
        return links.refuse(request)
    entry, hold = found.entry, found.hold
    now = timezone.now()
    form = OfferForm(posted(request))
    context = {
        "offer": found,
        "hold": hold,
        "start": clock.clinic_localtime(hold.start),
        "expires": clock.clinic_localtime(found.expires_at),
        "practitioner": display_name(hold.practitioner),
        "new_person": entry.patient is None,
        "open": found.status == WaitListOffer.Status.OFFERED and now < found.expires_at,
        "expired": found.status == WaitListOffer.Status.EXPIRED
        or (found.status == WaitListOffer.Status.OFFERED and now >= found.expires_at),
        "form": form,
        "token": token,
        "entry_link": waiting.entry_link(entry),
    }
    if request.method == "GET":
        audit.record(
            request, audit.Action.VIEW, obj=found, patient=entry.patient, actor_role="patient"
        )
        if found.status == WaitListOffer.Status.TAKEN:
            return render(request, "online/offer_taken.html", context)
        return render(request, "online/offer.html", context)
    if guards.over_limit(request, "booking"):
        return guards.too_many(request)
    if not form.is_valid():
        return render(request, "online/offer.html", context)
    try:
        if form.cleaned_data["answer"] == "decline":
            waiting.offer_decline(offer=found)
        else:
            appointment, registered = waiting.offer_accept_recorded(
                offer=found, date_of_birth=form.cleaned_data.get("date_of_birth")
            )
    except ValidationError as error:
        if waiting.refusal_code(error) == "taken":
            return render(request, "online/offer_taken.html", context)
        add_refusal(form, error)
        context["refused"] = " ".join(error.messages)
        return render(request, "online/offer.html", context)
    answer = form.cleaned_data["answer"]
    found.refresh_from_db()
    audit.record(
        request,
        audit.Action.UPDATE,
        obj=found,
        patient=found.entry.patient,
        detail=f"wait-list offer: {answer}",
        actor_role="patient",
    )
    if answer == "decline":
        return render(request, "online/offer_declined.html", context)
    if registered:
        audit.record(
            request,
            audit.Action.CREATE,
            obj=appointment.patient,
            actor_role="patient",
            detail="registered online",
        )
    audit.record(
        request,
        audit.Action.CREATE,
        obj=appointment,
        actor_role="patient",
        detail="booked online from the wait list",
    )
    context["manage_link"] = services.visit_link(appointment)
    return render(request, "online/offer_booked.html", context)


# Front desk -----------------------------------------------------------------------------


@require_roles(*DESK)
@require_http_methods(["GET"])
def waitlist(request: HttpRequest) -> HttpResponse:
    locations = Location.objects.filter(is_active=True)
    filters = WaitlistFilterForm(request.GET or None, locations=locations)
    show_past = request.GET.get("show") == "past"
    recent_offers = WaitListOffer.objects.select_related("hold").order_by("-offered_at", "-id")
    entries = (
        WaitListEntry.objects.filter(status=WaitListEntry.Status.WAITING)
        .select_related("patient", "location", "type", "practitioner")
        .prefetch_related(
            Prefetch("offers", queryset=recent_offers[:OFFERS_SHOWN], to_attr="recent_offers")
        )
        .order_by("-priority", "created_at", "id")
    )
    if not show_past:
        entries = entries.filter(latest__gte=clock.clinic_day(timezone.now()))
    query: dict[str, str] = {"show": "past"} if show_past else {}
    if filters.is_valid() and filters.cleaned_data.get("location"):
        entries = entries.filter(location=filters.cleaned_data["location"])
        query["location"] = str(filters.cleaned_data["location"].pk)
    page = Paginator(entries, ENTRIES_PER_PAGE).get_page(request.GET.get("page"))
    audit.record(request, audit.Action.VIEW, detail="wait list")
    context = {
        "entries": page.object_list,
        "page": page,
        "filters": filters,
        "show_past": show_past,
        "query": urlencode(query),
        "offers_shown": OFFERS_SHOWN,
    }
    return render(request, "online/waitlist_list.html", context)


def _staff_form(request: HttpRequest, *, entry: WaitListEntry | None = None) -> StaffEntryForm:
    kwargs: dict = {"people": practitioners()}
    if entry is None:
        kwargs["locations"] = Location.objects.filter(is_active=True)
        kwargs["types"] = AppointmentType.objects.filter(is_active=True)
        initial = {}
    else:
        initial = {
            "practitioner": str(entry.practitioner_id) if entry.practitioner_id else "any",
            "earliest": entry.earliest,
            "latest": entry.latest,
            "weekdays": entry.weekdays,
            "time_of_day": entry.time_of_day,
            "priority": entry.priority,
            "note": entry.note,
        }
    data = posted(request)
    return StaffEntryForm(data, initial=initial, **kwargs)


@require_roles(*DESK)
@require_http_methods(["GET", "POST"])
def waitlist_new(request: HttpRequest) -> HttpResponse:
    raw = request.POST.get("patient") or request.GET.get("patient") or ""
    known = raw.isdecimal() and len(raw) <= 9
    patient = Patient.objects.filter(pk=int(raw)).first() if known else None
    query = request.GET.get("q", "").strip()[:100]
    if patient is None:
        found = Patient.objects.search(query)[:20] if query else []
        return render(
            request, "online/waitlist_pick_patient.html", {"query": query, "found": found}
        )
    form = _staff_form(request)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            entry = waiting.entry_add(
                location=data["location"],
                type=data["type"],
                patient=patient,
                practitioner=_one_of(practitioners(), form.practitioner_id()),
                earliest=data["earliest"],
                latest=data["latest"],
                weekdays=data["weekdays"],
                time_of_day=data["time_of_day"],
                priority=data["priority"],
                note=data["note"],
                source=WaitListEntry.Source.FRONT_DESK,
                created_by=cast(StaffUser, request.user),
            )
        except ValidationError as error:
            add_refusal(form, error)
        else:
            audit.record(request, audit.Action.CREATE, obj=entry)
            return redirect("sessions:waitlist")
    return render(request, "online/waitlist_new.html", {"form": form, "patient": patient})


@require_roles(*DESK)
@require_http_methods(["GET", "POST"])
def waitlist_edit(request: HttpRequest, pk: int) -> HttpResponse:
    entry = get_object_or_404(
        WaitListEntry.objects.select_related("patient", "location", "type"), pk=pk
    )
    form = _staff_form(request, entry=entry)
    refused = ""
    if request.method == "POST":
        try:
            if "remove" in request.POST:
                waiting.entry_remove(entry=entry)
                audit.record(request, audit.Action.UPDATE, obj=entry, detail="wait list: removed")
                return redirect("sessions:waitlist")
            if form.is_valid():
                data = form.cleaned_data
                waiting.entry_update(
                    entry=entry,
                    practitioner=_one_of(practitioners(), form.practitioner_id()),
                    earliest=data["earliest"],
                    latest=data["latest"],
                    weekdays=data["weekdays"],
                    time_of_day=data["time_of_day"],
                    priority=data["priority"],
                    note=data["note"],
                )
                audit.record(request, audit.Action.UPDATE, obj=entry, detail="wait list: edited")
                return redirect("sessions:waitlist")
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                add_refusal(form, error)
            else:
                refused = " ".join(error.messages)
    else:
        audit.record(request, audit.Action.VIEW, obj=entry)
    context = {"entry": entry, "form": form, "refused": refused}
    return render(request, "online/waitlist_edit.html", context)
