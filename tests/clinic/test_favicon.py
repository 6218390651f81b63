"""Every page names its icon, and /favicon.ico (asked for by browsers on their own) leads
to it instead of a 404 in every log."""

from django.contrib.staticfiles import finders
from django.templatetags.static import static


def test_favicon_ico_leads_to_the_icon(client, db):
    response = client.get("/favicon.ico")
    assert response.status_code == 302
    assert response.url == static("img/favicon.svg")
    assert finders.find("img/favicon.svg")


def test_pages_name_the_icon(client, db):
    page = client.get("/accounts/login/").content.decode()
    assert f'<link rel="icon" href="{static("img/favicon.svg")}" type="image/svg+xml">' in page
