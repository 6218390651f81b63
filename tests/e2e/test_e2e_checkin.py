"""The check-in journey: the day after a needling visit the patient opens the mailed
check-in link on a phone and reports a red flag; the physiotherapist sees the alert and
acknowledges it; the front desk calls the patient back without seeing clinical detail."""

import re
from collections.abc import Iterator
from datetime import datetime, time, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from intake.models import Patient
from sessions.followups import dispatch
from sessions.models import (
    Alert,
    Appointment,
    AppointmentType,
    CallTask,
    Location,
    ScheduledMessage,
    Visit,
)
from tests.e2e.conftest import DESKTOP, _open_page
from tests.factories import AppointmentFactory, ScheduledMessageFactory, VisitFactory

PATIENT = "Aisha Rahman"
PATIENT_EMAIL = "aisha.r@example.com"
PHYSIO_EMAIL = "physio@clinic.example.com"
RED_FLAG = "Redness, heat or swelling that is spreading"
SORENESS_QUESTION = "How sore are you right now?"
COMPARED_QUESTION = "Compared with what we told you to expect, it is"
COMMENT = "The spot on my shoulder is hot and the red patch is bigger this morning."
ACTION_TAKEN = "Called the patient, seen today"


@pytest.fixture
def front_desk_page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A second desktop context, so the front desk does not share the physio's session."""
    yield from _open_page(browser, request, DESKTOP)


@pytest.fixture
def due_checkin(demo_clinic, settings, live_server) -> ScheduledMessage:
    """Aisha's check-in after yesterday's 09:00 visit with Priya, due a minute ago.

    The row is created directly: checkins_schedule() puts it 24 h after the visit and
    out of quiet hours, which may still be in the future when the test runs.
    """
    settings.SITE_URL = live_server.url
    # No quiet hours, so the send is never deferred whatever the time of day.
    settings.QUIET_HOURS_START = settings.QUIET_HOURS_END = "00:00"
    physio = get_user_model().objects.get(username="physio")
    patient = Patient.objects.get(legal_first_name="Aisha", legal_last_name="Rahman")
    patient.email_reminders = True
    patient.save(update_fields=["email_reminders"])
    assert patient.email == PATIENT_EMAIL

    tz = timezone.get_current_timezone()
    start = datetime.combine(timezone.localdate() - timedelta(days=1), time(9), tzinfo=tz)
    appointment = AppointmentFactory(
        patient=patient,
        practitioner=physio,
        location=Location.objects.order_by("name").first(),
        type=AppointmentType.objects.get(name="IMS treatment"),
        start=start,
        status=Appointment.Status.COMPLETED,
    )
    # Check-ins belong to signed notes (a draft's is skipped at send time).
    visit = VisitFactory(
        appointment=appointment, status=Visit.Status.SIGNED, signed_at=appointment.end
    )
    # The demo's own reminders (due as it is seeded) are not this test's business.
    ScheduledMessage.objects.filter(status=ScheduledMessage.Status.PENDING).update(
        status=ScheduledMessage.Status.CANCELLED
    )
    return ScheduledMessageFactory(
        key=f"checkin:{visit.pk}:24h",
        visit=visit,
        due_at=timezone.now() - timedelta(minutes=1),
    )


def dispatch_due_messages() -> list[str]:
    """What sessions.tasks.dispatch_due_messages does, with the sends run in-process
    instead of queued on a broker."""
    return [
        dispatch.messages_send(ids=[pk], claim=claim)[pk]
        for pk, claim in dispatch.messages_claim_due()
    ]


def checkin_link_from(outbox, base_url: str) -> str:
    [mail] = [m for m in outbox if m.to == [PATIENT_EMAIL]]
    assert mail.subject.startswith("How are you feeling?"), mail.subject
    match = re.search(rf"{re.escape(base_url)}/c/[^/\s]+/", mail.body)
    assert match, mail.body
    return match.group()


def test_patient_reports_a_red_flag_and_the_physio_acknowledges_the_alert(
    due_checkin: ScheduledMessage,
    page: Page,
    phone_page: Page,
    front_desk_page: Page,
    live_server,
    login,
    mailoutbox,
):
    assert dispatch_due_messages() == ["sent"]
    link = checkin_link_from(mailoutbox, live_server.url)

    # The patient answers on a phone, without signing in.
    phone_page.goto(link)
    expect(phone_page.get_by_role("heading", level=1)).to_have_text(
        "How are you feeling since your visit?"
    )
    phone_page.get_by_label(re.compile(re.escape(SORENESS_QUESTION))).select_option("6")
    phone_page.get_by_role("group", name=COMPARED_QUESTION).get_by_label(
        "Worse than I expected"
    ).check()
    phone_page.get_by_label(RED_FLAG).check()
    phone_page.get_by_label("Anything else you want us to know").fill(COMMENT)
    phone_page.screenshot(path="/tmp/checkin_phone.png", full_page=True)
    # Nothing may stick out sideways on a phone: the patient would have to pan.
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 390
    phone_page.get_by_role("button", name="Send my answers").click()

    expect(phone_page.get_by_role("heading", level=1)).to_have_text(
        "Thank you, your answers are with the clinic"
    )
    expect(phone_page.get_by_role("alert")).to_contain_text(
        "your physiotherapist has been told and the clinic will call you"
    )

    # The physiotherapist is told by mail, with nothing in it about the patient.
    [alert_mail] = [m for m in mailoutbox if m.to == [PHYSIO_EMAIL]]
    assert alert_mail.subject == "A patient's check-in needs your attention"
    for body in (alert_mail.body, alert_mail.alternatives[0][0]):
        assert "Aisha" not in body and "Rahman" not in body
        assert "Redness" not in body and "6/10" not in body
    alert = Alert.objects.get(visit=due_checkin.visit)
    assert f"{live_server.url}/alerts/{alert.pk}/" in alert_mail.body

    # On the home page, opens the alert and records what was done.
    login(page, live_server, "physio")
    alerts = page.get_by_role("region", name="Check-ins needing attention")
    alerts.get_by_role("link", name=f"{PATIENT}: soreness (NPRS) 6/10, red flag").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Check-in alert: {PATIENT}")
    expect(page.get_by_text("Soreness (NPRS) 6/10")).to_be_visible()
    expect(page.get_by_text("Worse than I expected")).to_be_visible()
    expect(page.get_by_role("listitem").filter(has_text=RED_FLAG)).to_be_visible()
    expect(page.get_by_text(COMMENT)).to_be_visible()
    page.get_by_label("What did you do?").fill(ACTION_TAKEN)
    page.get_by_role("button", name="Acknowledge").click()

    expect(page.get_by_role("status")).to_have_text("Alert acknowledged.")
    expect(page.get_by_role("heading", level=1)).to_have_text("Today")
    expect(page.get_by_role("region", name="Check-ins needing attention")).to_have_count(0)
    alert.refresh_from_db()
    assert alert.acknowledged_by.username == "physio"
    assert alert.acknowledged_at is not None
    assert alert.action_taken == ACTION_TAKEN

    # The front desk sees whom to call, but nothing of the answers.
    login(front_desk_page, live_server, "frontdesk")
    calls = front_desk_page.get_by_role("region", name="Patients to call")
    call = calls.get_by_role("listitem").filter(has_text=PATIENT)
    expect(call).to_contain_text("587-555-0143")
    body = front_desk_page.locator("body")
    for clinical in ("Redness", "6/10", "soreness", "Worse than I expected", COMMENT):
        expect(body).not_to_contain_text(clinical)
    call.get_by_label("Call note").fill("Booked for 15:00 today")
    call.get_by_role("button", name="Called").click()

    expect(front_desk_page.get_by_role("status")).to_have_text(f"Call to {PATIENT} recorded.")
    expect(front_desk_page.get_by_role("region", name="Patients to call")).to_have_count(0)
    task = CallTask.objects.get(alert=alert)
    assert task.done_by.username == "frontdesk"
    assert task.note == "Booked for 15:00 today"


def test_tampered_checkin_link_is_refused_on_the_phone(
    due_checkin: ScheduledMessage, phone_page: Page, live_server, mailoutbox
):
    assert dispatch_due_messages() == ["sent"]
    link = checkin_link_from(mailoutbox, live_server.url)
    # Change the last character of the signature.
    last = link[-2]
    tampered = f"{link[:-2]}{'A' if last != 'A' else 'B'}/"

    response = phone_page.goto(tampered)

    assert response is not None and response.status == 404
    expect(phone_page.get_by_role("heading", level=1)).to_have_text("This link is not valid")
    expect(phone_page.get_by_role("button", name="Send my answers")).to_have_count(0)
