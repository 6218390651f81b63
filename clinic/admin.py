from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin

from clinic.models import AuditEvent


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


class ClinicUserAdmin(UserAdmin):
    """Staff accounts for clinic admins: roles are groups; no superuser switch, no
    per-user permissions, no changing one's own roles; role changes are audited."""

    list_display = ["username", "first_name", "last_name", "email", "is_active", "roles"]
    list_filter = ["is_active", "groups"]
    fieldsets = [
        (None, {"fields": ["username", "password"]}),
        ("Person", {"fields": ["first_name", "last_name", "email"]}),
        ("Access", {"fields": ["is_active", "groups"]}),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    readonly_fields = ["last_login", "date_joined"]

    @admin.display(description="Roles")
    def roles(self, user) -> str:
        return ", ".join(g.name for g in user.groups.all())

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups")

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.pk == request.user.pk:
            fields += ["groups", "is_active"]  # nobody grants themselves a role
        return fields

    def save_related(self, request, form, formsets, change):
        user = form.instance
        before = set(user.groups.values_list("name", flat=True)) if change else set()
        super().save_related(request, form, formsets, change)
        after = set(user.groups.values_list("name", flat=True))
        if before != after:
            from clinic import audit

            audit.record(
                request,
                audit.Action.UPDATE,
                detail=f"roles of {user.username}: {sorted(before)} -> {sorted(after)}",
            )


admin.site.unregister(get_user_model())
admin.site.register(get_user_model(), ClinicUserAdmin)
