from datetime import timedelta

from django import forms
from django.utils import timezone

from intake.forms import PatientForm
from sessions import services
from sessions.models import AppointmentType, Course, Location

DATETIME_INPUT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class AppointmentForm(forms.Form):
    practitioner = forms.ModelChoiceField(queryset=None, label="Physiotherapist")
    location = forms.ModelChoiceField(queryset=Location.objects.filter(is_active=True))
    type = forms.ModelChoiceField(
        queryset=AppointmentType.objects.filter(is_active=True), label="Visit type"
    )
    start = forms.DateTimeField(
        label="Starts",
        widget=DATETIME_INPUT,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        help_text="Clinic time.",
    )
    front_desk_note = forms.CharField(
        label="Front-desk note", max_length=500, required=False, widget=forms.TextInput
    )
    eligibility_override = forms.CharField(
        label="Override note",
        max_length=300,
        required=False,
        help_text="Only when booking needling on a date the patient is not cleared for.",
    )
    allow_outside_hours = forms.BooleanField(label="Book outside working hours", required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["practitioner"].queryset = services.practitioners()
        self.fields["practitioner"].label_from_instance = lambda u: u.get_full_name() or u.username


class CancelForm(forms.Form):
    reason = forms.CharField(
        label="Reason for cancelling",
        max_length=300,
        error_messages={"required": "Please give the reason for cancelling."},
    )


class QuickPatientForm(PatientForm):
    """The few details front desk needs to book someone new."""

    class Meta(PatientForm.Meta):
        fields = [
            "legal_first_name",
            "legal_last_name",
            "date_of_birth",
            "phone",
            "email",
            "email_reminders",
        ]


class CourseForm(forms.ModelForm):
    class Meta:
        model = Course
        fields = ["planned_min", "planned_max"]


class DayForm(forms.Form):
    date = forms.DateField(
        label="Go to date", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    location = forms.ModelChoiceField(
        queryset=Location.objects.filter(is_active=True), required=False
    )

    def clean_date(self):
        day = self.cleaned_data["date"]
        if day and abs((day - timezone.localdate()).days) > 3650:
            raise forms.ValidationError("Choose a date within ten years of today.")
        return day


class WeekForm(DayForm):
    practitioner = forms.ModelChoiceField(
        queryset=None,
        required=False,
        label="Physiotherapist",
        widget=forms.Select(attrs={"class": "form-select"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["practitioner"].queryset = services.practitioners()
        self.fields["practitioner"].label_from_instance = lambda u: u.get_full_name() or u.username


ONE_DAY = timedelta(days=1)
ONE_WEEK = timedelta(days=7)
