"""The audit log helper: every view that reads or writes clinical data calls record()."""

import ipaddress
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, models, transaction
from django.http import HttpRequest

from clinic.models import AuditEvent
from clinic.roles import primary_role
from clinic.types import StaffUser

Action = AuditEvent.Action
CHAIN_LOCK = 7_261_001  # an arbitrary, fixed advisory-lock key for the audit chain


def record(
    request: HttpRequest | None,
    action: str,
    *,
    obj: models.Model | None = None,
    patient: Any = None,
    detail: str = "",
    actor_role: str = "",
) -> AuditEvent:
    """Append one audit event and return it.

    ``patient`` (an ``intake.Patient``: clinic/ imports no app, hence ``Any``) defaults to
    ``obj.patient`` (or ``obj`` itself when it is a patient).
    ``actor_role`` names a non-staff actor, e.g. "patient" for a signed patient link.
    """
    user = getattr(request, "user", None)
    if user is not None and not user.is_authenticated:
        user = None
    role = primary_role(user) if user is not None else None
    if patient is None and obj is not None:
        if obj._meta.label == "intake.Patient":
            patient = obj
        else:
            patient = getattr(obj, "patient", None)
    match = getattr(request, "resolver_match", None)
    event = AuditEvent(
        user=user,
        role=role.value if role else actor_role,
        action=action,
        patient=patient,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None and obj.pk is not None else "",
        url_name=(match.view_name if match else "")[:200],
        ip=client_ip(request),
        detail=detail[:300],
    )
    # No savepoint: if the insert fails, the request's own transaction should fail too.
    with transaction.atomic(savepoint=False):
        event.prev_digest = _chain_tail()
        event.digest = event.compute_digest()
        event.save()
    return event


def record_staff_account(
    request: HttpRequest | None, *, user: StaffUser, detail: str, created: bool = False
) -> AuditEvent:
    """One audit event for a change to staff member ``user``'s account (what changed,
    in words)."""
    action = Action.CREATE if created else Action.UPDATE
    return record(
        request, action, obj=user, detail=f"staff account {user.get_username()}: {detail}"
    )


_APPOINTMENT = ("treatment_sessions.Appointment", "patient")
_VISIT = ("treatment_sessions.Visit", "appointment__patient")
_PATIENT = ("intake.Patient", "pk")
_INVOICE = ("treatment_sessions.Invoice", "patient")
_DOCUMENT = ("treatment_sessions.Document", "patient")
# What the id in each staff URL names, and the way from that row to its patient. A
# refused request never reaches its view, so its audit row learns from here whose
# record was tried. tests/clinic/authorization/ keeps this complete.
URL_SUBJECTS: dict[str, tuple[str, str]] = {
    "patient-export": _PATIENT,
    "mfa-reset": ("auth.User", ""),
    "staff-password-link": ("auth.User", ""),
    "lockout-unlock": ("axes.AccessAttempt", ""),
    "intake:patient-detail": _PATIENT,
    "intake:patient-edit": _PATIENT,
    "intake:patient-messages": _PATIENT,
    "intake:intake-send": _PATIENT,
    "intake:invitation-revoke": ("intake.IntakeInvitation", "intake__patient"),
    "intake:intake-summary": ("intake.Intake", "patient"),
    "sessions:appointment-detail": _APPOINTMENT,
    "sessions:appointment-cancel": _APPOINTMENT,
    "sessions:appointment-status": _APPOINTMENT,
    "sessions:appointment-confirm": _APPOINTMENT,
    "sessions:course-edit": _PATIENT,
    "sessions:course-discharge": _PATIENT,
    "sessions:chart": _APPOINTMENT,
    "sessions:safety-check": _VISIT,
    "sessions:acknowledge": _VISIT,
    "sessions:note-save": _VISIT,
    "sessions:site-add": _VISIT,
    "sessions:site-remove": ("treatment_sessions.NeedlingSite", "visit__appointment__patient"),
    "sessions:site-edit": ("treatment_sessions.NeedlingSite", "visit__appointment__patient"),
    "sessions:sites-repeat": _VISIT,
    "sessions:adverse-add": _VISIT,
    "sessions:sign": _VISIT,
    "sessions:addendum-add": _VISIT,
    "sessions:visit-print": _VISIT,
    "sessions:links-revoke": _VISIT,
    "sessions:timeline": _PATIENT,
    "sessions:outcome-trends": _PATIENT,
    "sessions:progress-report-new": _PATIENT,
    "sessions:progress-report": ("treatment_sessions.ProgressReport", "patient"),
    "sessions:progress-report-pdf": ("treatment_sessions.ProgressReport", "patient"),
    "sessions:alert": ("treatment_sessions.Alert", "visit__appointment__patient"),
    "sessions:call-done": ("treatment_sessions.CallTask", "patient"),
    # Receipts.
    "sessions:receipt": _INVOICE,
    "sessions:receipt-pdf": _INVOICE,
    "sessions:receipt-send": _INVOICE,
    "sessions:receipt-links-revoke": _INVOICE,
    "sessions:cases": _PATIENT,
    "sessions:case-new": _PATIENT,
    "sessions:case-edit": ("treatment_sessions.PayerCase", "patient"),
    "sessions:case-payment": ("treatment_sessions.PayerCase", "patient"),
    # Billing, the front desk's pages.
    "sessions:checkout": _APPOINTMENT,
    "sessions:invoice": _INVOICE,
    "sessions:invoice-pay": _INVOICE,
    "sessions:invoice-void": _INVOICE,
    "sessions:credit-note-add": _INVOICE,
    "sessions:credit-apply": _INVOICE,
    "sessions:missed-fee": ("treatment_sessions.MissedVisitFee", "appointment__patient"),
    "sessions:invoice-new": _PATIENT,
    "sessions:account": _PATIENT,
    "sessions:statement-pdf": _PATIENT,
    "sessions:refund-add": _PATIENT,
    "sessions:waitlist-edit": ("treatment_sessions.WaitListEntry", "patient"),
    # Public (no refusal to name): the location and service a new entry is for.
    "sessions:waitlist-join": ("treatment_sessions.AppointmentType", ""),
    # Online booking: approving or declining a patient's online booking.
    "sessions:appointment-approve": _APPOINTMENT,
    "sessions:appointment-decline": _APPOINTMENT,
    # Outcome measures: questionnaires sent from the patient's page, and schedules.
    "sessions:questionnaire-send": _PATIENT,
    "sessions:questionnaire-tablet": _PATIENT,
    "sessions:schedule-edit": ("treatment_sessions.OutcomeSchedule", ""),
    # Documents on the record: a patient's list, one document and its file.
    "sessions:documents": _PATIENT,
    "sessions:document-request-send": _PATIENT,
    "sessions:document": _DOCUMENT,
    "sessions:document-file": _DOCUMENT,
    "sessions:document-thumbnail": _DOCUMENT,
    "sessions:document-delete": _DOCUMENT,
    # Online booking's public pages name a location (and a type): no patient's record,
    # and being public they are never refused by the middleware.
    "sessions:online-services": ("treatment_sessions.Location", ""),
    "sessions:online-slots": ("treatment_sessions.Location", ""),
    "sessions:online-callback": ("treatment_sessions.Location", ""),
}


def record_denied(request: HttpRequest, reason: str) -> AuditEvent:
    """Audit a refused request with the record its URL named and that record's patient,
    so the log shows whose chart was tried."""
    match = getattr(request, "resolver_match", None)
    ids = {k: v for k, v in (match.kwargs if match else {}).items() if k != "status"}
    subject = None
    if match is not None and match.view_name in URL_SUBJECTS and len(ids) == 1:
        label, to_patient = URL_SUBJECTS[match.view_name]
        subject = (apps.get_model(label), to_patient, next(iter(ids.values())))
    elif match is not None and match.namespace == "admin" and len(ids) == 1:
        # An admin page of one object: <object_id>/change/, <id>/password/, ...
        model = _admin_model(match.url_name)
        subject = (model, "", next(iter(ids.values()))) if model else None
    if subject is None:
        return record(request, Action.DENIED, detail=reason)
    model, to_patient, pk = subject
    try:
        obj = model._default_manager.filter(pk=pk).first()
    except (ValueError, TypeError, ValidationError):
        obj = None
    if obj is None:
        detail = f"{reason}; {model._meta.label_lower} {str(pk)[:40]} (no such record)"
        return record(request, Action.DENIED, detail=detail)
    patient = None
    if to_patient:
        patient_id = model._default_manager.filter(pk=obj.pk).values_list(to_patient, flat=True)
        patient = apps.get_model("intake.Patient")(pk=patient_id.first())
    return record(request, Action.DENIED, obj=obj, patient=patient, detail=reason)


def _admin_model(url_name: str) -> type[models.Model] | None:
    """The model of a Django admin URL name such as ``intake_patient_change``."""
    from django.contrib import admin

    for model in admin.site._registry:
        if url_name.startswith(f"{model._meta.app_label}_{model._meta.model_name}_"):
            return model
    return None


def _chain_tail() -> str:
    """The last event's digest, read holding the chain's lock until the transaction
    ends: one writer at a time extends the chain. On PostgreSQL one call does both
    (clinic/migrations/0005); SQLite already serialises writers."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT clinic_audit_chain_tail(%s)", [CHAIN_LOCK])
            return cursor.fetchone()[0] or ""
    return AuditEvent.objects.order_by("-id").values_list("digest", flat=True).first() or ""


def client_ip(request: HttpRequest | None) -> str | None:
    """The client's address, always a valid IP address or None. Behind our TLS proxy,
    the hop that proxy appended; a hop that is not an address (whatever a client put in
    the header) falls back to the connection's own address. The audit log, sign-in
    lockouts and link throttling all key on this one function."""
    if request is None:
        return None
    if settings.BEHIND_TLS_PROXY:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if hops and (address := _valid_ip(hops[-1])):
            return address
    return _valid_ip(request.META.get("REMOTE_ADDR") or "")


def _valid_ip(text: str) -> str | None:
    try:
        return str(ipaddress.ip_address(text[:64]))
    except ValueError:
        return None
