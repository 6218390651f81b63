"""Texts patients send to the clinic's number (POST /sms/inbound/): keywords, who sent
it, replays, refusals, and the call list where front desk reads what needs a person."""

import io
import threading

import pytest
from django.core.management import CommandError, call_command
from django.db import close_old_connections, connection
from django.test import Client
from django.urls import reverse

from clinic.models import AuditEvent
from clinic.sms import segments
from intake.models import SmsConsent, SmsConsentEvent
from sessions.booking.models import Confirmation
from sessions.followups.models import CallTask, SmsReply
from tests.factories import LocationFactory
from tests.sessions.conftest import NOW, local
from tests.sessions.followups.sms_webhooks import (
    CLINIC_NUMBER,
    MOBILE,
    TOKEN,
    reminder_texted,
    signed_post,
    texting_patient,
    visit_for,
)

CLINIC = "Bow River Physiotherapy & IMS"
sid_counter = iter(range(1, 10_000))


@pytest.fixture(autouse=True)
def webhook_settings(settings):
    settings.TWILIO_AUTH_TOKEN = TOKEN
    settings.CLINIC_SMS_NAME = CLINIC


@pytest.fixture
def clinic_location(db):
    return LocationFactory(name="Bow Trail", phone="403-555-0199")


@pytest.fixture
def patient(db):
    return texting_patient(legal_first_name="Marcus")


@pytest.fixture
def visit(patient, clinic_location):
    # Tuesday 24 Nov 2026, 9:30 in Calgary; now is Friday 20 Nov, 10:00.
    return visit_for(patient, local(2026, 11, 24, 9, 30), location=clinic_location)


def text(client, body: str, *, from_: str = MOBILE, sid: str | None = None):
    """The patient's text ``body``; returns (response, the stored reply)."""
    sid = sid or f"SMtest{next(sid_counter)}"
    params = {"MessageSid": sid, "From": from_, "To": CLINIC_NUMBER, "Body": body}
    response = signed_post(client, "sessions:sms-inbound", params)
    return response, SmsReply.objects.filter(provider_id=sid).first()


def answered(response) -> str:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/xml")
    return response.content.decode()


# --- Confirming -----------------------------------------------------------------------------


def test_c_confirms_the_next_visit_and_says_when(client, visit):
    response, reply = text(client, "C")

    visit.refresh_from_db()
    assert visit.confirmed_at == NOW and visit.confirmed_via == Confirmation.SMS
    assert reply.action == SmsReply.Action.CONFIRMED and reply.appointment == visit
    assert reply.answer == f"{CLINIC}: thanks, your visit on Tue 24 Nov at 9:30 AM is confirmed."
    assert answered(response) == (
        '<?xml version="1.0" encoding="UTF-8"?><Response><Message>'
        "Bow River Physiotherapy &amp; IMS: thanks, your visit on Tue 24 Nov at 9:30 AM is "
        "confirmed.</Message></Response>"
    )


@pytest.mark.parametrize("body", ["c", " Y ", "yes", "Yes!", "CONFIRM", "confirm.", "Oui", "OUI!"])
def test_confirm_words_in_any_case_and_punctuation(client, visit, body):
    text(client, body)

    visit.refresh_from_db()
    assert visit.confirmed_via == Confirmation.SMS


def test_a_sentence_holding_c_is_not_a_confirmation(client, visit):
    _, reply = text(client, "C you tuesday")

    visit.refresh_from_db()
    assert visit.confirmed_at is None
    assert reply.action == SmsReply.Action.TASK


def test_confirm_goes_to_the_visit_our_latest_text_was_about(client, patient, clinic_location):
    first = visit_for(patient, local(2026, 11, 23, 9), location=clinic_location)
    later = visit_for(patient, local(2026, 11, 27, 14), location=clinic_location)
    reminder_texted(first, sid="SMold", sent_at=local(2026, 11, 19, 9))
    reminder_texted(later, sid="SMnew", sent_at=local(2026, 11, 20, 9))

    text(client, "C")

    first.refresh_from_db()
    later.refresh_from_db()
    assert later.confirmed_via == Confirmation.SMS
    assert first.confirmed_at is None


def test_confirm_without_an_upcoming_visit_says_so_and_makes_no_task(client, patient):
    visit_for(patient, local(2026, 11, 19, 9))  # yesterday's

    response, reply = text(client, "C")

    assert "no upcoming visit" in answered(response)
    assert reply.action == SmsReply.Action.NO_VISIT
    assert not CallTask.objects.exists()


def test_a_cancelled_visit_is_not_confirmed(client, patient, clinic_location):
    visit = visit_for(patient, local(2026, 11, 24, 9, 30), status="cancelled")

    text(client, "yes")

    visit.refresh_from_db()
    assert visit.confirmed_at is None


# --- Rebooking, other words -----------------------------------------------------------------


@pytest.mark.parametrize("body", ["R", "r", "Rebook", "reschedule!"])
def test_r_asks_front_desk_to_call_and_says_so(client, visit, patient, body):
    response, reply = text(client, body)

    task = CallTask.objects.get()
    assert task.patient == patient and task.reply == reply
    assert task.reason == "Asked by text to rebook the visit on Tue 24 Nov at 9:30 AM"
    assert reply.action == SmsReply.Action.RESCHEDULE
    assert "we will call you to find a new time." in answered(response)
    visit.refresh_from_db()
    assert visit.status == "booked" and visit.confirmed_at is None


def test_anything_else_is_a_task_whose_reason_holds_none_of_the_words(client, visit, patient):
    words = "my neck is worse since the needles, should I come?"

    response, reply = text(client, words)

    task = CallTask.objects.get()
    assert task.reason == "Replied by text: read the reply"
    assert task.reply == reply and reply.body == words
    assert reply.action == SmsReply.Action.TASK
    assert "neck" not in answered(response)
    assert "911" in reply.answer and "403-555-0199" in reply.answer


@pytest.mark.parametrize("body", ["HELP", "info", "Aide"])
def test_help_answers_with_the_clinics_number(client, visit, body):
    response, reply = text(client, body)

    assert reply.action == SmsReply.Action.HELP
    assert "Call us at 403-555-0199." in answered(response)
    assert not CallTask.objects.exists()


# --- Stopping and starting ------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        "STOP",
        "stop",
        "Stop.",
        "STOPALL",
        "stop all",
        "UNSUBSCRIBE",
        "cancel",  # a carrier stop word: Twilio stops texts on it whatever we do
        "END",
        "quit",
        "OPTOUT",
        "opt out",
        "opt-out",
        "REVOKE",
        "arret",
        "Arrêt",
        "ARRÊT !",
    ],
)
def test_stop_words_opt_the_patient_out(client, visit, patient, body):
    response, reply = text(client, body)

    patient.refresh_from_db()
    assert patient.sms_consent == SmsConsent.OPTED_OUT
    event = SmsConsentEvent.objects.get(patient=patient)
    assert event.kind == SmsConsentEvent.Kind.OPTED_OUT
    assert event.source == SmsConsentEvent.Source.SMS_REPLY
    assert reply.action == SmsReply.Action.OPTED_OUT
    assert "no more texts" in answered(response) and "START" in reply.answer
    visit.refresh_from_db()
    assert visit.status == "booked"  # CANCEL stops texts; it does not cancel the visit


@pytest.mark.parametrize("body", ["START", "unstop", "YES"])
def test_start_after_stop_gives_texts_back(client, visit, patient, body):
    text(client, "STOP")

    response, reply = text(client, body)

    patient.refresh_from_db()
    assert patient.sms_consent == SmsConsent.GIVEN
    assert reply.action == SmsReply.Action.OPTED_IN
    assert "on again" in answered(response)
    kinds = list(SmsConsentEvent.objects.order_by("at", "id").values_list("kind", flat=True))
    assert kinds == [SmsConsentEvent.Kind.OPTED_OUT, SmsConsentEvent.Kind.OPTED_IN]


def test_yes_while_opted_out_starts_texts_and_confirms_nothing(client, visit, patient):
    text(client, "STOP")

    text(client, "yes")

    visit.refresh_from_db()
    assert visit.confirmed_at is None


def test_start_does_not_give_consent_the_patient_never_gave(client, visit):
    patient = visit.patient
    patient.sms_consent = SmsConsent.NONE
    patient.save()

    _, reply = text(client, "START")

    patient.refresh_from_db()
    assert patient.sms_consent == SmsConsent.NONE
    assert not SmsConsentEvent.objects.exists()
    assert "not stopped" in reply.answer


# --- Who sent it ----------------------------------------------------------------------------


def test_an_unknown_number_gets_a_generic_answer_and_nothing_happens(client, visit, patient):
    response, reply = text(client, "C", from_="+14035550177")

    assert reply.action == SmsReply.Action.UNKNOWN_NUMBER and reply.patient is None
    assert reply.answer == f"This is {CLINIC}. Call us at 403-555-0199."
    assert patient.legal_first_name not in answered(response)
    visit.refresh_from_db()
    assert visit.confirmed_at is None
    assert not CallTask.objects.exists()


def test_stop_from_an_unknown_number_is_acknowledged_all_the_same(client, visit):
    _, reply = text(client, "STOP", from_="+14035550177")

    assert reply.action == SmsReply.Action.UNKNOWN_NUMBER
    assert reply.answer == f"{CLINIC}: you will get no more texts from us. Reply START to resume."
    assert not SmsConsentEvent.objects.exists()


def test_a_number_that_is_not_e164_is_unknown(client, visit):
    _, reply = text(client, "C", from_="12345")

    assert reply.action == SmsReply.Action.UNKNOWN_NUMBER


def test_a_shared_number_makes_a_task_rather_than_guess(client, patient, visit, clinic_location):
    sibling = texting_patient(legal_first_name="Ana")
    sibling_visit = visit_for(sibling, local(2026, 11, 25, 9), location=clinic_location)

    response, reply = text(client, "C")

    for v in (visit, sibling_visit):
        v.refresh_from_db()
        assert v.confirmed_at is None
    task = CallTask.objects.get()
    assert task.reply == reply and reply.patient is None
    assert task.reason == "Replied by text from a number 2 patients share: read the reply"
    assert "front desk will read this" in answered(response)


def test_stop_from_a_shared_number_opts_out_everyone_on_it(client, patient, visit):
    sibling = texting_patient(legal_first_name="Ana")
    reminder_texted(visit, sid="SMmarcus")

    text(client, "STOP")

    for p in (patient, sibling):
        p.refresh_from_db()
        assert p.sms_consent == SmsConsent.OPTED_OUT


# --- Replays, answers, the audit log --------------------------------------------------------


def test_the_same_text_delivered_twice_acts_once_and_answers_the_same(client, visit):
    first, _ = text(client, "my knee hurts", sid="SMreplay")
    again, _ = text(client, "my knee hurts", sid="SMreplay")

    assert SmsReply.objects.count() == 1
    assert CallTask.objects.count() == 1
    assert again.content == first.content and answered(again)


def test_a_repeated_stop_records_one_opt_out(client, visit, patient):
    text(client, "STOP", sid="SMstop")
    text(client, "STOP", sid="SMstop")

    assert SmsConsentEvent.objects.filter(patient=patient).count() == 1


@pytest.mark.parametrize(
    "body", ["C", "R", "STOP", "START", "HELP", "what time is parking free near you?"]
)
def test_every_answer_fits_one_segment(client, visit, body):
    _, reply = text(client, body)

    assert reply.answer and segments(reply.answer) == 1


def test_nothing_to_say_is_an_empty_response(client, visit, settings):
    # Only a clinic name long enough to fill a segment would leave a part out; an empty
    # answer happens for a stored reply without one, e.g. a repeat of such a reply.
    SmsReply.objects.create(
        provider_id="SMquiet", from_number=MOBILE, body="x", action=SmsReply.Action.TASK
    )

    response, _ = text(client, "x", sid="SMquiet")

    assert answered(response).endswith("<Response />")


def test_each_reply_is_audited_without_a_staff_member(client, visit):
    _, reply = text(client, "C")

    created = AuditEvent.objects.get(object_type="treatment_sessions.smsreply")
    assert created.action == AuditEvent.Action.CREATE and created.user is None
    assert created.role == "sms" and created.patient == visit.patient
    confirmed = AuditEvent.objects.get(object_type="treatment_sessions.appointment")
    assert confirmed.action == AuditEvent.Action.UPDATE and confirmed.role == "sms"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_same_stop_delivered_four_times_at_once_acts_once(patient):
    params = {"MessageSid": "SMrace", "From": MOBILE, "To": CLINIC_NUMBER, "Body": "STOP"}
    barrier = threading.Barrier(4)
    answers: list = []

    def deliver():
        close_old_connections()
        try:
            barrier.wait()
            answers.append(signed_post(Client(), "sessions:sms-inbound", params).content)
        except Exception as exc:  # noqa: BLE001 - reported to the test
            answers.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(set(answers)) == 1 and b"no more texts" in answers[0], answers
    assert SmsReply.objects.count() == 1
    assert SmsConsentEvent.objects.filter(patient=patient).count() == 1


# --- Refusals -------------------------------------------------------------------------------


@pytest.mark.parametrize("signature", ["", "bm90IGEgc2lnbmF0dXJl"])
def test_a_bad_or_missing_signature_is_refused_and_audited(client, visit, signature):
    params = {"MessageSid": "SMforged", "From": MOBILE, "To": CLINIC_NUMBER, "Body": "STOP"}

    response = signed_post(client, "sessions:sms-inbound", params, signature=signature)

    assert response.status_code == 403
    assert not SmsReply.objects.exists()
    visit.patient.refresh_from_db()
    assert visit.patient.sms_consent == SmsConsent.GIVEN
    denied = AuditEvent.objects.get(action=AuditEvent.Action.DENIED)
    assert "SMS inbound webhook" in denied.detail


def test_a_body_changed_after_signing_is_refused(client, visit, settings):
    from twilio.request_validator import RequestValidator

    signed = {"MessageSid": "SMx", "From": MOBILE, "To": CLINIC_NUMBER, "Body": "C"}
    signature = RequestValidator(TOKEN).compute_signature(
        settings.SITE_URL + reverse("sessions:sms-inbound"), signed
    )

    response = signed_post(
        client, "sessions:sms-inbound", {**signed, "Body": "STOP"}, signature=signature
    )

    assert response.status_code == 403


def test_without_a_token_every_text_is_refused(client, visit, settings):
    settings.TWILIO_AUTH_TOKEN = ""

    response, reply = text(client, "C")

    assert response.status_code == 403 and reply is None


def test_a_get_is_not_allowed(client):
    assert client.get(reverse("sessions:sms-inbound")).status_code == 405


# --- The call list --------------------------------------------------------------------------


@pytest.fixture
def task_with_reply(client, visit):
    text(client, "Can I bring my own pillow?")
    client.logout()
    return CallTask.objects.get()


def test_front_desk_reads_the_reply_on_the_call_list_and_it_is_audited(
    client_for, front_desk, task_with_reply
):
    response = client_for(front_desk).get(reverse("home"))

    assert "Can I bring my own pillow?" in response.content.decode()
    read = AuditEvent.objects.get(
        action=AuditEvent.Action.VIEW, object_type="treatment_sessions.smsreply"
    )
    assert read.user == front_desk and read.patient == task_with_reply.patient


@pytest.mark.parametrize("role", ["physio", "clinic_admin"])
def test_other_roles_do_not_see_the_reply(client_for, request, role, task_with_reply):
    user = request.getfixturevalue(role)

    response = client_for(user).get(reverse("home"))

    assert response.status_code == 200
    assert "pillow" not in response.content.decode()
    assert not AuditEvent.objects.filter(
        action=AuditEvent.Action.VIEW, object_type="treatment_sessions.smsreply"
    ).exists()


def test_anonymous_is_sent_to_sign_in(client, task_with_reply):
    response = client.get(reverse("home"))

    assert response.status_code == 302
    assert "pillow" not in response.content.decode()


# --- Signing by hand (manage.py sms_sign) ---------------------------------------------------


def test_sms_sign_prints_the_signature_the_webhook_accepts(client, visit, settings):
    url = settings.SITE_URL + reverse("sessions:sms-inbound")
    out = io.StringIO()

    call_command("sms_sign", url, f"From={MOBILE}", "Body=C", "MessageSid=SMhand", stdout=out)

    params = {"From": MOBILE, "Body": "C", "MessageSid": "SMhand"}
    response = signed_post(client, "sessions:sms-inbound", params, signature=out.getvalue().strip())
    assert "is confirmed" in answered(response)


def test_sms_sign_refuses_without_a_token(settings):
    settings.TWILIO_AUTH_TOKEN = ""

    with pytest.raises(CommandError, match="TWILIO_AUTH_TOKEN is empty"):
        call_command("sms_sign", "http://127.0.0.1:8000/sms/inbound/", "Body=C")


def test_sms_sign_refuses_a_field_without_a_value(settings):
    with pytest.raises(CommandError, match="Field=value"):
        call_command("sms_sign", "http://127.0.0.1:8000/sms/inbound/", "Body")


# --- From the newcomer run: rebooking, a family phone, a text without a sender -----------


def test_r_withdraws_a_confirmation_and_a_second_r_adds_no_second_call(client, visit):
    text(client, "C")
    visit.refresh_from_db()
    assert visit.confirmed_at is not None

    text(client, "R")
    visit.refresh_from_db()
    assert (visit.confirmed_at, visit.confirmed_via) == (None, "")
    text(client, "r")
    calls = CallTask.objects.open().filter(patient=visit.patient)
    assert [c.reason for c in calls] == [
        "Asked by text to rebook the visit on Tue 24 Nov at 9:30 AM"
    ]
    assert AuditEvent.objects.filter(
        detail="confirmation withdrawn: asked by text to rebook", object_id=str(visit.pk)
    ).exists()


def test_a_family_phone_with_two_reminders_out_becomes_a_call_not_a_guess(
    client, patient, visit, clinic_location
):
    sister = texting_patient(legal_first_name="Helene")
    hers = visit_for(sister, local(2026, 11, 24, 14), location=clinic_location)
    reminder_texted(visit, sid="SMmarcus", sent_at=local(2026, 11, 20, 9))
    reminder_texted(hers, sid="SMhelene", sent_at=local(2026, 11, 20, 9, 30))

    response, reply = text(client, "C")

    visit.refresh_from_db()
    hers.refresh_from_db()
    assert visit.confirmed_at is None and hers.confirmed_at is None
    assert reply.action == SmsReply.Action.TASK and reply.patient is None
    (call,) = CallTask.objects.open()
    assert call.reason.startswith("Replied by text from a number 2 patients share")


def test_a_family_phone_with_one_reminder_out_answers_that_reminder(
    client, patient, visit, clinic_location
):
    texting_patient(legal_first_name="Helene")  # same number, no visit texted
    reminder_texted(visit, sid="SMmarcus", sent_at=local(2026, 11, 20, 9))

    text(client, "C")

    visit.refresh_from_db()
    assert visit.confirmed_via == Confirmation.SMS


def test_a_signed_text_without_a_sender_is_a_bad_request_not_an_error(client, visit):
    params = {"MessageSid": "SMnofrom", "To": CLINIC_NUMBER, "Body": "C"}
    assert signed_post(client, "sessions:sms-inbound", params).status_code == 400
    assert not SmsReply.objects.exists()


def test_control_characters_in_a_text_are_dropped(client, visit):
    _, reply = text(client, "hi\x01there\x07")
    assert reply.body == "hithere"
