"""Shared by the fuzzing tests: posting a form and checking that the server answered, the
patient and intake link they fill, and a cache emptied before each."""

from collections import Counter
from datetime import date, timedelta
from urllib.parse import urlencode

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from intake import services as intake_services
from sessions.followups import dispatch
from sessions.models import Visit
from tests.factories import (
    AppointmentFactory,
    LocationFactory,
    PatientFactory,
    ScheduledMessageFactory,
    VisitFactory,
)

SITE = "http://127.0.0.1:8000"
DOB = date(1961, 7, 23)


def assert_reached(seen: Counter) -> None:
    """All 200 examples ran, and both ways out (kept and refused, signed in and not) were
    taken several times: fuzzing that never gets past the form's first check proves little."""
    assert sum(seen.values()) >= 200, seen
    assert len(seen) >= 2 and min(seen.values()) >= 3, seen


def post(client: Client, url: str, data: dict, urlencoded: bool, **extra):
    """POST as multipart (the test client's default) or as a urlencoded body."""
    if urlencoded:
        body = urlencode(data, doseq=True)
        return client.post(url, body, content_type="application/x-www-form-urlencoded", **extra)
    return client.post(url, data, **extra)


def _is_text(value, max_length: int, required: bool = False) -> bool:
    return (
        isinstance(value, str)
        and len(value) <= max_length
        and "\x00" not in value
        and value == value.strip()
        and (bool(value) or not required)
    )


def _is_choice_list(value, allowed) -> bool:
    return isinstance(value, list) and set(value) <= set(allowed) and len(set(value)) == len(value)


def _is_nprs(value) -> bool:
    return type(value) is int and 0 <= value <= 10


VALID_STEPS = {
    "visit": {
        "reason": "Neck pain at work",
        "goals": "",
        "pain_areas": ["neck", "shoulder_left"],
        "onset_date": "2025-01-10",
        "onset": "gradual",
        "pain_now": "5",
        "pain_best": "2",
        "pain_worst": "8",
        "worse_with": "",
        "better_with": "",
    },
    "nerve": {
        "pain_outlasts_injury": "yes",
        "delayed_onset": "no",
        "light_touch_hurts": "unsure",
        "builds_and_lingers": "yes",
        "skin_changes": "no",
    },
    "history": {"conditions": ["diabetes"], "medications": "Metformin", "allergies": ""},
    "surgeries": {
        "surgeries-TOTAL_FORMS": "1",
        "surgeries-INITIAL_FORMS": "0",
        "surgeries-MIN_NUM_FORMS": "0",
        "surgeries-MAX_NUM_FORMS": "30",
        "surgeries-0-date": "2024-10-01",
        "surgeries-0-description": "Knee arthroscopy",
        "surgeries-1-date": "",
        "surgeries-1-description": "",
    },
    "needles": {
        "pregnancy": "no",
        "needle_fear": "none",
        "previous_treatment": ["ims"],
        "previous_experience": "",
    },
}
NPRS_RATINGS = [str(i) for i in range(11)]


@pytest.fixture(autouse=True)
def fresh_cache():
    # Bad-link and lockout counters live in the cache; start every test from zero.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def patient(db):
    return PatientFactory(
        legal_first_name="Ada", legal_last_name="Fuzz", email="ada@example.com", date_of_birth=DOB
    )


def new_intake_link(patient, sent_by) -> str:
    invitation = intake_services.intake_invite(patient=patient, sent_by=sent_by)
    return intake_services.invitation_link(invitation).removeprefix(SITE)


@pytest.fixture
def intake_link(patient, front_desk) -> str:
    return new_intake_link(patient, front_desk)


@pytest.fixture
def sent_checkin(patient, physio, settings):
    """A check-in sent yesterday about a visit the day before."""
    settings.QUIET_HOURS_START = settings.QUIET_HOURS_END = "00:00"
    location = LocationFactory(name="Fuzz clinic")
    start = timezone.now() - timedelta(days=2)
    # Check-ins belong to signed notes (a draft's is skipped at send time).
    visit = VisitFactory(
        appointment=AppointmentFactory(
            patient=patient, practitioner=physio, location=location, start=start
        ),
        status=Visit.Status.SIGNED,
        signed_at=start,
    )
    message = ScheduledMessageFactory(
        key=f"checkin:{visit.pk}:24h",
        visit=visit,
        hours_after=None,
        due_at=timezone.now() - timedelta(days=1),
    )
    ((pk, claim),) = dispatch.messages_claim_due()
    assert dispatch.messages_send(ids=[pk], claim=claim)[pk] == "sent"
    message.refresh_from_db()
    return message


CHECKIN_VALID = {
    "soreness": "3",
    "compared": "expected",
    "bruising": "",
    "red_flags": [],
    "comment": "A little stiff",
}


REFUSED = "We could not accept that request"


def signed_in(user) -> Client:
    """A client of its own, signed in with the second factor done (like client_for, which
    shares one client, so front desk and physio could not both stay signed in)."""
    browser = Client()
    browser.force_login(user)
    device, _ = TOTPDevice.objects.get_or_create(
        user=user, name="test", defaults={"confirmed": True}
    )
    session = browser.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return browser
