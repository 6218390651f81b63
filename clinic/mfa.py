"""Staff multi-factor authentication (TOTP through django-otp, backup codes) and the
clinic admin's page for resetting devices and lifting login lockouts."""

import base64

import segno
from axes.handlers.proxy import AxesProxyHandler
from axes.models import AccessAttempt
from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, logout
from django.db import transaction
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp import match_token
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from clinic import accounts, audit
from clinic.access import require_roles
from clinic.audit import client_ip
from clinic.forms import TokenForm
from clinic.roles import STAFF, Role

BACKUP_CODES = 10
MAX_WRONG_CODES = 5
WRONG_CODES = "clinic_mfa_wrong"


def mfa_exempt(view):
    """Reachable before the second factor (the MFA pages themselves)."""
    view.mfa_exempt = True
    return view


def _next(request) -> str:
    """A local path to go on to ("/" unless a safe one was asked for)."""
    target = request.POST.get("next") or request.GET.get("next") or "/"
    safe = url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure())
    return target if safe and target.startswith("/") else "/"


@mfa_exempt
@require_roles(*STAFF)
def verify(request):
    """The second step of signing in. Wrong codes are limited per session (signed out
    after MAX_WRONG_CODES) and per username and address (each counts as a failed sign-in
    for django-axes), never per device: a stranger with the password cannot lock the
    owner out of their own code or backup codes elsewhere."""
    devices = list(TOTPDevice.objects.filter(user=request.user, confirmed=True))
    if not devices:
        return redirect(f"/accounts/mfa/setup/?next={_next(request)}")
    if sign_in_paused(request, request.user):
        return _locked_out(request)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device := match_token(request.user, form.cleaned_data["token"]):
            otp_login(request, device)
            request.session.cycle_key()  # a new session key once fully signed in
            request.session.pop(WRONG_CODES, None)
            sign_in_completed(request, request.user)
            kind = device.persistent_id.split("/")[0]
            audit.record(request, audit.Action.LOGIN, detail=f"second factor ({kind})")
            return HttpResponseRedirect(_next(request))
        return _wrong_code(request, form) or _render_verify(request, form)
    return _render_verify(request, form)


def _render_verify(request, form):
    return render(request, "registration/mfa_verify.html", {"form": form, "next": _next(request)})


def _wrong_code(request, form):
    """Count the miss for this session and, as a failed sign-in, for the username from
    this address; past either limit, sign out (a response), else None."""
    user = request.user
    wrong = request.session.get(WRONG_CODES, 0) + 1
    audit.record(request, audit.Action.LOGIN_FAILED, detail="wrong second-factor code")
    AxesProxyHandler.user_login_failed(
        sender=verify, credentials={"username": user.get_username()}, request=request
    )
    if sign_in_paused(request, user):
        return _locked_out(request)
    if wrong >= MAX_WRONG_CODES:
        logout(request)
        messages.error(request, "Too many wrong codes: you have been signed out.")
        return redirect("login")
    request.session[WRONG_CODES] = wrong
    form.add_error("token", "That code is not right. Codes change every 30 seconds.")
    return None


def _locked_out(request):
    logout(request)
    return render(request, settings.AXES_LOCKOUT_TEMPLATE, status=429)


def sign_in_paused(request, user) -> bool:
    """Too many failed passwords and codes for this username from this address."""
    return AxesProxyHandler.is_locked(request, {"username": user.get_username()})


def sign_in_completed(request, user) -> None:
    """Password and, where the role needs it, second factor done: forget this address's
    failures for the username (a right password alone does not, see settings)."""
    axes_reset(ip=client_ip(request), username=user.get_username())


@mfa_exempt
@require_roles(*STAFF)
def setup(request):
    """Enrol an authenticator app: scan, confirm with a code, receive backup codes."""
    if TOTPDevice.objects.filter(user=request.user, confirmed=True).exists():
        return redirect("mfa-verify")
    with transaction.atomic():
        # Two tabs opening enrolment at once must find one pending device, not make two
        # (get_or_create would then fail on every later visit): the user's row serialises.
        get_user_model().objects.select_for_update().filter(pk=request.user.pk).first()
        device, _ = TOTPDevice.objects.get_or_create(
            user=request.user, confirmed=False, defaults={"name": "Authenticator app"}
        )
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["token"]):
            codes = _confirm(device)
            otp_login(request, device)
            request.session.cycle_key()  # a new session key once fully signed in
            sign_in_completed(request, request.user)
            audit.record(request, audit.Action.CREATE, detail="authenticator enrolled")
            return render(
                request,
                "registration/mfa_backup_codes.html",
                {"codes": codes, "next": _next(request)},
            )
        else:
            form.add_error("token", "That code is not right. Check the app's clock and try again.")
    qr = segno.make(device.config_url, error="m")
    return render(
        request,
        "registration/mfa_setup.html",
        {
            "form": form,
            "qr_svg": qr.svg_inline(scale=4, dark="#000", light="#fff"),
            "secret": base64.b32encode(device.bin_key).decode(),
            "next": _next(request),
        },
    )


@transaction.atomic
def _confirm(device: TOTPDevice) -> list[str]:
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    StaticDevice.objects.filter(user=device.user).delete()
    backup = StaticDevice.objects.create(user=device.user, name="Backup codes")
    codes = [StaticToken.random_token() for _ in range(BACKUP_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=backup, token=code) for code in codes)
    return codes


@require_roles(Role.ADMIN)
def staff_access(request):
    users = (
        get_user_model()
        .objects.filter(is_active=True)
        .prefetch_related("groups")
        .order_by("username")
    )
    enrolled = set(TOTPDevice.objects.filter(confirmed=True).values_list("user_id", flat=True))
    locked = AccessAttempt.objects.order_by("-attempt_time")
    return render(
        request,
        "clinic/staff_access.html",
        {"users": users, "enrolled": enrolled, "locked": locked},
    )


@require_roles(Role.ADMIN)
@require_POST
def reset_mfa(request, user_id: int):
    """Another admin resets a person's authenticator; never one's own, which would let a
    hijacked signed-in session swap the second factor without knowing it."""
    user = get_object_or_404(get_user_model(), pk=user_id)
    if user.pk == request.user.pk:
        messages.error(
            request,
            "You cannot reset your own authenticator here: ask another clinic admin to do it.",
        )
        return redirect("staff-access")
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    audit.record_staff_account(request, user=user, detail="second factor reset")
    messages.success(
        request, f"{user.username} will set up a new authenticator at the next sign-in."
    )
    return redirect("staff-access")


@require_roles(Role.ADMIN)
@require_POST
def send_password_link(request, user_id: int):
    """The person chooses their own password from the link; nobody sets it for them."""
    user = get_object_or_404(get_user_model(), pk=user_id, is_active=True)
    if not user.email:
        messages.error(request, f"{user.username} has no email address on file.")
    else:
        accounts.password_link_send(request=request, user=user)
        messages.success(request, f"A link to choose a new password was sent to {user.username}.")
    return redirect("staff-access")


@require_roles(Role.ADMIN)
@require_POST
def unlock(request, attempt_id: int):
    """Lift another person's lockout; one's own stays for another admin (or the cool-off),
    so a hijacked session cannot reopen password guessing on its own account."""
    attempt = get_object_or_404(AccessAttempt, pk=attempt_id)
    if attempt.username == request.user.get_username():
        messages.error(
            request,
            "You cannot lift a lockout on your own account: ask another clinic admin.",
        )
        return redirect("staff-access")
    axes_reset(username=attempt.username, ip=attempt.ip_address)
    audit.record(
        request, audit.Action.UPDATE, detail=f"sign-in lockout lifted for {attempt.username}"
    )
    messages.success(request, f"{attempt.username} can sign in again from {attempt.ip_address}.")
    return redirect("staff-access")
