"""Celery tasks: thin adapters that take ids and call sessions.followups."""

from celery import shared_task

from sessions import followups


@shared_task
def dispatch_due_messages() -> int:
    """Run by beat every minute: claim due messages, queue one send task each."""
    claimed = followups.messages_claim_due()
    for message_id, claim in claimed:
        send_message.delay(message_id, claim)
    return len(claimed)


@shared_task
def send_message(message_id: int, claim: str) -> str:
    return followups.message_send(message_id=message_id, claim=claim)
