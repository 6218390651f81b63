from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import PermissionDenied

from clinic import accounts, audit
from clinic.forms import StaffCreationForm
from clinic.models import AuditEvent, PractitionerProfile


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["at", "user", "role", "action", "patient", "object_type", "object_id", "ip"]
    list_filter = ["action", "role"]
    list_select_related = ["user", "patient"]
    date_hierarchy = "at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class StaffChangeForm(forms.ModelForm):
    """The change form without Django's password field and its "change password" link."""

    class Meta:
        model = get_user_model()
        fields = ["username", "first_name", "last_name", "email", "is_active", "groups"]


class ClinicUserAdmin(UserAdmin):
    """Staff accounts for clinic admins: roles are groups; no superuser switch, no
    per-user permissions, no changing one's own roles. Nobody sets another person's
    password here: a new account, or the "send a password-reset link" action, mails
    the person a link to choose their own. Every change is audited (clinic.accounts)."""

    list_display = ["username", "first_name", "last_name", "email", "is_active", "roles"]
    list_filter = ["is_active", "groups"]
    form = StaffChangeForm
    add_form = StaffCreationForm
    add_form_template = None  # the plain change form: Django's speaks of passwords
    fieldsets = [
        (None, {"fields": ["username"]}),
        ("Person", {"fields": ["first_name", "last_name", "email"]}),
        ("Access", {"fields": ["is_active", "groups"]}),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (
            None,
            {
                "fields": ["username", "first_name", "last_name", "email", "groups"],
                "description": "The person receives a link by email to choose their own "
                "password; nobody else ever knows it.",
            },
        ),
    ]
    readonly_fields = ["last_login", "date_joined"]
    actions = ["send_password_links"]

    @admin.display(description="Roles")
    def roles(self, user) -> str:
        return ", ".join(g.name for g in user.groups.all())

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups")

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.pk == request.user.pk:
            fields += ["groups", "is_active"]  # nobody grants themselves a role
        if obj is not None and obj.last_login is not None:
            # Where their reset links go: changing it would let an admin receive one.
            fields += ["email"]
        return fields

    def user_change_password(self, request, id, form_url=""):
        """Refused: an admin who set a password could sign in as that person."""
        audit.record_denied(request, "admin: nobody sets another person's password")
        raise PermissionDenied("Send a password-reset link instead; the person chooses.")

    def save_model(self, request, obj, form, change):
        if not change:
            obj.set_unusable_password()
        super().save_model(request, obj, form, change)
        if change:
            for field in ("username", "first_name", "last_name", "email", "is_active"):
                if field in form.changed_data:
                    before, after = form.initial.get(field), form.cleaned_data[field]
                    audit.record_staff_account(
                        request, user=obj, detail=f"{field} {before!r} -> {after!r}"
                    )

    def save_related(self, request, form, formsets, change):
        user = form.instance
        before = set(user.groups.values_list("name", flat=True)) if change else set()
        super().save_related(request, form, formsets, change)
        if not change:
            accounts.staff_account_created(request=request, user=user, by=" in the admin")
            return
        after = set(user.groups.values_list("name", flat=True))
        if before != after:
            audit.record_staff_account(
                request, user=user, detail=f"roles {sorted(before)} -> {sorted(after)}"
            )

    @admin.action(description="Send a password-reset link (they choose their own password)")
    def send_password_links(self, request, queryset):
        sent = 0
        for user in queryset.filter(is_active=True).exclude(email=""):
            accounts.password_link_send(request=request, user=user)
            sent += 1
        self.message_user(request, f"Password-reset links sent: {sent}.")


admin.site.unregister(get_user_model())
admin.site.register(get_user_model(), ClinicUserAdmin)


@admin.register(PractitionerProfile)
class PractitionerProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "designation", "registration_number", "regulatory_body"]
    list_select_related = ["user"]
    search_fields = ["user__first_name", "user__last_name", "registration_number"]
