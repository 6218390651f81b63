"""The expected table of the authorization matrix: for each URL name, what each kind of
visitor gets. Its vocabulary (``OK``, ``LOGIN``, ``MFA``, ``DENIED``, ``BAD_LINK``,
``Refused``) is what ``requesting.outcome`` reports."""

from typing import NamedTuple

OK = "ok"  # 2xx, or a redirect anywhere but the sign-in or second-factor page
LOGIN = "login"  # redirect to the sign-in page, with ?next=
MFA = "mfa"  # redirect to the second-factor page, with ?next=
DENIED = "denied"  # 403, and the refusal is in the audit log
BAD_LINK = "bad-link"  # 404, the one plain page for a tampered/unknown patient link


class Refused(NamedTuple):
    """The view serves the page again (200): its service refused the change with
    ``message``, kept on the page's ``form`` (a refusal, not a 403)."""

    form: str
    message: str


ANONYMOUS, PATIENT, FRONT_DESK, PHYSIO, ADMIN = ACTORS = (
    "anonymous",
    "patient",
    "front_desk",
    "physio",
    "admin",
)
ADMIN_SITE = "admin:*"
ADMIN_SITE_URLS = ("admin:index", "admin:auth_user_changelist")


# fmt: off
EXPECTED: dict[str, tuple] = {
    # url name                       anonymous patient   front desk physio     admin
    "home":                         (LOGIN,    LOGIN,    OK,        OK,        OK),
    "healthz":                      (OK,       OK,       OK,        OK,        OK),
    "favicon":                      (OK,       OK,       OK,        OK,        OK),
    "audit-log":                    (LOGIN,    LOGIN,    DENIED,    DENIED,    OK),
    "patient-export":               (LOGIN,    LOGIN,    DENIED,    OK,        DENIED),
    # Accounts.
    "login":                        (OK,       OK,       OK,        OK,        OK),
    "logout":                       (OK,       OK,       OK,        OK,        OK),
    "mfa-verify":                   (LOGIN,    LOGIN,    OK,        OK,        OK),
    "mfa-setup":                    (LOGIN,    LOGIN,    OK,        OK,        OK),
    "staff-access":                 (LOGIN,    LOGIN,    DENIED,    DENIED,    OK),
    "mfa-reset":                    (LOGIN,    LOGIN,    DENIED,    DENIED,    OK),
    "staff-password-link":          (LOGIN,    LOGIN,    DENIED,    DENIED,    OK),
    "lockout-unlock":               (LOGIN,    LOGIN,    DENIED,    DENIED,    OK),
    "password_change":              (LOGIN,    LOGIN,    OK,        OK,        OK),
    "password_change_done":         (LOGIN,    LOGIN,    OK,        OK,        OK),
    "password_reset":               (OK,       OK,       OK,        OK,        OK),
    "password_reset_done":          (OK,       OK,       OK,        OK,        OK),
    "password_reset_confirm":       (OK,       OK,       OK,        OK,        OK),
    "password_reset_complete":      (OK,       OK,       OK,        OK,        OK),
    # Patients and intake.
    "intake:patient-list":          (LOGIN,    LOGIN,    OK,        OK,        DENIED),
    "intake:patient-create":        (LOGIN,    LOGIN,    OK,        OK,        DENIED),
    "intake:patient-detail":        (LOGIN,    LOGIN,    OK,        OK,        DENIED),
    "intake:patient-edit":          (LOGIN,    LOGIN,    OK,        OK,        DENIED),
    "intake:patient-messages":      (LOGIN,    LOGIN,    OK,        OK,        DENIED),
    "intake:phones-to-fix":         (LOGIN,    LOGIN,    OK,        DENIED,    OK),
    "intake:intake-send":           (LOGIN,    LOGIN,    OK,        OK,        DENIED),
    "intake:invitation-revoke":     (LOGIN,    LOGIN,    OK,        OK,        DENIED),
    "intake:intake-summary":        (LOGIN,    LOGIN,    DENIED,    OK,        DENIED),
    "intake:screening-rules":       (LOGIN,    LOGIN,    DENIED,    OK,        OK),
    "intake:fill":                  (OK,       BAD_LINK, OK,        OK,        OK),
    "intake:fill-step":             (OK,       BAD_LINK, OK,        OK,        OK),
    # The patient's documents pages, through the intake link or a document link.
    "sessions:intake-documents":    (OK,       BAD_LINK, OK,        OK,        OK),
    "sessions:document-request-upload": (OK,   BAD_LINK, OK,        OK,        OK),
    "intake:messages":              (OK,       BAD_LINK, OK,        OK,        OK),
    # Calendar and booking.
    "sessions:calendar-day":        (LOGIN,    LOGIN,    OK,        OK,        DENIED),
    "sessions:calendar-week":       (LOGIN,    LOGIN,    OK,        OK,        DENIED),
    "sessions:feed-settings":       (LOGIN,    LOGIN,    DENIED,    OK,        DENIED),
    "sessions:calendar-feed":       (OK,       BAD_LINK, OK,        OK,        OK),
    "sessions:appointment-new":     (LOGIN,    LOGIN,    OK,        OK,        DENIED),
    "sessions:appointment-detail":  (LOGIN,    LOGIN,    OK,        OK,        DENIED),
    "sessions:appointment-cancel":  (LOGIN,    LOGIN,    OK,        OK,        DENIED),
    "sessions:appointment-status":  (LOGIN,    LOGIN,    OK,        OK,        DENIED),
    "sessions:appointment-confirm": (LOGIN,    LOGIN,    OK,        OK,        DENIED),
    "sessions:course-edit":         (LOGIN,    LOGIN,    OK,        OK,        DENIED),
    "sessions:course-discharge":    (LOGIN,    LOGIN,    DENIED,    OK,        DENIED),
    # Charting: another physiotherapist's visit, which the physio may read, not write.
    "sessions:chart":               (LOGIN,    LOGIN,    DENIED,    OK,        DENIED),
    "sessions:safety-check":        (LOGIN,    LOGIN,    DENIED,    DENIED,    DENIED),
    "sessions:acknowledge":         (LOGIN,    LOGIN,    DENIED,    DENIED,    DENIED),
    "sessions:note-save":           (LOGIN,    LOGIN,    DENIED,    DENIED,    DENIED),
    "sessions:site-add":            (LOGIN,    LOGIN,    DENIED,    DENIED,    DENIED),
    "sessions:site-remove":         (LOGIN,    LOGIN,    DENIED,    DENIED,    DENIED),
    "sessions:site-edit":           (LOGIN,    LOGIN,    DENIED,    DENIED,    DENIED),
    "sessions:sites-repeat":        (LOGIN,    LOGIN,    DENIED,    DENIED,    DENIED),
    "sessions:adverse-add":         (LOGIN,    LOGIN,    DENIED,    DENIED,    DENIED),
    "sessions:sign":                (LOGIN,    LOGIN,    DENIED,    DENIED,    DENIED),
    "sessions:addendum-add":        (LOGIN,    LOGIN,    DENIED,    DENIED,    DENIED),
    "sessions:visit-print":         (LOGIN,    LOGIN,    DENIED,    OK,        DENIED),
    "sessions:links-revoke":        (LOGIN,    LOGIN,    DENIED,    OK,        DENIED),
    "sessions:timeline":            (LOGIN,    LOGIN,    DENIED,    OK,        DENIED),
    "sessions:outcome-trends":      (LOGIN,    LOGIN,    DENIED,    OK,        DENIED),
    "sessions:progress-report-new": (LOGIN,    LOGIN,    DENIED,    OK,        DENIED),
    "sessions:progress-report":     (LOGIN,    LOGIN,    DENIED,    OK,        DENIED),
    "sessions:progress-report-pdf": (LOGIN,    LOGIN,    DENIED,    OK,        DENIED),
    "sessions:adverse-events":      (LOGIN,    LOGIN,    DENIED,    OK,        DENIED),
    # Follow-ups: another physiotherapist's alert.
    "sessions:alert":               (LOGIN,    LOGIN,    DENIED,    OK,        DENIED),
    "sessions:call-done":           (LOGIN,    LOGIN,    OK,        DENIED,    DENIED),
    "sessions:message-health":      (LOGIN,    LOGIN,    DENIED,    DENIED,    OK),
    "sessions:checkin":             (OK,       BAD_LINK, OK,        OK,        OK),
    # The SMS provider's webhooks: only a request signed with its token gets in.
    "sessions:sms-status":          (DENIED,   DENIED,   DENIED,    DENIED,    DENIED),
    "sessions:sms-inbound":         (DENIED,   DENIED,   DENIED,    DENIED,    DENIED),
    # A text's short link: an unknown code is the one bad-link page for everyone.
    "short-link":                   (BAD_LINK, BAD_LINK, BAD_LINK,  BAD_LINK,  BAD_LINK),
    "sessions:aftercare":           (OK,       BAD_LINK, OK,        OK,        OK),
    # Receipts: front desk and clinic admin bill; the patient's signed link.
    "sessions:receipt":             (LOGIN,    LOGIN,    OK,        DENIED,    OK),
    "sessions:receipt-pdf":         (LOGIN,    LOGIN,    OK,        DENIED,    OK),
    "sessions:receipt-send":        (LOGIN,    LOGIN,    OK,        DENIED,    OK),
    "sessions:receipt-links-revoke": (LOGIN,   LOGIN,    OK,        DENIED,    OK),
    "sessions:receipt-link":        (OK,       BAD_LINK, OK,        OK,        OK),
    "sessions:receipt-link-pdf":    (OK,       BAD_LINK, OK,        OK,        OK),
    # Online booking: the patient's own visit link, the wait list and its offers.
    "sessions:visit-manage":        (OK,       BAD_LINK, OK,        OK,        OK),
    "sessions:visit-cancel-self":   (OK,       BAD_LINK, OK,        OK,        OK),
    "sessions:visit-confirm-self":  (OK,       BAD_LINK, OK,        OK,        OK),
    "sessions:visit-move":          (OK,       BAD_LINK, OK,        OK,        OK),
    "sessions:waitlist-entry":      (OK,       BAD_LINK, OK,        OK,        OK),
    "sessions:offer":               (OK,       BAD_LINK, OK,        OK,        OK),
    "sessions:waitlist-join":       (OK,       OK,       OK,        OK,        OK),
    "sessions:waitlist":            (LOGIN,    LOGIN,    OK,        DENIED,    OK),
    "sessions:waitlist-new":        (LOGIN,    LOGIN,    OK,        DENIED,    OK),
    "sessions:waitlist-edit":       (LOGIN,    LOGIN,    OK,        DENIED,    OK),
    # Billing reports.
    "sessions:day-sheet":           (LOGIN,    LOGIN,    OK,        DENIED,    OK),
    "sessions:receivables":         (LOGIN,    LOGIN,    OK,        DENIED,    OK),
    # Payer cases: front desk and clinic admin keep them, physiotherapists read the list.
    "sessions:cases":               (LOGIN,    LOGIN,    OK,        OK,        OK),
    "sessions:case-new":            (LOGIN,    LOGIN,    OK,        DENIED,    OK),
    "sessions:case-edit":           (LOGIN,    LOGIN,    OK,        DENIED,    OK),
    "sessions:case-payment":        (LOGIN,    LOGIN,    OK,        DENIED,    OK),
    # Billing, the front desk's pages: front desk and clinic admin, never a physio.
    # Outcome measures: a physio sends, front desk or physio hands a tablet over, the
    # clinic admin sets schedules; the patient's own questionnaire link.
    "sessions:questionnaire":       (OK,       BAD_LINK, OK,        OK,        OK),
    "sessions:questionnaire-send":  (LOGIN,    LOGIN,    DENIED,    OK,        DENIED),
    "sessions:questionnaire-tablet": (LOGIN,   LOGIN,    OK,        OK,        DENIED),
    "sessions:schedule-list":       (LOGIN,    LOGIN,    DENIED,    DENIED,    OK),
    "sessions:schedule-new":        (LOGIN,    LOGIN,    DENIED,    DENIED,    OK),
    "sessions:schedule-edit":       (LOGIN,    LOGIN,    DENIED,    DENIED,    OK),
    "sessions:checkout":            (LOGIN,    LOGIN,    OK,        DENIED,    OK),
    "sessions:invoice":             (LOGIN,    LOGIN,    OK,        DENIED,    OK),
    "sessions:invoice-pay":         (LOGIN,    LOGIN,    OK,        DENIED,    OK),
    "sessions:invoice-void":        (LOGIN,    LOGIN,    OK,        DENIED,    OK),
    "sessions:credit-note-add":     (LOGIN,    LOGIN,    OK,        DENIED,    OK),
    "sessions:credit-apply":        (LOGIN,    LOGIN,    OK,        DENIED,    OK),
    "sessions:missed-fee":          (LOGIN,    LOGIN,    OK,        DENIED,    OK),
    "sessions:invoice-new":         (LOGIN,    LOGIN,    OK,        DENIED,    OK),
    "sessions:account":             (LOGIN,    LOGIN,    OK,        DENIED,    OK),
    "sessions:statement-pdf":       (LOGIN,    LOGIN,    OK,        DENIED,    OK),
    "sessions:refund-add":          (LOGIN,    LOGIN,    OK,        DENIED,    OK),
    # Online booking, the desk's pages: settings for the clinic admin; approvals for
    # front desk and clinic admin, never a physio.
    "sessions:online-settings":     (LOGIN,    LOGIN,    DENIED,    DENIED,    OK),
    "sessions:online-pending":      (LOGIN,    LOGIN,    OK,        DENIED,    OK),
    "sessions:appointment-approve": (LOGIN,    LOGIN,    OK,        DENIED,    OK),
    "sessions:appointment-decline": (LOGIN,    LOGIN,    OK,        DENIED,    OK),
    # Online booking: public pages, and links a patient holds (a hold, email checks).
    "sessions:online-start":        (OK,       OK,       OK,        OK,        OK),
    "sessions:online-sign-in":      (OK,       OK,       OK,        OK,        OK),
    "sessions:online-signed-in":    (OK,       BAD_LINK, OK,        OK,        OK),
    "sessions:online-sign-out":     (OK,       OK,       OK,        OK,        OK),
    "sessions:online-services":     (OK,       OK,       OK,        OK,        OK),
    "sessions:online-slots":        (OK,       OK,       OK,        OK,        OK),
    "sessions:online-callback":     (OK,       OK,       OK,        OK,        OK),
    "sessions:online-details":      (OK,       BAD_LINK, OK,        OK,        OK),
    "sessions:online-check-email":  (OK,       BAD_LINK, OK,        OK,        OK),
    "sessions:online-confirm":      (OK,       BAD_LINK, OK,        OK,        OK),
    # Outcome measures: the clinic admin's instruments and licensed wording.
    "sessions:outcome-instruments": (LOGIN,   LOGIN,    DENIED,    DENIED,    OK),
    "sessions:outcome-wording":     (LOGIN,    LOGIN,    DENIED,    DENIED,    OK),
    # Documents: staff add them; A's referral opens to physiotherapists and the clinic
    # admin, never front desk; the admin deletes and sets what front desk opens.
    "sessions:documents":           (LOGIN,    LOGIN,    OK,        OK,        OK),
    "sessions:document-request-send": (LOGIN,  LOGIN,    OK,        OK,        OK),
    "sessions:document-settings":   (LOGIN,    LOGIN,    DENIED,    DENIED,    OK),
    "sessions:document":            (LOGIN,    LOGIN,    DENIED,    OK,        OK),
    "sessions:document-file":       (LOGIN,    LOGIN,    DENIED,    OK,        OK),
    "sessions:document-thumbnail":  (LOGIN,    LOGIN,    DENIED,    OK,        OK),
    "sessions:document-delete":     (LOGIN,    LOGIN,    DENIED,    DENIED,    OK),
    # Django's admin, checked with its index and one changelist.
    ADMIN_SITE:                     (LOGIN,    LOGIN,    DENIED,    DENIED,    OK),
}
# fmt: on


# The second-factor pages themselves are reachable before the second factor.
MFA_PAGES = {"mfa-verify", "mfa-setup"}
