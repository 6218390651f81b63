"""Where a physiotherapist sees the scores beside the dose: the trend page, the
timeline's and the chart header's compact lines. Front desk and the clinic admin never
see scores; every page that shows them is audited."""

import pytest
from django.urls import reverse

from clinic.models import AuditEvent
from tests.sessions.outcomes.trend_world import neck_and_back, nprs_course

pytestmark = pytest.mark.django_db


@pytest.fixture
def trend_world(physio):
    patient, made = nprs_course([7, 6, 4], physio=physio)
    neck_and_back(made[0])
    return patient, made


def test_trend_page_shows_the_chart_the_table_and_the_verdict(client_for, physio, trend_world):
    patient, _ = trend_world
    response = client_for(physio).get(reverse("sessions:outcome-trends", args=[patient.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'role="img"' in page and 'class="mcid-line"' in page
    assert "improved by 3" in page and "MCID reached" in page
    assert "C5, C6, L4, L5, S1" in page  # the first visit's levels in the table
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.VIEW, patient=patient, detail="outcome trends"
    ).exists()


@pytest.mark.parametrize("who", ["front_desk", "clinic_admin"])
def test_trend_page_is_refused_to_non_clinicians(request, client_for, who, trend_world):
    patient, _ = trend_world
    user = request.getfixturevalue(who)
    response = client_for(user).get(reverse("sessions:outcome-trends", args=[patient.pk]))
    assert response.status_code == 403
    assert b"NPRS" not in response.content


def test_a_course_of_another_patient_is_not_found(client_for, physio, trend_world):
    patient, _ = trend_world
    _, others = nprs_course([5])
    url = reverse("sessions:outcome-trends", args=[patient.pk])
    response = client_for(physio).get(url, {"course": others[0].appointment.course_id})
    assert response.status_code == 404


def test_timeline_shows_latest_and_change_with_a_link_and_audits_it(
    client_for, physio, trend_world
):
    patient, _ = trend_world
    response = client_for(physio).get(reverse("sessions:timeline", args=[patient.pk]))
    page = response.content.decode()
    assert "NPRS 7 → 4 points: improved by 3" in page
    assert reverse("sessions:outcome-trends", args=[patient.pk]) in page
    assert AuditEvent.objects.filter(patient=patient, detail="outcome scores (timeline)").exists()


def test_chart_header_shows_the_course_scores(client_for, physio, trend_world):
    patient, made = trend_world
    response = client_for(physio).get(reverse("sessions:chart", args=[made[-1].appointment_id]))
    page = response.content.decode()
    assert "NPRS 7 → 4 points: improved by 3" in page
    assert AuditEvent.objects.filter(patient=patient, detail="outcome scores (chart)").exists()


def test_no_scores_no_summary_and_no_audit_row(client_for, physio):
    patient, _ = nprs_course([None])
    response = client_for(physio).get(reverse("sessions:timeline", args=[patient.pk]))
    assert "Outcome trends" not in response.content.decode()
    assert not AuditEvent.objects.filter(detail__startswith="outcome scores").exists()


def _world(physio, monkeypatch, measures: int, count: int, first=None):
    """A patient with ``count`` charted visits and ``measures`` instruments answered
    before each (copies of NPRS under other codes)."""
    import dataclasses

    from sessions.outcomes import instruments
    from tests.factories import PatientFactory
    from tests.sessions.outcomes.trend_world import questionnaire, visits

    codes = ["nprs"] + [f"m{n}" for n in range(1, measures)]
    for code in codes[1:]:
        monkeypatch.setitem(
            instruments.INSTRUMENTS, code, dataclasses.replace(instruments.NPRS, code=code)
        )
    patient = PatientFactory()
    for visit in visits(patient, count, practitioner=physio, first=first):
        neck_and_back(visit)
        for n, code in enumerate(codes):
            questionnaire(
                patient, (n + visit.pk) % 11, appointment=visit.appointment, instrument=code
            )
    return patient


@pytest.mark.parametrize("view", ["sessions:outcome-trends", "sessions:timeline"])
def test_the_pages_query_count_does_not_grow_with_measures_or_visits(
    client_for, physio, monkeypatch, view
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(physio)

    def queries(patient) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse(view, args=[patient.pk])).status_code == 200
        return len(captured)

    from tests.sessions.outcomes.trend_world import clinic_time

    small = queries(_world(physio, monkeypatch, 1, 1, first=clinic_time(2026, 9, 1, 9)))
    large = queries(_world(physio, monkeypatch, 10, 10))
    assert large <= small, (view, small, large)
