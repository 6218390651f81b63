import re
import threading
from datetime import UTC, datetime, time, timedelta

import icalendar
import pytest
from django.db import IntegrityError, close_old_connections, connection, transaction
from django.urls import reverse

from clinic.models import AuditEvent
from intake import services as intake_services
from sessions.booking import feeds, services
from sessions.models import Appointment, AppointmentType, CalendarFeed, WorkingHours
from tests.factories import AppointmentFactory, PatientFactory
from tests.sessions.conftest import TZ, local, submitted_intake


def seed_day(physio, location, treatment, count, day=(2026, 11, 23), first=0):
    """``count`` back-to-back visits from 08:00, each for its own patient, one in
    three with a submitted intake (so the calendar computes real verdicts) and one in
    three invited to an intake not yet started."""
    for i in range(count):
        patient = PatientFactory()
        if i % 3 == 0:
            submitted_intake(
                patient,
                surgeries={"rows": [{"date": "2026-11-01", "description": "Hernia repair"}]},
            )
        elif i % 3 == 1:
            intake_services.intake_invite(patient=patient, sent_by=physio)
        AppointmentFactory(
            patient=patient,
            practitioner=physio,
            location=location,
            type=treatment,
            start=local(*day, 8) + timedelta(minutes=10 * (first + i)),
            minutes=10,
        )


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


class TestBookingForm:
    @pytest.fixture
    def url(self, physio, location):
        return reverse("sessions:appointment-new")

    def post(self, client, patient, physio, location, treatment, start, **extra):
        return client.post(
            reverse("sessions:appointment-new") + f"?patient={patient.pk}",
            {
                "practitioner": physio.pk,
                "location": location.pk,
                "type": treatment.pk,
                "start": start,
                **extra,
            },
        )

    def test_books_and_returns_to_the_day(
        self, client_for, front_desk, physio, location, treatment, hours
    ):
        patient = PatientFactory()
        response = self.post(
            client_for(front_desk), patient, physio, location, treatment, "2026-11-23T09:00"
        )
        assert response.status_code == 302
        assert "date=2026-11-23" in response.url
        assert Appointment.objects.get().created_by == front_desk

    def test_clash_message_keeps_what_was_typed(
        self, client_for, front_desk, physio, location, treatment, hours
    ):
        client = client_for(front_desk)
        self.post(client, PatientFactory(), physio, location, treatment, "2026-11-23T09:00")
        response = self.post(
            client,
            PatientFactory(),
            physio,
            location,
            treatment,
            "2026-11-23T09:15",
            front_desk_note="Prefers mornings",
        )
        page = response.content.decode()
        assert "is already booked 2026-11-23 09:00–09:30" in page
        assert 'value="2026-11-23T09:15"' in page
        assert 'value="Prefers mornings"' in page

    def test_a_time_that_does_not_exist_gets_a_message(
        self, client_for, front_desk, physio, location, treatment, hours, frozen_now
    ):
        frozen_now.move_to(local(2027, 3, 1, 10))
        response = self.post(
            client_for(front_desk),
            PatientFactory(),
            physio,
            location,
            treatment,
            "2027-03-14T02:30",
        )
        page = response.content.decode()
        assert response.status_code == 200
        assert "There is no 02:30 on 2027-03-14 in clinic time" in page
        assert "for example 03:30" in page
        assert "interpreted in time zone" not in page
        assert 'value="2027-03-14T02:30"' in page  # what was typed stays
        assert not Appointment.objects.exists()

    def test_a_repeated_time_asks_which_one_in_words(
        self, client_for, front_desk, physio, location, treatment, frozen_now
    ):
        frozen_now.move_to(local(2027, 11, 1, 10))
        client = client_for(front_desk)
        args = (client, PatientFactory(), physio, location, treatment, "2027-11-07T01:30")
        page = self.post(*args, allow_outside_hours="on").content.decode()
        assert "01:30 on 2027-11-07 happens twice" in page
        assert "interpreted in time zone" not in page
        assert "first 01:30 (MDT)" in page and "second 01:30 (MST)" in page
        assert not Appointment.objects.exists()
        response = self.post(*args, allow_outside_hours="on", start_fold="1")
        assert response.status_code == 302
        assert Appointment.objects.get().start == datetime(2027, 11, 7, 8, 30, tzinfo=UTC)

    def test_the_first_of_a_repeated_time_can_be_booked(
        self, client_for, front_desk, physio, location, treatment, frozen_now
    ):
        frozen_now.move_to(local(2027, 11, 1, 10))
        client = client_for(front_desk)
        args = (client, PatientFactory(), physio, location, treatment, "2027-11-07T01:30")
        assert self.post(*args, allow_outside_hours="on", start_fold="0").status_code == 302
        appointment = Appointment.objects.get()
        assert appointment.start == datetime(2027, 11, 7, 7, 30, tzinfo=UTC)
        assert appointment.end - appointment.start == timedelta(minutes=30)

    def test_an_ordinary_time_does_not_ask_which_one(
        self, client_for, front_desk, physio, location, treatment, hours
    ):
        patient = PatientFactory()
        url = reverse("sessions:appointment-new") + f"?patient={patient.pk}&start=2026-11-23T09:00"
        page = client_for(front_desk).get(url).content.decode()
        assert "happens twice" not in page and 'type="radio"' not in page

    def test_moving_a_visit_at_the_second_half_past_one_keeps_it_there(
        self, client_for, front_desk, physio, location, treatment, frozen_now
    ):
        frozen_now.move_to(local(2027, 11, 1, 10))
        start = datetime(2027, 11, 7, 8, 30, tzinfo=UTC)  # the second 01:30 (MST)
        visit = AppointmentFactory(
            patient=PatientFactory(),
            practitioner=physio,
            location=location,
            type=treatment,
            start=start,
        )
        client = client_for(front_desk)
        url = reverse("sessions:appointment-detail", args=[visit.pk])
        page = client.get(url).content.decode()
        assert "second 01:30 (MST)" in page
        assert re.search(r'value="1"[^>]*checked', page)
        response = client.post(
            url,
            {
                "practitioner": physio.pk,
                "location": location.pk,
                "type": treatment.pk,
                "start": "2027-11-07T01:30",
                "start_fold": "1",
                "front_desk_note": "Night shift worker",
                "allow_outside_hours": "on",
            },
        )
        assert response.status_code == 302
        visit.refresh_from_db()
        assert visit.start == start and visit.front_desk_note == "Night shift worker"

    def test_a_free_half_hour_preselects_a_type_that_fits(
        self, client_for, front_desk, physio, location, treatment, initial, hours
    ):
        services.appointment_book(
            patient=PatientFactory(),
            practitioner=physio,
            location=location,
            type=treatment,
            start=local(2026, 11, 23, 9, 30),
            created_by=front_desk,
        )
        new_patient = PatientFactory()
        url = (
            reverse("sessions:appointment-new")
            + f"?patient={new_patient.pk}&practitioner={physio.pk}&location={location.pk}"
            + "&start=2026-11-23T09:00"
        )
        page = client_for(front_desk).get(url).content.decode()
        assert re.search(rf'<option value="{treatment.pk}"[^>]*selected', page)
        assert re.search(
            rf'<option value="{initial.pk}"[^>]*disabled[^>]*>\s*'
            r"Initial assessment \+ IMS — 60 min, not free: overlaps the 09:30–10:00 visit",
            page,
        )

    def test_a_free_hour_preselects_the_first_visit_type_for_a_new_patient(
        self, client_for, front_desk, physio, location, treatment, initial, hours
    ):
        url = (
            reverse("sessions:appointment-new")
            + f"?patient={PatientFactory().pk}&practitioner={physio.pk}&location={location.pk}"
            + "&start=2026-11-23T09:00"
        )
        page = client_for(front_desk).get(url).content.decode()
        assert re.search(rf'<option value="{initial.pk}"[^>]*selected', page)
        assert "disabled" not in page

    def test_a_type_running_past_working_hours_is_explained_not_disabled(
        self, client_for, front_desk, physio, location, treatment, initial, hours
    ):
        url = (
            reverse("sessions:appointment-new")
            + f"?patient={PatientFactory().pk}&practitioner={physio.pk}&location={location.pk}"
            + "&start=2026-11-23T15:30"
        )
        page = client_for(front_desk).get(url).content.decode()
        assert "Initial assessment + IMS — 60 min, ends outside working hours" in page
        assert re.search(rf'<option value="{treatment.pk}"[^>]*selected', page)
        assert "disabled" not in page

    def test_a_chosen_type_that_no_longer_fits_stays_chosen_with_the_reason(
        self, client_for, front_desk, physio, location, treatment, initial, hours
    ):
        client = client_for(front_desk)
        self.post(client, PatientFactory(), physio, location, treatment, "2026-11-23T09:30")
        page = self.post(
            client, PatientFactory(), physio, location, initial, "2026-11-23T09:00"
        ).content.decode()
        assert "is already booked 2026-11-23 09:30" in page
        assert re.search(rf'<option value="{initial.pk}" selected>', page)  # not disabled

    def test_a_patient_not_cleared_that_day_is_told_before_submitting(
        self, client_for, front_desk, physio, location, treatment, initial, talk, hours
    ):
        patient = PatientFactory()
        submitted_intake(
            patient, surgeries={"rows": [{"date": "2026-11-01", "description": "Hernia repair"}]}
        )
        url = (
            reverse("sessions:appointment-new")
            + f"?patient={patient.pk}&practitioner={physio.pk}&location={location.pk}"
            + "&start=2026-11-23T09:00"
        )
        page = client_for(front_desk).get(url).content.decode()
        assert (
            "Needling on 2026-11-23: Not before 2027-01-24, physiotherapist to review. "
            "To book needling anyway, say why here." in page
        )
        assert "IMS treatment — needs an override note that day" in page
        assert re.search(rf'<option value="{talk.pk}"[^>]*selected', page)  # the one that fits
        assert "Hernia" not in page

    # Gates that could make typed values be ignored: each with the gate off and the
    # dependent fields filled. What was typed either counts or stays on the page.
    def test_an_override_note_for_a_patient_cleared_that_day_is_kept(
        self, client_for, front_desk, physio, location, treatment, hours
    ):
        patient = PatientFactory()
        submitted_intake(patient)  # nothing blocks needling: the note is not needed
        self.post(
            client_for(front_desk),
            patient,
            physio,
            location,
            treatment,
            "2026-11-23T09:00",
            eligibility_override="Check the shoulder again first",
        )
        assert Appointment.objects.get().eligibility_override == "Check the shoulder again first"

    def test_an_override_note_for_a_visit_without_needling_is_kept(
        self, client_for, front_desk, physio, location, talk, hours
    ):
        self.post(
            client_for(front_desk),
            PatientFactory(),
            physio,
            location,
            talk,
            "2026-11-23T09:00",
            eligibility_override="Talk about needling next time",
        )
        assert Appointment.objects.get().eligibility_override == "Talk about needling next time"

    def test_outside_hours_without_the_box_is_refused_on_the_box_keeping_what_was_typed(
        self, client_for, front_desk, physio, location, treatment, hours
    ):
        page = self.post(
            client_for(front_desk),
            PatientFactory(),
            physio,
            location,
            treatment,
            "2026-11-23T17:00",
            front_desk_note="After work only",
            eligibility_override="Reassess first",
        ).content.decode()
        assert not Appointment.objects.exists()
        box = page.index('name="allow_outside_hours"')
        assert "Tick the box to book it anyway" in page[box : box + 1500]
        for typed in (
            'value="2026-11-23T17:00"',
            'value="After work only"',
            'value="Reassess first"',
        ):
            assert typed in page

    def test_moving_outside_hours_without_the_box_keeps_what_was_typed(
        self, client_for, front_desk, physio, location, treatment, hours
    ):
        client = client_for(front_desk)
        self.post(client, PatientFactory(), physio, location, treatment, "2026-11-23T09:00")
        visit = Appointment.objects.get()
        page = client.post(
            reverse("sessions:appointment-detail", args=[visit.pk]),
            {
                "practitioner": physio.pk,
                "location": location.pk,
                "type": treatment.pk,
                "start": "2026-11-23T18:00",
                "front_desk_note": "Moved to the evening",
            },
        ).content.decode()
        assert "Tick the box to book it anyway" in page
        assert 'value="2026-11-23T18:00"' in page and 'value="Moved to the evening"' in page
        visit.refresh_from_db()
        assert visit.start == local(2026, 11, 23, 9)

    @pytest.mark.parametrize(
        "query",
        [
            "start=2027-11-07T01:30&start_fold=x&practitioner=99999999999999999999",
            "start=2027-03-14T02:30&location=x",
            "start=yesterday&practitioner=-1",
            "start=2027-11-07T25:30&start_fold=2",
        ],
    )
    def test_odd_booking_parameters_give_the_form_not_an_error(
        self, client_for, front_desk, location, treatment, query
    ):
        url = reverse("sessions:appointment-new") + f"?patient={PatientFactory().pk}&{query}"
        client = client_for(front_desk)
        assert client.get(url).status_code == 200
        assert client.post(url, dict(p.split("=") for p in query.split("&"))).status_code == 200

    def test_quick_create_then_book(self, client_for, front_desk):
        client = client_for(front_desk)
        response = client.post(
            reverse("sessions:appointment-new") + "?start=2026-11-23T09:00",
            {
                "legal_first_name": "Nia",
                "legal_last_name": "Obi",
                "date_of_birth": "1990-02-03",
                "phone": "403-555-0000",
                "email": "",
            },
        )
        assert response.status_code == 302
        assert "patient=" in response.url and "start=2026-11-23T09%3A00" in response.url

    def test_patient_search_when_choosing(self, client_for, front_desk):
        PatientFactory(legal_first_name="Zoë", legal_last_name="Kowalski")
        page = (
            client_for(front_desk)
            .get(reverse("sessions:appointment-new") + "?q=zoe")
            .content.decode()
        )
        assert "Kowalski, Zoë" in page

    def test_cancel_without_reason_is_explained(
        self, client_for, front_desk, physio, location, treatment, hours
    ):
        client = client_for(front_desk)
        self.post(client, PatientFactory(), physio, location, treatment, "2026-11-23T09:00")
        appointment = Appointment.objects.get()
        response = client.post(
            reverse("sessions:appointment-cancel", args=[appointment.pk]), {"reason": ""}
        )
        assert "Please give the reason for cancelling." in response.content.decode()
        assert Appointment.objects.get().status == "booked"


class TestCalendarFeed:
    def test_feed_shows_initials_and_type_only_and_can_be_revoked(
        self, client_for, client, physio, location, treatment, hours
    ):
        patient = PatientFactory(legal_first_name="Zoë", legal_last_name="Kowalski")
        AppointmentFactory(
            patient=patient,
            practitioner=physio,
            location=location,
            type=treatment,
            start=local(2026, 11, 23, 9),
        )
        feed = feeds.feed_create(practitioner=physio)
        path = feeds.feed_url(feed).removeprefix("http://127.0.0.1:8000")
        body = client.get(path).content.decode()
        assert "SUMMARY:ZK – IMS treatment" in body
        assert "DTSTART:20261123T160000Z" in body
        assert "Kowalski" not in body
        feeds.feed_revoke(practitioner=physio)
        assert client.get(path).status_code == 404

    def feed(self, client, physio) -> icalendar.Calendar:
        path = feeds.feed_url(feeds.feed_create(practitioner=physio))
        response = client.get(path.removeprefix("http://127.0.0.1:8000"))
        assert response["Content-Type"] == "text/calendar; charset=utf-8"
        raw = response.content
        # RFC 5545: CRLF line ends, no bare CR or LF, lines folded at 75 octets.
        lines = raw.split(b"\r\n")
        assert lines[-1] == b"" and all(b"\r" not in ln and b"\n" not in ln for ln in lines)
        assert max(len(ln) for ln in lines) <= 75
        return icalendar.Calendar.from_ical(raw)

    def test_long_accented_names_are_folded_and_read_back_whole(
        self, client, physio, location, treatment
    ):
        long_type = AppointmentType.objects.create(
            name="Évaluation initiale et aiguilles sèches – épaule, cou, dos, hanche à gauche",
            duration_minutes=30,
        )
        location.name = "Clinique de physiothérapie Montréal-Nord – Pavillon Saint-Jérôme"
        location.save()
        start = local(2026, 11, 23, 9)
        AppointmentFactory(
            patient=PatientFactory(legal_first_name="Élodie", legal_last_name="Ångström"),
            practitioner=physio,
            location=location,
            type=long_type,
            start=start,
        )
        (event,) = self.feed(client, physio).walk("VEVENT")
        assert str(event["SUMMARY"]) == f"ÉÅ – {long_type.name}"
        assert str(event["LOCATION"]) == location.name
        # Initials and visit type only: nothing else about the patient.
        assert set(event) == {"UID", "DTSTAMP", "DTSTART", "DTEND", "SUMMARY", "LOCATION"}

    @pytest.mark.parametrize(
        "name",
        ["Room 1\rback", "Room 1\r\nback", "Room 1\nback", "A, B; C \\ D", "Bell\x07 room"],
    )
    def test_line_breaks_and_special_characters_in_names_are_escaped(
        self, client, physio, location, treatment, name
    ):
        location.name = name
        location.save()
        start = local(2026, 11, 23, 9)
        AppointmentFactory(
            patient=PatientFactory(),
            practitioner=physio,
            location=location,
            type=treatment,
            start=start,
        )
        (event,) = self.feed(client, physio).walk("VEVENT")
        expected = name.replace("\r\n", "\n").replace("\r", "\n").replace("\x07", "")
        assert str(event["LOCATION"]) == expected

    def test_visits_across_the_fall_back_night_keep_their_real_times(
        self, client, physio, location, treatment, frozen_now
    ):
        frozen_now.move_to(local(2027, 11, 1, 9))
        first = datetime(2027, 11, 7, 1, 30, tzinfo=TZ)  # 01:30 MDT
        second = datetime(2027, 11, 7, 1, 30, fold=1, tzinfo=TZ)  # 01:30 MST, an hour later
        for start in (first, second, local(2027, 11, 6, 23, 45)):
            start = start.astimezone(UTC)  # so that +30 minutes is real time
            AppointmentFactory(
                patient=PatientFactory(),
                practitioner=physio,
                location=location,
                type=treatment,
                start=start,
            )
        starts = sorted(e.decoded("DTSTART") for e in self.feed(client, physio).walk("VEVENT"))
        assert starts == [
            datetime(2027, 11, 7, 5, 45, tzinfo=UTC),
            datetime(2027, 11, 7, 7, 30, tzinfo=UTC),
            datetime(2027, 11, 7, 8, 30, tzinfo=UTC),
        ]

    def test_cancelled_visits_leave_the_feed(self, client, physio, location, treatment):
        start = local(2026, 11, 23, 9)
        kept, cancelled = (
            AppointmentFactory(
                patient=PatientFactory(),
                practitioner=physio,
                location=location,
                type=treatment,
                start=start + timedelta(hours=i),
            )
            for i in range(2)
        )
        services.appointment_cancel(appointment=cancelled, reason="Unwell")
        (event,) = self.feed(client, physio).walk("VEVENT")
        assert str(event["UID"]).startswith(f"appointment-{kept.pk}@")

    def test_tampered_feed_token_is_refused(self, client, db):
        assert client.get(reverse("sessions:calendar-feed", args=["nope"])).status_code == 404

    def test_front_desk_has_no_feed_settings(self, client_for, front_desk):
        assert client_for(front_desk).get(reverse("sessions:feed-settings")).status_code == 403


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
class TestNoDoubleBookingOnPostgres:
    def test_the_database_refuses_an_overlap_even_without_the_service(
        self, physio, location, treatment
    ):
        start = local(2026, 11, 23, 9)
        common = dict(practitioner=physio, location=location, type=treatment)
        AppointmentFactory(start=start, **common)
        with pytest.raises(IntegrityError), transaction.atomic():
            AppointmentFactory(
                patient=PatientFactory(),
                start=start + timedelta(minutes=29),
                end=start + timedelta(minutes=59),
                **common,
            )
        AppointmentFactory(  # back-to-back is fine
            patient=PatientFactory(),
            start=start + timedelta(minutes=30),
            end=start + timedelta(minutes=60),
            **common,
        )

    def test_many_threads_booking_at_once_exactly_one_wins(
        self, physio, location, treatment, hours, front_desk
    ):
        patients = [PatientFactory(email="") for _ in range(8)]
        barrier = threading.Barrier(len(patients))
        results: list[str] = []

        def attempt(patient, offset):
            close_old_connections()
            try:
                barrier.wait()
                services.appointment_book(
                    patient=patient,
                    practitioner=physio,
                    location=location,
                    type=treatment,
                    start=local(2026, 11, 23, 9) + timedelta(minutes=offset),
                    created_by=front_desk,
                )
                results.append("booked")
            except services.ValidationError as exc:
                results.append(
                    "clash"
                    if "already booked" in str(exc) or "just booked" in str(exc)
                    else repr(exc)
                )
            finally:
                connection.close()

        threads = [
            threading.Thread(target=attempt, args=(p, i * 3)) for i, p in enumerate(patients)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
        assert sorted(results) == ["booked"] + ["clash"] * 7
        assert Appointment.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_new_feed_addresses_at_once_leave_one_live(physio):
    barrier = threading.Barrier(4)
    results: list[str] = []

    def attempt():
        close_old_connections()
        try:
            barrier.wait()
            feeds.feed_create(practitioner=physio)
            results.append("created")
        except Exception as exc:  # noqa: BLE001 - any failure is the test's finding
            results.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert results == ["created"] * 4
    assert CalendarFeed.objects.filter(practitioner=physio, revoked_at__isnull=True).count() == 1


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


def test_a_refused_cancel_keeps_the_reschedule_form_filled(
    client_for, front_desk, physio, location, treatment
):
    seed_day(physio, location, treatment, 1)
    visit = Appointment.objects.get()
    page = (
        client_for(front_desk)
        .post(reverse("sessions:appointment-cancel", args=[visit.pk]), {"reason": ""})
        .content.decode()
    )
    assert 'value="2026-11-23T08:00"' in page
    assert f'action="{reverse("sessions:appointment-detail", args=[visit.pk])}"' in page


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
    from django.urls import Resolver404, resolve

    for path in (
        "/appointments/\u0661/mark/arrived/",
        "/appointments/\u0661/",
        "/patients/\u0661/",
    ):
        with pytest.raises(Resolver404):
            resolve(path)
