"""The two booking emails: the sign-in link (names nobody and nothing booked) and a new
person's confirmation link (the time, practitioner and place, nothing clinical); and
the worker drops a sign-in for an address not on file."""

from datetime import timedelta

import pytest
from django.core import mail

from clinic import emails
from sessions.online import sign_in_mail, signin
from sessions.online.models import EmailCheck
from tests.factories import LocationFactory, PatientFactory, clinic_time

pytestmark = pytest.mark.django_db

START = clinic_time(2026, 12, 7, 9, 30)


def test_the_sign_in_mail_carries_the_link_and_its_time_only():
    emails.online_sign_in(to="p@example.com", link="https://x/book/sign-in/t/", expires_at=START)
    [message] = mail.outbox
    assert message.to == ["p@example.com"] and "sign-in link" in message.subject
    assert "https://x/book/sign-in/t/" in message.body and "09:30" in message.body
    html = message.alternatives[0][0]
    assert "https://x/book/sign-in/t/" in html


def test_the_confirmation_mail_names_the_time_practitioner_and_place():
    location = LocationFactory(name="Downtown", address="1 Main St")
    emails.online_confirm(
        to="n@example.com",
        first_name="Nadia",
        link="https://x/book/confirm/t/",
        start=START,
        practitioner="Priya Shah",
        location=location,
    )
    [message] = mail.outbox
    assert "confirm your booking" in message.subject.lower()
    for part in ("Nadia", "Monday 7 December 2026 at 09:30", "Priya Shah", "1 Main St"):
        assert part in message.body, part
    assert "https://x/book/confirm/t/" in message.body


def test_the_worker_mails_a_known_address_once_and_drops_an_unknown_one(settings):
    patient = PatientFactory(email="known@example.com")
    known = signin.sign_in_request(email="Known@Example.com")
    unknown = signin.sign_in_request(email="nobody@example.com")
    assert known.patient == patient and unknown.patient is None
    assert sign_in_mail.sign_in_send(known.pk) is True
    assert sign_in_mail.sign_in_send(unknown.pk) is False
    assert sign_in_mail.sign_in_send(10**9) is False
    assert [m.to for m in mail.outbox] == [["known@example.com"]]
    EmailCheck.objects.filter(pk=known.pk).update(
        expires_at=known.created_at - timedelta(seconds=1)
    )
    assert sign_in_mail.sign_in_send(known.pk) is False  # too late: not sent
