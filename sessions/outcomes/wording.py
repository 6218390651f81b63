"""The wording a patient sees for an instrument: the app's own for a free instrument,
the clinic's loaded wording (``models.InstrumentWording``) for a licensed one.

``wording_for(instrument)`` gives it, item by item, or raises ``WordingMissing`` when a
licensed instrument has none loaded (or what was loaded no longer fits its items):
callers then refuse to send the questionnaire; ``can_send(instrument)`` asks first.
``wording_load(...)`` checks and saves what the clinic admin typed in, replacing an
earlier load; the view audits it.

Field names: the admin's form and ``wording_load``'s ValidationError share them
(``text_field(key)``, ``option_field(key, value)``, ``licence_reference``), so an
error lands on the field it is about.
"""

from collections.abc import Mapping
from datetime import datetime
from typing import Any, NamedTuple

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from clinic.types import StaffUser
from sessions.outcomes import instruments
from sessions.outcomes.instruments import Instrument, Item, Licence
from sessions.outcomes.models import InstrumentWording

TEXT_MAX = 1000  # characters of one item's text
LABEL_MAX = 200  # characters of one answer's label
REFERENCE_MAX = 300


class WordingMissing(Exception):
    """A licensed instrument has no usable wording loaded: it cannot be sent."""


class WordedItem(NamedTuple):
    item: Item
    text: str
    options: list[tuple[int, str]]  # (value, label), in the item's order


def text_field(key: str) -> str:
    return f"{key}-text"


def option_field(key: str, value: int) -> str:
    return f"{key}-option-{value}"


def wording_for(instrument: Instrument) -> list[WordedItem]:
    """Every item of ``instrument`` with the text and answer labels a patient sees.
    Raises WordingMissing for a licensed instrument without usable loaded wording."""
    if instrument.licence == Licence.FREE:
        return _worded(instrument, None)
    return _worded(instrument, InstrumentWording.objects.filter(instrument=instrument.code).first())


def _worded(instrument: Instrument, loaded: InstrumentWording | None) -> list[WordedItem]:
    """``wording_for`` with the clinic's loaded wording (None: none) already read."""
    if instrument.licence == Licence.FREE:
        return [
            WordedItem(item, item.text, [(o.value, o.label) for o in item.options])
            for item in instrument.items
        ]
    if loaded is None:
        raise WordingMissing(
            f"{instrument.abbreviation} is licensed: its wording has not been loaded by the "
            "clinic admin, so it cannot be sent."
        )
    try:
        return [
            WordedItem(
                item,
                loaded.items[item.key]["text"],
                [(o.value, loaded.items[item.key]["options"][str(o.value)]) for o in item.options],
            )
            for item in instrument.items
        ]
    except (KeyError, TypeError) as exc:
        # The instrument's items changed since the wording was loaded.
        raise WordingMissing(
            f"The loaded wording of {instrument.abbreviation} no longer fits its items: "
            "the clinic admin must load it again."
        ) from exc


def sendable_codes() -> set[str]:
    """The codes of every instrument patients can be sent now (``can_send``), in one
    query."""
    loaded = {w.instrument: w for w in InstrumentWording.objects.all()}
    codes = set()
    for code, instrument in instruments.INSTRUMENTS.items():
        try:
            _worded(instrument, loaded.get(code))
        except WordingMissing:
            continue
        codes.add(code)
    return codes


def can_send(instrument: Instrument) -> bool:
    """Whether patients can be sent ``instrument``: free, or its wording is loaded."""
    try:
        wording_for(instrument)
    except WordingMissing:
        return False
    return True


def _check(instrument: Instrument, items: Mapping[str, Any]) -> tuple[dict, dict]:
    """(the cleaned items, {field name: [messages]})."""
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, dict] = {}
    extra = sorted(set(items) - {item.key for item in instrument.items})
    if extra:
        errors["items"] = [f"{instrument.abbreviation} has no item {', '.join(extra)}."]
    for item in instrument.items:
        given = items.get(item.key)
        if not isinstance(given, Mapping):
            errors[text_field(item.key)] = ["Every item needs its wording: this one is missing."]
            continue
        text = str(given.get("text") or "").strip()
        if not text:
            errors[text_field(item.key)] = ["Type the item's text."]
        elif len(text) > TEXT_MAX:
            errors[text_field(item.key)] = [f"At most {TEXT_MAX} characters."]
        options = given.get("options")
        options = options if isinstance(options, Mapping) else {}
        values = {str(o.value) for o in item.options}
        unknown = sorted(set(map(str, options)) - values)
        if unknown:
            errors[text_field(item.key)] = [
                *errors.get(text_field(item.key), []),
                f"No answer is worth {', '.join(unknown)} in this item.",
            ]
        labels = {}
        for option in item.options:
            label = str(options.get(str(option.value)) or "").strip()
            if not label:
                errors[option_field(item.key, option.value)] = ["Type this answer's label."]
            elif len(label) > LABEL_MAX:
                errors[option_field(item.key, option.value)] = [f"At most {LABEL_MAX} characters."]
            labels[str(option.value)] = label
        cleaned[item.key] = {"text": text, "options": labels}
    return cleaned, errors


@transaction.atomic
def wording_load(
    *,
    instrument: Instrument,
    items: Mapping[str, Any],
    licence_reference: str,
    by: StaffUser,
    now: datetime | None = None,
) -> InstrumentWording:
    """Save the clinic's wording of licensed ``instrument``, replacing an earlier load.

    ``items``: {item key: {"text": str, "options": {value (str or int): label}}}, every
    item of the instrument and every answer of each, nothing else. Raises
    ValidationError keyed by field name (``text_field``, ``option_field``,
    ``licence_reference``, ``items`` for keys the instrument lacks), and ValueError
    for a free instrument (its wording ships with the app)."""
    if instrument.licence != Licence.LICENSED:
        raise ValueError(f"{instrument.code} ships its own wording; nothing to load.")
    cleaned, errors = _check(instrument, items)
    reference = (licence_reference or "").strip()
    if not reference:
        errors["licence_reference"] = ["Say which licence lets the clinic use this wording."]
    elif len(reference) > REFERENCE_MAX:
        errors["licence_reference"] = [f"At most {REFERENCE_MAX} characters."]
    if errors:
        raise ValidationError(errors)
    wording = InstrumentWording.objects.select_for_update().filter(
        instrument=instrument.code
    ).first() or InstrumentWording(instrument=instrument.code)
    wording.items = cleaned
    wording.licence_reference = reference
    wording.loaded_by = by
    wording.loaded_at = now or timezone.now()
    wording.full_clean()
    wording.save()
    return wording
