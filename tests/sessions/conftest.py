from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest
import time_machine

from intake.models import Intake
from sessions.models import AppointmentType, WorkingHours
from tests.factories import LocationFactory, PatientFactory

TZ = ZoneInfo("America/Edmonton")
# "Now" for these tests: Friday 2026-11-20, 10:00 in Calgary.
NOW = datetime(2026, 11, 20, 10, 0, tzinfo=TZ)


def local(year, month, day, hour, minute=0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=TZ)


@pytest.fixture(autouse=True)
def frozen_now():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def location(db):
    return LocationFactory(name="Kensington")


@pytest.fixture
def hours(physio, location):
    """The physio works every day 08:00-16:00 at the location."""
    return [
        WorkingHours.objects.create(
            practitioner=physio, location=location, weekday=d, starts=time(8), ends=time(16)
        )
        for d in range(7)
    ]


# Created by a data migration; recreated here because transactional tests flush them.
@pytest.fixture
def treatment(db):
    return AppointmentType.objects.get_or_create(
        name="IMS treatment", defaults={"duration_minutes": 30, "involves_needling": True}
    )[0]


@pytest.fixture
def initial(db):
    return AppointmentType.objects.get_or_create(
        name="Initial assessment + IMS",
        defaults={"duration_minutes": 60, "involves_needling": True},
    )[0]


@pytest.fixture
def talk(db):
    return AppointmentType.objects.create(
        name="Review call", duration_minutes=15, involves_needling=False
    )


@pytest.fixture
def patient(db):
    return PatientFactory(email="zoe@example.com", email_reminders=True)


def submitted_intake(patient, **answers) -> Intake:
    return Intake.objects.create(
        patient=patient,
        status=Intake.Status.SUBMITTED,
        submitted_at=NOW,
        answers=answers,
    )
