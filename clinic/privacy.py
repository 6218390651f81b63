"""Everything the clinic holds about one patient, for an access request."""

from django.db.models import Prefetch
from django.utils import timezone

from intake.models import Patient
from sessions.models import Appointment, NeedlingSite, ScheduledMessage, Visit

DEMOGRAPHICS = [
    "legal_first_name",
    "legal_last_name",
    "preferred_name",
    "date_of_birth",
    "sex",
    "gender",
    "phone",
    "email",
    "address",
    "city",
    "province",
    "postal_code",
    "health_number",
    "emergency_contact_name",
    "emergency_contact_phone",
    "emergency_contact_relationship",
    "email_reminders",
    "created_at",
]
VISIT_FIELDS = [
    "status",
    "consent_today",
    "pain_today",
    "change_since_last",
    "soreness_after_last",
    "subjective",
    "objective",
    "assessment",
    "plan",
    "pain_after",
    "needle_product",
    "needle_size",
    "needle_lot",
    "needles_out",
    "needles_back",
    "aftercare_text",
    "home_exercises",
    "signed_at",
]


def _value(value):
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def _fields(obj, names) -> dict:
    return {name: _value(getattr(obj, name)) for name in names}


def patient_export(patient: Patient) -> dict:
    """A JSON-ready dict: demographics, intakes, health updates, visits and follow-ups."""
    visits = (
        Visit.objects.filter(appointment__patient=patient)
        .select_related("appointment__type", "appointment__location", "author", "safety_check")
        .prefetch_related(
            Prefetch("sites", queryset=NeedlingSite.objects.select_related("muscle")),
            "adverse_events",
            "addenda__author",
            Prefetch(
                "messages",
                queryset=ScheduledMessage.objects.prefetch_related("answers"),
            ),
        )
        .order_by("appointment__start")
    )
    return {
        "exported_at": timezone.now().isoformat(),
        "patient": _fields(patient, DEMOGRAPHICS),
        "intakes": [
            {
                "number": intake.number,
                "status": intake.status,
                "submitted_at": _value(intake.submitted_at),
                "answers": intake.answers,
                "consent_version": intake.consent.version if intake.consent else None,
                "signature_name": intake.signature_name,
            }
            for intake in patient.intakes.select_related("consent").order_by("number")
        ],
        "health_updates": [
            _fields(
                u,
                [
                    "reported_at",
                    "source",
                    "pregnancy",
                    "surgery_date",
                    "surgery_description",
                    "anticoagulants",
                    "medication_notes",
                ],
            )
            for u in patient.health_updates.order_by("reported_at")
        ],
        "appointments": [
            {
                "start": _value(a.start),
                "type": a.type.name,
                "location": a.location.name,
                "practitioner": a.practitioner.get_full_name(),
                "status": a.status,
                "cancellation_reason": a.cancellation_reason,
            }
            for a in Appointment.objects.filter(patient=patient)
            .select_related("type", "location", "practitioner")
            .order_by("start")
        ],
        "visits": [
            {
                "date": v.day.isoformat(),
                "practitioner": v.author.get_full_name(),
                **_fields(v, VISIT_FIELDS),
                "needling_sites": [
                    {
                        "muscle": s.muscle.name,
                        "side": s.side,
                        "spinal_level": s.spinal_level,
                        "depth_cm": str(s.depth_cm),
                        "insertions": s.insertions,
                        "twitch": s.twitch,
                        "tolerance": s.tolerance,
                    }
                    for s in v.sites.all()
                ],
                "adverse_events": [
                    _fields(e, ["kind", "description", "action_taken", "created_at"])
                    for e in v.adverse_events.all()
                ],
                "addenda": [
                    {
                        **_fields(a, ["created_at", "reason", "text"]),
                        "author": a.author.get_full_name(),
                    }
                    for a in v.addenda.all()
                ],
                "check_ins": [
                    {
                        "hours_after": str(m.hours_after) if m.hours_after is not None else None,
                        "sent_at": _value(m.sent_at),
                        "answers": [
                            _fields(
                                ans,
                                [
                                    "answered_at",
                                    "soreness",
                                    "compared",
                                    "bruising",
                                    "red_flags",
                                    "comment",
                                ],
                            )
                            for ans in m.answers.all()
                        ],
                    }
                    for m in v.messages.all()
                    if m.kind == ScheduledMessage.Kind.CHECKIN
                ],
            }
            for v in visits
        ],
    }
