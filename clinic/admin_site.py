from functools import wraps

from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from clinic import audit
from clinic.roles import Role, has_role


class ClinicAdminSite(admin.AdminSite):
    """Django's admin for clinic admins only; everyone else signs in on the app's page."""

    site_header = "Clinic administration"
    site_title = "Clinic administration"

    def has_permission(self, request) -> bool:
        return request.user.is_active and has_role(request.user, Role.ADMIN)

    def admin_view(self, view, cacheable=False):
        inner = super().admin_view(view, cacheable)

        @wraps(view)
        def guarded(request, *args, **kwargs):
            if not self.has_permission(request):
                return self._refuse(request, request.get_full_path())
            return inner(request, *args, **kwargs)

        return guarded

    def login(self, request, extra_context=None):
        next_url = request.GET.get("next") or reverse("admin:index")
        if self.has_permission(request):
            return redirect(next_url if url_has_allowed_host_and_scheme(next_url, None) else "/")
        return self._refuse(request, next_url)

    def _refuse(self, request, next_url: str):
        """Anonymous visitors sign in on the app's page; other staff get a 403."""
        if not request.user.is_authenticated:
            return redirect_to_login(next_url)
        audit.record_denied(request, "admin site: not a clinic admin")
        raise PermissionDenied("The admin site is for clinic admins.")
