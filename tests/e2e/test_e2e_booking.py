"""The booking journey at the front desk: book a patient from the day calendar, move
the visit, be refused a clashing booking, cancel with a reason."""

import re
from datetime import date, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from intake.models import Patient

LOCATION = "Calgary – Kensington"
PHYSIO = "Priya Shah"
# What seed_demo books for Priya on the next weekday (its first four patients).
SEEDED = [
    "09:00–10:00 Hélène Tremblay",
    "10:00–10:30 Marcus Lee",
    "10:30–11:00 Aisha Rahman",
    "13:00–14:00 Gordon MacLeod",
]


def next_weekday() -> date:
    """The day seed_demo books its visits on: the next Monday to Friday after today."""
    day = timezone.localdate() + timedelta(days=1)
    while day.weekday() > 4:
        day += timedelta(days=1)
    return day


def show_day(page: Page, day: date) -> None:
    """Open the day calendar from the main menu and go to ``day`` at the location."""
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Calendar").click()
    page.get_by_label("Go to date").fill(day.isoformat())
    page.get_by_label("Location").select_option(label=LOCATION)
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"{LOCATION} · {day:%A} {day.day} {day:%B %Y}"
    )


def choose_patient(page: Page, search: str, listed_as: str) -> None:
    expect(page.get_by_role("heading", level=1)).to_have_text("Book a visit: who is it for?")
    page.get_by_label("Name, phone, email or date of birth").fill(search)
    page.get_by_role("button", name="Search").click()
    page.get_by_role("listitem").filter(has_text=listed_as).get_by_role(
        "link", name="Choose"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Book a visit")


def open_appointment(page: Page, link_text: str) -> None:
    page.get_by_role("region", name=PHYSIO).get_by_role("link", name=link_text).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(link_text.split(" ", 1)[1])


@pytest.mark.usefixtures("demo_clinic")
def test_front_desk_books_moves_is_refused_a_clash_and_cancels_with_a_reason(
    page: Page, live_server, login
):
    day = next_weekday()
    iso = day.isoformat()
    login(page, live_server, "frontdesk")

    # The day calendar for the seeded day, at Priya's location.
    show_day(page, day)
    priya = page.get_by_role("region", name=PHYSIO)
    for visit in SEEDED:
        expect(priya.get_by_role("link", name=visit)).to_be_visible()
    # Busy times offer no booking link.
    expect(priya.get_by_role("link", name=f"Book 09:00 with {PHYSIO}")).to_have_count(0)

    # Book Zoë into the free 11:00 slot.
    priya.get_by_role("link", name=f"Book 11:00 with {PHYSIO}").click()
    choose_patient(page, "Kowalski", "Kowalski, Zoë")
    expect(page.get_by_label("Physiotherapist")).to_have_value(re.compile(r"\d+"))
    expect(page.get_by_label("Starts")).to_have_value(f"{iso}T11:00")
    page.get_by_label("Visit type").select_option(label="IMS treatment")
    page.get_by_role("button", name="Book", exact=True).click()

    expect(page.get_by_role("status")).to_have_text(f"Booked Zoë Kowalski on {iso} 11:00.")
    expect(priya.get_by_role("link", name="11:00–11:30 Zoë Kowalski")).to_be_visible()
    expect(priya.get_by_role("link", name=f"Book 11:00 with {PHYSIO}")).to_have_count(0)

    # Move her to 14:00 the same day: 11:00 is free again.
    open_appointment(page, "11:00–11:30 Zoë Kowalski")
    reschedule = page.get_by_role("region", name="Reschedule")
    reschedule.get_by_label("Starts").fill(f"{iso}T14:00")
    reschedule.get_by_role("button", name="Move the appointment").click()

    expect(page.get_by_role("status")).to_have_text(f"Moved to {iso} 14:00.")
    expect(priya.get_by_role("link", name="14:00–14:30 Zoë Kowalski")).to_be_visible()
    expect(priya.get_by_role("link", name="11:00–11:30 Zoë Kowalski")).to_have_count(0)
    expect(priya.get_by_role("link", name=f"Book 11:00 with {PHYSIO}")).to_be_visible()

    # Ravi at 13:30 would overlap Gordon's hour from 13:00: refused, nothing lost.
    priya.get_by_role("link", name=f"Book 12:30 with {PHYSIO}").click()
    choose_patient(page, "Patel", "Patel, Ravi")
    page.get_by_label("Starts").fill(f"{iso}T13:30")
    page.get_by_label("Visit type").select_option(label="IMS treatment")
    page.get_by_label("Front-desk note").fill("Prefers afternoons")
    page.get_by_role("button", name="Book", exact=True).click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Book a visit")
    starts = page.get_by_label("Starts")
    # The message is tied to the field, so a screen reader reads it with the input.
    clash = (
        f"{PHYSIO} is already booked {iso} 13:00–14:00 (Gordon MacLeod, Initial assessment + IMS)."
    )
    expect(starts).to_have_accessible_description(re.compile(re.escape(clash)))
    expect(starts).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_role("status")).to_have_count(0)
    expect(starts).to_have_value(f"{iso}T13:30")
    # Still chosen, with why it cannot go there.
    expect(page.get_by_label("Visit type").locator("option:checked")).to_have_text(
        "IMS treatment — 30 min, not free: overlaps the 13:00–14:00 visit"
    )
    expect(page.get_by_label("Front-desk note")).to_have_value("Prefers afternoons")
    # Nothing booked for Ravi (his demo course's visits are all completed).
    ravi = Patient.objects.get(legal_last_name="Patel")
    assert not ravi.appointments.filter(status="booked").exists()

    # Cancel Zoë's visit: a reason is required, then the 14:00 slot is bookable again.
    show_day(page, day)
    open_appointment(page, "14:00–14:30 Zoë Kowalski")
    cancel = page.get_by_role("region", name="Cancel")
    cancel.get_by_role("button", name="Cancel the appointment").click()
    expect(cancel.get_by_label("Reason for cancelling")).to_have_accessible_description(
        "Please give the reason for cancelling."
    )
    expect(page.get_by_text("Booked", exact=True)).to_be_visible()
    # The refused cancel leaves the reschedule form as it was.
    reschedule = page.get_by_role("region", name="Reschedule")
    expect(reschedule.get_by_label("Starts")).to_have_value(f"{iso}T14:00")

    cancel.get_by_label("Reason for cancelling").fill("Patient is unwell")
    cancel.get_by_role("button", name="Cancel the appointment").click()

    # Within the notice period (the run's own clock: tomorrow 14:00) a late-cancellation
    # fee is proposed too; either way the time is free again.
    expect(page.get_by_role("status")).to_have_text(
        re.compile(r"^The appointment is cancelled; the time is free again\.")
    )
    zoe = priya.get_by_role("listitem").filter(
        has=page.get_by_role("link", name="14:00–14:30 Zoë Kowalski")
    )
    expect(zoe.get_by_text("Cancelled", exact=True)).to_be_visible()
    expect(zoe).to_contain_text("Cancelled: Patient is unwell")
    expect(priya.get_by_role("link", name=f"Book 14:00 with {PHYSIO}")).to_be_visible()


def test_anonymous_visit_to_the_calendar_lands_on_the_login_page(
    page: Page, live_server, transactional_db
):
    page.goto(f"{live_server.url}/calendar/")

    expect(page).to_have_url(f"{live_server.url}/accounts/login/?next=/calendar/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
