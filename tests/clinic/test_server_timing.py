"""The Server-Timing header: on responses to signed-in staff (and every response under
DEBUG), streamed files included, second in the middleware chain so that it times
everything after the no-store header; never on the login page or the patients' links."""

import io
import re

from django.conf import settings as django_settings
from django.http import FileResponse, HttpResponse
from django.test import RequestFactory
from django.urls import reverse

from clinic.timing import ServerTimingMiddleware

APP_TIMING = re.compile(r"^app;dur=\d+\.\d$")


def test_staff_pages_and_refusals_carry_the_app_duration_in_milliseconds(client_for, physio):
    client = client_for(physio)
    for url in (reverse("home"), "/no-such-page/", reverse("sessions:adverse-events")):
        assert APP_TIMING.match(client.get(url)["Server-Timing"]), url


def test_no_timing_without_a_signed_in_member_of_staff(client, db):
    for url in (
        reverse("login"),
        "/no-such-page/",
        reverse("healthz"),
        reverse("sessions:aftercare", args=["not-a-token"]),
    ):
        assert "Server-Timing" not in client.get(url), url
    assert "Server-Timing" not in client.post(reverse("login"), {"username": "x"})


def test_no_timing_before_the_second_factor(client_for, physio):
    client = client_for(physio, verified=False)
    assert "Server-Timing" not in client.get(reverse("home"))


def test_every_response_is_timed_under_debug(client, db, settings):
    settings.DEBUG = True
    assert APP_TIMING.match(client.get(reverse("login"))["Server-Timing"])


def test_it_comes_right_after_the_no_store_middleware():
    assert django_settings.MIDDLEWARE[:2] == [
        "clinic.security.NoStoreMiddleware",
        "clinic.timing.ServerTimingMiddleware",
    ]


def test_a_streamed_file_keeps_streaming_with_its_body_whole(settings):
    settings.DEBUG = True
    middleware = ServerTimingMiddleware(
        lambda request: FileResponse(io.BytesIO(b"BEGIN:VCALENDAR\r\n"), filename="x.ics")
    )

    response = middleware(RequestFactory().get("/calendar.ics"))

    assert response.streaming
    assert APP_TIMING.match(response["Server-Timing"])
    assert b"".join(response.streaming_content) == b"BEGIN:VCALENDAR\r\n"


def test_a_timing_set_by_the_view_is_kept_before_the_app_duration(settings):
    settings.DEBUG = True

    def view(request):
        response = HttpResponse()
        response["Server-Timing"] = "db;dur=2.0"
        return response

    response = ServerTimingMiddleware(view)(RequestFactory().get("/"))

    first, second = response["Server-Timing"].split(", ")
    assert first == "db;dur=2.0"
    assert APP_TIMING.match(second)
