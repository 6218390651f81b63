"""Booking online on a phone: a new person books an initial assessment, confirms it by
the emailed link and receives the intake questionnaire; a returning patient signs in by
email link, is refused a needling visit on a date screening does not clear, with a
polite page, and asks for a call back. axe-core checks every page on the way (the
accessibility guard in test_e2e_accessibility.py counts ``ONLINE_PAGES``)."""

import re
from datetime import time, timedelta

import pytest
from celery.app.task import Task
from django.core import mail
from django.utils import timezone
from playwright.sync_api import Page, expect

from clinic import clock
from clinic.roles import Role
from intake.models import ConsentText, Intake
from sessions.booking.models import Appointment, AppointmentType, WorkingHours
from sessions.followups.models import CallTask
from sessions.online.models import OnlineBookingPolicy
from tests.e2e.accessibility_clinic import audit_fixture, refuse
from tests.e2e.axe import Audit
from tests.e2e.conftest import PHONE
from tests.factories import (
    LocationFactory,
    NeedlingAuthorisationFactory,
    PatientFactory,
    UserFactory,
)

# The public booking pages these journeys check with axe, and those that are no page.
ONLINE_PAGES = {
    "sessions:online-start",
    "sessions:online-services",
    "sessions:online-slots",
    "sessions:online-details",
    "sessions:online-check-email",
    "sessions:online-confirm",
    "sessions:online-sign-in",
    "sessions:online-signed-in",
    "sessions:online-callback",
}
ONLINE_NOT_PAGES = {"sessions:online-sign-out": "POST only; redirects to the booking start"}
NEW_EMAIL = "nadia.newcomer@example.com"
RETURNING_EMAIL = "rita.returning@example.com"


@pytest.fixture
def online_clinic(transactional_db, settings, live_server, monkeypatch):
    """One location online, one physiotherapist there every day 08:00-18:00 (so the
    first page always has times, whatever the hour the test runs), an assessment for
    new patients and a needling follow-up. Celery tasks run in-process."""
    settings.SITE_URL = live_server.url
    monkeypatch.setattr(
        Task,
        "apply_async",
        lambda self, args=None, kwargs=None, **options: self.apply(args, kwargs),
    )
    physio = UserFactory(username="priya", first_name="Priya", last_name="Shah", role=Role.PHYSIO)
    location = LocationFactory(name="Bow River Downtown", books_online=True)
    for weekday in range(7):
        WorkingHours.objects.create(
            practitioner=physio, location=location, weekday=weekday, starts=time(8), ends=time(18)
        )
    OnlineBookingPolicy.get().practitioners.add(physio)
    NeedlingAuthorisationFactory(practitioner=physio)
    AppointmentType.objects.create(
        name="Initial assessment",
        duration_minutes=60,
        involves_needling=False,
        bookable_online=True,
        for_new_patients=True,
    )
    AppointmentType.objects.create(
        name="IMS follow-up",
        duration_minutes=30,
        involves_needling=True,
        bookable_online=True,
        for_new_patients=False,
    )
    return live_server.url


__all__ = ["audit_fixture"]  # the fixture used by the tests below


def check(audit: Audit, page: Page, label: str, refused: bool = False) -> None:
    """axe on the page at both sizes, then back to the phone."""
    (audit.check_refused if refused else audit.check)(page, label)
    page.set_viewport_size(PHONE["viewport"])


def fits_the_phone(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]


def link_in(subject_part: str, to: str, pattern: str) -> str:
    [message] = [m for m in mail.outbox if subject_part in m.subject and m.to == [to]]
    return re.search(pattern, message.body).group()


def test_a_new_patient_books_an_assessment_on_a_phone(
    online_clinic, phone_page: Page, audit: Audit
):
    LocationFactory(name="Bow River North", books_online=True)  # a choice of two
    page = phone_page
    page.goto(f"{online_clinic}/book/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Book a visit")
    check(audit, page, "booking: locations")
    page.get_by_role("link", name=re.compile("Bow River Downtown")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("What would you like to book?")
    check(audit, page, "booking: services")
    expect(page.get_by_text("IMS follow-up")).to_have_count(0)  # not for new patients
    page.get_by_role("link", name=re.compile("Initial assessment")).click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Choose a time")
    fits_the_phone(page)
    page.screenshot(path="/tmp/online_slots_phone.png", full_page=True)
    check(audit, page, "booking: times")
    page.locator("button.slot-button").first.click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Your details")
    check(audit, page, "booking: details")
    refuse(page, "Continue")
    check(audit, page, "booking: details, nothing typed", refused=True)
    page.get_by_label("First name (legal)").fill("Nadia")
    page.get_by_label("Last name (legal)").fill("Newcomer")
    page.get_by_label("Date of birth").fill("1988-04-12")
    page.get_by_label("Email").fill(NEW_EMAIL)
    page.get_by_label("Phone").fill("403 555 0199")
    fits_the_phone(page)
    page.screenshot(path="/tmp/online_details_phone.png", full_page=True)
    page.get_by_role("button", name="Continue").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email to confirm")
    check(audit, page, "booking: check your email")
    assert not Appointment.objects.exists()
    link = link_in("confirm your booking", NEW_EMAIL, r"https?://\S+/book/confirm/[^/\s]+/")

    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm your booking")
    check(audit, page, "booking: confirm")
    page.get_by_role("button", name="Confirm my booking").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("You are booked")
    expect(page.get_by_role("link", name="See, move or cancel this visit")).to_be_visible()
    fits_the_phone(page)
    check(audit, page, "booking: booked")
    appointment = Appointment.objects.get()
    assert appointment.booked_online and appointment.patient.email == NEW_EMAIL
    # The front-desk flow follows: the intake questionnaire is on its way.
    assert link_in("health questionnaire", NEW_EMAIL, r"https?://\S+")
    audit.assert_clean(
        ONLINE_PAGES
        - {"sessions:online-sign-in", "sessions:online-signed-in", "sessions:online-callback"}
    )


def test_a_returning_patient_is_refused_needling_on_an_uncleared_date_and_asks_for_a_call(
    online_clinic, phone_page: Page, audit: Audit
):
    patient = PatientFactory(
        legal_first_name="Rita", legal_last_name="Returning", email=RETURNING_EMAIL
    )
    consent = ConsentText.objects.first() or ConsentText.objects.create(body="I consent.")
    surgery = clock.clinic_today() - timedelta(days=10)  # needling waits 12 weeks
    Intake.objects.create(
        patient=patient,
        status=Intake.Status.SUBMITTED,
        submitted_at=timezone.now() - timedelta(days=5),
        answers={
            "needles": {"pregnancy": "no", "needle_fear": "none"},
            "surgeries": {"rows": [{"date": surgery.isoformat(), "description": "Knee"}]},
        },
        consent=consent,
        signature_name="Rita Returning",
    )
    page = phone_page
    page.goto(f"{online_clinic}/book/")
    page.get_by_role("link", name="Sign in").first.click()
    check(audit, page, "booking: sign in")
    refuse(page, "Email me a sign-in link")
    check(audit, page, "booking: sign in, no address", refused=True)
    page.get_by_label("Your email address").fill(RETURNING_EMAIL)
    page.get_by_role("button", name="Email me a sign-in link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
    check(audit, page, "booking: sign-in link sent")

    page.goto(link_in("sign-in link", RETURNING_EMAIL, r"https?://\S+/book/sign-in/[^/\s]+/"))
    check(audit, page, "booking: signed-in link")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_text("You are signed in.")).to_be_visible()
    page.get_by_role("link", name=re.compile("IMS follow-up")).click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Choose a time")
    expect(page.get_by_text("This visit cannot be booked online for that date")).to_be_visible()
    expect(page.locator("button.slot-button")).to_have_count(0)
    assert "Knee" not in page.content() and "surgery" not in page.content().lower()
    fits_the_phone(page)
    page.screenshot(path="/tmp/online_refused_phone.png", full_page=True)
    check(audit, page, "booking: needling refused")
    page.get_by_role("button", name="Ask for a call back").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you, the clinic will call you")
    check(audit, page, "booking: call back asked")
    task = CallTask.objects.get()
    assert task.patient == patient and "IMS follow-up" in task.reason
    assert not Appointment.objects.exists()
    audit.assert_clean(
        {
            "sessions:online-sign-in",
            "sessions:online-signed-in",
            "sessions:online-slots",
            "sessions:online-callback",
        }
    )
