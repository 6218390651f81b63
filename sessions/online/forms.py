"""The public booking pages' forms. Each carries the honeypot (``guards.HoneypotMixin``);
the templates render its field inside a ``visually-hidden`` wrapper."""

from datetime import UTC, date, datetime

from django import forms
from django.http import HttpRequest, QueryDict

from clinic import clock
from clinic.text import DigitsCharField, IdentityCharField
from sessions.online.guards import HONEYPOT, HoneypotMixin
from sessions.online.slots import Slot

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
OLDEST_YEARS = 120


def posted(request: HttpRequest) -> QueryDict | None:
    """The POST data of a POST (even an empty one, a bare button: its form is bound),
    else None."""
    return request.POST if request.method == "POST" else None


class PublicForm(HoneypotMixin):
    """A public form: its visible fields are ``visible``; the honeypot is apart."""

    @property
    def honeypot(self) -> forms.BoundField:
        return self[HONEYPOT]

    @property
    def visible(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name != HONEYPOT]


class SignInForm(PublicForm):
    email = forms.EmailField(
        label="Your email address",
        max_length=254,
        help_text="The address the clinic has on file for you.",
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )


class DetailsForm(PublicForm):
    """A new person's details, kept on the hold until they confirm by email."""

    first_name = IdentityCharField(
        label="First name (legal)",
        max_length=100,
        widget=forms.TextInput(attrs={"autocomplete": "given-name"}),
    )
    last_name = IdentityCharField(
        label="Last name (legal)",
        max_length=100,
        widget=forms.TextInput(attrs={"autocomplete": "family-name"}),
    )
    date_of_birth = forms.DateField(
        label="Date of birth",
        widget=DATE_INPUT,
        help_text="YYYY-MM-DD",
        error_messages={"invalid": "Enter the date of birth as YYYY-MM-DD."},
    )
    email = forms.EmailField(
        label="Email",
        max_length=254,
        help_text="We email you a link to confirm the booking.",
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    phone = DigitsCharField(
        label="Phone",
        max_length=30,
        help_text="So the clinic can call you about the visit.",
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )

    def clean_date_of_birth(self) -> date:
        born = self.cleaned_data["date_of_birth"]
        today = clock.clinic_today()
        if born > today:
            raise forms.ValidationError("The date of birth is in the future.")
        if born.year < today.year - OLDEST_YEARS:
            raise forms.ValidationError("Please check the year of birth.")
        return born

    def clean_phone(self) -> str:
        phone = self.cleaned_data["phone"]
        if sum(c.isdigit() for c in phone) < 7:
            raise forms.ValidationError("Please enter a phone number we can call.")
        return phone


class ConfirmForm(PublicForm):
    """A button: confirm the booking (or ask for a call back). Only the honeypot."""


def slot_value(slot: Slot) -> str:
    """A slot as a form sends it: ``<practitioner id>:<start, seconds since the epoch>``
    (the one encoding; ``parse_slot`` reads it)."""
    return f"{slot.practitioner_id}:{int(slot.start.timestamp())}"


def parse_slot(value: str) -> tuple[int, datetime]:
    """(practitioner id, aware start in UTC) of a ``slot_value``. Raises
    forms.ValidationError for anything else."""
    try:
        practitioner, seconds = value.split(":")
        return int(practitioner), datetime.fromtimestamp(int(seconds), tz=UTC)
    except (ValueError, OverflowError, OSError) as exc:
        raise forms.ValidationError("Please choose one of the times shown.") from exc


class SlotForm(PublicForm):
    """The time chosen on the slot page or a visit's move page: each time is a button
    (or radio) ``slot`` with the value ``slot_value``."""

    slot = forms.CharField(max_length=40, error_messages={"required": "Please choose a time."})

    def clean_slot(self) -> tuple[int, datetime]:
        return parse_slot(self.cleaned_data["slot"])
