"""Two people choosing the same slot at the same instant, each on their own database
connection: exactly one holds it, the other is told it was taken (PostgreSQL: SQLite
admits one writer at a time anyway)."""

import threading
from datetime import date

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import close_old_connections, connection
from django.test import Client
from django.urls import reverse

from clinic import links
from intake.models import Patient
from sessions.booking.models import Appointment
from sessions.online import services, signin
from sessions.online.models import EmailCheck, SlotHold
from tests.factories import clinic_time
from tests.sessions.online.booking_fixtures import *  # noqa: F403  # the fixtures
from tests.sessions.online.booking_fixtures import NOW, slot_value, slots_url

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

START = clinic_time(2026, 12, 7, 9)
PEOPLE = 4


def race(attempt) -> list:
    barrier = threading.Barrier(PEOPLE)
    results: list = []

    def run(i):
        close_old_connections()
        try:
            barrier.wait()
            results.append(attempt(i))
        except Exception as exc:  # noqa: BLE001 - any failure is the test's finding
            results.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(PEOPLE)]
    with time_machine.travel(NOW, tick=False):
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
    return results


def test_holding_one_slot_at_once_gives_exactly_one_hold(location, assessment, physio_online):
    def attempt(i):
        try:
            services.hold_create(
                location=location,
                type=assessment,
                practitioner_id=physio_online.pk,
                # Overlapping starts, not only the same one: 09:00 and 09:30 share 30 min.
                start=START if i % 2 else START.replace(minute=30),
                patient=None,
            )
            return "held"
        except ValidationError as exc:
            return exc.message_dict

    results = race(attempt)
    assert results.count("held") == 1, results
    assert [r for r in results if r != "held"] == [{"start": [services.TAKEN]}] * (PEOPLE - 1)
    assert SlotHold.objects.count() == 1


def test_two_browsers_choosing_the_same_time_one_gets_it_the_others_a_clear_message(
    location, assessment, physio_online
):
    browsers = [Client() for _ in range(PEOPLE)]
    url = slots_url(location, assessment)

    def attempt(i):
        response = browsers[i].post(url, {"slot": slot_value(physio_online, START)})
        if response.status_code == 302:
            return "held"
        html = response.content.decode().replace("&#x27;", "'")
        return "taken" if services.TAKEN in html else response.status_code

    results = race(attempt)
    assert sorted(results) == ["held"] + ["taken"] * (PEOPLE - 1), results
    assert SlotHold.objects.count() == 1


def test_the_confirmation_link_pressed_twice_at_once_books_once(
    location, assessment, physio_online
):
    with time_machine.travel(NOW, tick=False):
        hold = services.hold_create(
            location=location,
            type=assessment,
            practitioner_id=physio_online.pk,
            start=START,
            patient=None,
        )
        signin.confirm_request(
            hold=hold,
            first_name="Nadia",
            last_name="Newcomer",
            date_of_birth=date(1988, 4, 12),
            email="nadia.new@example.com",
            phone="4035550199",
        )
    check = EmailCheck.objects.get()
    url = reverse("sessions:online-confirm", args=[links.make_token(
        signin.CONFIRM_PURPOSE, check.pk, check.nonce
    )])  # fmt: skip
    browsers = [Client() for _ in range(PEOPLE)]
    results = race(lambda i: browsers[i].post(url).status_code)
    assert results == [302] * PEOPLE, results  # the later ones see the booked page
    assert b"You are booked" in browsers[0].get(url).content
    assert Appointment.objects.count() == 1 and Patient.objects.count() == 1
