"""Forms of the patient's visit link: confirm it, cancel it, move it. They parse and keep what was
typed; the rules are ``visits``'. A move's time is encoded as on the slot page
(``forms.SlotForm``)."""

from django import forms

from sessions.online.forms import SlotForm
from sessions.online.guards import HoneypotMixin


class VisitConfirmForm(HoneypotMixin):
    """Yes, I will be there: nothing to type."""


class VisitCancelForm(HoneypotMixin):
    """Cancel my visit: nothing to type (the reason is the clinic's own words)."""


class VisitMoveForm(SlotForm):
    """The new time chosen on the move page (``forms.slot_value``)."""

    slot = forms.CharField(
        label="New time", max_length=40, error_messages={"required": "Please choose a time."}
    )
