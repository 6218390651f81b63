import unicodedata
from datetime import date, timedelta
from typing import Any, cast

from django import forms
from django.conf import settings
from phonenumber_field.formfields import PhoneNumberField
from phonenumber_field.widgets import RegionalPhoneNumberWidget

from clinic import clock
from clinic.text import DigitsCharField, IdentityCharField, ascii_digits
from intake import phones
from intake.answers import CONSENT, Step, SurgeryAnswer, step_values, surgeries_values
from intake.models import Channel, Patient, SmsConsent
from intake.screening import CONDITIONS, NeedleFear, Pregnancy

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
SHORT_TEXT = 200
LONG_TEXT = 2000


def refuse_ignored_answers(form: forms.Form, *, gate: str, fields: list[str], message: str):
    """Refuse, on each field typed into, answers that the unset ``gate`` (a box or a
    choice) would make the form ignore: what a clinician or patient typed is never
    dropped in silence. Call from ``clean()``."""
    if form.cleaned_data.get(gate):
        return
    for name in fields:
        if name in form.errors or form.cleaned_data.get(name) not in (None, "", [], ()):
            form.add_error(name, message)


def long_text(label: str, help_text: str = "", required: bool = False) -> forms.CharField:
    return forms.CharField(
        label=label,
        help_text=help_text,
        required=required,
        max_length=LONG_TEXT,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


MOBILE_INVALID = (
    "This is not a phone number we can read. Type it as (403) 555-0123, or with + and the "
    "country code for a number outside North America (+44 7911 123456)."
)
MOBILE_NOT_TEXTABLE = (
    "Texts cannot go to this number (it has an extension or is not a personal line). "
    "Give a mobile number."
)


class MobileNumberInput(RegionalPhoneNumberWidget):
    """A stored number in the national format; what was typed, exactly as typed."""

    def format_value(self, value: Any) -> Any:
        if isinstance(value, str):
            return value or None
        return super().format_value(value)


class MobileNumberField(PhoneNumberField):
    """A mobile number as people type it (any spacing, digits of any script), read in the
    clinic's region and shown in its national format; texts must be able to reach it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["max_length"] = phones.MAX_INPUT
        kwargs["region"] = settings.PHONE_DEFAULT_REGION
        kwargs["widget"] = MobileNumberInput(region=settings.PHONE_DEFAULT_REGION)
        kwargs.setdefault("label", "Mobile number")
        super().__init__(*args, **kwargs)
        self.error_messages["invalid"] = MOBILE_INVALID
        self.widget.attrs.setdefault("autocomplete", "tel")

    def to_python(self, value: Any) -> Any:
        if isinstance(value, str):
            value = ascii_digits(unicodedata.normalize("NFKC", value)).strip()
        return super().to_python(value)

    def validate(self, value: Any) -> None:
        super().validate(value)
        if value and value.is_valid() and not phones.is_textable(value):
            raise forms.ValidationError(MOBILE_NOT_TEXTABLE, code="not_textable")


class PatientForm(forms.ModelForm):
    health_number = DigitsCharField(
        label="Alberta health number",
        max_length=20,
        required=False,
        help_text="9 digits; spaces and dashes are ignored.",
    )
    confirm_not_duplicate = forms.BooleanField(
        required=False,
        label="This is a different person: create the record anyway",
    )
    sms_consent = forms.BooleanField(
        required=False,
        label="The patient agrees to text messages at this mobile number",
        help_text="Reminders and check-ins then go by text (and by email if there is one). "
        "Change it later on the patient's Messages page.",
    )

    class Meta:
        model = Patient
        fields = [
            "legal_first_name",
            "legal_last_name",
            "preferred_name",
            "date_of_birth",
            "sex",
            "gender",
            "phone",
            "mobile",
            "email",
            "email_reminders",
            "address",
            "city",
            "province",
            "postal_code",
            "health_number",
            "emergency_contact_name",
            "emergency_contact_phone",
            "emergency_contact_relationship",
        ]
        widgets = {"date_of_birth": DATE_INPUT}
        labels = {"phone": "Phone (for calls)"}
        help_texts = {"phone": "Any number to call the patient on; an extension is fine."}
        field_classes: dict[str, type[forms.Field]] = {
            "mobile": MobileNumberField,
            "phone": DigitsCharField,
            "emergency_contact_phone": DigitsCharField,
        } | {
            name: IdentityCharField
            for name in [
                "legal_first_name",
                "legal_last_name",
                "preferred_name",
                "gender",
                "city",
                "emergency_contact_name",
                "emergency_contact_relationship",
            ]
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.duplicates: list[Patient] = []
        # The confirmation only makes sense once a possible duplicate has been shown.
        self._confirm_field = self.fields.pop("confirm_not_duplicate")
        if self.instance.pk or "mobile" not in self.fields:
            del self.fields["sms_consent"]  # consent changes later go through the Messages page
        else:  # asked right after the number it is about
            order = list(self.fields)
            order.insert(order.index("mobile") + 1, order.pop(order.index("sms_consent")))
            self.order_fields(order)
        if not self.instance.pk and self.data.get(self.add_prefix("confirm_not_duplicate")):
            self.fields["confirm_not_duplicate"] = self._confirm_field

    def clean_email(self) -> str:
        # Stored lower-cased (Patient.save); lower-casing can lengthen text ("İ" -> "i̇").
        email = self.cleaned_data["email"].strip().lower()
        limit = Patient._meta.get_field("email").max_length
        if limit is not None and len(email) > limit:
            raise forms.ValidationError(f"An email address has at most {limit} characters.")
        return email

    def clean_health_number(self) -> str:
        return "".join(c for c in self.cleaned_data["health_number"] if c not in " -")

    def clean(self):
        data = super().clean()
        if data.get("sms_consent") and not data.get("mobile") and "mobile" not in self.errors:
            self.add_error("mobile", "Add the mobile number the patient agreed to texts at.")
        return data

    @property
    def consents_to_sms(self) -> bool:
        return bool(self.cleaned_data.get("sms_consent"))

    @property
    def confirmed_different(self) -> bool:
        return bool(self.cleaned_data.get("confirm_not_duplicate"))

    def show_duplicates(self, error) -> None:
        """Show the possible duplicates (intake.services.PossibleDuplicates) and the box."""
        self.duplicates = error.patients
        self.fields.setdefault("confirm_not_duplicate", self._confirm_field)
        self.add_error(None, error)


class MessagesForm(forms.Form):
    """How a patient gets reminders and check-ins, and their SMS consent: on the staff
    page (``for_patient=False``) and on the patient's own link page, which also asks for
    the mobile number."""

    mobile = MobileNumberField(required=False, help_text="The number our text messages go to.")
    reminder_channel = forms.ChoiceField(
        label="Visit reminders", choices=Channel.choices, widget=forms.RadioSelect
    )
    checkin_channel = forms.ChoiceField(
        label="Check-ins after a visit", choices=Channel.choices, widget=forms.RadioSelect
    )
    sms_consent = forms.BooleanField(required=False)

    def __init__(self, *args: Any, patient: Patient, for_patient: bool, **kwargs: Any):
        kwargs.setdefault(
            "initial",
            {
                "mobile": patient.mobile,
                "reminder_channel": patient.reminder_channel,
                "checkin_channel": patient.checkin_channel,
                "sms_consent": patient.sms_consent == SmsConsent.GIVEN,
            },
        )
        super().__init__(*args, **kwargs)
        consent = self.fields["sms_consent"]
        if for_patient:
            consent.label = (
                f"I agree to get text messages from {settings.CLINIC_NAME} at this number. "
                "I can reply STOP to any text to stop them."
            )
        else:
            del self.fields["mobile"]  # staff change it with the patient's other details
            consent.label = "The patient agrees to text messages (asked in person or by phone)"
            consent.help_text = "Untick if the patient no longer wants texts."


class PatientSearchForm(forms.Form):
    q = forms.CharField(
        label="Find a patient",
        required=False,
        max_length=100,
        help_text="Name, phone, email, health number or date of birth (YYYY-MM-DD).",
    )


class EligibilityForm(forms.Form):
    day = forms.DateField(label="Visit date", widget=DATE_INPUT)

    def clean_day(self) -> date:
        day = self.cleaned_data["day"]
        today = clock.clinic_today()
        if not (today - timedelta(days=366) <= day <= today + timedelta(days=730)):
            raise forms.ValidationError("Choose a date within a year before or two years ahead.")
        return day


# --- The patient's intake, one form per step --------------------------------------

PAIN_AREAS = [
    ("head_jaw", "Head or jaw"),
    ("neck", "Neck"),
    ("upper_back", "Upper back"),
    ("low_back", "Low back"),
    ("chest", "Chest or ribs"),
    ("shoulder_left", "Left shoulder"),
    ("shoulder_right", "Right shoulder"),
    ("elbow_left", "Left elbow or forearm"),
    ("elbow_right", "Right elbow or forearm"),
    ("hand_left", "Left wrist or hand"),
    ("hand_right", "Right wrist or hand"),
    ("hip_left", "Left hip or buttock"),
    ("hip_right", "Right hip or buttock"),
    ("knee_left", "Left thigh or knee"),
    ("knee_right", "Right thigh or knee"),
    ("calf_left", "Left calf, ankle or foot"),
    ("calf_right", "Right calf, ankle or foot"),
]
ONSET = [
    ("injury", "After an injury or accident"),
    ("gradual", "Gradually, for no clear reason"),
    ("surgery", "After surgery"),
    ("unknown", "I don't know"),
]
YES_NO_UNSURE = [("yes", "Yes"), ("no", "No"), ("unsure", "Not sure")]
NPRS_SCALE = [(str(i), str(i)) for i in range(11)]


def yes_no_unsure(label: str) -> forms.ChoiceField:
    return forms.ChoiceField(label=label, choices=YES_NO_UNSURE, widget=forms.RadioSelect)


def nprs_field(label: str, help_text: str = "") -> forms.TypedChoiceField:
    """A required NPRS rating (numeric pain rating scale, 0-10) that starts empty: 0 is an
    answer (no pain), so nothing is chosen until the person chooses it."""
    return forms.TypedChoiceField(
        label=label,
        choices=[("", "Choose 0 to 10"), *NPRS_SCALE],
        coerce=int,
        empty_value=None,
        widget=forms.Select,
        help_text=help_text,
        error_messages={"required": "Choose a number from 0 to 10."},
    )


class IntakeStepForm(forms.Form):
    """A step of the intake. ``answers()`` gives the step's values as they are stored
    (intake/answers.py)."""

    def __init__(self, *args, patient: Patient, **kwargs):
        self.patient = patient
        super().__init__(*args, **kwargs)

    def answers(self) -> dict:
        return step_values(self.cleaned_data)


class VisitStep(IntakeStepForm):
    title = "Your reason for coming"
    reason = long_text("What brings you to the clinic?", required=True)
    goals = long_text("What would you like to be able to do again?")
    pain_areas = forms.MultipleChoiceField(
        label="Where is the pain?",
        choices=PAIN_AREAS,
        widget=forms.CheckboxSelectMultiple,
    )
    onset_date = forms.DateField(
        label="When did it start?",
        widget=DATE_INPUT,
        help_text="An approximate date is fine.",
    )
    onset = forms.ChoiceField(label="How did it start?", choices=ONSET, widget=forms.RadioSelect)
    # NPRS ratings; the keys stay as stored in submitted intakes (intake/answers.py).
    pain_now = nprs_field(
        "Pain right now", help_text="0 = no pain, 10 = the worst pain imaginable."
    )
    pain_best = nprs_field("Pain at its best")
    pain_worst = nprs_field("Pain at its worst")
    worse_with = long_text("What makes it worse?")
    better_with = long_text("What makes it better?")

    def clean_onset_date(self) -> date:
        day = self.cleaned_data["onset_date"]
        if day > clock.clinic_today():
            raise forms.ValidationError("The start date cannot be in the future.")
        if day < self.patient.date_of_birth:
            raise forms.ValidationError("The start date is before your date of birth.")
        return day

    def clean(self):
        data = super().clean()
        best, worst = data.get("pain_best"), data.get("pain_worst")
        if best is not None and worst is not None and best > worst:
            self.add_error("pain_best", "Pain at its best cannot be higher than at its worst.")
        return data


class NerveStep(IntakeStepForm):
    title = "How the pain behaves"
    intro = (
        "These questions help the physiotherapist tell whether the pain may come from an "
        "irritated nerve, which is what IMS treats."
    )
    pain_outlasts_injury = yes_no_unsure(
        "The pain has gone on after any injury should have healed."
    )
    delayed_onset = yes_no_unsure("The pain began some time after the injury, not straight away.")
    light_touch_hurts = yes_no_unsure("Light touch or gentle pressure on the area is very painful.")
    builds_and_lingers = yes_no_unsure(
        "The pain builds up with activity and lingers long afterwards."
    )
    skin_changes = yes_no_unsure(
        "The painful area sweats more, or feels colder or warmer, than the other side."
    )


class HistoryStep(IntakeStepForm):
    title = "Your health"
    conditions = forms.MultipleChoiceField(
        label="Do any of these apply to you?",
        choices=list(CONDITIONS.items()),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="Tick all that apply; leave all empty if none do.",
    )
    medications = long_text("Medications you take", "Include blood thinners and supplements.")
    allergies = long_text("Allergies")


class SurgeryRow(forms.Form):
    date = forms.DateField(label="Date", widget=DATE_INPUT, required=False)
    description = forms.CharField(
        label="Surgery or procedure", max_length=SHORT_TEXT, required=False
    )

    def __init__(self, *args, patient: Patient, **kwargs):
        self.patient = patient
        super().__init__(*args, **kwargs)

    def clean(self):
        data = super().clean()
        day, what = data.get("date"), data.get("description")
        if what and not day and "date" not in self.errors:
            self.add_error("date", "Please give the date (an approximate one is fine).")
        if day and not what:
            self.add_error("description", "Please say what the surgery or procedure was.")
        if day:
            today = clock.clinic_today()
            if day < self.patient.date_of_birth:
                self.add_error("date", "This date is before your date of birth.")
            elif day > today + timedelta(days=366):
                self.add_error("date", "Planned surgeries more than a year ahead can wait.")
        return data


class BaseSurgeryFormSet(forms.BaseFormSet):
    def answers(self) -> dict:
        """The filled rows, JSON-ready to keep (empty rows are left out)."""
        return surgeries_values(
            SurgeryAnswer(f.cleaned_data["date"], f.cleaned_data["description"])
            for f in self.forms
            if f.cleaned_data.get("date") and f.cleaned_data.get("description")
        )


# formset_factory makes a subclass of the formset it is given.
SurgeryFormSet = cast(
    type[BaseSurgeryFormSet],
    forms.formset_factory(
        SurgeryRow,
        formset=BaseSurgeryFormSet,
        extra=1,
        max_num=30,
        validate_max=True,
        absolute_max=40,
    ),
)


# The answers to "pregnant, or could be?", on the intake and at the visit's safety check.
PREGNANCY_CHOICES = [
    (Pregnancy.NO.value, "No"),
    (Pregnancy.YES.value, "Yes"),
    (Pregnancy.POSSIBLY.value, "Possibly"),
    (Pregnancy.DISCUSS.value, "I would rather talk about it in person"),
    (Pregnancy.NOT_APPLICABLE.value, "Does not apply"),
]
# At the visit the question is asked in person: there is no later talk to defer it to.
PREGNANCY_CHOICES_IN_PERSON = [c for c in PREGNANCY_CHOICES if c[0] != Pregnancy.DISCUSS]


class NeedlesStep(IntakeStepForm):
    title = "Pregnancy and needles"
    pregnancy = forms.ChoiceField(
        label="Are you pregnant, or could you be?",
        choices=PREGNANCY_CHOICES,
        widget=forms.RadioSelect,
        required=False,
        help_text=(
            "We ask because IMS is not given during pregnancy. You may skip this question; "
            "your physiotherapist will ask again in private before any needling."
        ),
    )
    needle_fear = forms.ChoiceField(
        label="How do you feel about needles?",
        choices=[
            (NeedleFear.NONE.value, "Fine"),
            (NeedleFear.SOME.value, "A little nervous"),
            (NeedleFear.STRONG.value, "Very afraid"),
        ],
        widget=forms.RadioSelect,
    )
    previous_treatment = forms.MultipleChoiceField(
        label="Have you had any of these before?",
        choices=[
            ("ims", "IMS"),
            ("dry_needling", "Dry needling"),
            ("acupuncture", "Acupuncture"),
        ],
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    previous_experience = long_text("If so, how did it go?")


class ConsentStep(forms.Form):
    agree = forms.BooleanField(
        label="I have read the information above and agree to IMS treatment.",
        error_messages={"required": "Please tick the box to give your consent."},
    )
    signature_name = IdentityCharField(
        label="Your full name, as your signature",
        max_length=SHORT_TEXT,
    )

    def clean_signature_name(self) -> str:
        name = self.cleaned_data["signature_name"]
        if len(name) < 3:
            raise forms.ValidationError("Please type your full name.")
        return name


# (slug, form class); the surgeries step is a formset, the consent step submits. A
# step form's field names are the keys its answers are stored under (intake/answers.py).
STEPS: list[tuple[str, type[IntakeStepForm] | type[BaseSurgeryFormSet]]] = [
    (Step.VISIT, VisitStep),
    (Step.NERVE, NerveStep),
    (Step.HISTORY, HistoryStep),
    (Step.SURGERIES, SurgeryFormSet),
    (Step.NEEDLES, NeedlesStep),
]
STEP_TITLES = {
    Step.VISIT: VisitStep.title,
    Step.NERVE: NerveStep.title,
    Step.HISTORY: HistoryStep.title,
    Step.SURGERIES: "Surgeries and procedures",
    Step.NEEDLES: NeedlesStep.title,
    CONSENT: "Consent and signature",
}
STEP_SLUGS = [slug for slug, _ in STEPS]
