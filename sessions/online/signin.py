"""Proving an email online, and what a proved email lets the person do.

- A returning patient signs in: ``sign_in_request`` makes an ``EmailCheck(sign_in)``
  for whatever address was typed and queues its mail; the worker sends it only when a
  patient has that address (the page answers the same either way).
  ``sign_in_complete`` spends the link; the view then keeps the patient in the session
  (``session_sign_in``) for ``SESSION_MINUTES``.
- A new person confirms a booking: ``confirm_request`` keeps what they typed on the
  hold, sets it ``awaiting`` and mails an ``EmailCheck(confirm)`` link;
  ``confirm_complete`` spends it, finds or creates the patient
  (``people.patient_for_new_person``) and books the hold.
- ``callback_request``: a signed-in patient refused a visit online asks to be called.

Every link is ``clinic.links``' signed token with the row's nonce; holds are named by
their own token (``hold_token``) between the slot page and the details page.
"""

from datetime import date, datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from clinic import links, locks
from intake.models import Patient
from sessions import tasks
from sessions.booking.models import Appointment, AppointmentType
from sessions.followups.models import CallTask
from sessions.online import people, services, sign_in_mail
from sessions.online.models import EmailCheck, OnlineBookingPolicy, SlotHold
from sessions.online.slots import slot_is_free

SIGN_IN_PURPOSE = sign_in_mail.SIGN_IN_PURPOSE
CONFIRM_PURPOSE = sign_in_mail.CONFIRM_PURPOSE
HOLD_PURPOSE = "online-hold"
SESSION_KEY = "online_patient"
HOLDS_KEY = "online_holds"
# A sign-in link works this long after it is sent; a signed-in session this long after
# the link was used.
SIGN_IN_MINUTES = 30
SESSION_MINUTES = 30
# A confirmation link works this long; the slot is kept only for policy.confirm, after
# which the link still books it if nobody else took it.
CONFIRM_LINK_HOURS = 24
LINK_SPENT = "This link has already been used or has expired."


# --- Holds named by a token ----------------------------------------------------------


def hold_token(hold: SlotHold) -> str:
    return links.make_token(HOLD_PURPOSE, hold.pk, hold.nonce)


def hold_from_token(token: str) -> SlotHold | None:
    """The hold a genuine hold token names, or None."""
    rows = SlotHold.objects.select_related("location", "type", "practitioner", "appointment")
    return links.row_from_token(HOLD_PURPOSE, token, rows)


def session_holds_add(request: HttpRequest, hold: SlotHold) -> None:
    """Remember that this browser made ``hold`` (its details page is for it only)."""
    request.session[HOLDS_KEY] = [*request.session.get(HOLDS_KEY, [])[-9:], hold.pk]


def session_has_hold(request: HttpRequest, hold: SlotHold) -> bool:
    return hold.pk in request.session.get(HOLDS_KEY, [])


def session_holds_release(request: HttpRequest) -> None:
    """Give back the slots this browser still holds unconfirmed (a new choice replaces
    them); awaiting holds stay, their email is out."""
    ids = request.session.get(HOLDS_KEY, [])
    if ids:
        SlotHold.objects.filter(pk__in=ids, status=SlotHold.Status.HELD).update(
            status=SlotHold.Status.RELEASED
        )


# --- Email checks --------------------------------------------------------------------


def check_from_token(purpose: str, token: str) -> EmailCheck | None:
    """The email check a genuine token of ``purpose`` (``SIGN_IN_PURPOSE`` or
    ``CONFIRM_PURPOSE``) names, used or not, or None."""
    kind = {
        SIGN_IN_PURPOSE: EmailCheck.Purpose.SIGN_IN,
        CONFIRM_PURPOSE: EmailCheck.Purpose.CONFIRM,
    }
    rows = EmailCheck.objects.filter(purpose=kind[purpose]).select_related(
        "patient", "hold__location", "hold__type", "hold__practitioner", "hold__appointment"
    )
    return links.row_from_token(purpose, token, rows)


def check_usable(check: EmailCheck, now: datetime) -> bool:
    return check.used_at is None and now < check.expires_at


def _spend(check: EmailCheck, now: datetime) -> None:
    """Mark the check used, once: a second use (even at the same instant) is refused."""
    spent = EmailCheck.objects.filter(pk=check.pk, used_at__isnull=True, expires_at__gt=now).update(
        used_at=now
    )
    if not spent:
        raise ValidationError(LINK_SPENT, code="spent")
    check.used_at = now


@transaction.atomic
def sign_in_request(*, email: str, now: datetime | None = None) -> EmailCheck:
    """Make a sign-in check for ``email`` and queue its mail after commit; returns the
    check. The same writes and the same queueing whether or not a patient has that
    address: the worker mails only a known one (``sign_in_mail``), so the page, its
    status and its timing tell nothing."""
    now = now or timezone.now()
    email = email.strip().lower()
    check = EmailCheck.objects.create(
        purpose=EmailCheck.Purpose.SIGN_IN,
        email=email,
        patient=people.patient_with_email(email),
        created_at=now,
        expires_at=now + timedelta(minutes=SIGN_IN_MINUTES),
    )
    transaction.on_commit(lambda: tasks.online_sign_in_send.delay(check.pk))
    return check


@transaction.atomic
def sign_in_complete(*, check: EmailCheck, now: datetime | None = None) -> Patient:
    """Spend a sign-in check; returns its patient. Raises ValidationError (``LINK_SPENT``)
    when it was used, expired, or names no patient."""
    now = now or timezone.now()
    if check.patient is None:
        raise ValidationError(LINK_SPENT, code="spent")
    _spend(check, now)
    return check.patient


def session_sign_in(request: HttpRequest, patient: Patient, now: datetime) -> None:
    """Keep ``patient`` as this browser's verified patient for ``SESSION_MINUTES``."""
    request.session.cycle_key()
    request.session[SESSION_KEY] = {"id": patient.pk, "at": now.isoformat()}


def session_patient(request: HttpRequest, now: datetime | None = None) -> Patient | None:
    """The verified patient of this browser, or None (never signed in, or too long ago)."""
    state = request.session.get(SESSION_KEY)
    if not isinstance(state, dict):
        return None
    now = now or timezone.now()
    try:
        since: datetime | None = datetime.fromisoformat(str(state["at"]))
        patient_id = int(state["id"])
    except (KeyError, TypeError, ValueError):
        since, patient_id = None, 0
    # A naive or future time was not written by ``session_sign_in``: nobody.
    if (
        since is None
        or since.tzinfo is None
        or since > now
        or now >= since + timedelta(minutes=SESSION_MINUTES)
    ):
        session_sign_out(request)
        return None
    return Patient.objects.filter(pk=patient_id).first()


def session_sign_out(request: HttpRequest) -> None:
    request.session.pop(SESSION_KEY, None)


# --- A new person's booking ----------------------------------------------------------


@transaction.atomic
def confirm_request(
    *,
    hold: SlotHold,
    first_name: str,
    last_name: str,
    date_of_birth: date,
    email: str,
    phone: str,
    now: datetime | None = None,
) -> EmailCheck:
    """Keep a new person's details on ``hold``, set it ``awaiting`` for
    ``policy.confirm`` and mail them a confirmation link after commit; returns the
    check. A hold that ran out still goes ahead if its time is still free. Raises
    ValidationError keyed by ``start`` (``services.TAKEN``: released, booked or taken
    meanwhile)."""
    now = now or timezone.now()
    policy = OnlineBookingPolicy.get()
    # The same lock hold_create and hold_book take, so a run-out hold is not
    # re-taken while someone else holds the time.
    SlotHold.lock_practitioner(hold.practitioner_id)
    hold = SlotHold.objects.select_for_update().select_related("location").get(pk=hold.pk)
    if hold.status != SlotHold.Status.HELD or hold.patient_id is not None:
        raise ValidationError({"start": services.TAKEN}, code="taken")
    if hold.expires_at <= now and not slot_is_free(
        practitioner_id=hold.practitioner_id,
        start=hold.start,
        end=hold.end,
        now=now,
        ignore_hold_id=hold.pk,
    ):
        raise ValidationError({"start": services.TAKEN}, code="taken")
    email = email.strip().lower()
    hold.first_name, hold.last_name = first_name, last_name
    hold.date_of_birth, hold.email, hold.phone = date_of_birth, email, phone
    hold.status = SlotHold.Status.AWAITING
    hold.expires_at = now + policy.confirm
    hold.save()
    check = EmailCheck.objects.create(
        purpose=EmailCheck.Purpose.CONFIRM,
        email=email,
        hold=hold,
        created_at=now,
        expires_at=now + timedelta(hours=CONFIRM_LINK_HOURS),
    )
    # Mailed by the worker (ids only): a mail server's failure is retried there and
    # never turns this page into an error once the hold is kept.
    transaction.on_commit(lambda: tasks.online_confirm_send.delay(check.pk))
    return check


@transaction.atomic
def confirm_complete(*, check: EmailCheck, now: datetime | None = None) -> tuple[Appointment, bool]:
    """Spend a confirmation check and book its hold for the person (found or created);
    returns (the appointment, whether a new patient record was made). Raises
    ValidationError: ``LINK_SPENT`` (used or expired), or as ``services.hold_book``
    (taken: nothing is kept, no record is made)."""
    now = now or timezone.now()
    if check.hold is None:
        raise ValidationError(LINK_SPENT, code="spent")
    _spend(check, now)
    patient, created = people.patient_for_new_person(check.hold)
    appointment = services.hold_book(hold=check.hold, patient=patient, new_record=created, now=now)
    return appointment, created


# --- A call back ---------------------------------------------------------------------


def callback_reason(type: AppointmentType) -> str:
    return f"Online booking: asked for a call back to book {type.name}"[:300]


@transaction.atomic
def callback_request(*, patient: Patient, type: AppointmentType) -> CallTask:
    """Ask front desk to call ``patient`` to book ``type``; returns the (open) task. An
    open task for the same request is reused, not doubled."""
    reason = callback_reason(type)
    locks.hold(f"online-callback:{patient.pk}")
    task = CallTask.objects.open().filter(patient=patient, reason=reason).first()
    return task or CallTask.objects.create(patient=patient, reason=reason)
