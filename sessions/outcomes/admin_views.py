"""The clinic admin's outcome-measure pages: the instruments with their licence status,
and loading the wording of a licensed one (``wording.wording_load``), audited."""

from typing import cast

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from clinic import audit
from clinic.access import require_roles
from clinic.roles import Role
from clinic.types import StaffUser
from sessions.outcomes import instruments, wording
from sessions.outcomes.instruments import Instrument, Licence
from sessions.outcomes.models import InstrumentWording


def topic(key: str) -> str:
    """An item key as words for staff: "pain_intensity" -> "Pain intensity"."""
    return key.replace("_", " ").capitalize()


class WordingForm(forms.Form):
    """A text box per item and a line per answer label, plus the licence reference.
    Nothing is required here: ``wording.wording_load`` checks it all and its errors
    come back on these same field names."""

    licence_reference = forms.CharField(
        required=False,
        max_length=wording.REFERENCE_MAX,
        label="Licence reference",
        help_text="Who granted the clinic this wording, its reference, until when.",
    )

    def __init__(self, instrument: Instrument, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.instrument = instrument
        for n, item in enumerate(instrument.items, start=1):
            self.fields[wording.text_field(item.key)] = forms.CharField(
                required=False,
                label=f"Item {n} ({topic(item.key)}): text",
                widget=forms.Textarea(attrs={"rows": 2}),
            )
            for option in item.options:
                self.fields[wording.option_field(item.key, option.value)] = forms.CharField(
                    required=False,
                    label=f"Item {n}: label of answer {option.value}",
                )

    @classmethod
    def initial_from(cls, instrument: Instrument, loaded: InstrumentWording | None) -> dict:
        if loaded is None:
            return {}
        initial = {"licence_reference": loaded.licence_reference}
        for key, given in loaded.items.items():
            initial[wording.text_field(key)] = given.get("text", "")
            for value, label in given.get("options", {}).items():
                initial[wording.option_field(key, int(value))] = label
        return initial

    def groups(self) -> list[tuple[int, str, forms.BoundField, list[forms.BoundField]]]:
        """(number, topic, text field, option fields) per item, for the template."""
        return [
            (
                n,
                topic(item.key),
                self[wording.text_field(item.key)],
                [self[wording.option_field(item.key, o.value)] for o in item.options],
            )
            for n, item in enumerate(self.instrument.items, start=1)
        ]

    def items_typed(self) -> dict:
        """What was typed, in ``wording_load``'s shape."""
        data = self.cleaned_data
        return {
            item.key: {
                "text": data.get(wording.text_field(item.key), ""),
                "options": {
                    str(o.value): data.get(wording.option_field(item.key, o.value), "")
                    for o in item.options
                },
            }
            for item in self.instrument.items
        }


@require_roles(Role.ADMIN)
def instrument_list(request: HttpRequest) -> HttpResponse:
    loaded = {w.instrument: w for w in InstrumentWording.objects.select_related("loaded_by")}
    rows = [(i, loaded.get(i.code)) for i in instruments.INSTRUMENTS.values()]
    return render(request, "outcomes/instruments.html", {"rows": rows})


@require_roles(Role.ADMIN)
def wording_edit(request: HttpRequest, code: str) -> HttpResponse:
    instrument = instruments.INSTRUMENTS.get(code)
    if instrument is None or instrument.licence != Licence.LICENSED:
        raise Http404("No licensed instrument has that code.")
    loaded = InstrumentWording.objects.filter(instrument=code).first()
    if request.method != "POST":
        form = WordingForm(instrument, initial=WordingForm.initial_from(instrument, loaded))
        return render(request, "outcomes/wording.html", {"form": form, "loaded": loaded})
    form = WordingForm(instrument, request.POST)
    if form.is_valid():
        try:
            saved = wording.wording_load(
                instrument=instrument,
                items=form.items_typed(),
                licence_reference=form.cleaned_data["licence_reference"],
                by=cast(StaffUser, request.user),  # signed in: require_roles
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            audit.record(
                request,
                audit.Action.UPDATE if loaded else audit.Action.CREATE,
                obj=saved,
                detail=f"outcome wording loaded: {instrument.abbreviation}, licence "
                f"{saved.licence_reference}",
            )
            messages.success(
                request, f"The wording of the {instrument.abbreviation} is loaded; it can be sent."
            )
            return redirect("sessions:outcome-instruments")
    messages.error(request, "The wording was not saved: see the marked fields below.")
    return render(request, "outcomes/wording.html", {"form": form, "loaded": loaded})
