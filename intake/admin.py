from django.contrib import admin

from intake.models import ConsentText

# Patients and intakes are not in the admin: their pages check roles and write the
# audit log, and clinic admins do not read patient records.


@admin.register(ConsentText)
class ConsentTextAdmin(admin.ModelAdmin):
    """Clinic admins publish new consent versions; published ones stay as they were."""

    list_display = ["version", "title", "created_at"]
    readonly_fields = ["version", "created_at"]

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False
