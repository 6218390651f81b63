"""Forms of the visit chart. A refused one has its first field in error focused by the
project's form renderer (``clinic.form_errors``), like every form."""

from typing import cast

from django import forms

from clinic.clock import clinic_today
from intake.forms import DATE_INPUT, PREGNANCY_CHOICES_IN_PERSON, refuse_ignored_answers
from sessions.charting import selectors
from sessions.charting.catalogue import AftercareTemplate, Muscle
from sessions.charting.models import AdverseEvent, NeedlingSite, Visit


class SafetyCheckForm(forms.Form):
    pregnancy = forms.ChoiceField(
        label="Pregnant today, or could be?",
        choices=PREGNANCY_CHOICES_IN_PERSON,
        widget=forms.RadioSelect,
    )
    surgery_since_last = forms.BooleanField(
        label="Surgery or a procedure since the last visit", required=False
    )
    surgery_date = forms.DateField(label="Its date", required=False, widget=DATE_INPUT)
    surgery_description = forms.CharField(label="What was it?", required=False, max_length=200)
    anticoagulants = forms.BooleanField(
        label="New blood thinners (anticoagulant or antiplatelet)", required=False
    )
    medication_notes = forms.CharField(label="Medication changes", required=False, max_length=500)
    consent_today = forms.BooleanField(
        label="The patient consents to IMS today, after the risks and benefits were explained",
        required=False,
    )

    def __init__(self, *args, visit: Visit, **kwargs):
        self.visit = visit
        super().__init__(*args, **kwargs)

    def clean(self):
        data = super().clean()
        if data.get("surgery_since_last"):
            day = data.get("surgery_date")
            if not day:
                self.add_error("surgery_date", "Give the date of the surgery or procedure.")
            elif day > clinic_today():
                self.add_error("surgery_date", "The date cannot be in the future.")
            elif day < self.visit.patient.date_of_birth:
                self.add_error("surgery_date", "The date is before the patient's birth.")
            if not data.get("surgery_description"):
                self.add_error("surgery_description", "Say what the surgery or procedure was.")
        else:
            refuse_ignored_answers(
                self,
                gate="surgery_since_last",
                fields=["surgery_date", "surgery_description"],
                message="Tick “Surgery or a procedure since the last visit” to record this, "
                "or clear it.",
            )
        return data


class NoteForm(forms.ModelForm):
    class Meta:
        model = Visit
        fields = [
            "nprs_before",
            "change_since_last",
            "soreness_after_last",
            "subjective",
            "objective",
            "assessment",
            "plan",
            "nprs_after",
            "needle_product",
            "needle_size",
            "needle_lot",
            "needles_out",
            "needles_back",
            "single_use_sterile",
            "skin_antisepsis",
            "gloves",
            "sharps_disposal",
        ]
        widgets = {
            name: forms.Textarea(attrs={"rows": 3})
            for name in ["subjective", "objective", "assessment", "plan"]
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("needles_out", "needles_back"):
            self.fields[name].widget.attrs.update({"min": 0, "max": 200})
        for name in ("nprs_before", "nprs_after"):  # the model refuses above 10 too
            self.fields[name].widget.attrs.update({"min": 0, "max": 10})


def muscle_choices(muscles: list[Muscle]) -> list:
    """The muscle select's choices, grouped by region."""
    groups: dict[str, list] = {}
    labels = dict(Muscle.Region.choices)
    for muscle in muscles:
        groups.setdefault(labels[muscle.region], []).append((muscle.pk, str(muscle)))
    return [("", "Choose a muscle"), *groups.items()]


class MuscleSelect(forms.Select):
    """The muscle select; each option carries what the page's search script matches
    (``static/js/muscle-search.js``): the folded words and the root segments."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.search: dict[str, tuple[str, str]] = {}

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        if keys := self.search.get(str(value)):
            option["attrs"]["data-words"], option["attrs"]["data-roots"] = keys
        return option


class SiteForm(forms.ModelForm):
    class Meta:
        model = NeedlingSite
        fields = ["muscle", "side", "spinal_level", "depth_cm", "insertions", "twitch", "tolerance"]
        widgets = {
            "twitch": forms.RadioSelect,
            "side": forms.RadioSelect,
            "muscle": MuscleSelect,
        }
        help_texts = {"spinal_level": "Paraspinal sites only, for example L4-L5."}

    def __init__(
        self, *args, visit: Visit, muscle_query: str = "", muscle_region: str = "", **kwargs
    ):
        """``muscle_query`` and ``muscle_region`` narrow the muscles offered
        (``selectors.muscles_matching``); the site's own muscle stays offered. A POST is
        checked against every muscle."""
        super().__init__(*args, **kwargs)
        self.instance.visit = visit
        muscles = list(selectors.muscles_matching(muscle_query, muscle_region))
        if self.instance.muscle_id and all(m.pk != self.instance.muscle_id for m in muscles):
            muscles.insert(0, self.instance.muscle)
        self.muscles_offered = len(muscles)
        cast(forms.ChoiceField, self.fields["muscle"]).choices = muscle_choices(muscles)
        cast(MuscleSelect, self.fields["muscle"].widget).search = {
            str(m.pk): (" ".join(sorted(m.search_words())), " ".join(sorted(m.root_segments())))
            for m in muscles
        }
        # Radios without a pre-ticked "---------" choice.
        cast(forms.ChoiceField, self.fields["side"]).choices = NeedlingSite.Side.choices
        cast(forms.ChoiceField, self.fields["twitch"]).choices = NeedlingSite.Twitch.choices
        self.fields["depth_cm"].widget.attrs.update({"step": "0.1", "min": "0.5", "max": "12"})

    def clean_spinal_level(self) -> str:
        return self.cleaned_data["spinal_level"].strip().upper().replace("–", "-").replace(" ", "")


class AdverseEventForm(forms.ModelForm):
    class Meta:
        model = AdverseEvent
        fields = ["kind", "description", "action_taken"]


class SignForm(forms.Form):
    aftercare_template = forms.ModelChoiceField(
        queryset=AftercareTemplate.objects.filter(is_active=True),
        label="Aftercare template",
        required=False,
        help_text="Pick one and press “Use this template” to put its text below, then adapt "
        "the text for this patient.",
    )
    aftercare_text = forms.CharField(
        label="Aftercare for this patient",
        widget=forms.Textarea(attrs={"rows": 10}),
        max_length=6000,
    )
    home_exercises = forms.CharField(
        label="Home exercises",
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=4000,
        required=False,
    )

    def clean(self):
        data = super().clean()
        chosen, text = data.get("aftercare_template"), data.get("aftercare_text")
        if chosen and text and _words(text) != _words(chosen.body):
            # The text is another template, untouched: the choice would be ignored, and the
            # patient sent advice the physiotherapist did not pick (heat or ice, say).
            source = next(
                (
                    t
                    for t in self.fields["aftercare_template"].queryset
                    if _words(t.body) == _words(text)
                ),
                None,
            )
            if source is not None:
                self.add_error(
                    "aftercare_template",
                    f"The text below is the “{source.name}” template, not “{chosen.name}”: "
                    f"press “Use this template” to load “{chosen.name}”, or choose "
                    f"“{source.name}” again.",
                )
        return data

    def offer(self, templates: list[AftercareTemplate]) -> None:
        """List templates the page has loaded already (a POST is still checked against
        the active templates in the database)."""
        field = cast(forms.ModelChoiceField, self.fields["aftercare_template"])
        field.choices = [("", field.empty_label), *((t.pk, t.name) for t in templates)]


def _words(text: str) -> str:
    return " ".join(text.split())


class AddendumForm(forms.Form):
    reason = forms.CharField(label="Why the correction", max_length=300)
    text = forms.CharField(
        label="Addendum", widget=forms.Textarea(attrs={"rows": 4}), max_length=4000
    )
