"""A returning patient's sign-in by email link: the page answers the same whether the
address is on file or not, mail leaves only for a known one; the link works once, for
30 minutes; the session for 30 minutes; too many tries get the 429 page."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from clinic.models import AuditEvent
from sessions.online import signin
from sessions.online.models import EmailCheck
from tests.factories import clinic_time
from tests.sessions.online.booking_fixtures import *  # noqa: F403  # the fixtures
from tests.sessions.online.booking_fixtures import (
    NOW,
    RETURNING_EMAIL,
    sign_in_as,
    slot_value,
    slots_url,
)

pytestmark = pytest.mark.django_db

SIGN_IN = reverse("sessions:online-sign-in")


@pytest.fixture(autouse=True)
def pinned():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def ask(client, capture, email):
    with capture():
        return client.post(SIGN_IN, {"email": email})


def without_token(html: str) -> str:
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)
    return html


def test_known_and_unknown_addresses_get_the_same_page_and_only_the_known_one_mail(
    client, returning, run_tasks
):
    known = ask(client, run_tasks, RETURNING_EMAIL)
    unknown = ask(client, run_tasks, "nobody@example.com")
    assert known.status_code == unknown.status_code == 200
    assert [t.name for t in known.templates] == [t.name for t in unknown.templates]
    same = without_token(known.content.decode()).replace(RETURNING_EMAIL, "@")
    assert same == without_token(unknown.content.decode()).replace("nobody@example.com", "@")
    assert [m.to for m in mail.outbox] == [[RETURNING_EMAIL]]
    assert EmailCheck.objects.count() == 2  # the same writes either way
    assert "Sign in to book" in mail.outbox[0].alternatives[0][0]


def test_the_sign_in_link_works_once(client, returning, run_tasks):
    ask(client, run_tasks, RETURNING_EMAIL)
    link = re.search(r"/book/sign-in/[^/\s]+/", mail.outbox[0].body).group()
    page = client.get(link)
    assert page.status_code == 200 and b"Continue" in page.content
    assert signin.SESSION_KEY not in client.session  # opening it signs nobody in
    assert client.post(link).status_code == 302
    assert client.session[signin.SESSION_KEY]["id"] == returning.pk
    assert AuditEvent.objects.filter(
        action="login", role="patient", patient=returning, detail="online sign-in"
    ).exists()
    again = client.post(link)
    assert again.status_code == 200 and b"already been used" in again.content


def test_the_sign_in_link_expires_after_30_minutes(client, returning, run_tasks, pinned):
    ask(client, run_tasks, RETURNING_EMAIL)
    link = re.search(r"/book/sign-in/[^/\s]+/", mail.outbox[0].body).group()
    pinned.shift(timedelta(minutes=30))
    response = client.post(link)
    assert b"already been used or has expired" in response.content
    assert signin.SESSION_KEY not in client.session


def test_the_signed_in_session_lasts_30_minutes(client, returning, location, follow_up, pinned):
    sign_in_as(client, returning)
    services = reverse("sessions:online-services", args=[location.pk])
    assert b"IMS follow-up" in client.get(services).content
    pinned.shift(timedelta(minutes=29, seconds=59))
    assert b"IMS follow-up" in client.get(services).content
    pinned.shift(timedelta(seconds=1))
    assert b"IMS follow-up" not in client.get(services).content


def test_signing_out_forgets_the_patient(client, returning):
    sign_in_as(client, returning)
    client.post(reverse("sessions:online-sign-out"))
    assert signin.SESSION_KEY not in client.session


def test_too_many_sign_in_requests_get_the_429_page(client, returning, settings, run_tasks):
    settings.ONLINE_CODE_LIMIT = 2
    for _ in range(2):
        assert ask(client, run_tasks, RETURNING_EMAIL).status_code == 200
    refused = ask(client, run_tasks, RETURNING_EMAIL)
    assert refused.status_code == 429 and b"Too many tries" in refused.content
    assert len(mail.outbox) == 2 and EmailCheck.objects.count() == 2


def test_too_many_holds_get_the_429_page(client, location, assessment, physio_online, settings):
    settings.ONLINE_HOLD_LIMIT = 1
    url = slots_url(location, assessment)
    first = client.post(url, {"slot": slot_value(physio_online, clinic_time(2026, 12, 7, 9))})
    assert first.status_code == 302
    refused = client.post(url, {"slot": slot_value(physio_online, clinic_time(2026, 12, 8, 9))})
    assert refused.status_code == 429


def test_the_honeypot_refuses_a_sign_in_request(client, returning):
    response = client.post(SIGN_IN, {"email": RETURNING_EMAIL, "website": "x"})
    assert response.status_code == 200 and b"could not be sent" in response.content
    assert not EmailCheck.objects.exists() and not mail.outbox


def test_a_malformed_address_is_refused_on_the_form(client):
    response = client.post(SIGN_IN, {"email": "not an email"})
    assert response.status_code == 200 and 'value="not an email"' in response.content.decode()
    assert not EmailCheck.objects.exists()


def test_requests_for_someone_else_s_address_do_not_lock_them_out(
    client, returning, settings, run_tasks
):
    """Past the limit for one email (asked from many addresses), the page is the same
    and no more mail goes out; the links already sent still work."""
    settings.ONLINE_CODE_LIMIT = 2
    for n in range(4):
        with run_tasks():
            answered = client.post(
                SIGN_IN, {"email": RETURNING_EMAIL}, REMOTE_ADDR=f"203.0.113.{n}"
            )
        assert answered.status_code == 200
        assert b"Too many tries" not in answered.content
    assert EmailCheck.objects.count() == 2 and len(mail.outbox) == 2
