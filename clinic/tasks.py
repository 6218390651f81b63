from celery import shared_task
from django.core.mail import send_mail


@shared_task
def send_test_email(recipient: str) -> None:
    """Send a harmless message: proves the worker, the broker and the mail settings."""
    send_mail(
        "Test message from the clinic app",
        "This message confirms that background email delivery works.",
        None,
        [recipient],
    )
