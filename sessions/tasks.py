"""Celery tasks: thin adapters that take ids and call sessions.followups.dispatch."""

from celery import shared_task

from sessions.followups import dispatch
from sessions.online import sign_in_mail


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


@shared_task
def online_sign_in_send(check_id: int) -> bool:
    """Mail a returning patient's sign-in link (queued for every request; the worker
    drops the ones for an address not on file)."""
    return sign_in_mail.sign_in_send(check_id)
