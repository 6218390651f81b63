"""Staff adding documents in the browser: several files at once without JavaScript, and
a file dropped on the upload form going into its file input (the drag-and-drop
enhancement)."""

import pytest
from playwright.sync_api import Page, expect

from intake.models import Patient
from sessions.documents.models import Document
from tests.sessions.documents.samples import make_jpeg_bytes, make_pdf_bytes

pytestmark = pytest.mark.usefixtures("demo_clinic")


def test_several_files_are_added_without_javascript(no_js_page: Page, live_server, login):
    page = no_js_page
    patient = Patient.objects.order_by("pk").first()
    assert patient is not None
    login(page, live_server, "physio")
    page.goto(f"{live_server.url}/patients/{patient.pk}/documents/")
    page.get_by_label("Files").set_input_files(
        [
            {"name": "referral.pdf", "mimeType": "application/pdf", "buffer": make_pdf_bytes()},
            {"name": "card.jpg", "mimeType": "image/jpeg", "buffer": make_jpeg_bytes(gps=True)},
        ]
    )
    page.get_by_label("Kind of document").select_option(label="Referral")
    page.get_by_label("Title").fill("Referral from Dr Moreau")
    with page.expect_navigation():
        page.get_by_role("button", name="Add documents").click()
    expect(page.get_by_text("2 documents added.")).to_be_visible()
    expect(page.get_by_role("link", name="Referral from Dr Moreau")).to_have_count(2)
    assert Document.objects.filter(patient=patient, title="Referral from Dr Moreau").count() == 2


def test_a_file_dropped_on_the_form_is_chosen(page: Page, live_server, login):
    patient = Patient.objects.order_by("pk").first()
    assert patient is not None
    login(page, live_server, "frontdesk")
    page.goto(f"{live_server.url}/patients/{patient.pk}/documents/")
    form = page.get_by_test_id("document-upload")
    drop = page.evaluate_handle(
        """() => {
          const data = new DataTransfer();
          data.items.add(new File(["%PDF-1.4"], "letter.pdf", {type: "application/pdf"}));
          return data;
        }"""
    )
    form.dispatch_event("dragenter", {"dataTransfer": drop})
    expect(form).to_have_class("doc-upload doc-drop-over")
    form.dispatch_event("drop", {"dataTransfer": drop})
    expect(form).to_have_class("doc-upload")
    assert page.get_by_label("Files").evaluate("input => input.files[0].name") == "letter.pdf"
