"""Outcome measures end to end: a physiotherapist sends Ravi (the demo's course of six
needling visits with NPRS before visits 1, 3 and 5) a pain rating; he fills it in on a
phone from the emailed link; the physiotherapist sees the new score on the trend, beside
the needling dose of each visit."""

import re

import pytest
from playwright.sync_api import Page, expect

from intake.models import Patient
from sessions.outcomes.models import Questionnaire

pytestmark = pytest.mark.e2e


@pytest.fixture
def ravi(demo_clinic, settings, live_server) -> Patient:
    settings.SITE_URL = live_server.url
    return Patient.objects.get(legal_first_name="Ravi", legal_last_name="Patel")


def test_a_patient_fills_a_questionnaire_on_a_phone_and_the_physio_sees_the_trend(
    ravi: Patient, page: Page, phone_page: Page, live_server, login, mailoutbox
):
    login(page, live_server, "physio")
    page.goto(f"{live_server.url}/patients/{ravi.pk}/")
    questionnaires = page.get_by_test_id("questionnaires")
    questionnaires.get_by_label("Questionnaire").select_option("nprs")
    questionnaires.get_by_role("button", name="Send a questionnaire").click()
    expect(page.get_by_role("status").first).to_contain_text(re.compile("sent", re.I))

    (mail,) = [m for m in mailoutbox if "/q/" in m.body]
    link = re.search(rf"{re.escape(live_server.url)}/q/[^/\s]+/", mail.body).group(0)
    for word in ("pain", "needl", "neck"):  # the clinic's own name may say "IMS"
        assert word not in mail.subject.lower() and word not in mail.body.lower()

    # Ravi, on his phone, without signing in.
    phone = phone_page
    phone.goto(link)
    expect(phone.get_by_role("heading", name="A short questionnaire")).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    phone.get_by_role("button", name="Submit").click()  # nothing picked: refused, kept
    expect(phone.get_by_role("alert").first).to_be_visible()
    phone.get_by_label("2", exact=True).check()
    phone.get_by_role("button", name="Submit").click()
    expect(phone.get_by_text(re.compile("thank", re.I)).first).to_be_visible()
    done = Questionnaire.objects.filter(patient=ravi, completed_at__isnull=False).latest("id")
    assert (done.instrument, done.score) == ("nprs", 2)

    # The physiotherapist's trend: the new score at the end, the dose beside each visit.
    page.goto(f"{live_server.url}/patients/{ravi.pk}/outcomes/")
    chart = page.get_by_role("img", name=re.compile("Numeric Pain Rating Scale"))
    expect(chart).to_be_visible()
    description = chart.locator("desc").text_content() or ""
    assert "7" in description and "2" in description
    table = page.get_by_role("table").first
    expect(table).to_contain_text("Insertions")
    expect(table).to_contain_text("C5")
    expect(table.get_by_role("row")).to_have_count(5)  # a header and four scores
