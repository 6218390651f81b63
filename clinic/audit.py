"""The audit log helper: every view that reads or writes clinical data calls record()."""

import ipaddress

from django.conf import settings
from django.db import connection, models, transaction
from django.http import HttpRequest

from clinic.models import AuditEvent

Action = AuditEvent.Action
CHAIN_LOCK = 7_261_001  # an arbitrary, fixed advisory-lock key for the audit chain


def record(
    request: HttpRequest | None,
    action: str,
    *,
    obj: models.Model | None = None,
    patient=None,
    detail: str = "",
    actor_role: str = "",
) -> AuditEvent:
    """Append one audit event and return it.

    ``patient`` defaults to ``obj.patient`` (or ``obj`` itself when it is a patient).
    ``actor_role`` names a non-staff actor, e.g. "patient" for a signed patient link.
    """
    from clinic.roles import primary_role

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
