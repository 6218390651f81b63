"""Django's password views, audited. The pages that read the apps are in clinic/site/."""

from django.contrib.auth import views as auth_views

from clinic import audit


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's own-password change (the old password asked), audited."""

    def form_valid(self, form):
        response = super().form_valid(form)
        audit.record_staff_account(self.request, user=form.user, detail="password changed")
        return response


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Choosing a password from a mailed link, audited."""

    def form_valid(self, form):
        response = super().form_valid(form)
        detail = "password chosen from a mailed link"
        audit.record_staff_account(self.request, user=form.user, detail=detail)
        return response
