"""The times a person may book online: the one rule the public slot page, a patient's
move page and the wait list ask.

``free_slots`` gives the free times (working hours, time off, visits, live holds);
this keeps those the clinic offers online (the switches and the policy's window, as
``slots.offered_online`` asks of one time) and that the person may book
(``eligibility``: a type for new patients, and for needling the screening and consent
on each day and the practitioner's authorisation that day). What was refused is
returned, so the page can say it in ``eligibility.PUBLIC_WORDS``.
"""

from dataclasses import dataclass, field
from datetime import date, datetime

from clinic import clock
from intake.models import Patient
from sessions.booking.models import AppointmentType, Location
from sessions.online import eligibility
from sessions.online.eligibility import Refusal
from sessions.online.models import OnlineBookingPolicy
from sessions.online.slots import Slot, free_slots, online_practitioners, switched_on, window


@dataclass(frozen=True)
class Bookable:
    """Each day with its bookable slots (days without one left out) and, when some
    days were refused for the person, the refusal to tell them (else None)."""

    days: dict[date, list[Slot]] = field(default_factory=dict)
    refusal: Refusal | None = None


def _worst(seen: set[Refusal]) -> Refusal | None:
    if not seen:
        return None
    return Refusal.NOT_CLEARED if Refusal.NOT_CLEARED in seen else min(seen)


def bookable_slots(
    *,
    patient: Patient | None,
    location: Location,
    type: AppointmentType,
    practitioner_ids: list[int],
    day_from: date,
    day_to: date,
    now: datetime,
    ignore_appointment_id: int | None = None,
    policy: OnlineBookingPolicy | None = None,
) -> Bookable:
    """The slots of ``type`` at ``location`` with the practitioners (those of them who
    take online bookings) from ``day_from`` to ``day_to`` that ``patient`` (None: a new
    person) may book online at ``now``, by start then practitioner order.
    ``ignore_appointment_id``: the visit being moved does not count as busy. A bounded
    number of queries whatever the range (needling: the patient's record once, the
    authorisations once). Raises nothing."""
    policy = policy or OnlineBookingPolicy.get()
    if not switched_on(location, type):
        return Bookable()
    if patient is None and not type.for_new_patients:
        return Bookable(refusal=Refusal.NEW_PATIENTS_ONLY)
    online = set(online_practitioners(policy).values_list("pk", flat=True))
    ids = [pk for pk in practitioner_ids if pk in online]
    earliest, last_day = window(policy, now)
    day_from = max(day_from, clock.clinic_day(earliest))
    day_to = min(day_to, last_day)
    found = free_slots(
        location=location,
        type=type,
        practitioner_ids=ids,
        day_from=day_from,
        day_to=day_to,
        not_before=earliest,
        now=now,
        ignore_appointment_id=ignore_appointment_id,
    )
    if not type.involves_needling or not found:
        return Bookable(days=found)
    seen: set[Refusal] = set()
    record = eligibility.needling_record(patient) if patient is not None else None
    authorised = eligibility.authorisations(ids, day_from, day_to)
    days: dict[date, list[Slot]] = {}
    for day, slots in found.items():
        if patient is not None:
            why = eligibility.needling_refusal(patient=patient, day=day, record=record)
            if why is not None:
                seen.add(why)
                continue
        allowed = eligibility.authorised_on(authorised, day)
        kept = [s for s in slots if s.practitioner_id in allowed]
        if kept:
            days[day] = kept
    return Bookable(days=days, refusal=_worst(seen))
