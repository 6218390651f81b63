from datetime import date
from decimal import Decimal

import pytest

from clinic.roles import Role
from sessions.models import Appointment
from tests.factories import (
    AppointmentFactory,
    BillableItemFactory,
    FeeFactory,
    UserFactory,
    clinic_time,
)


@pytest.fixture
def clerk(db):
    return UserFactory(role=Role.FRONT_DESK)


@pytest.fixture
def treatment_item(treatment):
    """The treatment bills 95.00 from 2026-01-01 (WCB pays 80.00 from the same day)."""
    item = BillableItemFactory(name="IMS treatment", appointment_type=treatment)
    FeeFactory(item=item, amount=Decimal("95.00"), effective_from=date(2026, 1, 1))
    FeeFactory(
        item=item,
        payer_kind="workers_comp",
        amount=Decimal("80.00"),
        effective_from=date(2026, 1, 1),
    )
    return item


@pytest.fixture
def completed(patient, physio, location, treatment, treatment_item):
    """A completed visit yesterday (the tests' now is 2026-11-20 10:00)."""
    return AppointmentFactory(
        patient=patient,
        practitioner=physio,
        location=location,
        type=treatment,
        start=clinic_time(2026, 11, 19, 9),
        status=Appointment.Status.COMPLETED,
    )
