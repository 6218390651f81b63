from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from clinic.roles import Role, has_role


class ClinicAdminSite(admin.AdminSite):
    """Django's admin for clinic admins only; everyone else signs in on the app's page."""

    site_header = "Clinic administration"
    site_title = "Clinic administration"

    def has_permission(self, request) -> bool:
        return request.user.is_active and has_role(request.user, Role.ADMIN)

    def login(self, request, extra_context=None):
        if request.user.is_authenticated:
            from clinic import audit

            audit.record(request, audit.Action.DENIED, detail="admin site: not a clinic admin")
            raise PermissionDenied("The admin site is for clinic admins.")
        return redirect_to_login(request.GET.get("next") or reverse("admin:index"))
