"""How soon and how far ahead the slot page offers times (minimum notice and horizon,
time pinned at the boundaries), its paging, and its query count, which does not grow
with the number of visits."""

from datetime import date, timedelta

import pytest
import time_machine

from sessions.online.models import OnlineBookingPolicy
from tests.factories import AppointmentFactory, PatientFactory, clinic_time
from tests.sessions.online.booking_fixtures import *  # noqa: F403  # the fixtures
from tests.sessions.online.booking_fixtures import (
    sign_in_as,
    slot_value,
    slots_url,
)

pytestmark = pytest.mark.django_db

MONDAY_NINE = clinic_time(2026, 12, 7, 9)


def offered(client, location, type, physio, start, day_from=None) -> bool:
    day_from = day_from or start.date()
    html = client.get(slots_url(location, type) + f"?from={day_from}").content.decode()
    return slot_value(physio, start) in html


@pytest.mark.parametrize(
    "now, expected",
    [
        (MONDAY_NINE - timedelta(hours=12), True),  # exactly the minimum notice
        (MONDAY_NINE - timedelta(hours=12) + timedelta(seconds=1), False),
    ],
)
def test_minimum_notice_boundary(client, location, assessment, physio_online, now, expected):
    with time_machine.travel(now, tick=False):
        assert offered(client, location, assessment, physio_online, MONDAY_NINE) is expected
        response = client.post(
            slots_url(location, assessment), {"slot": slot_value(physio_online, MONDAY_NINE)}
        )
        assert (response.status_code == 302) is expected


@pytest.mark.parametrize(
    "today, expected",
    [
        (date(2026, 10, 8), True),  # 7 December is 60 days ahead: the last day offered
        (date(2026, 10, 7), False),  # 61 days ahead
    ],
)
def test_horizon_boundary(client, location, assessment, physio_online, today, expected):
    assert OnlineBookingPolicy.get().horizon_days == 60
    with time_machine.travel(clinic_time(today.year, today.month, today.day, 23), tick=False):
        html = client.get(slots_url(location, assessment) + "?from=2026-12-07").content
        assert (slot_value(physio_online, MONDAY_NINE).encode() in html) is expected
        response = client.post(
            slots_url(location, assessment), {"slot": slot_value(physio_online, MONDAY_NINE)}
        )
        assert (response.status_code == 302) is expected


def test_the_page_shows_a_week_and_links_to_the_next(client, location, assessment, physio_online):
    with time_machine.travel(clinic_time(2026, 12, 1, 8), tick=False):
        html = client.get(slots_url(location, assessment)).content.decode()
    assert slot_value(physio_online, clinic_time(2026, 12, 7, 9)) in html  # day 7
    assert slot_value(physio_online, clinic_time(2026, 12, 8, 9)) not in html  # day 8
    assert "from=2026-12-08" in html and "Later" in html
    assert "wait-list" in html  # No suitable time? Join the wait list


def test_query_count_of_the_slot_page_does_not_grow_with_visits(
    client,
    location,
    assessment,
    follow_up,
    physio_online,
    authorisation,
    returning,
    django_assert_max_num_queries,
):
    with time_machine.travel(clinic_time(2026, 12, 1, 8), tick=False):
        sign_in_as(client, returning)
        url = slots_url(location, follow_up)
        client.get(url)
        with django_assert_max_num_queries(16) as few:
            client.get(url)
        baseline = len(few.captured_queries)
        others = PatientFactory.create_batch(3)
        for day in range(2, 8):
            for hour in (9, 10, 11):
                AppointmentFactory(
                    patient=others[hour % 3],
                    practitioner=physio_online,
                    location=location,
                    start=clinic_time(2026, 12, day, hour),
                )
        with django_assert_max_num_queries(baseline) as many:
            response = client.get(url)
        assert response.status_code == 200
        assert len(many.captured_queries) == baseline
