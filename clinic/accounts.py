"""Staff accounts administered by someone else (a clinic admin, or the operator who
creates the first admin). Nobody sets another person's password: new accounts and
resets get a link by email with which the person chooses their own. Every change to a
staff account is a hash-chained audit event (``audit.record_staff_account``). The
links are mailed from the task queue: clinic/password_mail.py is the worker's half.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.http import HttpRequest

from clinic import audit, throttle
from clinic.audit import client_ip
from clinic.roles import Role
from clinic.tasks import send_password_links
from clinic.types import StaffUser


@transaction.atomic
def staff_account_create(
    *,
    request: HttpRequest | None,
    username: str,
    email: str,
    roles: list[Role],
    first_name: str = "",
    last_name: str = "",
    by: str = "",
) -> StaffUser:
    """A new staff account without a password, returned; a link to choose one goes to
    ``email``. Raises ValidationError keyed by the User field at fault (``username``,
    ``email``, ...) when ``full_clean`` refuses it."""
    user = get_user_model()(
        username=username, email=email, first_name=first_name, last_name=last_name
    )
    user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    user.groups.set(Group.objects.filter(name__in=[role.value for role in roles]))
    staff_account_created(request=request, user=user, by=by)
    return user


def staff_account_created(*, request: HttpRequest | None, user: StaffUser, by: str = "") -> None:
    """Audit a new account (with its roles) and mail its owner the link to choose a
    password. The account has no usable password until they do."""
    roles = sorted(user.groups.values_list("name", flat=True))
    audit.record_staff_account(
        request, user=user, created=True, detail=f"created{by}, roles {roles}"
    )
    if user.email:
        password_link_send(request=request, user=user, new_account=True)


def password_link_send(
    *, request: HttpRequest | None, user: StaffUser, new_account: bool = False
) -> None:
    """Mail ``user`` a link to choose their password, from the task queue after the
    transaction commits. An admin's "send a reset link" is audited here; a new account's
    link is part of its creation event."""
    if not new_account:
        audit.record_staff_account(request, user=user, detail="password-reset link sent")
    transaction.on_commit(lambda: send_password_links.delay([user.pk], new_account))


def password_reset_request(*, request: HttpRequest, user_ids: list[int]) -> None:
    """A reset asked for on the public page. The request does the same work whether or
    not the address matched an account: one counter per requesting address, one task
    queued after commit (its list perhaps empty). Past the address's limit nothing is
    sent; the per-account limit is applied by the task. The page answers the same."""
    hits = throttle.hit(
        f"reset-address:{client_ip(request)}", window=settings.PASSWORD_RESET_WINDOW_SECONDS
    )
    if hits > settings.PASSWORD_RESET_ADDRESS_LIMIT:
        user_ids = []
    transaction.on_commit(lambda: send_password_links.delay(user_ids, False))
