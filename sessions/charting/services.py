"""Charting a visit: the day-of-visit safety check, the note, adverse events, signing
and addenda; the needling sites are ``sites`` (the hard stops ``hard_stops``), the
aftercare that signing sends ``aftercare``. Writes are service functions; views stay
thin.

Every write on a draft locks its row (``lock_draft``: the hard stops are weighed on
what is saved) and counts its ``version`` on (``count_write``); given the version the
sending page was shown, a write from an older page is refused (``DraftChanged``).
A draft is written by its author alone (the physiotherapist who started it), whoever
else may read it: every write names who makes it (``by``) and refuses anyone else
(``NotTheAuthor``)."""

from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from clinic.roles import Role, has_role
from clinic.types import StaffUser
from intake.models import HealthUpdate
from sessions.booking.models import Appointment
from sessions.charting import selectors
from sessions.charting.aftercare import aftercare_send
from sessions.charting.catalogue import AftercareTemplate
from sessions.charting.models import (
    Addendum,
    AdverseEvent,
    DraftChanged,
    NoteIsSigned,
    NotTheAuthor,
    Visit,
)
from sessions.followups import services as followups


def _require_draft(visit: Visit) -> None:
    if visit.is_signed:
        raise NoteIsSigned()


def _require_author(visit: Visit, by: StaffUser, message: str = NotTheAuthor.MESSAGE) -> None:
    if visit.author_id != by.pk:
        raise NotTheAuthor(message)


def visit_check_writable(*, visit: Visit, by: StaffUser) -> None:
    """Refuse a write on ``visit`` by ``by`` before its form is read (the hard stops
    weigh the author's authorisation): raises NoteIsSigned on a signed note,
    NotTheAuthor when ``by`` did not start the draft. Each write asks again under the
    row's lock (``lock_draft``)."""
    _require_draft(visit)
    _require_author(visit, by)


def visit_for(*, appointment: Appointment, author: StaffUser) -> Visit:
    """The appointment's visit note; an unsaved draft when no one has saved anything on
    it yet (reading a chart creates nothing: the first save starts the draft). Raises
    ValidationError keyed by no field when ``author`` may not chart it (not a
    physiotherapist, or the appointment was cancelled)."""
    visit = Visit.objects.filter(appointment=appointment).first()
    if visit is not None:
        return visit
    _check_chartable(appointment, author)
    return Visit(appointment=appointment, author=author)


def _check_chartable(appointment: Appointment, author: StaffUser) -> None:
    if not has_role(author, Role.PHYSIO):
        raise ValidationError("Only a physiotherapist can chart a visit.")
    if appointment.status == Appointment.Status.CANCELLED:
        raise ValidationError("This appointment was cancelled; there is no visit to chart.")


@transaction.atomic
def visit_start(*, visit: Visit) -> Visit:
    """Save an unsaved draft (with what has been put on it), or give the draft someone
    else started meanwhile; a saved visit is returned as it is. Raises ValidationError as
    ``visit_for`` for an unsaved one."""
    if visit.pk is not None:
        return visit
    _check_chartable(visit.appointment, visit.author)
    # The appointment's row serialises two first saves racing on the same chart.
    list(Appointment.objects.select_for_update().filter(pk=visit.appointment_id).values("pk"))
    started = Visit.objects.filter(appointment_id=visit.appointment_id).first()
    if started is not None:
        return started
    visit.save()
    return visit


@transaction.atomic
def visit_safety_check(
    *,
    visit: Visit,
    by: StaffUser,
    pregnancy: str,
    surgery_date: date | None,
    surgery_description: str,
    anticoagulants: bool,
    medication_notes: str,
    consent_today: bool,
    version: int | None = None,
    now: datetime | None = None,
) -> HealthUpdate:
    """Record today's answers; they feed screening at once (intake.HealthUpdate, which
    is returned).

    Recording the check again replaces the visit's earlier answers (a correction or a
    repeated submission), so nothing it reported counts twice. Raises NoteIsSigned on a
    signed note, NotTheAuthor when ``by`` did not start the draft, DraftChanged when
    ``version`` is not the draft's, ValidationError keyed by the HealthUpdate field at
    fault."""
    visit = lock_draft(visit, by)
    count_write(visit, version)
    now = now or timezone.now()
    update = visit.safety_check or HealthUpdate(patient=visit.patient)
    before = _precautions(visit)
    update.reported_at = now
    update.source = f"safety check {visit.day.isoformat()}"
    update.pregnancy = pregnancy
    update.surgery_date = surgery_date
    update.surgery_description = surgery_description.strip()
    update.anticoagulants = anticoagulants
    update.medication_notes = medication_notes.strip()
    update.recorded_by = by
    update.full_clean()
    update.save()
    visit.safety_check = update
    visit.consent_today = consent_today
    # New answers may bring new precautions: they must be weighed again. The same
    # precautions as before (the check sent again, a note corrected) keep the weighing.
    if _precautions(visit) != before:
        visit.acknowledged_precautions = []
        visit.acknowledged_by = None
        visit.acknowledged_at = None
    visit.save(update_fields=[*_ACKNOWLEDGEMENT, "safety_check", "consent_today", "updated_at"])
    return update


_ACKNOWLEDGEMENT = ["acknowledged_precautions", "acknowledged_by", "acknowledged_at"]


def _precautions(visit: Visit) -> set[tuple[str, str]]:
    """The (code, message) of each precaution screening gives ``visit`` now: a message
    changes with what it is about (another surgery date, say)."""
    return {(r.code, r.message) for r in visit.verdict().precautions}


@transaction.atomic
def visit_acknowledge(
    *, visit: Visit, by: StaffUser, version: int | None = None, now: datetime | None = None
) -> list[str]:
    """The physiotherapist has weighed every current precaution; returns their codes.
    Raises NoteIsSigned on a signed note, NotTheAuthor when ``by`` did not start the
    draft, DraftChanged when ``version`` is not the draft's."""
    visit = lock_draft(visit, by)
    count_write(visit, version)
    codes = [r.code for r in visit.verdict().precautions]
    visit.acknowledged_precautions = codes
    visit.acknowledged_by = by
    visit.acknowledged_at = now or timezone.now()
    visit.save(update_fields=[*_ACKNOWLEDGEMENT, "updated_at"])
    return codes


@transaction.atomic
def visit_note_save(
    *, visit: Visit, by: StaffUser, version: int | None = None, **fields: Any
) -> Visit:
    """Keep the draft note's fields (the first save starts the draft); returns the visit,
    its ``version`` the new one. Raises NoteIsSigned on a signed note, NotTheAuthor when
    ``by`` did not start the draft, DraftChanged when ``version`` is not the draft's (the
    note was saved from another tab meanwhile)."""
    visit = lock_draft(visit, by)
    count_write(visit, version)
    for name, value in fields.items():
        setattr(visit, name, value)
    visit.save(update_fields=[*fields, "updated_at"])
    return visit


# What a write reads afresh under the draft's lock: whether it may write, the version
# it counts on, and the hard stops' inputs (a safety check or an acknowledgement saved
# from another tab meanwhile).
_LOCKED = (
    "status",
    "author_id",
    "version",
    "updated_at",
    "safety_check_id",
    "consent_today",
    "acknowledged_precautions",
    "acknowledged_by_id",
    "acknowledged_at",
)


def lock_draft(visit: Visit, by: StaffUser) -> Visit:
    """The saved draft, its row locked and ``_LOCKED`` read afresh: a repeated
    submission waits, then sees the first; the hard stops are weighed on what is saved.
    Raises NoteIsSigned on a signed note, NotTheAuthor when ``by`` is not who started
    the draft (someone else may have started it meanwhile)."""
    visit = visit_start(visit=visit)
    locked = Visit.objects.select_for_update().values_list(*_LOCKED).get(pk=visit.pk)
    for name, value in zip(_LOCKED, locked, strict=True):
        setattr(visit, name, value)
    _require_draft(visit)
    _require_author(visit, by)
    return visit


def count_write(visit: Visit, version: int | None) -> None:
    """Count a write on a draft locked by ``lock_draft``. Raises DraftChanged when
    ``version`` (the one the sending page was shown, or the views' ``MISSING`` for none;
    None, from the services' own callers only: not checked) is not the draft's."""
    if version is not None and version != visit.version:
        raise DraftChanged(version=visit.version, changed_at=visit.updated_at)
    visit.updated_at = timezone.now()
    Visit.objects.filter(pk=visit.pk).update(version=F("version") + 1, updated_at=visit.updated_at)
    visit.version += 1


@transaction.atomic
def adverse_event_add(
    *,
    visit: Visit,
    by: StaffUser,
    kind: str,
    description: str,
    action_taken: str,
    version: int | None = None,
) -> AdverseEvent:
    """Record an adverse event and return it; the very same event sent twice is kept
    once. Raises NoteIsSigned on a signed note, NotTheAuthor when ``by`` did not start
    the draft, ValidationError keyed by the AdverseEvent field at fault, DraftChanged
    when ``version`` is not the draft's."""
    visit_check_writable(visit=visit, by=by)
    fields = {"kind": kind, "description": description.strip(), "action_taken": action_taken}
    AdverseEvent(**fields).full_clean(exclude=["visit"])
    visit = lock_draft(visit, by)
    same = visit.adverse_events.filter(**fields).first()
    if same is not None:
        return same
    count_write(visit, version)
    event = AdverseEvent(visit=visit, **fields)
    event.full_clean()
    event.save()
    return event


@transaction.atomic
def visit_sign(
    *,
    visit: Visit,
    by: StaffUser,
    aftercare_template: AftercareTemplate | None,
    aftercare_text: str,
    home_exercises: str,
    version: int | None = None,
    now: datetime | None = None,
) -> Visit:
    """Lock the note and send the aftercare (after commit); returns the signed visit.
    Raises NoteIsSigned when it is signed already, NotTheAuthor when ``by`` did not
    start the draft, DraftChanged when ``version`` is not the draft's (what is signed
    would not be what the signer saw), ValidationError keyed by no field with a list of
    what stands in the way."""
    now = now or timezone.now()
    _require_draft(visit)
    _require_author(visit, by, "Only the author of the note can sign it.")
    if visit.pk is None:  # nothing saved yet: at least today's pain is missing
        raise ValidationError([str(p) for p in selectors.sign_problems(visit, [], now=now)])
    visit = (
        Visit.objects.select_for_update().select_related("appointment__patient").get(pk=visit.pk)
    )
    _require_draft(visit)
    if version is not None and version != visit.version:
        raise DraftChanged(version=visit.version, changed_at=visit.updated_at)
    problems = selectors.sign_problems(visit, list(visit.sites.all()), now=now)
    if problems:
        raise ValidationError([str(p) for p in problems])
    visit.aftercare_template = aftercare_template
    visit.aftercare_text = aftercare_text.strip()
    visit.home_exercises = home_exercises.strip()
    visit.status = Visit.Status.SIGNED
    visit.signed_at = now
    visit.full_clean()
    visit.save()
    if visit.appointment.status in (Appointment.Status.BOOKED, Appointment.Status.ARRIVED):
        Appointment.objects.filter(pk=visit.appointment_id).update(
            status=Appointment.Status.COMPLETED, updated_at=now
        )
    aftercare_send(visit=visit)
    if visit.sites.exists():
        followups.checkins_schedule(visit=visit)
    return visit


@transaction.atomic
def addendum_add(*, visit: Visit, author: StaffUser, reason: str, text: str) -> Addendum:
    """Add a correction to a signed note and return it; the very same addendum sent twice
    is kept once. Raises NotTheAuthor for someone other than the note's author,
    ValidationError keyed by no field on a draft, keyed by the Addendum field
    ``full_clean`` refuses."""
    _require_author(visit, author, "Only the author of the note can add an addendum.")
    if not visit.is_signed:
        raise ValidationError("Change the draft directly; addenda are for signed notes.")
    fields = {"author": author, "reason": reason.strip(), "text": text.strip()}
    list(Visit.objects.select_for_update().filter(pk=visit.pk).values("pk"))
    same = visit.addenda.filter(**fields).first()
    if same is not None:
        return same
    addendum = Addendum(visit=visit, **fields)
    addendum.full_clean()
    addendum.save()
    return addendum
