"""Forms of the front desk's and clinic admin's online-booking pages: the settings page
(the policy, each location's and each type's switches, the practitioners patients may
book) and declining an online booking."""

from django import forms

from clinic.roles import display_name
from clinic.types import StaffUser
from sessions.booking.models import AppointmentType, Location
from sessions.booking.selectors import practitioners
from sessions.online.models import OnlineBookingPolicy


class PractitionerChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: StaffUser) -> str:
        return display_name(obj)


class PolicyForm(forms.ModelForm):
    practitioners = PractitionerChoice(
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Practitioners patients may book online",
        help_text="Only active physiotherapists are listed.",
    )

    class Meta:
        model = OnlineBookingPolicy
        fields = [
            "horizon_days",
            "min_notice_hours",
            "cancel_notice_hours",
            "hold_minutes",
            "confirm_minutes",
            "offer_minutes",
            "offers_per_slot",
            "practitioners",
        ]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["practitioners"].queryset = practitioners()  # type: ignore[attr-defined]


class LocationSwitchesForm(forms.ModelForm):
    """One location's two switches; prefixed by the location's id on the page."""

    class Meta:
        model = Location
        fields = ["books_online", "online_needs_approval"]


class TypeSwitchesForm(forms.ModelForm):
    """One appointment type's two switches; prefixed by the type's id on the page."""

    class Meta:
        model = AppointmentType
        fields = ["bookable_online", "for_new_patients"]


class SettingsForms:
    """The settings page's forms together: the policy, then one per active location and
    per active appointment type, each prefixed so one POST carries them all."""

    def __init__(self, data=None) -> None:
        self.policy = PolicyForm(data, instance=OnlineBookingPolicy.get(), prefix="policy")
        self.locations = [
            LocationSwitchesForm(data, instance=location, prefix=f"location-{location.pk}")
            for location in Location.objects.filter(is_active=True)
        ]
        self.types = [
            TypeSwitchesForm(data, instance=type, prefix=f"type-{type.pk}")
            for type in AppointmentType.objects.filter(is_active=True)
        ]

    @property
    def all(self) -> list[forms.ModelForm]:
        return [self.policy, *self.locations, *self.types]

    def is_valid(self) -> bool:
        return all([form.is_valid() for form in self.all])  # every form, for its errors


class DeclineForm(forms.Form):
    reason = forms.CharField(
        label="Reason for declining (kept in the record; not sent to the patient)",
        max_length=300,
        error_messages={"required": "Please give the reason for declining."},
    )
