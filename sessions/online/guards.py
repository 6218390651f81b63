"""Abuse guards for the public booking pages: rate limits per address and per email
(``clinic.throttle`` counters in the shared cache) and a honeypot field.

Limits (settings, per ``ONLINE_LIMIT_WINDOW_SECONDS``): ``hold`` (slots held),
``code`` (sign-in and confirmation emails asked for), ``booking`` (bookings,
cancellations, moves and wait-list entries made). Past a limit the caller answers with
``too_many`` (429) and does nothing else.
"""

from django import forms
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from clinic import throttle
from clinic.audit import client_ip

LIMITS = {
    "hold": "ONLINE_HOLD_LIMIT",
    "code": "ONLINE_CODE_LIMIT",
    "booking": "ONLINE_BOOKING_LIMIT",
}
HONEYPOT = "website"


def limit_reached(request: HttpRequest, kind: str, *, email: str = "") -> str:
    """Count one more ``kind`` event ("hold", "code", "booking") from the request's
    address and, when given, for ``email`` (case-folded); returns which count is past
    its limit, "address" first, then "email", or "" when neither is. Raises KeyError for
    an unknown kind."""
    limit = getattr(settings, LIMITS[kind])
    window = settings.ONLINE_LIMIT_WINDOW_SECONDS
    by_address = throttle.hit(f"online:{kind}:ip:{client_ip(request) or 'unknown'}", window=window)
    by_email = (
        throttle.hit(f"online:{kind}:email:{email.strip().lower()}", window=window) if email else 0
    )
    if by_address > limit:
        return "address"
    return "email" if by_email > limit else ""


def over_limit(request: HttpRequest, kind: str, *, email: str = "") -> bool:
    """Whether ``limit_reached`` finds either count past its limit."""
    return bool(limit_reached(request, kind, email=email))


def too_many(request: HttpRequest) -> HttpResponse:
    """The 429 page: too many tries from here; wait an hour or call the clinic."""
    return render(request, "online/too_many.html", status=429)


class HoneypotMixin(forms.Form):
    """A field people never see (hidden by CSS, skipped by screen readers and the tab
    order) but form-filling robots do fill; the form is then refused with a plain
    message, and the view saves nothing."""

    website = forms.CharField(
        required=False,
        label="Leave this field empty",
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    def clean_website(self) -> str:
        if self.cleaned_data.get(HONEYPOT):
            raise forms.ValidationError("This form could not be sent. Please call the clinic.")
        return ""
