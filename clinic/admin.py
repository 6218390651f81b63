from django.contrib import admin

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
