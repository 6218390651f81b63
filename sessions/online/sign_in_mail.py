"""The worker's half of proving an email online: mail the link of one sign-in check
(``sessions.tasks.online_sign_in_send``, queued by ``signin.sign_in_request``) or of
one booking confirmation check (``sessions.tasks.online_confirm_send``, queued by
``signin.confirm_request``).

The page queues the task for every request, known address or not, so the request takes
the same path either way; only here, in the worker, is an unknown address dropped.
"""

from django.utils import timezone

from clinic import clock, emails, links
from clinic.roles import display_name
from sessions.online.models import EmailCheck

SIGN_IN_PURPOSE = "online-sign-in"
CONFIRM_PURPOSE = "online-confirm"


def sign_in_send(check_id: int) -> bool:
    """Mail the check's link if it names a patient and is still unused and live;
    returns whether a message left. Raises nothing for an unknown id (False)."""
    check = EmailCheck.objects.filter(
        pk=check_id, purpose=EmailCheck.Purpose.SIGN_IN, patient__isnull=False
    ).first()
    if check is None or check.used_at is not None or timezone.now() >= check.expires_at:
        return False
    link = links.link_to(SIGN_IN_PURPOSE, check, "sessions:online-signed-in")
    emails.online_sign_in(
        to=check.email, link=link, expires_at=clock.clinic_localtime(check.expires_at)
    )
    return True


def confirm_send(check_id: int) -> bool:
    """Mail a new person the link that confirms their booking, if the check is still
    unused and live and its hold still awaits them; returns whether a message left."""
    check = (
        EmailCheck.objects.filter(
            pk=check_id, purpose=EmailCheck.Purpose.CONFIRM, hold__isnull=False
        )
        .select_related("hold__location", "hold__practitioner")
        .first()
    )
    if check is None or check.used_at is not None or timezone.now() >= check.expires_at:
        return False
    hold = check.hold
    assert hold is not None
    emails.online_confirm(
        to=check.email,
        first_name=hold.first_name,
        link=links.link_to(CONFIRM_PURPOSE, check, "sessions:online-confirm"),
        start=clock.clinic_localtime(hold.start),
        practitioner=display_name(hold.practitioner),
        location=hold.location,
    )
    return True
