"""How an appointment's status looks: the one mapping from ``Appointment.Status`` to the
Bootstrap colour of its badge on the calendars."""

from django import template

from sessions.models import Appointment

register = template.Library()


STATUS_COLOUR: dict[str, str] = {
    Appointment.Status.BOOKED: "light border",
    Appointment.Status.ARRIVED: "info",
    Appointment.Status.COMPLETED: "dark",
    Appointment.Status.CANCELLED: "secondary",
    Appointment.Status.NO_SHOW: "secondary",
}


@register.filter
def status_colour(status: str) -> str:
    """The Bootstrap colour of an appointment status badge (``text-bg-<colour>``)."""
    return STATUS_COLOUR[Appointment.Status(status)]
