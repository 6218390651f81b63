"""The booking form is sent once: a resend lands on the visit it booked."""

from django.urls import reverse

from clinic import once
from sessions.models import Appointment
from tests.factories import PatientFactory


def test_a_resent_booking_form_lands_on_the_visit_booked_the_first_time(
    client_for, front_desk, physio, location, treatment, hours
):
    client = client_for(front_desk)
    patient = PatientFactory(email="")
    url = reverse("sessions:appointment-new") + f"?patient={patient.pk}"
    assert f'name="{once.FIELD}"' in client.get(url).content.decode()
    data = {
        "practitioner": physio.pk,
        "location": location.pk,
        "type": treatment.pk,
        "start": "2026-11-23T09:00",
        once.FIELD: "b" * 32,
    }
    client.post(url, data)
    again = client.post(url, data)
    appointment = Appointment.objects.get()
    assert again.url == reverse("sessions:appointment-detail", args=[appointment.pk])
    assert "already sent and saved" in client.get(again.url).content.decode()
