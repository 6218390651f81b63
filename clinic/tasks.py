from celery import shared_task
from django.core.mail import send_mail

from clinic import once
from clinic.password_mail import password_links_send_now


@shared_task
def send_test_email(recipient: str) -> None:
    """Send a harmless message: proves the worker, the broker and the mail settings."""
    send_mail(
        "Test message from the clinic app",
        "This message confirms that background email delivery works.",
        None,
        [recipient],
    )


@shared_task
def send_password_links(user_ids: list[int], new_account: bool) -> None:
    """Mail these staff accounts a link to choose their password (ids only)."""
    password_links_send_now(user_ids, new_account)


@shared_task
def purge_form_tokens() -> int:
    """Daily: forget spent one-time form tokens no page can still send."""
    return once.tokens_purge()
