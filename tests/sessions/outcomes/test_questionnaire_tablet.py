"""Filling in on a clinic tablet: the staff member's press makes the questionnaire,
signs them out and opens it; when done the page asks for the tablet back and offers
no way into the staff session."""

import pytest
from django.urls import reverse

from clinic.models import AuditEvent
from sessions.outcomes.models import Questionnaire
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def patient(db):
    return PatientFactory(email="")  # no email needed: it is filled in there and then


@pytest.mark.parametrize("who", ["front_desk", "physio"])
def test_the_handover_signs_the_staff_member_out_and_opens_the_questionnaire(
    who, patient, client_for, request
):
    staff = request.getfixturevalue(who)
    client = client_for(staff)
    home = reverse("intake:patient-detail", args=[patient.pk])
    assert client.get(home).status_code == 200
    response = client.post(
        reverse("sessions:questionnaire-tablet", args=[patient.pk]), {"instrument": "nprs"}
    )
    q = Questionnaire.objects.get()
    assert (q.trigger, q.sent_by, q.patient) == ("tablet", staff, patient)
    assert response.status_code == 302 and response["Location"].startswith("/q/")
    assert AuditEvent.objects.filter(action="create", object_id=str(q.pk), user=staff).exists()
    # The staff session is gone: a staff page asks for a sign-in.
    again = client.get(home)
    assert again.status_code == 302 and again["Location"].startswith(reverse("login"))
    page = client.get(response["Location"])
    assert page.status_code == 200 and b'name="pain"' in page.content
    done = client.post(response["Location"], {"pain": "3", "submit": "1"}, follow=True)
    html = done.content.decode()
    assert "Thank you — please hand the tablet back" in html
    assert reverse("home") + '"' not in html.replace('href="/static', "")
    assert 'href="/patients' not in html
    assert client.get(home).status_code == 302


def test_no_tablet_for_an_administrator(patient, clinic_admin, client_for):
    response = client_for(clinic_admin).post(
        reverse("sessions:questionnaire-tablet", args=[patient.pk]), {"instrument": "nprs"}
    )
    assert response.status_code == 403
    assert not Questionnaire.objects.exists()


def test_an_unknown_instrument_keeps_the_staff_member_signed_in(patient, physio, client_for):
    client = client_for(physio)
    response = client.post(
        reverse("sessions:questionnaire-tablet", args=[patient.pk]), {"instrument": "nope"}
    )
    assert response["Location"] == reverse("intake:patient-detail", args=[patient.pk])
    assert client.get(response["Location"]).status_code == 200


def test_answers_saved_on_a_tablet_are_never_shown_again(patient, front_desk, client_for):
    """The patient picks an answer (saved in the background), then the tablet goes back
    to the desk: reopening the page from its history shows no answer."""
    client = client_for(front_desk)
    response = client.post(
        reverse("sessions:questionnaire-tablet", args=[patient.pk]), {"instrument": "nprs"}
    )
    link = response["Location"]
    page = client.get(link).content.decode()
    assert "Save and continue later" not in page
    client.post(link, {"pain": "8", "later": "1"})  # what the background save sends
    assert Questionnaire.objects.get().answers == {"pain": 8}
    reopened = client.get(link).content.decode()
    assert 'value="8" id=' in reopened and "checked" not in reopened
