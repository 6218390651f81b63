"""Shared by the charting tests: a physiotherapist authorised to needle, a draft visit, a
day-of-visit safety check, and notes made ready to sign."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from sessions.charting import services as charting
from sessions.models import Muscle
from tests.charting_helpers import shown
from tests.factories import AppointmentFactory, NeedlingAuthorisationFactory, PatientFactory
from tests.sessions.conftest import local, submitted_intake

SITE = {
    "side": "left",
    "depth_cm": Decimal("4.5"),
    "insertions": 2,
    "twitch": "strong",
    "tolerance": "good",
}


CLEAN = {
    "single_use_sterile": True,
    "skin_antisepsis": True,
    "gloves": True,
    "sharps_disposal": True,
}


@pytest.fixture
def authorised(physio):
    return NeedlingAuthorisationFactory(
        practitioner=physio, valid_from=date(2024, 1, 1), valid_until=date(2027, 1, 1)
    )


@pytest.fixture
def patient(db):
    patient = PatientFactory(email="marcus@example.com")
    submitted_intake(patient, needles={"pregnancy": "no", "needle_fear": "none"})
    return patient


@pytest.fixture
def visit(physio, patient, location, treatment):
    appointment = AppointmentFactory(
        patient=patient,
        practitioner=physio,
        location=location,
        type=treatment,
        start=local(2026, 11, 20, 9, 30),
    )
    return charting.visit_start(visit=charting.visit_for(appointment=appointment, author=physio))


@pytest.fixture
def gluteus(db):
    return Muscle.objects.get_or_create(
        name="Gluteus medius", defaults={"region": "hip", "nerve_roots": "L4-S1"}
    )[0]


def check(visit, physio, **changes):
    answers = dict(
        pregnancy="no",
        surgery_date=None,
        surgery_description="",
        anticoagulants=False,
        medication_notes="",
        consent_today=True,
    )
    answers.update(changes)
    return charting.visit_safety_check(visit=visit, by=physio, **answers)


@pytest.fixture
def ready(visit, physio, authorised):
    """A draft on which needling may be recorded."""
    check(visit, physio)
    charting.visit_acknowledge(visit=visit, by=physio)
    visit.refresh_from_db()
    return visit


def make_signable(visit, sites=1, out=None, back=None):
    visit.nprs_before = 6
    visit.needle_product, visit.needle_size = "Seirin J", "0.30 × 50 mm"
    visit.needles_out = out if out is not None else sites
    visit.needles_back = back if back is not None else sites
    for name, value in CLEAN.items():
        setattr(visit, name, value)
    visit.save()


def sign(visit, physio):
    return charting.visit_sign(
        visit=visit,
        by=physio,
        aftercare_template=None,
        aftercare_text="Soreness for a day or two is normal.",
        home_exercises="Walk daily",
    )


SAFETY = {"pregnancy": "no", "consent_today": "on"}


def post_check(client, visit, **fields):
    data = SAFETY | shown(visit) | fields
    return client.post(reverse("sessions:safety-check", args=[visit.pk]), data)
