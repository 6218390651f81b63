"""Accessibility of the self-service visit pages, the wait list's public pages and the
front desk's wait-list pages (axe at desktop and phone sizes; test_e2e_accessibility
holds the guard that lists every page)."""

from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Browser

from clinic import clock
from clinic.roles import Role
from sessions.booking.models import WorkingHours
from sessions.online import services, waitlist
from tests.e2e.accessibility_clinic import audit_fixture
from tests.e2e.axe import Audit, new_context, signed_in_context
from tests.e2e.test_e2e_accessibility import WAITLIST_PAGES
from tests.factories import AppointmentFactory, PatientFactory, UserFactory
from tests.sessions.online.waitlist_world import entry_for, online_clinic

__all__ = ["audit_fixture"]  # the fixture used below


@pytest.fixture
def waiting(transactional_db, settings, live_server):
    settings.SITE_URL = live_server.url
    clinic = online_clinic()
    for weekday in range(1, 7):
        WorkingHours.objects.create(
            practitioner=clinic.physio,
            location=clinic.location,
            weekday=weekday,
            starts=time(9),
            ends=time(17),
        )
    day = clock.clinic_day(timezone.now()) + timedelta(days=3)
    start = datetime.combine(day, time(10), tzinfo=clock.clinic_tz())
    visit = AppointmentFactory(
        patient=PatientFactory(legal_last_name="Visiting"),
        practitioner=clinic.physio,
        location=clinic.location,
        type=clinic.follow_up,
        start=start,
    )
    entry = entry_for(
        clinic,
        PatientFactory(legal_last_name="Waiting"),
        earliest=day - timedelta(days=1),
        latest=day + timedelta(days=5),
    )
    (offer,) = waitlist.slot_offer(
        location_id=clinic.location.pk,
        practitioner_id=clinic.physio.pk,
        start=start + timedelta(hours=4),
    )
    return clinic, visit, entry, offer


def test_waitlist_and_visit_link_pages(browser: Browser, waiting, audit: Audit, live_server):
    clinic, visit, entry, offer = waiting
    page = new_context(browser).new_page()
    link = services.visit_link(visit)
    for address, label in [
        (link, "own visit"),
        (link + "cancel/", "own visit, cancel"),
        (link + "move/", "own visit, move"),
        (waitlist.entry_link(entry), "own wait-list entry"),
        (waitlist.offer_link(offer), "wait-list offer"),
    ]:
        page.goto(address)
        audit.check(page, label)
    join = f"{live_server.url}/book/{clinic.location.pk}/{clinic.assessment.pk}/wait-list/"
    page.goto(join)
    audit.check(page, "join the wait list")
    page.evaluate("() => document.querySelectorAll('form').forEach(f => (f.noValidate = true))")
    with page.expect_navigation():
        page.get_by_role("button", name="Put me on the wait list").click()
    audit.check(page, "join the wait list, nothing filled")

    desk = signed_in_context(
        browser, live_server.url, UserFactory(username="desk", role=Role.FRONT_DESK)
    )
    for path, label in [
        ("/wait-list/", "wait list"),
        ("/wait-list/new/?q=Waiting", "wait list: find the patient"),
        (f"/wait-list/new/?patient={entry.patient_id}", "wait list: add the patient"),
        (f"/wait-list/{entry.pk}/", "wait list: edit an entry"),
    ]:
        desk.goto(live_server.url + path)
        audit.check(desk, label)
    audit.assert_clean(WAITLIST_PAGES)
