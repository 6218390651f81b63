"""The ``Server-Timing`` header: how long the app took over each staff response."""

import time

from django.conf import settings

from clinic.roles import mfa_required


class ServerTimingMiddleware:
    """Adds ``Server-Timing: app;dur=<ms>`` to a response to a signed-in member of staff
    (second factor done where their role needs one), and to every response when
    ``DEBUG``: the milliseconds, to one decimal, from this middleware's entry to the
    response it hands back (the middleware below it, the view and the template; a
    streamed file's body is sent afterwards and not counted). Browsers' developer tools
    and the chart-speed browser test read it. The login page and the patients' links
    (token look-ups) get none: their timing would help only someone guessing."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        if settings.DEBUG or _staff(request):
            timing = f"app;dur={(time.perf_counter() - started) * 1000:.1f}"
            earlier = response.get("Server-Timing")
            response["Server-Timing"] = f"{earlier}, {timing}" if earlier else timing
        return response


def _staff(request) -> bool:
    """Signed in by the authentication middleware below this one, second factor done
    where the role needs one (the patients have no accounts: their links carry tokens).
    A user signed in by this very request (the login form) is not verified yet."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return False
    is_verified = getattr(user, "is_verified", None)  # django_otp's middleware adds it
    return not mfa_required(user) or bool(is_verified and is_verified())
