"""The clinic admin's schedule pages: add, change, deactivate; others refused; the list
in a fixed number of queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from clinic.models import AuditEvent
from sessions.outcomes.models import OutcomeSchedule

pytestmark = pytest.mark.django_db


def test_the_admin_adds_a_schedule(clinic_admin, client_for, treatment):
    client = client_for(clinic_admin)
    response = client.post(
        reverse("sessions:schedule-new"),
        {
            "instrument": "nprs",
            "appointment_type": treatment.pk,
            "visit_numbers": "8, 1,4",
            "active": "on",
        },
    )
    assert response.status_code == 302
    schedule = OutcomeSchedule.objects.get()
    assert (schedule.visit_numbers, schedule.appointment_type, schedule.active) == (
        [1, 4, 8],
        treatment,
        True,
    )
    assert schedule.created_by == clinic_admin
    assert AuditEvent.objects.filter(action="create", object_id=str(schedule.pk)).exists()
    assert "1, 4, 8" in client.get(reverse("sessions:schedule-list")).content.decode()


def test_the_admin_deactivates_one(clinic_admin, client_for):
    schedule = OutcomeSchedule.objects.create(
        instrument="nprs", visit_numbers=[1], created_by=clinic_admin
    )
    client = client_for(clinic_admin)
    page = client.get(reverse("sessions:schedule-edit", args=[schedule.pk]))
    assert 'value="1"' in page.content.decode()
    client.post(
        reverse("sessions:schedule-edit", args=[schedule.pk]),
        {"instrument": "nprs", "visit_numbers": "1", "at_discharge": "on"},
    )
    schedule.refresh_from_db()
    assert (schedule.active, schedule.at_discharge) == (False, True)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"instrument": "nprs", "visit_numbers": "1;4"}, "separated by commas"),
        ({"instrument": "nprs", "visit_numbers": ""}, "or tick at discharge"),
        ({"instrument": "nope", "visit_numbers": "1"}, "Select a valid choice"),
    ],
)
def test_bad_schedules_are_refused_with_the_reason(clinic_admin, client_for, data, message):
    page = client_for(clinic_admin).post(reverse("sessions:schedule-new"), data)
    assert page.status_code == 200 and message in page.content.decode()
    assert not OutcomeSchedule.objects.exists()


@pytest.mark.parametrize("who", ["physio", "front_desk"])
def test_only_the_clinic_admin_sets_schedules(who, request, client_for):
    client = client_for(request.getfixturevalue(who))
    assert client.get(reverse("sessions:schedule-list")).status_code == 403
    assert client.post(reverse("sessions:schedule-new"), {"instrument": "nprs"}).status_code == 403


def test_the_list_takes_the_same_queries_for_many(clinic_admin, client_for, treatment):
    client = client_for(clinic_admin)
    url = reverse("sessions:schedule-list")
    OutcomeSchedule.objects.create(
        instrument="nprs", visit_numbers=[1], appointment_type=treatment, created_by=clinic_admin
    )
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for n in range(2, 20):
        OutcomeSchedule.objects.create(
            instrument="nprs",
            visit_numbers=[n],
            appointment_type=treatment,
            created_by=clinic_admin,
        )
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many) == len(few)


def test_a_schedule_for_a_licensed_instrument_without_its_wording_is_refused(
    client_for, clinic_admin
):
    from sessions.outcomes.models import OutcomeSchedule

    response = client_for(clinic_admin).post(
        reverse("sessions:schedule-new"),
        {"instrument": "odi", "visit_numbers": "1, 4", "active": "on"},
    )
    assert response.status_code == 200
    assert "its wording is not loaded yet" in response.content.decode()
    assert not OutcomeSchedule.objects.exists()
