from django.contrib import admin

from sessions.models import (
    AftercareTemplate,
    AppointmentType,
    BillableItem,
    BillingPolicy,
    EmailCheck,
    Fee,
    Location,
    Muscle,
    NeedlingAuthorisation,
    OnlineBookingPolicy,
    SlotHold,
    TimeOff,
    VisitLink,
    WaitListEntry,
    WaitListOffer,
    WorkingHours,
)


@admin.register(Location)
class LocationAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "address",
        "phone",
        "is_active",
        "books_online",
        "online_needs_approval",
    ]


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
    list_display = [
        "name",
        "duration_minutes",
        "involves_needling",
        "is_active",
        "bookable_online",
        "for_new_patients",
    ]


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


# Online booking (sessions.online): the policy is edited here or on the online settings
# page; holds, email checks, visit links and offers are records of what patients did,
# read-only; wait-list entries are managed on the front desk's wait-list pages.


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(OnlineBookingPolicy)
class OnlineBookingPolicyAdmin(admin.ModelAdmin):
    list_display = ["__str__", "horizon_days", "min_notice_hours", "cancel_notice_hours"]
    filter_horizontal = ["practitioners"]

    def has_add_permission(self, request):
        return not OnlineBookingPolicy.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(SlotHold)
class SlotHoldAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "location", "practitioner", "type", "start", "status", "expires_at"]
    list_filter = ["status", "location"]
    list_select_related = ["location", "practitioner", "type"]
    exclude = ["nonce"]
    date_hierarchy = "start"


@admin.register(EmailCheck)
class EmailCheckAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "purpose", "created_at", "expires_at", "used_at"]
    list_filter = ["purpose"]
    exclude = ["nonce"]


@admin.register(VisitLink)
class VisitLinkAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "created_at"]
    exclude = ["nonce"]


@admin.register(WaitListEntry)
class WaitListEntryAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "location", "type", "earliest", "latest", "priority", "status"]
    list_filter = ["status", "location", "source"]
    list_select_related = ["location", "type"]
    exclude = ["nonce"]


@admin.register(WaitListOffer)
class WaitListOfferAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "status", "offered_at", "expires_at", "answered_at"]
    list_filter = ["status"]
    exclude = ["nonce"]
