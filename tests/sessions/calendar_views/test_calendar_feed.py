"""The practitioner's calendar feed (iCalendar): what it shows, and its secret address."""

import threading
from datetime import UTC, datetime, timedelta

import icalendar
import pytest
from django.db import close_old_connections, connection
from django.urls import reverse

from sessions.booking import feeds, services
from sessions.models import AppointmentType, CalendarFeed
from tests.factories import AppointmentFactory, PatientFactory
from tests.sessions.conftest import TZ, local


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
