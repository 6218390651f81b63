"""Payer cases' writes and the booking check against their authorisation: saving a case
(and billing the patient's open course to it), and why a visit under a case needs a
reason to be booked ("This would be visit 9 of 8 authorised by WCB claim 12345").

Keyword-only, atomic, raising ``ValidationError`` keyed by the case form's fields; the
screens audit what they call (``audit.record(request, ..., obj=case)``)."""

from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from clinic import clock
from intake.models import Patient
from sessions.billing.models import PayerCase
from sessions.billing.rules import Authorisation
from sessions.billing.selectors import case_authorisation
from sessions.booking.models import Appointment, Course


def _checks(case: PayerCase, today: date) -> dict[str, str]:
    errors = {}
    if case.injury_date and case.injury_date > today:
        errors["injury_date"] = "The injury date cannot be in the future."
    if case.closed_on and case.opened_on and case.closed_on < case.opened_on:
        errors["closed_on"] = "A case cannot close before it opens."
    return errors


@transaction.atomic
def payer_case_save(
    *, case: PayerCase, bill_course: bool | None = None, now: datetime | None = None
) -> PayerCase:
    """Save a new or changed case (its fields set by the form); with ``bill_course``,
    the patient's open course is billed to it from now on (its new bookings take it);
    ``False`` stops the open course billing to it; None leaves the course alone.
    Returns the case. Raises ValidationError keyed by the PayerCase field refused
    (``injury_date`` in the future, ``closed_on`` before ``opened_on``, both shares,
    dates out of order) or by ``bill_course`` when the patient has no open course."""
    today = clock.clinic_day(now or timezone.now())
    errors = _checks(case, today)
    try:
        case.full_clean()
    except ValidationError as exc:
        errors = {**exc.message_dict, **errors}  # type: ignore[dict-item]  # lists of sentences
    course = None
    if bill_course is not None:
        course = (
            Course.objects.select_for_update()
            .filter(patient_id=case.patient_id, closed_on__isnull=True)
            .first()
        )
        if course is None and bill_course:
            errors["bill_course"] = "The patient has no open course: book a visit first."
    if errors:
        raise ValidationError(errors)
    case.save()
    if course is not None and bill_course:
        course.payer_case = case
        course.save(update_fields=["payer_case"])
    elif course is not None and course.payer_case_id == case.pk:
        course.payer_case = None
        course.save(update_fields=["payer_case"])
    return case


def cases_of(*, patient: Patient) -> QuerySet[PayerCase]:
    """The patient's cases, open first then newest, each with ``visits_used``: its
    visits not cancelled or no-shows (one query)."""
    counted = ~Q(appointments__status__in=[Appointment.Status.CANCELLED, "no_show"])
    return (
        PayerCase.objects.filter(patient=patient)
        .annotate(visits_used=Count("appointments", filter=counted))
        .order_by("closed_on", "-opened_on", "-id")
    )


def cases_offered(*, patient: Patient, day: date, keep_id: int | None = None) -> QuerySet:
    """The cases a booking of the patient on ``day`` may bill to: those not closed by
    then, and the one chosen already (``keep_id``)."""
    open_ = PayerCase.objects.filter(patient=patient).exclude(closed_on__lt=day)
    if keep_id:
        open_ = open_ | PayerCase.objects.filter(patient=patient, pk=keep_id)
    return open_.order_by("-opened_on", "-id")


def payer_label(case: PayerCase) -> str:
    """The case as a refusal names it: "WCB-Alberta claim 12345"."""
    who = case.payer_name or case.get_kind_display()
    return f"{who} claim {case.claim_number}" if case.claim_number else who


def authorisation_refusal(
    case: PayerCase, status: Authorisation, day: date, total: int | None = None
) -> str:
    """Why a visit on ``day`` needs a reason to be booked under ``case``, naming the
    limit; empty when it is within the authorisation. ``total``: the case's counted
    visits with this one (an earlier slot pushes a later visit past the limit)."""
    reasons = []
    if status.exceeds:
        reasons.append(
            f"This would be visit {status.number} of {status.authorised} authorised by "
            f"{payer_label(case)}."
        )
    elif (
        total is not None and case.authorised_visits is not None and total > case.authorised_visits
    ):
        reasons.append(
            f"This would make {total} visits booked under {payer_label(case)}, "
            f"{case.authorised_visits} authorised."
        )
    if case.authorised_from and day < case.authorised_from:
        reasons.append(
            f"{day:%Y-%m-%d} is before {payer_label(case)} starts covering visits "
            f"({case.authorised_from:%Y-%m-%d})."
        )
    if case.authorised_until and day > case.authorised_until:
        reasons.append(
            f"{day:%Y-%m-%d} is after {payer_label(case)} stopped covering visits "
            f"({case.authorised_until:%Y-%m-%d})."
        )
    if case.closed_on and day > case.closed_on:
        reasons.append(f"{payer_label(case)} was closed on {case.closed_on:%Y-%m-%d}.")
    return " ".join(reasons)


def booking_authorisation_check(*, appointment: Appointment, override: str) -> str:
    """The override reason to store on a visit billed to a payer case: refuses, keyed by
    ``payer_case`` (another patient's case) or ``authorisation_override`` (beyond the
    authorisation and no reason given). Returns the reason when the authorisation is
    exceeded, else empty (nothing to override). The case row is locked until the
    caller's transaction ends, so two bookings cannot both take the last visit.
    Three queries."""
    case = appointment.payer_case
    if case is None:
        return ""
    if case.patient_id != appointment.patient_id:
        raise ValidationError({"payer_case": "This case is another patient's."})
    PayerCase.objects.select_for_update().filter(pk=case.pk).first()
    status = case_authorisation(case=case, start=appointment.start, exclude_id=appointment.pk)
    counted = Appointment.objects.filter(payer_case=case).exclude(
        status__in=[Appointment.Status.CANCELLED, Appointment.Status.NO_SHOW]
    )
    if appointment.pk is not None:
        counted = counted.exclude(pk=appointment.pk)
    total = counted.count() + 1
    refusal = authorisation_refusal(case, status, appointment.day, total)
    if not refusal:
        return ""
    if not override.strip():
        raise ValidationError(
            {
                "authorisation_override": ValidationError(
                    f"{refusal} Give a reason to book it anyway.", code="not_authorised"
                )
            }
        )
    return override.strip()
