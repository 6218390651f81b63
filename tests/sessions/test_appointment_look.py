"""How an appointment's status looks: ``sessions/templatetags/appointments.py`` is the one
mapping from ``Appointment.Status`` to its badge colour."""

import pytest
from django.template import Context, Template

from sessions.models import Appointment
from sessions.templatetags.appointments import status_colour


@pytest.mark.parametrize(
    ("status", "colour"),
    [
        (Appointment.Status.BOOKED, "light border"),
        (Appointment.Status.ARRIVED, "info"),
        (Appointment.Status.COMPLETED, "dark"),
        (Appointment.Status.CANCELLED, "secondary"),
        (Appointment.Status.NO_SHOW, "secondary"),
    ],
)
def test_each_appointment_status_has_its_badge_colour(status, colour):
    assert status_colour(status) == colour


def test_a_template_maps_an_appointment_status_given_as_its_stored_text():
    rendered = Template(
        '{% load appointments %}<span class="badge text-bg-{{ status|status_colour }}">'
    ).render(Context({"status": "no_show"}))
    assert rendered == '<span class="badge text-bg-secondary">'
