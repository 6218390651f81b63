import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from clinic.links import make_token
from clinic.models import AuditEvent
from intake import services
from intake.models import ConsentText, HealthUpdate, Intake
from intake.screening import Outcome
from tests.factories import PatientFactory

STEP_DATA = {
    "visit": {
        "reason": "Neck pain at work",
        "pain_areas": ["neck", "shoulder_left"],
        "onset_date": "2026-01-10",
        "onset": "gradual",
        "pain_now": "5",
        "pain_best": "2",
        "pain_worst": "8",
    },
    "nerve": {
        "pain_outlasts_injury": "yes",
        "delayed_onset": "no",
        "light_touch_hurts": "unsure",
        "builds_and_lingers": "yes",
        "skin_changes": "no",
    },
    "history": {"conditions": ["anticoagulants"], "medications": "Apixaban 5 mg"},
    "surgeries": {
        "surgeries-TOTAL_FORMS": "1",
        "surgeries-INITIAL_FORMS": "0",
        "surgeries-0-date": "2026-10-01",
        "surgeries-0-description": "Knee arthroscopy",
    },
    "needles": {"pregnancy": "no", "needle_fear": "none"},
}
SIGN = {"agree": "on", "signature_name": "Hélène Tremblay"}


@pytest.fixture
def patient(db):
    return PatientFactory(
        legal_first_name="Hélène",
        legal_last_name="Tremblay",
        email="helene@example.com",
        date_of_birth="1978-04-12",
    )


@pytest.fixture
def invitation(patient, front_desk, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return services.intake_invite(patient=patient, sent_by=front_desk)


@pytest.fixture
def link(invitation):
    return services.invitation_link(invitation).removeprefix("http://127.0.0.1:8000")


def step_url(link, step):
    return f"{link}{step}/"


def fill_all(client, link, **overrides):
    for step, data in STEP_DATA.items():
        response = client.post(step_url(link, step), {**data, **overrides.get(step, {})})
        assert response.status_code == 302, response.content.decode()[-1500:]


# --- Sending links ------------------------------------------------------------------


def test_front_desk_sends_the_link_by_email_after_commit(
    client_for, front_desk, patient, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(front_desk).post(reverse("intake:intake-send", args=[patient.pk]))
    assert response.status_code == 302
    (message,) = mail.outbox
    assert message.to == ["helene@example.com"]
    link = re.search(r"http://\S+/i/\S+/", message.body).group(0)
    token = link.rstrip("/").rsplit("/", 1)[1]
    assert services.invitation_from_token(token) == Intake.objects.get().invitations.get()
    assert "Knee" not in message.body and "pregnan" not in message.body.lower()


def test_no_email_is_sent_for_a_rolled_back_invitation(patient, front_desk):
    from django.db import transaction

    with pytest.raises(RuntimeError), transaction.atomic():
        services.intake_invite(patient=patient, sent_by=front_desk)
        raise RuntimeError("booking failed")
    assert mail.outbox == []


def test_patient_without_email_gets_a_clear_message(client_for, front_desk):
    patient = PatientFactory(email="")
    response = client_for(front_desk).post(
        reverse("intake:intake-send", args=[patient.pk]), follow=True
    )
    assert "no email address" in response.content.decode()
    assert not Intake.objects.exists()


def test_resending_replaces_the_old_link_for_the_same_intake(invitation, patient, front_desk):
    again = services.intake_invite(patient=patient, sent_by=front_desk)
    invitation.refresh_from_db()
    assert again.intake == invitation.intake
    assert invitation.state() == invitation.State.REVOKED
    assert again.state() == again.State.SENT


def test_states_follow_the_patient(client, invitation, link):
    assert invitation.state() == "sent"
    client.get(link)
    invitation.refresh_from_db()
    assert invitation.state() == "opened"
    client.post(step_url(link, "visit"), STEP_DATA["visit"])
    invitation.intake.refresh_from_db()
    assert invitation.state() == "in_progress"
    later = invitation.expires_at + timedelta(seconds=1)
    assert invitation.state(now=later) == "expired"


def test_front_desk_sees_state_but_never_answers(client_for, front_desk, client, invitation, link):
    fill_all(client, link)
    client.post(step_url(link, "consent"), SIGN)
    with time_machine.travel("2026-11-21 18:00:00+00:00"):
        page = (
            client_for(front_desk)
            .get(reverse("intake:patient-detail", args=[invitation.intake.patient_id]))
            .content.decode()
        )
    assert "Submitted" in page
    for secret in ("Apixaban", "Knee arthroscopy", "Blood thinners", "Screening for"):
        assert secret not in page
    assert "Not before 2026-12-24, physiotherapist to review" in page


# --- Filling in -------------------------------------------------------------------


def test_link_opens_the_first_step_then_resumes_where_the_patient_stopped(client, link):
    assert client.get(link).url == step_url(link, "visit")
    client.post(step_url(link, "visit"), STEP_DATA["visit"])
    client.post(step_url(link, "nerve"), STEP_DATA["nerve"])
    assert client.get(link).url == step_url(link, "history")


def test_saving_a_step_costs_the_same_queries_with_a_long_history(
    client, link, patient, django_assert_max_num_queries
):
    with django_assert_max_num_queries(8) as first:  # 5-6, + savepoints and the audit lock
        client.post(step_url(link, "visit"), STEP_DATA["visit"])
    queries = len(first.captured_queries)  # read now: each request resets the log
    for n in range(2, 12):  # earlier intakes and health updates of a long-standing patient
        Intake.objects.create(patient=patient, number=100 + n, status=Intake.Status.SUBMITTED)
        HealthUpdate.objects.create(patient=patient, source="visit")
    with django_assert_max_num_queries(queries):
        response = client.post(step_url(link, "nerve"), STEP_DATA["nerve"])
    assert response.status_code == 302


def test_invalid_step_keeps_what_was_typed_even_after_closing(client, link, invitation):
    data = {**STEP_DATA["visit"], "onset_date": "2099-01-01", "reason": "Sore <b>neck</b>"}
    response = client.post(step_url(link, "visit"), data)
    page = response.content.decode()
    assert response.status_code == 200
    assert "The start date cannot be in the future." in page
    assert "Sore &lt;b&gt;neck&lt;/b&gt;" in page
    # Reopening the link later shows the same typing and the same message.
    page = client.get(step_url(link, "visit")).content.decode()
    assert "Sore &lt;b&gt;neck&lt;/b&gt;" in page
    assert "The start date cannot be in the future." in page
    assert "visit" not in Intake.objects.get().answers


def test_best_pain_above_worst_is_explained(client, link):
    response = client.post(step_url(link, "visit"), {**STEP_DATA["visit"], "pain_best": "9"})
    assert "cannot be higher than at its worst" in response.content.decode()


def test_over_long_text_gets_a_message(client, link):
    response = client.post(step_url(link, "visit"), {**STEP_DATA["visit"], "reason": "x" * 2001})
    assert "at most 2000 characters" in response.content.decode()


@pytest.mark.parametrize(
    "day, message",
    [("1950-01-01", "before your date of birth"), ("2099-01-01", "more than a year ahead")],
)
def test_absurd_surgery_dates_are_refused(client, link, day, message):
    data = {**STEP_DATA["surgeries"], "surgeries-0-date": day}
    assert message in client.post(step_url(link, "surgeries"), data).content.decode()


def test_surgery_without_date_is_explained(client, link):
    data = {**STEP_DATA["surgeries"], "surgeries-0-date": ""}
    assert "Please give the date" in client.post(step_url(link, "surgeries"), data).content.decode()


def test_broken_formset_data_is_not_a_server_error(client, link):
    response = client.post(step_url(link, "surgeries"), {"surgeries-TOTAL_FORMS": "x"})
    assert response.status_code == 200


def test_save_and_add_another_keeps_rows(client, link):
    response = client.post(step_url(link, "surgeries"), {**STEP_DATA["surgeries"], "add_row": "1"})
    assert response.url == step_url(link, "surgeries")
    page = client.get(step_url(link, "surgeries")).content.decode()
    assert 'value="Knee arthroscopy"' in page
    assert "surgeries-1-date" in page


def test_finish_later_confirms_the_save(client, link):
    response = client.post(step_url(link, "nerve"), {**STEP_DATA["nerve"], "later": "1"})
    assert "Your answers are saved" in response.content.decode()
    assert "nerve" in Intake.objects.get().answers


def test_consent_cannot_be_signed_with_steps_missing(client, link):
    client.post(step_url(link, "visit"), STEP_DATA["visit"])
    page = client.post(step_url(link, "consent"), SIGN).content.decode()
    assert "Please complete these steps before signing" in page
    assert not Intake.objects.get().is_submitted


def test_signing_records_consent_version_name_time_and_ip(client, link, invitation):
    fill_all(client, link)
    with time_machine.travel("2026-11-21 17:30:00+00:00", tick=False):
        client.post(step_url(link, "consent"), SIGN, REMOTE_ADDR="198.51.100.4")
    intake = Intake.objects.get()
    assert intake.is_submitted
    assert intake.consent == ConsentText.current()
    assert intake.signature_name == "Hélène Tremblay"
    assert intake.signed_ip == "198.51.100.4"
    assert intake.submitted_at == timezone.now().replace(
        year=2026, month=11, day=21, hour=17, minute=30, second=0, microsecond=0
    )
    assert AuditEvent.objects.filter(action="sign", role="patient", patient=intake.patient).exists()


def test_double_submission_and_later_visits_show_thanks(client, link):
    fill_all(client, link)
    client.post(step_url(link, "consent"), SIGN)
    response = client.post(step_url(link, "consent"), SIGN)
    assert "your questionnaire is with the clinic" in response.content.decode()
    response = client.post(step_url(link, "visit"), STEP_DATA["visit"])
    assert "your questionnaire is with the clinic" in response.content.decode()
    assert Intake.objects.count() == 1


def test_submitted_intake_cannot_change(client, link):
    fill_all(client, link)
    client.post(step_url(link, "consent"), SIGN)
    intake = Intake.objects.get()
    intake.answers["visit"]["reason"] = "edited"
    with pytest.raises(ValidationError):
        intake.save()
    with pytest.raises(ValidationError):
        services.intake_save_step(intake=intake, step="visit", answers={}, typed=None)


def test_a_new_intake_later_feeds_screening_and_old_stays_readable(
    client, link, patient, front_desk, client_for, physio
):
    fill_all(client, link)
    client.post(step_url(link, "consent"), SIGN)
    second = services.intake_invite(patient=patient, sent_by=front_desk)
    assert second.intake.number == 2
    link2 = services.invitation_link(second).removeprefix("http://127.0.0.1:8000")
    fill_all(client, link2, needles={"pregnancy": "possibly"})
    client.post(step_url(link2, "consent"), SIGN)
    verdict, source = services.patient_verdict(patient, timezone.localdate())
    assert source.number == 2
    assert verdict.outcome == Outcome.CONTRAINDICATED
    first = patient.intakes.get(number=1)
    assert (
        client_for(physio).get(reverse("intake:intake-summary", args=[first.pk])).status_code == 200
    )


# --- Links that must not work -------------------------------------------------------


@pytest.mark.parametrize("token", ["garbage", "a" * 300, "WzEsImFiYyJd:1:xyz"])
def test_tampered_link_shows_the_plain_invalid_page(client, db, token):
    response = client.get(reverse("intake:fill", args=[token]))
    assert response.status_code == 404
    assert "This link is not valid" in response.content.decode()


def test_expired_link_shows_the_invalid_page(client, invitation, link):
    with time_machine.travel(invitation.expires_at + timedelta(seconds=1)):
        response = client.get(step_url(link, "visit"))
    assert response.status_code == 404
    assert "Tremblay" not in response.content.decode()


def test_link_works_until_the_last_moment(client, invitation, link):
    with time_machine.travel(invitation.expires_at - timedelta(seconds=1)):
        assert client.get(step_url(link, "visit")).status_code == 200


def test_revoked_link_shows_the_invalid_page(client, client_for, front_desk, invitation, link):
    client_for(front_desk).post(reverse("intake:invitation-revoke", args=[invitation.pk]))
    client.logout()
    assert client.get(step_url(link, "visit")).status_code == 404


def test_one_patients_link_cannot_reach_another_patients_intake(client, invitation, front_desk):
    other = services.intake_invite(
        patient=PatientFactory(email="o@example.com"), sent_by=front_desk
    )
    forged = make_token("intake", other.pk, invitation.nonce)
    response = client.get(reverse("intake:fill-step", args=[forged, "visit"]))
    assert response.status_code == 404


def test_a_token_signed_for_another_purpose_is_refused(client, invitation):
    token = make_token("checkin", invitation.pk, invitation.nonce)
    assert client.get(reverse("intake:fill", args=[token])).status_code == 404


def test_unknown_step_is_not_found(client, link):
    assert client.get(step_url(link, "nonsense")).status_code == 404


# --- Who may read answers -------------------------------------------------------------


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


# --- Nothing typed is dropped; ratings start empty ---------------------------------

EVERY_FIELD = {
    "visit": {**STEP_DATA["visit"], "goals": "Lift my child", "worse_with": "Sitting"},
    "nerve": STEP_DATA["nerve"],
    "history": {**STEP_DATA["history"], "allergies": "Latex"},
    # No earlier treatment ticked, yet an experience described: both are kept.
    "needles": {
        "pregnancy": "not_applicable",
        "needle_fear": "some",
        "previous_experience": "Fainted once at a blood test",
    },
}


@pytest.mark.parametrize("step", EVERY_FIELD)
def test_every_answer_typed_on_a_step_is_kept(client, link, step):
    response = client.post(step_url(link, step), EVERY_FIELD[step])
    assert response.status_code == 302, response.content.decode()[-1500:]
    kept = Intake.objects.get().answers[step]
    for name, value in EVERY_FIELD[step].items():
        assert str(kept[name]) == value or kept[name] == value, name


def test_pain_ratings_start_empty_and_must_be_chosen(client, link):
    page = client.get(step_url(link, "visit")).content.decode()
    for name in ("pain_now", "pain_best", "pain_worst"):
        select = page[page.index(f'name="{name}"') :]
        select = select[: select.index("</select>")]
        assert '<option value="" selected>Choose 0 to 10</option>' in select
        assert '<option value="0" selected>' not in select
    data = {k: v for k, v in STEP_DATA["visit"].items() if k != "pain_now"}
    response = client.post(step_url(link, "visit"), data)
    assert "Choose a number from 0 to 10." in response.content.decode()
    assert "visit" not in Intake.objects.get().answers
