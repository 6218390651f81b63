"""Charting a visit: the day-of-visit safety check, recording needling (the hard stops
are ``hard_stops``), signing and addenda; the aftercare that signing sends is
``aftercare``. Writes are service functions; views stay thin.

Every write on a draft locks its row and counts its ``version`` on; given the version
the sending page was shown, a write from an older page is refused (``DraftChanged``).
A draft is written by its author alone (the physiotherapist who started it), whoever
else may read it: every write names who makes it (``by``) and refuses anyone else
(``NotTheAuthor``)."""

from collections import Counter
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
    NeedlingSite,
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
    row's lock (``_lock_draft``)."""
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
    visit = _lock_draft(visit, by)
    _count_write(visit, version)
    now = now or timezone.now()
    update = visit.safety_check or HealthUpdate(patient=visit.patient)
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
    # New answers may bring new precautions: they must be weighed again.
    visit.acknowledged_precautions = []
    visit.acknowledged_by = None
    visit.acknowledged_at = None
    visit.save(update_fields=[*_ACKNOWLEDGEMENT, "safety_check", "consent_today", "updated_at"])
    return update


_ACKNOWLEDGEMENT = ["acknowledged_precautions", "acknowledged_by", "acknowledged_at"]


@transaction.atomic
def visit_acknowledge(
    *, visit: Visit, by: StaffUser, version: int | None = None, now: datetime | None = None
) -> list[str]:
    """The physiotherapist has weighed every current precaution; returns their codes.
    Raises NoteIsSigned on a signed note, NotTheAuthor when ``by`` did not start the
    draft, DraftChanged when ``version`` is not the draft's."""
    visit = _lock_draft(visit, by)
    _count_write(visit, version)
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
    visit = _lock_draft(visit, by)
    _count_write(visit, version)
    for name, value in fields.items():
        setattr(visit, name, value)
    visit.save(update_fields=[*fields, "updated_at"])
    return visit


def _lock_draft(visit: Visit, by: StaffUser) -> Visit:
    """The saved draft, its row locked (``version`` and ``updated_at`` read afresh): a
    repeated submission waits, then sees the first. Raises NoteIsSigned on a signed
    note, NotTheAuthor when ``by`` is not who started the draft (someone else may have
    started it meanwhile)."""
    visit = visit_start(visit=visit)
    status, visit.version, visit.updated_at = (
        Visit.objects.select_for_update()
        .values_list("status", "version", "updated_at")
        .get(pk=visit.pk)
    )
    if status == Visit.Status.SIGNED:
        raise NoteIsSigned()
    _require_author(visit, by)
    return visit


def _count_write(visit: Visit, version: int | None) -> None:
    """Count a write on a draft locked by ``_lock_draft``. Raises DraftChanged when
    ``version`` (the one the sending page was shown; None: not checked) is not the
    draft's: someone wrote since."""
    if version is not None and version != visit.version:
        raise DraftChanged(version=visit.version, changed_at=visit.updated_at)
    visit.updated_at = timezone.now()
    Visit.objects.filter(pk=visit.pk).update(version=F("version") + 1, updated_at=visit.updated_at)
    visit.version += 1


@transaction.atomic
def site_add(
    *, visit: Visit, by: StaffUser, version: int | None = None, **fields: Any
) -> NeedlingSite:
    """Record a needled site and return it; the very same site sent twice (a double
    click) is kept once. Raises NoteIsSigned on a signed note, NotTheAuthor when ``by``
    did not start the draft (before the hard stops, which weigh the author's
    authorisation), ValidationError keyed by the NeedlingSite field at fault (the hard
    stops of ``NeedlingSite.clean`` included), DraftChanged when ``version`` is not the
    draft's."""
    visit_check_writable(visit=visit, by=by)
    site = NeedlingSite(visit=visit, **fields)
    site.full_clean(exclude=["visit"])  # includes the hard stops (NeedlingSite.clean)
    visit = _lock_draft(visit, by)
    same = visit.sites.filter(**fields).first()
    if same is not None:
        return same
    _count_write(visit, version)
    site.visit = visit
    site.save()
    return site


@transaction.atomic
def site_edit(
    *, site: NeedlingSite, by: StaffUser, version: int | None = None, **fields: Any
) -> NeedlingSite:
    """Change a site of a draft (muscle, side, level, depth, insertions, twitch,
    tolerance) and return it; the hard stops apply as to a new site. Raises NoteIsSigned
    on a signed note, NotTheAuthor when ``by`` did not start the draft, ValidationError
    keyed by the NeedlingSite field at fault, DraftChanged when ``version`` is not the
    draft's."""
    visit_check_writable(visit=site.visit, by=by)
    for name, value in fields.items():
        setattr(site, name, value)
    site.full_clean(exclude=["visit"])
    site.visit = _lock_draft(site.visit, by)
    _count_write(site.visit, version)
    site.save()
    return site


@transaction.atomic
def site_remove(*, site: NeedlingSite, by: StaffUser, version: int | None = None) -> None:
    """Delete a site of a draft. Raises NoteIsSigned once the visit is signed,
    NotTheAuthor when ``by`` did not start the draft, DraftChanged when ``version`` is
    not the draft's."""
    _count_write(_lock_draft(site.visit, by), version)
    site.delete()  # refused by the model once the visit is signed


# What a carried-forward site copies: where and how to needle. The twitch and the
# tolerance are today's response, so they start as these defaults for the physio to edit.
REPEATED_FIELDS = ("muscle_id", "side", "spinal_level", "depth_cm", "insertions")
REPEATED_DEFAULTS = {
    "twitch": NeedlingSite.Twitch.NONE,
    "tolerance": NeedlingSite.Tolerance.GOOD,
}
NEEDLE_FIELDS = ("needle_product", "needle_size", "needle_lot")


@transaction.atomic
def sites_repeat_last(
    *, visit: Visit, by: StaffUser, version: int | None = None
) -> list[NeedlingSite]:
    """Copy the sites of the patient's last signed visit with needling
    (``selectors.last_needling_visit``) into this draft as editable rows, and return the
    rows added. Each copy keeps ``REPEATED_FIELDS`` and starts with
    ``REPEATED_DEFAULTS``; a site of that visit the draft holds already (a second press)
    is not copied again, so the list may be empty. The draft's empty needle product,
    size and lot take that visit's.

    Raises NoteIsSigned on a signed note, NotTheAuthor when ``by`` did not start the
    draft, ValidationError keyed by no field with the hard stops (the messages a single
    site gets) or when there is no such visit, DraftChanged when ``version`` is not the
    draft's."""
    visit = _lock_draft(visit, by)  # a saved draft: repeated from its chart
    blockers = visit.needling_blockers()
    if blockers:
        raise ValidationError([str(b) for b in blockers])
    last = selectors.last_needling_visit(visit)
    if last is None:
        raise ValidationError("There is no earlier signed visit with needling sites to repeat.")
    held = Counter(_where(s) for s in visit.sites.all())
    copies = []
    for earlier in last.sites.select_related("muscle"):
        if held[_where(earlier)] > 0:
            held[_where(earlier)] -= 1
            continue
        site = NeedlingSite(
            visit=visit, **{f: getattr(earlier, f) for f in REPEATED_FIELDS}, **REPEATED_DEFAULTS
        )
        site.muscle = earlier.muscle
        site.clean_fields(exclude=["visit", "muscle"])  # the hard stops were asked above
        copies.append(site)
    if not copies:  # all there already: a second press
        return []
    _count_write(visit, version)
    NeedlingSite.objects.bulk_create(copies)
    empty = [f for f in NEEDLE_FIELDS if not getattr(visit, f) and getattr(last, f)]
    if empty:
        Visit.objects.filter(pk=visit.pk).update(**{f: getattr(last, f) for f in empty})
    return copies


def _where(site: NeedlingSite) -> tuple:
    return tuple(getattr(site, f) for f in REPEATED_FIELDS)


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
    visit = _lock_draft(visit, by)
    same = visit.adverse_events.filter(**fields).first()
    if same is not None:
        return same
    _count_write(visit, version)
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
