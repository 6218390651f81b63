"""Charting's reads: the patient's previous visit with its check-in answers, and the
NPRS chart of a timeline."""

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sessions.charting.models import Visit
from sessions.followups.models import CheckinAnswer, ScheduledMessage


def previous_visit(
    visit: Visit,
) -> tuple[Visit | None, list[tuple[Decimal | None, CheckinAnswer]]]:
    """The patient's last signed visit before this one (None if none), and the latest
    answer to each of its check-ins as (hours after, answer). Raises nothing."""
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
    latest: dict[int, CheckinAnswer] = {}
    answers = CheckinAnswer.objects.filter(
        message__visit=previous, message__kind=ScheduledMessage.Kind.CHECKIN
    ).select_related("message")
    for answer in answers.order_by("message__hours_after", "answered_at", "pk"):
        latest[answer.message_id] = answer  # the last one of each check-in stays
    return previous, [(a.message.hours_after, a) for a in latest.values()]


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
