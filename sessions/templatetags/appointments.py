"""How an appointment's status looks: the one mapping from ``Appointment.Status`` to the
Bootstrap colour of its badge on the calendars."""

from django import template

from sessions.models import Appointment

register = template.Library()

Status = Appointment.Status

STATUS_COLOUR: dict[str, str] = {
    Status.BOOKED: "light border",
    Status.ARRIVED: "info",
    Status.COMPLETED: "dark",
    Status.CANCELLED: "secondary",
    Status.NO_SHOW: "secondary",
}


@register.filter
def status_colour(status: str) -> str:
    """The Bootstrap colour of an appointment status badge (``text-bg-<colour>``)."""
    return STATUS_COLOUR[Status(status)]
