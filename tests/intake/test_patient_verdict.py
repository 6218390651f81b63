"""The one decision of what screens a patient on a date (intake.services.patient_verdict):
the latest submitted intake and every health update, read here or passed in prefetched."""

from datetime import UTC, date, datetime

import pytest

from intake.models import HealthUpdate, Intake
from intake.screening import Outcome
from intake.services import patient_verdict
from tests.factories import PatientFactory

DAY = date(2026, 11, 20)


def submitted(patient, number: int, pregnancy: str) -> Intake:
    return Intake.objects.create(
        patient=patient,
        number=number,
        status=Intake.Status.SUBMITTED,
        submitted_at=datetime(2026, 10, number, 16, 0, tzinfo=UTC),
        answers={"needles": {"pregnancy": pregnancy, "needle_fear": "none"}},
    )


@pytest.fixture
def patient(db):
    patient = PatientFactory()
    submitted(patient, 1, "possibly")
    submitted(patient, 2, "no")
    Intake.objects.create(patient=patient, number=3)  # a draft never screens
    HealthUpdate.objects.create(
        patient=patient,
        reported_at=datetime(2026, 11, 5, 17, 0, tzinfo=UTC),
        source="safety check 2026-11-05",
        surgery_date=date(2026, 11, 1),
        surgery_description="Scope",
    )
    return patient


def test_the_latest_submitted_intake_and_the_updates_screen_the_patient(patient):
    verdict, intake = patient_verdict(patient, DAY)
    assert intake.number == 2
    assert verdict.outcome == Outcome.CONTRAINDICATED
    assert {r.code for r in verdict.reasons} == {"recent_surgery"}


def test_prefetched_intakes_and_updates_give_the_same_answer_without_a_query(
    patient, django_assert_num_queries
):
    expected = patient_verdict(patient, DAY)
    intakes = list(patient.intakes.order_by("number"))  # any order
    updates = list(patient.health_updates.all())
    with django_assert_num_queries(0):
        assert patient_verdict(patient, DAY, intakes=intakes, updates=updates) == expected


def test_a_patient_with_no_submitted_intake_is_not_screened(db):
    patient = PatientFactory()
    verdict, intake = patient_verdict(patient, DAY, intakes=[], updates=[])
    assert intake is None
    assert [r.code for r in verdict.reasons] == ["no_intake"]
