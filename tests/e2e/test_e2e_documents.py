"""Documents end to end: a patient, on a phone, adds a photo of their referral letter
from their intake link; the physiotherapist opens it on the patient's record and sees
the picture. The patient's page is checked with axe as it goes (empty, refused, done).
Front desk adds a PDF referral it may not open; the physiotherapist downloads it."""

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from intake import services as intake_services
from intake.models import Patient
from sessions.documents.models import Document
from tests.e2e.accessibility_clinic import audit_fixture, refuse
from tests.e2e.axe import Audit
from tests.e2e.conftest import DESKTOP, PHONE
from tests.sessions.documents.samples import make_jpeg_bytes, make_pdf_bytes

pytestmark = pytest.mark.e2e

__all__ = ["audit_fixture"]  # the fixture used by the test below

TITLE = "Referral from Dr. Singh"


@pytest.fixture
def ravi(demo_clinic, settings, live_server) -> Patient:
    settings.SITE_URL = live_server.url
    return Patient.objects.get(legal_first_name="Ravi", legal_last_name="Patel")


def fits_the_phone(page: Page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_a_patient_adds_a_referral_photo_from_the_intake_and_the_physio_sees_it(
    ravi: Patient, page: Page, phone_page: Page, live_server, login, audit: Audit, mailoutbox
):
    invitation = intake_services.intake_invite(patient=ravi, sent_by=None)
    link = intake_services.invitation_link(invitation)

    # Ravi, on his phone, from the questionnaire to the documents page.
    phone = phone_page
    phone.goto(link)
    phone.get_by_role(
        "link", name="Add a referral letter or a photo of your insurance card (optional)"
    ).click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Send the clinic a document")
    assert fits_the_phone(phone)
    audit.check(phone, "documents, through the intake link")
    phone.set_viewport_size(PHONE["viewport"])

    refuse(phone, "Send to the clinic")  # nothing chosen: refused, with the reasons
    expect(phone.get_by_role("alert").first).to_be_visible()
    expect(phone.get_by_text("Choose what you are sending.")).to_be_visible()
    audit.check_refused(phone, "documents, nothing chosen")
    phone.set_viewport_size(PHONE["viewport"])

    phone.get_by_label("Referral letter").check()
    phone.get_by_label("Short description (optional)").fill(TITLE)
    files = phone.get_by_label("Files")
    assert files.get_attribute("accept") == "image/*,application/pdf"  # the camera, on a phone
    files.set_input_files(
        {
            "name": "IMG_2041.jpg",
            "mimeType": "image/jpeg",
            "buffer": make_jpeg_bytes(gps=True, colour="steelblue"),
        }
    )
    phone.get_by_role("button", name="Send to the clinic").click()
    expect(phone.get_by_role("status").first).to_contain_text(f"Added: {TITLE}")
    expect(phone.get_by_test_id("sent")).to_contain_text(TITLE)
    expect(phone.get_by_test_id("sent")).to_contain_text("Referral letter")
    assert fits_the_phone(phone)
    audit.check(phone, "documents, one sent")
    phone.set_viewport_size(PHONE["viewport"])
    phone.get_by_role("link", name=re.compile("Back to the questionnaire")).click()
    expect(phone.get_by_text("Health questionnaire")).to_be_visible()

    document = Document.objects.get(patient=ravi, title=TITLE)
    assert (document.kind, document.source) == ("referral", Document.Source.INTAKE_LINK)
    audit.assert_clean({"sessions:intake-documents"})

    # The physiotherapist opens it from the patient's documents and sees the photo.
    login(page, live_server, "physio")
    page.goto(f"{live_server.url}/patients/{ravi.pk}/documents/")
    page.get_by_role("link", name=TITLE).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    picture = page.locator("main img").first
    expect(picture).to_be_visible()
    widths = page.eval_on_selector_all(
        "main img", "imgs => imgs.map(i => i.complete ? i.naturalWidth : 0)"
    )
    assert 640 in widths, widths  # the photo itself, whole, not a thumbnail


def test_front_desk_adds_a_pdf_referral_it_may_not_open_and_the_physio_downloads_it(
    ravi: Patient, page: Page, browser: Browser, live_server, login
):
    title = "Referral letter, Dr. Moreau"
    login(page, live_server, "frontdesk")
    page.goto(f"{live_server.url}/patients/{ravi.pk}/documents/")
    upload = page.get_by_test_id("document-upload")
    upload.get_by_label("Files").set_input_files(
        {"name": "moreau.pdf", "mimeType": "application/pdf", "buffer": make_pdf_bytes()}
    )
    upload.get_by_label("Kind of document").select_option(label="Referral")
    upload.get_by_label("Title").fill(title)
    upload.get_by_role("button", name="Add documents").click()
    expect(page.get_by_role("status").first).to_contain_text("1 document added")
    # A referral is clinical: front desk sees that it is there, not what it says.
    expect(page.get_by_role("link", name=title)).to_have_count(0)
    expect(page.get_by_test_id("documents-hidden")).to_contain_text("physiotherapists only")
    document = Document.objects.get(patient=ravi, title=title)
    assert document.content_type == "application/pdf"
    for address in (f"/documents/{document.pk}/", f"/documents/{document.pk}/file/"):
        assert page.goto(live_server.url + address).status == 403, address

    context = browser.new_context(**DESKTOP, accept_downloads=True)
    try:
        physio = context.new_page()
        login(physio, live_server, "physio")
        physio.goto(f"{live_server.url}/patients/{ravi.pk}/documents/")
        physio.get_by_role("link", name=title).click()
        expect(physio.get_by_role("heading", level=1)).to_have_text(title)
        with physio.expect_download() as download_info:
            physio.get_by_role("link", name="Open PDF").click()
        download = download_info.value
        assert download.suggested_filename.endswith(".pdf")
        with open(download.path(), "rb") as pdf:
            assert pdf.read(5) == b"%PDF-"
    finally:
        context.close()
