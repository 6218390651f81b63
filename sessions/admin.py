from django.contrib import admin

from sessions.models import Location, NeedlingAuthorisation


@admin.register(Location)
class LocationAdmin(admin.ModelAdmin):
    list_display = ["name", "address", "phone", "is_active"]


@admin.register(NeedlingAuthorisation)
class NeedlingAuthorisationAdmin(admin.ModelAdmin):
    list_display = ["practitioner", "issuing_body", "number", "valid_from", "valid_until"]
    list_select_related = ["practitioner"]
