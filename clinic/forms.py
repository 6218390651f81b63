import unicodedata

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm, UsernameField

from clinic.accounts import password_reset_request
from clinic.models import AuditEvent


class AuditFilterForm(forms.Form):
    user = forms.ModelChoiceField(
        queryset=get_user_model().objects.order_by("username"), required=False
    )
    action = forms.ChoiceField(
        choices=[("", "Any action"), *AuditEvent.Action.choices], required=False
    )
    patient = forms.IntegerField(
        label="Patient number",
        required=False,
        min_value=1,
        max_value=2**63 - 1,
        error_messages={
            "min_value": "A patient number is 1 or more.",
            "max_value": "No patient has a number that large.",
        },
    )
    date_from = forms.DateField(
        label="From", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label="To", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_to"] < data["date_from"]:
            self.add_error("date_to", "The end date is before the start date.")
        return data

    def filter(self, qs):
        """Apply the valid filters; dates are days in the clinic's time zone."""
        data = self.cleaned_data
        if data.get("user"):
            qs = qs.filter(user=data["user"])
        if data.get("action"):
            qs = qs.filter(action=data["action"])
        if data.get("patient"):
            qs = qs.filter(patient_id=data["patient"])
        if data.get("date_from"):
            qs = qs.filter(at__date__gte=data["date_from"])
        if data.get("date_to"):
            qs = qs.filter(at__date__lte=data["date_to"])
        return qs


class LoginForm(AuthenticationForm):
    """Django's sign-in form, with the username's length checked before anything
    (the lockout table stores at most 255 characters)."""

    username = UsernameField(max_length=150, widget=forms.TextInput(attrs={"autofocus": True}))


class TokenForm(forms.Form):
    token = forms.CharField(
        label="Code from your authenticator app (or a backup code)",
        max_length=16,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    def clean_token(self) -> str:
        return "".join(self.cleaned_data["token"].split())


def _same_email(a: str, b: str) -> bool:
    def fold(text: str) -> str:
        return unicodedata.normalize("NFKC", text).casefold()

    return fold(a) == fold(b)


class StaffPasswordResetForm(PasswordResetForm):
    """Django's reset form, but the mail leaves from the task queue after the request
    (clinic.accounts.password_reset_request), limited, and the same for any address."""

    def get_users(self, email):
        """Active accounts with that address, including a new one whose owner has not
        chosen a first password yet (Django would skip it)."""
        users = get_user_model()._default_manager.filter(email__iexact=email, is_active=True)
        return [user for user in users if _same_email(email, user.email)]

    # PasswordResetView passes every option by keyword; only the request is used here.
    def save(self, *, request, **kwargs) -> None:  # type: ignore[override]
        ids = [user.pk for user in self.get_users(self.cleaned_data["email"])]
        password_reset_request(request=request, user_ids=ids)


class StaffCreationForm(forms.ModelForm):
    """A new staff account in the admin: who they are and their roles, no password (the
    person chooses their own from the link they are mailed)."""

    class Meta:
        model = get_user_model()
        fields = ["username", "first_name", "last_name", "email", "groups"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].required = True
        self.fields["email"].help_text = "The link to choose a password goes here."


class ExportFormatForm(forms.Form):
    """``?format=`` of the record export: the printable page unless JSON, or a ZIP of
    the JSON and the document files, is asked for."""

    format = forms.ChoiceField(
        choices=[
            ("html", "Printable page"),
            ("json", "JSON"),
            ("zip", "ZIP: record and documents"),
        ],
        required=False,
        error_messages={
            "invalid_choice": "The export comes as format=html, format=json or format=zip."
        },
    )

    def chosen(self) -> str:
        return self.cleaned_data.get("format") or "html"
