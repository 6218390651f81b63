"""What front desk sees of online booking outside its own pages: the calendars' and the
appointment page's marks, and the home page's call-back requests and count of bookings
awaiting approval."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from clinic.models import AuditEvent
from sessions.followups.models import CallTask
from tests.factories import AppointmentFactory, PatientFactory
from tests.sessions.conftest import local

pytestmark = pytest.mark.django_db


@pytest.fixture
def online(location, hours, physio):
    """Monday: one online booking awaiting approval, one approved, one by front desk."""
    make = lambda hour, **kw: AppointmentFactory(  # noqa: E731
        location=location, practitioner=physio, start=local(2026, 11, 23, hour), **kw
    )
    return {
        "waiting": make(9, booked_online=True, needs_approval=True),
        "approved": make(10, booked_online=True),
        "desk": make(11),
    }


def _marks(html: str, appointment) -> tuple[bool, bool]:
    """(Online, Awaiting approval) within the appointment's entry on a calendar."""
    start = html.index(reverse("sessions:appointment-detail", args=[appointment.pk]))
    end = html.find('<li class="list-group-item', start)
    entry = html[start : end if end != -1 else None]
    return 'data-testid="mark-online"' in entry, 'data-testid="mark-awaiting"' in entry


def test_the_day_calendar_marks_online_bookings_and_those_awaiting_approval(
    online, location, front_desk, client_for
):
    url = reverse("sessions:calendar-day") + f"?date=2026-11-23&location={location.pk}"
    html = client_for(front_desk).get(url).content.decode()
    assert _marks(html, online["waiting"]) == (True, True)
    assert _marks(html, online["approved"]) == (True, False)
    assert _marks(html, online["desk"]) == (False, False)
    approve = reverse("sessions:appointment-approve", args=[online["waiting"].pk])
    assert f'action="{approve}"' in html
    assert approve.replace(str(online["waiting"].pk), str(online["approved"].pk)) not in html


def test_the_week_calendar_marks_them_too(online, location, physio, front_desk, client_for):
    url = (
        reverse("sessions:calendar-week")
        + f"?date=2026-11-23&location={location.pk}&practitioner={physio.pk}"
    )
    html = client_for(front_desk).get(url).content.decode()
    assert _marks(html, online["waiting"]) == (True, True)
    assert _marks(html, online["approved"]) == (True, False)


def test_a_physio_sees_the_marks_but_no_approve_button(online, location, physio, client_for):
    url = reverse("sessions:calendar-day") + f"?date=2026-11-23&location={location.pk}"
    html = client_for(physio).get(url).content.decode()
    assert _marks(html, online["waiting"]) == (True, True)
    assert reverse("sessions:appointment-approve", args=[online["waiting"].pk]) not in html


def test_the_appointment_page_says_online_and_offers_approval(online, front_desk, client_for):
    url = reverse("sessions:appointment-detail", args=[online["waiting"].pk])
    html = client_for(front_desk).get(url).content.decode()
    assert 'data-testid="mark-online"' in html and 'data-testid="mark-awaiting"' in html
    assert reverse("sessions:appointment-approve", args=[online["waiting"].pk]) in html
    url = reverse("sessions:appointment-detail", args=[online["approved"].pk])
    html = client_for(front_desk).get(url).content.decode()
    assert 'data-testid="mark-online"' in html and 'data-testid="mark-awaiting"' not in html


def test_the_home_page_counts_bookings_awaiting_approval(online, front_desk, client_for):
    html = client_for(front_desk).get(reverse("home")).content.decode()
    assert "<strong>1</strong> online booking awaiting approval" in html
    assert reverse("sessions:online-pending") in html


def _call_backs(n: int) -> list[CallTask]:
    return [
        CallTask.objects.create(
            patient=PatientFactory(),
            reason=f"Online booking: asked for a call back to book IMS treatment ({i})",
        )
        for i in range(n)
    ]


def test_the_home_page_lists_call_back_requests_with_their_reason(front_desk, client_for):
    (task,) = _call_backs(1)
    html = client_for(front_desk).get(reverse("home")).content.decode()
    assert task.patient.full_name in html
    assert "asked for a call back to book IMS treatment (0)" in html
    assert reverse("sessions:call-done", args=[task.pk]) in html


def test_the_home_page_queries_do_not_grow_with_call_backs(front_desk, client_for):
    client = client_for(front_desk)
    _call_backs(2)
    client.get(reverse("home"))
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("home"))
    _call_backs(20)
    with CaptureQueriesContext(connection) as many:
        html = client.get(reverse("home")).content.decode()
    assert html.count("asked for a call back") == 22
    assert len(many) == len(few)


def test_a_call_back_request_is_closed_like_an_alert_s_call(front_desk, client_for):
    (task,) = _call_backs(1)
    response = client_for(front_desk).post(
        reverse("sessions:call-done", args=[task.pk]), {"note": "Booked by phone"}
    )
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.done_at is not None and task.done_by == front_desk
    assert task.note == "Booked by phone"
    event = AuditEvent.objects.filter(action="update", object_id=str(task.pk)).latest("id")
    assert event.patient == task.patient and event.detail == "call done"


def test_the_admin_home_counts_them_and_links_the_settings(online, clinic_admin, client_for):
    html = client_for(clinic_admin).get(reverse("home")).content.decode()
    assert "<strong>1</strong> online booking awaiting approval" in html
    assert reverse("sessions:online-settings") in html
