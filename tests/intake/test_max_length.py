"""Every form filled at its fields' maximum lengths saves (or explains itself), never a 500.

Run on PostgreSQL, which, unlike SQLite, enforces column lengths: a derived column
(the folded search name) shorter than what goes into it shows up only there.
"""

import pytest
from django import forms
from django.urls import reverse

from intake import services
from intake.forms import STEPS, ConsentStep, PatientForm
from intake.models import Intake, Patient
from sessions.booking.forms import AppointmentForm, QuickPatientForm
from tests.factories import PatientFactory


def at_max(form_class, **fixed) -> dict:
    """POST data with every length-limited text field filled to its limit."""
    data = {}
    for name, field in form_class.base_fields.items():
        if isinstance(field, forms.EmailField):
            local = "a" * 64
            domain = ".".join(["b" * 61] * 3) + ".ca"
            data[name] = f"{local}@{domain}"[: field.max_length or 254]
        elif isinstance(field, forms.CharField) and field.max_length:
            data[name] = ("Ÿ" * field.max_length)[: field.max_length]
    return {**data, **fixed}


PATIENT_FIXED = {
    "date_of_birth": "1970-01-01",
    "sex": "undisclosed",
    "province": "AB",
    "phone": "4035550100" + "1" * 20,
    "emergency_contact_phone": "4035550100",
    "mobile": "403 555 0100",
    "postal_code": "T2N 1N4",
    "health_number": "123456789",
    "email_reminders": "on",
}


@pytest.fixture
def desk(client_for, front_desk):
    return client_for(front_desk)


@pytest.mark.parametrize(
    "url_name, form_class",
    [("intake:patient-create", PatientForm), ("sessions:appointment-new", QuickPatientForm)],
)
def test_a_new_patient_with_every_name_at_its_limit_is_registered(desk, url_name, form_class):
    data = at_max(
        form_class, **{k: v for k, v in PATIENT_FIXED.items() if k in form_class.base_fields}
    )
    response = desk.post(reverse(url_name), data)
    assert response.status_code == 302, response.content.decode()[-2000:]
    patient = Patient.objects.get()
    assert patient.legal_last_name == "Ÿ" * 100
    assert list(Patient.objects.search("Ÿ" * 5)) == [patient]


def test_editing_a_patient_with_every_field_at_its_limit_saves(desk):
    patient = PatientFactory()
    data = at_max(PatientForm, **PATIENT_FIXED)
    response = desk.post(reverse("intake:patient-edit", args=[patient.pk]), data)
    assert response.status_code == 302, response.content.decode()[-2000:]


def test_every_intake_step_and_the_consent_at_their_limits_are_not_an_error(
    client, front_desk, django_capture_on_commit_callbacks
):
    patient = PatientFactory(email="p@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        invitation = services.intake_invite(patient=patient, sent_by=front_desk)
    link = services.invitation_link(invitation).removeprefix("http://127.0.0.1:8000")
    for step, form_class in STEPS:
        if step == "surgeries":
            data = {
                "surgeries-TOTAL_FORMS": "1",
                "surgeries-INITIAL_FORMS": "0",
                "surgeries-0-date": "2020-01-01",
                "surgeries-0-description": "Ÿ" * 200,
            }
        else:
            data = at_max(form_class)
        response = client.post(f"{link}{step}/", data)
        assert response.status_code < 500, step
    response = client.post(f"{link}consent/", at_max(ConsentStep, agree="on"))
    assert response.status_code < 500
    assert Intake.objects.get().drafts or Intake.objects.get().answers


def test_the_booking_form_at_its_limits_is_not_an_error(desk):
    patient = PatientFactory()
    response = desk.post(
        reverse("sessions:appointment-new") + f"?patient={patient.pk}", at_max(AppointmentForm)
    )
    assert response.status_code == 200  # refused with messages (no time chosen), not a 500


def test_an_email_that_lengthens_when_lower_cased_gets_a_message_not_a_500(desk):
    domain = ".".join(["İ" * 60] * 3) + ".ca"  # each İ lower-cases to two characters
    data = {**PATIENT_FIXED, "legal_first_name": "A", "legal_last_name": "B"}
    response = desk.post(reverse("intake:patient-create"), {**data, "email": f"a@{domain}"})
    assert response.status_code == 200
    assert "at most 254 characters" in response.content.decode()
    assert not Patient.objects.exists()
