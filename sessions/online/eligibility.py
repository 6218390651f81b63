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

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from django.db.models import Q

from intake import services as intake_services
from intake.models import HealthUpdate, Intake, Patient
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


@dataclass(frozen=True)
class NeedlingRecord:
    """What screening reads of one patient, read once for a page that asks about many
    days: their intakes, health updates and the precautions acknowledged at their last
    signed visit."""

    intakes: list[Intake]
    updates: list[HealthUpdate]
    acknowledged: frozenset[str]


def needling_record(patient: Patient) -> NeedlingRecord:
    """The patient's ``NeedlingRecord`` (three queries)."""
    last = (
        Visit.objects.filter(appointment__patient=patient, status=Visit.Status.SIGNED)
        .order_by("-appointment__start")
        .values_list("acknowledged_precautions", flat=True)
        .first()
    )
    return NeedlingRecord(
        intakes=list(patient.intakes.all()),
        updates=list(patient.health_updates.all()),
        acknowledged=frozenset(last or []),
    )


def needling_refusal(
    *, patient: Patient, day: date, record: NeedlingRecord | None = None
) -> Refusal | None:
    """Why the patient may not book needling on ``day`` online (screening and consent),
    or None. Pass ``record`` (``needling_record``) to ask about many days without a
    query; otherwise three queries."""
    record = record or needling_record(patient)
    screening = intake_services.patient_verdict(
        patient, day, intakes=record.intakes, updates=record.updates
    )
    verdict = screening.verdict
    if verdict.outcome == Outcome.CONTRAINDICATED:
        return Refusal.NOT_CLEARED
    if verdict.outcome == Outcome.PRECAUTIONS:
        codes = {r.code for r in verdict.precautions}
        if "no_intake" in codes or not codes <= record.acknowledged:
            return Refusal.NOT_CLEARED
    intake = screening.intake
    if intake is None or intake.consent_id is None:
        return Refusal.NO_CONSENT
    return None


def authorisations(
    practitioner_ids: list[int], day_from: date, day_to: date
) -> list[NeedlingAuthorisation]:
    """The practitioners' needling authorisations in force on any day of the range."""
    return list(
        NeedlingAuthorisation.objects.filter(
            practitioner_id__in=practitioner_ids, valid_from__lte=day_to
        ).filter(Q(valid_until__isnull=True) | Q(valid_until__gte=day_from))
    )


def authorised_on(found: list[NeedlingAuthorisation], day: date) -> set[int]:
    """Of ``authorisations``' result, the practitioners authorised on ``day``."""
    return {
        a.practitioner_id
        for a in found
        if a.valid_from <= day and (a.valid_until is None or day <= a.valid_until)
    }


def authorised_ids(practitioner_ids: list[int], day: date) -> set[int]:
    """Which of the practitioners hold a needling authorisation in force on ``day``."""
    return authorised_on(authorisations(practitioner_ids, day, day), day)


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
