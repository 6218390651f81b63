from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from clinic import mfa, views
from clinic.access import public, require_roles
from clinic.forms import LoginForm, StaffPasswordResetForm
from clinic.roles import STAFF
from clinic.site import patient
from clinic.site import views as site_views
from intake import urls as intake_urls

auth_urls = [
    path(
        "login/",
        public(auth_views.LoginView.as_view(authentication_form=LoginForm)),
        name="login",
    ),
    path("logout/", public(auth_views.LogoutView.as_view()), name="logout"),
    path("mfa/", mfa.verify, name="mfa-verify"),
    path("mfa/setup/", mfa.setup, name="mfa-setup"),
    path("staff/", mfa.staff_access, name="staff-access"),
    path("staff/<id:user_id>/reset-mfa/", mfa.reset_mfa, name="mfa-reset"),
    path("staff/<id:user_id>/password-link/", mfa.send_password_link, name="staff-password-link"),
    path("staff/lockouts/<id:attempt_id>/unlock/", mfa.unlock, name="lockout-unlock"),
    path(
        "password/change/",
        require_roles(*STAFF)(views.PasswordChangeView.as_view()),
        name="password_change",
    ),
    path(
        "password/change/done/",
        require_roles(*STAFF)(auth_views.PasswordChangeDoneView.as_view()),
        name="password_change_done",
    ),
    path(
        "password/reset/",
        public(auth_views.PasswordResetView.as_view(form_class=StaffPasswordResetForm)),
        name="password_reset",
    ),
    path(
        "password/reset/sent/",
        public(auth_views.PasswordResetDoneView.as_view()),
        name="password_reset_done",
    ),
    path(
        "password/reset/<uidb64>/<token>/",
        public(views.PasswordResetConfirmView.as_view()),
        name="password_reset_confirm",
    ),
    path(
        "password/reset/complete/",
        public(auth_views.PasswordResetCompleteView.as_view()),
        name="password_reset_complete",
    ),
]

# The intake app's pages plus the patient page, which reads both apps and so is served
# from the site layer (clinic/site/patient.py) under the intake namespace it always had.
intake_patterns = [
    *intake_urls.urlpatterns,
    path("patients/<id:pk>/", patient.patient_detail, name="patient-detail"),
]

urlpatterns = [
    path("", site_views.home, name="home"),
    path("healthz", site_views.healthz, name="healthz"),
    path("favicon.ico", site_views.favicon, name="favicon"),
    path("s/<str:code>", site_views.short_link, name="short-link"),
    path("audit/", site_views.audit_log, name="audit-log"),
    path("patients/<id:pk>/export/", site_views.patient_export, name="patient-export"),
    path("accounts/", include(auth_urls)),
    path("", include((intake_patterns, intake_urls.app_name))),
    path("", include("sessions.urls")),
    path("admin/", admin.site.urls),
]

if settings.BENCH:
    urlpatterns.append(path("bench/floor/", site_views.bench_floor, name="bench-floor"))
