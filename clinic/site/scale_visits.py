"""A scale clinic's treatment history for ``seed_scale``: one course per patient, years
of back-to-back signed visits with their needling sites, and check-ins (the newest sent,
some still pending).
"""

import secrets
from datetime import UTC, date, datetime, timedelta

from django.db.models import Min

from clinic import clock
from clinic.site import bulk
from sessions.models import (
    Appointment,
    AppointmentType,
    Course,
    Muscle,
    NeedlingSite,
    ScheduledMessage,
    Visit,
)


def visits(
    rng, patients, staff, locations, n_visits, sites_per_visit, pending, now
) -> tuple[int, int]:
    """Insert the courses, visits, sites and check-ins; (visits, check-ins) inserted."""
    kind = AppointmentType.objects.get_or_create(
        name="IMS treatment", defaults={"duration_minutes": 30}
    )[0]
    muscles = list(Muscle.objects.values_list("id", flat=True)) or [
        Muscle.objects.create(name="Gluteus medius", region="hip", nerve_roots="L4-S1").pk
    ]
    first_course = bulk.next_id(Course)
    bulk.insert(
        Course,
        ["id", "patient", "planned_min", "planned_max", "started_on"],
        ((first_course + i, pk, 8, 10, date(2020, 1, 1)) for i, pk in enumerate(patients)),
    )
    course_of = {pk: first_course + i for i, pk in enumerate(patients)}
    # Each practitioner sees 16 visits a day, back to back, going back in time from
    # yesterday, so nobody is double-booked.
    per_staff = -(-n_visits // len(staff))
    first_appt, first_visit, first_site = (
        bulk.next_id(Appointment),
        bulk.next_id(Visit),
        bulk.next_id(NeedlingSite),
    )
    yesterday = clock.clinic_today() - timedelta(days=1)
    earliest = dict(
        Appointment.objects.filter(practitioner__in=staff)
        .values("practitioner")
        .annotate(first=Min("start"))
        .values_list("practitioner", "first")
    )
    plan: list[tuple[int, int, datetime]] = []
    for s_index, practitioner in enumerate(staff):
        location = locations[s_index % len(locations)].pk
        last_day = yesterday
        if practitioner.pk in earliest:  # a second run goes further back in time
            last_day = min(yesterday, earliest[practitioner.pk].date() - timedelta(days=1))
        for k in range(per_staff):
            if len(plan) >= n_visits:
                break
            day = last_day - timedelta(days=k // 16)
            start = datetime(day.year, day.month, day.day, 15, 0, tzinfo=UTC) + timedelta(
                minutes=30 * (k % 16)
            )
            plan.append((practitioner.pk, location, start))
    patient_of = [rng.choice(patients) for _ in plan]
    nprs = [(rng.randrange(3, 9), rng.randrange(0, 5)) for _ in plan]
    bulk.insert(
        Appointment,
        [
            "id",
            "patient",
            "practitioner",
            "location",
            "type",
            "course",
            "start",
            "end",
            "status",
            "cancellation_reason",
            "front_desk_note",
            "eligibility_override",
            "authorisation_override",
            "booked_online",
            "needs_approval",
            "confirmed_via",
            "created_at",
            "updated_at",
        ],
        (
            (
                first_appt + i,
                patient_of[i],
                staff_id,
                location_id,
                kind.pk,
                course_of[patient_of[i]],
                start,
                start + timedelta(minutes=30),
                "completed",
                "",
                "",
                "",
                "",
                False,
                False,
                "",
                now,
                now,
            )
            for i, (staff_id, location_id, start) in enumerate(plan)
        ),
    )
    # Drafts first: the lock triggers refuse sites under a signed visit.
    bulk.insert(
        Visit,
        [
            "id",
            "appointment",
            "author",
            "status",
            "consent_today",
            "acknowledged_precautions",
            "nprs_before",
            "change_since_last",
            "soreness_after_last",
            "subjective",
            "objective",
            "assessment",
            "plan",
            "nprs_after",
            "needle_product",
            "needle_size",
            "needle_lot",
            "needles_out",
            "needles_back",
            "single_use_sterile",
            "skin_antisepsis",
            "gloves",
            "sharps_disposal",
            "aftercare_text",
            "home_exercises",
            "signed_at",
            "created_at",
            "updated_at",
            "version",
        ],
        (
            (
                first_visit + i,
                first_appt + i,
                staff_id,
                "draft",
                True,
                [],
                nprs[i][0],
                "",
                "",
                "",
                "",
                "",
                "",
                nprs[i][1],
                "Seirin",
                "0.30x50",
                "L1",
                sites_per_visit,
                sites_per_visit,
                True,
                True,
                True,
                True,
                "Aftercare",
                "",
                start + timedelta(minutes=40),
                now,
                now,
                1,
            )
            for i, (staff_id, _, start) in enumerate(plan)
        ),
    )
    bulk.insert(
        NeedlingSite,
        [
            "id",
            "visit",
            "muscle",
            "side",
            "spinal_level",
            "depth_cm",
            "insertions",
            "twitch",
            "tolerance",
            "created_at",
        ],
        (
            (
                first_site + i * sites_per_visit + k,
                first_visit + i,
                muscles[(i + k) % len(muscles)],
                "left",
                "",
                3.5,
                1,
                "weak",
                "good",
                start,
            )
            for i, (_, _, start) in enumerate(plan)
            for k in range(sites_per_visit)
        ),
    )
    Visit.objects.filter(id__gte=first_visit, status="draft").update(status="signed")
    message_rows = []
    # Follow-ups: the newest visits have sent check-ins; some pending ones are due later.
    first_message = bulk.next_id(ScheduledMessage)
    recent = list(range(min(len(plan), 20_000)))
    for j, i in enumerate(recent):
        _, _, start = plan[i]
        sent = j >= pending
        message_rows.append(
            (
                first_message + j,
                f"scale:{first_visit + i}:24h",
                "checkin",
                patient_of[i],
                first_appt + i,
                first_visit + i,
                24,
                start + timedelta(hours=24) if sent else now + timedelta(days=30),
                "sent" if sent else "pending",
                1 if sent else 0,
                "",
                "",
                None,
                start + timedelta(hours=24) if sent else None,
                "email" if sent else "",
                "",
                secrets.token_urlsafe(16),
                now,
            )
        )
    bulk.insert(
        ScheduledMessage,
        [
            "id",
            "key",
            "kind",
            "patient",
            "appointment",
            "visit",
            "hours_after",
            "due_at",
            "status",
            "attempts",
            "last_error",
            "claim",
            "lease_until",
            "sent_at",
            "channels",
            "fallback_reason",
            "nonce",
            "created_at",
        ],
        message_rows,
    )
    return len(plan), len(message_rows)
