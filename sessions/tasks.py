"""Celery tasks: thin adapters that take ids and call sessions.followups.dispatch, the
wait list (sessions.online.waitlist, its mail in waitlist_mail), online booking's
email checks (sessions.online.sign_in_mail) and the documents' purge
(sessions.documents.services). Mail tasks retry on a mail server's error."""

import smtplib
from datetime import datetime

from celery import shared_task
from django.db import transaction

from sessions.booking.models import TimeOff, WorkingHours
from sessions.documents import services as documents
from sessions.followups import dispatch
from sessions.online import sign_in_mail, waitlist, waitlist_mail

# A patient's mail queued from a page is sent here, so a mail server's failure never
# reaches the page; the worker tries again a few times, waiting longer each time.
mail_task = shared_task(
    autoretry_for=(smtplib.SMTPException, OSError),
    retry_backoff=30,
    retry_backoff_max=600,
    max_retries=5,
)


@shared_task
def dispatch_due_messages() -> int:
    """Run by beat every FOLLOWUP_DISPATCH_SECONDS: claim due messages, queue them
    in small batches."""
    claimed = dispatch.messages_claim_due()
    for ids, claim in dispatch.send_batches(claimed):
        send_messages.delay(ids, claim)
    return len(claimed)


@shared_task
def send_messages(ids: list[int], claim: str) -> dict[int, str]:
    return dispatch.messages_send(ids=ids, claim=claim)


# The wait list (sessions.online.waitlist): a freed time is offered from a task, so the
# cancel or move that freed it answers at once; offers that ran out are closed by beat.


@shared_task
def waitlist_offer_freed(location_id: int, practitioner_id: int, start: str) -> int:
    """Offer the freed time (``start``: ISO 8601, aware) to the wait list."""
    return waitlist.offer_freed_time(
        location_id=location_id,
        practitioner_id=practitioner_id,
        start=datetime.fromisoformat(start),
    )


@shared_task
def waitlist_expire_offers() -> int:
    """Run by beat every WAITLIST_EXPIRE_SECONDS: close offers that ran out, offer their
    slots to the next entries."""
    return waitlist.offers_expire()


def on_slot_freed(
    sender: object, *, location_id: int, practitioner_id: int, start: datetime, **kwargs: object
) -> None:
    """``booking.signals.slot_freed`` (sent after commit): queue the wait list's offer
    (ids and a time only)."""
    waitlist_offer_freed.delay(location_id, practitioner_id, start.isoformat())


@mail_task
def online_sign_in_send(check_id: int) -> bool:
    """Mail a returning patient's sign-in link (queued for every request; the worker
    drops the ones for an address not on file)."""
    return sign_in_mail.sign_in_send(check_id)


@mail_task
def online_confirm_send(check_id: int) -> bool:
    """Mail a new person the link that confirms their booking (``signin.confirm_request``)."""
    return sign_in_mail.confirm_send(check_id)


@mail_task
def waitlist_mail_send(kind: str, ids: list[int]) -> int:
    """The wait list's mail (``waitlist_mail.KINDS``: joined, offers, taken) for ids."""
    return waitlist_mail.send(kind, ids)


def on_waitlist_mail(sender: object, *, kind: str, ids: list[int], **kwargs: object) -> None:
    """``waitlist_mail.mail_wanted`` (sent after commit): queue the mail (ids only)."""
    waitlist_mail_send.delay(kind, ids)


@shared_task
def waitlist_offer_opened(practitioner_id: int, location_id: int | None = None) -> int:
    """New working hours, or time off taken back: offer the opened times."""
    return waitlist.offer_opened_time(practitioner_id=practitioner_id, location_id=location_id)


def on_hours_saved(sender: object, *, instance: WorkingHours, **kwargs: object) -> None:
    """``post_save`` of ``WorkingHours``: new or changed hours may open times."""
    practitioner_id, location_id = instance.practitioner_id, instance.location_id
    transaction.on_commit(lambda: waitlist_offer_opened.delay(practitioner_id, location_id))


def on_time_off_deleted(sender: object, *, instance: TimeOff, **kwargs: object) -> None:
    """``post_delete`` of ``TimeOff``: the practitioner's hours are open again."""
    practitioner_id = instance.practitioner_id
    transaction.on_commit(lambda: waitlist_offer_opened.delay(practitioner_id))


@shared_task
def documents_purge() -> int:
    """Run by beat each night: remove from storage the files of documents deleted more
    than DOCUMENT_RETENTION_YEARS ago (their rows stay); returns how many."""
    return documents.documents_purge()
