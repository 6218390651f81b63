"""Progress reports: signing freezes the course's scores, dates, visits, dose and MCID
verdicts; the pages and the PDF read the frozen content; physiotherapists only; every
reading and the signing audited."""

from datetime import timedelta
from io import BytesIO

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from pypdf import PdfReader

from clinic.models import AuditEvent
from sessions.outcomes.models import ProgressReport
from sessions.outcomes.reports import report_sign, report_view
from tests.factories import clinic_time
from tests.sessions.outcomes.trend_world import neck_and_back, nprs_course, questionnaire

pytestmark = pytest.mark.django_db

NOW = clinic_time(2026, 11, 27, 16)


@pytest.fixture
def trend_world(physio):
    patient, made = nprs_course([7, 6, 4], physio=physio)
    neck_and_back(made[0])
    return patient, made


def sign(patient, made, physio, **fields):
    return report_sign(
        patient=patient,
        course=made[0].appointment.course,
        author=physio,
        recipient=fields.pop("recipient", "Dr A. Moreau"),
        comment=fields.pop("comment", "Good progress."),
        now=NOW,
    )


def test_signing_freezes_scores_dates_visits_dose_and_verdicts(physio, trend_world):
    patient, made = trend_world
    report = sign(patient, made, physio)
    content = report.content
    assert content["visits"] == 3
    (measure,) = content["measures"]
    assert [p["score"] for p in measure["points"]] == ["7.00", "6.00", "4.00"]
    assert measure["points"][0]["day"] == made[0].appointment.day.isoformat()
    assert measure["change"] == "3.00" and measure["reached_mcid"] is True
    assert content["doses"][0]["roots"] == ["C5", "C6", "L4", "L5", "S1"]
    assert content["recipient"] == "Dr A. Moreau"
    assert report.signed_at == NOW and report.nonce


def test_a_later_questionnaire_does_not_change_a_signed_report(physio, trend_world):
    patient, made = trend_world
    report = sign(patient, made, physio)
    questionnaire(patient, 1, course=made[0].appointment.course, completed_at=NOW + timedelta(1))
    report.refresh_from_db()
    assert len(report_view(report).measures[0].points) == 3
    newer = sign(patient, made, physio)
    assert len(report_view(newer).measures[0].points) == 4


def test_a_course_of_another_patient_is_refused(physio, trend_world):
    patient, _ = trend_world
    _, others = nprs_course([5])
    with pytest.raises(ValidationError):
        sign(patient, others, physio)
    assert not ProgressReport.objects.exists()


def test_the_form_signs_and_redirects_to_the_report_and_audits(client_for, physio, trend_world):
    patient, made = trend_world
    client = client_for(physio)
    response = client.post(
        reverse("sessions:progress-report-new", args=[patient.pk]),
        {
            "course": made[0].appointment.course_id,
            "recipient": "Alberta WCB",
            "comment": "Back at work.",
        },
    )
    report = ProgressReport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("sessions:progress-report", args=[report.pk])
    assert report.author == physio and report.recipient == "Alberta WCB"
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.CREATE, object_id=str(report.pk), patient=patient
    ).exists()


def test_a_refused_form_keeps_what_was_typed(client_for, physio, trend_world):
    patient, made = trend_world
    response = client_for(physio).post(
        reverse("sessions:progress-report-new", args=[patient.pk]),
        {"course": made[0].appointment.course_id, "recipient": "", "comment": "Kept comment"},
    )
    assert response.status_code == 200
    assert "Kept comment" in response.content.decode()
    assert response.context["form"].errors["recipient"]
    assert not ProgressReport.objects.exists()


def test_the_printable_page_shows_the_frozen_scores_and_audits(client_for, physio, trend_world):
    patient, made = trend_world
    report = sign(patient, made, physio)
    response = client_for(physio).get(reverse("sessions:progress-report", args=[report.pk]))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Dr A. Moreau" in page and "improved by 3" in page and 'role="img"' in page
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.VIEW, object_id=str(report.pk), detail="progress report"
    ).exists()


def test_the_pdf_is_a_pdf_with_the_scores(client_for, physio, trend_world):
    patient, made = trend_world
    report = sign(patient, made, physio)
    response = client_for(physio).get(reverse("sessions:progress-report-pdf", args=[report.pk]))
    assert response["Content-Type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(BytesIO(response.content)).pages)
    assert patient.legal_name in text
    assert "Dr A. Moreau" in text
    assert "Baseline 7 points" in text and "Latest 4 points" in text
    assert "C5, C6, L4, L5, S1" in text
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.EXPORT, object_id=str(report.pk)
    ).exists()


@pytest.mark.parametrize("who", ["front_desk", "clinic_admin"])
@pytest.mark.parametrize("name", ["progress-report", "progress-report-pdf"])
def test_reports_are_refused_to_non_clinicians(request, client_for, physio, trend_world, who, name):
    patient, made = trend_world
    report = sign(patient, made, physio)
    response = client_for(request.getfixturevalue(who)).get(
        reverse(f"sessions:{name}", args=[report.pk])
    )
    assert response.status_code == 403
    assert b"Moreau" not in response.content


@pytest.mark.parametrize("who", ["front_desk", "clinic_admin"])
def test_signing_is_refused_to_non_clinicians(request, client_for, trend_world, who):
    patient, made = trend_world
    response = client_for(request.getfixturevalue(who)).post(
        reverse("sessions:progress-report-new", args=[patient.pk]),
        {"course": made[0].appointment.course_id, "recipient": "Dr A. Moreau"},
    )
    assert response.status_code == 403
    assert not ProgressReport.objects.exists()
