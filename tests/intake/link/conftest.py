"""Shared by the intake link tests: a patient, their invitation and link, and the answers
of every step."""

import pytest

from intake import services
from tests.factories import PatientFactory

STEP_DATA = {
    "visit": {
        "reason": "Neck pain at work",
        "pain_areas": ["neck", "shoulder_left"],
        "onset_date": "2026-01-10",
        "onset": "gradual",
        "pain_now": "5",
        "pain_best": "2",
        "pain_worst": "8",
    },
    "nerve": {
        "pain_outlasts_injury": "yes",
        "delayed_onset": "no",
        "light_touch_hurts": "unsure",
        "builds_and_lingers": "yes",
        "skin_changes": "no",
    },
    "history": {"conditions": ["anticoagulants"], "medications": "Apixaban 5 mg"},
    "surgeries": {
        "surgeries-TOTAL_FORMS": "1",
        "surgeries-INITIAL_FORMS": "0",
        "surgeries-0-date": "2026-10-01",
        "surgeries-0-description": "Knee arthroscopy",
    },
    "needles": {"pregnancy": "no", "needle_fear": "none"},
}
SIGN = {"agree": "on", "signature_name": "Hélène Tremblay"}


@pytest.fixture
def patient(db):
    return PatientFactory(
        legal_first_name="Hélène",
        legal_last_name="Tremblay",
        email="helene@example.com",
        date_of_birth="1978-04-12",
    )


@pytest.fixture
def invitation(patient, front_desk, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return services.intake_invite(patient=patient, sent_by=front_desk)


@pytest.fixture
def link(invitation):
    return services.invitation_link(invitation).removeprefix("http://127.0.0.1:8000")


def step_url(link, step):
    return f"{link}{step}/"


def fill_all(client, link, **overrides):
    for step, data in STEP_DATA.items():
        response = client.post(step_url(link, step), {**data, **overrides.get(step, {})})
        assert response.status_code == 302, response.content.decode()[-1500:]
