"""Sending a questionnaire: the service's refusals, the email (no health data), the
physiotherapist's button on the patient page, and what front desk sees there (the
state, never the answers or the score)."""

from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from clinic.models import AuditEvent
from sessions.outcomes import instruments, services
from sessions.outcomes.instruments import NPRS, Licence
from sessions.outcomes.models import Questionnaire
from tests.factories import AppointmentFactory, PatientFactory
from tests.sessions.conftest import NOW

pytestmark = pytest.mark.django_db


@pytest.fixture
def patient(db):
    return PatientFactory(email="zoe@example.com", legal_first_name="Zoe", preferred_name="")


def send(patient, instrument="nprs", by=None):
    return services.questionnaire_send(patient=patient, instrument=instrument, by=by, now=NOW)


class TestService:
    def test_the_email_carries_the_link_and_no_health_data(
        self, patient, settings, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            q = send(patient)
        (sent,) = mail.outbox
        assert sent.to == ["zoe@example.com"]
        assert sent.subject == f"A short questionnaire from {settings.CLINIC_NAME}"
        assert "/q/" in sent.body
        for clinical in ("pain", "Pain", "NPRS", "Numeric"):
            assert clinical not in sent.body and clinical not in sent.alternatives[0][0]
        assert q.trigger == "manual" and q.expires_at > NOW

    def test_an_unknown_instrument_is_refused_by_field(self, patient):
        with pytest.raises(ValidationError) as refused:
            send(patient, "nope")
        assert list(refused.value.message_dict) == ["instrument"]
        assert not Questionnaire.objects.exists()

    def test_an_instrument_whose_wording_is_missing_is_refused(self, patient, monkeypatch):
        licensed = instruments.Instrument(
            **{**NPRS.__dict__, "code": "lic-test", "licence": Licence.LICENSED}
        )
        monkeypatch.setitem(instruments.INSTRUMENTS, "lic-test", licensed)
        with pytest.raises(ValidationError) as refused:
            send(patient, "lic-test")
        assert "wording" in refused.value.message_dict["instrument"][0]

    def test_a_patient_without_email_is_refused(self, patient):
        patient.email = ""
        patient.save()
        with pytest.raises(ValidationError) as refused:
            send(patient)
        assert list(refused.value.message_dict) == ["email"]
        assert not Questionnaire.objects.exists()


class TestSendButton:
    def test_a_physio_sends_one_from_the_patient_page(
        self, patient, physio, client_for, django_capture_on_commit_callbacks
    ):
        client = client_for(physio)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                reverse("sessions:questionnaire-send", args=[patient.pk]), {"instrument": "nprs"}
            )
        assert response.status_code == 302
        q = Questionnaire.objects.get()
        assert (q.patient, q.sent_by, q.trigger) == (patient, physio, "manual")
        assert len(mail.outbox) == 1
        event = AuditEvent.objects.get(action="create", object_id=str(q.pk))
        assert (event.user, event.patient_id) == (physio, patient.pk)

    def test_front_desk_cannot_send(self, patient, front_desk, client_for):
        response = client_for(front_desk).post(
            reverse("sessions:questionnaire-send", args=[patient.pk]), {"instrument": "nprs"}
        )
        assert response.status_code == 403
        assert not Questionnaire.objects.exists()

    def test_the_refusal_is_shown_as_a_message(self, patient, physio, client_for):
        patient.email = ""
        patient.save()
        page = client_for(physio).post(
            reverse("sessions:questionnaire-send", args=[patient.pk]),
            {"instrument": "nprs"},
            follow=True,
        )
        assert "no email address" in page.content.decode()


class TestPatientPage:
    def _done(self, patient):
        q = send(patient)
        services.questionnaire_save(questionnaire=q, answers={"pain": 8}, now=NOW)
        return services.questionnaire_submit(questionnaire=q, now=NOW)

    def test_front_desk_sees_done_but_not_the_score(self, patient, front_desk, client_for):
        q = self._done(patient)
        assert q.score == Decimal(8)
        page = client_for(front_desk).get(reverse("intake:patient-detail", args=[patient.pk]))
        section = page.content.decode().split('data-testid="questionnaires"')[1]
        section = section.split("</section>")[0]
        assert "Done" in section
        assert "8.00" not in section and ">8<" not in section and "Score" not in section
        assert "Send a questionnaire" not in section and "Fill in on a tablet" in section

    def test_a_physio_sees_the_score(self, patient, physio, client_for):
        self._done(patient)
        page = client_for(physio).get(reverse("intake:patient-detail", args=[patient.pk]))
        section = page.content.decode().split('data-testid="questionnaires"')[1]
        assert "8.00" in section and "Send a questionnaire" in section

    def test_states_sent_started_expired(self, patient, front_desk, client_for):
        from datetime import timedelta

        send(patient)
        started = send(patient)
        services.questionnaire_save(questionnaire=started, answers={}, now=NOW)
        old = send(patient)
        Questionnaire.objects.filter(pk=old.pk).update(expires_at=NOW - timedelta(seconds=1))
        page = client_for(front_desk).get(reverse("intake:patient-detail", args=[patient.pk]))
        html = page.content.decode()
        assert "Sent, not opened" in html and "Started" in html and "Expired" in html

    def test_the_list_takes_the_same_queries_for_many_questionnaires(
        self, patient, front_desk, client_for
    ):
        client = client_for(front_desk)
        url = reverse("intake:patient-detail", args=[patient.pk])
        send(patient)
        client.get(url)
        with CaptureQueriesContext(connection) as few:
            client.get(url)
        for _ in range(15):
            send(patient)
        with CaptureQueriesContext(connection) as many:
            client.get(url)
        assert len(many) == len(few)


class TestAppointmentPage:
    def test_front_desk_sees_the_visits_questionnaire_done_never_the_answers(
        self, front_desk, client_for
    ):
        appointment = AppointmentFactory(patient=PatientFactory(email="v@example.com"))
        q = services.questionnaire_create(
            patient=appointment.patient,
            instrument="nprs",
            by=None,
            trigger="visit",
            appointment=appointment,
            now=NOW,
        )
        page = client_for(front_desk).get(
            reverse("sessions:appointment-detail", args=[appointment.pk])
        )
        assert "NPRS: Sent, not opened" in page.content.decode()
        services.questionnaire_save(questionnaire=q, answers={"pain": 9}, now=NOW)
        services.questionnaire_submit(questionnaire=q, now=NOW)
        page = client_for(front_desk).get(
            reverse("sessions:appointment-detail", args=[appointment.pk])
        )
        html = page.content.decode()
        section = html.split('data-testid="visit-questionnaires"')[1].split("</section>")[0]
        assert "NPRS: Done" in section and "9" not in section
