"""A small online clinic for the wait-list and self-service tests: one location that
books online, one online physiotherapist working Mondays 9:00-17:00 there, a 30-minute
follow-up bookable online and a 60-minute assessment for new patients. Plain functions
(the tests wrap them in fixtures)."""

from dataclasses import dataclass
from datetime import date, time, timedelta

from clinic.roles import Role
from sessions.booking.models import AppointmentType, Location, WorkingHours
from sessions.online.models import OnlineBookingPolicy, WaitListEntry
from tests.factories import LocationFactory, UserFactory, clinic_time

MONDAY = date(2026, 12, 7)
NOW = clinic_time(2026, 12, 1, 8)  # the Tuesday before


@dataclass
class Clinic:
    location: Location
    physio: object
    follow_up: AppointmentType
    assessment: AppointmentType


def online_clinic() -> Clinic:
    location = LocationFactory(name="Online clinic", books_online=True, phone="403-555-0100")
    physio = UserFactory(username="onlinephysio", role=Role.PHYSIO)
    WorkingHours.objects.create(
        practitioner=physio, location=location, weekday=0, starts=time(9), ends=time(17)
    )
    OnlineBookingPolicy.get().practitioners.add(physio)
    follow_up = AppointmentType.objects.create(
        name="Follow-up", duration_minutes=30, involves_needling=False, bookable_online=True
    )
    assessment = AppointmentType.objects.create(
        name="Assessment",
        duration_minutes=60,
        involves_needling=False,
        bookable_online=True,
        for_new_patients=True,
    )
    return Clinic(location, physio, follow_up, assessment)


def entry_for(clinic: Clinic, patient, *, type=None, created_at=NOW, **fields) -> WaitListEntry:
    defaults = {
        "location": clinic.location,
        "type": type or clinic.follow_up,
        "earliest": MONDAY - timedelta(days=3),
        "latest": MONDAY + timedelta(days=3),
        "source": WaitListEntry.Source.FRONT_DESK,
        "created_at": created_at,
    }
    return WaitListEntry.objects.create(patient=patient, **{**defaults, **fields})
