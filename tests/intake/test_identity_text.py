"""Invisible and direction-changing characters in names, and the size of intake drafts."""

import pytest
from django.urls import reverse

from clinic.text import identity_text
from intake import services
from intake.forms import ConsentStep
from intake.models import Intake, Patient
from tests.factories import PatientFactory

CONTROLS = [
    "\u202a", "\u202b", "\u202c", "\u202d", "\u202e",
    "\u2066", "\u2067", "\u2068", "\u2069",
    "\u200e", "\u200f", "\u061c", "\u200b", "\ufeff", "\u2060", "\x00", "\x07",
]  # fmt: skip


@pytest.mark.parametrize("control", CONTROLS)
def test_every_bidirectional_and_invisible_control_is_removed(control):
    assert identity_text(f"Ev{control}ans") == "Evans"


def test_joiners_that_spell_a_name_are_kept_and_spacing_is_tidied():
    assert identity_text("  می\u200cخواهم   Rahimi ") == "می\u200cخواهم Rahimi"


IDENTITY_FIELDS = [
    "legal_first_name",
    "legal_last_name",
    "preferred_name",
    "gender",
    "city",
    "emergency_contact_name",
    "emergency_contact_relationship",
]


def test_a_right_to_left_override_in_any_identity_field_is_not_stored(client_for, front_desk):
    data = {
        "date_of_birth": "1980-01-01",
        "sex": "male",
        "province": "AB",
        **{name: "Evil\u202egpj.exe" for name in IDENTITY_FIELDS},
    }
    response = client_for(front_desk).post(reverse("intake:patient-create"), data)
    assert response.status_code == 302
    patient = Patient.objects.get()
    for name in IDENTITY_FIELDS:
        assert getattr(patient, name) == "Evilgpj.exe", name


def test_a_name_of_only_invisible_characters_is_refused_with_a_message(client_for, front_desk):
    response = client_for(front_desk).post(
        reverse("intake:patient-create"),
        {
            "legal_first_name": "\u202e\u200f",
            "legal_last_name": "Evans",
            "date_of_birth": "1980-01-01",
            "sex": "male",
            "province": "AB",
        },
    )
    assert "Only invisible characters were typed" in response.content.decode()
    assert not Patient.objects.exists()


def test_the_consent_signature_is_cleaned_the_same_way(db):
    form = ConsentStep({"agree": "on", "signature_name": "Jo\u202e Evans"})
    assert form.is_valid()
    assert form.cleaned_data["signature_name"] == "Jo Evans"


class TestDraftSize:
    @pytest.fixture
    def link(self, front_desk, django_capture_on_commit_callbacks):
        patient = PatientFactory(email="p@example.com")
        with django_capture_on_commit_callbacks(execute=True):
            invitation = services.intake_invite(patient=patient, sent_by=front_desk)
        return services.invitation_link(invitation).removeprefix("http://127.0.0.1:8000")

    def test_an_oversized_draft_is_refused_with_a_message_and_the_typing_stays_on_screen(
        self, client, link
    ):
        data = {"surgeries-TOTAL_FORMS": "1", "surgeries-INITIAL_FORMS": "0"}
        data |= {f"surgeries-{i}-description": "x" * 199 for i in range(200)}
        response = client.post(f"{link}surgeries/", data)
        page = response.content.decode()
        assert response.status_code == 200
        assert "more text than we can keep" in page
        assert "x" * 199 in page
        assert Intake.objects.get().drafts == {}

    def test_a_long_but_normal_draft_is_kept(self, client, link):
        client.post(f"{link}visit/", {"reason": "r" * 2000, "goals": "g" * 2000})
        assert Intake.objects.get().drafts["visit"]["reason"] == ["r" * 2000]
