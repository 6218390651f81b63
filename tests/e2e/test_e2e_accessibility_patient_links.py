"""Accessibility of the patient-link pages (intake, check-in, aftercare, and their
refused and expired links) at desktop and phone sizes: the patients' half of
test_e2e_accessibility.py, which lists every page and holds the guard over them."""

import re
from datetime import timedelta

from django.core.cache import cache
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from sessions.documents import services as document_services
from sessions.documents.models import DocumentRequest
from tests.e2e.accessibility_clinic import audit_fixture, clinic_fixture, refuse
from tests.e2e.axe import Audit, new_context, signed_in_context
from tests.e2e.test_e2e_accessibility import PATIENT_PAGES

__all__ = ["audit_fixture", "clinic_fixture"]  # fixtures used by the test below


def test_patient_link_pages(browser: Browser, clinic, audit: Audit, settings):
    context = new_context(browser)
    page = context.new_page()
    url = clinic.url
    for path, label in [
        ("/i/not-a-link/", "intake link, not valid"),
        ("/c/not-a-link/", "check-in link, not valid"),
        ("/a/not-a-link/", "aftercare link, not valid"),
        ("/r/not-a-link/", "receipt link, not valid"),
        ("/p/not-a-link/messages/", "message-choices link, not valid"),
        ("/q/not-a-link/", "questionnaire link, not valid"),
        ("/d/r/not-a-link/", "document link, not valid"),
    ]:
        page.goto(url + path)
        audit.check(page, label)
    settings.BAD_LINK_LIMIT = 1
    page.goto(f"{url}/c/not-a-link/")
    audit.check(page, "too many bad links")
    # Bad links count against this address in the cache for the whole run (15 minutes):
    # hand the other tests their allowance back.
    cache.delete_many([f"bad-links:{address}" for address in ("127.0.0.1", "::1")])

    page.goto(clinic.aftercare_link)
    audit.check(page, "aftercare")
    page.goto(clinic.receipt_link)
    audit.check(page, "receipt")
    page.goto(clinic.messages_link)
    audit.check(page, "message choices")
    page.get_by_role("group", name="Visit reminders").get_by_label(
        "Text message", exact=True
    ).check()
    refuse(page, "Save my choices")
    audit.check_refused(page, "message choices, texts without a number or consent")
    page.goto(clinic.questionnaire_link)
    audit.check(page, "outcome questionnaire")
    refuse(page, "Submit")
    audit.check_refused(page, "outcome questionnaire, nothing answered")
    with page.expect_navigation():
        page.get_by_role("button", name="Save and continue later").click()
    audit.check(page, "outcome questionnaire, saved for later")
    page.goto(clinic.questionnaire_link)
    pain = page.get_by_role("group", name=re.compile("How bad has your pain been"))
    pain.get_by_label("5", exact=True).check()  # saved in the background (q-autosave.js)
    expect(page.get_by_role("status").filter(has_text="Your answers are saved.")).to_be_visible()
    page.reload()
    pain = page.get_by_role("group", name=re.compile("How bad has your pain been"))
    expect(pain.get_by_label("5", exact=True)).to_be_checked()
    pain.get_by_label("3", exact=True).check()
    with page.expect_navigation():
        page.get_by_role("button", name="Submit").click()
    audit.check(page, "outcome questionnaire, thanks")
    page.goto(clinic.checkin_link)
    audit.check(page, "check-in")
    refuse(page, "Send my answers")
    audit.check_refused(page, "check-in, nothing answered")
    page.get_by_label(re.compile("How sore are you")).select_option("2")
    page.get_by_role("group", name=re.compile("Compared with")).get_by_role("radio").first.check()
    with page.expect_navigation():
        page.get_by_role("button", name="Send my answers").click()
    audit.check(page, "check-in, thanks")

    # The questionnaire, each step refused once and then answered.
    today = timezone.localdate()
    page.goto(clinic.intake_link)
    audit.check(page, "intake, reason for coming")
    refuse(page, "Save and continue")
    audit.check_refused(page, "intake, reason for coming refused")
    page.get_by_label("What brings you to the clinic?").fill("Aching low back for months.")
    page.get_by_label("Low back").check()
    page.get_by_label("When did it start?").fill((today - timedelta(days=120)).isoformat())
    page.get_by_label("Gradually, for no clear reason").check()
    page.get_by_label("Pain right now").select_option("5")
    page.get_by_label("Pain at its best").select_option("2")
    page.get_by_label("Pain at its worst").select_option("8")
    save_and_continue(page)

    audit.check(page, "intake, how the pain behaves")
    refuse(page, "Save and continue")
    audit.check_refused(page, "intake, how the pain behaves refused")
    for group in page.get_by_role("group").filter(has=page.get_by_label("Yes")).all():
        group.get_by_label("Yes").check()
    save_and_continue(page)

    audit.check(page, "intake, your health")
    page.get_by_label("Diabetes", exact=True).check()
    with page.expect_navigation():
        page.get_by_role("button", name="Save, finish later").click()
    audit.check(page, "intake, saved for later")
    page.goto(clinic.intake_link)  # back where the patient left off

    audit.check(page, "intake, surgeries")
    surgery = page.get_by_role("group", name="Surgery 1")
    surgery.get_by_label("Surgery or procedure").fill("Knee arthroscopy")
    refuse(page, "Save and continue")
    audit.check_refused(page, "intake, surgery without its date")
    page.get_by_role("group", name="Surgery 1").get_by_label("Date").fill(
        (today - timedelta(days=400)).isoformat()
    )
    save_and_continue(page)

    audit.check(page, "intake, pregnancy and needles")
    refuse(page, "Save and continue")
    audit.check_refused(page, "intake, pregnancy and needles refused")
    page.get_by_role("group", name="Are you pregnant, or could you be?").get_by_label(
        "No", exact=True
    ).check()
    page.get_by_label("A little nervous").check()
    save_and_continue(page)

    audit.check(page, "intake, consent")
    refuse(page, "Sign and send to the clinic")
    audit.check_refused(page, "intake, consent refused")
    page.get_by_label("I have read the information above and agree to IMS treatment.").check()
    page.get_by_label("Your full name, as your signature").fill("Sofia Castillo")
    with page.expect_navigation():
        page.get_by_role("button", name="Sign and send to the clinic").click()
    audit.check(page, "intake, sent")
    page.goto(clinic.intake_link)
    audit.check(page, "intake link, already sent")
    # The intake link still takes documents after the questionnaire is sent.
    token = clinic.intake_link.rstrip("/").rsplit("/", 1)[-1]
    page.goto(f"{url}/d/i/{token}/")
    audit.check(page, "documents, through the intake link")
    refuse(page, "Send to the clinic")
    audit.check_refused(page, "documents, nothing chosen")
    row = DocumentRequest.objects.create(
        patient=clinic.sofia, note="your referral from Dr. Singh", created_by=clinic.physio
    )
    page.goto(document_services.request_link(row))
    audit.check(page, "documents, through a document link")
    context.close()

    page = signed_in_context(browser, url, clinic.physio)
    intake = clinic.sofia.intakes.get()
    page.goto(f"{url}/intakes/{intake.pk}/")
    audit.check(page, "intake summary")
    page.goto(f"{url}/patients/{clinic.sofia.pk}/")
    audit.check(page, "patient page with a submitted intake (physio)")
    page.context.close()
    audit.assert_clean(PATIENT_PAGES)


def save_and_continue(page: Page) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name="Save and continue").click()
