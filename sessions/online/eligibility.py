"""Who may book what online: plain rules over what the clinic already knows.

- Someone not yet a patient (``patient`` None) may book only the types marked for new
  patients (an initial assessment); the needling rules below are for the visit itself,
  where the physiotherapist screens them.
- A returning patient may book a needling type on a date only if, for that date,
  screening says "Yes": no contraindication, and every precaution was already weighed
  and acknowledged by a physiotherapist at their last signed visit; consent is on file
  (a submitted, signed intake); and the practitioner holds a needling authorisation in
  force that day. ``DOMAIN.md``: screening before needling, and only authorised
  practitioners needle.

A refusal is a ``Refusal`` code; ``PUBLIC_WORDS`` says it to the patient without any
clinical detail (the page must not reveal why screening refused).
"""

from datetime import date
from enum import StrEnum

from intake import services as intake_services
from intake.models import Patient
from intake.screening import Outcome
from sessions.booking.models import AppointmentType
from sessions.charting.catalogue import NeedlingAuthorisation
from sessions.charting.models import Visit


class Refusal(StrEnum):
    NEW_PATIENTS_ONLY = "new_patients_only"
    NOT_CLEARED = "not_cleared"
    NO_CONSENT = "no_consent"
    NOT_AUTHORISED = "not_authorised"


PUBLIC_WORDS = {
    Refusal.NEW_PATIENTS_ONLY: (
        "This service can be booked online by people who have been to the clinic before. "
        "New patients start with an initial assessment."
    ),
    Refusal.NOT_CLEARED: (
        "This visit cannot be booked online for that date. The clinic will arrange it "
        "with you: ask for a call back."
    ),
    Refusal.NO_CONSENT: (
        "This visit cannot be booked online yet. The clinic will arrange it with you: "
        "ask for a call back."
    ),
    Refusal.NOT_AUTHORISED: "This practitioner does not offer this service on that date.",
}


def _acknowledged_codes(patient: Patient) -> set[str]:
    """The precaution codes acknowledged at the patient's last signed visit."""
    last = (
        Visit.objects.filter(appointment__patient=patient, status=Visit.Status.SIGNED)
        .order_by("-appointment__start")
        .values_list("acknowledged_precautions", flat=True)
        .first()
    )
    return set(last or [])


def needling_refusal(*, patient: Patient, day: date) -> Refusal | None:
    """Why the patient may not book needling on ``day`` online (screening and consent),
    or None. Reads the intakes, health updates and last signed visit (three queries)."""
    screening = intake_services.patient_verdict(patient, day)
    verdict = screening.verdict
    if verdict.outcome == Outcome.CONTRAINDICATED:
        return Refusal.NOT_CLEARED
    if verdict.outcome == Outcome.PRECAUTIONS:
        codes = {r.code for r in verdict.precautions}
        if "no_intake" in codes or not codes <= _acknowledged_codes(patient):
            return Refusal.NOT_CLEARED
    intake = screening.intake
    if intake is None or intake.consent_id is None:
        return Refusal.NO_CONSENT
    return None


def authorised_ids(practitioner_ids: list[int], day: date) -> set[int]:
    """Which of the practitioners hold a needling authorisation in force on ``day``."""
    return set(
        NeedlingAuthorisation.objects.valid_on(day)
        .filter(practitioner_id__in=practitioner_ids)
        .values_list("practitioner_id", flat=True)
    )


def refusal(
    *, patient: Patient | None, type: AppointmentType, practitioner_id: int, day: date
) -> Refusal | None:
    """Why this booking may not be made online, or None when it may: the one check the
    slot pages, the hold, the confirmation, a move and a wait-list offer all run."""
    if patient is None:
        return None if type.for_new_patients else Refusal.NEW_PATIENTS_ONLY
    if not type.involves_needling:
        return None
    if (refused := needling_refusal(patient=patient, day=day)) is not None:
        return refused
    if practitioner_id not in authorised_ids([practitioner_id], day):
        return Refusal.NOT_AUTHORISED
    return None
