"""Every patient link kind expires and can be revoked, as the README's table says
(issue 13, fault 12)."""

import re
from datetime import datetime, time, timedelta

import pytest
import time_machine
from django.conf import settings as django_settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from clinic import clock
from clinic.links import make_token
from clinic.models import AuditEvent
from sessions.billing.receipts import RECEIPT_PURPOSE
from sessions.charting.aftercare import AFTERCARE_PURPOSE
from sessions.online import signin
from sessions.online.models import WaitListEntry
from tests.clinic.authorization.expected import BAD_LINK, OK
from tests.clinic.authorization.requesting import link_args, outcome
from tests.clinic.authorization.world import build_world

# Link kind -> (URL name, the World attribute of patient A's row, when its clock starts,
# the setting that says for how many days it works).
LIFETIMES = {
    "intake": ("intake:fill", "invitation", "created_at", "INTAKE_LINK_DAYS"),
    "check-in": ("sessions:checkin", "checkin", "sent_at", "CHECKIN_LINK_DAYS"),
    "aftercare": ("sessions:aftercare", "delivery", "created_at", "AFTERCARE_LINK_DAYS"),
    "calendar feed": ("sessions:calendar-feed", "feed", "created_at", "CALENDAR_FEED_DAYS"),
    "receipt": ("sessions:receipt-link", "receipt_link", "created_at", "RECEIPT_LINK_DAYS"),
    "message choices": ("intake:messages", "messages_link", "created_at", "MESSAGES_LINK_DAYS"),
    "questionnaire": ("sessions:questionnaire", "questionnaire", "created_at", "OUTCOME_LINK_DAYS"),
    "documents, from the intake": (
        "sessions:intake-documents",
        "invitation",
        "created_at",
        "INTAKE_LINK_DAYS",
    ),
    "documents, asked for": (
        "sessions:document-request-upload",
        "document_request",
        "created_at",
        "DOCUMENT_REQUEST_LINK_DAYS",
    ),
}


@pytest.fixture
def world(db, settings):
    settings.BAD_LINK_LIMIT = 1_000_000
    cache.clear()
    return build_world()


def opens(world, name: str) -> str:
    return outcome(Client().get(reverse(name, kwargs=link_args(name, world))))


@pytest.mark.parametrize("kind", LIFETIMES)
def test_each_link_kind_works_until_its_lifetime_ends_and_not_after(kind, world):
    name, attr, start_field, setting = LIFETIMES[kind]
    start = getattr(getattr(world, attr), start_field)
    end = start + timedelta(days=getattr(django_settings, setting))
    with time_machine.travel(end - timedelta(minutes=1), tick=False):
        assert opens(world, name) == OK, f"{kind} just before it expires"
    with time_machine.travel(end + timedelta(minutes=1), tick=False):
        assert opens(world, name) == BAD_LINK, f"{kind} just after it expires"


@pytest.mark.parametrize("kind", LIFETIMES)
def test_each_link_kind_is_refused_at_the_instant_it_expires(kind, world):
    name, attr, start_field, setting = LIFETIMES[kind]
    start = getattr(getattr(world, attr), start_field)
    end = start + timedelta(days=getattr(django_settings, setting))
    with time_machine.travel(end - timedelta(microseconds=1), tick=False):
        assert opens(world, name) == OK, f"{kind} a microsecond before it expires"
    with time_machine.travel(end, tick=False):
        assert opens(world, name) == BAD_LINK, f"{kind} at the instant it expires"


def test_a_physio_stops_a_visit_s_aftercare_and_check_in_links(world, client_for):
    assert opens(world, "sessions:aftercare") == OK
    assert opens(world, "sessions:checkin") == OK
    response = client_for(world.physio).post(
        reverse("sessions:links-revoke", args=[world.signed_visit.pk])
    )
    assert response.status_code == 302
    assert opens(world, "sessions:aftercare") == BAD_LINK
    assert opens(world, "sessions:checkin") == BAD_LINK
    event = AuditEvent.objects.get(url_name="sessions:links-revoke")
    assert event.patient == world.patient and event.user == world.physio
    # Another visit's links (patient B's) still open.
    other = make_token(AFTERCARE_PURPOSE, world.other_delivery.pk, world.other_delivery.nonce)
    assert outcome(Client().get(reverse("sessions:aftercare", args=[other]))) == OK


def test_the_front_desk_stops_an_invoice_s_receipt_links(world, client_for):
    assert opens(world, "sessions:receipt-link") == OK
    assert opens(world, "sessions:receipt-link-pdf") == OK
    response = client_for(world.front_desk).post(
        reverse("sessions:receipt-links-revoke", args=[world.invoice.pk])
    )
    assert response.status_code == 302
    assert opens(world, "sessions:receipt-link") == BAD_LINK
    assert opens(world, "sessions:receipt-link-pdf") == BAD_LINK
    event = AuditEvent.objects.get(url_name="sessions:receipt-links-revoke")
    assert event.patient == world.patient and event.user == world.front_desk
    # Another invoice's receipt link (patient B's) still opens.
    row = world.other_receipt_link
    other = make_token(RECEIPT_PURPOSE, row.pk, row.nonce)
    assert outcome(Client().get(reverse("sessions:receipt-link", args=[other]))) == OK


def test_revoked_intake_links_and_calendar_feeds_stop(world, client_for):
    client_for(world.front_desk).post(
        reverse("intake:invitation-revoke", args=[world.invitation.pk])
    )
    assert opens(world, "intake:fill") == BAD_LINK
    world.feed.revoked_at = world.feed.created_at
    world.feed.save()
    assert opens(world, "sessions:calendar-feed") == BAD_LINK
    assert opens(world, "intake:messages") == OK
    client_for(world.front_desk).post(
        reverse("intake:patient-messages", args=[world.patient.pk]), {"revoke_links": "1"}
    )
    assert opens(world, "intake:messages") == BAD_LINK


# Online booking's links (issue 17): their lifetimes are not "so many days from when it
# was sent" (tested below, and in tests/sessions/online); the README names the setting,
# if any.
ONLINE_LINKS = {
    "wait-list entry": "WAITLIST_LINK_DAYS",
    "wait-list offer": None,
    "online sign-in": None,
    "booking confirmation": None,
    "visit self-service": None,
}


def test_the_readme_table_of_link_kinds_matches_the_code():
    readme = (django_settings.BASE_DIR / "README.md").read_text()
    table = readme[readme.index("| Link kind") :].split("\n\n")[0]
    rows = [line.strip() for line in table.splitlines()[2:] if line.strip().startswith("|")]
    assert len(rows) == len(LIFETIMES) + len(ONLINE_LINKS)
    settings_of = {kind: (None, None, None, setting) for kind, setting in ONLINE_LINKS.items()}
    for kind, (_, _, _, setting) in {**LIFETIMES, **settings_of}.items():
        if setting is None:
            assert [r for r in rows if r.lower().startswith(f"| {kind}")], kind
            continue
        (row,) = [r for r in rows if r.lower().startswith(f"| {kind}")]
        assert f"`{setting}`" in row, row
        days = re.search(r"default (\d+)", row)
        assert days and int(days[1]) == getattr(django_settings, setting), row


def test_a_wait_list_entry_link_works_until_waitlist_link_days_after_its_last_date(world):
    entry = world.waitlist_entry
    last = entry.latest + timedelta(days=django_settings.WAITLIST_LINK_DAYS)
    end = datetime.combine(last + timedelta(days=1), time(0), tzinfo=clock.clinic_tz())
    with time_machine.travel(end - timedelta(minutes=1), tick=False):
        assert opens(world, "sessions:waitlist-entry") == OK
    with time_machine.travel(end, tick=False):
        assert opens(world, "sessions:waitlist-entry") == BAD_LINK


def test_a_wait_list_entry_link_ends_when_the_entry_is_removed(world):
    world.waitlist_entry.status = WaitListEntry.Status.REMOVED
    world.waitlist_entry.save()
    assert opens(world, "sessions:waitlist-entry") == BAD_LINK


def test_an_offer_link_after_its_end_opens_to_say_it_ran_out(world):
    with time_machine.travel(world.offer.expires_at, tick=False):
        page = Client().get(reverse("sessions:offer", kwargs=link_args("sessions:offer", world)))
    assert outcome(page) == OK and b"this offer has run out" in page.content


@pytest.mark.parametrize("attr", ["sign_in_check", "confirm_check"])
def test_sign_in_and_confirmation_checks_work_once_and_not_after_their_end(world, attr):
    check = getattr(world, attr)
    with time_machine.travel(check.expires_at, tick=False):
        assert not signin.check_usable(check, timezone.now())
        with pytest.raises(ValidationError):
            signin._spend(check, timezone.now())
    at = check.expires_at - timedelta(minutes=1)
    assert signin.check_usable(check, at)
    signin._spend(check, at)
    check.refresh_from_db()
    assert not signin.check_usable(check, at)
    with pytest.raises(ValidationError):
        signin._spend(check, at)


PATIENT_PAGES = ["intake:fill-step", "sessions:checkin", "sessions:aftercare", "intake:messages"]


@pytest.mark.parametrize("name", PATIENT_PAGES)
def test_the_clinic_name_on_a_patient_page_does_not_lead_to_the_staff_sign_in(name, world):
    html = Client().get(reverse(name, kwargs=link_args(name, world))).content.decode()
    brand = re.search(r'<(a|span) class="navbar-brand[^>]*>', html)[0]
    assert brand.startswith("<span") and reverse("login") not in html


@pytest.mark.parametrize("name", PATIENT_PAGES)
def test_the_clinic_name_on_a_patient_page_leads_to_the_public_site_when_set(name, world, settings):
    settings.CLINIC_PUBLIC_URL = "https://bowriverphysio.example.com/"
    html = Client().get(reverse(name, kwargs=link_args(name, world))).content.decode()
    assert (
        'class="navbar-brand fw-semibold me-auto" href="https://bowriverphysio.example.com/"'
        in (html)
    )
