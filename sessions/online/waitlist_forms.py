"""Forms of the wait list's public pages (join, the entry, an offer) and the front
desk's wait-list pages. They parse and keep what was typed; the rules are the
services' (``waitlist``). The visit link's forms are in ``visit_forms``."""

from datetime import timedelta
from typing import cast

from django import forms

from clinic import clock
from clinic.roles import display_name
from sessions.booking.models import Location
from sessions.online.guards import HoneypotMixin
from sessions.online.models import OnlineBookingPolicy, WaitListEntry

WEEKDAYS = [
    (0, "Monday"),
    (1, "Tuesday"),
    (2, "Wednesday"),
    (3, "Thursday"),
    (4, "Friday"),
    (5, "Saturday"),
    (6, "Sunday"),
]
ANY = "any"


def _date_widget() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class _Wishes(forms.Form):
    """Dates, days and time of day an entry wants."""

    earliest = forms.DateField(label="From", widget=_date_widget())
    latest = forms.DateField(label="Until", widget=_date_widget())
    weekdays = forms.TypedMultipleChoiceField(
        label="Days that suit (none ticked: any day)",
        choices=WEEKDAYS,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    time_of_day = forms.ChoiceField(
        label="Time of day",
        choices=WaitListEntry.TimeOfDay.choices,
        initial=WaitListEntry.TimeOfDay.ANY,
    )

    def clean(self):
        data = super().clean() or {}
        earliest, latest = data.get("earliest"), data.get("latest")
        today = clock.clinic_today()
        last = today + timedelta(days=OnlineBookingPolicy.get().horizon_days)
        # Checked when typed: an older entry's dates stay editable as they are.
        if earliest and earliest < today and "earliest" in self.changed_data:
            self.add_error("earliest", "The first date cannot be in the past.")
        if latest and latest > last and "latest" in self.changed_data:
            self.add_error(
                "latest", f"The wait list looks ahead to {last:%Y-%m-%d}: choose a date until then."
            )
        if earliest and latest and latest < earliest:
            self.add_error("latest", "The last date must be on or after the first.")
        return data


def _practitioner_field(people) -> forms.ChoiceField:
    choices = [(ANY, "Any practitioner"), *((str(p.pk), display_name(p)) for p in people)]
    return forms.ChoiceField(label="Practitioner", choices=choices, initial=ANY)


class WaitlistJoinForm(HoneypotMixin, _Wishes):
    """A patient (signed in) or a new person joins the wait list."""

    first_name = forms.CharField(label="First name", max_length=100)
    last_name = forms.CharField(label="Last name", max_length=100)
    email = forms.EmailField(label="Email")
    phone = forms.CharField(label="Phone", max_length=30, required=False)

    def __init__(self, *args, people=(), new_person: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["practitioner"] = _practitioner_field(people)
        if not new_person:
            for name in ("first_name", "last_name", "email", "phone"):
                del self.fields[name]
        self.order_fields(["practitioner", "earliest", "latest", "weekdays", "time_of_day"])

    def practitioner_id(self) -> int | None:
        value = self.cleaned_data.get("practitioner")
        return None if value in (None, ANY) else int(value)


class EntryLeaveForm(HoneypotMixin):
    """Leave the wait list: nothing to type."""


class OfferForm(HoneypotMixin):
    """Accept or decline an offered time; a new person also gives their birth date (to
    create their record)."""

    answer = forms.ChoiceField(choices=[("accept", "Accept"), ("decline", "Decline")])
    date_of_birth = forms.DateField(
        label="Date of birth (needed to accept)", required=False, widget=_date_widget()
    )


class StaffEntryForm(_Wishes):
    """Front desk adds a patient to the wait list, or edits an entry."""

    priority = forms.IntegerField(
        label="Priority (-9 to 9; higher is offered first)", min_value=-9, max_value=9, initial=0
    )
    note = forms.CharField(label="Note (no clinical detail)", max_length=300, required=False)

    def __init__(self, *args, people=(), locations=None, types=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["practitioner"] = _practitioner_field(people)
        if locations is not None:
            self.fields["location"] = forms.ModelChoiceField(locations, label="Location")
            self.fields["type"] = forms.ModelChoiceField(types, label="Service")
        order = ["location", "type", "practitioner", "earliest", "latest"]
        self.order_fields([*order, "weekdays", "time_of_day", "priority", "note"])

    def practitioner_id(self) -> int | None:
        value = self.cleaned_data.get("practitioner")
        return None if value in (None, ANY) else int(value)


class WaitlistFilterForm(forms.Form):
    location = forms.ModelChoiceField(Location.objects.none(), label="Location", required=False)

    def __init__(self, *args, locations=None, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["location"]).queryset = locations
