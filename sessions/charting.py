"""Charting a visit: the day-of-visit safety check, the hard stops before needling,
signing, addenda and aftercare. Writes are service functions; views stay thin."""

import secrets
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any, NamedTuple

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from clinic import emails
from clinic.links import link_to, links_revoke, row_from_token
from clinic.roles import Role, has_role
from clinic.types import StaffUser
from intake import services as intake_services
from intake.models import HealthUpdate
from intake.screening import Reason, Status, Verdict
from sessions import followups
from sessions.models import (
    Addendum,
    AdverseEvent,
    AftercareDelivery,
    AftercareTemplate,
    Appointment,
    CheckinAnswer,
    NeedlingAuthorisation,
    NeedlingSite,
    NoteIsSigned,
    ScheduledMessage,
    Visit,
)

AFTERCARE_PURPOSE = "aftercare"


def visit_verdict(visit: Visit) -> Verdict:
    """The screening verdict for the visit's date, from everything known now."""
    verdict, _ = intake_services.patient_verdict(visit.patient, visit.day)
    return verdict


def authorisation_on(practitioner: StaffUser, day: date) -> NeedlingAuthorisation | None:
    """The practitioner's needling authorisation valid on ``day``, or None."""
    return NeedlingAuthorisation.objects.filter(practitioner=practitioner).valid_on(day).first()


class Problem(NamedTuple):
    """Something that stands in the way, and the id of the chart element that fixes it
    (the error summary links there)."""

    message: str
    anchor: str

    def __str__(self) -> str:
        return self.message


def needling_blockers(
    visit: Visit, verdict: Verdict | None = None, *, authorised: bool | None = None
) -> list[Problem]:
    """Why needling cannot be recorded on this visit now; empty when it can.

    The one place for the hard stops: site forms, the admin (model clean) and the
    services all ask here. ``verdict`` and ``authorised`` are looked up when not given.
    """
    reasons = []
    day = visit.day
    if visit.safety_check_id is None or not visit.consent_today:
        reasons.append(
            Problem(
                "Complete the day-of-visit safety check, with consent for today, first.", "safety"
            )
        )
    if authorised is None:
        authorised = authorisation_on(visit.author, day) is not None
    if not authorised:
        reasons.append(
            Problem(
                f"You hold no needling authorisation valid on {day.isoformat()}; "
                "the clinic admin records authorisations.",
                "screening",
            )
        )
    verdict = verdict or visit_verdict(visit)
    if verdict.status == Status.CONTRAINDICATED:
        titles = "; ".join(r.title for r in verdict.contraindications)
        reasons.append(
            Problem(f"Needling is contraindicated on {day.isoformat()}: {titles}.", "screening")
        )
    missing = unacknowledged(visit, verdict)
    if missing:
        titles = "; ".join(r.title for r in missing)
        reasons.append(Problem(f"Acknowledge the precautions first: {titles}.", "screening"))
    return reasons


def previous_visit(visit: Visit) -> tuple[Visit | None, list]:
    """The patient's last signed visit before this one, and the latest answer to each
    of its check-ins as (hours after, answer)."""
    previous = (
        Visit.objects.filter(
            appointment__patient=visit.patient,
            status=Visit.Status.SIGNED,
            appointment__start__lt=visit.appointment.start,
        )
        .select_related("appointment")
        .order_by("-appointment__start")
        .first()
    )
    if previous is None:
        return None, []
    latest = {}
    answers = CheckinAnswer.objects.filter(
        message__visit=previous, message__kind=ScheduledMessage.Kind.CHECKIN
    ).select_related("message")
    for answer in answers.order_by("message__hours_after", "answered_at", "pk"):
        latest[answer.message_id] = answer  # the last one of each check-in stays
    return previous, [(a.message.hours_after, a) for a in latest.values()]


def unacknowledged(visit: Visit, verdict: Verdict) -> list[Reason]:
    """The verdict's precautions the physiotherapist has not acknowledged on the visit."""
    done = set(visit.acknowledged_precautions or [])
    return [r for r in verdict.precautions if r.code not in done]


def _require_draft(visit: Visit) -> None:
    if visit.is_signed:
        raise NoteIsSigned()


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
def visit_open(*, appointment: Appointment, author: StaffUser) -> Visit:
    """The visit note of an appointment, started as a draft by the first save on it.
    Raises ValidationError as ``visit_for``."""
    return visit_start(visit=visit_for(appointment=appointment, author=author))


@transaction.atomic
def visit_start(*, visit: Visit) -> Visit:
    """Save an unsaved draft (with what has been put on it), or give the draft someone
    else started meanwhile; a saved visit is returned as it is."""
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
    now: datetime | None = None,
) -> HealthUpdate:
    """Record today's answers; they feed screening at once (intake.HealthUpdate, which
    is returned).

    Recording the check again replaces the visit's earlier answers (a correction or a
    repeated submission), so nothing it reported counts twice. Raises NoteIsSigned on a
    signed note, ValidationError keyed by the HealthUpdate field at fault."""
    visit = visit_start(visit=visit)
    _require_draft(visit)
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
    visit.save()
    return update


def visit_acknowledge(*, visit: Visit, by: StaffUser, now: datetime | None = None) -> list[str]:
    """The physiotherapist has weighed every current precaution; returns their codes.
    Raises NoteIsSigned on a signed note."""
    visit = visit_start(visit=visit)
    _require_draft(visit)
    codes = [r.code for r in visit_verdict(visit).precautions]
    visit.acknowledged_precautions = codes
    visit.acknowledged_by = by
    visit.acknowledged_at = now or timezone.now()
    visit.save(
        update_fields=[
            "acknowledged_precautions",
            "acknowledged_by",
            "acknowledged_at",
            "updated_at",
        ]
    )
    return codes


@transaction.atomic
def visit_note_save(*, visit: Visit, **fields: Any) -> Visit:
    """Keep the draft note's fields (the first save starts the draft); returns the visit.
    Raises NoteIsSigned on a signed note."""
    visit = visit_start(visit=visit)
    _require_draft(visit)
    for name, value in fields.items():
        setattr(visit, name, value)
    visit.save()
    return visit


def _lock_draft(visit: Visit) -> Visit:
    """The saved draft, its row locked: a repeated submission waits, then sees the first."""
    visit = visit_start(visit=visit)
    status = Visit.objects.select_for_update().values_list("status", flat=True).get(pk=visit.pk)
    if status == Visit.Status.SIGNED:
        raise NoteIsSigned()
    return visit


@transaction.atomic
def site_add(*, visit: Visit, **fields: Any) -> NeedlingSite:
    """Record a needled site and return it; the very same site sent twice (a double
    click) is kept once. Raises ValidationError keyed by the NeedlingSite field at fault
    (the hard stops of ``NeedlingSite.clean`` included), NoteIsSigned on a signed note."""
    site = NeedlingSite(visit=visit, **fields)
    site.full_clean(exclude=["visit"])  # includes the hard stops (NeedlingSite.clean)
    visit = _lock_draft(visit)
    same = visit.sites.filter(**fields).first()
    if same is not None:
        return same
    site.visit = visit
    site.save()
    return site


def site_remove(*, site: NeedlingSite) -> None:
    site.delete()  # refused by the model once the visit is signed


@transaction.atomic
def adverse_event_add(
    *, visit: Visit, kind: str, description: str, action_taken: str
) -> AdverseEvent:
    """Record an adverse event and return it; the very same event sent twice is kept
    once. Raises ValidationError keyed by the AdverseEvent field at fault, NoteIsSigned
    on a signed note."""
    fields = {"kind": kind, "description": description.strip(), "action_taken": action_taken}
    AdverseEvent(**fields).full_clean(exclude=["visit"])
    visit = _lock_draft(visit)
    same = visit.adverse_events.filter(**fields).first()
    if same is not None:
        return same
    event = AdverseEvent(visit=visit, **fields)
    event.full_clean()
    event.save()
    return event


def sign_problems(
    visit: Visit,
    sites: list[NeedlingSite],
    blockers: list[Problem] | None = None,
    *,
    now: datetime | None = None,
) -> list[Problem]:
    """What stands between this draft and a signature, each with where to fix it
    (``blockers``: the needling blockers, when the caller has them already)."""
    problems = []
    start = visit.appointment.start
    if (now or timezone.now()) < start:
        when = timezone.localtime(start).strftime("%Y-%m-%d %H:%M")
        problems.append(
            Problem(
                f"The visit has not started yet (it starts {when}); "
                "a note can be signed once the visit has started.",
                "sign",
            )
        )
    if visit.pain_today is None:
        problems.append(Problem("Record today's pain (0-10).", "id_pain_today"))
    if sites:
        problems += needling_blockers(visit) if blockers is None else blockers
        if not visit.needle_product or not visit.needle_size:
            problems.append(Problem("Record the needle product and size.", "id_needle_product"))
        if not visit.clean_technique_complete:
            problems.append(
                Problem(
                    "Tick every item of the clean-technique checklist.", "id_single_use_sterile"
                )
            )
        if visit.needles_out is None or visit.needles_back is None:
            problems.append(
                Problem(
                    "Record how many needles were taken out and counted back.", "id_needles_out"
                )
            )
        elif not visit.needle_count_matches:
            problems.append(
                Problem(
                    f"Needle count mismatch: {visit.needles_out} taken out, "
                    f"{visit.needles_back} counted back. "
                    "Find every needle before signing.",
                    "id_needles_back",
                )
            )
    return problems


@transaction.atomic
def visit_sign(
    *,
    visit: Visit,
    by: StaffUser,
    aftercare_template: AftercareTemplate | None,
    aftercare_text: str,
    home_exercises: str,
    now: datetime | None = None,
) -> Visit:
    """Lock the note and send the aftercare (after commit); returns the signed visit.
    Raises ValidationError keyed by no field (a list of what stands in the way, or
    someone other than the author signing), NoteIsSigned when it is signed already."""
    now = now or timezone.now()
    if visit.pk is None:  # nothing saved yet: at least today's pain is missing
        raise ValidationError([str(p) for p in sign_problems(visit, [], now=now)])
    visit = (
        Visit.objects.select_for_update().select_related("appointment__patient").get(pk=visit.pk)
    )
    _require_draft(visit)
    if visit.author_id != by.pk:
        raise ValidationError("Only the author of the note can sign it.")
    problems = sign_problems(visit, list(visit.sites.all()), now=now)
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
    aftercare_send(visit=visit, now=now)
    if visit.sites.exists():
        followups.checkins_schedule(visit=visit)
    return visit


def aftercare_send(*, visit: Visit, now: datetime | None = None) -> AftercareDelivery:
    """Record the aftercare delivery and email the link once the transaction commits."""
    patient = visit.patient
    delivery = AftercareDelivery.objects.create(
        visit=visit, email=patient.email, nonce=secrets.token_urlsafe(24)
    )
    if not patient.email:
        delivery.skipped_reason = "No email address on file; give the printed page."
        delivery.save(update_fields=["skipped_reason"])
        return delivery
    link = aftercare_link(delivery)

    def send() -> None:
        emails.aftercare(
            to=patient.email,
            first_name=patient.greeting_name,
            link=link,
        )
        AftercareDelivery.objects.filter(pk=delivery.pk).update(sent_at=timezone.now())

    transaction.on_commit(send)
    return delivery


def aftercare_link(delivery: AftercareDelivery) -> str:
    """The full address of the delivery's aftercare page."""
    return link_to(AFTERCARE_PURPOSE, delivery, "sessions:aftercare")


def delivery_from_token(token: str, now: datetime | None = None) -> AftercareDelivery | None:
    """The aftercare a link opens: genuine, not revoked, within AFTERCARE_LINK_DAYS."""
    now = now or timezone.now()
    deliveries = AftercareDelivery.objects.select_related(
        "visit__appointment__patient", "visit__author"
    ).filter(created_at__gte=now - timedelta(days=settings.AFTERCARE_LINK_DAYS))
    return row_from_token(AFTERCARE_PURPOSE, token, deliveries)


def visit_links_revoke(*, visit: Visit) -> int:
    """Stop the links a visit gave the patient (aftercare page, check-ins sent so far):
    for a wrong address, say. The printed page and later check-ins are unaffected."""
    checkins = ScheduledMessage.objects.filter(visit=visit, kind=ScheduledMessage.Kind.CHECKIN)
    return links_revoke(visit.aftercare_deliveries.all()) + links_revoke(
        checkins.exclude(sent_at=None)
    )


@transaction.atomic
def addendum_add(*, visit: Visit, author: StaffUser, reason: str, text: str) -> Addendum:
    """Add a correction to a signed note and return it; the very same addendum sent twice
    is kept once. Raises ValidationError keyed by no field on a draft or for someone other
    than the author, keyed by the Addendum field ``full_clean`` refuses."""
    if not visit.is_signed:
        raise ValidationError("Change the draft directly; addenda are for signed notes.")
    if visit.author_id != author.pk:
        raise ValidationError("Only the author of the note can add an addendum.")
    fields = {"author": author, "reason": reason.strip(), "text": text.strip()}
    list(Visit.objects.select_for_update().filter(pk=visit.pk).values("pk"))
    same = visit.addenda.filter(**fields).first()
    if same is not None:
        return same
    addendum = Addendum(visit=visit, **fields)
    addendum.full_clean()
    addendum.save()
    return addendum


def pain_chart(visits: Sequence[Visit], width: int = 640, height: int = 220) -> dict[str, Any]:
    """Coordinates for a server-drawn SVG of pain before and after each visit (0-10).

    Numbers are given as strings: SVG wants them unlocalised, and the template then
    prints them as they are instead of formatting each one."""
    pad = 32
    n = len(visits)
    step = (width - 2 * pad) / max(n - 1, 1)

    def y(value: int) -> float:
        return round(pad + (10 - value) * (height - 2 * pad) / 10, 1)

    series = []
    for field, name, css in (
        ("pain_today", "Pain before", "before"),
        ("pain_after", "Pain after", "after"),
    ):
        dots = [
            (
                str(round(pad + i * step, 1)),
                str(y(getattr(v, field))),
                str(getattr(v, field)),
                v.day.isoformat(),
            )
            for i, v in enumerate(visits)
            if getattr(v, field) is not None
        ]
        series.append(
            {
                "name": name,
                "css": css,
                "dots": dots,
                "points": " ".join(f"{x},{yy}" for x, yy, *_ in dots),
            }
        )
    grid = [{"value": str(v), "y": str(y(v))} for v in (0, 5, 10)]
    labels = [(str(round(pad + i * step, 1)), str(i + 1)) for i in range(n)]
    return {
        "width": str(width),
        "height": str(height),
        "series": series,
        "grid": grid,
        "labels": labels,
        "pad": str(pad),
    }
