"""The wait-list journey on a phone: a patient cancels their visit with the link in
their confirmation; the freed time is offered by email to a patient on the wait list,
who opens the offer on their phone and accepts it; the booking is theirs."""

import re
from datetime import datetime, time, timedelta

import pytest
from celery.app.task import Task
from django.core import mail
from django.utils import timezone
from playwright.sync_api import Page, expect

from clinic import clock
from sessions.booking.models import Appointment, WorkingHours
from sessions.online import services
from tests.factories import AppointmentFactory, PatientFactory
from tests.sessions.online.waitlist_world import entry_for, online_clinic


@pytest.fixture
def freed_visit(transactional_db, settings, live_server, monkeypatch):
    """Ann's visit in three days at 10:00, and Ben waiting for that kind of visit."""
    settings.SITE_URL = live_server.url
    # The offer task runs in the request's thread, as a worker would run it.
    monkeypatch.setattr(
        Task,
        "apply_async",
        lambda self, args=None, kwargs=None, **options: self.apply(args, kwargs),
    )
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
    ann = PatientFactory(legal_first_name="Ann", email="ann@example.com")
    visit = AppointmentFactory(
        patient=ann,
        practitioner=clinic.physio,
        location=clinic.location,
        type=clinic.follow_up,
        start=start,
    )
    ben = PatientFactory(legal_first_name="Ben", email="ben@example.com")
    entry_for(clinic, ben, earliest=day - timedelta(days=1), latest=day + timedelta(days=5))
    return visit, ben


def test_a_cancelled_visit_is_offered_to_the_wait_list_and_accepted(
    phone_page: Page, live_server, freed_visit
):
    visit, ben = freed_visit
    page = phone_page
    page.goto(services.visit_link(visit))
    expect(page.get_by_role("heading", name="Your appointment")).to_be_visible()
    page.get_by_role("link", name="Cancel this appointment").click()
    page.get_by_role("button", name="Yes, cancel it").click()
    expect(page.get_by_role("heading", name="Your appointment is cancelled")).to_be_visible()

    (offer_mail,) = [m for m in mail.outbox if m.to == ["ben@example.com"]]
    link = re.search(r"https?://\S+/o/\S+/", offer_mail.body).group(0)
    page.goto(link)
    expect(page.get_by_role("heading", name="A time has opened up")).to_be_visible()
    page.get_by_role("button", name="Accept this time").click()
    expect(page.get_by_role("heading", name="You are booked")).to_be_visible()

    booked = Appointment.objects.get(patient=ben)
    assert (booked.start, booked.status, booked.booked_online) == (visit.start, "booked", True)
