"""The intake journey: front desk sends the link, the patient fills it in on a phone
across two visits and signs, the physiotherapist reads the screening verdict."""

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from clinic.roles import Role
from intake import services
from intake.models import ConsentText
from intake.screening import SURGERY_WINDOW_DAYS
from tests.e2e.conftest import PHONE, _open_page
from tests.factories import PatientFactory, UserFactory

PATIENT_EMAIL = "jordan.ellis@example.com"
NERVE_QUESTIONS = [
    "The pain has gone on after any injury should have healed.",
    "The pain began some time after the injury, not straight away.",
    "Light touch or gentle pressure on the area is very painful.",
    "The pain builds up with activity and lingers long afterwards.",
    "The painful area sweats more, or feels colder or warmer, than the other side.",
]


@pytest.fixture
def consent_text(transactional_db) -> ConsentText:
    # The wording comes from a data migration, which a flush between transactional
    # tests removes.
    if not ConsentText.objects.exists():
        ConsentText.objects.create(body="IMS uses fine needles. You may stop at any time.")
    return ConsentText.current()


@pytest.fixture
def reopened_phone_page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A phone page in a second context: the patient back later, with no cookies kept."""
    yield from _open_page(browser, request, PHONE)


def expect_phone_step(page: Page, heading: str) -> None:
    """The step is on screen and fits the phone's width."""
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    # Nothing may stick out sideways on a phone: the patient would have to pan.
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]


def save_and_continue(page: Page) -> None:
    page.get_by_role("button", name="Save and continue").click()


@pytest.mark.usefixtures("demo_clinic", "consent_text")
def test_patient_fills_the_mailed_intake_on_a_phone_in_two_sittings_and_physio_sees_verdict(
    page: Page,
    phone_page: Page,
    reopened_phone_page: Page,
    live_server,
    login,
    mailoutbox,
    settings,
):
    settings.SITE_URL = live_server.url
    today = timezone.localdate()
    surgery_day = today - timedelta(days=30)
    eligible_from = (surgery_day + timedelta(days=SURGERY_WINDOW_DAYS)).isoformat()

    # Front desk registers the patient and sends the link.
    login(page, live_server, "frontdesk")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Patients").click()
    page.get_by_role("link", name="New patient").click()
    page.get_by_label("Legal first name").fill("Jordan")
    page.get_by_label("Legal last name").fill("Ellis")
    page.get_by_label("Date of birth").fill("1984-07-15")
    page.get_by_label("Email", exact=True).fill(PATIENT_EMAIL)
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Jordan Ellis")
    patient_url = page.url
    page.get_by_role("button", name="Send an intake link").click()
    expect(page.get_by_role("status")).to_have_text(f"The intake link was sent to {PATIENT_EMAIL}.")

    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == [PATIENT_EMAIL]
    match = re.search(rf"{re.escape(live_server.url)}/i/[^/\s]+/", mail.body)
    assert match, mail.body
    link = match.group()

    # First sitting on the phone: two steps, then the patient closes the page.
    phone_page.goto(link)
    expect_phone_step(phone_page, "Your reason for coming")
    phone_page.get_by_label("What brings you to the clinic?").fill("Aching low back for months.")
    phone_page.get_by_label("Low back").check()
    phone_page.get_by_label("When did it start?").fill((today - timedelta(days=120)).isoformat())
    phone_page.get_by_label("Gradually, for no clear reason").check()
    phone_page.get_by_label("Pain right now").select_option("5")
    phone_page.get_by_label("Pain at its best").select_option("2")
    phone_page.get_by_label("Pain at its worst").select_option("8")
    save_and_continue(phone_page)

    expect_phone_step(phone_page, "How the pain behaves")
    for question in NERVE_QUESTIONS:
        phone_page.get_by_role("group", name=question).get_by_label("Yes").check()
    save_and_continue(phone_page)
    expect_phone_step(phone_page, "Your health")
    phone_page.close()

    # Second sitting, in a fresh browser context: the link resumes at step 3.
    patient = reopened_phone_page
    patient.goto(link)
    expect(patient).to_have_url(re.compile(r"/history/$"))
    expect_phone_step(patient, "Your health")
    patient.get_by_label("Diabetes", exact=True).check()
    save_and_continue(patient)

    expect_phone_step(patient, "Surgeries and procedures")
    surgery = patient.get_by_role("group", name="Surgery 1")
    surgery.get_by_label("Date").fill(surgery_day.isoformat())
    surgery.get_by_label("Surgery or procedure").fill("Knee arthroscopy")
    save_and_continue(patient)

    expect_phone_step(patient, "Pregnancy and needles")
    patient.get_by_role("group", name="Are you pregnant, or could you be?").get_by_label(
        "No", exact=True
    ).check()
    patient.get_by_label("A little nervous").check()
    save_and_continue(patient)

    expect_phone_step(patient, "Consent and signature")
    patient.get_by_label("I have read the information above and agree to IMS treatment.").check()
    patient.get_by_label("Your full name, as your signature").fill("Jordan Ellis")
    patient.get_by_role("button", name="Sign and send to the clinic").click()
    expect(patient.get_by_role("heading", level=1)).to_have_text(
        "Thank you, your questionnaire is with the clinic"
    )

    # Front desk: a yes/no answer with a date, and no clinical detail.
    page.goto(patient_url)
    expect(page.locator("#eligibility-answer")).to_have_text(
        f"Not before {eligible_from}, physiotherapist to review"
    )
    main = page.get_by_role("main")
    for clinical in ["Knee arthroscopy", "Diabetes", "Contraindicated", "Screening for"]:
        expect(main).not_to_contain_text(clinical)
    page.get_by_role("button", name="Sign out").click()

    # Physiotherapist: the verdict with its reasons.
    login(page, live_server, "physio")
    page.goto(patient_url)
    verdict = page.get_by_role("heading", name=f"Screening for {today.isoformat()}:")
    expect(verdict).to_contain_text("Contraindicated")
    expect(main).to_contain_text(f"Needling may be considered from {eligible_from}.")
    expect(
        main.get_by_role("listitem").filter(has_text="Surgery in the last 12 weeks")
    ).to_have_text(
        re.compile(
            rf"Knee arthroscopy on {surgery_day.isoformat()}, 30 days before the visit\."
            rf".*applies until {eligible_from}"
        )
    )
    expect(main.get_by_role("listitem").filter(has_text="Diabetes")).to_have_count(1)


@pytest.mark.parametrize("tamper", [False, True], ids=["garbage", "tampered"])
def test_invalid_intake_link_shows_no_patient_data(
    phone_page: Page, live_server, transactional_db, settings, tamper
):
    settings.SITE_URL = live_server.url
    patient = PatientFactory(legal_first_name="Noor", legal_last_name="Haddad")
    invitation = services.intake_invite(patient=patient, sent_by=UserFactory(role=Role.FRONT_DESK))
    genuine = services.invitation_link(invitation)
    link = f"{live_server.url}/i/garbage/"
    if tamper:
        # The genuine token with one character of its signature changed.
        payload, signature = genuine.rstrip("/").rsplit(":", 1)
        link = f"{payload}:{'B' if signature[0] == 'A' else 'A'}{signature[1:]}/"

    response = phone_page.goto(link)

    assert response.status == 404
    expect(phone_page.get_by_role("heading", level=1)).to_have_text("This link is not valid")
    body = phone_page.locator("body")
    for private in ["Noor", "Haddad", patient.email, "questionnaire ·"]:
        expect(body).not_to_contain_text(private)
    # The refusal is the link's fault: the genuine one opens the questionnaire.
    phone_page.goto(genuine)
    expect(phone_page.get_by_role("heading", level=1)).to_have_text("Your reason for coming")
