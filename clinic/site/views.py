"""The site's own pages: each role's home page, the audit log, the patient record
export, ``/healthz``, ``/favicon.ico`` and the benchmark's floor page."""

from django.conf import settings
from django.core.paginator import Paginator
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.templatetags.static import static
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from clinic import audit, clock, health, links
from clinic.access import public, require_roles
from clinic.forms import AuditFilterForm, ExportFormatForm
from clinic.models import AuditEvent
from clinic.roles import STAFF, Role, primary_role
from clinic.site import export, export_page
from intake.models import Patient
from sessions.booking import selectors as booking_selectors
from sessions.followups import selectors as followups
from sessions.models import Alert, Appointment, CallTask, Location, NeedlingAuthorisation, Visit


@require_roles(*STAFF)
def home(request):
    role = primary_role(request.user)
    today = clock.clinic_today()
    ctx = {"today": today}
    if role in (Role.PHYSIO, Role.FRONT_DESK):
        mine = request.user if role == Role.PHYSIO else None
        ctx["visits"] = booking_selectors.visits_on(today, practitioner=mine)
        audit.record(request, audit.Action.VIEW, detail="today's visits")
    if role == Role.FRONT_DESK:
        ctx["calls"] = list(CallTask.objects.open().select_related("patient", "reply"))
        # A text reply can hold anything a patient wrote: each one shown is a read.
        for call in ctx["calls"]:
            if call.reply is not None:
                audit.record(
                    request,
                    audit.Action.VIEW,
                    obj=call.reply,
                    patient=call.patient,
                    detail="text reply on the call list",
                )
    if role in (Role.FRONT_DESK, Role.ADMIN):
        ctx["awaiting_approval"] = Appointment.objects.filter(
            needs_approval=True, status=Appointment.Status.BOOKED
        ).count()
    if role == Role.PHYSIO:
        ctx["alerts"] = (
            Alert.objects.open()
            .filter(physio=request.user)
            .select_related("visit__appointment__patient", "answer")
        )
        ctx["response_rate"] = followups.checkin_response_rate(request.user)
        ctx["to_sign"] = Visit.objects.to_sign(request.user).select_related("appointment__patient")
        ctx["authorisation"] = NeedlingAuthorisation.objects.valid_for(request.user, today)
    return render(request, f"clinic/home_{role.slug}.html", ctx)


@require_roles(Role.ADMIN)
def audit_log(request):
    form = AuditFilterForm(request.GET or None)
    events = AuditEvent.objects.select_related("user", "patient")
    if form.is_bound and form.is_valid():
        events = form.filter(events)
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request, "clinic/audit_log.html", {"form": form, "page": page, "query": query.urlencode()}
    )


@public  # the code is the credential, as a patient link's token is
@never_cache
@require_safe
def short_link(request, code: str):
    """A short link from a text message: on to the page it stands for, or the one
    refusal page for a bad link (``links.refuse``, which slows down guessing)."""
    target = links.short_link_target(code, now=timezone.now())
    if target is None:
        return links.refuse(request)
    return HttpResponseRedirect(target)


@public
@never_cache
@require_safe
def healthz(request):
    problems = {
        "database": health.check_database(),
        "broker": health.check_broker(
            settings.CELERY_BROKER_URL, settings.CELERY_BROKER_TRANSPORT_OPTIONS
        ),
    }
    body = {part: ("ok" if error is None else error) for part, error in problems.items()}
    if problems["database"] is None:
        counts = followups.message_health()
        body["oldest_overdue_message_seconds"] = counts["oldest_overdue_seconds"]
        # Texts that fail are for operations to look at, not a reason to restart the app:
        # reported, never a failing part.
        body["sms"] = {
            "backend": followups.sms_backend_name(),
            "sms_failed_24h": counts["sms_failed_24h"],
            "sms_stuck": counts["sms_stuck"],
        }
    # Without the documents' storage only uploads and downloads stop: reported, not failing.
    body["documents_storage"] = health.check_storage("documents") or "ok"
    failing = [part for part, error in problems.items() if error is not None]
    body["status"] = "ok" if not failing else "failing: " + ", ".join(failing)
    return JsonResponse(body, status=503 if failing else 200)


@require_roles(Role.PHYSIO)
def patient_export(request, pk: int):
    """An access request: everything held about the patient, as JSON or a printable page.
    Any other ``?format=`` is refused (400) before anything is read or audited."""
    patient = get_object_or_404(Patient, pk=pk)
    form = ExportFormatForm(request.GET)
    if not form.is_valid():
        message = " ".join(str(error) for error in form.errors["format"])
        return render(request, "400.html", {"message": message}, status=400)
    data = export.patient_export(patient)
    as_json = form.chosen() == "json"
    audit.record(
        request,
        audit.Action.EXPORT,
        obj=patient,
        detail="export json" if as_json else "export page",
    )
    if as_json:
        response = JsonResponse(data, json_dumps_params={"indent": 2, "ensure_ascii": False})
        response["Content-Disposition"] = f'attachment; filename="patient-{patient.pk}-export.json"'
        return response
    page = export_page.export_page(data)
    return render(request, "clinic/patient_export.html", {"patient": patient, **page})


@public
@require_safe
def favicon(request):
    """/favicon.ico, which browsers ask for on their own: the page icon (pages also
    name it in a <link>). A temporary redirect, so a changed icon's new address is used."""
    return HttpResponseRedirect(static("img/favicon.svg"))


@public
def bench_floor(request):
    """The benchmark's reference: one indexed query and a small template (BENCH=1 only)."""
    location = Location.objects.filter(pk=request.GET.get("id", 1)).first()
    return render(request, "clinic/bench_floor.html", {"location": location})
