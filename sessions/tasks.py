"""Celery tasks: thin adapters that take ids and call sessions.followups.dispatch and
the wait list (sessions.online.waitlist)."""

from datetime import datetime

from celery import shared_task

from sessions.followups import dispatch
from sessions.online import sign_in_mail, waitlist


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


@shared_task
def online_sign_in_send(check_id: int) -> bool:
    """Mail a returning patient's sign-in link (queued for every request; the worker
    drops the ones for an address not on file)."""
    return sign_in_mail.sign_in_send(check_id)
