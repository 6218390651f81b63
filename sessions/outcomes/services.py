"""Questionnaires: sending one (by email, with a reminder, at discharge, on a clinic
tablet), keeping the patient's answers as they go, and scoring it when they submit.

The wording a patient reads comes from one function, ``asked_items``; whether an
instrument may be sent at all from ``can_send``. A finished questionnaire is never
changed; an expired or withdrawn one takes no answers.

Schedules: ``schedules_for_visit`` (pure) says which of the clinic's schedules ask
for a questionnaire before visit k of a type; ``visit_questionnaires`` makes them
(once per visit and instrument: the database's constraint) when the visit's reminder
goes out; ``discharge_questionnaires`` sends the ``at_discharge`` ones when a course
closes.
"""

import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from clinic import audit, clock, emails
from clinic.types import StaffUser
from intake.models import Patient
from sessions.booking.models import Appointment, Course
from sessions.booking.selectors import course_active
from sessions.outcomes import instruments, wording
from sessions.outcomes.instruments import Instrument
from sessions.outcomes.links import questionnaire_link
from sessions.outcomes.models import OutcomeSchedule, Questionnaire

TABLET_LIFETIME = timedelta(hours=2)  # filled in there and then, in the clinic
NAME_MAX = 100  # a patient-named activity (PSFS)
NAME_SUFFIX = "_name"


# --- Wording ------------------------------------------------------------------------------


@dataclass(frozen=True)
class AskedItem:
    """One question as the patient sees it: ``options`` are (value, label) pairs."""

    key: str
    text: str
    options: tuple[tuple[int, str], ...]
    required: bool
    named: bool


def asked_items(instrument: Instrument) -> list[AskedItem]:
    """The instrument's questions with the wording the patient reads: the app's own for
    a free instrument, the clinic's loaded wording for a licensed one
    (``wording.wording_for``). Raises ``wording.WordingMissing`` when there is none."""
    return [
        AskedItem(
            key=worded.item.key,
            text=worded.text,
            options=tuple(worded.options),
            required=worded.item.required,
            named=worded.item.named,
        )
        for worded in wording.wording_for(instrument)
    ]


def can_send(instrument: Instrument) -> bool:
    """Whether the clinic may send it: free, or its licensed wording is loaded."""
    return wording.can_send(instrument)


def sendable_choices() -> list[tuple[str, str]]:
    """(code, name) of the instruments that can be sent now, for a select."""
    sendable = wording.sendable_codes()
    return [(c, n) for c, n in instruments.choices() if c in sendable]


# --- States -------------------------------------------------------------------------------


class Status:
    SENT = "sent"
    STARTED = "started"
    DONE = "done"
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"


STATUS_WORDS = {
    Status.SENT: "Sent, not opened",
    Status.STARTED: "Started",
    Status.DONE: "Done",
    Status.EXPIRED: "Expired",
    Status.WITHDRAWN: "Withdrawn",
}


def questionnaire_status(questionnaire: Questionnaire, now: datetime) -> str:
    """Where it stands at ``now`` (a ``Status`` value); what front desk may see."""
    if questionnaire.completed_at is not None:
        return Status.DONE
    if questionnaire.withdrawn_at is not None:
        return Status.WITHDRAWN
    if now >= questionnaire.expires_at:
        return Status.EXPIRED
    return Status.STARTED if questionnaire.started_at else Status.SENT


def appointment_states(appointment: Appointment, now: datetime) -> list[dict]:
    """The visit's questionnaires as {"name": abbreviation, "status": words}, never
    answers or scores: what every role sees on the appointment page. One query."""
    return [
        {
            "name": getattr(
                instruments.INSTRUMENTS.get(q.instrument), "abbreviation", q.instrument
            ),
            "status": STATUS_WORDS[questionnaire_status(q, now)],
        }
        for q in appointment.questionnaires.defer("answers").order_by("created_at", "id")
    ]


def is_open(questionnaire: Questionnaire, now: datetime) -> bool:
    """Whether it still takes answers at ``now`` (up to, not at, ``expires_at``)."""
    return questionnaire_status(questionnaire, now) in (Status.SENT, Status.STARTED)


# --- Sending ------------------------------------------------------------------------------


def _instrument(code: str) -> Instrument:
    try:
        instrument = instruments.get(code)
    except KeyError:
        raise ValidationError({"instrument": "There is no such questionnaire."}) from None
    if not can_send(instrument):
        raise ValidationError(
            {"instrument": f"{instrument.abbreviation}'s wording is not loaded; it cannot be sent."}
        )
    return instrument


def _prefilled_names(patient: Patient, instrument: Instrument, course: Course | None) -> dict:
    """The activity names the patient gave in the course's first questionnaire of this
    instrument (PSFS), to ask about the same activities again."""
    named = [item.key + NAME_SUFFIX for item in instrument.items if item.named]
    if not named or course is None:
        return {}
    first = (
        Questionnaire.objects.filter(patient=patient, course=course, instrument=instrument.code)
        .exclude(completed_at__isnull=True)
        .order_by("created_at", "id")
        .first()
    )
    if first is None:
        return {}
    return {key: first.answers[key] for key in named if first.answers.get(key)}


@transaction.atomic
def questionnaire_create(
    *,
    patient: Patient,
    instrument: str,
    by: StaffUser | None,
    trigger: str,
    appointment: Appointment | None = None,
    course: Course | None = None,
    schedule: OutcomeSchedule | None = None,
    now: datetime | None = None,
    lifetime: timedelta | None = None,
) -> Questionnaire:
    """A new questionnaire of ``instrument`` (a code) for ``patient``, good for
    ``lifetime`` (default ``OUTCOME_LINK_DAYS``); nothing is sent. The course defaults
    to the appointment's, else the patient's open one. Patient-named items (PSFS) come
    with the names from the course's first one. Raises ValidationError keyed by
    ``instrument`` (unknown, or its wording is missing); IntegrityError when the visit
    already has one of this instrument."""
    now = now or timezone.now()
    chosen = _instrument(instrument)
    if course is None:
        course = appointment.course if appointment else course_active(patient=patient)
    questionnaire = Questionnaire(
        patient=patient,
        instrument=chosen.code,
        course=course,
        appointment=appointment,
        schedule=schedule,
        trigger=trigger,
        sent_by=by,
        nonce=secrets.token_urlsafe(24),
        created_at=now,
        expires_at=now + (lifetime or timedelta(days=settings.OUTCOME_LINK_DAYS)),
        answers=_prefilled_names(patient, chosen, course),
    )
    questionnaire.full_clean(validate_constraints=False)  # the insert is the check
    questionnaire.save()
    return questionnaire


def _email(questionnaire: Questionnaire) -> None:
    patient = questionnaire.patient
    link = questionnaire_link(questionnaire)
    expires_on = clock.clinic_localtime(questionnaire.expires_at).date()
    transaction.on_commit(
        lambda: emails.questionnaire(
            to=patient.email, first_name=patient.greeting_name, link=link, expires_on=expires_on
        )
    )


@transaction.atomic
def questionnaire_send(
    *,
    patient: Patient,
    instrument: str,
    by: StaffUser | None,
    trigger: str = Questionnaire.Trigger.MANUAL,
    appointment: Appointment | None = None,
    course: Course | None = None,
    schedule: OutcomeSchedule | None = None,
    now: datetime | None = None,
) -> Questionnaire:
    """Make a questionnaire (``questionnaire_create``) and email the patient its link
    after commit; the email names the clinic only, no health information. Raises
    ValidationError keyed by ``instrument`` as ``questionnaire_create``, or by
    ``email`` when the patient has no email address."""
    if not patient.email:
        raise ValidationError({"email": "This patient has no email address; add one to send."})
    questionnaire = questionnaire_create(
        patient=patient,
        instrument=instrument,
        by=by,
        trigger=trigger,
        appointment=appointment,
        course=course,
        schedule=schedule,
        now=now,
    )
    _email(questionnaire)
    return questionnaire


def tablet_start(
    *,
    patient: Patient,
    instrument: str,
    by: StaffUser,
    appointment: Appointment | None = None,
    now: datetime | None = None,
) -> Questionnaire:
    """A questionnaire to fill in on a clinic tablet now (``TABLET_LIFETIME``); raises
    as ``questionnaire_create``."""
    return questionnaire_create(
        patient=patient,
        instrument=instrument,
        by=by,
        trigger=Questionnaire.Trigger.TABLET,
        appointment=appointment,
        now=now,
        lifetime=TABLET_LIFETIME,
    )


# --- Answers ------------------------------------------------------------------------------


def clean_answers(instrument: Instrument, raw: Mapping[str, object]) -> dict:
    """The answers of ``raw`` the instrument knows: {item key: option value (int)} and,
    for named items, {key + "_name": name (str, at most NAME_MAX)}. Values that are
    not an option are dropped (the form only offers options)."""
    kept: dict = {}
    for item in instrument.items:
        value = raw.get(item.key)
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            value = int(value)
        if isinstance(value, int) and value in {o.value for o in item.options}:
            kept[item.key] = value
        if item.named:
            name = raw.get(item.key + NAME_SUFFIX)
            if isinstance(name, str) and (name := " ".join(name.split())[:NAME_MAX]):
                kept[item.key + NAME_SUFFIX] = name
    return kept


def _locked(questionnaire: Questionnaire, now: datetime) -> Questionnaire:
    """The row again, locked for the change; raises ValidationError unless it is open."""
    row = Questionnaire.objects.select_for_update().get(pk=questionnaire.pk)
    if not is_open(row, now):
        raise ValidationError("This questionnaire no longer takes answers.")
    return row


@transaction.atomic
def questionnaire_save(
    *, questionnaire: Questionnaire, answers: Mapping[str, object], now: datetime | None = None
) -> Questionnaire:
    """Keep the patient's answers so far (``clean_answers``; they replace the earlier
    ones). Returns the row; raises ValidationError when it no longer takes answers."""
    now = now or timezone.now()
    row = _locked(questionnaire, now)
    row.answers = clean_answers(instruments.get(row.instrument), answers)
    row.started_at = row.started_at or now
    row.save(update_fields=["answers", "started_at"])
    return row


def missing_items(instrument: Instrument, answers: Mapping[str, object]) -> dict[str, str]:
    """{item key: message} for each required item not answered (a named item needs its
    name and its rating)."""
    missing = {}
    for item in instrument.items:
        if not item.required:
            continue
        if answers.get(item.key) is None:
            missing[item.key] = "Please choose an answer."
        elif item.named and not answers.get(item.key + NAME_SUFFIX):
            missing[item.key] = "Please name the activity."
    return missing


@transaction.atomic
def questionnaire_submit(
    *, questionnaire: Questionnaire, now: datetime | None = None
) -> Questionnaire:
    """Score the saved answers (``Instrument.score``) and lock the questionnaire.
    Raises ValidationError keyed by item for each required item unanswered, or keyed
    by no field when it no longer takes answers or too many items are left out to
    score (the instrument's reason)."""
    now = now or timezone.now()
    row = _locked(questionnaire, now)
    instrument = instruments.get(row.instrument)
    missing = missing_items(instrument, row.answers)
    if missing:
        raise ValidationError(missing)
    score = instrument.score({i.key: row.answers.get(i.key) for i in instrument.items})
    if score.value is None:  # too many items left out to score
        raise ValidationError(f"{score.reason} Please answer a few more of the questions.")
    row.score = score.value
    row.answered_items = score.answered
    row.score_note = score.reason[:300]
    row.completed_at = now
    row.started_at = row.started_at or now
    row.save(update_fields=["score", "answered_items", "score_note", "completed_at", "started_at"])
    return row


# --- Schedules ----------------------------------------------------------------------------

_NUMBERS = re.compile(r"^\s*\d{1,3}(\s*,\s*\d{1,3})*\s*$")


def parse_visit_numbers(text: str) -> list[int]:
    """Visit numbers typed as "1, 4, 8": sorted, without repeats. "" is []. Raises
    ValueError for anything else, or a number below 1."""
    if not text.strip():
        return []
    if not _NUMBERS.match(text):
        raise ValueError("Type visit numbers separated by commas, e.g. 1, 4, 8.")
    numbers = sorted({int(n) for n in text.split(",")})
    if numbers[0] < 1:
        raise ValueError("Visit numbers start at 1.")
    return numbers


def schedules_for_visit(
    schedules: Iterable[OutcomeSchedule], *, visit_number: int, type_id: int | None
) -> list[OutcomeSchedule]:
    """The active schedules that ask for a questionnaire before visit ``visit_number``
    (1: the first) of a course, for a visit of type ``type_id``: their visit numbers
    list it and their type is that one, or any. Pure: reads only the rows' fields."""
    return [
        s
        for s in schedules
        if s.active
        and visit_number in (s.visit_numbers or [])
        and (s.appointment_type_id is None or s.appointment_type_id == type_id)
    ]


def schedules_at_discharge(schedules: Iterable[OutcomeSchedule]) -> list[OutcomeSchedule]:
    """The active schedules that send at discharge. Pure."""
    return [s for s in schedules if s.active and s.at_discharge]


def visit_questionnaires(*, appointment: Appointment, now: datetime | None = None) -> list:
    """Make the questionnaires the clinic's schedules ask for before this visit (once
    per visit and instrument) and return every one of the visit's that still takes
    answers, oldest first. A visit that does not count (cancelled, no-show) gets none.
    Raises nothing for an instrument that cannot be sent now (it is left out)."""
    now = now or timezone.now()
    if appointment.counts_as_visit and appointment.course_id:
        number = (
            Appointment.objects.with_visit_number()
            .values_list("visit_number", flat=True)
            .get(pk=appointment.pk)
        )
        due = schedules_for_visit(
            OutcomeSchedule.objects.filter(active=True),
            visit_number=number,
            type_id=appointment.type_id,
        )
        made = set(
            appointment.questionnaires.filter(withdrawn_at__isnull=True).values_list(
                "instrument", flat=True
            )
        )
        for schedule in due:
            if schedule.instrument in made:
                continue
            try:
                with transaction.atomic():
                    questionnaire = questionnaire_create(
                        patient=appointment.patient,
                        instrument=schedule.instrument,
                        by=None,
                        trigger=Questionnaire.Trigger.VISIT,
                        appointment=appointment,
                        schedule=schedule,
                        now=now,
                    )
            except IntegrityError:  # made meanwhile by another send of the reminder
                continue
            except ValidationError:  # wording not loaded: nothing to send
                continue
            made.add(schedule.instrument)
            audit.record(None, audit.Action.CREATE, obj=questionnaire, detail="visit schedule")
    return open_for_appointment(appointment, now)


def open_for_appointment(appointment: Appointment, now: datetime) -> list[Questionnaire]:
    """The visit's questionnaires that still take answers, oldest first (no writes)."""
    return list(
        appointment.questionnaires.filter(
            withdrawn_at__isnull=True, completed_at__isnull=True, expires_at__gt=now
        ).order_by("created_at", "id")
    )


def discharge_questionnaires(*, course: Course, now: datetime | None = None) -> list:
    """Email the questionnaires the ``at_discharge`` schedules ask for when ``course``
    closes: once per course and instrument, only to a patient with an email address.
    Returns the questionnaires sent now; raises nothing for one that cannot be sent."""
    now = now or timezone.now()
    patient = course.patient
    if not patient.email:
        return []
    sent = []
    done = set(
        course.questionnaires.filter(
            trigger=Questionnaire.Trigger.DISCHARGE, withdrawn_at__isnull=True
        ).values_list("instrument", flat=True)
    )
    for schedule in schedules_at_discharge(OutcomeSchedule.objects.filter(active=True)):
        if schedule.instrument in done:
            continue
        try:
            questionnaire = questionnaire_send(
                patient=patient,
                instrument=schedule.instrument,
                by=None,
                trigger=Questionnaire.Trigger.DISCHARGE,
                course=course,
                schedule=schedule,
                now=now,
            )
        except ValidationError:
            continue
        done.add(schedule.instrument)
        audit.record(None, audit.Action.CREATE, obj=questionnaire, detail="at discharge")
        sent.append(questionnaire)
    return sent


@transaction.atomic
def schedule_save(
    *,
    schedule: OutcomeSchedule | None,
    instrument: str,
    appointment_type_id: int | None,
    visit_numbers: list[int],
    at_discharge: bool,
    active: bool,
    by: StaffUser,
) -> OutcomeSchedule:
    """Add (``schedule`` None) or change a schedule. Raises ValidationError keyed by
    ``instrument`` (unknown) or ``visit_numbers`` (neither visits nor discharge)."""
    if instrument not in instruments.INSTRUMENTS:
        raise ValidationError({"instrument": "There is no such questionnaire."})
    if not visit_numbers and not at_discharge:
        raise ValidationError(
            {"visit_numbers": "Give the visit numbers, or tick at discharge, or both."}
        )
    schedule = schedule or OutcomeSchedule(created_by=by)
    schedule.instrument = instrument
    schedule.appointment_type_id = appointment_type_id
    schedule.visit_numbers = visit_numbers
    schedule.at_discharge = at_discharge
    schedule.active = active
    schedule.full_clean()
    schedule.save()
    return schedule


def discharge_answer(sender: object, *, course: Course, now: datetime, **kwargs: object) -> None:
    """``booking.signals.course_discharged``: send the questionnaires due at discharge."""
    discharge_questionnaires(course=course, now=now)
