"""Forms of outcome measures: the one generic questionnaire form (any instrument), the
physiotherapist's "send a questionnaire" and the clinic admin's schedules."""

from typing import cast

from django import forms

from sessions.booking.models import AppointmentType
from sessions.outcomes import instruments, services
from sessions.outcomes.instruments import Instrument
from sessions.outcomes.models import OutcomeSchedule


class QuestionnaireForm(forms.Form):
    """Any instrument's questions: a radio group per item (none required here, so
    "Save and continue later" keeps half an answer; ``services.missing_items`` says
    what a submission lacks) and a name box per patient-named item. ``rows``: (asked
    item, name field or None, answer field) in order, for the template."""

    def __init__(self, *args, instrument: Instrument, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.instrument = instrument
        self.asked = services.asked_items(instrument)
        for item in self.asked:
            if item.named:
                self.fields[item.key + services.NAME_SUFFIX] = forms.CharField(
                    label="Activity", required=False, max_length=services.NAME_MAX
                )
            self.fields[item.key] = forms.TypedChoiceField(
                label=item.text,
                choices=[(str(v), label) for v, label in item.options],
                coerce=int,
                required=False,
                widget=forms.RadioSelect,
                error_messages={"invalid_choice": "Please choose one of the answers."},
            )

    @property
    def rows(self) -> list:
        suffix = services.NAME_SUFFIX
        return [
            (item, self[item.key + suffix] if item.named else None, self[item.key])
            for item in self.asked
        ]

    def answers(self) -> dict:
        """The answers given (valid ones only, whatever else was typed)."""
        data = self.cleaned_data if self.is_bound and hasattr(self, "cleaned_data") else {}
        raw = {k: v for k, v in data.items() if v not in (None, "")}
        return services.clean_answers(self.instrument, raw)


class SendForm(forms.Form):
    instrument = forms.ChoiceField(label="Questionnaire", choices=())

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["instrument"]).choices = services.sendable_choices()


class ScheduleForm(forms.Form):
    instrument = forms.ChoiceField(label="Questionnaire", choices=())
    appointment_type = forms.ModelChoiceField(
        label="Appointment type",
        queryset=AppointmentType.objects.order_by("name"),
        required=False,
        empty_label="Any type that counts as a visit",
    )
    visit_numbers = forms.CharField(
        label="Before visits",
        required=False,
        max_length=100,
        help_text="Visit numbers of the course, e.g. 1, 4, 8 (1: the first visit).",
    )
    at_discharge = forms.BooleanField(label="At discharge", required=False)
    active = forms.BooleanField(label="Active", required=False, initial=True)

    def __init__(self, *args, schedule: OutcomeSchedule | None = None, **kwargs) -> None:
        if schedule is not None:
            kwargs.setdefault(
                "initial",
                {
                    "instrument": schedule.instrument,
                    "appointment_type": schedule.appointment_type_id,
                    "visit_numbers": ", ".join(str(n) for n in schedule.visit_numbers),
                    "at_discharge": schedule.at_discharge,
                    "active": schedule.active,
                },
            )
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["instrument"]).choices = instruments.choices()

    def clean_instrument(self) -> str:
        code = self.cleaned_data["instrument"]
        instrument = instruments.get(code)
        if not services.can_send(instrument):
            raise forms.ValidationError(
                f"{instrument.abbreviation} is licensed and its wording is not loaded yet: "
                "load it under Instruments and wording first, or it could never be sent."
            )
        return code

    def clean_visit_numbers(self) -> list[int]:
        try:
            return services.parse_visit_numbers(self.cleaned_data["visit_numbers"])
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from None
