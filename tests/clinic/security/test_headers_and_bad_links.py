"""Security headers on every response, and the one plain page for a bad patient link."""

import re

from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from intake import services as intake_services
from tests.factories import PatientFactory


class TestHeaders:
    def test_content_security_policy_and_friends(self, client, db):
        response = client.get(reverse("login"))
        csp = response["Content-Security-Policy"]
        assert "object-src 'none'" in csp and "base-uri 'none'" in csp
        assert "frame-ancestors 'none'" in csp
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Referrer-Policy"] == "same-origin"
        assert response["X-Frame-Options"] == "DENY"

    def test_no_inline_script_or_style_in_any_template(self, settings):
        for path in (settings.BASE_DIR / "templates").rglob("*.html"):
            if "emails" in path.parts or path.name == "500.html":
                continue  # mail clients need inline styles; 500.html must not depend on static
            text = path.read_text()
            assert not re.search(r"<script(?![^>]*\bsrc=)", text), path
            assert " style=" not in text and "<style" not in text, path
            assert " onclick=" not in text and " onload=" not in text, path

    def test_static_files_keep_their_long_cache(self, settings, db):
        # Whitenoise serves from the finders here, as it does under DEBUG; production
        # serves the same files from STATIC_ROOT with the same headers.
        settings.WHITENOISE_USE_FINDERS = True
        settings.WHITENOISE_AUTOREFRESH = True
        settings.WHITENOISE_MAX_AGE = 31536000
        response = Client().get("/static/css/clinic.css")
        assert response.status_code == 200
        assert "max-age=31536000" in response["Cache-Control"]
        assert "no-store" not in response["Cache-Control"]

    def test_the_sign_in_page_and_errors_are_not_stored_either(self, client, db):
        for url in (reverse("login"), "/no-such-page/", reverse("healthz")):
            directives = client.get(url)["Cache-Control"]
            assert "no-store" in directives and "private" in directives, url

    def test_hsts_for_a_year_with_subdomains_when_https(self, settings, db):
        settings.SECURE_HSTS_SECONDS = 31536000
        settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
        settings.SECURE_SSL_REDIRECT = False
        response = Client().get(reverse("login"), secure=True)
        assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


class TestBadLinks:
    def test_repeated_bad_links_are_refused_for_a_while(self, client, front_desk, settings):
        cache.clear()
        settings.BAD_LINK_LIMIT = 3
        patient = PatientFactory(email="p@example.com")
        good = intake_services.invitation_link(
            intake_services.intake_invite(patient=patient, sent_by=front_desk)
        ).removeprefix("http://127.0.0.1:8000")
        assert client.get(good).status_code == 302
        for _ in range(2):
            assert client.get(reverse("intake:fill", args=["bad"])).status_code == 404
        assert client.get(reverse("intake:fill", args=["bad"])).status_code == 429
        assert client.get(reverse("intake:fill", args=["bad2"])).status_code == 429
        assert (
            client.get(
                reverse("intake:fill", args=["bad"]), REMOTE_ADDR="198.51.100.20"
            ).status_code
            == 404
        )

    def test_bad_links_from_a_stranger_do_not_lock_patients_out(self, client, front_desk, settings):
        """The clinic's Wi-Fi is one address for everyone in the waiting room."""
        cache.clear()
        settings.BAD_LINK_LIMIT = 3
        patient = PatientFactory(email="p@example.com")
        good = intake_services.invitation_link(
            intake_services.intake_invite(patient=patient, sent_by=front_desk)
        ).removeprefix("http://127.0.0.1:8000")
        for _ in range(5):
            client.get(reverse("intake:fill", args=["bad"]))
        assert Client().get(good).status_code == 302
        cache.clear()
