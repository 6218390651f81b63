"""The front desk's and clinic admin's online-booking pages: the online settings
(clinic admin), the online bookings waiting for approval, approving and declining one
(front desk and clinic admin). Thin views: parse, call ``desk_services``, audit,
message, redirect."""

from typing import cast

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from clinic import audit, clock
from clinic.access import require_roles
from clinic.roles import Role
from clinic.types import StaffUser
from sessions.booking.models import Appointment
from sessions.online import desk_services
from sessions.online.desk_forms import DeclineForm, SettingsForms
from sessions.online.models import OnlineBookingPolicy

DESK = (Role.FRONT_DESK, Role.ADMIN)


@require_roles(Role.ADMIN)
def online_settings(request: HttpRequest) -> HttpResponse:
    forms = SettingsForms(request.POST if request.method == "POST" else None)
    if request.method == "POST" and forms.is_valid():
        try:
            changed = desk_services.online_settings_save(forms=forms)
        except ValidationError as exc:
            forms.policy.add_error(None, exc)
        else:
            if changed:
                audit.record(
                    request,
                    audit.Action.UPDATE,
                    obj=OnlineBookingPolicy.get(),
                    detail="online settings: " + "; ".join(changed),
                )
                messages.success(request, "The online booking settings are saved.")
            else:
                messages.info(request, "Nothing was changed.")
            return redirect("sessions:online-settings")
    elif request.method == "POST":
        messages.error(request, "Some settings were not saved: see the marked fields below.")
    return render(
        request,
        "online/desk_settings.html",
        {"forms": forms, "public_url": reverse("sessions:online-start")},
    )


def _waiting():
    return (
        Appointment.objects.filter(needs_approval=True, status=Appointment.Status.BOOKED)
        .select_related("patient", "practitioner", "location", "type")
        .order_by("start", "id")
    )


def _pending_page(
    request: HttpRequest, declining: int | None = None, form: DeclineForm | None = None
) -> HttpResponse:
    waiting = list(_waiting())
    audit.record(request, audit.Action.VIEW, detail="online bookings awaiting approval")
    rows = [
        (a, form if a.pk == declining and form is not None else DeclineForm(prefix=f"d{a.pk}"))
        for a in waiting
    ]
    return render(
        request,
        "online/desk_pending.html",
        {"rows": rows, "today": clock.clinic_today()},
    )


@require_roles(*DESK)
def pending(request: HttpRequest) -> HttpResponse:
    return _pending_page(request)


def _back(request: HttpRequest) -> HttpResponse:
    back = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(back, {request.get_host()}, request.is_secure()):
        return redirect(back)
    return redirect("sessions:online-pending")


@require_roles(*DESK)
@require_POST
def approve(request: HttpRequest, pk: int) -> HttpResponse:
    appointment = get_object_or_404(Appointment.objects.select_related("patient"), pk=pk)
    try:
        desk_services.appointment_approve(appointment=appointment)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        audit.record(
            request, audit.Action.UPDATE, obj=appointment, detail="online booking approved"
        )
        when = f"{clock.clinic_localtime(appointment.start):%Y-%m-%d %H:%M}"
        messages.success(
            request, f"Approved {appointment.patient} on {when}; the confirmation is on its way."
        )
    return _back(request)


@require_roles(*DESK)
@require_POST
def decline(request: HttpRequest, pk: int) -> HttpResponse:
    appointment = get_object_or_404(Appointment.objects.select_related("patient"), pk=pk)
    form = DeclineForm(request.POST, prefix=f"d{appointment.pk}")
    if not form.is_valid():
        return _pending_page(request, declining=appointment.pk, form=form)
    try:
        desk_services.appointment_decline(
            appointment=appointment,
            reason=form.cleaned_data["reason"],
            by=cast(StaffUser, request.user),  # signed in: require_roles
        )
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            form.add_error(None, exc)
            return _pending_page(request, declining=appointment.pk, form=form)
        messages.error(request, " ".join(exc.messages))
        return redirect("sessions:online-pending")
    audit.record(request, audit.Action.UPDATE, obj=appointment, detail="online booking declined")
    messages.success(
        request, f"Declined and cancelled; {appointment.patient} is told by email if we have one."
    )
    return redirect("sessions:online-pending")
