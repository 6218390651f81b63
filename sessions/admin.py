from django.contrib import admin

from sessions.models import (
    AftercareTemplate,
    AppointmentType,
    BillableItem,
    BillingPolicy,
    Fee,
    Location,
    Muscle,
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


@admin.register(Muscle)
class MuscleAdmin(admin.ModelAdmin):
    list_display = ["name", "region", "nerve_roots", "is_paraspinal", "is_active"]
    list_filter = ["region", "is_paraspinal", "is_active"]
    search_fields = ["name"]


@admin.register(AftercareTemplate)
class AftercareTemplateAdmin(admin.ModelAdmin):
    """Clinic wording for aftercare; physiotherapists adapt it per visit when signing."""

    list_display = ["name", "is_active", "updated_at"]


# Visits, needling sites and addenda are deliberately not in the admin: the chart
# pages check roles, write the audit log and keep signed notes locked.


class FeeInline(admin.TabularInline):
    model = Fee
    extra = 1


@admin.register(BillableItem)
class BillableItemAdmin(admin.ModelAdmin):
    """The fee schedule: an item per visit type or goods, its fees by date and payer."""

    list_display = ["name", "appointment_type", "tax_name", "tax_rate", "is_active"]
    list_select_related = ["appointment_type"]
    inlines = [FeeInline]


@admin.register(BillingPolicy)
class BillingPolicyAdmin(admin.ModelAdmin):
    list_display = ["__str__", "no_show_fee_on", "no_show_fee", "late_cancel_fee_on"]

    def has_add_permission(self, request):
        return not BillingPolicy.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False
