"""Pages that quote an interval or a limit read it from settings, so they stay true when
an operator changes it."""

from django.urls import reverse


def test_message_health_quotes_the_dispatch_interval(client_for, clinic_admin, settings):
    client = client_for(clinic_admin)
    page = client.get(reverse("sessions:message-health")).content.decode()
    assert "dispatches them every 15 seconds" in page
    assert "every minute" not in page
    settings.FOLLOWUP_DISPATCH_SECONDS = 60
    page = client.get(reverse("sessions:message-health")).content.decode()
    assert "dispatches them every 60 seconds" in page


def test_the_too_large_page_quotes_the_request_limit(client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2048
    response = client.post(
        reverse("login"), data="x" * 4096, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 400
    text = response.content.decode()
    assert "the largest request accepted is 2.0" in text
    assert "megabyte" not in text
