"""Cancelling late or marking a no-show tells the desk when a missed-visit fee was
proposed, and says nothing of a fee when none was."""

from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from sessions.models import BillingPolicy
from tests.factories import AppointmentFactory

from ..conftest import NOW

pytestmark = pytest.mark.django_db


@pytest.fixture
def policy(db):
    policy = BillingPolicy.get()
    policy.no_show_fee_on, policy.no_show_fee = True, D("50.00")
    policy.late_cancel_fee_on, policy.late_cancel_fee = True, D("40.00")
    policy.late_cancel_hours = 24
    policy.save()
    return policy


def visit(patient, physio, location, treatment, start):
    return AppointmentFactory(
        patient=patient, practitioner=physio, location=location, type=treatment, start=start
    )


def said(response) -> str:
    return " ".join(str(m) for m in get_messages(response.wsgi_request))


def cancel(client, appointment):
    return client.post(
        reverse("sessions:appointment-cancel", args=[appointment.pk]), {"reason": "Sick"}
    )


@pytest.mark.parametrize(
    ("hours_ahead", "expected"),
    [
        (2, "A late-cancellation fee of $40.00 is proposed: confirm or waive it on the visit."),
        (48, None),
    ],
)
def test_cancelling_says_whether_a_late_fee_is_proposed(
    client_for, clerk, policy, patient, physio, location, treatment, hours_ahead, expected
):
    booked = visit(patient, physio, location, treatment, NOW + timedelta(hours=hours_ahead))
    text = said(cancel(client_for(clerk), booked))
    assert "The appointment is cancelled; the time is free again." in text
    if expected:
        assert expected in text
    else:
        assert "fee" not in text


def test_marking_a_no_show_says_the_fee_is_proposed(
    client_for, clerk, policy, patient, physio, location, treatment
):
    missed = visit(patient, physio, location, treatment, NOW - timedelta(hours=1))
    url = reverse("sessions:appointment-status", args=[missed.pk, "no_show"])
    text = said(client_for(clerk).post(url))
    assert f"{patient} marked no-show." in text
    assert "A no-show fee of $50.00 is proposed: confirm or waive it on the visit." in text


def test_no_show_with_the_policy_off_mentions_no_fee(
    client_for, clerk, policy, patient, physio, location, treatment
):
    policy.no_show_fee_on = False
    policy.save()
    missed = visit(patient, physio, location, treatment, NOW - timedelta(hours=1))
    url = reverse("sessions:appointment-status", args=[missed.pk, "no_show"])
    assert "fee" not in said(client_for(clerk).post(url))
