"""Staff roles and the one way a view says who may use it.

Roles are Django groups (created by clinic/migrations/0002_roles.py). A view is
either decorated with ``@require_roles(...)``, or marked ``@public`` (login,
health check, patient links that carry their own signed token). Anything else
is refused by ``RoleAccessMiddleware``: staff views deny by default.
"""

from collections.abc import Callable
from enum import StrEnum
from functools import wraps

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import HttpRequest, HttpResponse


class Role(StrEnum):
    ADMIN = "Clinic admin"
    PHYSIO = "Physiotherapist"
    FRONT_DESK = "Front desk"

    @property
    def slug(self) -> str:
        return self.name.lower().replace("_", "-")


STAFF = (Role.ADMIN, Role.PHYSIO, Role.FRONT_DESK)
CLINICAL = (Role.PHYSIO,)

# Model permissions per role, for Django's admin (our own views check roles).
# "*" means every permission of that app.
ROLE_PERMISSIONS: dict[Role, list[str]] = {
    Role.ADMIN: [
        "clinic.*",
        "intake.*",
        "treatment_sessions.*",
        "auth.view_user",
        "auth.add_user",
        "auth.change_user",
        "auth.view_group",
    ],
    Role.PHYSIO: ["intake.view_patient", "intake.add_patient", "intake.change_patient"],
    Role.FRONT_DESK: ["intake.view_patient", "intake.add_patient", "intake.change_patient"],
}


def _roles(group_names) -> frozenset[Role]:
    known = {r.value for r in Role}
    return frozenset(Role(n) for n in group_names if n in known)


def user_roles(user) -> frozenset[Role]:
    """The user's roles, cached on the user object for the request."""
    if not user.is_authenticated or not user.is_active:
        return frozenset()
    cached = getattr(user, "_clinic_roles", None)
    if cached is None:
        cached = _roles(user.groups.values_list("name", flat=True))
        user._clinic_roles = cached
    return cached


class _GroupNames(models.Aggregate):
    """A user's group names joined by the unit separator (no name holds it)."""

    function = "STRING_AGG"
    template = "%(function)s(%(expressions)s, CHR(31))"
    output_field = models.TextField()

    def as_sqlite(self, compiler, connection, **extra_context):
        return super().as_sql(
            compiler,
            connection,
            function="GROUP_CONCAT",
            template="%(function)s(%(expressions)s, CHAR(31))",
            **extra_context,
        )


class RoleModelBackend(ModelBackend):
    """Django's model backend, loading the signed-in user and their roles in one
    query on every request instead of two."""

    def get_user(self, user_id):
        user = (
            get_user_model()
            ._default_manager.annotate(group_names=_GroupNames("groups__name"))
            .filter(pk=user_id)
            .first()
        )
        if user is None or not self.user_can_authenticate(user):
            return None
        user._clinic_roles = _roles((user.group_names or "").split(chr(31)))
        return user


def primary_role(user) -> Role | None:
    """The role that decides the user's home page (admin > physio > front desk)."""
    roles = user_roles(user)
    return next((r for r in STAFF if r in roles), None)


def has_role(user, *roles: Role) -> bool:
    return bool(user_roles(user) & set(roles))


def _deny(request: HttpRequest, reason: str) -> None:
    from clinic import audit

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

        wrapped.allowed_roles = allowed
        return wrapped

    return decorator


def public(view: Callable) -> Callable:
    """Mark a view as reachable without a staff login (it guards itself)."""
    view.is_public = True
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
    from clinic.security import mfa_required

    user = request.user
    return user.is_authenticated and mfa_required(user) and not user.is_verified()


def sync_role_permissions(sender, **kwargs) -> None:
    """post_migrate: give each role's group the permissions in ROLE_PERMISSIONS.

    Runs after every app's migrations (permissions of later apps appear later);
    it is idempotent and also recreates the groups after a test flush.
    """
    from django.contrib.auth.models import Group, Permission

    for role, specs in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role.value)
        perms = []
        for spec in specs:
            app_label, codename = spec.split(".", 1)
            qs = Permission.objects.filter(content_type__app_label=app_label)
            if codename != "*":
                qs = qs.filter(codename=codename)
            perms.extend(qs)
        group.permissions.set(perms)
