"""The day calendar, who may see it, the role home pages, and what each appointment offers."""

import re
from datetime import time, timedelta

import pytest
from django.urls import Resolver404, resolve, reverse

from clinic.models import AuditEvent
from sessions.booking import services
from sessions.models import Appointment, WorkingHours
from tests.factories import PatientFactory
from tests.sessions.calendar_views.conftest import seed_day
from tests.sessions.conftest import local


def day_url(location, day="2026-11-23"):
    return reverse("sessions:calendar-day") + f"?date={day}&location={location.pk}"


class TestDayView:
    def test_shows_visits_badges_intake_state_and_free_slots(
        self, client_for, front_desk, physio, location, treatment, hours
    ):
        seed_day(physio, location, treatment, 3)
        page = client_for(front_desk).get(day_url(location)).content.decode()
        assert page.count("Needling: not before 2027-01-24") == 1
        assert page.count("Needling: not screened") == 2  # no intake yet
        assert "Intake submitted" in page and "No intake" in page and "Intake sent" in page
        assert "visit 1 of 8–10" in page
        assert 'aria-label="Book 08:30 with' in page
        assert "Hernia" not in page  # no surgery detail reaches front desk

    def test_query_count_does_not_grow_with_visits(
        self,
        client_for,
        front_desk,
        physio,
        location,
        treatment,
        hours,
        django_assert_max_num_queries,
    ):
        client = client_for(front_desk)
        seed_day(physio, location, treatment, 30)
        with django_assert_max_num_queries(16) as small:  # incl. the audit lock on PostgreSQL
            assert client.get(day_url(location)).status_code == 200
        seed_day(physio, location, treatment, 30, first=30)
        with django_assert_max_num_queries(len(small.captured_queries)):
            page = client.get(day_url(location)).content.decode()
        assert page.count("appt appt-booked") == 60

    def test_a_visit_of_a_deactivated_practitioner_stays_on_the_day_without_free_slots(
        self, client_for, front_desk, physio, location, treatment, hours
    ):
        seed_day(physio, location, treatment, 1)
        physio.is_active = False
        physio.save()
        page = client_for(front_desk).get(day_url(location)).content.decode()
        assert "(no longer active)" in page
        assert page.count("appt appt-booked") == 1
        assert 'aria-label="Book' not in page

    def test_fall_back_day_lists_slots_in_clinic_time(
        self, client_for, front_desk, location, hours, frozen_now
    ):
        frozen_now.move_to(local(2026, 10, 30, 10))
        page = client_for(front_desk).get(day_url(location, "2026-11-01")).content.decode()
        assert 'aria-label="Book 08:00 with' in page
        assert 'aria-label="Book 15:30 with' in page
        assert page.count("Book</a>") == 16

    def test_spring_forward_day_lists_slots_in_clinic_time(
        self, client_for, front_desk, location, hours, frozen_now
    ):
        frozen_now.move_to(local(2027, 3, 10, 10) - timedelta(days=5))
        page = client_for(front_desk).get(day_url(location, "2027-03-14")).content.decode()
        assert 'aria-label="Book 08:00 with' in page
        assert page.count("Book</a>") == 16

    def test_fall_back_night_offers_both_half_past_ones_each_bookable(
        self, client_for, front_desk, physio, location, frozen_now
    ):
        frozen_now.move_to(local(2027, 11, 1, 10))
        WorkingHours.objects.create(
            practitioner=physio, location=location, weekday=6, starts=time(0), ends=time(3)
        )
        client = client_for(front_desk)
        page = client.get(day_url(location, "2027-11-07")).content.decode()
        links = re.findall(r'href="([^"]*start=2027-11-07T01%3A30[^"]*)"', page)
        assert len(links) == 2
        assert "01:30 MDT–01:00 MST free" in page and "01:30 MST–02:00 free" in page
        second = links[1].replace("&amp;", "&") + f"&patient={PatientFactory().pk}"
        form = client.get(second).content.decode()
        assert re.search(r'value="1"[^>]*checked', form)  # the second 01:30 (MST)

    @pytest.mark.parametrize(
        "junk", ["date=2026-02-30", "date=yesterday", "location=999", "location=x"]
    )
    def test_odd_parameters_fall_back_to_today(self, client_for, front_desk, location, junk):
        response = client_for(front_desk).get(reverse("sessions:calendar-day") + "?" + junk)
        assert response.status_code == 200

    def test_week_view_shows_the_practitioners_week(
        self, client_for, physio, location, treatment, hours
    ):
        seed_day(physio, location, treatment, 2)
        page = (
            client_for(physio)
            .get(reverse("sessions:calendar-week") + "?date=2026-11-25")
            .content.decode()
        )
        assert "week of 23 November 2026" in page
        assert page.count("appt appt-booked") == 2


class TestAccess:
    def test_anonymous_and_patient_link_holders_are_sent_to_login(self, client, db):
        for name in ("sessions:calendar-day", "sessions:calendar-week", "sessions:appointment-new"):
            response = client.get(reverse(name))
            assert response.status_code == 302 and "/accounts/login/" in response.url

    def test_clinic_admin_is_refused_the_calendar(self, client_for, clinic_admin):
        assert client_for(clinic_admin).get(reverse("sessions:calendar-day")).status_code == 403

    def test_views_of_the_calendar_are_audited(self, client_for, front_desk, location):
        client_for(front_desk).get(reverse("sessions:calendar-day"))
        assert AuditEvent.objects.filter(
            user=front_desk, detail__startswith="day calendar"
        ).exists()


class TestHomePages:
    def test_front_desk_home_lists_todays_visits_and_checks_in(
        self,
        client_for,
        front_desk,
        physio,
        location,
        treatment,
        hours,
        frozen_now,
        django_assert_max_num_queries,
    ):
        seed_day(physio, location, treatment, 12, day=(2026, 11, 20), first=18)  # from 11:00
        client = client_for(front_desk)
        with django_assert_max_num_queries(12):
            page = client.get(reverse("home")).content.decode()
        assert page.count("appt appt-booked") == 12
        visit = Appointment.objects.order_by("start").first()
        response = client.post(
            reverse("sessions:appointment-status", args=[visit.pk, "arrived"]), {"next": "/"}
        )
        assert response.url == "/"
        visit.refresh_from_db()
        assert visit.status == "arrived"

    def test_offsite_next_is_ignored(self, client_for, front_desk, physio, location, treatment):
        seed_day(physio, location, treatment, 1)
        visit = Appointment.objects.get()
        response = client_for(front_desk).post(
            reverse("sessions:appointment-status", args=[visit.pk, "no_show"]),
            {"next": "https://evil.example.com/"},
        )
        assert response.url.startswith(reverse("sessions:calendar-day"))

    def test_physio_home_lists_only_their_visits(self, client_for, physio, location, treatment):
        seed_day(physio, location, treatment, 2, day=(2026, 11, 20), first=18)
        page = client_for(physio).get(reverse("home")).content.decode()
        assert page.count("appt appt-booked") == 2


def test_cancelled_visits_carry_no_visit_number(
    client_for, front_desk, physio, location, treatment
):
    seed_day(physio, location, treatment, 1)
    services.appointment_cancel(appointment=Appointment.objects.get(), reason="Unwell")
    page = client_for(front_desk).get(day_url(location)).content.decode()
    assert "visit 1 of" not in page


def test_a_future_visit_offers_no_arrived_no_show_or_completed(
    client_for, front_desk, physio, location, treatment
):
    """Front desk marked a visit nine days ahead completed; the page offered it."""
    seed_day(physio, location, treatment, 1, day=(2026, 11, 23))
    visit = Appointment.objects.get()
    client = client_for(front_desk)
    page = client.get(reverse("sessions:appointment-detail", args=[visit.pk])).content.decode()
    assert "Mark arrived" not in page and "Mark no-show" not in page
    for status in ("arrived", "no_show"):
        client.post(reverse("sessions:appointment-status", args=[visit.pk, status]))
    visit.refresh_from_db()
    assert visit.status == "booked"


def test_an_id_in_other_digits_matches_no_url():
    """A `\\d` route matched Arabic-Indic digits: /appointments/%D9%A1/mark/... marked
    visit 1. Ids in paths are ASCII digits only, in every route."""

    for path in (
        "/appointments/\u0661/mark/arrived/",
        "/appointments/\u0661/",
        "/patients/\u0661/",
    ):
        with pytest.raises(Resolver404):
            resolve(path)
