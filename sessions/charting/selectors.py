"""Charting's reads: the patient's previous visit with its check-in answers, the last
visit with needling (to repeat its sites), muscles matching a search, what stands
between a draft and its signature, and the NPRS chart of a timeline."""

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet, Subquery
from django.utils import timezone

from clinic.clock import clinic_localtime
from sessions.charting import muscle_search
from sessions.charting.catalogue import Muscle
from sessions.charting.hard_stops import Problem
from sessions.charting.models import CLEAN_TECHNIQUE, NeedlingSite, Visit
from sessions.followups.models import CheckinAnswer, ScheduledMessage


def previous_visit(
    visit: Visit,
) -> tuple[Visit | None, list[tuple[Decimal | None, CheckinAnswer]], Visit | None]:
    """The patient's last signed visit before this one (None if none), the latest answer
    to each of its check-ins as (hours after, answer), and the last signed visit before
    this one with needling (``last_needling_visit``, found in the same query). Raises
    nothing."""
    if visit.appointment_id is None:
        return None, [], None
    before = _signed_before(visit)
    rows = list(
        Visit.objects.filter(
            Q(pk=Subquery(before.values("pk")[:1]))
            | Q(pk=Subquery(before.filter(sites__isnull=False).values("pk")[:1]))
        )
        .annotate(site_count=Count("sites"))
        .select_related("appointment")
        .order_by("-appointment__start")
    )
    if not rows:
        return None, [], None
    previous = rows[0]
    needling = next((row for row in rows if row.site_count), None)
    latest: dict[int, CheckinAnswer] = {}
    answers = CheckinAnswer.objects.filter(
        message__visit=previous, message__kind=ScheduledMessage.Kind.CHECKIN
    ).select_related("message")
    for answer in answers.order_by("message__hours_after", "answered_at", "pk"):
        latest[answer.message_id] = answer  # the last one of each check-in stays
    return previous, [(a.message.hours_after, a) for a in latest.values()], needling


def _signed_before(visit: Visit) -> QuerySet[Visit]:
    return Visit.objects.filter(
        appointment__patient_id=visit.appointment.patient_id,
        status=Visit.Status.SIGNED,
        appointment__start__lt=visit.appointment.start,
    ).order_by("-appointment__start")


def last_needling_visit(visit: Visit) -> Visit | None:
    """The patient's last signed visit before this one that has needling sites, with
    ``site_count`` annotated; None if there is none. Raises nothing."""
    if visit.appointment_id is None:
        return None
    return (
        _signed_before(visit)
        .annotate(site_count=Count("sites"))
        .filter(site_count__gt=0)
        .select_related("appointment")
        .first()
    )


def muscles_matching(query: str, region: str = "") -> QuerySet[Muscle]:
    """The active muscles that answer ``query`` (``muscle_search.matches``: words of the
    name, abbreviation or region, case and accents ignored; a spinal segment or range
    such as "L5" or "L4-L5" matches the muscles it supplies), in catalogue order; every
    active muscle for an empty query. ``region`` (a ``Muscle.Region`` value, the body
    map's) keeps that region's alone. Raises nothing."""
    active = Muscle.objects.filter(is_active=True)
    if region:
        active = active.filter(region=region)
    if not (query or "").strip():
        return active.order_by("region", "name")
    # The catalogue is a hundred rows: matched here, so the rule is one function that
    # the page's script mirrors, on any database.
    found = [
        muscle.pk
        for muscle in active
        if muscle_search.matches(
            query, words=muscle.search_words(), segments=muscle.root_segments()
        )
    ]
    return active.filter(pk__in=found).order_by("region", "name")


def sign_problems(
    visit: Visit,
    sites: list[NeedlingSite],
    blockers: list[Problem] | None = None,
    *,
    now: datetime | None = None,
) -> list[Problem]:
    """What stands between this draft and a signature, each with where to fix it
    (``blockers``: the needling blockers, when the caller has them already); empty when
    it can be signed. Raises nothing."""
    problems: list[Problem] = []
    start = visit.appointment.start
    if (now or timezone.now()) < start:
        when = clinic_localtime(start).strftime("%Y-%m-%d %H:%M")
        problems.append(
            Problem(
                f"The visit has not started yet (it starts {when}); "
                "a note can be signed once the visit has started.",
                "sign",
            )
        )
    if visit.nprs_before is None:
        problems.append(Problem("Record the NPRS before needling (0-10).", "id_nprs_before"))
    # Needles taken out mean needling happened, with or without a site charted: the
    # count, the clean technique and the hard stops then hold all the same.
    needles_used = bool(visit.needles_out) or bool(visit.needles_back)
    if needles_used and not sites:
        problems.append(
            Problem(
                "Needles were taken out but no needling site is recorded: add the sites "
                "needled, or record 0 needles.",
                "sites",
            )
        )
    if sites or needles_used:
        problems += visit.needling_blockers() if blockers is None else blockers
        if not visit.needle_product or not visit.needle_size:
            field = "needle_size" if visit.needle_product else "needle_product"
            problems.append(Problem("Record the needle product and size.", f"id_{field}"))
        if not visit.clean_technique_complete:
            field = next(f for f in CLEAN_TECHNIQUE if not getattr(visit, f))
            problems.append(
                Problem("Tick every item of the clean-technique checklist.", f"id_{field}")
            )
        if visit.needles_out is None or visit.needles_back is None:
            field = "needles_back" if visit.needles_out is not None else "needles_out"
            problems.append(
                Problem("Record how many needles were taken out and counted back.", f"id_{field}")
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


def nprs_chart(visits: Sequence[Visit], width: int = 640, height: int = 220) -> dict[str, Any]:
    """Coordinates for a server-drawn SVG of the NPRS (0-10) before and after needling at
    each visit, in SVG user units of a ``width`` by ``height`` box. Raises nothing.

    Numbers are given as strings: SVG wants them unlocalised, and the template then
    prints them as they are instead of formatting each one. Each series is named by its
    ``field`` (``nprs_before``, ``nprs_after``); the template picks its look."""
    pad = 32
    n = len(visits)
    step = (width - 2 * pad) / max(n - 1, 1)

    def y(value: int) -> float:
        return round(pad + (10 - value) * (height - 2 * pad) / 10, 1)

    series: list[dict[str, Any]] = []
    for field, name in (
        ("nprs_before", "NPRS before needling"),
        ("nprs_after", "NPRS after needling"),
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
                "field": field,
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
