"""How the matrix requests each URL: the arguments, the POST bodies, the signed-in
clients, and what a response comes down to (``outcome``)."""

from collections.abc import Callable
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from clinic.links import make_token
from intake import services as intake_services
from intake.forms import STEP_SLUGS
from sessions.billing.receipts import RECEIPT_PURPOSE
from sessions.booking import feeds
from sessions.charting.aftercare import AFTERCARE_PURPOSE
from sessions.documents import services as document_services
from sessions.followups.services import CHECKIN_PURPOSE
from sessions.online import signin, waitlist
from sessions.outcomes.links import QUESTIONNAIRE_PURPOSE
from sessions.outcomes.models import ProgressReport
from sessions.outcomes.reports import report_sign
from tests.clinic.authorization.expected import (
    ADMIN_SITE,
    ADMIN_SITE_URLS,
    ANONYMOUS,
    BAD_LINK,
    DENIED,
    LOGIN,
    MFA,
    OK,
    PATIENT,
)
from tests.clinic.authorization.world import World

FAST_HASHER = "django.contrib.auth.hashers.MD5PasswordHasher"


def no_args(w: World) -> dict:
    return {}


def progress_report(w: World) -> ProgressReport:
    """A's signed progress report (written the first time a URL needs it)."""
    found = ProgressReport.objects.filter(patient=w.patient).first()
    if found is not None:
        return found
    course = w.appointment.course
    return report_sign(patient=w.patient, course=course, author=w.author, recipient="Dr Payer")


# Patient links: (purpose, patient A's object, patient B's object, other URL kwargs).
LINKS: dict[str, tuple[str, str, str, dict]] = {
    "intake:fill": (intake_services.INVITATION_PURPOSE, "invitation", "other_invitation", {}),
    "intake:fill-step": (
        intake_services.INVITATION_PURPOSE,
        "invitation",
        "other_invitation",
        {"step": STEP_SLUGS[0]},
    ),
    "sessions:intake-documents": (
        intake_services.INVITATION_PURPOSE,
        "invitation",
        "other_invitation",
        {},
    ),
    "sessions:document-request-upload": (
        document_services.REQUEST_PURPOSE,
        "document_request",
        "other_document_request",
        {},
    ),
    "intake:messages": (
        intake_services.MESSAGES_PURPOSE,
        "messages_link",
        "other_messages_link",
        {},
    ),
    "sessions:calendar-feed": (feeds.FEED_PURPOSE, "feed", "other_feed", {}),
    "sessions:checkin": (CHECKIN_PURPOSE, "checkin", "other_checkin", {}),
    "sessions:aftercare": (AFTERCARE_PURPOSE, "delivery", "other_delivery", {}),
    "sessions:receipt-link": (RECEIPT_PURPOSE, "receipt_link", "other_receipt_link", {}),
    "sessions:receipt-link-pdf": (RECEIPT_PURPOSE, "receipt_link", "other_receipt_link", {}),
    "sessions:visit-manage": ("visit", "visit_link", "other_visit_link", {}),
    "sessions:visit-cancel-self": ("visit", "visit_link", "other_visit_link", {}),
    "sessions:visit-confirm-self": ("visit", "visit_link", "other_visit_link", {}),
    "sessions:visit-move": ("visit", "visit_link", "other_visit_link", {}),
    "sessions:waitlist-entry": (
        waitlist.ENTRY_PURPOSE,
        "waitlist_entry",
        "other_waitlist_entry",
        {},
    ),
    "sessions:offer": (waitlist.OFFER_PURPOSE, "offer", "other_offer", {}),
    # Online booking.
    "sessions:online-signed-in": (
        signin.SIGN_IN_PURPOSE,
        "sign_in_check",
        "other_sign_in_check",
        {},
    ),
    "sessions:online-details": (signin.HOLD_PURPOSE, "hold", "other_hold", {}),
    # Outcome measures: the patient's questionnaire.
    "sessions:questionnaire": (
        QUESTIONNAIRE_PURPOSE,
        "questionnaire",
        "other_questionnaire",
        {},
    ),
    "sessions:online-check-email": (signin.HOLD_PURPOSE, "hold", "other_hold", {}),
    "sessions:online-confirm": (
        signin.CONFIRM_PURPOSE,
        "confirm_check",
        "other_confirm_check",
        {},
    ),
}


def link_args(name: str, w: World, *, nonce_of: str = "mine", purpose: str = "") -> dict:
    """Kwargs of a patient link to A's object: genuine, or signed with B's nonce
    (``nonce_of="other"``), or signed for another ``purpose``."""
    own_purpose, mine, other, extra = LINKS[name]
    target = getattr(w, mine)
    nonce = getattr(w, other if nonce_of == "other" else mine).nonce
    return {"token": make_token(purpose or own_purpose, target.pk, nonce), **extra}


def _link(name: str) -> Callable[[World], dict]:
    return lambda w: link_args(name, w)


ARGS: dict[str, Callable[[World], dict]] = {
    "home": no_args,
    "sessions:waitlist-join": lambda w: {
        "location_pk": w.online_location.pk,
        "type_pk": w.online_type.pk,
    },
    "sessions:waitlist": no_args,
    "sessions:waitlist-new": no_args,
    "sessions:waitlist-edit": lambda w: {"pk": w.waitlist_entry.pk},
    "healthz": no_args,
    "favicon": no_args,
    "short-link": lambda w: {"code": "A" * 12},
    "sessions:sms-status": no_args,
    "sessions:sms-inbound": no_args,
    "audit-log": no_args,
    "patient-export": lambda w: {"pk": w.patient.pk},
    "login": no_args,
    "logout": no_args,
    "mfa-verify": no_args,
    "mfa-setup": no_args,
    "staff-access": no_args,
    "mfa-reset": lambda w: {"user_id": w.author.pk},
    "staff-password-link": lambda w: {"user_id": w.author.pk},
    "lockout-unlock": lambda w: {"attempt_id": w.attempt.pk},
    "password_change": no_args,
    "password_change_done": no_args,
    "password_reset": no_args,
    "password_reset_done": no_args,
    "password_reset_confirm": lambda w: {
        "uidb64": urlsafe_base64_encode(force_bytes(w.author.pk)),
        "token": default_token_generator.make_token(w.author),
    },
    "password_reset_complete": no_args,
    "intake:patient-list": no_args,
    "intake:patient-create": no_args,
    "intake:patient-detail": lambda w: {"pk": w.patient.pk},
    "intake:patient-edit": lambda w: {"pk": w.patient.pk},
    "intake:patient-messages": lambda w: {"pk": w.patient.pk},
    "intake:phones-to-fix": no_args,
    "intake:intake-send": lambda w: {"pk": w.patient.pk},
    "intake:invitation-revoke": lambda w: {"pk": w.invitation.pk},
    "intake:intake-summary": lambda w: {"pk": w.intake.pk},
    "intake:screening-rules": no_args,
    "sessions:calendar-day": no_args,
    "sessions:calendar-week": no_args,
    "sessions:feed-settings": no_args,
    "sessions:appointment-new": no_args,
    "sessions:appointment-detail": lambda w: {"pk": w.appointment.pk},
    "sessions:appointment-cancel": lambda w: {"pk": w.appointment.pk},
    "sessions:appointment-status": lambda w: {"pk": w.appointment.pk, "status": "arrived"},
    "sessions:appointment-confirm": lambda w: {"pk": w.appointment.pk},
    "sessions:course-edit": lambda w: {"pk": w.patient.pk},
    "sessions:course-discharge": lambda w: {"pk": w.patient.pk},
    "sessions:chart": lambda w: {"appointment_pk": w.appointment.pk},
    "sessions:safety-check": lambda w: {"pk": w.visit.pk},
    "sessions:acknowledge": lambda w: {"pk": w.visit.pk},
    "sessions:note-save": lambda w: {"pk": w.visit.pk},
    "sessions:site-add": lambda w: {"pk": w.visit.pk},
    "sessions:site-remove": lambda w: {"pk": w.site.pk},
    "sessions:site-edit": lambda w: {"pk": w.site.pk},
    "sessions:sites-repeat": lambda w: {"pk": w.visit.pk},
    "sessions:adverse-add": lambda w: {"pk": w.visit.pk},
    "sessions:sign": lambda w: {"pk": w.visit.pk},
    "sessions:addendum-add": lambda w: {"pk": w.signed_visit.pk},
    "sessions:visit-print": lambda w: {"pk": w.visit.pk},
    "sessions:links-revoke": lambda w: {"pk": w.signed_visit.pk},
    "sessions:timeline": lambda w: {"patient_pk": w.patient.pk},
    "sessions:outcome-trends": lambda w: {"patient_pk": w.patient.pk},
    "sessions:progress-report-new": lambda w: {"patient_pk": w.patient.pk},
    "sessions:progress-report": lambda w: {"pk": progress_report(w).pk},
    "sessions:progress-report-pdf": lambda w: {"pk": progress_report(w).pk},
    "sessions:adverse-events": no_args,
    "sessions:alert": lambda w: {"pk": w.alert.pk},
    "sessions:call-done": lambda w: {"pk": w.call.pk},
    "sessions:message-health": no_args,
    # Receipts.
    "sessions:receipt": lambda w: {"pk": w.invoice.pk},
    "sessions:receipt-pdf": lambda w: {"pk": w.invoice.pk},
    "sessions:receipt-send": lambda w: {"pk": w.invoice.pk},
    "sessions:receipt-links-revoke": lambda w: {"pk": w.invoice.pk},
    "sessions:day-sheet": no_args,
    "sessions:receivables": no_args,
    "sessions:cases": lambda w: {"patient_pk": w.patient.pk},
    "sessions:case-new": lambda w: {"patient_pk": w.patient.pk},
    "sessions:case-edit": lambda w: {"pk": w.payer_case.pk},
    "sessions:case-payment": lambda w: {"pk": w.payer_case.pk},
    "sessions:checkout": lambda w: {"pk": w.signed_visit.appointment.pk},
    "sessions:invoice": lambda w: {"pk": w.invoice.pk},
    "sessions:invoice-pay": lambda w: {"pk": w.invoice.pk},
    "sessions:invoice-void": lambda w: {"pk": w.invoice.pk},
    "sessions:credit-note-add": lambda w: {"pk": w.invoice.pk},
    "sessions:credit-apply": lambda w: {"pk": w.invoice.pk},
    "sessions:missed-fee": lambda w: {"pk": w.missed_fee.pk},
    "sessions:invoice-new": lambda w: {"patient_pk": w.patient.pk},
    "sessions:account": lambda w: {"patient_pk": w.patient.pk},
    "sessions:statement-pdf": lambda w: {"patient_pk": w.patient.pk},
    "sessions:refund-add": lambda w: {"patient_pk": w.patient.pk},
    "sessions:online-settings": no_args,
    "sessions:online-pending": no_args,
    "sessions:appointment-approve": lambda w: {"pk": w.appointment.pk},
    "sessions:appointment-decline": lambda w: {"pk": w.appointment.pk},
    # Online booking, public.
    "sessions:online-start": no_args,
    "sessions:online-sign-in": no_args,
    "sessions:online-sign-out": no_args,
    "sessions:online-services": lambda w: {"location_pk": w.online_location.pk},
    "sessions:online-slots": lambda w: {
        "location_pk": w.online_location.pk,
        "type_pk": w.online_type.pk,
    },
    "sessions:online-callback": lambda w: {
        "location_pk": w.online_location.pk,
        "type_pk": w.online_type.pk,
    },
    # Outcome measures: questionnaires.
    "sessions:questionnaire-send": lambda w: {"patient_pk": w.patient.pk},
    "sessions:questionnaire-tablet": lambda w: {"patient_pk": w.patient.pk},
    "sessions:schedule-list": no_args,
    "sessions:schedule-new": no_args,
    "sessions:schedule-edit": lambda w: {"pk": w.outcome_schedule.pk},
    "sessions:outcome-instruments": no_args,
    "sessions:outcome-wording": lambda w: {"code": "ndi"},
    # Documents.
    "sessions:documents": lambda w: {"pk": w.patient.pk},
    "sessions:document-request-send": lambda w: {"pk": w.patient.pk},
    "sessions:document-settings": no_args,
    "sessions:document": lambda w: {"pk": w.document.pk},
    "sessions:document-file": lambda w: {"pk": w.document.pk},
    "sessions:document-thumbnail": lambda w: {"pk": w.document.pk},
    "sessions:document-delete": lambda w: {"pk": w.document.pk},
    ADMIN_SITE: no_args,
    **{name: _link(name) for name in LINKS},
}

# POST-only views, requested with POST and this data (CSRF is off in the test client).
POST: dict[str, dict] = {
    "sessions:course-discharge": {},
    "sessions:sms-status": {"MessageSid": "SM" + "0" * 32, "MessageStatus": "delivered"},
    "sessions:sms-inbound": {"MessageSid": "SM" + "1" * 32, "From": "+14035550101", "Body": "C"},
    "logout": {},
    "mfa-reset": {},
    "staff-password-link": {},
    "lockout-unlock": {},
    "intake:intake-send": {},
    "intake:invitation-revoke": {},
    "sessions:appointment-cancel": {"reason": "Patient called"},
    "sessions:appointment-status": {},
    "sessions:appointment-confirm": {},
    "sessions:safety-check": {},
    "sessions:acknowledge": {},
    "sessions:note-save": {},
    "sessions:site-add": {},
    "sessions:site-remove": {},
    "sessions:sites-repeat": {},
    "sessions:links-revoke": {},
    "sessions:adverse-add": {},
    # Valid forms, so that the request reaches the service's author check.
    "sessions:sign": {"aftercare_text": "Soreness for a day or two is normal."},
    "sessions:addendum-add": {"reason": "Wrong side", "text": "Left, not right."},
    "sessions:call-done": {"note": "Called back"},
    "sessions:receipt-send": {},
    "sessions:receipt-links-revoke": {},
    # Billing writes with empty forms: they reach the role check, then the form refuses.
    "sessions:invoice-pay": {},
    "sessions:invoice-void": {},
    "sessions:credit-note-add": {},
    "sessions:credit-apply": {},
    "sessions:refund-add": {},
    # Online booking's approvals: A's visit is not waiting, so the service says so.
    "sessions:appointment-approve": {},
    "sessions:appointment-decline": {},
    # Outcome measures: the physio's send and the tablet handover (which signs out).
    "sessions:questionnaire-send": {"instrument": "nprs"},
    "sessions:questionnaire-tablet": {"instrument": "nprs"},
    # Documents: a link emailed to A, and the admin's delete of A's referral.
    "sessions:document-request-send": {"note": "your referral"},
    "sessions:document-delete": {"reason": "Uploaded to the wrong patient"},
}


def url_patterns() -> dict[str, str]:
    """Every named URL pattern (namespaced name -> full route); the admin's are one
    entry, ``admin:*``."""

    def walk(patterns, namespace: str, prefix: str):
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                inner = pattern.namespace
                full = f"{namespace}:{inner}" if namespace and inner else inner or namespace
                yield from walk(pattern.url_patterns, full, route)
            elif isinstance(pattern, URLPattern):
                name = pattern.name or f"<unnamed {route}>"
                yield (f"{namespace}:{name}" if namespace else name), route

    found = {}
    for name, route in walk(get_resolver().url_patterns, "", ""):
        found[ADMIN_SITE if name.startswith("admin:") else name] = route
    return found


def urls_for(name: str, w: World, actor: str) -> list[str]:
    if name not in ARGS:
        pytest.fail(f"Add {name!r} to ARGS in {__name__}: which real ids fill its URL?")
    if name == ADMIN_SITE:
        return [reverse(admin_name) for admin_name in ADMIN_SITE_URLS]
    if actor == PATIENT and name in LINKS:
        return [reverse(name, kwargs=link_args(name, w, nonce_of="other"))]
    return [reverse(name, kwargs=ARGS[name](w))]


def send(client, name: str, w: World, actor: str) -> list:
    if name in POST:
        return [client.post(url, POST[name]) for url in urls_for(name, w, actor)]
    return [client.get(url) for url in urls_for(name, w, actor)]


def outcome(response) -> str:
    status = response.status_code
    if status in (301, 302, 303, 307, 308):
        target = urlsplit(response["Location"])
        if "next=" in target.query and target.path == reverse("login"):
            return LOGIN
        if "next=" in target.query and target.path == reverse("mfa-verify"):
            return MFA
        return OK
    if 200 <= status < 300:
        return OK
    if status == 403:
        return DENIED
    templates = {t.name for t in response.templates}
    if status == 404 and "intake/link_invalid.html" in templates:
        return BAD_LINK
    return f"HTTP {status}"


def assert_not_cacheable(response, what: str) -> None:
    """No browser or proxy may keep the page: a shared front-desk computer's history
    must not show it again."""
    directives = {d.strip() for d in response.get("Cache-Control", "").split(",")}
    assert {"no-store", "private"} <= directives, f"{what}: Cache-Control {directives}"


def sign_in(actor: str, w: World, client, client_for, *, verified: bool = True):
    if actor in (ANONYMOUS, PATIENT):
        client.logout()
        return client
    return client_for(getattr(w, actor), verified=verified)
