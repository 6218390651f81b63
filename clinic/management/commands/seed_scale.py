"""Clinic-chain data at scale for the benchmark: patients, intakes, years of visits with
needling sites, and follow-ups. Fast: PostgreSQL COPY for the big tables.

Default size: 100,000 patients, 1,000,000 visits (with ~3 sites each), 40 practitioners,
5 locations. Adds to what is there; `make bench` seeds once.
"""

import csv
import io
import json
import random
import secrets
import time
from datetime import UTC, date, datetime, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.db.models import Min
from django.utils import timezone

from clinic.roles import Role
from intake.models import Intake, Patient
from intake.names import fold_name
from sessions.models import (
    Appointment,
    AppointmentType,
    Course,
    Location,
    Muscle,
    NeedlingAuthorisation,
    NeedlingSite,
    ScheduledMessage,
    Visit,
    WorkingHours,
)

FIRST = (
    "Aisha Amara Ava Chen Chloé Daniel Emma Fatima Gordon Hélène Jasmine Liam Lucas Marcus Mei "
    "Noah Oliver Olivia Priya Ravi Sofia Tom Zoë Arjun Nora Omar Ingrid Mateo Yuki Kwame"
).split()
LAST = (
    "Brandt Castillo Chen Côté Gagnon Kowalski Lee MacLeod Martin Nguyen Okafor Patel Rahman Roy "
    "Shah Singh Smith Tremblay Whitehorse Wilson Wong Becker Dubois Haddad Ivanova Johansson Kim "
    "Mendes Novak Oduya"
).split()
BATCH = 50_000


class Command(BaseCommand):
    help = "Create clinic-chain scale data quickly (for the benchmark)."

    def add_arguments(self, parser):
        parser.add_argument("--patients", type=int, default=100_000)
        parser.add_argument("--visits", type=int, default=1_000_000)
        parser.add_argument("--practitioners", type=int, default=40)
        parser.add_argument("--locations", type=int, default=5)
        parser.add_argument("--sites", type=int, default=3, help="needling sites per visit")
        parser.add_argument("--pending-checkins", type=int, default=2_000)
        parser.add_argument("--seed", type=int, default=1)

    def handle(self, *args, **opts):
        started = time.monotonic()
        rng = random.Random(opts["seed"])
        self.now = timezone.now()
        with transaction.atomic():
            staff, locations = self.staff_and_locations(opts["practitioners"], opts["locations"])
            patients = self.patients(rng, opts["patients"])
            self.intakes(rng, patients)
            self.visits(
                rng,
                patients,
                staff,
                locations,
                opts["visits"],
                opts["sites"],
                opts["pending_checkins"],
            )
        self.reset_sequences()
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        self.stdout.write(f"seed_scale done in {time.monotonic() - started:.0f} s.")

    # --- helpers -------------------------------------------------------------------

    def next_id(self, model) -> int:
        last = model.objects.order_by("-id").values_list("id", flat=True).first()
        return (last or 0) + 1

    def insert(self, model, columns: list[str], rows) -> int:
        """Insert plain tuples (ids included). COPY on PostgreSQL, bulk_create elsewhere."""
        count = 0
        batch: list[tuple] = []
        for row in rows:
            batch.append(row)
            if len(batch) >= BATCH:
                count += self._flush(model, columns, batch)
                batch = []
        if batch:
            count += self._flush(model, columns, batch)
        return count

    def _flush(self, model, columns, batch) -> int:
        if connection.vendor == "postgresql":
            buffer = io.StringIO()
            writer = csv.writer(buffer)
            for row in batch:
                writer.writerow([self._csv(v) for v in row])
            buffer.seek(0)
            quoted = ", ".join('"' + model._meta.get_field(c).column + '"' for c in columns)
            sql = (
                f'COPY "{model._meta.db_table}" ({quoted}) '
                "FROM STDIN WITH (FORMAT csv, NULL '\\N')"
            )
            with connection.cursor() as cursor:
                cursor.copy_expert(sql, buffer)
        else:
            fields = [model._meta.get_field(c).attname for c in columns]
            model.objects.bulk_create(
                [model(**dict(zip(fields, row, strict=True))) for row in batch], batch_size=2000
            )
        return len(batch)

    @staticmethod
    def _csv(value):
        if value is None:
            return "\\N"
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, datetime | date):
            return value.isoformat()
        if isinstance(value, dict | list):
            return json.dumps(value)
        return value

    def reset_sequences(self):
        if connection.vendor != "postgresql":
            return
        with connection.cursor() as cursor:
            for model in (
                Patient,
                Intake,
                Course,
                Appointment,
                Visit,
                NeedlingSite,
                ScheduledMessage,
            ):
                table = model._meta.db_table
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                    f'COALESCE((SELECT MAX(id) FROM "{table}"), 1))'
                )

    # --- the data ------------------------------------------------------------------

    def staff_and_locations(self, n_staff: int, n_locations: int):
        User = get_user_model()
        physio = Group.objects.get(name=Role.PHYSIO.value)
        locations = [
            Location.objects.get_or_create(name=f"Scale clinic {i + 1}")[0]
            for i in range(n_locations)
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
        self.stdout.write(f"  {n_staff} practitioners, {n_locations} locations")
        return staff, locations

    def patients(self, rng, n: int) -> list[int]:
        first_id = self.next_id(Patient)
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
                    self.now,
                    self.now,
                )

        self.insert(Patient, columns, rows())
        self.stdout.write(f"  {n} patients")
        return list(range(first_id, first_id + n))

    def intakes(self, rng, patients: list[int]):
        first_id = self.next_id(Intake)
        answers = {
            "visit": {
                "reason": "Low back pain",
                "pain_areas": ["low_back"],
                "onset_date": "2024-01-10",
                "onset": "gradual",
                "pain_now": 5,
                "pain_best": 2,
                "pain_worst": 8,
            },
            "history": {"conditions": [], "medications": "", "allergies": ""},
            "surgeries": {"rows": []},
            "needles": {"pregnancy": "no", "needle_fear": "none"},
        }
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
        self.insert(
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
                    self.now,
                    self.now,
                    self.now,
                )
                for i, pk in enumerate(patients)
            ),
        )
        self.stdout.write(f"  {len(patients)} submitted intakes")

    def visits(self, rng, patients, staff, locations, n_visits, sites_per_visit, pending):
        kind = AppointmentType.objects.get_or_create(
            name="IMS treatment", defaults={"duration_minutes": 30}
        )[0]
        muscles = list(Muscle.objects.values_list("id", flat=True)) or [
            Muscle.objects.create(name="Gluteus medius", region="hip", nerve_roots="L4-S1").pk
        ]
        first_course = self.next_id(Course)
        self.insert(
            Course,
            ["id", "patient", "planned_min", "planned_max", "started_on"],
            ((first_course + i, pk, 8, 10, date(2020, 1, 1)) for i, pk in enumerate(patients)),
        )
        course_of = {pk: first_course + i for i, pk in enumerate(patients)}
        # Each practitioner sees 16 visits a day, back to back, going back in time from
        # yesterday, so nobody is double-booked.
        per_staff = -(-n_visits // len(staff))
        first_appt, first_visit, first_site = (
            self.next_id(Appointment),
            self.next_id(Visit),
            self.next_id(NeedlingSite),
        )
        yesterday = timezone.localdate() - timedelta(days=1)
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
        pain = [(rng.randrange(3, 9), rng.randrange(0, 5)) for _ in plan]
        self.insert(
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
                    self.now,
                    self.now,
                )
                for i, (staff_id, location_id, start) in enumerate(plan)
            ),
        )
        # Drafts first: the lock triggers refuse sites under a signed visit.
        self.insert(
            Visit,
            [
                "id",
                "appointment",
                "author",
                "status",
                "consent_today",
                "acknowledged_precautions",
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
                "single_use_sterile",
                "skin_antisepsis",
                "gloves",
                "sharps_disposal",
                "aftercare_text",
                "home_exercises",
                "signed_at",
                "created_at",
                "updated_at",
            ],
            (
                (
                    first_visit + i,
                    first_appt + i,
                    staff_id,
                    "draft",
                    True,
                    [],
                    pain[i][0],
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    pain[i][1],
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
                    self.now,
                    self.now,
                )
                for i, (staff_id, _, start) in enumerate(plan)
            ),
        )
        self.insert(
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
        first_message = self.next_id(ScheduledMessage)
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
                    start + timedelta(hours=24) if sent else self.now + timedelta(days=30),
                    "sent" if sent else "pending",
                    1 if sent else 0,
                    "",
                    "",
                    None,
                    start + timedelta(hours=24) if sent else None,
                    secrets.token_urlsafe(16),
                    self.now,
                )
            )
        self.insert(
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
                "nonce",
                "created_at",
            ],
            message_rows,
        )
        self.stdout.write(
            f"  {len(plan)} visits, {len(plan) * sites_per_visit} needling sites, "
            f"{len(message_rows)} check-ins"
        )
