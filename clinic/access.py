"""The one way a view says who may use it.

A view is either decorated with ``@require_roles(...)``, or marked ``@public`` (login,
health check, patient links that carry their own signed token). Anything else is
refused by ``RoleAccessMiddleware``: staff views deny by default. Every refusal is
audited. Who holds which role is clinic/roles.py's business.
"""

from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from clinic import audit
from clinic.roles import Role, mfa_required, user_roles


def _deny(request: HttpRequest, reason: str) -> None:
    audit.record_denied(request, reason)
    raise PermissionDenied(reason)


def require_roles(*roles: Role) -> Callable:
    """Decorator: the view is for signed-in staff holding one of ``roles``."""
    if not roles:
        raise ValueError("require_roles needs at least one role")
    allowed = frozenset(roles)

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not user_roles(request.user) & allowed:
                _deny(request, "role not allowed")
            return view(request, *args, **kwargs)

        wrapped.allowed_roles = allowed  # type: ignore[attr-defined]  # read by the middleware
        return wrapped

    return decorator


def public(view: Callable) -> Callable:
    """Mark a view as reachable without a staff login (it guards itself)."""
    view.is_public = True  # type: ignore[attr-defined]  # read by the middleware
    return view


class RoleAccessMiddleware:
    """Refuses any view that declares neither roles nor ``@public``."""

    def __init__(self, get_response: Callable) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view: Callable, args, kwargs):
        if getattr(view, "is_public", False):
            return None
        if needs_second_factor(request) and not getattr(view, "mfa_exempt", False):
            return redirect_to_login(request.get_full_path(), "mfa-verify")
        if getattr(view, "allowed_roles", None):
            return None
        match = request.resolver_match
        if match is not None and match.namespace == "admin":
            return None  # ClinicAdminSite checks the clinic admin role itself
        if settings.DEBUG and request.path.startswith(settings.STATIC_URL):
            return None
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        _deny(request, "view declares no roles")


def needs_second_factor(request: HttpRequest) -> bool:
    """Signed in with a password, but the role calls for a verified second factor."""
    user = request.user
    if not user.is_authenticated or not mfa_required(user):
        return False
    return not user.is_verified()  # type: ignore[attr-defined]  # django_otp's middleware adds it
