"""Accessibility of every page: axe-core (WCAG 2.0-2.2, A and AA) on every staff page and
every patient-link page, at desktop and phone sizes, and every main form after a refused
submit: its errors tied to their fields and the focus on the first of them.

A serious or critical finding fails the test; minor and moderate ones are listed at the
end of the run (tests/e2e/conftest.py prints them). Every named URL is either checked by
one of the tests here or listed in NOT_PAGES with the reason.
"""

import re
from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth.tokens import default_token_generator
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Browser, expect

from clinic.management.commands.seed_demo import DEMO_PASSWORD
from clinic.roles import Role
from sessions.billing.models import BillableItem, Fee, MissedVisitFee
from sessions.documents.services import documents_upload
from sessions.models import Appointment
from tests.e2e.accessibility_clinic import audit_fixture, clinic_fixture, refuse
from tests.e2e.axe import Audit, new_context, signed_in_context
from tests.e2e.conftest import backup_code
from tests.e2e.test_e2e_online_booking import ONLINE_NOT_PAGES, ONLINE_PAGES
from tests.factories import AppointmentFactory, PayerCaseFactory, UserFactory
from tests.sessions.documents.samples import make_pdf_bytes

# Named URLs that are no page of their own, and why.
NOT_PAGES = {
    "healthz": "JSON for the load balancer",
    "favicon": "redirects to the SVG icon, not a page",
    "short-link": "redirects to the patient page its code stands for",
    "sessions:sms-status": "the SMS provider's webhook: signed POSTs, no page",
    "sessions:sms-inbound": "the SMS provider's webhook: signed POSTs, TwiML back",
    "logout": "POST only; redirects to the login page",
    "mfa-reset": "POST only; redirects to staff access",
    "staff-password-link": "POST only; redirects to staff access",
    "lockout-unlock": "POST only; redirects to staff access",
    "intake:intake-send": "POST only; redirects to the patient page",
    "intake:invitation-revoke": "POST only; redirects to the patient page",
    "sessions:calendar-feed": "an .ics feed for calendar apps",
    "sessions:appointment-status": "POST only; redirects to the calendar",
    "sessions:appointment-confirm": "POST only; redirects to the calendar or back",
    "sessions:course-discharge": "POST only; redirects to the patient page",
    "sessions:visit-confirm-self": "a button's POST; redirects to the visit page (its refusal)",
    "sessions:safety-check": "POST only; redirects to the chart",
    "sessions:acknowledge": "POST only; redirects to the chart",
    "sessions:note-save": "POST only; redirects to the chart",
    "sessions:site-add": "POST only; redirects to the chart",
    "sessions:site-remove": "POST only; redirects to the chart",
    "sessions:sites-repeat": "POST only; redirects to the chart",
    "sessions:adverse-add": "POST only; redirects to the chart",
    "sessions:sign": "POST only; redirects to the chart",
    "sessions:addendum-add": "POST only; redirects to the chart",
    "sessions:links-revoke": "POST only; redirects to the chart",
    "sessions:call-done": "POST only; redirects to the front desk's home",
    "sessions:document-file": "the document's file itself (a PDF download or an image)",
    "sessions:document-thumbnail": "a JPEG thumbnail, shown in the documents' lists",
    "sessions:document-delete": "POST only; redirects to the documents (refused: the document)",
    "sessions:document-request-send": "POST only; redirects to the patient or the documents",
    "sessions:receipt-pdf": "a PDF file",
    "sessions:receipt-send": "POST only; redirects to the receipt",
    "sessions:receipt-links-revoke": "POST only; redirects to the receipt",
    "sessions:receipt-link-pdf": "a PDF file",
    "sessions:statement-pdf": "a PDF",
    "sessions:progress-report-pdf": "a PDF",
    "sessions:invoice-pay": "POST only; a refusal is the invoice page, checked",
    "sessions:invoice-void": "POST only; a refusal is the invoice page, checked",
    "sessions:credit-note-add": "POST only; a refusal is the invoice page, checked",
    "sessions:credit-apply": "POST only; a refusal is the invoice page, checked",
    "sessions:refund-add": "POST only; a refusal is the account page, checked",
    "sessions:appointment-approve": "POST only; redirects to the pending list or back",
    "sessions:appointment-decline": "POST only; a refusal is the pending list, checked",
    "sessions:questionnaire-send": "POST only; redirects to the patient page",
    "sessions:questionnaire-tablet": "POST only; signs out, redirects to the questionnaire",
}

SIGNED_OUT_PAGES = {
    "login",
    "mfa-verify",
    "password_reset",
    "password_reset_done",
    "password_reset_confirm",
    "password_reset_complete",
}
FRONT_DESK_PAGES = {
    "home",
    "intake:patient-list",
    "intake:patient-create",
    "intake:patient-detail",
    "intake:patient-edit",
    "intake:patient-messages",
    "intake:phones-to-fix",
    "sessions:calendar-day",
    "sessions:calendar-week",
    "sessions:appointment-new",
    "sessions:appointment-detail",
    "sessions:appointment-cancel",
    "sessions:course-edit",
    "sessions:receipt",
    "sessions:day-sheet",
    "sessions:receivables",
    "sessions:cases",
    "sessions:case-new",
    "sessions:case-edit",
    "sessions:case-payment",
    "sessions:online-pending",
    "mfa-setup",
    "password_change",
    "password_change_done",
}
PHYSIO_PAGES = {
    "home",
    "intake:patient-detail",
    "intake:screening-rules",
    "sessions:calendar-day",
    "sessions:calendar-week",
    "sessions:feed-settings",
    "sessions:chart",
    "sessions:site-edit",
    "sessions:timeline",
    "sessions:outcome-trends",
    "sessions:progress-report-new",
    "sessions:progress-report",
    "sessions:visit-print",
    "sessions:adverse-events",
    "sessions:alert",
    "patient-export",
    "sessions:documents",
    "sessions:document",
}
ADMIN_PAGES = {
    "home",
    "audit-log",
    "staff-access",
    "sessions:message-health",
    "sessions:day-sheet",
    "sessions:receivables",
}
BILLING_PAGES = {
    "sessions:checkout",
    "sessions:invoice",
    "sessions:invoice-new",
    "sessions:account",
    "sessions:missed-fee",
}
ADMIN_PAGES = {
    "home",
    "audit-log",
    "staff-access",
    "sessions:message-health",
    "sessions:online-settings",
    "sessions:schedule-list",
    "sessions:schedule-new",
    "sessions:schedule-edit",
    "sessions:outcome-instruments",
    "sessions:outcome-wording",
    "sessions:document-settings",
}
PATIENT_PAGES = {
    "intake:patient-detail",
    "intake:fill",
    "intake:fill-step",
    "intake:messages",
    "intake:intake-summary",
    "sessions:checkin",
    "sessions:aftercare",
    "sessions:receipt-link",
    "sessions:questionnaire",
    "sessions:intake-documents",
    "sessions:document-request-upload",
}

# Online booking's self-service visit link and wait list (test_e2e_accessibility_waitlist).
WAITLIST_PAGES = {
    "sessions:visit-manage",
    "sessions:visit-cancel-self",
    "sessions:visit-move",
    "sessions:waitlist-join",
    "sessions:waitlist-entry",
    "sessions:offer",
    "sessions:waitlist",
    "sessions:waitlist-new",
    "sessions:waitlist-edit",
}


__all__ = ["audit_fixture", "clinic_fixture"]  # fixtures used by the tests below


def url_names(resolver: URLResolver, namespace: str = "") -> set[str]:
    names = set()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace == "admin":
                continue  # Django's own admin, styled by Django
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            names |= url_names(entry, inner)
        elif isinstance(entry, URLPattern) and entry.name:
            names.add(namespace + entry.name)
    return names


def test_every_named_url_is_checked_or_is_no_page():
    checked = (
        SIGNED_OUT_PAGES
        | FRONT_DESK_PAGES
        | BILLING_PAGES
        | PHYSIO_PAGES
        | ADMIN_PAGES
        | PATIENT_PAGES
        | WAITLIST_PAGES
        | ONLINE_PAGES  # checked by test_e2e_online_booking.py
    )
    not_pages = set(NOT_PAGES) | set(ONLINE_NOT_PAGES)
    everything = url_names(get_resolver())  # bench-floor exists only with BENCH=1
    assert everything - checked - not_pages == set()
    assert checked & not_pages == set()
    assert (checked | not_pages) - everything == set()


def test_signed_out_pages(browser: Browser, clinic, audit: Audit):
    page = new_context(browser).new_page()
    url = clinic.url
    page.goto(f"{url}/accounts/login/")
    audit.check(page, "login")
    page.get_by_label("Username").fill("physio")
    page.get_by_label("Password").fill("wrong password")
    refuse(page, "Sign in")
    audit.check_refused(page, "login, wrong password")

    page.get_by_label("Username").fill("physio")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile("/accounts/mfa/"))
    audit.check(page, "second factor")
    refuse(page, "Continue")
    audit.check_refused(page, "second factor, no code")
    page.get_by_label(re.compile("Code from your authenticator")).fill(backup_code("physio"))
    with page.expect_navigation():
        page.get_by_role("button", name="Continue").click()
    page.context.close()

    page = new_context(browser).new_page()
    page.goto(f"{url}/accounts/password/reset/")
    audit.check(page, "password reset")
    refuse(page, "Send the link")
    audit.check_refused(page, "password reset, no address")
    page.get_by_label("Email").fill("physio@clinic.example.com")
    with page.expect_navigation():
        page.get_by_role("button", name="Send the link").click()
    audit.check(page, "password reset sent")

    user = clinic.front_desk
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    page.goto(f"{url}/accounts/password/reset/{uid}/not-a-token/")
    audit.check(page, "password reset, invalid link")
    page.goto(f"{url}/accounts/password/reset/{uid}/{default_token_generator.make_token(user)}/")
    audit.check(page, "password reset, new password")
    refuse(page, "Save the new password")
    audit.check_refused(page, "password reset, no new password")
    for field in page.get_by_label(re.compile("password", re.I)).all():
        field.fill("a-long-new-pass-2026!")
    with page.expect_navigation():
        page.get_by_role("button", name="Save the new password").click()
    audit.check(page, "password reset complete")

    # Five wrong passwords lock the username out for a while.
    page.goto(f"{url}/accounts/login/")
    for _ in range(5):
        page.get_by_label("Username").fill("physio2")
        page.get_by_label("Password").fill("wrong password")
        refuse(page, "Sign in")
    audit.check(page, "login, locked out")
    page.context.close()
    audit.assert_clean(SIGNED_OUT_PAGES)


def test_front_desk_pages(browser: Browser, clinic, audit: Audit):
    page = signed_in_context(browser, clinic.url, clinic.front_desk)
    url = clinic.url
    marcus = clinic.marcus.pk
    for path, label in [
        ("/", "front desk home"),
        ("/patients/", "patient list"),
        ("/patients/?q=Lee", "patient search"),
        ("/patients/?q=nobody-by-this-name", "patient search, nothing found"),
        (f"/patients/{marcus}/", "patient page (front desk)"),
        (f"/patients/{clinic.sofia.pk}/", "patient page with an intake link out (front desk)"),
        ("/calendar/", "calendar day"),
        ("/calendar/week/", "calendar week"),
        ("/appointments/new/", "book: choose the patient"),
        ("/appointments/new/?q=Lee", "book: patients found"),
        ("/billing/day-sheet/", "day sheet"),
        ("/billing/day-sheet/?day=2026-02-30", "day sheet, a day that does not exist"),
        ("/billing/receivables/", "receivables"),
        ("/no-such-page/", "not found"),
        ("/audit/", "forbidden (the audit log is the clinic admin's)"),
    ]:
        page.goto(url + path)
        audit.check(page, label)

    page.goto(f"{url}/patients/new/")
    audit.check(page, "new patient")
    refuse(page, "Save")
    audit.check_refused(page, "new patient, nothing filled")
    page.goto(f"{url}/patients/{marcus}/edit/")
    audit.check(page, "edit patient")
    page.get_by_label("Legal first name").fill("")
    refuse(page, "Save")
    audit.check_refused(page, "edit patient, no first name")

    # Sofia has not agreed to texts (Marcus has, in the demo).
    page.goto(f"{url}/patients/{clinic.sofia.pk}/messages/")
    audit.check(page, "patient's message choices")
    page.get_by_role("group", name="Visit reminders").get_by_label(
        "Text message", exact=True
    ).check()
    refuse(page, "Save")
    audit.check_refused(page, "patient's message choices, texts without consent")
    page.goto(f"{url}/patients/phones-to-fix/")
    audit.check(page, "phone numbers to fix")

    page.goto(f"{url}/appointments/new/")
    refuse(page, "Register and continue")
    audit.check_refused(page, "book: register a patient, nothing filled")
    page.goto(f"{url}/appointments/new/?patient={marcus}")
    audit.check(page, "book: the visit")
    refuse(page, "Book")
    audit.check_refused(page, "book: the visit, nothing chosen")

    page.goto(f"{url}/appointments/{clinic.today.pk}/")
    audit.check(page, "appointment")
    refuse(page, "Cancel the appointment")
    audit.check_refused(page, "appointment, cancel without a reason")
    page.goto(f"{url}/appointments/{clinic.today.pk}/")
    page.get_by_label("Starts").fill("")
    refuse(page, "Move the appointment")
    audit.check_refused(page, "appointment, move without a date")

    page.goto(f"{url}/invoices/{clinic.invoice.pk}/receipt/")
    audit.check(page, "receipt (no registration number on file)")

    # An online booking waiting for approval: marked on the appointment page, listed.
    waiting = AppointmentFactory(
        patient=clinic.marcus,
        location=clinic.today.location,
        practitioner=clinic.today.practitioner,
        start=clinic.today.start + timedelta(days=7),
        booked_online=True,
        needs_approval=True,
    )
    page.goto(f"{url}/appointments/{waiting.pk}/")
    audit.check(page, "appointment booked online, awaiting approval")
    page.goto(f"{url}/online/pending/")
    audit.check(page, "online bookings awaiting approval")
    refuse(page, "Decline and cancel")
    audit.check_refused(page, "online booking, decline without a reason")

    page.goto(f"{url}/patients/{marcus}/course/")
    audit.check(page, "course plan")
    page.get_by_label("Planned visits (at least)").fill("0")
    refuse(page, "Save")
    audit.check_refused(page, "course plan, negative")

    case = PayerCaseFactory(patient=clinic.marcus, authorised_visits=8, claim_number="12345")
    page.goto(f"{url}/patients/{marcus}/cases/")
    audit.check(page, "payer cases")
    page.goto(f"{url}/patients/{marcus}/cases/new/")
    audit.check(page, "new payer case")
    refuse(page, "Save")
    audit.check_refused(page, "new payer case, nothing chosen")
    page.goto(f"{url}/cases/{case.pk}/edit/")
    audit.check(page, "edit payer case")
    page.get_by_label("Injury date").fill("2099-01-01")
    refuse(page, "Save")
    audit.check_refused(page, "edit payer case, injury in the future")
    page.goto(f"{url}/cases/{case.pk}/payments/new/")
    audit.check(page, "payer payment")
    refuse(page, "Record the payment")
    audit.check_refused(page, "payer payment, nothing filled")

    page.goto(f"{url}/accounts/password/change/")
    audit.check(page, "password change")
    refuse(page, "Change password")
    audit.check_refused(page, "password change, nothing filled")
    page.get_by_label("Old password").fill(DEMO_PASSWORD)
    for field in page.get_by_label(re.compile("New password")).all():
        field.fill("a-long-new-pass-2026!")
    with page.expect_navigation():
        page.get_by_role("button", name="Change password").click()
    audit.check(page, "password changed")
    page.context.close()

    # A new member of staff enrolling an authenticator app.
    newcomer = UserFactory(role=Role.FRONT_DESK)
    page = signed_in_context(browser, clinic.url, newcomer, verified=False)
    page.goto(f"{url}/accounts/mfa/setup/")
    audit.check(page, "authenticator enrolment")
    page.get_by_label(re.compile("Code")).fill("000000")
    refuse(page, "Confirm")
    audit.check_refused(page, "authenticator enrolment, wrong code")
    device = TOTPDevice.objects.get(user=newcomer)
    code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
    page.get_by_label(re.compile("Code")).fill(str(code).zfill(device.digits))
    with page.expect_navigation():
        page.get_by_role("button", name="Confirm").click()
    audit.check(page, "authenticator enrolment, backup codes")
    page.context.close()
    audit.assert_clean(FRONT_DESK_PAGES)


def test_physio_pages(browser: Browser, clinic, audit: Audit):
    page = signed_in_context(browser, clinic.url, clinic.physio)
    url = clinic.url
    visit = clinic.visit
    for path, label in [
        ("/", "physio home"),
        (f"/patients/{clinic.aisha.pk}/", "patient page (physio)"),
        (f"/patients/{clinic.aisha.pk}/export/", "patient record export"),
        ("/screening/rules/", "screening rules"),
        ("/calendar/", "calendar day (physio)"),
        ("/calendar/week/", "calendar week (physio)"),
        ("/calendar/feed/", "calendar feed settings"),
        (f"/appointments/{clinic.signed.pk}/chart/", "chart, signed"),
        (f"/patients/{clinic.aisha.pk}/timeline/", "timeline"),
        (f"/visits/{visit.pk}/print/", "visit print"),
        ("/adverse-events/", "adverse events"),
    ]:
        page.goto(url + path)
        audit.check(page, label)
    # Documents: the list with its upload form (refused with no file), one document.
    referral = documents_upload(
        patient=clinic.aisha,
        uploads=[("referral.pdf", make_pdf_bytes())],
        kind="referral",
        title="Referral from Dr Moreau",
    ).added[0]
    page.goto(f"{url}/patients/{clinic.aisha.pk}/documents/")
    audit.check(page, "documents")
    refuse(page, "Add documents")
    audit.check_refused(page, "documents, added without a file")
    page.goto(f"{url}/documents/{referral.pk}/")
    audit.check(page, "document")
    # Outcome trends and a progress report: refused without a recipient, then signed.
    page.goto(f"{url}/patients/{clinic.aisha.pk}/outcomes/")
    audit.check(page, "outcome trends")
    page.goto(f"{url}/patients/{clinic.aisha.pk}/progress-reports/new/")
    audit.check(page, "progress report form")
    refuse(page, "Sign the report")
    audit.check_refused(page, "progress report, no recipient")
    page.get_by_label("Recipient").fill("Dr A. Moreau")
    with page.expect_navigation():
        page.get_by_role("button", name="Sign the report").click()
    audit.check(page, "progress report")
    page.goto(f"{url}/calendar/feed/")
    with page.expect_navigation():
        page.get_by_role("button", name="Create my calendar address").click()
    audit.check(page, "calendar feed settings, address made")

    page.goto(f"{url}/alerts/{clinic.alert.pk}/")
    audit.check(page, "alert")
    refuse(page, "Acknowledge")
    audit.check_refused(page, "alert, acknowledged without saying what was done")

    # Today's visit: blocked until the safety check, then sites, then a refused sign.
    chart = f"{url}/appointments/{clinic.today.pk}/chart/"
    page.goto(chart)
    audit.check(page, "chart, before the safety check")
    safety = page.get_by_role("region", name="Day-of-visit safety check")
    refuse(page, "Record the safety check", within="#safety")
    audit.check_refused(page, "chart, safety check refused")
    safety = page.get_by_role("region", name="Day-of-visit safety check")
    safety.get_by_role("group", name="Pregnant today, or could be?").get_by_label(
        "No", exact=True
    ).check()
    safety.get_by_label("The patient consents to IMS today").check()
    with page.expect_navigation():
        safety.get_by_role("button", name="Record the safety check").click()
    page.get_by_role("button", name=re.compile("I have weighed these precautions")).click()
    page.wait_for_load_state()
    audit.check(page, "chart, draft ready for sites")
    sites = page.get_by_role("region", name="Needling sites")
    refuse(page, "Add site", within="#sites")
    audit.check_refused(page, "chart, site refused")
    sites = page.get_by_role("region", name="Needling sites")
    sites.get_by_label(re.compile("Muscle")).select_option(index=1)
    sites.get_by_role("group", name="Side").get_by_label("Left", exact=True).check()
    sites.get_by_label("Depth (cm)").fill("3")
    sites.get_by_label("Insertions").fill("2")
    sites.get_by_role("group", name="Twitch response").get_by_label("Weak", exact=True).check()
    sites.get_by_label("Tolerance").select_option(label="Good")
    with page.expect_navigation():
        sites.get_by_role("button", name="Add site").click()
    audit.check(page, "chart, with a site")
    with page.expect_navigation():
        page.get_by_role("link", name=re.compile("^Edit ")).first.click()
    audit.check(page, "site edit")
    page.get_by_label("Depth (cm)").fill("")
    refuse(page, "Save site")
    audit.check_refused(page, "site edit, no depth")
    page.goto(chart)
    refuse(page, "Record adverse event")
    audit.check_refused(page, "chart, adverse event refused")
    refuse(page, "Sign, lock and send aftercare")
    audit.check_refused(page, "chart, sign refused")
    chart_states(browser, page, clinic, audit)
    page.context.close()
    audit.assert_clean(PHYSIO_PAGES)


def chart_states(browser: Browser, page, clinic, audit: Audit) -> None:
    """The chart's other states (issue 15): the muscle search without a script and the
    body map, a
    refused site-row save, a stale page's conflict (409), a colleague's draft read-only,
    and a draft offering to repeat the last visit's sites."""
    chart = f"{clinic.url}/appointments/{clinic.today.pk}/chart/"
    page.goto(f"{chart}?muscle=L5#sites")
    expect(page.locator("#muscle-search-count")).to_contain_text("match “L5”")
    page.get_by_text("Or pick a region on the body map").click()
    with page.expect_navigation():
        page.get_by_role("link", name="Spine (paraspinal), back").click()
    expect(page.locator("#muscle-search-count")).to_contain_text("in spine (paraspinal)")
    audit.check(page, "chart, body map, a region chosen")
    audit.check(page, "chart, muscle search results for L5")

    page.goto(chart)
    page.get_by_label(re.compile(": depth in cm$")).first.fill("")
    with page.expect_navigation():
        page.locator("form[data-site-row] button[type=submit]").first.click()
    audit.check_refused(page, "chart, site row refused")

    page.goto(chart)
    other = page.context.new_page()  # the same chart in another tab, saved there first
    other.goto(chart)
    with other.expect_navigation():
        other.locator("#note-form").get_by_role("button", name="Save draft").click()
    other.close()
    page.locator("#note-form").get_by_label("Plan").fill("Typed in the stale tab.")
    with page.expect_navigation():
        page.locator("#note-form").get_by_role("button", name="Save draft").click()
    assert page.get_by_text("changed in another tab").count() > 0
    audit.check(page, "chart, conflict with another tab (409)")

    colleague = UserFactory(username="physio2", first_name="Sam", role=Role.PHYSIO)
    theirs = signed_in_context(browser, clinic.url, colleague)
    theirs.goto(chart)
    expect(theirs.get_by_text("only they can change it")).to_be_visible()
    audit.check(theirs, "chart, a colleague's draft (read-only)")
    theirs.context.close()

    page.goto(f"{clinic.url}/appointments/{clinic.repeat.pk}/chart/")
    safety = page.get_by_role("region", name="Day-of-visit safety check")
    safety.get_by_role("group", name="Pregnant today, or could be?").get_by_label(
        "No", exact=True
    ).check()
    safety.get_by_label("The patient consents to IMS today").check()
    with page.expect_navigation():
        safety.get_by_role("button", name="Record the safety check").click()
    expect(page.get_by_role("button", name=re.compile("Repeat last visit's sites"))).to_be_visible()
    audit.check(page, "chart, repeat last visit's sites offered")


def test_admin_pages(browser: Browser, clinic, audit: Audit):
    page = signed_in_context(browser, clinic.url, clinic.admin)
    for path, label in [
        ("/", "admin home"),
        ("/audit/", "audit log"),
        ("/audit/?action=not-an-action", "audit log, refused filter"),
        ("/accounts/staff/", "staff access"),
        ("/operations/messages/", "message health"),
        ("/billing/day-sheet/", "day sheet (admin)"),
        ("/billing/receivables/", "receivables (admin)"),
        ("/screening/rules/", "screening rules (admin)"),
        ("/online/settings/", "online booking settings"),
        ("/online/pending/", "online bookings awaiting approval (admin, none)"),
        ("/outcomes/instruments/", "outcome measures: instruments"),
        ("/outcomes/instruments/ndi/wording/", "outcome measures: NDI wording"),
        ("/documents/settings/", "which documents front desk may open"),
    ]:
        page.goto(clinic.url + path)
        audit.check(page, label)
    page.goto(clinic.url + "/online/settings/")
    page.get_by_label("Book up to (days ahead)").fill("0")
    refuse(page, "Save the settings")
    audit.check_refused(page, "online booking settings, refused")
    page.goto(clinic.url + "/outcomes/schedules/new/")
    audit.check(page, "questionnaire schedule, new")
    page.get_by_label("Before visits").fill("1; 4")
    refuse(page, "Save")
    audit.check_refused(page, "questionnaire schedule, visit numbers refused")
    page.get_by_label("Before visits").fill("1, 4")
    with page.expect_navigation():
        page.locator("main").get_by_role("button", name="Save").click()
    audit.check(page, "questionnaire schedules")
    with page.expect_navigation():
        page.get_by_role("link", name=re.compile("^Change")).first.click()
    audit.check(page, "questionnaire schedule, change")
    page.goto(clinic.url + "/outcomes/instruments/ndi/wording/")
    page.get_by_label("Licence reference").fill("Mapi licence (a11y test)")
    refuse(page, "Save the wording")
    audit.check_refused(page, "NDI wording, refused")
    page.context.close()
    audit.assert_clean(ADMIN_PAGES)


def test_front_desk_billing_pages(browser: Browser, clinic, audit: Audit):
    """Check-out, the invoice with its forms, the account, a by-hand invoice and a
    missed-visit fee, each also with a refused form."""
    item, _ = BillableItem.objects.get_or_create(
        appointment_type=clinic.signed.type, defaults={"name": "IMS treatment (a11y)"}
    )
    if not Fee.objects.filter(item=item, payer_kind="").exists():
        Fee.objects.create(item=item, amount=Decimal("95.00"), effective_from=date(2000, 1, 1))
    # The signed visit has its invoice already (the receipt pages use it): check out another.
    done = AppointmentFactory(
        patient=clinic.marcus,
        practitioner=clinic.physio,
        location=clinic.today.location,
        type=clinic.signed.type,
        start=clinic.signed.start - timedelta(hours=3),
        status=Appointment.Status.COMPLETED,
    )
    missed = AppointmentFactory(
        patient=clinic.marcus,
        practitioner=clinic.physio,
        location=clinic.today.location,
        type=clinic.today.type,
        start=clinic.signed.start - timedelta(hours=1),
        status=Appointment.Status.NO_SHOW,
    )
    fee = MissedVisitFee.objects.create(
        appointment=missed, kind=MissedVisitFee.Kind.NO_SHOW, amount=Decimal("40.00")
    )
    page = signed_in_context(browser, clinic.url, clinic.front_desk)
    url = clinic.url
    page.goto(f"{url}/appointments/{done.pk}/checkout/")
    audit.check(page, "check-out")
    page.get_by_label("Payment 1: method").select_option("cash")
    page.get_by_label("Payment 1: amount ($)").fill("-4")
    refuse(page, "Issue the invoice and take payment")
    audit.check_refused(page, "check-out, negative amount")
    page.get_by_label("Payment 1: amount ($)").fill("20")
    with page.expect_navigation():
        page.get_by_role("button", name="Issue the invoice and take payment").click()
    audit.check(page, "invoice")
    page.get_by_label("Reason for voiding").fill("Wrong visit")
    refuse(page, "Void the invoice")
    audit.check_refused(page, "invoice, void refused (paid)")
    page.goto(f"{url}/patients/{clinic.aisha.pk}/account/")
    audit.check(page, "account")
    refuse(page, "Record the refund")
    audit.check_refused(page, "account, refund with nothing filled")
    page.goto(f"{url}/patients/{clinic.aisha.pk}/invoices/new/")
    audit.check(page, "new invoice by hand")
    refuse(page, "Issue the invoice")
    audit.check_refused(page, "new invoice, nothing chosen")
    page.goto(f"{url}/missed-fees/{fee.pk}/")
    audit.check(page, "missed-visit fee")
    page.get_by_label("Decision").select_option("waive")
    refuse(page, "Save the decision")
    audit.check_refused(page, "missed-visit fee, waived without a reason")
    page.context.close()
    audit.assert_clean(BILLING_PAGES)
