"""A scale clinic's people for ``seed_scale``: practitioners with their hours and
needling authorisations, locations, and patients, each with one submitted intake.
"""

import random
from datetime import date, datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from clinic.roles import Role
from clinic.site import bulk
from intake import phones
from intake.answers import IntakeAnswers, Step
from intake.models import Channel, Intake, Patient, SmsConsent
from intake.names import fold_name
from intake.screening import NeedleFear, Pregnancy
from sessions.models import Location, NeedlingAuthorisation, WorkingHours

FIRST = (
    "Aisha Amara Ava Chen Chloé Daniel Emma Fatima Gordon Hélène Jasmine Liam Lucas Marcus Mei "
    "Noah Oliver Olivia Priya Ravi Sofia Tom Zoë Arjun Nora Omar Ingrid Mateo Yuki Kwame"
).split()
LAST = (
    "Brandt Castillo Chen Côté Gagnon Kowalski Lee MacLeod Martin Nguyen Okafor Patel Rahman Roy "
    "Shah Singh Smith Tremblay Whitehorse Wilson Wong Becker Dubois Haddad Ivanova Johansson Kim "
    "Mendes Novak Oduya"
).split()


def staff_and_locations(n_staff: int, n_locations: int) -> tuple[list, list[Location]]:
    """Practitioners ``scale-physio-<n>`` (made once) working weekdays at one location each."""
    User = get_user_model()
    physio = Group.objects.get(name=Role.PHYSIO.value)
    locations = [
        Location.objects.get_or_create(name=f"Scale clinic {i + 1}")[0] for i in range(n_locations)
    ]
    staff = []
    for i in range(n_staff):
        user, created = User.objects.get_or_create(
            username=f"scale-physio-{i + 1}",
            defaults={"first_name": FIRST[i % len(FIRST)], "last_name": f"Physio{i + 1}"},
        )
        if created:
            user.set_unusable_password()
            user.save()
            user.groups.add(physio)
            NeedlingAuthorisation.objects.create(
                practitioner=user,
                issuing_body="Regulator",
                number=f"S-{i}",
                valid_from=date(2015, 1, 1),
            )
            location = locations[i % len(locations)]
            WorkingHours.objects.bulk_create(
                WorkingHours(
                    practitioner=user,
                    location=location,
                    weekday=d,
                    starts=datetime.min.time().replace(hour=8),
                    ends=datetime.min.time().replace(hour=16),
                )
                for d in range(5)
            )
        staff.append(user)
    return staff, locations


def patients(rng: random.Random, n: int, now: datetime) -> list[int]:
    """Insert ``n`` patients; their ids."""
    first_id = bulk.next_id(Patient)
    region = settings.PHONE_DEFAULT_REGION
    columns = [
        "id",
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
        "emergency_contact_name",
        "emergency_contact_phone",
        "emergency_contact_relationship",
        "email_reminders",
        "health_number",
        "search_name",
        "search_phone",
        "mobile",
        "phone_unreadable",
        "reminder_channel",
        "checkin_channel",
        "sms_consent",
        "created_at",
        "updated_at",
    ]

    def rows():
        for i in range(n):
            pk = first_id + i
            first, last = (
                rng.choice(FIRST),
                f"{rng.choice(LAST)}{rng.choice(['', 'son', 'berg', '-Roy', 'ez', 'ova'])}",
            )
            phone = f"403-{rng.randrange(200, 999)}-{rng.randrange(10000):04d}"
            yield (
                pk,
                first,
                last,
                "",
                date(1940, 1, 1) + timedelta(days=rng.randrange(25_000)),
                "undisclosed",
                "",
                phone,
                f"p{pk}@example.com",
                "",
                "Calgary",
                "AB",
                "",
                "",
                "",
                "",
                True,
                f"{rng.randrange(10**8, 10**9)}",
                fold_name(f"{last} {first}"),
                phone.replace("-", ""),
                phones.mobile_from_phone(phone, region),
                phones.is_unreadable(phone, region),
                Channel.EMAIL,
                Channel.EMAIL,
                SmsConsent.NONE,
                now,
                now,
            )

    bulk.insert(Patient, columns, rows())
    return list(range(first_id, first_id + n))


def intakes(patients: list[int], now: datetime) -> None:
    """One submitted intake per patient, with the same plain answers."""
    first_id = bulk.next_id(Intake)
    answers = (
        IntakeAnswers()
        .with_step(
            Step.VISIT,
            {
                "reason": "Low back pain",
                "pain_areas": ["low_back"],
                "onset_date": "2024-01-10",
                "onset": "gradual",
                "pain_now": 5,
                "pain_best": 2,
                "pain_worst": 8,
            },
        )
        .with_history()
        .with_surgeries([])
        .with_needles(pregnancy=Pregnancy.NO, needle_fear=NeedleFear.NONE)
        .to_json()
    )
    columns = [
        "id",
        "patient",
        "number",
        "status",
        "answers",
        "drafts",
        "signature_name",
        "created_at",
        "updated_at",
        "submitted_at",
    ]
    bulk.insert(
        Intake,
        columns,
        (
            (
                first_id + i,
                pk,
                1,
                "submitted",
                answers,
                {},
                "Signed",
                now,
                now,
                now,
            )
            for i, pk in enumerate(patients)
        ),
    )
