"""Forms of booking: the appointment form (book and move), cancelling, a quick new
patient, the course plan and the calendars' pickers."""

from datetime import datetime, timedelta
from typing import cast

from django import forms

from clinic import clock
from clinic.roles import display_name
from clinic.types import StaffUser
from intake.forms import PatientForm
from sessions import schedule
from sessions.billing.authorisations import cases_offered
from sessions.billing.models import PayerCase
from sessions.billing.selectors import case_authorisation
from sessions.booking import selectors
from sessions.booking.models import AppointmentType, Course, Location
from sessions.booking.services import CANCEL_REASON_REQUIRED

DATETIME_INPUT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class WallClockField(forms.DateTimeField):
    """A time on the clinic's wall clock, kept naive: the form decides which moment it
    is, because on the nights the clocks change a time may repeat or not exist."""

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, datetime):
            return clock.clinic_localtime(value).replace(tzinfo=None) if value.tzinfo else value
        return forms.fields.BaseTemporalField.to_python(self, value)


class TypeSelect(forms.Select):
    """A select whose options in ``unavailable`` are disabled, unless chosen already
    (a chosen option is never taken away; the booking check then explains it)."""

    unavailable: set[str] = set()

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        if str(value) in self.unavailable and not selected:
            option["attrs"]["disabled"] = True
        return option


class AppointmentForm(forms.Form):
    practitioner: "forms.ModelChoiceField[StaffUser]" = forms.ModelChoiceField(
        queryset=None, label="Physiotherapist"
    )
    location = forms.ModelChoiceField(queryset=Location.objects.filter(is_active=True))
    type = forms.ModelChoiceField(
        queryset=AppointmentType.objects.filter(is_active=True),
        label="Visit type",
        widget=TypeSelect,
    )
    start = WallClockField(
        label="Starts",
        widget=DATETIME_INPUT,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        help_text="Clinic time.",
    )
    # Shown only for a time that happens twice (the night the clocks go back).
    start_fold = forms.TypedChoiceField(
        choices=[(0, "first"), (1, "second")],
        coerce=int,
        empty_value=None,
        required=False,
        widget=forms.HiddenInput,
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
    payer_case: "forms.ModelChoiceField[PayerCase]" = forms.ModelChoiceField(
        queryset=None,
        required=False,
        label="Bill to",
        empty_label="The patient (no payer case)",
    )
    authorisation_override = forms.CharField(
        label="Reason to book beyond the authorisation",
        max_length=300,
        required=False,
        help_text="Only when the payer has not authorised this visit.",
    )

    def __init__(self, *args, patient=None, appointment=None, **kwargs):
        """``patient``: booking, the type is preselected for them; ``appointment``:
        rescheduling it (its own time does not count as taken)."""
        super().__init__(*args, **kwargs)
        self.appointment_id = getattr(appointment, "pk", None)
        self._cases(patient or appointment.patient, appointment)
        self.fields["practitioner"].queryset = selectors.practitioners()
        self.fields["practitioner"].label_from_instance = display_name
        tz = clock.clinic_tz()
        wall = self._given_clean("start")
        if wall is not None and schedule.wall_clock_repeats(wall, tz):
            self._offer_which_one(wall, tz)
        fits = self._type_fits(wall, tz, patient or getattr(appointment, "patient", None))
        if patient is not None and not self.is_bound:
            self.initial["type"] = selectors.type_default(patient=patient, fits=fits)
        if fits:
            self._describe_types(fits)

    def _cases(self, patient, appointment) -> None:
        """Offer the patient's open cases (the course's preselected when booking) and
        say where the visit would stand: "visit k of N authorised"."""
        field = cast(forms.ModelChoiceField, self.fields["payer_case"])
        keep = getattr(appointment, "payer_case_id", None)
        field.queryset = cases_offered(patient=patient, day=clock.clinic_today(), keep_id=keep)
        if appointment is None and not self.is_bound:
            course = selectors.course_active(patient=patient)
            self.initial.setdefault("payer_case", course.payer_case_id if course else None)
        case, wall, tz = (
            self._given_clean("payer_case"),
            self._given_clean("start"),
            clock.clinic_tz(),
        )
        if case is None or wall is None or schedule.wall_clock_missing(wall, tz):
            return
        start = schedule.moment(wall, tz, second=str(self._given("start_fold")) == "1")
        status = case_authorisation(case=case, start=start, exclude_id=self.appointment_id)
        field.help_text = f"At this time: {status.label}."

    def _given(self, name: str):
        return self.data.get(self.add_prefix(name)) if self.is_bound else self.initial.get(name)

    def _given_clean(self, name: str):
        """A field's value as given (data, or initial), cleaned; None if not valid."""
        try:
            return self.fields[name].clean(self._given(name))
        except forms.ValidationError:
            return None

    def _offer_which_one(self, wall: datetime, tz) -> None:
        first, second = (
            schedule.moment(wall, tz, second=s).astimezone(tz).tzname() for s in (False, True)
        )
        field = cast(forms.TypedChoiceField, self.fields["start_fold"])
        field.widget = forms.RadioSelect()
        field.required = True
        field.label = f"{wall:%H:%M} happens twice that night (the clocks go back): which one?"
        field.choices = [
            (0, f"first {wall:%H:%M} ({first})"),
            (1, f"second {wall:%H:%M} ({second})"),
        ]
        field.error_messages["required"] = (
            f"{wall:%H:%M} on {wall:%Y-%m-%d} happens twice: the clocks go back an hour that "
            f"night. Choose the first or the second {wall:%H:%M}."
        )

    def _type_fits(self, wall, tz, patient) -> list[selectors.TypeFit] | None:
        if patient is None or wall is None or schedule.wall_clock_missing(wall, tz):
            return None
        practitioner, location = self._given_clean("practitioner"), self._given_clean("location")
        if practitioner is None or location is None:
            return None
        return selectors.types_at(
            patient=patient,
            practitioner_id=practitioner.pk,
            location_id=location.pk,
            start=schedule.moment(wall, tz, second=str(self._given("start_fold")) == "1"),
            exclude_id=self.appointment_id,
        )

    def _describe_types(self, fits: list[selectors.TypeFit]) -> None:
        labels = {}
        for fit in fits:
            label = fit.type.name
            if fit.runs_into:
                other = fit.runs_into
                label += (
                    f" — {fit.type.duration_minutes} min, not free: overlaps the "
                    f"{clock.clinic_localtime(other.start):%H:%M}–"
                    f"{clock.clinic_localtime(other.end):%H:%M} visit"
                )
            elif fit.outside_hours:
                label += f" — {fit.type.duration_minutes} min, ends outside working hours"
            elif fit.needs_note:
                label += " — needs an override note that day"
            labels[fit.type.pk] = label
        blocked = next((f.needs_note for f in fits if f.needs_note), "")
        if blocked:
            self.fields[
                "eligibility_override"
            ].help_text = f"{blocked}. To book needling anyway, say why here."
        field = cast(forms.ModelChoiceField, self.fields["type"])
        field.label_from_instance = lambda t: labels.get(t.pk, t.name)  # type: ignore[method-assign,assignment]  # this form's own labels
        field.widget.unavailable = {str(f.type.pk) for f in fits if f.runs_into}

    def booking(self) -> dict:
        """The answers as the booking services take them (``appointment_book`` and
        ``appointment_reschedule`` alike)."""
        data = self.cleaned_data
        return {
            "practitioner": data["practitioner"],
            "location": data["location"],
            "type": data["type"],
            "start": data["start"],
            "front_desk_note": data["front_desk_note"],
            "override_note": data["eligibility_override"],
            "allow_outside_hours": data["allow_outside_hours"],
            "payer_case": data["payer_case"],
            "authorisation_override": data["authorisation_override"],
        }

    def clean(self):
        data = super().clean()
        wall = data.get("start")
        if wall is None:
            return data
        tz = clock.clinic_tz()
        if schedule.wall_clock_missing(wall, tz):
            self.add_error(
                "start",
                f"There is no {wall:%H:%M} on {wall:%Y-%m-%d} in clinic time: the clocks go "
                f"forward an hour that night. Choose another time, for example "
                f"{wall + timedelta(hours=1):%H:%M}.",
            )
        elif "start_fold" not in self.errors:
            data["start"] = schedule.moment(wall, tz, second=data.get("start_fold") == 1)
        return data


class CancelForm(forms.Form):
    reason = forms.CharField(
        label="Reason for cancelling",
        max_length=300,
        error_messages={"required": CANCEL_REASON_REQUIRED},
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
        if day and abs((day - clock.clinic_today()).days) > 3650:
            raise forms.ValidationError("Choose a date within ten years of today.")
        return day


class WeekForm(DayForm):
    practitioner: "forms.ModelChoiceField[StaffUser]" = forms.ModelChoiceField(
        queryset=None,
        required=False,
        label="Physiotherapist",
        widget=forms.Select(attrs={"class": "form-select"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["practitioner"].queryset = selectors.practitioners()
        self.fields["practitioner"].label_from_instance = display_name


ONE_DAY = timedelta(days=1)
ONE_WEEK = timedelta(days=7)
