"""Channels per patient and SMS consent: no text without consent on record, opt-out
honoured, the choice changeable by staff (audited) and by the patient from their link."""

from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from clinic.links import make_token
from clinic.models import AuditEvent
from intake import services
from intake.models import (
    Channel,
    MessagePurpose,
    MessagesLink,
    Patient,
    SmsConsent,
    SmsConsentEvent,
)
from tests.factories import PatientFactory

REMINDER, CHECKIN = MessagePurpose.REMINDER, MessagePurpose.CHECKIN
EMAIL, SMS, BOTH = Channel.EMAIL, Channel.SMS, Channel.BOTH


def person(**fields) -> Patient:
    """A patient in memory (no database): a mobile and an email, consent as given."""
    values = {
        "mobile": "+14035550101",
        "email": "pat@example.com",
        "email_reminders": True,
        "reminder_channel": EMAIL,
        "checkin_channel": EMAIL,
        "sms_consent": SmsConsent.NONE,
    }
    return Patient(**{**values, **fields})


# --- The matrix: plain functions over one patient ----------------------------------


@pytest.mark.parametrize("consent", [SmsConsent.NONE, SmsConsent.WITHDRAWN, SmsConsent.OPTED_OUT])
@pytest.mark.parametrize("channel", [EMAIL, SMS, BOTH])
@pytest.mark.parametrize("purpose", [REMINDER, CHECKIN])
def test_without_consent_on_record_no_text_goes_whatever_the_choice(consent, channel, purpose):
    patient = person(reminder_channel=channel, checkin_channel=channel, sms_consent=consent)
    assert not services.sms_allowed(patient, purpose)
    assert SMS not in services.channels_for(patient, purpose)
    assert services.sms_refusal(patient, purpose)


def test_consent_a_mobile_and_texts_chosen_send_a_text_only():
    patient = person(reminder_channel=SMS, sms_consent=SmsConsent.GIVEN)
    assert services.channels_for(patient, REMINDER) == {SMS}
    assert services.sms_allowed(patient, REMINDER)


def test_both_sends_a_text_and_an_email():
    patient = person(reminder_channel=BOTH, sms_consent=SmsConsent.GIVEN)
    assert services.channels_for(patient, REMINDER) == {SMS, EMAIL}


def test_reminders_and_check_ins_are_chosen_separately():
    patient = person(reminder_channel=SMS, checkin_channel=EMAIL, sms_consent=SmsConsent.GIVEN)
    assert services.channels_for(patient, REMINDER) == {SMS}
    assert services.channels_for(patient, CHECKIN) == {EMAIL}
    assert not services.sms_allowed(patient, CHECKIN)


def test_consent_given_but_email_chosen_sends_no_text():
    patient = person(sms_consent=SmsConsent.GIVEN)
    assert services.channels_for(patient, REMINDER) == {EMAIL}
    assert services.sms_refusal(patient, REMINDER) == "The patient chose email for these messages."


def test_texts_chosen_but_opted_out_fall_back_to_email():
    patient = person(reminder_channel=SMS, sms_consent=SmsConsent.OPTED_OUT)
    assert services.channels_for(patient, REMINDER) == {EMAIL}
    assert "STOP" in services.sms_refusal(patient, REMINDER)


def test_texts_chosen_without_a_mobile_fall_back_to_email():
    patient = person(reminder_channel=SMS, sms_consent=SmsConsent.GIVEN, mobile="")
    assert services.channels_for(patient, REMINDER) == {EMAIL}
    assert "mobile" in services.sms_refusal(patient, REMINDER)


def test_an_invalid_mobile_on_file_is_no_mobile():
    patient = person(reminder_channel=SMS, sms_consent=SmsConsent.GIVEN, mobile="555-12")
    assert not services.sms_allowed(patient, REMINDER)


def test_no_fallback_to_email_the_patient_declined():
    patient = person(reminder_channel=SMS, email_reminders=False)
    assert services.channels_for(patient, REMINDER) == set()
    assert services.channels_for(person(email=""), REMINDER) == set()


def test_an_unknown_purpose_is_an_error_not_a_guess():
    with pytest.raises(ValueError):
        services.channels_for(person(), "newsletter")


# --- Recording consent and opt-out -------------------------------------------------


@pytest.fixture
def patient(db):
    return PatientFactory(email="pat@example.com", mobile="+14035550101")


def choose(patient, *, reminder=SMS, checkin=EMAIL, consent=True, by=None, **kwargs):
    return services.patient_messages_set(
        patient=patient,
        reminder_channel=reminder,
        checkin_channel=checkin,
        sms_consent=consent,
        source=kwargs.pop("source", SmsConsentEvent.Source.FRONT_DESK),
        by=by,
        **kwargs,
    )


def test_agreeing_records_when_how_and_by_whom(patient, front_desk):
    (event,) = choose(patient, by=front_desk)
    assert (event.kind, event.source, event.recorded_by) == ("given", "front_desk", front_desk)
    assert str(event.mobile) == "+14035550101"
    stored = Patient.objects.get(pk=patient.pk)
    assert stored.sms_consent == SmsConsent.GIVEN and stored.reminder_channel == SMS
    assert stored.sms_consent_changed_at == event.at
    assert services.channels_for(stored, REMINDER) == {SMS}


def test_saving_the_same_consent_again_records_no_new_event(patient):
    choose(patient)
    assert choose(patient, reminder=BOTH) == []
    assert SmsConsentEvent.objects.filter(patient=patient).count() == 1


def test_unticking_consent_withdraws_it(patient):
    choose(patient)
    (event,) = choose(patient, reminder=EMAIL, consent=False)
    assert event.kind == SmsConsentEvent.Kind.WITHDRAWN
    assert not services.sms_allowed(Patient.objects.get(pk=patient.pk), REMINDER)


def test_texts_without_consent_are_refused_on_the_consent_box(patient):
    with pytest.raises(ValidationError) as refused:
        choose(patient, consent=False)
    assert "sms_consent" in refused.value.message_dict
    assert not SmsConsentEvent.objects.exists()


def test_texts_without_a_mobile_are_refused_on_the_mobile_field(db):
    patient = PatientFactory(email="x@example.com", mobile="")
    with pytest.raises(ValidationError) as refused:
        choose(patient)
    assert "mobile" in refused.value.message_dict


def test_email_without_an_address_is_refused_on_that_choice(db):
    patient = PatientFactory(email="", mobile="+14035550102")
    with pytest.raises(ValidationError) as refused:
        choose(patient, reminder=SMS, checkin=EMAIL)
    assert set(refused.value.message_dict) == {"checkin_channel"}


def test_stop_opts_out_even_with_texts_chosen_and_start_opts_back_in(patient):
    choose(patient)
    out = services.sms_opt_out(patient=patient)
    stored = Patient.objects.get(pk=patient.pk)
    assert stored.sms_consent == SmsConsent.OPTED_OUT and stored.reminder_channel == SMS
    assert services.channels_for(stored, REMINDER) == {EMAIL}
    assert (out.kind, out.source, out.recorded_by) == ("opted_out", "sms_reply", None)
    back = services.sms_opt_in(patient=stored)
    assert back.kind == SmsConsentEvent.Kind.OPTED_IN
    assert services.channels_for(Patient.objects.get(pk=patient.pk), REMINDER) == {SMS}


def test_every_stop_is_recorded_at_its_time(patient):
    at = timezone.now() - timedelta(hours=2)
    services.sms_opt_out(patient=patient, at=at)
    services.sms_opt_out(patient=patient)
    events = SmsConsentEvent.objects.filter(patient=patient, kind="opted_out").order_by("at")
    assert events.count() == 2 and events[0].at == at


# --- The preferences link ----------------------------------------------------------


def test_the_link_is_reused_while_it_has_half_its_life_left(patient, settings):
    settings.MESSAGES_LINK_DAYS = 10
    now = timezone.now()
    first = services.preferences_link(patient, now=now)
    assert services.preferences_link(patient, now=now + timedelta(days=4)) == first
    later = services.preferences_link(patient, now=now + timedelta(days=6))
    assert later != first
    assert MessagesLink.objects.filter(patient=patient).count() == 2
    assert first.startswith(settings.SITE_URL + "/p/")


def _path(url: str, settings) -> str:
    return url.removeprefix(settings.SITE_URL)


def test_the_patient_switches_reminders_to_texts_from_their_link(patient, settings):
    url = _path(services.preferences_link(patient), settings)
    page = Client().get(url)
    assert page.status_code == 200 and "Visit reminders" in page.content.decode()
    response = Client().post(
        url,
        {
            "mobile": "(403) 555-0177",
            "reminder_channel": SMS,
            "checkin_channel": EMAIL,
            "sms_consent": "on",
        },
    )
    assert response.status_code == 200 and "choices are saved" in response.content.decode()
    stored = Patient.objects.get(pk=patient.pk)
    assert str(stored.mobile) == "+14035550177"
    assert services.channels_for(stored, REMINDER) == {SMS}
    event = SmsConsentEvent.objects.get(patient=patient)
    assert (event.source, event.recorded_by) == ("patient_link", None)
    audits = AuditEvent.objects.filter(patient=patient, role="patient", url_name="intake:messages")
    assert audits.filter(action="view").exists() and audits.filter(action="update").exists()


def test_consent_given_from_the_online_booking_page_is_recorded_as_online_booking(
    patient, settings
):
    """The online booking's last page links to the patient's choices with ?via=booking."""
    url = _path(services.preferences_link(patient), settings) + "?via=booking"
    form = Client().get(url).content.decode()
    assert '<form method="post"' in form and "action=" not in form.split("<form", 1)[1][:60]
    Client().post(
        url,
        {
            "mobile": "403 555 0177",
            "reminder_channel": SMS,
            "checkin_channel": SMS,
            "sms_consent": "on",
        },
    )
    event = SmsConsentEvent.objects.get(patient=patient)
    assert (event.source, event.recorded_by) == ("online_booking", None)
    assert event.get_source_display() == "Online booking"


def test_a_bad_mobile_on_the_link_page_keeps_what_was_typed_and_saves_nothing(patient, settings):
    url = _path(services.preferences_link(patient), settings)
    data = {"mobile": "403 55", "reminder_channel": SMS, "checkin_channel": EMAIL}
    response = Client().post(url, {**data, "sms_consent": "on"})
    page = response.content.decode()
    assert response.status_code == 200
    assert 'value="403 55"' in page and "not a phone number we can read" in page
    assert not SmsConsentEvent.objects.exists()


def test_texts_without_the_box_ticked_are_refused_on_the_link_page(patient, settings):
    url = _path(services.preferences_link(patient), settings)
    response = Client().post(
        url, {"mobile": "403 555 0101", "reminder_channel": SMS, "checkin_channel": EMAIL}
    )
    assert "tick the box" in response.content.decode()
    assert Patient.objects.get(pk=patient.pk).reminder_channel == EMAIL


def test_a_link_reaches_only_its_own_patient(patient, settings):
    other = PatientFactory(email="other@example.com")
    mine = MessagesLink.objects.create(patient=patient, nonce="mine-" + "a" * 20)
    theirs = MessagesLink.objects.create(patient=other, nonce="theirs-" + "b" * 20)
    forged = make_token(services.MESSAGES_PURPOSE, mine.pk, theirs.nonce)
    assert Client().get(reverse("intake:messages", args=[forged])).status_code == 404
    other_purpose = make_token(services.INVITATION_PURPOSE, mine.pk, mine.nonce)
    assert Client().get(reverse("intake:messages", args=[other_purpose])).status_code == 404
    genuine = make_token(services.MESSAGES_PURPOSE, mine.pk, mine.nonce)
    Client().post(
        reverse("intake:messages", args=[genuine]),
        {"reminder_channel": BOTH, "checkin_channel": EMAIL, "mobile": "4035550101"},
    )
    assert Patient.objects.get(pk=other.pk).reminder_channel == EMAIL


def test_an_expired_link_is_refused(patient, settings):
    url = _path(services.preferences_link(patient), settings)
    with time_machine.travel(timezone.now() + timedelta(days=settings.MESSAGES_LINK_DAYS + 1)):
        assert Client().get(url).status_code == 404


def test_an_opted_out_patient_sees_why_they_get_no_texts(patient, settings):
    services.sms_opt_out(patient=patient)
    url = _path(services.preferences_link(patient), settings)
    assert "You replied STOP" in Client().get(url).content.decode()


# --- The staff page ----------------------------------------------------------------


def test_front_desk_records_consent_and_it_is_audited_and_shown(client_for, front_desk, patient):
    client = client_for(front_desk)
    url = reverse("intake:patient-messages", args=[patient.pk])
    response = client.post(
        url, {"reminder_channel": SMS, "checkin_channel": BOTH, "sms_consent": "on"}
    )
    assert response.status_code == 302
    event = SmsConsentEvent.objects.get(patient=patient)
    assert (event.source, event.recorded_by) == ("front_desk", front_desk)
    audit = AuditEvent.objects.get(user=front_desk, action="update", patient=patient)
    assert "Agreed to texts" in audit.detail
    detail = client.get(reverse("intake:patient-detail", args=[patient.pk])).content.decode()
    assert "Agreed to texts" in detail and "(403) 555-0101" in detail


def test_the_staff_page_shows_a_refusal_on_the_form(client_for, front_desk, patient):
    response = client_for(front_desk).post(
        reverse("intake:patient-messages", args=[patient.pk]),
        {"reminder_channel": SMS, "checkin_channel": EMAIL},
    )
    assert response.status_code == 200
    assert "tick the box" in response.content.decode()


def test_a_clinic_admin_cannot_change_a_patient_s_messages(client_for, clinic_admin, patient):
    response = client_for(clinic_admin).post(
        reverse("intake:patient-messages", args=[patient.pk]),
        {"reminder_channel": SMS, "checkin_channel": EMAIL, "sms_consent": "on"},
    )
    assert response.status_code == 403
    assert not SmsConsentEvent.objects.exists()
    assert AuditEvent.objects.filter(action="denied", patient=patient).exists()


def test_staff_stop_the_patient_s_links(client_for, physio, patient, settings):
    url = _path(services.preferences_link(patient), settings)
    client_for(physio).post(
        reverse("intake:patient-messages", args=[patient.pk]), {"revoke_links": "1"}
    )
    assert Client().get(url).status_code == 404


# --- Consent given at registration -------------------------------------------------

NEW_PATIENT = {
    "legal_first_name": "Ines",
    "legal_last_name": "Ferreira",
    "date_of_birth": "1985-03-02",
    "sex": "female",
    "province": "AB",
    "email": "ines@example.com",
    "email_reminders": "on",
}


def test_consent_given_at_registration_is_recorded_as_such(client_for, front_desk):
    client_for(front_desk).post(
        reverse("intake:patient-create"),
        {**NEW_PATIENT, "mobile": "403 555 0190", "sms_consent": "on"},
    )
    patient = Patient.objects.get()
    event = SmsConsentEvent.objects.get(patient=patient)
    assert (event.kind, event.source, event.recorded_by) == ("given", "intake", front_desk)
    assert services.channels_for(patient, REMINDER) == {SMS, EMAIL}
    assert AuditEvent.objects.get(action="create", patient=patient).detail == "SMS consent given"


def test_consent_at_registration_without_a_mobile_is_refused_on_the_mobile(client_for, front_desk):
    response = client_for(front_desk).post(
        reverse("intake:patient-create"), {**NEW_PATIENT, "sms_consent": "on"}
    )
    assert response.status_code == 200
    assert "Add the mobile number the patient agreed to texts at." in response.content.decode()
    assert not Patient.objects.exists()


def test_registering_without_the_box_records_no_consent(client_for, front_desk):
    client_for(front_desk).post(
        reverse("intake:patient-create"), {**NEW_PATIENT, "mobile": "403 555 0191"}
    )
    patient = Patient.objects.get()
    assert patient.sms_consent == SmsConsent.NONE
    assert services.channels_for(patient, REMINDER) == {EMAIL}


def test_the_edit_form_does_not_offer_the_consent_box(client_for, front_desk, patient):
    page = client_for(front_desk).get(reverse("intake:patient-edit", args=[patient.pk]))
    assert 'name="sms_consent"' not in page.content.decode()


def test_agreeing_to_texts_at_a_new_number_is_recorded_with_that_number(patient, settings):
    url = _path(services.preferences_link(patient), settings)
    data = {"reminder_channel": SMS, "checkin_channel": EMAIL, "sms_consent": "on"}
    Client().post(url, {**data, "mobile": "403 555 0141"})
    Client().post(url, {**data, "mobile": "403 555 0141"})  # the same again: nothing new
    Client().post(url, {**data, "mobile": "403 555 0142"})
    events = SmsConsentEvent.objects.filter(patient=patient).order_by("at", "id")
    assert [(e.kind, str(e.mobile)) for e in events] == [
        ("given", "+14035550141"),
        ("given", "+14035550142"),
    ]
