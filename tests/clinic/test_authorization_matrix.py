"""Authorization matrix: every URL the resolver knows, requested by every kind of visitor
with real ids of other people's records, compared with one expected table.

A URL name missing from EXPECTED fails, and so does a stale entry: a new view cannot
skip this review. The whole Django admin counts as one entry, ``admin:*``.

Visitors (columns):
- anonymous: no session; patient links are opened with the patient's genuine token.
- patient: the holder of another patient's link. Patient links get a token forged from
  patient A's object id and patient B's own nonce; staff pages see no session.
- front_desk, physio, admin: signed in, second factor done. The physio is not the
  author of any visit, alert or calendar feed used here: another physiotherapist is.
"""

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import NamedTuple
from urllib.parse import urlsplit

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.models import User
from django.contrib.auth.tokens import default_token_generator
from django.core.cache import cache
from django.db import transaction
from django.test import override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from clinic.audit import URL_SUBJECTS
from clinic.links import make_token
from clinic.models import AuditEvent
from clinic.roles import Role
from intake import services as intake_services
from intake.forms import STEP_SLUGS
from intake.models import Intake, IntakeInvitation, Patient
from sessions.booking import feeds
from sessions.charting.services import AFTERCARE_PURPOSE
from sessions.followups.services import CHECKIN_PURPOSE
from sessions.models import (
    Addendum,
    AftercareDelivery,
    Alert,
    Appointment,
    CalendarFeed,
    CallTask,
    NeedlingSite,
    ScheduledMessage,
    Visit,
)
from tests.factories import (
    AppointmentFactory,
    AppointmentTypeFactory,
    CheckinAnswerFactory,
    LocationFactory,
    MuscleFactory,
    NeedlingSiteFactory,
    PatientFactory,
    ScheduledMessageFactory,
    UserFactory,
    VisitFactory,
)

# --- Vocabulary ---------------------------------------------------------------------------

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


NOT_AUTHOR_SIGN = Refused("sign_form", "Only the author of the note can sign it.")
NOT_AUTHOR_ADDENDUM = Refused("addendum_form", "Only the author of the note can add an addendum.")

ANONYMOUS, PATIENT, FRONT_DESK, PHYSIO, ADMIN = ACTORS = (
    "anonymous",
    "patient",
    "front_desk",
    "physio",
    "admin",
)
ADMIN_SITE = "admin:*"
ADMIN_SITE_URLS = ("admin:index", "admin:auth_user_changelist")
FAST_HASHER = "django.contrib.auth.hashers.MD5PasswordHasher"

# --- The expected table -------------------------------------------------------------------
# Clinic admin: administration only, no patient records. Physiotherapist: everything
# clinical, for any patient of the clinic; only a note's author signs it or adds an
# addendum. Front desk: demographics, calendar, booking, call-backs; nothing clinical.

# fmt: off
EXPECTED: dict[str, tuple] = {
    # url name                       anonymous patient   front desk physio     admin
    "home":                         (LOGIN,    LOGIN,    OK,        OK,        OK),
    "healthz":                      (OK,       OK,       OK,        OK,        OK),
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
    "intake:intake-send":           (LOGIN,    LOGIN,    OK,        OK,        DENIED),
    "intake:invitation-revoke":     (LOGIN,    LOGIN,    OK,        OK,        DENIED),
    "intake:intake-summary":        (LOGIN,    LOGIN,    DENIED,    OK,        DENIED),
    "intake:screening-rules":       (LOGIN,    LOGIN,    DENIED,    OK,        OK),
    "intake:fill":                  (OK,       BAD_LINK, OK,        OK,        OK),
    "intake:fill-step":             (OK,       BAD_LINK, OK,        OK,        OK),
    # Calendar and booking.
    "sessions:calendar-day":        (LOGIN,    LOGIN,    OK,        OK,        DENIED),
    "sessions:calendar-week":       (LOGIN,    LOGIN,    OK,        OK,        DENIED),
    "sessions:feed-settings":       (LOGIN,    LOGIN,    DENIED,    OK,        DENIED),
    "sessions:calendar-feed":       (OK,       BAD_LINK, OK,        OK,        OK),
    "sessions:appointment-new":     (LOGIN,    LOGIN,    OK,        OK,        DENIED),
    "sessions:appointment-detail":  (LOGIN,    LOGIN,    OK,        OK,        DENIED),
    "sessions:appointment-cancel":  (LOGIN,    LOGIN,    OK,        OK,        DENIED),
    "sessions:appointment-status":  (LOGIN,    LOGIN,    OK,        OK,        DENIED),
    "sessions:course-edit":         (LOGIN,    LOGIN,    OK,        OK,        DENIED),
    # Charting: another physiotherapist's visit.
    "sessions:chart":               (LOGIN,    LOGIN,    DENIED,    OK,        DENIED),
    "sessions:safety-check":        (LOGIN,    LOGIN,    DENIED,    OK,        DENIED),
    "sessions:acknowledge":         (LOGIN,    LOGIN,    DENIED,    OK,        DENIED),
    "sessions:note-save":           (LOGIN,    LOGIN,    DENIED,    OK,        DENIED),
    "sessions:site-add":            (LOGIN,    LOGIN,    DENIED,    OK,        DENIED),
    "sessions:site-remove":         (LOGIN,    LOGIN,    DENIED,    OK,        DENIED),
    "sessions:adverse-add":         (LOGIN,    LOGIN,    DENIED,    OK,        DENIED),
    "sessions:sign":                (LOGIN,    LOGIN,    DENIED,    NOT_AUTHOR_SIGN, DENIED),
    "sessions:addendum-add":        (LOGIN,    LOGIN,    DENIED,    NOT_AUTHOR_ADDENDUM, DENIED),
    "sessions:visit-print":         (LOGIN,    LOGIN,    DENIED,    OK,        DENIED),
    "sessions:links-revoke":        (LOGIN,    LOGIN,    DENIED,    OK,        DENIED),
    "sessions:timeline":            (LOGIN,    LOGIN,    DENIED,    OK,        DENIED),
    "sessions:adverse-events":      (LOGIN,    LOGIN,    DENIED,    OK,        DENIED),
    # Follow-ups: another physiotherapist's alert.
    "sessions:alert":               (LOGIN,    LOGIN,    DENIED,    OK,        DENIED),
    "sessions:call-done":           (LOGIN,    LOGIN,    OK,        DENIED,    DENIED),
    "sessions:message-health":      (LOGIN,    LOGIN,    DENIED,    DENIED,    OK),
    "sessions:checkin":             (OK,       BAD_LINK, OK,        OK,        OK),
    "sessions:aftercare":           (OK,       BAD_LINK, OK,        OK,        OK),
    # Django's admin, checked with its index and one changelist.
    ADMIN_SITE:                     (LOGIN,    LOGIN,    DENIED,    DENIED,    OK),
}
# fmt: on

# The second-factor pages themselves are reachable before the second factor.
MFA_PAGES = {"mfa-verify", "mfa-setup"}


# --- Records to point the URLs at -----------------------------------------------------


@dataclass
class World:
    front_desk: User
    physio: User
    admin: User
    author: User  # the other physiotherapist: author of every visit here
    patient: Patient  # patient A, whose records every URL names
    other_patient: Patient  # patient B, who holds links of their own
    intake: Intake  # A's submitted intake
    invitation: IntakeInvitation  # A's open intake link
    other_invitation: IntakeInvitation
    appointment: Appointment  # A's appointment, its visit a draft
    visit: Visit
    site: NeedlingSite
    signed_visit: Visit  # A's earlier, signed visit
    delivery: AftercareDelivery
    other_delivery: AftercareDelivery
    checkin: ScheduledMessage
    other_checkin: ScheduledMessage
    alert: Alert
    call: CallTask
    feed: CalendarFeed  # the author's calendar feed
    other_feed: CalendarFeed  # the physio's own
    attempt: AccessAttempt


def _appointment(patient, practitioner, location, kind, start, **fields) -> Appointment:
    return AppointmentFactory(
        patient=patient,
        practitioner=practitioner,
        location=location,
        type=kind,
        start=start,
        **fields,
    )


def _signed_visit(patient, author, location, kind, start) -> Visit:
    appointment = _appointment(
        patient, author, location, kind, start, status=Appointment.Status.COMPLETED
    )
    return VisitFactory(
        appointment=appointment,
        status=Visit.Status.SIGNED,
        signed_at=start + timedelta(minutes=30),
        nprs_before=5,
    )


def _aftercare(visit) -> AftercareDelivery:
    return AftercareDelivery.objects.create(
        visit=visit, email=visit.patient.email, nonce=secrets.token_urlsafe(24)
    )


def _sent_checkin(visit, now) -> ScheduledMessage:
    return ScheduledMessageFactory(
        key=f"checkin:{visit.pk}:24h",
        visit=visit,
        due_at=now - timedelta(hours=1),
        status=ScheduledMessage.Status.SENT,
        sent_at=now - timedelta(hours=1),
    )


def build_world() -> World:
    now = timezone.now()
    front_desk = UserFactory(username="frontdesk", role=Role.FRONT_DESK)
    physio = UserFactory(username="physio", role=Role.PHYSIO)
    admin = UserFactory(username="clinicadmin", role=Role.ADMIN)
    author = UserFactory(username="author", role=Role.PHYSIO)
    location = LocationFactory(name="Kensington")
    kind = AppointmentTypeFactory()
    muscle = MuscleFactory()
    alice = PatientFactory(email="alice@example.com")
    bob = PatientFactory(email="bob@example.com")

    intake = Intake.objects.create(
        patient=alice,
        status=Intake.Status.SUBMITTED,
        submitted_at=now - timedelta(days=3),
        answers={"needles": {"pregnancy": "no", "needle_fear": "none"}},
    )
    invitation = intake_services.intake_invite(patient=alice, sent_by=front_desk)
    other_invitation = intake_services.intake_invite(patient=bob, sent_by=front_desk)

    appointment = _appointment(alice, author, location, kind, now - timedelta(hours=1))
    visit = VisitFactory(appointment=appointment)
    site = NeedlingSiteFactory(visit=visit, muscle=muscle, depth_cm=Decimal("4.5"), twitch="weak")
    signed_visit = _signed_visit(alice, author, location, kind, now - timedelta(days=1))
    other_signed = _signed_visit(bob, author, location, kind, now - timedelta(days=1, hours=2))

    checkin = _sent_checkin(signed_visit, now)
    answer = CheckinAnswerFactory(
        message=checkin, soreness=9, compared="worse", red_flags=["fever"]
    )
    alert = Alert.objects.create(answer=answer, visit=signed_visit, physio=author)

    return World(
        front_desk=front_desk,
        physio=physio,
        admin=admin,
        author=author,
        patient=alice,
        other_patient=bob,
        intake=intake,
        invitation=invitation,
        other_invitation=other_invitation,
        appointment=appointment,
        visit=visit,
        site=site,
        signed_visit=signed_visit,
        delivery=_aftercare(signed_visit),
        other_delivery=_aftercare(other_signed),
        checkin=checkin,
        other_checkin=_sent_checkin(other_signed, now),
        alert=alert,
        call=CallTask.objects.create(patient=alice, alert=alert),
        feed=feeds.feed_create(practitioner=author),
        other_feed=feeds.feed_create(practitioner=physio),
        attempt=AccessAttempt.objects.create(
            username=author.username,
            ip_address="203.0.113.9",
            user_agent="test",
            http_accept="*/*",
            path_info="/accounts/login/",
            attempt_time=now,
            get_data="",
            post_data="",
            failures_since_start=5,
        ),
    )


@pytest.fixture(scope="module")
def shared_world(django_db_setup, django_db_blocker):
    """The records, built once for the module's ~280 tests in a transaction that is
    rolled back at the end. Each test runs in a savepoint inside it (the ``db`` fixture),
    so whatever a request changes is undone before the next test."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            with override_settings(PASSWORD_HASHERS=[FAST_HASHER]):
                built = build_world()
        except BaseException:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            raise
    yield built
    with django_db_blocker.unblock():
        transaction.set_rollback(True)
        outer.__exit__(None, None, None)


@pytest.fixture
def world(shared_world, db) -> World:
    return shared_world


# --- How to request each URL ----------------------------------------------------------


def no_args(w: World) -> dict:
    return {}


# Patient links: (purpose, patient A's object, patient B's object, other URL kwargs).
LINKS: dict[str, tuple[str, str, str, dict]] = {
    "intake:fill": (intake_services.INVITATION_PURPOSE, "invitation", "other_invitation", {}),
    "intake:fill-step": (
        intake_services.INVITATION_PURPOSE,
        "invitation",
        "other_invitation",
        {"step": STEP_SLUGS[0]},
    ),
    "sessions:calendar-feed": (feeds.FEED_PURPOSE, "feed", "other_feed", {}),
    "sessions:checkin": (CHECKIN_PURPOSE, "checkin", "other_checkin", {}),
    "sessions:aftercare": (AFTERCARE_PURPOSE, "delivery", "other_delivery", {}),
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
    "healthz": no_args,
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
    "sessions:course-edit": lambda w: {"pk": w.patient.pk},
    "sessions:chart": lambda w: {"appointment_pk": w.appointment.pk},
    "sessions:safety-check": lambda w: {"pk": w.visit.pk},
    "sessions:acknowledge": lambda w: {"pk": w.visit.pk},
    "sessions:note-save": lambda w: {"pk": w.visit.pk},
    "sessions:site-add": lambda w: {"pk": w.visit.pk},
    "sessions:site-remove": lambda w: {"pk": w.site.pk},
    "sessions:adverse-add": lambda w: {"pk": w.visit.pk},
    "sessions:sign": lambda w: {"pk": w.visit.pk},
    "sessions:addendum-add": lambda w: {"pk": w.signed_visit.pk},
    "sessions:visit-print": lambda w: {"pk": w.visit.pk},
    "sessions:links-revoke": lambda w: {"pk": w.signed_visit.pk},
    "sessions:timeline": lambda w: {"patient_pk": w.patient.pk},
    "sessions:adverse-events": no_args,
    "sessions:alert": lambda w: {"pk": w.alert.pk},
    "sessions:call-done": lambda w: {"pk": w.call.pk},
    "sessions:message-health": no_args,
    ADMIN_SITE: no_args,
    **{name: _link(name) for name in LINKS},
}

# POST-only views, requested with POST and this data (CSRF is off in the test client).
POST: dict[str, dict] = {
    "logout": {},
    "mfa-reset": {},
    "staff-password-link": {},
    "lockout-unlock": {},
    "intake:intake-send": {},
    "intake:invitation-revoke": {},
    "sessions:appointment-cancel": {"reason": "Patient called"},
    "sessions:appointment-status": {},
    "sessions:safety-check": {},
    "sessions:acknowledge": {},
    "sessions:note-save": {},
    "sessions:site-add": {},
    "sessions:site-remove": {},
    "sessions:links-revoke": {},
    "sessions:adverse-add": {},
    # Valid forms, so that the request reaches the service's author check.
    "sessions:sign": {"aftercare_text": "Soreness for a day or two is normal."},
    "sessions:addendum-add": {"reason": "Wrong side", "text": "Left, not right."},
    "sessions:call-done": {"note": "Called back"},
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


@pytest.fixture(autouse=True)
def no_link_throttling(settings):
    # Forged links count as bad links; the per-address limit would turn 404s into 429s.
    settings.BAD_LINK_LIMIT = 1_000_000
    cache.clear()


# --- Tests ----------------------------------------------------------------------------


def test_every_url_name_is_in_the_table_and_no_entry_is_stale():
    names = url_patterns().keys()
    missing = sorted(names - EXPECTED.keys())
    stale = sorted(EXPECTED.keys() - names)
    assert not missing, (
        f"Add these URL names to EXPECTED and ARGS in {__name__} (who may use them?): {missing}"
    )
    assert not stale, f"Remove these entries from EXPECTED, no URL has that name: {stale}"


def test_every_table_entry_can_be_requested():
    assert not sorted(EXPECTED.keys() - ARGS.keys()), "add the missing names to ARGS"
    assert not sorted(ARGS.keys() - EXPECTED.keys()), "remove stale names from ARGS"
    assert not sorted(POST.keys() - EXPECTED.keys()), "remove stale names from POST"
    assert all(len(row) == len(ACTORS) for row in EXPECTED.values())


def test_every_url_with_a_token_is_checked_as_a_patient_link():
    """A new token URL must say how to forge its token, or it escapes the forged checks."""
    with_token = {name for name, route in url_patterns().items() if "token>" in route}
    # Django's password reset checks its own token against the user's password hash.
    assert with_token - {"password_reset_confirm"} == LINKS.keys()


# Each URL name for each visitor, with real ids of other people's records.
@pytest.mark.parametrize(
    "name, actor",
    [(name, actor) for name in EXPECTED for actor in ACTORS],
    ids=[f"{name}-{actor}" for name in EXPECTED for actor in ACTORS],
)
def test_authorization_matrix(name, actor, world, client, client_for):
    expected = EXPECTED[name][ACTORS.index(actor)]
    client = sign_in(actor, world, client, client_for)
    for response in send(client, name, world, actor):
        assert_not_cacheable(response, f"{name} as {actor}")
        if isinstance(expected, Refused):
            assert response.status_code == 200, f"{name} as {actor}: expected {expected}"
            errors = response.context[expected.form].non_field_errors()
            assert expected.message in errors, f"{name} as {actor}: {errors}"
            continue
        got = outcome(response)
        assert got == expected, f"{name} as {actor}: expected {expected}, got {got}"
        if expected == DENIED:
            assert_denial_names_the_record(name, world, getattr(world, actor))


def assert_denial_names_the_record(name: str, w: World, user: User) -> None:
    """The refusal is audited, naming the record the URL asked for and its patient."""
    event = AuditEvent.objects.filter(action="denied", user=user).latest("id")
    if name not in URL_SUBJECTS:
        return  # the URL names no record
    label, to_patient = URL_SUBJECTS[name]
    (pk,) = [value for key, value in ARGS[name](w).items() if key != "status"]
    assert (event.object_type, event.object_id) == (label.lower(), str(pk)), name
    assert event.patient == (w.patient if to_patient else None), name


def test_every_url_with_an_id_says_what_the_id_names():
    """So that a refused request's audit row names whose record was tried."""
    with_id = {
        name
        for name, route in url_patterns().items()
        if name != ADMIN_SITE and re.search(r"<(?:int|id):|\(\?P<", route)
    }
    assert with_id == URL_SUBJECTS.keys()


def test_a_denied_admin_page_names_the_record(world, client_for):
    client = client_for(world.front_desk)
    response = client.get(reverse("admin:auth_user_change", args=[world.author.pk]))
    assert response.status_code == 403
    event = AuditEvent.objects.filter(action="denied", user=world.front_desk).latest("id")
    assert (event.object_type, event.object_id) == ("auth.user", str(world.author.pk))


def test_a_physio_who_is_not_the_author_neither_signs_nor_adds_an_addendum(world, client_for):
    """Any physiotherapist may open any chart; only the note's author signs or corrects it."""
    client = client_for(world.physio)
    client.post(reverse("sessions:sign", args=[world.visit.pk]), POST["sessions:sign"])
    client.post(
        reverse("sessions:addendum-add", args=[world.signed_visit.pk]),
        POST["sessions:addendum-add"],
    )
    world.visit.refresh_from_db()
    assert world.visit.status == Visit.Status.DRAFT
    assert not Addendum.objects.exists()


def test_post_only_views_refuse_get(world, client, client_for):
    """State changes never happen on GET, even for the roles that may make them."""
    for name in POST:
        cells = zip(ACTORS, EXPECTED[name], strict=True)
        actor = next(a for a, cell in cells if cell not in (LOGIN, DENIED))  # may use it
        signed_in = sign_in(actor, world, client, client_for)
        (url,) = urls_for(name, world, actor)
        assert signed_in.get(url).status_code == 405, f"GET {name} as {actor}"


@pytest.mark.parametrize("actor", [PHYSIO, ADMIN])
def test_staff_pages_wait_for_the_second_factor(actor, world, client, client_for):
    """Signed in with the password only: every staff page sends them to the second step."""
    signed_in = sign_in(actor, world, client, client_for, verified=False)
    for name, row in EXPECTED.items():
        if row[ACTORS.index(ANONYMOUS)] != LOGIN:
            continue  # public: login, password reset, patient links
        expected = OK if name in MFA_PAGES else MFA
        for response in send(signed_in, name, world, actor):
            assert outcome(response) == expected, f"{name} as {actor} without second factor"
            assert_not_cacheable(response, f"{name} as {actor} without second factor")


# Account administration: a clinic admin manages staff accounts but never acts as
# someone else. Django admin's own password form is refused to everyone, the clinic
# admin included, for any account.
ADMIN_PASSWORD_SET = "admin:auth_user_password_change"


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("method", ["get", "post"])
def test_nobody_sets_another_user_s_password_in_the_admin(actor, method, world, client, client_for):
    url = reverse(ADMIN_PASSWORD_SET, args=[world.author.pk])
    signed_in = sign_in(actor, world, client, client_for)
    password = {"password1": "taken-over-2026!", "password2": "taken-over-2026!"}
    response = getattr(signed_in, method)(url, password if method == "post" else None)
    assert outcome(response) == (LOGIN if actor in (ANONYMOUS, PATIENT) else DENIED)
    world.author.refresh_from_db()
    assert not world.author.check_password("taken-over-2026!")
    if actor not in (ANONYMOUS, PATIENT):
        event = AuditEvent.objects.filter(action="denied", user=getattr(world, actor)).latest("id")
        assert (event.object_type, event.object_id) == ("auth.user", str(world.author.pk))
    assert_not_cacheable(response, f"{ADMIN_PASSWORD_SET} as {actor}")


def test_the_admin_s_user_pages_offer_no_password_to_type(world, client_for):
    client = client_for(world.admin)
    change = client.get(reverse("admin:auth_user_change", args=[world.author.pk]))
    add = client.get(reverse("admin:auth_user_add"))
    for page in (change, add):
        assert page.status_code == 200
        html = page.content.decode()
        assert 'type="password"' not in html and "/password/" not in html


@pytest.mark.parametrize("name", sorted(LINKS))
def test_forged_and_tampered_patient_links_get_the_plain_invalid_page(name, world, client):
    own_purpose = LINKS[name][0]
    genuine = link_args(name, world)
    token = genuine["token"]
    tampered = {**genuine, "token": token[:-1] + ("A" if token[-1] != "A" else "B")}
    forged = {
        "another patient's nonce": link_args(name, world, nonce_of="other"),
        "tampered signature": tampered,
        **{
            f"purpose {purpose!r}": link_args(name, world, purpose=purpose)
            for purpose in {p for p, *_ in LINKS.values()} - {own_purpose}
        },
    }
    for how, kwargs in forged.items():
        response = client.get(reverse(name, kwargs=kwargs))
        assert outcome(response) == BAD_LINK, f"{name}, {how}"
        assert_not_cacheable(response, f"{name}, {how}")
        assert world.patient.legal_last_name not in response.content.decode(), f"{name}, {how}"
    # The genuine link still opens: the refusals above are about the token, not the row.
    assert outcome(client.get(reverse(name, kwargs=genuine))) == OK
