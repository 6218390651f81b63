"""Front desk sends the intake link: by email after commit, once per intake, and sees the
intake's state but never its answers."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.db import transaction
from django.urls import reverse

from intake import services
from intake.models import Intake
from tests.factories import PatientFactory
from tests.intake.link.conftest import SIGN, STEP_DATA, fill_all, step_url


def test_front_desk_sends_the_link_by_email_after_commit(
    client_for, front_desk, patient, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(front_desk).post(reverse("intake:intake-send", args=[patient.pk]))
    assert response.status_code == 302
    (message,) = mail.outbox
    assert message.to == ["helene@example.com"]
    link = re.search(r"http://\S+/i/\S+/", message.body).group(0)
    token = link.rstrip("/").rsplit("/", 1)[1]
    assert services.invitation_from_token(token) == Intake.objects.get().invitations.get()
    assert "Knee" not in message.body and "pregnan" not in message.body.lower()


def test_no_email_is_sent_for_a_rolled_back_invitation(patient, front_desk):
    with pytest.raises(RuntimeError), transaction.atomic():
        services.intake_invite(patient=patient, sent_by=front_desk)
        raise RuntimeError("booking failed")
    assert mail.outbox == []


def test_patient_without_email_gets_a_clear_message(client_for, front_desk):
    patient = PatientFactory(email="")
    response = client_for(front_desk).post(
        reverse("intake:intake-send", args=[patient.pk]), follow=True
    )
    assert "no email address" in response.content.decode()
    assert not Intake.objects.exists()


def test_resending_replaces_the_old_link_for_the_same_intake(invitation, patient, front_desk):
    again = services.intake_invite(patient=patient, sent_by=front_desk)
    invitation.refresh_from_db()
    assert again.intake == invitation.intake
    assert invitation.state() == invitation.State.REVOKED
    assert again.state() == again.State.SENT


def test_states_follow_the_patient(client, invitation, link):
    assert invitation.state() == "sent"
    client.get(link)
    invitation.refresh_from_db()
    assert invitation.state() == "opened"
    client.post(step_url(link, "visit"), STEP_DATA["visit"])
    invitation.intake.refresh_from_db()
    assert invitation.state() == "in_progress"
    later = invitation.expires_at + timedelta(seconds=1)
    assert invitation.state(now=later) == "expired"


def test_front_desk_sees_state_but_never_answers(client_for, front_desk, client, invitation, link):
    fill_all(client, link)
    client.post(step_url(link, "consent"), SIGN)
    with time_machine.travel("2026-11-21 18:00:00+00:00"):
        page = (
            client_for(front_desk)
            .get(reverse("intake:patient-detail", args=[invitation.intake.patient_id]))
            .content.decode()
        )
    assert "Submitted" in page
    for secret in ("Apixaban", "Knee arthroscopy", "Blood thinners", "Screening for"):
        assert secret not in page
    assert "Not before 2026-12-24, physiotherapist to review" in page
