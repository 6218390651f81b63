from django.contrib import admin

from intake.models import ConsentText, Patient


@admin.register(Patient)
class PatientAdmin(admin.ModelAdmin):
    list_display = ["legal_last_name", "legal_first_name", "date_of_birth", "phone", "email"]
    search_fields = ["search_name", "email", "search_phone"]


@admin.register(ConsentText)
class ConsentTextAdmin(admin.ModelAdmin):
    """Clinic admins publish new consent versions; published ones stay as they were."""

    list_display = ["version", "title", "created_at"]
    readonly_fields = ["version", "created_at"]

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False
