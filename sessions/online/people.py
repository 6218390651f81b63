"""The patient record behind a new person who booked online or took a wait-list offer.

Their email was proved (they opened a link sent to it), but an email is often shared (a
parent books for a child with their own address), so the record on file is used only
when its email *and* its folded legal name and birth date (``Patient.identity_key``)
match what was typed. Otherwise a new record is made; if it looks like someone on file
(``Patient.possible_duplicates``: the same name and birth date, or the same email),
front desk gets a call task to check and merge. The match is never shown to the person.
"""

from dataclasses import dataclass
from datetime import date
from typing import Protocol

from django.core.exceptions import ValidationError

from intake import services as intake_services
from intake.models import Patient
from sessions.followups.models import CallTask

DUPLICATE_REASON = "Online booking: possible duplicate of an existing record; check and merge"


class NewPerson(Protocol):
    """What a new person typed: a ``SlotHold``'s fields (or anything with the same)."""

    first_name: str
    last_name: str
    date_of_birth: date | None
    email: str
    phone: str


@dataclass
class Person:
    """A ``NewPerson`` put together from parts (a wait-list entry and a typed birth date)."""

    first_name: str
    last_name: str
    date_of_birth: date | None
    email: str
    phone: str


def patient_with_email(email: str) -> Patient | None:
    """The earliest patient on file with ``email`` (stored lowercased), or None."""
    return Patient.objects.filter(email=email.strip().lower()).order_by("created_at", "pk").first()


def _same_person(person: NewPerson, email: str, born: date) -> Patient | None:
    """The earliest patient on file with this email, legal name (folded, as
    ``Patient.identity_key``) and birth date, or None. One query."""
    typed = Patient(legal_first_name=person.first_name, legal_last_name=person.last_name)
    key = typed.identity_key()
    on_file = Patient.objects.filter(email=email, date_of_birth=born).order_by("created_at", "pk")
    return next((p for p in on_file if p.identity_key() == key), None)


def patient_for_new_person(person: NewPerson) -> tuple[Patient, bool]:
    """(the patient the person is, whether the record is new), as the module says. Call
    inside a transaction. Raises ValidationError keyed by ``date_of_birth`` when it is
    missing, or as ``intake.services.patient_create``."""
    if person.date_of_birth is None:
        raise ValidationError({"date_of_birth": "Please give your date of birth."})
    email = person.email.strip().lower()
    if email and (on_file := _same_person(person, email, person.date_of_birth)) is not None:
        return on_file, False
    candidate = Patient(
        legal_first_name=person.first_name,
        legal_last_name=person.last_name,
        date_of_birth=person.date_of_birth,
        email=email,
        phone=person.phone,
        email_reminders=True,
    )
    try:
        return intake_services.patient_create(patient=candidate), True
    except intake_services.PossibleDuplicates:
        patient = intake_services.patient_create(patient=candidate, confirmed_different=True)
    CallTask.objects.create(patient=patient, reason=DUPLICATE_REASON)
    return patient, True
