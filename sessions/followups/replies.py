"""What the SMS provider tells us: the fate of texts we sent (``delivery_status``) and
texts patients send to the clinic's number (``reply_receive``).

A reply is matched to a patient through the latest text we sent to its number for a
visit still to come (that text's patient and visit); failing that, through the
patients whose mobile is that number. One keyword per text (``keyword``): C/YES
confirms the next visit, R asks front desk to rebook it, STOP and START change SMS
consent for every patient on the number, HELP answers the clinic's number; anything
else becomes a call task for front desk, whose reason carries no clinical detail (the
words stay on the ``SmsReply``, which only front desk reads). Answers are one segment
and hold no health information: the number may not be the patient's alone.

A text is kept once per provider id (``SmsReply.provider_id`` is unique): the provider
delivering it again changes nothing and gets the same answer.
"""

import string
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from clinic import clock
from clinic.sms.message import is_e164
from intake import services as intake_services
from intake.models import Patient, SmsConsent
from sessions.booking import services as booking
from sessions.booking.models import Appointment, Confirmation, Location
from sessions.followups import dispatch, texts
from sessions.followups.models import CallTask, SmsDelivery, SmsReply

# --- Status callbacks -------------------------------------------------------------------

# The provider's MessageStatus -> ours. "sending" is still at the provider; "read" (RCS,
# WhatsApp) implies delivered. Others ("accepted", "scheduled", "canceled", "receiving",
# ...) concern no text we send and are ignored.
PROVIDER_STATUSES = {
    "queued": SmsDelivery.Status.QUEUED,
    "sending": SmsDelivery.Status.QUEUED,
    "sent": SmsDelivery.Status.SENT,
    "delivered": SmsDelivery.Status.DELIVERED,
    "read": SmsDelivery.Status.DELIVERED,
    "undelivered": SmsDelivery.Status.UNDELIVERED,
    "failed": SmsDelivery.Status.FAILED,
}
# How far along a text is: a callback may only move it forward (callbacks arrive out of
# order: a late "sent" after "delivered"). Final statuses are never left.
_PROGRESS = {
    SmsDelivery.Status.ATTEMPTING: 0,
    SmsDelivery.Status.QUEUED: 1,
    SmsDelivery.Status.SENT: 2,
}


def delivery_status(
    *, provider_id: str, provider_status: str, error_code: str = "", now: datetime | None = None
) -> SmsDelivery | None:
    """Record the provider's news of the text ``provider_id`` ("SM...") now being
    ``provider_status`` (Twilio's MessageStatus, e.g. "delivered"), with its
    ``error_code`` ("30003") if any. Returns the updated delivery, or None when nothing
    changed: an unknown id or status, a status the text is already at or past, or a
    text whose story has ended (``SmsDelivery.FINAL``). A text newly undelivered or
    failed puts its message back in the queue for email (``dispatch.
    email_after_undelivered``). Safe to call again with the same news. Raises nothing."""
    new = PROVIDER_STATUSES.get(provider_status.strip().lower())
    if not provider_id or new is None:
        return None
    rank = _PROGRESS.get(new, len(_PROGRESS))
    behind = [status for status, r in _PROGRESS.items() if r < rank]
    now = now or timezone.now()
    fields: dict = {"status": new, "status_at": now}
    if error_code:
        fields["error_code"] = error_code[:20]
    # The condition is the guard: two callbacks racing both try, one updates.
    with transaction.atomic():
        if not SmsDelivery.objects.filter(provider_id=provider_id, status__in=behind).update(
            **fields
        ):
            return None
        delivery = SmsDelivery.objects.select_related("message__patient").get(
            provider_id=provider_id
        )
        if delivery.status in SmsDelivery.NOT_DELIVERED:
            dispatch.email_after_undelivered(delivery, now=now)
    return delivery


# --- Replies ------------------------------------------------------------------------------


class Keyword(StrEnum):
    CONFIRM = "confirm"
    REBOOK = "rebook"
    STOP = "stop"
    START = "start"
    HELP = "help"


# Folded (no accents, upper case, no punctuation, single spaces) as ``normalise`` does.
KEYWORDS: dict[str, Keyword] = {
    **dict.fromkeys(["C", "Y", "YES", "CONFIRM", "OUI"], Keyword.CONFIRM),
    **dict.fromkeys(["R", "REBOOK", "RESCHEDULE"], Keyword.REBOOK),
    # The carriers' and Twilio's stop words. CANCEL is one of them: Twilio stops texts
    # to a number that sends it whatever we do, so it means STOP here too (not
    # "cancel my visit"), and the answer says texts have stopped.
    **dict.fromkeys(
        ["STOP", "STOPALL", "STOP ALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"]
        + ["OPTOUT", "OPT OUT", "REVOKE", "ARRET"],
        Keyword.STOP,
    ),
    **dict.fromkeys(["START", "UNSTOP"], Keyword.START),
    **dict.fromkeys(["HELP", "INFO", "AIDE"], Keyword.HELP),
}
_PUNCTUATION = str.maketrans(dict.fromkeys(string.punctuation + "¡¿«»“”‘’…", " "))


def normalise(body: str) -> str:
    """``body`` folded for matching keywords: accents removed ("Arrêt" -> "ARRET"),
    upper case, punctuation as spaces, single spaces, trimmed."""
    decomposed = unicodedata.normalize("NFKD", body)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(bare.upper().translate(_PUNCTUATION).split())


def keyword(body: str) -> Keyword | None:
    """The keyword the whole text is ("c", "Yes!", "  arrêt "), or None for anything
    else (a sentence, "C tomorrow")."""
    return KEYWORDS.get(normalise(body))


@dataclass
class Received:
    """What came of one incoming text: the stored ``reply`` (its ``action`` and
    ``answer``), whether it was a ``repeat`` the provider delivered before (then nothing
    was done), and the records changed, for the audit log: the visit confirmed (or, after
    R, no longer confirmed), the
    patients whose SMS consent changed, the call task made."""

    reply: SmsReply
    repeat: bool = False
    confirmed: Appointment | None = None
    consent_changed: list[Patient] = field(default_factory=list)
    task: CallTask | None = None


@dataclass
class _Sender:
    """Who a number is: the patients on file with it as mobile, the one it is
    (None: unknown, or several and no text of ours says which), and their next visit."""

    patients: list[Patient]
    patient: Patient | None
    visit: Appointment | None


def reply_receive(
    *, provider_id: str, from_number: str, body: str, now: datetime | None = None
) -> Received:
    """Keep and act on the text ``body`` that ``from_number`` (E.164) sent, which the
    provider calls ``provider_id`` ("SM..."). Returns what came of it (see
    ``Received``); a repeat of a ``provider_id`` returns the first one's reply with
    ``repeat`` True and changes nothing, even when both arrive at once. Raises
    ValueError for an empty ``provider_id``."""
    if not provider_id:
        raise ValueError("a reply needs the provider's id")
    provider_id = provider_id[:64]
    known = SmsReply.objects.filter(provider_id=provider_id).first()
    if known is not None:
        return Received(reply=known, repeat=True)
    try:
        return _act(provider_id, from_number, body, now or timezone.now())
    except IntegrityError:
        # The same text, delivered twice at once: the other request kept it first, and
        # everything this one did was rolled back with its transaction.
        return Received(reply=SmsReply.objects.get(provider_id=provider_id), repeat=True)


@transaction.atomic
def _act(provider_id: str, from_number: str, body: str, now: datetime) -> Received:
    # Control characters a phone may send are dropped: the words are shown on a page.
    body = "".join(ch for ch in body if ch.isprintable() or ch in "\n\t")
    reply = SmsReply(provider_id=provider_id, from_number=from_number[:16], body=body[:1600])
    reply.received_at = now
    sender = _sender(from_number, now)
    reply.patient, reply.appointment = sender.patient, sender.visit
    received = Received(reply=reply)
    word = keyword(body)
    if not sender.patients:
        # A stop word still gets its confirmation (carriers require one); it says
        # nothing of whether the number is on file.
        reply.action = SmsReply.Action.UNKNOWN_NUMBER
        reply.answer = _stop_answer() if word == Keyword.STOP else _unknown_answer()
    elif word == Keyword.STOP:
        _stop(received, sender, now)
    elif word == Keyword.START or (
        word == Keyword.CONFIRM
        and normalise(body) == "YES"
        and any(p.sms_consent == SmsConsent.OPTED_OUT for p in sender.patients)
    ):
        # Twilio takes YES from an opted-out number as START, and texts flow again.
        _start(received, sender, now)
    elif word == Keyword.HELP:
        reply.action, reply.answer = SmsReply.Action.HELP, _help_answer(sender.visit)
    elif sender.patient is None:
        # Several patients share the number and no text of ours says which one wrote.
        words = f"Replied by text from a number {len(sender.patients)} patients share"
        _task(received, sender.patients[0], f"{words}: read the reply")
        reply.answer = _task_answer(sender.visit)
    elif word == Keyword.CONFIRM:
        _confirm(received, sender, now)
    elif word == Keyword.REBOOK:
        _rebook(received, sender)
    else:
        _task(received, sender.patient, "Replied by text: read the reply")
        reply.answer = _task_answer(sender.visit)
    # Uniqueness is the database's to enforce: a twin racing past raises IntegrityError.
    reply.full_clean(validate_unique=False)
    reply.save()
    if received.task is not None:
        received.task.reply = reply
        received.task.full_clean()
        received.task.save()
    return received


def _rebook(received: Received, sender: _Sender) -> None:
    """R: the patient wants another time. Their visit is no longer confirmed, and front
    desk gets one call for it (a second R while that call is open adds none)."""
    reply, visit, patient = received.reply, sender.visit, sender.patient
    assert patient is not None
    reply.action = SmsReply.Action.RESCHEDULE
    reply.answer = _answer([f"{settings.CLINIC_SMS_NAME}:", "we will call you to find a new time."])
    if visit is not None and visit.confirmed_at is not None:
        Appointment.objects.filter(pk=visit.pk).update(confirmed_at=None, confirmed_via="")
        visit.confirmed_at, visit.confirmed_via = None, ""
        received.confirmed = visit  # audited as a change of the visit
    open_call = CallTask.objects.open().filter(
        patient=patient,
        reply__action=SmsReply.Action.RESCHEDULE,
        reply__appointment=visit,
    )
    if visit is not None and open_call.exists():
        return
    words = f"the visit on {_visit_words(visit)}" if visit else "a visit"
    _task(received, patient, f"Asked by text to rebook {words}")


def _sender(number: str, now: datetime) -> _Sender:
    """Who sent a text from ``number``: see ``_Sender``."""
    if not is_e164(number):
        return _Sender(patients=[], patient=None, visit=None)
    patients = list(Patient.objects.filter(mobile=number).order_by("pk"))
    if not patients:
        return _Sender(patients=[], patient=None, visit=None)
    # Our latest text to this number about a visit still to come says who it reached,
    # unless texts about visits of several of the patients on it are out (a family
    # phone with two reminders: which one is answered cannot be told).
    deliveries = list(
        SmsDelivery.objects.filter(
            to=number,
            sent_at__isnull=False,
            message__patient__in=patients,
            message__appointment__status=Appointment.Status.BOOKED,
            message__appointment__start__gt=now,
        )
        .select_related("message__appointment__location")
        .order_by("-sent_at", "-id")
    )
    if len({d.message.patient_id for d in deliveries}) > 1:
        return _Sender(patients=patients, patient=None, visit=None)
    delivery = deliveries[0] if deliveries else None
    if delivery is not None:
        patient = next(p for p in patients if p.pk == delivery.message.patient_id)
        return _Sender(patients=patients, patient=patient, visit=delivery.message.appointment)
    if len(patients) > 1:
        return _Sender(patients=patients, patient=None, visit=None)
    return _Sender(patients=patients, patient=patients[0], visit=_next_visit(patients[0], now))


def _next_visit(patient: Patient, now: datetime) -> Appointment | None:
    """The patient's next booked visit after ``now`` (an online booking still awaiting
    the clinic's approval is not one to confirm)."""
    return (
        Appointment.objects.filter(
            patient=patient, status=Appointment.Status.BOOKED, needs_approval=False, start__gt=now
        )
        .select_related("location")
        .order_by("start", "pk")
        .first()
    )


def _confirm(received: Received, sender: _Sender, now: datetime) -> None:
    reply, visit = received.reply, sender.visit
    if visit is not None:
        try:
            confirmed = booking.appointment_confirm(
                appointment=visit, via=Confirmation.SMS, now=now
            )
        except ValidationError:  # it started or was cancelled since it was found
            visit = None
        else:
            if confirmed.confirmed_at == now:  # confirmed by this text
                received.confirmed = confirmed
    if visit is None:
        # Nothing to confirm and nothing for front desk to do: say so, with the number.
        reply.action = SmsReply.Action.NO_VISIT
        reply.answer = _answer(
            [f"{settings.CLINIC_SMS_NAME}:", "we found no upcoming visit to confirm."],
            [(2, _call_us(None))],
        )
        return
    reply.action = SmsReply.Action.CONFIRMED
    reply.answer = _answer(
        [
            f"{settings.CLINIC_SMS_NAME}:",
            f"thanks, your visit on {_visit_words(visit)} is confirmed.",
        ]
    )


def _stop(received: Received, sender: _Sender, now: datetime) -> None:
    for patient in sender.patients:
        intake_services.sms_opt_out(patient=patient, at=now)
        received.consent_changed.append(patient)
    received.reply.action = SmsReply.Action.OPTED_OUT
    # When the provider answers stop words itself (Twilio's Advanced Opt-Out), it drops
    # ours; without that, this is the confirmation carriers require.
    received.reply.answer = _stop_answer()


def _start(received: Received, sender: _Sender, now: datetime) -> None:
    # Only what STOP took away comes back: a patient who never agreed to texts (or
    # withdrew that with front desk) does not start getting them by a keyword.
    for patient in sender.patients:
        if patient.sms_consent == SmsConsent.OPTED_OUT:
            intake_services.sms_opt_in(patient=patient, at=now)
            received.consent_changed.append(patient)
    received.reply.action = SmsReply.Action.OPTED_IN
    if received.consent_changed:
        words = "texts from us are on again. Reply STOP to end them."
    else:
        words = "texts from us were not stopped for this number."
    received.reply.answer = _answer([f"{settings.CLINIC_SMS_NAME}:", words])


def _task(received: Received, patient: Patient, reason: str) -> None:
    task = CallTask(patient=patient, reason=reason[:300])
    received.task = task  # saved with the reply, which it points at
    if received.reply.action == "":
        received.reply.action = SmsReply.Action.TASK


# --- The answers ----------------------------------------------------------------------------


def _answer(required: list[str], optional: list[tuple[int, str]] | None = None) -> str:
    """The words, with the optional ones only while the answer takes no more segments
    (``texts.fit``); at most ``SmsReply.answer``'s length."""
    optional = [(position, words) for position, words in optional or [] if words]
    return texts.fit(required, optional)[:320]


def _visit_words(visit: Appointment) -> str:
    """ "Tue 1 Dec at 9:30 AM", on the clinic's wall clock."""
    local = clock.clinic_localtime(visit.start)
    return f"{local:%a} {local.day} {local:%b} at " + f"{local:%I:%M %p}".lstrip("0")


def clinic_phone(visit: Appointment | None) -> str:
    """The number to call: the visit's location's, else the first location's that has
    one; "" when none has."""
    if visit is not None and visit.location.phone:
        return visit.location.phone
    return (
        Location.objects.exclude(phone="").order_by("name").values_list("phone", flat=True).first()
        or ""
    )


def _call_us(visit: Appointment | None) -> str:
    phone = clinic_phone(visit)
    return f"Call us at {phone}." if phone else ""


def _stop_answer() -> str:
    words = ["you will get no more texts from us.", "Reply START to resume."]
    return _answer([f"{settings.CLINIC_SMS_NAME}:", *words])


def _help_answer(visit: Appointment | None) -> str:
    return _answer(
        [f"{settings.CLINIC_SMS_NAME}:", _call_us(visit) or "call the clinic."],
        [(2, texts.STOP_HINT)],
    )


def _task_answer(visit: Appointment | None) -> str:
    # A text may say something urgent, and nobody reads texts at night.
    phone = clinic_phone(visit)
    urgent = f"If urgent call {phone}, or 911." if phone else "In an emergency call 911."
    return _answer([f"{settings.CLINIC_SMS_NAME}:", "thanks, front desk will read this.", urgent])


def _unknown_answer() -> str:
    """For a number not on file: who we are and how to call, nothing about anyone."""
    return _answer([f"This is {settings.CLINIC_SMS_NAME}."], [(1, _call_us(None))])
