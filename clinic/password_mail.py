"""The worker's half of staff password links: clinic/accounts.py queues
``clinic.tasks.send_password_links`` after the request, and the task calls this."""

from django.conf import settings
from django.contrib.auth import get_user_model

from clinic import audit, emails, throttle


def password_links_send_now(user_ids: list[int], new_account: bool) -> None:
    """The task's work: mail each active account its link, at most
    PASSWORD_RESET_ACCOUNT_LIMIT reset links per account within the window."""
    for user in get_user_model().objects.filter(pk__in=user_ids, is_active=True):
        if (
            not new_account
            and throttle.hit(
                f"reset-account:{user.pk}", window=settings.PASSWORD_RESET_WINDOW_SECONDS
            )
            > settings.PASSWORD_RESET_ACCOUNT_LIMIT
        ):
            audit.record_staff_account(
                None, user=user, detail="password-reset link not sent: too many"
            )
            continue
        emails.password_link(user=user, new_account=new_account)
