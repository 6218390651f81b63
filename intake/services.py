"""Writes that touch several intake models, and what screens a patient on a date."""

import json
import secrets
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from typing import Any, NamedTuple

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from clinic import clock, emails, locks
from clinic.links import issued_after, link_to, row_from_token
from clinic.types import StaffUser
from intake import phones, screening
from intake.answers import IntakeAnswers
from intake.models import (
    Channel,
    ConsentText,
    HealthUpdate,
    Intake,
    IntakeInvitation,
    MessagesLink,
    Patient,
    SmsConsent,
    SmsConsentEvent,
)

INVITATION_PURPOSE = "intake"
MESSAGES_PURPOSE = "messages"
# What one step may keep as unfinished typing (characters of JSON). The longest valid
# step (four 2,000-character answers, or 40 surgery rows) stays well below it.
MAX_DRAFT_CHARS = 20_000
DRAFT_TOO_LONG = (
    "This page holds more text than we can keep as a draft. Please shorten the longer "
    "answers (a few sentences are enough) and save again."
)


class PossibleDuplicates(ValidationError):
    """The patient looks registered already; ``patients`` are the likely matches."""

    def __init__(self, patients: list[Patient]):
        super().__init__(
            "A patient with the same name and date of birth, or the same email, is already "
            "registered. Open that record, or tick the box below if this is a different person."
        )
        self.patients = patients


@transaction.atomic
def patient_create(
    *,
    patient: Patient,
    confirmed_different: bool = False,
    sms_consent: bool = False,
    by: StaffUser | None = None,
) -> Patient:
    """Register ``patient`` unless it looks like someone registered already; returns it
    saved. With ``sms_consent`` (given at registration, recorded as by ``by``) reminders
    and check-ins go by text (and by email too when there is an address).

    The duplicate check and the insert are serialised per folded name and birth date and
    per email (``clinic.locks``), so simultaneous submissions of one person create one
    record; the later ones raise ``PossibleDuplicates`` (a ValidationError keyed by no
    field) naming it. ``full_clean`` raises ValidationError keyed by the Patient field at
    fault.
    """
    first, last = patient.identity_key()
    keys = [f"patient:{last}:{first}:{patient.date_of_birth}"]
    if patient.email:
        keys.append(f"patient-email:{patient.email.strip().lower()}")
    locks.hold(*keys)
    duplicates = patient.possible_duplicates()
    if duplicates and not confirmed_different:
        raise PossibleDuplicates(duplicates)
    patient.full_clean()
    if sms_consent:
        if not patient.mobile:
            raise ValidationError({"mobile": "Add the mobile number the patient agreed to."})
        channel = Channel.BOTH if patient.email else Channel.SMS
        patient.reminder_channel = patient.checkin_channel = channel
    patient.save()
    if sms_consent:
        _consent_event(patient, SmsConsentEvent.Kind.GIVEN, Source.INTAKE, by, timezone.now())
        patient.save(update_fields=["sms_consent", "sms_consent_changed_at"])
    return patient


def invitation_link(invitation: IntakeInvitation) -> str:
    """The full address of the invitation's link to the questionnaire."""
    return link_to(INVITATION_PURPOSE, invitation, "intake:fill")


def invitation_from_token(token: str) -> IntakeInvitation | None:
    """The invitation a token names, if the token is genuine (usable or not)."""
    invitations = IntakeInvitation.objects.select_related("intake__patient")
    return row_from_token(INVITATION_PURPOSE, token, invitations)


@transaction.atomic
def intake_invite(
    *, patient: Patient, sent_by: StaffUser | None, now: datetime | None = None
) -> IntakeInvitation:
    """Email the patient a fresh link to their open intake (a new intake if none is open);
    returns the new invitation.

    Earlier links to the same intake stop working. The email leaves after commit. Raises
    ValidationError keyed by no field when the patient has no email address.
    """
    now = now or timezone.now()
    if not patient.email:
        raise ValidationError("This patient has no email address; add one to send the intake.")
    # One sender at a time per patient: the open intake found below is the one reused, and
    # the earlier links revoked below are all of them (constraints in Intake and
    # IntakeInvitation back this up).
    Patient.objects.select_for_update().filter(pk=patient.pk).first()
    intake = patient.intakes.filter(status=Intake.Status.DRAFT).order_by("-number").first()
    if intake is None:
        intake = Intake(patient=patient)
        intake.full_clean()
        intake.save()
    intake.invitations.filter(revoked_at__isnull=True).update(revoked_at=now)
    invitation = IntakeInvitation(
        intake=intake,
        nonce=secrets.token_urlsafe(24),
        email=patient.email,
        created_by=sent_by,
        created_at=now,
        expires_at=now + timedelta(days=settings.INTAKE_LINK_DAYS),
    )
    invitation.full_clean()
    invitation.save()
    link = invitation_link(invitation)
    expires_on = clock.clinic_day(invitation.expires_at)
    transaction.on_commit(
        lambda: emails.intake_invitation(
            to=invitation.email,
            first_name=patient.greeting_name,
            link=link,
            expires_on=expires_on,
        )
    )
    return invitation


@transaction.atomic
def intake_invite_unless_open(
    *, patient: Patient, sent_by: StaffUser | None, now: datetime | None = None
) -> IntakeInvitation | None:
    """Send an intake link unless one is usable or an intake is on file (then None);
    returns the new invitation. Raises ValidationError as ``intake_invite``.

    The check and the send hold the patient's row, so two bookings made at once for a new
    patient send one link, not two.
    """
    now = now or timezone.now()
    Patient.objects.select_for_update().filter(pk=patient.pk).first()
    if patient.intakes.filter(status=Intake.Status.SUBMITTED).exists():
        return None
    open_link = IntakeInvitation.objects.filter(
        intake__patient=patient,
        intake__status=Intake.Status.DRAFT,
        revoked_at__isnull=True,
        expires_at__gt=now,
    ).exists()
    if open_link:
        return None
    return intake_invite(patient=patient, sent_by=sent_by, now=now)


def invitation_revoke(*, invitation: IntakeInvitation, now: datetime | None = None) -> None:
    """Stop the invitation's link working (once; a revoked one keeps its first time).
    Raises nothing."""
    if invitation.revoked_at is None:
        invitation.revoked_at = now or timezone.now()
        invitation.save(update_fields=["revoked_at"])


def invitation_mark_opened(*, invitation: IntakeInvitation, now: datetime | None = None) -> None:
    """Note when the patient first opened the link (a later opening changes nothing).
    Raises nothing."""
    if invitation.opened_at is None:
        invitation.opened_at = now or timezone.now()
        invitation.save(update_fields=["opened_at"])


@transaction.atomic
def intake_save_step(
    *,
    intake: Intake,
    step: str,
    answers: dict[str, Any] | None,
    typed: dict[str, Any] | None,
) -> None:
    """Keep a step: its validated ``answers`` (the step's values as ``intake.answers``
    stores them), or what was ``typed`` when it was not valid.

    Raises ValidationError keyed by no field: code ``draft_too_long`` for a draft over
    ``MAX_DRAFT_CHARS`` characters of JSON (a patient link is open to anyone holding it),
    and when the intake is already submitted.
    """
    if typed and len(json.dumps(typed, ensure_ascii=False)) > MAX_DRAFT_CHARS:
        raise ValidationError(DRAFT_TOO_LONG, code="draft_too_long")
    intake = Intake.objects.select_for_update().get(pk=intake.pk)
    if intake.is_submitted:
        raise ValidationError("This questionnaire has already been sent to the clinic.")
    if answers is not None:
        intake.answers = IntakeAnswers.from_json(intake.answers).with_step(step, answers).to_json()
        intake.drafts.pop(step, None)
    else:
        intake.drafts[step] = typed or {}
    intake.save(update_fields=["answers", "drafts", "updated_at"])


@transaction.atomic
def intake_submit(
    *,
    intake: Intake,
    consent: ConsentText,
    signature_name: str,
    ip: str | None,
    required_steps: list[str],
    now: datetime | None = None,
) -> Intake:
    """Sign and submit; returns the submitted intake.

    Raises ValidationError keyed by no field for a second submission and for a
    questionnaire with gaps (the message names the missing steps), keyed by the Intake
    field ``full_clean`` refuses.
    """
    intake = Intake.objects.select_for_update().get(pk=intake.pk)
    if intake.is_submitted:
        raise ValidationError("This questionnaire has already been sent to the clinic.")
    missing = IntakeAnswers.from_json(intake.answers).missing(required_steps)
    if missing:
        raise ValidationError(f"Some steps are not complete yet: {', '.join(missing)}.")
    intake.consent = consent
    intake.signature_name = signature_name
    intake.signed_ip = ip
    intake.submitted_at = now or timezone.now()
    intake.status = Intake.Status.SUBMITTED
    intake.drafts = {}
    intake.full_clean()
    intake.save()
    return intake


def intake_state_label(latest: Intake | None, invitations: list[IntakeInvitation]) -> str:
    """The front-desk state of a patient's newest intake, given its invitations."""
    if latest is None:
        return "No intake"
    if latest.is_submitted:
        return "Intake submitted"
    if not invitations:
        return "Intake not sent"
    newest = max(invitations, key=lambda i: i.created_at)
    newest.intake = latest  # state() reads it; avoid a query per row
    return f"Intake {newest.state().label.lower()}"


def health_facts(
    intake: Intake | None, updates: Sequence[HealthUpdate] = ()
) -> screening.HealthFacts:
    """Screening facts from ``intake`` (the one ``patient_verdict`` chose; None if there
    is none) and the patient's health updates.

    Surgeries count from every source, the same one reported twice (same date, same
    words) once; pregnancy is the latest answer; blood thinners reported after the
    intake add to its checklist.
    """
    answers = IntakeAnswers.from_json(intake.answers if intake else None)
    source = ""
    surgeries: list[screening.Surgery] = []
    submitted_at = intake.submitted_at if intake is not None else None
    if intake is not None:
        submitted_on = clock.clinic_day(intake.submitted_at).isoformat()
        source = f"intake #{intake.number}, submitted {submitted_on}"
        surgeries = [screening.Surgery(s.day, s.description, source) for s in answers.surgeries]
    conditions = set(answers.conditions)
    pregnancy = answers.pregnancy
    pregnancy_source = source
    for update in sorted(updates, key=lambda u: u.reported_at):
        if update.surgery_date:
            surgeries.append(
                screening.Surgery(update.surgery_date, update.surgery_description, update.source)
            )
        if submitted_at is not None and update.reported_at < submitted_at:
            continue  # the newer intake answered pregnancy and medication again
        if update.pregnancy:
            pregnancy, pregnancy_source = update.pregnancy, update.source
        if update.anticoagulants:
            conditions.add("anticoagulants")
    reported: dict[tuple[date, str], screening.Surgery] = {}
    for surgery in surgeries:  # the first report of each surgery names its source
        reported.setdefault(
            (surgery.day, " ".join(surgery.description.casefold().split())), surgery
        )
    return screening.HealthFacts(
        source=source or pregnancy_source,
        screened=intake is not None,
        pregnancy=screening.Pregnancy(pregnancy) if pregnancy else None,
        pregnancy_source=pregnancy_source,
        conditions=frozenset(conditions),
        needle_fear=answers.needle_fear in {screening.NeedleFear.SOME, screening.NeedleFear.STRONG},
        surgeries=tuple(reported.values()),
    )


class Screening(NamedTuple):
    """A patient's verdict on a date, and the intake it was read from (None: no intake)."""

    verdict: screening.Verdict
    intake: Intake | None


def patient_verdict(
    patient: Patient,
    day: date,
    *,
    intakes: Iterable[Intake] | None = None,
    updates: Iterable[HealthUpdate] | None = None,
) -> Screening:
    """The one decision of what screens ``patient`` on ``day``: the latest submitted
    intake (highest number) and every health update, combined by ``health_facts``.

    A page that lists many patients passes what it prefetched: ``intakes`` (all the
    patient's intakes, any order) and ``updates`` (all their health updates); then this
    runs no query. Otherwise both are read here.
    """
    if intakes is None:
        intake = patient.intakes.submitted().order_by("-number").first()
    else:
        intake = max((i for i in intakes if i.is_submitted), key=lambda i: i.number, default=None)
    if updates is None:
        updates = patient.health_updates.all()
    facts = health_facts(intake, list(updates))
    return Screening(screening.screen(facts, day), intake)


# --- Messages: the channel per kind of message, SMS consent, the preferences link --------
#
# The sending code asks ``channels_for`` (or ``sms_allowed``) just before it sends: no text
# goes out unless the patient's SMS consent is on record now (given, and not withdrawn or
# opted out by STOP since), a valid mobile number is on file and they chose texts for that
# kind of message.

Source = SmsConsentEvent.Source
_SMS_CHANNELS = {Channel.SMS, Channel.BOTH}
_EMAIL_CHANNELS = {Channel.EMAIL, Channel.BOTH}
# What patient_messages_set writes on the patient's row.
_MESSAGE_FIELDS = [
    "mobile",
    "reminder_channel",
    "checkin_channel",
    "email_reminders",
    "sms_consent",
    "sms_consent_changed_at",
    "updated_at",
]


def sms_refusal(patient: Patient, purpose: str) -> str:
    """Why no text may go to ``patient`` for ``purpose`` (a ``MessagePurpose``), in
    words for the message row; "" when one may. Raises ValueError for another purpose."""
    channel = patient.channel_for(purpose)
    if patient.sms_consent == SmsConsent.OPTED_OUT:
        return "The patient opted out of texts (STOP)."
    if patient.sms_consent != SmsConsent.GIVEN:
        return "No SMS consent is on record."
    number = patient.mobile
    if not number or not number.is_valid() or not phones.is_textable(number):
        return "No valid mobile number is on file."
    if channel not in _SMS_CHANNELS:
        return "The patient chose email for these messages."
    return ""


def sms_allowed(patient: Patient, purpose: str) -> bool:
    """Whether a text for ``purpose`` may go to the patient's mobile now."""
    return not sms_refusal(patient, purpose)


def email_allowed(patient: Patient) -> bool:
    """Whether reminders and check-ins may go by email: an address, and not declined."""
    return bool(patient.email) and patient.email_reminders


def channels_for(patient: Patient, purpose: str) -> set[Channel]:
    """The channels (``Channel.EMAIL``, ``Channel.SMS``) a message for ``purpose`` goes
    by now: the chosen ones that are allowed; when texts were chosen but may not go
    (``sms_refusal`` says why), email instead if email is allowed. Empty: send nothing."""
    chosen = patient.channel_for(purpose)
    use: set[Channel] = set()
    if chosen in _SMS_CHANNELS and sms_allowed(patient, purpose):
        use.add(Channel.SMS)
    if chosen in _EMAIL_CHANNELS and email_allowed(patient):
        use.add(Channel.EMAIL)
    if not use and email_allowed(patient):
        use.add(Channel.EMAIL)  # texts chosen but refused: fall back to email
    return use


def _consent_event(
    patient: Patient, kind: str, source: str, by: StaffUser | None, at: datetime
) -> SmsConsentEvent:
    state = SmsConsent.OPTED_OUT if kind == SmsConsentEvent.Kind.OPTED_OUT else SmsConsent.GIVEN
    if kind == SmsConsentEvent.Kind.WITHDRAWN:
        state = SmsConsent.WITHDRAWN
    patient.sms_consent = state
    patient.sms_consent_changed_at = at
    event = SmsConsentEvent(
        patient=patient, kind=kind, source=source, at=at, recorded_by=by, mobile=patient.mobile
    )
    event.full_clean()
    event.save()
    return event


def _locked(patient: Patient) -> Patient:
    """The patient's row, held until the transaction ends, with its consent as stored."""
    return Patient.objects.select_for_update().get(pk=patient.pk)


@transaction.atomic
def patient_messages_set(
    *,
    patient: Patient,
    reminder_channel: str,
    checkin_channel: str,
    sms_consent: bool,
    source: str,
    by: StaffUser | None,
    mobile: Any = None,
    now: datetime | None = None,
) -> list[SmsConsentEvent]:
    """Set how the patient gets reminders and check-ins and whether they agree to texts
    (``by`` None: the patient themself); ``mobile`` (a number, "" to remove) when the
    page asked for it. Returns the consent events recorded (none when consent and the number
    are as they were). ``patient`` is updated in place.

    Raises ValidationError keyed by field: texts chosen without consent
    (``sms_consent``) or without a mobile number (``mobile``); email chosen with no
    address (the channel's field).
    """
    now = now or timezone.now()
    stored = _locked(patient)
    previous_mobile = stored.mobile
    if mobile is not None:
        stored.mobile = mobile
    errors: dict[str, str] = {}
    channels = {"reminder_channel": reminder_channel, "checkin_channel": checkin_channel}
    wants_sms = any(c in _SMS_CHANNELS for c in channels.values())
    if wants_sms and not sms_consent:
        errors["sms_consent"] = "To get text messages, tick the box to agree to them."
    if stored.mobile and not (stored.mobile.is_valid() and phones.is_textable(stored.mobile)):
        errors["mobile"] = "This is not a mobile number texts can go to."
    elif wants_sms and not stored.mobile:
        errors["mobile"] = "Add a mobile number to get text messages."
    for name, channel in channels.items():
        if channel in _EMAIL_CHANNELS and not stored.email:
            errors[name] = "There is no email address on file; choose text messages."
    if errors:
        raise ValidationError(errors)
    stored.reminder_channel = reminder_channel
    stored.checkin_channel = checkin_channel
    if any(c in _EMAIL_CHANNELS for c in channels.values()):
        stored.email_reminders = True  # choosing email is agreeing to it
    events = []
    if sms_consent and (stored.sms_consent != SmsConsent.GIVEN or stored.mobile != previous_mobile):
        # Consent is to texts at a number: agreeing with a new number is recorded anew.
        events.append(_consent_event(stored, SmsConsentEvent.Kind.GIVEN, source, by, now))
    elif not sms_consent and stored.sms_consent == SmsConsent.GIVEN:
        events.append(_consent_event(stored, SmsConsentEvent.Kind.WITHDRAWN, source, by, now))
    stored.save(update_fields=_MESSAGE_FIELDS)
    for name in _MESSAGE_FIELDS:
        setattr(patient, name, getattr(stored, name))
    return events


@transaction.atomic
def sms_opt_out(
    *, patient: Patient, source: str = Source.SMS_REPLY, at: datetime | None = None
) -> SmsConsentEvent:
    """Record that the patient stopped texts (STOP): no text goes to them until they opt
    back in or agree again. Recorded every time, even when already opted out. Returns
    the event; ``patient`` is updated in place. Raises nothing."""
    stored = _locked(patient)
    event = _consent_event(
        stored, SmsConsentEvent.Kind.OPTED_OUT, source, None, at or timezone.now()
    )
    stored.save(update_fields=["sms_consent", "sms_consent_changed_at", "updated_at"])
    patient.sms_consent, patient.sms_consent_changed_at = stored.sms_consent, event.at
    return event


@transaction.atomic
def sms_opt_in(
    *, patient: Patient, source: str = Source.SMS_REPLY, at: datetime | None = None
) -> SmsConsentEvent:
    """Record that the patient asked for texts again (START): consent is given again.
    Returns the event; ``patient`` is updated in place. Raises nothing."""
    stored = _locked(patient)
    event = _consent_event(
        stored, SmsConsentEvent.Kind.OPTED_IN, source, None, at or timezone.now()
    )
    stored.save(update_fields=["sms_consent", "sms_consent_changed_at", "updated_at"])
    patient.sms_consent, patient.sms_consent_changed_at = stored.sms_consent, event.at
    return event


def preferences_link(patient: Patient, *, now: datetime | None = None) -> str:
    """The full address of the patient's message-preferences page, for a reminder or
    check-in to carry. Reuses the newest link while it has more than half its lifetime
    (``MESSAGES_LINK_DAYS``) left, else makes a new one."""
    now = now or timezone.now()
    days = settings.MESSAGES_LINK_DAYS
    link = (
        MessagesLink.objects.filter(
            patient=patient, revoked_at__isnull=True, created_at__gt=issued_after(days // 2, now)
        )
        .order_by("-created_at", "-id")
        .first()
    )
    if link is None:
        link = MessagesLink(patient=patient, nonce=secrets.token_urlsafe(24), created_at=now)
        link.full_clean()
        link.save()
    return link_to(MESSAGES_PURPOSE, link, "intake:messages")


def messages_link_from_token(token: str, *, now: datetime | None = None) -> MessagesLink | None:
    """The live link a token names (genuine, not revoked, not expired), else None."""
    link = row_from_token(MESSAGES_PURPOSE, token, MessagesLink.objects.select_related("patient"))
    if link is None or link.revoked_at is not None:
        return None
    now = now or timezone.now()
    if link.created_at <= issued_after(settings.MESSAGES_LINK_DAYS, now):
        return None
    return link


def messages_links_revoke(*, patient: Patient, now: datetime | None = None) -> int:
    """Stop every message-preferences link of the patient working; returns how many.
    Raises nothing."""
    live = MessagesLink.objects.filter(patient=patient, revoked_at__isnull=True)
    return live.update(revoked_at=now or timezone.now())
