"""seed_demo's online booking: the policy with both demo physiotherapists taking online
bookings (Priya Shah holds a needling authorisation, Tom Becker does not, so he is
offered for the assessment only), Kensington booking online directly and Cochrane with
front-desk approval, an "Initial assessment" for new patients (no needling) and the
"IMS treatment" follow-up bookable online, and two returning patients with an email on
file: Mei Chen, cleared for needling with consent on file, and Daniel Whitehorse, who
reported a contraindication (he is refused a needling visit online and may ask for a call back).

Idempotent. The switches are set the first time only (when no practitioner takes online
bookings yet), so a clinic admin's later choices on the settings page stay.
"""

from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from clinic import clock
from intake.models import ConsentText, Intake, Patient
from sessions.billing.models import BillableItem, Fee
from sessions.models import AppointmentType, Location, OnlineBookingPolicy

ASSESSMENT = "Initial assessment"
FOLLOW_UP = "IMS treatment"
# Returning demo patients (legal first and last name) and what their intake says.
CLEARED = ("Mei", "Chen")
CONTRAINDICATED = ("Daniel", "Whitehorse")
CLEAR_ANSWERS = {
    "history": {"conditions": [], "medications": "", "allergies": ""},
    "surgeries": {"rows": []},
    "needles": {"pregnancy": "no", "needle_fear": "none"},
}
# Surgery four weeks ago: no needling until 12 weeks after it.
SURGERY_DAYS_AGO = 28


def seed_online(*, users: dict, locations: list[Location]) -> int:
    """Seed online booking; ``users`` maps demo usernames to users, ``locations`` are the
    demo locations by name (Kensington first). Returns how many records were new."""
    created = 0
    assessment, is_new = AppointmentType.objects.get_or_create(
        name=ASSESSMENT,
        defaults={
            "duration_minutes": 60,
            "involves_needling": False,
            "bookable_online": True,
            "for_new_patients": True,
        },
    )
    created += is_new
    item, is_new = BillableItem.objects.get_or_create(
        name="Initial assessment (no needling)", defaults={"appointment_type": assessment}
    )
    created += is_new
    created += Fee.objects.get_or_create(
        item=item, payer_kind="", effective_from=date(2025, 1, 1), defaults={"amount": Decimal(110)}
    )[1]
    policy = OnlineBookingPolicy.get()
    if not policy.practitioners.exists():
        policy.practitioners.add(users["physio"], users["physio2"])
        AppointmentType.objects.filter(name=FOLLOW_UP).update(bookable_online=True)
        kensington, cochrane = locations[0], locations[1]
        Location.objects.filter(pk=kensington.pk).update(books_online=True)
        Location.objects.filter(pk=cochrane.pk).update(
            books_online=True, online_needs_approval=True
        )
        created += 1
    created += _intake(CLEARED, CLEAR_ANSWERS)
    created += _intake(CONTRAINDICATED, _surgery_answers())
    return created


def _surgery_answers() -> dict:
    surgery = clock.clinic_today() - timedelta(days=SURGERY_DAYS_AGO)
    return {
        **CLEAR_ANSWERS,
        "surgeries": {"rows": [{"date": surgery.isoformat(), "description": "Knee scope"}]},
    }


def _intake(name: tuple[str, str], answers: dict) -> int:
    """A submitted, signed intake with the current consent for the demo patient, once."""
    patient = Patient.objects.filter(legal_first_name=name[0], legal_last_name=name[1]).first()
    if patient is None or patient.intakes.filter(status=Intake.Status.SUBMITTED).exists():
        return 0
    consent = ConsentText.current() or ConsentText.objects.create(
        body="I agree to intramuscular stimulation (IMS) as explained by my physiotherapist."
    )
    Intake.objects.create(
        patient=patient,
        status=Intake.Status.SUBMITTED,
        submitted_at=timezone.now(),
        answers=answers,
        consent=consent,
        signature_name=f"{patient.legal_first_name} {patient.legal_last_name}",
    )
    return 1
