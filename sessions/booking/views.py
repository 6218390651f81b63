"""Booking's pages: the day and week calendars, booking and moving a visit, cancelling,
marking and confirming it, the course plan, and the practitioner's calendar feed."""

import re

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.http import require_POST

from clinic import audit, clock, links, once
from clinic.access import public, require_roles
from clinic.roles import Role, has_role
from intake import services as intake_services
from intake.models import Patient
from sessions.billing import selectors as billing_selectors
from sessions.billing.models import MissedVisitFee
from sessions.billing.money import format_money
from sessions.billing.selectors import visit_authorisation, with_case_visit_number
from sessions.booking import feeds, selectors, services
from sessions.booking.forms import (
    ONE_DAY,
    ONE_WEEK,
    AppointmentForm,
    CancelForm,
    CourseForm,
    DayForm,
    QuickPatientForm,
    WeekForm,
)
from sessions.booking.models import Appointment, CalendarFeed, Confirmation, Course, Location
from sessions.followups import selectors as followup_selectors
from sessions.outcomes.services import appointment_states

SCHEDULERS = (Role.FRONT_DESK, Role.PHYSIO)


def _book_url(**params) -> str:
    return reverse("sessions:appointment-new") + "?" + urlencode(params)


@require_roles(*SCHEDULERS)
def calendar_day(request):
    form = DayForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    day = data.get("date") or clock.clinic_today()
    location = data.get("location") or Location.objects.filter(is_active=True).first()
    if location is None:
        messages.info(request, "Add a clinic location in Administration first.")
        return render(request, "sessions/calendar_day.html", {"form": form, "columns": []})
    columns = selectors.calendar_day(location, day)
    audit.record(request, audit.Action.VIEW, detail=f"day calendar {location.pk} {day}")
    return render(
        request,
        "sessions/calendar_day.html",
        {
            "form": form,
            "day": day,
            "location": location,
            "columns": columns,
            "new_appointment_url": reverse("sessions:appointment-new"),
            "base_query": urlencode({"location": location.pk}),
            "previous": day - ONE_DAY,
            "next": day + ONE_DAY,
            "today": clock.clinic_today(),
        },
    )


@require_roles(*SCHEDULERS)
def calendar_week(request):
    form = WeekForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    day = data.get("date") or clock.clinic_today()
    location = data.get("location") or Location.objects.filter(is_active=True).first()
    practitioner = data.get("practitioner")
    if practitioner is None and has_role(request.user, Role.PHYSIO):
        practitioner = request.user
    practitioner = practitioner or selectors.practitioners().first()
    columns = []
    if practitioner and location:
        columns = selectors.calendar_week(practitioner, location, day)
        audit.record(request, audit.Action.VIEW, detail=f"week calendar {practitioner.pk} {day}")
    return render(
        request,
        "sessions/calendar_week.html",
        {
            "form": form,
            "day": day,
            "location": location,
            "practitioner": practitioner,
            "columns": columns,
            "new_appointment_url": reverse("sessions:appointment-new"),
            "base_query": urlencode(
                {
                    "practitioner": getattr(practitioner, "pk", ""),
                    "location": getattr(location, "pk", ""),
                }
            ),
            "previous": day - ONE_WEEK,
            "next": day + ONE_WEEK,
            "today": clock.clinic_today(),
        },
    )


@require_roles(*SCHEDULERS)
def appointment_new(request):
    """Book: pick (or quick-create) the patient, then the visit details."""
    params = request.GET.copy()
    patient = None
    # [0-9]{1,18}, not isdigit(): "²" is a digit to Python but not to int(), and a longer
    # number overflows the key.
    if re.fullmatch(r"[0-9]{1,18}", params.get("patient", "")):
        patient = Patient.objects.filter(pk=params["patient"]).first()
    if patient is None:
        return _choose_patient(request, params)

    initial = {
        "practitioner": params.get("practitioner"),
        "location": params.get("location"),
        "start": params.get("start"),
        "start_fold": params.get("start_fold"),
    }
    form = AppointmentForm(request.POST or None, initial=initial, patient=patient)
    if request.method == "POST" and form.is_valid():
        try:
            with once.claim(request) as claim:
                appointment = services.appointment_book(
                    patient=patient, created_by=request.user, **form.booking()
                )
                claim.result_url = reverse("sessions:appointment-detail", args=[appointment.pk])
        except once.Replayed as replay:
            return replay.response(request, fallback=reverse("sessions:calendar-day"))
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            detail = _override(appointment)
            audit.record(request, audit.Action.CREATE, obj=appointment, detail=detail)
            messages.success(request, f"Booked {patient} on {_when(appointment)}.")
            return redirect(_day_url(appointment))
    keep = {k: v for k, v in params.items() if k in {"start", "practitioner", "location"}}
    back = {"date": keep.get("start", "")[:10], "location": keep.get("location", "")}
    return render(
        request,
        "sessions/appointment_form.html",
        {
            "form": form,
            "patient": patient,
            "account": billing_selectors.patient_account(patient=patient),
            "other_patient_url": _book_url(**keep),
            "back_url": reverse("sessions:calendar-day") + "?" + urlencode(back),
        },
    )


def _choose_patient(request, params):
    query = params.get("q", "").strip()[:100]
    found = list(Patient.objects.search(query)[:20]) if query else []
    quick = QuickPatientForm(request.POST or None)
    if request.method == "POST" and quick.is_valid():
        try:
            with once.claim(request) as claim:
                patient = intake_services.patient_create(
                    patient=quick.save(commit=False), confirmed_different=quick.confirmed_different
                )
                params["patient"] = patient.pk
                claim.result_url = reverse("sessions:appointment-new") + "?" + params.urlencode()
        except once.Replayed as replay:
            return replay.response(request, fallback=request.get_full_path())
        except intake_services.PossibleDuplicates as exc:
            quick.show_duplicates(exc)
        else:
            detail = "quick-create at booking"
            audit.record(request, audit.Action.CREATE, obj=patient, detail=detail)
            return redirect(claim.result_url)
    keep = {k: v for k, v in params.items() if k in {"start", "practitioner", "location"}}
    return render(
        request,
        "sessions/choose_patient.html",
        {
            "query": query,
            "found": [(p, _book_url(**keep, patient=p.pk)) for p in found],
            "quick": quick,
            "keep": keep,
        },
    )


def _override(appointment: Appointment) -> str:
    """The audit's note of a visit booked beyond its payer's authorisation."""
    if not appointment.authorisation_override:
        return ""
    return f"beyond authorisation: {appointment.authorisation_override}"


def _when(appointment: Appointment) -> str:
    return f"{clock.clinic_localtime(appointment.start):%Y-%m-%d %H:%M}"


def _day_url(appointment: Appointment) -> str:
    day = appointment.day
    return (
        reverse("sessions:calendar-day")
        + "?"
        + urlencode({"date": day.isoformat(), "location": str(appointment.location_id)})
    )


def _get_appointment(pk: int) -> Appointment:
    return get_object_or_404(
        with_case_visit_number(
            Appointment.objects.select_related(
                "patient", "practitioner", "location", "type", "course", "payer_case", "missed_fee"
            ).with_visit_number()
        ),
        pk=pk,
    )


def _reschedule_initial(appointment: Appointment) -> dict:
    return {
        "practitioner": appointment.practitioner_id,
        "location": appointment.location_id,
        "type": appointment.type_id,
        "start": clock.clinic_localtime(appointment.start).strftime("%Y-%m-%dT%H:%M"),
        "start_fold": clock.clinic_localtime(appointment.start).fold,
        "front_desk_note": appointment.front_desk_note,
        "eligibility_override": appointment.eligibility_override,
        "payer_case": appointment.payer_case_id,
        "authorisation_override": appointment.authorisation_override,
    }


@require_roles(*SCHEDULERS)
def appointment_detail(request, pk: int):
    appointment = _get_appointment(pk)
    form = AppointmentForm(
        request.POST or None, initial=_reschedule_initial(appointment), appointment=appointment
    )
    if request.method == "POST" and form.is_valid():
        try:
            appointment = services.appointment_reschedule(appointment=appointment, **form.booking())
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            detail = f"rescheduled {_override(appointment)}".strip()
            audit.record(request, audit.Action.UPDATE, obj=appointment, detail=detail)
            messages.success(request, f"Moved to {_when(appointment)}.")
            return redirect(_day_url(appointment))
    return _detail(request, appointment, form=form, cancel_form=CancelForm())


def _detail(request, appointment: Appointment, **forms):
    """The appointment page, with the visit's billing state (status only for a physio)
    and the patient's balance for the desk at check-in."""
    billing = billing_selectors.visits_billing(appointment_ids=[appointment.pk])[appointment.pk]
    sees_money = has_role(request.user, Role.FRONT_DESK, Role.ADMIN)
    account = billing_selectors.patient_account(patient=appointment.patient) if sees_money else None
    return render(
        request,
        "sessions/appointment_detail.html",
        {
            "appointment": appointment,
            "authorisation": visit_authorisation(appointment),
            "billing": billing,
            "account": account,
            "sees_money": sees_money,
            "reminders": followup_selectors.reminders_of(appointment.pk),
            "questionnaires": appointment_states(appointment, timezone.now()),
            **forms,
        },
    )


def _proposed_fee_note(appointment: Appointment) -> str:
    """What to add to the message when marking the visit proposed a missed-visit fee
    (for example "A late-cancellation fee of $40.00 is proposed: …"), else "". One
    query."""
    fee = MissedVisitFee.objects.filter(
        appointment=appointment, status=MissedVisitFee.Status.PROPOSED
    ).first()
    if fee is None:
        return ""
    kind = fee.get_kind_display()
    return (
        f" {'An' if kind[0] in 'AEIOU' else 'A'} {kind[0].lower()}{kind[1:]} of "
        f"{format_money(fee.amount)} is proposed: confirm or waive it on the visit."
    )


@require_roles(*SCHEDULERS)
@require_POST
def appointment_cancel(request, pk: int):
    appointment = _get_appointment(pk)
    form = CancelForm(request.POST)
    if form.is_valid():
        try:
            services.appointment_cancel(appointment=appointment, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            audit.record(request, audit.Action.UPDATE, obj=appointment, detail="cancelled")
            messages.success(
                request,
                "The appointment is cancelled; the time is free again."
                + _proposed_fee_note(appointment),
            )
            return redirect(_day_url(appointment))
    return _detail(
        request,
        appointment,
        form=AppointmentForm(initial=_reschedule_initial(appointment), appointment=appointment),
        cancel_form=form,
    )


@require_roles(*SCHEDULERS)
@require_POST
def appointment_status(request, pk: int, status: str):
    appointment = _get_appointment(pk)
    try:
        services.appointment_set_status(appointment=appointment, status=status)
    except (ValidationError, ValueError) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
    else:
        audit.record(request, audit.Action.UPDATE, obj=appointment, detail=f"marked {status}")
        marked = f"{appointment.patient} marked {status.replace('_', '-')}."
        messages.success(request, marked + _proposed_fee_note(appointment))
    return _back(request, appointment)


def _back(request, appointment: Appointment):
    """Back to the page the button was on (``next``, this site only), else the day."""
    back = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(back, {request.get_host()}, request.is_secure()):
        return redirect(back)
    return redirect(_day_url(appointment))


@require_roles(*SCHEDULERS)
@require_POST
def appointment_confirm(request, pk: int):
    """Front desk reached the patient (a call): the visit is confirmed "to front desk"."""
    appointment = _get_appointment(pk)
    try:
        services.appointment_confirm(appointment=appointment, via=Confirmation.FRONT_DESK)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        audit.record(request, audit.Action.UPDATE, obj=appointment, detail="confirmed by phone")
        messages.success(request, f"{appointment.patient} is confirmed for {_when(appointment)}.")
    return _back(request, appointment)


@require_roles(*SCHEDULERS)
def course_edit(request, pk: int):
    patient = get_object_or_404(Patient, pk=pk)
    # Reading the form creates nothing: without an open course it shows the defaults,
    # and saving it opens the course.
    course = selectors.course_active(patient=patient) or Course(patient=patient)
    form = CourseForm(request.POST or None, instance=course)
    if request.method == "POST" and form.is_valid():
        course = services.course_plan_save(patient=patient, **form.cleaned_data)
        audit.record(request, audit.Action.UPDATE, obj=course)
        messages.success(request, "The planned number of visits is saved.")
        return redirect("intake:patient-detail", patient.pk)
    return render(request, "sessions/course_form.html", {"form": form, "patient": patient})


@require_roles(Role.PHYSIO)
@require_POST
def course_discharge(request, pk: int):
    """Close the patient's course: discharged, a physiotherapist's decision. Refusals
    come back as a message."""
    patient = get_object_or_404(Patient, pk=pk)
    try:
        course = services.course_discharge(patient=patient)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("sessions:course-edit", patient.pk)
    audit.record(request, audit.Action.UPDATE, obj=course, detail="discharged: course closed")
    messages.success(request, f"{patient} is discharged: the course is closed.")
    return redirect("intake:patient-detail", patient.pk)


@require_roles(Role.PHYSIO)
def feed_settings(request):
    if request.method == "POST":
        if "revoke" in request.POST:
            feeds.feed_revoke(practitioner=request.user)
            messages.success(request, "The calendar address no longer works.")
        else:
            feeds.feed_create(practitioner=request.user)
            messages.success(request, "A new calendar address is ready; the old one stopped.")
        return redirect("sessions:feed-settings")
    feed = CalendarFeed.objects.live().filter(practitioner=request.user).first()
    return render(
        request,
        "sessions/feed_settings.html",
        {
            "feed_url": feeds.feed_url(feed) if feed else None,
            "feed_expires_at": feeds.feed_expires_at(feed) if feed else None,
        },
    )


@public
def calendar_feed(request, token: str):
    feed = feeds.feed_from_token(token)
    if feed is None:
        return links.refuse(request)
    response = HttpResponse(feeds.feed_ics(feed), content_type="text/calendar; charset=utf-8")
    return response
