import secrets
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import factory
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from clinic.roles import Role
from intake.models import Patient
from sessions.billing.models import PayerKind
from sessions.booking.services import course_open_or_get
from sessions.models import (
    Appointment,
    AppointmentType,
    BillableItem,
    CheckinAnswer,
    Course,
    Fee,
    Location,
    Muscle,
    NeedlingAuthorisation,
    NeedlingSite,
    PayerCase,
    ScheduledMessage,
    Visit,
)

PASSWORD = "a-long-test-password"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@clinic.example.com")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def role(self, create, extracted: Role | None, **kwargs):
        if create and extracted:
            self.groups.add(Group.objects.get_or_create(name=extracted.value)[0])
        if create:
            self.save()


class PatientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Patient

    legal_first_name = factory.Faker("first_name")
    legal_last_name = factory.Faker("last_name")
    date_of_birth = factory.Faker(
        "date_between", start_date=date(1940, 1, 1), end_date=date(2008, 1, 1)
    )
    phone = factory.Sequence(lambda n: f"403-555-{n % 10000:04d}")
    email = factory.LazyAttribute(
        lambda p: f"{p.legal_first_name}.{p.legal_last_name}@example.com".lower()
    )


class LocationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Location
        django_get_or_create = ["name"]

    name = factory.Sequence(lambda n: f"Location {n}")


class NeedlingAuthorisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = NeedlingAuthorisation

    practitioner = factory.SubFactory(UserFactory, role=Role.PHYSIO)
    issuing_body = "Physiotherapy Alberta College + Association"
    number = factory.Sequence(lambda n: f"IMS-{n:05d}")
    valid_from = date(2024, 1, 1)
    valid_until = date(2030, 1, 1)


def clinic_time(year, month, day, hour=9, minute=0) -> datetime:
    """An aware datetime on the clinic's wall clock (settings.TIME_ZONE)."""
    return datetime(year, month, day, hour, minute, tzinfo=ZoneInfo(settings.TIME_ZONE))


class AppointmentTypeFactory(factory.django.DjangoModelFactory):
    """The 30-minute needling treatment the data migration creates (found, not duplicated)."""

    class Meta:
        model = AppointmentType
        django_get_or_create = ["name"]

    name = "IMS treatment"
    duration_minutes = 30
    involves_needling = True


class CourseFactory(factory.django.DjangoModelFactory):
    """A new open course; a patient holds at most one open course (a constraint)."""

    class Meta:
        model = Course

    patient = factory.SubFactory(PatientFactory)


def _open_course(appointment) -> Course:
    """The patient's open course, or a new one, by booking's own rule, so that several
    appointments of one patient share their course."""
    return course_open_or_get(patient=appointment.patient)


class AppointmentFactory(factory.django.DjangoModelFactory):
    """A booked appointment, aware in the clinic time zone, lasting its type's duration
    (so it ends after it starts). Give each one of a practitioner its own time: on
    PostgreSQL active appointments of one practitioner must not overlap. ``end`` or
    ``minutes`` overrides the length."""

    class Meta:
        model = Appointment

    class Params:
        minutes = factory.LazyAttribute(lambda a: a.type.duration_minutes)

    patient = factory.SubFactory(PatientFactory)
    practitioner = factory.SubFactory(UserFactory, role=Role.PHYSIO)
    location = factory.SubFactory(LocationFactory)
    type = factory.SubFactory(AppointmentTypeFactory)
    course = factory.LazyAttribute(_open_course)
    start = factory.LazyFunction(lambda: clinic_time(2026, 11, 23, 9))
    end = factory.LazyAttribute(lambda a: a.start + timedelta(minutes=a.minutes))


class VisitFactory(factory.django.DjangoModelFactory):
    """A draft chart note for an appointment, written by its practitioner."""

    class Meta:
        model = Visit

    appointment = factory.SubFactory(AppointmentFactory)
    author = factory.LazyAttribute(lambda v: v.appointment.practitioner)


class MuscleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Muscle
        django_get_or_create = ["name"]

    name = "Gluteus medius"
    region = "hip"
    nerve_roots = "L4-S1"


class NeedlingSiteFactory(factory.django.DjangoModelFactory):
    """A needled site on a draft visit (saved directly: no hard-stop check runs)."""

    class Meta:
        model = NeedlingSite

    visit = factory.SubFactory(VisitFactory)
    muscle = factory.SubFactory(MuscleFactory)
    side = NeedlingSite.Side.LEFT
    depth_cm = Decimal("3.0")
    twitch = NeedlingSite.Twitch.STRONG


class ScheduledMessageFactory(factory.django.DjangoModelFactory):
    """A pending soreness check-in for a visit, due 24 hours after the appointment."""

    class Meta:
        model = ScheduledMessage

    visit = factory.SubFactory(VisitFactory)
    appointment = factory.LazyAttribute(lambda m: m.visit.appointment if m.visit else None)
    patient = factory.LazyAttribute(lambda m: m.appointment.patient)
    kind = ScheduledMessage.Kind.CHECKIN
    hours_after = Decimal("24")
    due_at = factory.LazyAttribute(lambda m: m.appointment.end + timedelta(hours=24))
    key = factory.Sequence(lambda n: f"checkin:test:{n}")
    nonce = factory.LazyFunction(lambda: secrets.token_urlsafe(24))


class CheckinAnswerFactory(factory.django.DjangoModelFactory):
    """A patient's answer to a check-in message."""

    class Meta:
        model = CheckinAnswer

    message = factory.SubFactory(ScheduledMessageFactory)
    soreness = 3
    compared = CheckinAnswer.Compared.AS_EXPECTED


class BillableItemFactory(factory.django.DjangoModelFactory):
    """A billable item; pass ``appointment_type`` to bill a visit type."""

    class Meta:
        model = BillableItem

    name = factory.Sequence(lambda n: f"Item {n}")


class FeeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Fee

    item = factory.SubFactory(BillableItemFactory)
    amount = Decimal("95.00")
    effective_from = date(2026, 1, 1)


class PayerCaseFactory(factory.django.DjangoModelFactory):
    """A workers' compensation case paying all of each visit."""

    class Meta:
        model = PayerCase

    patient = factory.SubFactory(PatientFactory)
    kind = PayerKind.WORKERS_COMP
    payer_name = "WCB-Alberta"
    claim_number = factory.Sequence(lambda n: f"C{n:07d}")
    opened_on = date(2026, 11, 1)
