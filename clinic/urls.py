from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from clinic import views
from clinic.roles import STAFF, public, require_roles

auth_urls = [
    path("login/", public(auth_views.LoginView.as_view()), name="login"),
    path("logout/", public(auth_views.LogoutView.as_view()), name="logout"),
    path(
        "password/change/",
        require_roles(*STAFF)(auth_views.PasswordChangeView.as_view()),
        name="password_change",
    ),
    path(
        "password/change/done/",
        require_roles(*STAFF)(auth_views.PasswordChangeDoneView.as_view()),
        name="password_change_done",
    ),
    path("password/reset/", public(auth_views.PasswordResetView.as_view()), name="password_reset"),
    path(
        "password/reset/sent/",
        public(auth_views.PasswordResetDoneView.as_view()),
        name="password_reset_done",
    ),
    path(
        "password/reset/<uidb64>/<token>/",
        public(auth_views.PasswordResetConfirmView.as_view()),
        name="password_reset_confirm",
    ),
    path(
        "password/reset/complete/",
        public(auth_views.PasswordResetCompleteView.as_view()),
        name="password_reset_complete",
    ),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("audit/", views.audit_log, name="audit-log"),
    path("accounts/", include(auth_urls)),
    path("", include("intake.urls")),
    path("", include("sessions.urls")),
    path("admin/", admin.site.urls),
]
