"""Celery tasks: thin adapters that take ids and call sessions.followups.dispatch."""

from celery import shared_task

from sessions.followups import dispatch


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
