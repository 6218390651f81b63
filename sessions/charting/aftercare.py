"""The aftercare a signed visit sends: the delivery row, the email with its signed
link (sent after commit), the page that link opens, and stopping a visit's links."""

import secrets
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from clinic import emails
from clinic.links import issued_after, link_to, links_revoke, row_from_token
from sessions.charting.models import AftercareDelivery, Visit
from sessions.followups.models import ScheduledMessage

AFTERCARE_PURPOSE = "aftercare"


def aftercare_send(*, visit: Visit) -> AftercareDelivery:
    """Record the aftercare delivery and email the link once the transaction commits;
    returns the delivery (with ``skipped_reason`` when the patient has no email). Raises
    nothing itself: a failed email is the mail backend's to report, after commit."""
    patient = visit.patient
    delivery = AftercareDelivery.objects.create(
        visit=visit, email=patient.email, nonce=secrets.token_urlsafe(24)
    )
    if not patient.email:
        delivery.skipped_reason = "No email address on file; give the printed page."
        delivery.save(update_fields=["skipped_reason"])
        return delivery
    link = aftercare_link(delivery)

    def send() -> None:
        emails.aftercare(
            to=patient.email,
            first_name=patient.greeting_name,
            link=link,
        )
        AftercareDelivery.objects.filter(pk=delivery.pk).update(sent_at=timezone.now())

    transaction.on_commit(send)
    return delivery


def aftercare_link(delivery: AftercareDelivery) -> str:
    """The full address of the delivery's aftercare page."""
    return link_to(AFTERCARE_PURPOSE, delivery, "sessions:aftercare")


def delivery_from_token(token: str, now: datetime | None = None) -> AftercareDelivery | None:
    """The aftercare a link opens: genuine, not revoked, within AFTERCARE_LINK_DAYS
    of its sending, the instant it expires excluded (else None)."""
    now = now or timezone.now()
    deliveries = AftercareDelivery.objects.select_related(
        "visit__appointment__patient", "visit__author"
    ).filter(created_at__gt=issued_after(settings.AFTERCARE_LINK_DAYS, now))
    return row_from_token(AFTERCARE_PURPOSE, token, deliveries)


def visit_links_revoke(*, visit: Visit) -> int:
    """Stop the links a visit gave the patient (aftercare page, check-ins sent so far):
    for a wrong address, say; returns how many were revoked. The printed page and later
    check-ins are unaffected. Raises nothing: on a visit with no links it revokes none
    (0), and who may stop them is the view's to check (any physiotherapist)."""
    checkins = ScheduledMessage.objects.filter(visit=visit, kind=ScheduledMessage.Kind.CHECKIN)
    return links_revoke(visit.aftercare_deliveries.all()) + links_revoke(
        checkins.exclude(sent_at=None)
    )
