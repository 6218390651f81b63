"""The patient page shows the verdict's level in words and colour, for front desk and physio."""

import pytest
from django.urls import reverse

from intake.models import HealthUpdate
from tests.factories import PatientFactory


@pytest.fixture
def patient(db):
    return PatientFactory()


def page_for(client_for, user, patient) -> str:
    url = reverse("intake:patient-detail", args=[patient.pk])
    return client_for(user).get(url).content.decode()


def test_front_desk_hears_not_known_in_amber_without_a_questionnaire(
    client_for, front_desk, patient
):
    page = page_for(client_for, front_desk, patient)
    assert 'data-level="review"' in page and "border-warning" in page
    assert "Not known yet: no health questionnaire on file" in page
    assert ">Yes" not in page


def test_front_desk_sees_not_on_this_date_in_red_for_possible_pregnancy(
    client_for, front_desk, patient
):
    HealthUpdate.objects.create(patient=patient, source="phone call", pregnancy="possibly")
    page = page_for(client_for, front_desk, patient)
    assert 'data-level="stop"' in page and "border-danger" in page
    assert "Not on this date, physiotherapist to review" in page
    assert "pregnan" not in page.lower()


def test_physio_sees_not_screened_rather_than_precautions_without_a_questionnaire(
    client_for, physio, patient
):
    page = page_for(client_for, physio, patient)
    assert "Not screened</span>" in page
    assert "No health questionnaire on file" in page
