"""Signing the consent submits the intake: what is recorded, and that a submitted intake
no longer changes."""

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from clinic.models import AuditEvent
from intake import services
from intake.models import ConsentText, Intake
from intake.screening import Outcome
from tests.intake.link.conftest import SIGN, STEP_DATA, fill_all, step_url


def test_consent_cannot_be_signed_with_steps_missing(client, link):
    client.post(step_url(link, "visit"), STEP_DATA["visit"])
    page = client.post(step_url(link, "consent"), SIGN).content.decode()
    assert "Please complete these steps before signing" in page
    assert not Intake.objects.get().is_submitted


def test_signing_records_consent_version_name_time_and_ip(client, link, invitation):
    fill_all(client, link)
    with time_machine.travel("2026-11-21 17:30:00+00:00", tick=False):
        client.post(step_url(link, "consent"), SIGN, REMOTE_ADDR="198.51.100.4")
    intake = Intake.objects.get()
    assert intake.is_submitted
    assert intake.consent == ConsentText.current()
    assert intake.signature_name == "Hélène Tremblay"
    assert intake.signed_ip == "198.51.100.4"
    assert intake.submitted_at == timezone.now().replace(
        year=2026, month=11, day=21, hour=17, minute=30, second=0, microsecond=0
    )
    assert AuditEvent.objects.filter(action="sign", role="patient", patient=intake.patient).exists()


def test_double_submission_and_later_visits_show_thanks(client, link):
    fill_all(client, link)
    client.post(step_url(link, "consent"), SIGN)
    response = client.post(step_url(link, "consent"), SIGN)
    assert "your questionnaire is with the clinic" in response.content.decode()
    response = client.post(step_url(link, "visit"), STEP_DATA["visit"])
    assert "your questionnaire is with the clinic" in response.content.decode()
    assert Intake.objects.count() == 1


def test_submitted_intake_cannot_change(client, link):
    fill_all(client, link)
    client.post(step_url(link, "consent"), SIGN)
    intake = Intake.objects.get()
    intake.answers["visit"]["reason"] = "edited"
    with pytest.raises(ValidationError):
        intake.save()
    with pytest.raises(ValidationError):
        services.intake_save_step(intake=intake, step="visit", answers={}, typed=None)


def test_a_new_intake_later_feeds_screening_and_old_stays_readable(
    client, link, patient, front_desk, client_for, physio
):
    fill_all(client, link)
    client.post(step_url(link, "consent"), SIGN)
    second = services.intake_invite(patient=patient, sent_by=front_desk)
    assert second.intake.number == 2
    link2 = services.invitation_link(second).removeprefix("http://127.0.0.1:8000")
    fill_all(client, link2, needles={"pregnancy": "possibly"})
    client.post(step_url(link2, "consent"), SIGN)
    verdict, source = services.patient_verdict(patient, timezone.localdate())
    assert source.number == 2
    assert verdict.outcome == Outcome.CONTRAINDICATED
    first = patient.intakes.get(number=1)
    assert (
        client_for(physio).get(reverse("intake:intake-summary", args=[first.pk])).status_code == 200
    )
