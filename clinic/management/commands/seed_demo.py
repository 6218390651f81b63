"""Demo data for a development setup. Idempotent: running it again changes nothing."""

from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from clinic import clock
from clinic.roles import Role
from clinic.site.demo_billing import seed_billing
from clinic.site.demo_documents import seed_documents
from clinic.site.demo_online import seed_online
from clinic.site.demo_outcomes import seed_outcomes
from intake import services as intake_services
from intake.models import Channel, Patient, SmsConsent, SmsConsentEvent
from sessions.booking.services import course_open_or_get
from sessions.followups import services as followups
from sessions.models import (
    Appointment,
    AppointmentType,
    Location,
    NeedlingAuthorisation,
    WorkingHours,
)

# Published in the README on purpose; seed_demo refuses to run with DEBUG off.
DEMO_PASSWORD = "demo-clinic-2026"  # nosec B105
# The demo staff's authenticator key (base32 JJJEWRKEKJSVMZJQFVSGK3LPFVVWK6I=). Public, like the
# password: `manage.py demo_totp <username>` prints the current code.
DEMO_TOTP_KEY = "4a524b454452655665302d64656d6f2d6b6579"

# username, first, last, role
DEMO_STAFF = [
    ("admin", "Amara", "Okafor", Role.ADMIN),
    ("physio", "Priya", "Shah", Role.PHYSIO),
    ("physio2", "Tom", "Becker", Role.PHYSIO),
    ("frontdesk", "Fiona", "Nguyen", Role.FRONT_DESK),
]

DEMO_LOCATIONS = [
    ("Calgary – Kensington", "1120 Kensington Rd NW, Calgary AB", "403-555-0110"),
    ("Cochrane", "205 First St W, Cochrane AB", "403-555-0120"),
]

# practitioner, location index, weekdays (0 = Monday), from, to
DEMO_HOURS = [
    ("physio", 0, [0, 1, 2, 3, 4], time(8), time(16)),
    ("physio2", 0, [0, 2, 4], time(9), time(17)),
    ("physio2", 1, [1, 3], time(9), time(17)),
]

# first, last, date of birth, phone, email
DEMO_PATIENTS = [
    ("Hélène", "Tremblay", date(1978, 4, 12), "403-555-0141", "helene.t@example.com"),
    ("Marcus", "Lee", date(1990, 9, 3), "403-555-0142", "marcus.lee@example.com"),
    ("Aisha", "Rahman", date(1985, 1, 27), "587-555-0143", "aisha.r@example.com"),
    ("Gordon", "MacLeod", date(1956, 11, 8), "403-555-0144", ""),
    ("Sofia", "Castillo", date(1998, 6, 19), "403-555-0145", "sofia.c@example.com"),
    ("Daniel", "Whitehorse", date(1972, 3, 2), "780-555-0146", "d.whitehorse@example.com"),
    ("Mei", "Chen", date(1969, 12, 24), "403-555-0147", "mei.chen@example.com"),
    ("Oliver", "Brandt", date(2001, 8, 30), "587-555-0148", "oliver.b@example.com"),
    ("Zoë", "Kowalski", date(1988, 5, 5), "403-555-0149", "zoe.k@example.com"),
    ("Ravi", "Patel", date(1964, 2, 14), "403-555-0150", "ravi.patel@example.com"),
]


# Street, postal code, emergency contact (name, relationship), one per demo patient, so
# the demo looks like a real registry (a call-back task shows a number to call).
DEMO_DETAILS = [
    ("112 10 St NW", "T2N 1V3", "Luc Tremblay", "Spouse"),
    ("2207 Kensington Rd NW", "T2N 3R9", "Grace Lee", "Mother"),
    ("48 Hillcrest Ave SW", "T2S 0N1", "Yusuf Rahman", "Brother"),
    ("915 Memorial Dr NW", "T2N 3E3", "Fiona MacLeod", "Daughter"),
    ("330 5 Ave SW", "T2P 0L4", "Diego Castillo", "Partner"),
    ("77 Railway St W", "T4C 2K1", "Rose Whitehorse", "Sister"),
    ("1404 Centre St NW", "T2E 2R9", "Wei Chen", "Husband"),
    ("19 Quigley Dr", "T4C 1R2", "Karin Brandt", "Mother"),
    ("605 Crowchild Tr NW", "T2N 4R3", "Piotr Kowalski", "Father"),
    ("2828 Parkdale Blvd NW", "T2N 3S8", "Anita Patel", "Wife"),
]


def demo_patient_details(index: int, phone: str) -> dict:
    """Everything a front-desk record holds for the index-th demo patient."""
    address, postal_code, contact, relationship = DEMO_DETAILS[index]
    return {
        "phone": phone,
        "address": address,
        "city": "Cochrane" if postal_code.startswith("T4C") else "Calgary",
        "postal_code": postal_code,
        "health_number": f"{910_000_100 + index * 37:09d}",
        "emergency_contact_name": contact,
        "emergency_contact_relationship": relationship,
        "emergency_contact_phone": f"403-555-{170 + index:04d}",
    }


class Command(BaseCommand):
    help = (
        "Create the demo clinic: staff for each role, two locations, ten patients, fees, "
        "invoices and payments, a workers' compensation case, online booking switched on."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--allow-production",
            action="store_true",
            help="Seed even with DEBUG off (the demo accounts have a published password).",
        )

    @transaction.atomic
    def handle(self, *args, allow_production: bool = False, **options):
        if not settings.DEBUG and not allow_production:
            raise CommandError(
                "Refusing to create demo accounts with DEBUG off: their password is public."
            )
        User = get_user_model()
        created = 0
        for username, first, last, role in DEMO_STAFF:
            user, is_new = User.objects.get_or_create(
                username=username,
                defaults={
                    "first_name": first,
                    "last_name": last,
                    "email": f"{username}@clinic.example.com",
                },
            )
            if is_new:
                user.set_password(DEMO_PASSWORD)
                user.save()
                user.groups.add(Group.objects.get(name=role.value))
                created += 1
            # Only for someone who has never signed in and has no authenticator: after a
            # reset the person enrols their own, and a demo device added next to it (or
            # before it) would quietly undo the reset.
            if user.last_login is None and not TOTPDevice.objects.filter(user=user).exists():
                TOTPDevice.objects.create(user=user, name="Demo authenticator", key=DEMO_TOTP_KEY)
                created += 1

        for name, address, phone in DEMO_LOCATIONS:
            created += Location.objects.get_or_create(
                name=name, defaults={"address": address, "phone": phone}
            )[1]

        physio = User.objects.get(username="physio")
        created += NeedlingAuthorisation.objects.get_or_create(
            practitioner=physio,
            number="IMS-2024-0117",
            defaults={
                "issuing_body": "Physiotherapy Alberta College + Association",
                "valid_from": date(2024, 1, 15),
                "valid_until": date(2028, 1, 14),
            },
        )[1]

        for index, (first, last, dob, phone, email) in enumerate(DEMO_PATIENTS):
            details = demo_patient_details(index, phone)
            patient, is_new = Patient.objects.get_or_create(
                legal_first_name=first,
                legal_last_name=last,
                date_of_birth=dob,
                defaults={"email": email, **details},
            )
            created += is_new
            # A demo patient seeded by an older version: fill what is blank, keep edits.
            blank = {k: v for k, v in details.items() if not getattr(patient, k)}
            if blank:
                for field, value in blank.items():
                    setattr(patient, field, value)
                patient.save()

        created += self.seed_text_messages(User.objects.get(username="frontdesk"))

        locations = list(Location.objects.order_by("name"))
        for username, index, weekdays, starts, ends in DEMO_HOURS:
            for weekday in weekdays:
                created += WorkingHours.objects.get_or_create(
                    practitioner=User.objects.get(username=username),
                    location=locations[index],
                    weekday=weekday,
                    defaults={"starts": starts, "ends": ends},
                )[1]
        created += self.seed_appointments(physio, locations[0])
        staff = {
            u.username: u for u in User.objects.filter(username__in=[s[0] for s in DEMO_STAFF])
        }
        created += seed_billing(users=staff, location=locations[0])
        kensington = Location.objects.get(name=DEMO_LOCATIONS[0][0])
        cochrane = Location.objects.get(name=DEMO_LOCATIONS[1][0])
        created += seed_online(users=staff, locations=[kensington, cochrane])
        created += seed_outcomes(users=staff, location=kensington)
        created += seed_documents(users=staff)
        self.stdout.write(f"Demo data ready ({created} new records).")

    def seed_appointments(self, physio, location) -> int:
        """A few visits on the next working day, once (later runs leave them be)."""
        if Appointment.objects.exists():
            return 0
        day = clock.clinic_today() + timedelta(days=1)
        while day.weekday() > 4:
            day += timedelta(days=1)
        tz = clock.clinic_tz()
        initial, _ = AppointmentType.objects.get_or_create(
            name="Initial assessment + IMS", defaults={"duration_minutes": 60}
        )
        treatment, _ = AppointmentType.objects.get_or_create(
            name="IMS treatment", defaults={"duration_minutes": 30}
        )
        patients = list(Patient.objects.order_by("id")[:4])
        plan = [(9, 0, initial), (10, 0, treatment), (10, 30, treatment), (13, 0, initial)]
        for patient, (hour, minute, kind) in zip(patients, plan, strict=True):
            start = datetime.combine(day, time(hour, minute), tzinfo=tz)
            appointment = Appointment.objects.create(
                patient=patient,
                practitioner=physio,
                location=location,
                type=kind,
                start=start,
                end=start + kind.duration,
                course=course_open_or_get(patient=patient),
            )
            reminder = followups.reminder_schedule(appointment=appointment)
            if reminder is not None and patient.reminder_channel != Channel.EMAIL:
                # The demo shows a text at once (var/sms/): due now, not the day before.
                # Quiet hours still hold it until the morning.
                reminder.due_at = followups.deliverable_at(reminder.created_at)
                reminder.save(update_fields=["due_at"])
        return len(plan)

    def seed_text_messages(self, front_desk) -> int:
        """Marcus Lee gets reminders and check-ins by text, Aisha Rahman by text and
        email; both agreed at the front desk (recorded as consent events)."""
        created = 0
        for first, last, channel in (
            ("Marcus", "Lee", Channel.SMS),
            ("Aisha", "Rahman", Channel.BOTH),
        ):
            patient = Patient.objects.filter(legal_first_name=first, legal_last_name=last).first()
            if patient is None or patient.sms_consent != SmsConsent.NONE:
                continue
            if not patient.email:  # a record edited since: texts only
                channel = Channel.SMS
            created += len(
                intake_services.patient_messages_set(
                    patient=patient,
                    reminder_channel=channel,
                    checkin_channel=channel,
                    sms_consent=True,
                    source=SmsConsentEvent.Source.FRONT_DESK,
                    by=front_desk,
                    mobile=patient.phone,
                )
            )
        return created
