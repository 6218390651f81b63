"""Addresses of follow-up pages that go out in messages (staff pages, behind the login)."""

from django.conf import settings
from django.urls import reverse


def alert_url(alert_id: int) -> str:
    """The full address of an alert's page, for the physiotherapist's email."""
    return settings.SITE_URL + reverse("sessions:alert", args=[alert_id])
