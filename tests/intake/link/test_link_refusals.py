"""Links that do not open an intake: tampered, expired, revoked, another patient's, signed
for another purpose, or pointing at an unknown step."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse

from clinic.links import make_token
from intake import services
from tests.factories import PatientFactory
from tests.intake.link.conftest import step_url


@pytest.mark.parametrize("token", ["garbage", "a" * 300, "WzEsImFiYyJd:1:xyz"])
def test_tampered_link_shows_the_plain_invalid_page(client, db, token):
    response = client.get(reverse("intake:fill", args=[token]))
    assert response.status_code == 404
    assert "This link is not valid" in response.content.decode()


def test_expired_link_shows_the_invalid_page(client, invitation, link):
    with time_machine.travel(invitation.expires_at + timedelta(seconds=1)):
        response = client.get(step_url(link, "visit"))
    assert response.status_code == 404
    assert "Tremblay" not in response.content.decode()


def test_link_works_until_the_last_moment(client, invitation, link):
    with time_machine.travel(invitation.expires_at - timedelta(seconds=1)):
        assert client.get(step_url(link, "visit")).status_code == 200


def test_revoked_link_shows_the_invalid_page(client, client_for, front_desk, invitation, link):
    client_for(front_desk).post(reverse("intake:invitation-revoke", args=[invitation.pk]))
    client.logout()
    assert client.get(step_url(link, "visit")).status_code == 404


def test_one_patients_link_cannot_reach_another_patients_intake(client, invitation, front_desk):
    other = services.intake_invite(
        patient=PatientFactory(email="o@example.com"), sent_by=front_desk
    )
    forged = make_token("intake", other.pk, invitation.nonce)
    response = client.get(reverse("intake:fill-step", args=[forged, "visit"]))
    assert response.status_code == 404


def test_a_token_signed_for_another_purpose_is_refused(client, invitation):
    token = make_token("checkin", invitation.pk, invitation.nonce)
    assert client.get(reverse("intake:fill", args=[token])).status_code == 404


def test_unknown_step_is_not_found(client, link):
    assert client.get(step_url(link, "nonsense")).status_code == 404
