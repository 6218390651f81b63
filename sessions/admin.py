from django.contrib import admin

from sessions.models import (
    AppointmentType,
    Location,
    NeedlingAuthorisation,
    TimeOff,
    WorkingHours,
)


@admin.register(Location)
class LocationAdmin(admin.ModelAdmin):
    list_display = ["name", "address", "phone", "is_active"]


@admin.register(NeedlingAuthorisation)
class NeedlingAuthorisationAdmin(admin.ModelAdmin):
    list_display = ["practitioner", "issuing_body", "number", "valid_from", "valid_until"]
    list_select_related = ["practitioner"]


@admin.register(WorkingHours)
class WorkingHoursAdmin(admin.ModelAdmin):
    list_display = ["practitioner", "location", "weekday", "starts", "ends"]
    list_filter = ["location", "weekday"]
    list_select_related = ["practitioner", "location"]


@admin.register(TimeOff)
class TimeOffAdmin(admin.ModelAdmin):
    list_display = ["practitioner", "day", "starts", "ends", "reason"]
    list_select_related = ["practitioner"]
    date_hierarchy = "day"


@admin.register(AppointmentType)
class AppointmentTypeAdmin(admin.ModelAdmin):
    list_display = ["name", "duration_minutes", "involves_needling", "is_active"]
