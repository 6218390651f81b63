"""Staff roles: who holds which role, and what each role may do in Django's admin.

Roles are Django groups (created by clinic/migrations/0002_roles.py), kept in step with
``ROLE_PERMISSIONS`` after every migration. How a view says who may use it (the
decorators and the middleware that enforce them) is in clinic/access.py.
"""

from collections.abc import Iterable
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission
from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models.sql.compiler import SQLCompiler

from clinic.types import AnyUser, StaffUser


class Role(StrEnum):
    ADMIN = "Clinic admin"
    PHYSIO = "Physiotherapist"
    FRONT_DESK = "Front desk"

    @property
    def slug(self) -> str:
        return self.name.lower().replace("_", "-")


STAFF = (Role.ADMIN, Role.PHYSIO, Role.FRONT_DESK)
CLINICAL = (Role.PHYSIO,)
BILLERS = (Role.FRONT_DESK, Role.ADMIN)  # who takes money and issues invoices


def display_name(user: StaffUser) -> str:
    """How a staff member is named on pages and in messages: their full name, else
    their username."""
    return user.get_full_name() or user.get_username()


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


def _roles(group_names: Iterable[str]) -> frozenset[Role]:
    known = {r.value for r in Role}
    return frozenset(Role(n) for n in group_names if n in known)


def user_roles(user: AnyUser) -> frozenset[Role]:
    """The user's roles, cached on the user object for the request."""
    if not user.is_authenticated or not user.is_active:
        return frozenset()
    cached = getattr(user, "_clinic_roles", None)
    if cached is None:
        cached = _roles(user.groups.values_list("name", flat=True))
        user._clinic_roles = cached  # type: ignore[attr-defined]  # a per-request cache
    return cached


class _GroupNames(models.Aggregate):
    """A user's group names joined by the unit separator (no name holds it)."""

    function = "STRING_AGG"
    template = "%(function)s(%(expressions)s, CHR(31))"
    output_field = models.TextField()

    def as_sqlite(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra_context: Any
    ) -> tuple[str, tuple[str | int, ...]]:
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

    def get_user(self, user_id: int) -> StaffUser | None:
        user = (
            get_user_model()
            ._default_manager.annotate(group_names=_GroupNames("groups__name"))
            .filter(pk=user_id)
            .first()
        )
        if user is None or not self.user_can_authenticate(user):
            return None
        user._clinic_roles = _roles(  # type: ignore[attr-defined]  # a per-request cache
            (user.group_names or "").split(chr(31))
        )
        return user


def primary_role(user: AnyUser) -> Role | None:
    """The role that decides the user's home page (admin > physio > front desk)."""
    roles = user_roles(user)
    return next((r for r in STAFF if r in roles), None)


def has_role(user: AnyUser, *roles: Role) -> bool:
    return bool(user_roles(user) & set(roles))


def mfa_required(user: AnyUser) -> bool:
    """Physiotherapists and clinic admins always; front desk when the clinic chooses."""
    roles = user_roles(user)
    if roles & {Role.PHYSIO, Role.ADMIN}:
        return True
    return Role.FRONT_DESK in roles and settings.MFA_FRONT_DESK


def sync_role_permissions(sender: object, **kwargs: Any) -> None:
    """post_migrate: give each role's group the permissions in ROLE_PERMISSIONS.

    Runs after every app's migrations (permissions of later apps appear later);
    it is idempotent and also recreates the groups after a test flush.
    """
    for role, specs in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role.value)
        perms: list[Permission] = []
        for spec in specs:
            app_label, codename = spec.split(".", 1)
            qs = Permission.objects.filter(content_type__app_label=app_label)
            if codename != "*":
                qs = qs.filter(codename=codename)
            perms.extend(qs)
        group.permissions.set(perms)
