"""The public booking pages: location -> service -> time -> details -> confirm.

Every view is ``@public`` and guards itself: locations and types must be switched on
for online booking, holds are named by a signed token *and* must have been made in this
browser, email links are ``clinic.links`` tokens spent once. Writes are rate limited
(``guards.over_limit``) and every form carries the honeypot. A returning patient is
known only after their email link (``signin.session_patient``); the sign-in page
answers the same whether the address is on file or not. Nothing here needs JavaScript.
"""

from datetime import date, datetime, timedelta

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from clinic import audit, clock, links
from clinic.access import public
from clinic.roles import display_name
from intake import services as intake_services
from intake.models import Patient
from sessions.booking.models import AppointmentType, Location
from sessions.online import services as online
from sessions.online import signin
from sessions.online.bookable import bookable_slots
from sessions.online.eligibility import PUBLIC_WORDS, Refusal
from sessions.online.forms import ConfirmForm, DetailsForm, SignInForm, SlotForm, posted, slot_value
from sessions.online.guards import limit_reached, over_limit, too_many
from sessions.online.models import OnlineBookingPolicy, SlotHold
from sessions.online.slots import first_available, online_practitioners, window

PAGE_DAYS = 7
CALL_BACK = (Refusal.NOT_CLEARED, Refusal.NO_CONSENT)


def _locations() -> QuerySet[Location]:
    return Location.objects.filter(books_online=True, is_active=True).order_by("name")


def _types(patient: Patient | None) -> QuerySet[AppointmentType]:
    types = AppointmentType.objects.filter(bookable_online=True, is_active=True)
    if patient is None:
        types = types.filter(for_new_patients=True)
    return types.order_by("name")


def _location(pk: int) -> Location:
    return get_object_or_404(_locations(), pk=pk)


def _type(pk: int) -> AppointmentType:
    return get_object_or_404(AppointmentType, pk=pk, bookable_online=True, is_active=True)


def _summary(hold: SlotHold) -> dict:
    """What the page says about a held or booked time (no patient data)."""
    return {
        "type": hold.type,
        "start": clock.clinic_localtime(hold.start),
        "practitioner": display_name(hold.practitioner),
        "location": hold.location,
    }


def _first_error(exc: ValidationError) -> str:
    return " ".join(exc.messages)


# --- Start, sign in, sign out --------------------------------------------------------


@public
def start(request: HttpRequest) -> HttpResponse:
    locations = list(_locations())
    if len(locations) == 1:
        return redirect("sessions:online-services", locations[0].pk)
    patient = signin.session_patient(request)
    return render(
        request, "online/start.html", {"locations": locations, "signed_in": patient is not None}
    )


@public
@require_http_methods(["GET", "POST"])
def sign_in(request: HttpRequest) -> HttpResponse:
    form = SignInForm(posted(request))
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"]
        reached = limit_reached(request, "code", email=email)
        if reached == "address":
            return too_many(request)
        # Past the address's limit for its email, no more mail goes out, but the page is
        # the same: someone asking for another person's address must not lock them out
        # (the links already sent to them still work).
        if not reached:
            signin.sign_in_request(email=email)
        # The same page whether or not the address is on file.
        return render(request, "online/sign_in_sent.html", {"email": email})
    return render(request, "online/sign_in.html", {"form": form})


@public
@require_http_methods(["GET", "POST"])
def signed_in(request: HttpRequest, token: str) -> HttpResponse:
    check = signin.check_from_token(signin.SIGN_IN_PURPOSE, token)
    if check is None:
        return links.refuse(request)
    now = timezone.now()
    if not signin.check_usable(check, now) or check.patient is None:
        return render(request, "online/link_spent.html", {"sign_in_again": True})
    form = ConfirmForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            patient = signin.sign_in_complete(check=check, now=now)
        except ValidationError:
            return render(request, "online/link_spent.html", {"sign_in_again": True})
        signin.session_sign_in(request, patient, now)
        audit.record(
            request, audit.Action.LOGIN, obj=patient, actor_role="patient", detail="online sign-in"
        )
        messages.success(request, "You are signed in. Choose what you would like to book.")
        return redirect("sessions:online-start")
    return render(request, "online/signed_in.html", {"form": form})


@public
@require_http_methods(["GET", "POST"])
def sign_out(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        signin.session_sign_out(request)
        messages.info(request, "You are signed out.")
    return redirect("sessions:online-start")


# --- Service and time ----------------------------------------------------------------


@public
def services(request: HttpRequest, location_pk: int) -> HttpResponse:
    location = _location(location_pk)
    patient = signin.session_patient(request)
    return render(
        request,
        "online/services.html",
        {
            "location": location,
            "types": list(_types(patient)),
            "signed_in": patient is not None,
            "several_locations": _locations().count() > 1,
        },
    )


def _practitioner_choice(request: HttpRequest, people: list) -> int | None:
    """The practitioner asked for (``?practitioner=<id>``), None for "first available"."""
    try:
        chosen = int(request.GET.get("practitioner", ""))
    except ValueError:
        return None
    return chosen if chosen in {p.pk for p in people} else None


def _first_day(request: HttpRequest, first: date, last: date) -> date:
    try:
        asked = date.fromisoformat(request.GET.get("from", ""))
    except ValueError:
        return first
    return min(max(asked, first), last)


def _slot_page(
    request: HttpRequest,
    location: Location,
    type: AppointmentType,
    patient: Patient | None,
    form: SlotForm,
    now: datetime,
) -> dict:
    """The slot page's context: a week of free times (needling: only the days the
    patient may book it online and with practitioners authorised those days)."""
    policy = OnlineBookingPolicy.get()
    people = list(online_practitioners(policy).filter(working_hours__location=location).distinct())
    chosen = _practitioner_choice(request, people)
    earliest, last_day = window(policy, now)
    first_day = clock.clinic_day(earliest)
    day_from = _first_day(request, first_day, last_day)
    day_to = min(day_from + timedelta(days=PAGE_DAYS - 1), last_day)
    ids = [chosen] if chosen is not None else [p.pk for p in people]
    names = {p.pk: display_name(p) for p in people}
    context = {
        "location": location,
        "type": type,
        "people": people,
        "chosen": chosen,
        "signed_in": patient is not None,
        "form": form,
        "days": [],
        "refusal": None,
        "call_back": False,
        "offer_times": True,
        "day_from": day_from,
        "previous": None,
        "next": None,
    }
    if patient is None and not type.for_new_patients:
        context["refusal"] = PUBLIC_WORDS[Refusal.NEW_PATIENTS_ONLY]
        context["offer_times"] = False
        return context
    if day_from > first_day:
        context["previous"] = max(day_from - timedelta(days=PAGE_DAYS), first_day)
    if day_to < last_day:
        context["next"] = day_to + timedelta(days=1)
    bookable = bookable_slots(
        patient=patient,
        location=location,
        type=type,
        practitioner_ids=ids,
        day_from=day_from,
        day_to=day_to,
        now=now,
        policy=policy,
    )
    found = bookable.days
    if chosen is None:
        found = first_available(found)
    context["days"] = [
        {
            "day": day,
            "slots": [
                {
                    "value": slot_value(s),
                    "time": f"{clock.clinic_localtime(s.start):%H:%M}",
                    "practitioner": names.get(s.practitioner_id, ""),
                }
                for s in slots
            ],
        }
        for day, slots in found.items()
        if slots
    ]
    if bookable.refusal is not None:
        context["refusal"] = PUBLIC_WORDS[bookable.refusal]
        context["call_back"] = bookable.refusal in CALL_BACK
    return context


@public
@require_http_methods(["GET", "POST"])
def slots(request: HttpRequest, location_pk: int, type_pk: int) -> HttpResponse:
    location, type = _location(location_pk), _type(type_pk)
    now = timezone.now()
    patient = signin.session_patient(request, now)
    form = SlotForm(posted(request))
    if request.method == "POST" and form.is_valid():
        practitioner_id, start_at = form.cleaned_data["slot"]
        if over_limit(request, "hold"):
            return too_many(request)
        signin.session_holds_release(request)
        try:
            hold = online.hold_create(
                location=location,
                type=type,
                practitioner_id=practitioner_id,
                start=start_at,
                patient=patient,
                now=now,
            )
        except ValidationError as exc:
            form.add_error(None, _first_error(exc))
        else:
            signin.session_holds_add(request, hold)
            return redirect("sessions:online-details", signin.hold_token(hold))
    context = _slot_page(request, location, type, patient, form, now)
    return render(request, "online/slots.html", context)


@public
@require_http_methods(["GET", "POST"])
def callback(request: HttpRequest, location_pk: int, type_pk: int) -> HttpResponse:
    location, type = _location(location_pk), _type(type_pk)
    patient = signin.session_patient(request)
    if patient is None:
        messages.info(request, "Please sign in first, so the clinic knows who to call.")
        return redirect("sessions:online-sign-in")
    form = ConfirmForm(posted(request))
    if request.method != "POST" or not form.is_valid():
        for error in form.errors.get("website", []):
            messages.error(request, str(error))
        return redirect("sessions:online-slots", location.pk, type.pk)
    if over_limit(request, "booking", email=patient.email):
        return too_many(request)
    task = signin.callback_request(patient=patient, type=type)
    audit.record(
        request, audit.Action.CREATE, obj=task, actor_role="patient", detail="online call back"
    )
    return render(request, "online/callback_sent.html", {"location": location, "type": type})


# --- Details, email, confirmation ----------------------------------------------------


def _own_hold(request: HttpRequest, token: str) -> SlotHold | HttpResponse:
    """The genuine hold the token names, made in this browser; else the page to show
    instead (the invalid-link page, or back to the start)."""
    hold = signin.hold_from_token(token)
    if hold is None:
        return links.refuse(request)
    if not signin.session_has_hold(request, hold):
        messages.info(request, "Please choose your time again.")
        return redirect("sessions:online-start")
    return hold


def _booked(request: HttpRequest, hold: SlotHold) -> HttpResponse:
    appointment = hold.appointment
    # Booked, then cancelled or removed since: nothing to show.
    if appointment is None or appointment.status != appointment.Status.BOOKED:
        return links.refuse(request)
    audit.record(
        request, audit.Action.VIEW, obj=appointment, actor_role="patient", detail="online booked"
    )
    return render(
        request,
        "online/booked.html",
        {
            **_summary(hold),
            "appointment": appointment,
            "confirmation_sent": appointment.patient.email_reminders
            and not appointment.needs_approval,
            "visit_link": online.visit_link(appointment),
            # Their message choices; consent given there is recorded as online booking's.
            "messages_link": intake_services.preferences_link(appointment.patient) + "?via=booking",
            # booking.appointment_book invites a patient with no submitted intake.
            "intake_invited": bool(appointment.patient.email)
            and not appointment.patient.intakes.submitted().exists(),
        },
    )


def _record_booking(request: HttpRequest, appointment) -> None:
    audit.record(
        request, audit.Action.CREATE, obj=appointment, actor_role="patient", detail="booked online"
    )


def _back_to_slots(hold: SlotHold) -> str:
    return reverse("sessions:online-slots", args=[hold.location_id, hold.type_id])


@public
@require_http_methods(["GET", "POST"])
def details(request: HttpRequest, token: str) -> HttpResponse:
    hold = _own_hold(request, token)
    if isinstance(hold, HttpResponse):
        return hold
    if hold.status == SlotHold.Status.BOOKED:
        return _booked(request, hold)
    if hold.status == SlotHold.Status.AWAITING:
        return redirect("sessions:online-check-email", token)
    if hold.status == SlotHold.Status.RELEASED:
        messages.error(request, online.EXPIRED + " Please choose a time again.")
        return redirect(_back_to_slots(hold))
    now = timezone.now()
    patient = signin.session_patient(request, now)
    if hold.patient_id is not None and (patient is None or patient.pk != hold.patient_id):
        messages.info(request, "Please sign in again and choose your time.")
        return redirect("sessions:online-sign-in")
    returning = patient is not None and hold.patient_id == patient.pk
    form = (ConfirmForm if returning else DetailsForm)(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            if patient is not None and returning:
                if over_limit(request, "booking", email=patient.email):
                    return too_many(request)
                appointment = online.hold_book(hold=hold, patient=patient, now=now)
                _record_booking(request, appointment)
                return redirect("sessions:online-details", token)
            if over_limit(request, "code", email=form.cleaned_data["email"]):
                return too_many(request)
            data = form.cleaned_data
            signin.confirm_request(
                hold=hold,
                first_name=data["first_name"],
                last_name=data["last_name"],
                date_of_birth=data["date_of_birth"],
                email=data["email"],
                phone=data["phone"],
                now=now,
            )
            return redirect("sessions:online-check-email", token)
        except ValidationError as exc:
            form.add_error(None, _first_error(exc))
    return render(
        request,
        "online/details.html",
        {
            **_summary(hold),
            "form": form,
            "returning": returning,
            "expired": hold.expires_at <= now,
            "expires_at": clock.clinic_localtime(hold.expires_at),
            "slots_url": _back_to_slots(hold),
        },
    )


@public
def check_email(request: HttpRequest, token: str) -> HttpResponse:
    hold = _own_hold(request, token)
    if isinstance(hold, HttpResponse):
        return hold
    if hold.status != SlotHold.Status.AWAITING:
        return redirect("sessions:online-details", token)
    return render(
        request,
        "online/check_email.html",
        {
            **_summary(hold),
            "email": hold.email,
            "expires_at": clock.clinic_localtime(hold.expires_at),
        },
    )


@public
@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    check = signin.check_from_token(signin.CONFIRM_PURPOSE, token)
    if check is None or check.hold is None:
        return links.refuse(request)
    hold = check.hold
    now = timezone.now()
    if check.used_at is not None and now < check.expires_at and hold.status == hold.Status.BOOKED:
        return _booked(request, hold)
    if not signin.check_usable(check, now):
        return render(request, "online/link_spent.html", {"slots_url": _back_to_slots(hold)})
    form = ConfirmForm(posted(request))
    if request.method == "POST" and form.is_valid():
        if over_limit(request, "booking", email=check.email):
            return too_many(request)
        try:
            appointment, created = signin.confirm_complete(check=check, now=now)
        except ValidationError as exc:
            if getattr(exc, "code", None) == "spent":  # pressed twice: the first one counts
                return redirect("sessions:online-confirm", token)
            form.add_error(None, _first_error(exc))
        else:
            if created:
                audit.record(
                    request,
                    audit.Action.CREATE,
                    obj=appointment.patient,
                    actor_role="patient",
                    detail="registered online",
                )
            _record_booking(request, appointment)
            return redirect("sessions:online-confirm", token)
    return render(
        request,
        "online/confirm.html",
        {
            **_summary(hold),
            "form": form,
            "name": f"{hold.first_name} {hold.last_name}",
            "slots_url": _back_to_slots(hold),
        },
    )
