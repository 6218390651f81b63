"""The submitted intake read by staff: the physiotherapist's summary and screening, front
desk's date question without clinical detail, and the audit of each reading."""

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from clinic.models import AuditEvent
from intake.models import Intake
from tests.intake.link.conftest import SIGN, fill_all, step_url


@pytest.fixture
def submitted(client, link):
    fill_all(client, link)
    client.post(step_url(link, "consent"), SIGN)
    return Intake.objects.get()


def test_physio_reads_the_summary_and_it_is_audited(client_for, physio, submitted):
    page = client_for(physio).get(reverse("intake:intake-summary", args=[submitted.pk]))
    text = page.content.decode()
    assert "Apixaban 5 mg" in text
    assert "Knee arthroscopy" in text
    assert "Blood thinners (anticoagulant or antiplatelet medication)" in text
    assert AuditEvent.objects.filter(
        user=physio, action="view", object_id=str(submitted.pk)
    ).exists()


def test_front_desk_is_refused_the_summary_and_it_is_audited(client_for, front_desk, submitted):
    response = client_for(front_desk).get(reverse("intake:intake-summary", args=[submitted.pk]))
    assert response.status_code == 403
    assert AuditEvent.objects.filter(user=front_desk, action="denied").exists()


def test_physio_sees_reasons_with_sources_and_dates(client_for, physio, submitted):
    with time_machine.travel("2026-11-21 18:00:00+00:00"):
        page = (
            client_for(physio)
            .get(reverse("intake:patient-detail", args=[submitted.patient_id]))
            .content.decode()
        )
    assert "Contraindicated" in page
    assert "Needling may be considered from <strong>2026-12-24</strong>" in page
    assert "source: intake #1" in page


def test_front_desk_asks_about_a_date_without_clinical_detail(client_for, front_desk, submitted):
    url = reverse("intake:patient-detail", args=[submitted.patient_id])
    with time_machine.travel("2026-11-21 18:00:00+00:00"):
        page = client_for(front_desk).get(url, {"day": "2026-12-01"}).content.decode()
        assert "Not before 2026-12-24, physiotherapist to review" in page
        assert "Knee" not in page
        page = client_for(front_desk).get(url, {"day": "2026-12-24"}).content.decode()
        assert "Physiotherapist to review first" in page  # anticoagulants
        assert "Yes" not in page
        page = client_for(front_desk).get(url, {"day": "1900-01-01"}).content.decode()
        assert "Choose a date within" in page


def test_screening_rules_are_readable_by_admin(client_for, clinic_admin):
    page = client_for(clinic_admin).get(reverse("intake:screening-rules")).content.decode()
    assert "Surgery in the last 12 weeks" in page


def test_patient_reading_their_own_step_is_audited(client, link, invitation):
    client.get(step_url(link, "visit"))
    event = AuditEvent.objects.get(action="view")
    assert (event.role, event.patient, event.user) == ("patient", invitation.intake.patient, None)


def test_plain_text_mail_is_not_html_escaped(invitation, settings):
    (message,) = mail.outbox
    assert "&amp;" not in message.subject + message.body
    assert settings.CLINIC_NAME in message.subject
