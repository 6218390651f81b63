"""Forms of the document pages: staff adding documents (several files at once), the
admin's delete, the "send us a document" link, which kinds front desk may open, and a
patient sending documents through a link."""

from typing import cast

from django import forms
from django.conf import settings

from intake.models import Patient
from sessions.billing.authorisations import payer_label
from sessions.billing.models import PayerCase
from sessions.charting.models import Visit
from sessions.documents.files import size_words
from sessions.documents.models import ALWAYS_CLINICAL, DocumentRequest, Kind

ACCEPT = "application/pdf,image/jpeg,image/png,image/heic,image/heif"
DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files from one ``<input type=file multiple>`` (Django's "Uploading
    multiple files"); cleaned, a list (empty when none was chosen)."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ACCEPT}))
        # An empty file reaches files.accept, which says so in the page's own words.
        kwargs.setdefault("allow_empty_file", True)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


class VisitChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        visit = cast(Visit, obj)
        return f"{visit.day:%Y-%m-%d} · {visit.appointment.type.name}"


class CaseChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return payer_label(cast(PayerCase, obj))


class UploadForm(forms.Form):
    # The field is named "files" on the page; Django's form metaclass takes it out of
    # the class, so the form's own ``files`` (the uploaded data) is untouched.
    files = MultipleFileField(  # type: ignore[assignment]
        label="Files",
        required=False,
        help_text="PDF, JPEG, PNG or HEIC (a phone photo); choose several at once if you like.",
    )
    kind = forms.ChoiceField(label="Kind of document", choices=Kind.choices)
    title = forms.CharField(
        label="Title",
        required=False,
        max_length=200,
        help_text="Leave empty to name each file by its kind and file name.",
    )
    document_date = forms.DateField(
        label="Date of the document",
        required=False,
        widget=DATE_INPUT,
        help_text="The date written on it, if there is one.",
    )
    notes = forms.CharField(
        label="Notes", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    visit = VisitChoice(
        label="About the visit",
        required=False,
        queryset=Visit.objects.none(),
        empty_label="No one visit",
    )
    payer_case = CaseChoice(
        label="About the payer case",
        required=False,
        queryset=PayerCase.objects.none(),
        empty_label="No payer case",
    )

    def __init__(self, *args, patient: Patient, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        visits = cast(VisitChoice, self.fields["visit"])
        visits.queryset = (
            Visit.objects.filter(appointment__patient=patient)
            .select_related("appointment__type")
            .order_by("-appointment__start")
        )
        cases = cast(CaseChoice, self.fields["payer_case"])
        cases.queryset = PayerCase.objects.filter(patient=patient).order_by("-opened_on", "-id")


class DeleteForm(forms.Form):
    reason = forms.CharField(
        label="Why is it deleted?",
        max_length=300,
        help_text="For example: uploaded to the wrong patient.",
        error_messages={"required": "Say why the document is deleted."},
    )


class RequestForm(forms.ModelForm):
    class Meta:
        model = DocumentRequest
        fields = ["note"]


class PolicyForm(forms.Form):
    desk_kinds = forms.MultipleChoiceField(
        label="Front desk may open",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=[(k.value, k.label) for k in Kind if k not in ALWAYS_CLINICAL],
    )


def always_clinical_labels() -> list[str]:
    """The kinds only physiotherapists and admins ever open, by name."""
    return [Kind(k).label for k in Kind.values if k in ALWAYS_CLINICAL]


# What a patient sends, in their words; the value is the document's kind.
PATIENT_KINDS = [
    (Kind.REFERRAL.value, "Referral letter"),
    (Kind.IMAGING.value, "Imaging report (X-ray, MRI, ultrasound)"),
    (Kind.INSURANCE_CARD.value, "Insurance card"),
    (Kind.PAYER_LETTER.value, "Letter from your insurer or claim"),
    (Kind.OTHER.value, "Something else"),
]


class PatientUploadForm(forms.Form):
    kind = forms.ChoiceField(
        label="What are you sending?",
        choices=PATIENT_KINDS,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose what you are sending.",
            "invalid_choice": "Choose one of the kinds listed.",
        },
    )
    title = forms.CharField(
        label="Short description (optional)",
        max_length=200,
        required=False,
        help_text="For example “Referral from Dr. Singh”.",
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Added here, not declared: a form's ``files`` attribute is its uploaded files.
        self.fields["files"] = MultipleFileField(
            label="Files",
            required=False,
            # Any image: a phone then offers its camera; the bytes decide what is kept.
            widget=MultipleFileInput(attrs={"accept": "image/*,application/pdf"}),
            help_text=(
                f"Photos or PDFs, up to {size_words(settings.DOCUMENT_MAX_FILE_BYTES)} "
                "each. On a phone you can take a photo of the letter or card."
            ),
        )
