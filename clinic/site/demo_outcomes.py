"""Demo outcome measures: Ravi Patel's course of IMS for neck and shoulder pain, six
weekly needling visits with their sites, and the NPRS and PSFS he answered before
visits 1, 3 and 5, so the trend beside the needling dose shows at once. Seeded once
(later runs leave it be); the visits sit at 07:00, before any other demo visit."""

import secrets
from datetime import datetime, time, timedelta
from decimal import Decimal

from clinic import clock
from intake.models import Patient
from sessions.booking.models import Appointment, AppointmentType, Location
from sessions.booking.services import course_open_or_get
from sessions.charting.catalogue import Muscle
from sessions.charting.models import NeedlingSite, Visit
from sessions.outcomes import instruments
from sessions.outcomes.models import Questionnaire

WEEKS = 6
# (muscle, side, spinal level, depth cm, insertions) per visit: the dose grows, then
# settles as the pain eases.
SITES = [
    [("Upper trapezius", "right", "", "1.5", 3)],
    [("Upper trapezius", "right", "", "1.5", 4), ("Levator scapulae", "right", "", "2.0", 3)],
    [
        ("Upper trapezius", "both", "", "1.5", 4),
        ("Cervical multifidus", "right", "C5-C6", "3.0", 4),
        ("Levator scapulae", "right", "", "2.0", 3),
    ],
    [
        ("Cervical multifidus", "right", "C5-C6", "3.0", 5),
        ("Infraspinatus", "right", "", "2.5", 3),
    ],
    [("Cervical multifidus", "right", "C5-C6", "3.0", 3)],
    [("Upper trapezius", "right", "", "1.5", 2)],
]
# The catalogue rows the sites use, as the catalogue's data migration has them (a test
# database flushed between tests has lost them: they are put back).
MUSCLES = {
    "Upper trapezius": ("shoulder", "CN XI, C3-C4", False),
    "Levator scapulae": ("shoulder", "C3-C5", False),
    "Cervical multifidus": ("spine", "C3-C8", True),
    "Infraspinatus": ("shoulder", "C5-C6", False),
}
# Before visits 1, 3 and 5: NPRS (lower is better), PSFS ratings of three activities.
NPRS_BEFORE = {1: 7, 3: 5, 5: 3}
PSFS_ACTIVITIES = [
    "Turning my head to reverse the car",
    "Sleeping on my right side",
    "Lifting my grandson",
]
PSFS_BEFORE = {1: [3, 2, 4], 3: [5, 5, 6], 5: [8, 7, 7]}


def seed_outcomes(*, users: dict, location: Location) -> int:
    """Ravi's course with its visits and questionnaires; returns the rows made (0 when
    he has one already)."""
    ravi = Patient.objects.filter(legal_first_name="Ravi", legal_last_name="Patel").first()
    if ravi is None or Questionnaire.objects.filter(patient=ravi).exists():
        return 0
    physio = users["physio"]
    treatment = AppointmentType.objects.get(name="IMS treatment")
    course = course_open_or_get(patient=ravi)
    today = clock.clinic_today()
    # The course began with its first visit, six weeks ago.
    course.started_on = today - timedelta(weeks=WEEKS)
    course.save(update_fields=["started_on"])
    created = 0
    for number, sites in enumerate(SITES, start=1):
        day = today - timedelta(weeks=WEEKS - number + 1)
        start = datetime.combine(day, time(7), tzinfo=clock.clinic_tz())
        appointment = Appointment.objects.create(
            patient=ravi,
            practitioner=physio,
            location=location,
            type=treatment,
            start=start,
            end=start + treatment.duration,
            course=course,
            status=Appointment.Status.COMPLETED,
        )
        visit = Visit.objects.create(
            appointment=appointment,
            author=physio,
            consent_today=True,
            nprs_before=NPRS_BEFORE.get(number, NPRS_BEFORE.get(number - 1, 5)),
            subjective="Demo: neck and right shoulder pain, easing week by week.",
            plan="Continue the course.",
            needles_out=sum(site[4] for site in sites),
            needles_back=sum(site[4] for site in sites),
        )
        for muscle, side, level, depth, insertions in sites:
            NeedlingSite.objects.create(
                visit=visit,
                muscle=_muscle(muscle),
                side=side,
                spinal_level=level,
                depth_cm=Decimal(depth),
                insertions=insertions,
                twitch=NeedlingSite.Twitch.STRONG,
            )
        # Signed after its sites (a signed note takes no more of them).
        Visit.objects.filter(pk=visit.pk).update(
            status=Visit.Status.SIGNED, signed_at=appointment.end + timedelta(minutes=10)
        )
        created += 2 + len(sites)
        if number in NPRS_BEFORE:
            answered = start - timedelta(hours=14)
            created += _answered(
                ravi, course, appointment, "nprs", {"pain": NPRS_BEFORE[number]}, answered
            )
            psfs: dict[str, int | str] = {
                f"activity_{i}": v for i, v in enumerate(PSFS_BEFORE[number], start=1)
            }
            psfs |= {f"activity_{i}_name": name for i, name in enumerate(PSFS_ACTIVITIES, start=1)}
            created += _answered(ravi, course, appointment, "psfs", psfs, answered)
    return created


def _muscle(name: str) -> Muscle:
    region, roots, paraspinal = MUSCLES[name]
    return Muscle.objects.get_or_create(
        name=name,
        defaults={"region": region, "nerve_roots": roots, "is_paraspinal": paraspinal},
    )[0]


def _answered(patient, course, appointment, code: str, answers: dict, at: datetime) -> int:
    instrument = instruments.get(code)
    score = instrument.score({k: v for k, v in answers.items() if isinstance(v, int)})
    Questionnaire.objects.create(
        patient=patient,
        instrument=code,
        course=course,
        appointment=appointment,
        trigger=Questionnaire.Trigger.VISIT,
        nonce=secrets.token_urlsafe(24),
        created_at=at - timedelta(hours=10),
        expires_at=at + timedelta(days=14),
        answers=answers,
        started_at=at,
        completed_at=at,
        score=score.value,
        answered_items=score.answered,
    )
    return 1
