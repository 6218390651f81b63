from django.contrib import admin

from intake.models import Patient


@admin.register(Patient)
class PatientAdmin(admin.ModelAdmin):
    list_display = ["legal_last_name", "legal_first_name", "date_of_birth", "phone", "email"]
    search_fields = ["search_name", "email", "search_phone"]
