"""Forms of the follow-ups: the patient's check-in, the physiotherapist's acknowledgement
of an alert, front desk's note on a call."""

from django import forms

from intake.forms import nprs_field
from sessions.followups.models import CheckinAnswer


class CheckinForm(forms.Form):
    soreness = nprs_field("How sore are you right now? (0 = not at all, 10 = the worst imaginable)")
    compared = forms.ChoiceField(
        label="Compared with what we told you to expect, it is",
        choices=CheckinAnswer.Compared.choices,
        widget=forms.RadioSelect,
    )
    bruising = forms.BooleanField(label="I have some bruising", required=False)
    red_flags = forms.MultipleChoiceField(
        label="Do you have any of these?",
        choices=list(CheckinAnswer.RED_FLAGS.items()),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    comment = forms.CharField(
        label="Anything else you want us to know",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class AcknowledgeForm(forms.Form):
    action_taken = forms.CharField(
        label="What did you do?",
        max_length=500,
        help_text="For example: called the patient, advice given, seen today.",
    )
    call_handled = forms.BooleanField(
        label="I have spoken to the patient: front desk need not call", required=False
    )


class CallDoneForm(forms.Form):
    note = forms.CharField(label="Call note", max_length=300, required=False)
