"""Progress reports: a physiotherapist signs, for a payer or a referring physician, the
course's scores, dates, visits, needling dose and MCID verdicts as they stand. The
signed content is frozen (``ProgressReport.content``, JSON) and every page of the
report (HTML, PDF) renders from it, never from today's rows: a later questionnaire
does not change a signed report; a new report says what changed.

``content`` shape: {"version": 1, "patient": {"name", "date_of_birth"}, "course":
{"id", "started_on", "closed_on", "planned"}, "author": str, "recipient": str,
"comment": str, "signed_at": ISO datetime, "visits": int, "measures": [Measure.as_dict],
"doses": [Dose.as_dict]}.
"""

import secrets
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from sessions.booking.models import Course
from sessions.outcomes.charts import describe, number
from sessions.outcomes.models import ProgressReport
from sessions.outcomes.selectors import Dose, Measure, course_trends


@dataclass(frozen=True)
class ReportView:
    """A signed report's content as values for its pages."""

    patient_name: str
    date_of_birth: date | None
    course_started_on: date | None
    course_closed_on: date | None
    planned: str
    author: str
    recipient: str
    comment: str
    signed_at: datetime
    visits: int
    measures: list[Measure]
    doses: list[Dose]


def report_sign(
    *,
    patient: Any,
    course: Course,
    author: Any,
    recipient: str,
    comment: str = "",
    now: datetime | None = None,
) -> ProgressReport:
    """Freeze ``course``'s trend into a new signed ProgressReport and return it. Raises
    ValidationError when the course is not the patient's, or the recipient is empty."""
    now = now or timezone.now()
    if course.patient_id != patient.pk:
        raise ValidationError({"course": "That course is not this patient's."})
    trend = course_trends(patient=patient, course=course)[0]
    content = {
        "version": 1,
        "patient": {
            "name": patient.legal_name,
            "date_of_birth": patient.date_of_birth.isoformat() if patient.date_of_birth else None,
        },
        "course": {
            "id": course.pk,
            "started_on": course.started_on.isoformat(),
            "closed_on": course.closed_on.isoformat() if course.closed_on else None,
            "planned": course.planned_label,
        },
        "author": author.get_full_name() or author.get_username(),
        "recipient": recipient.strip(),
        "comment": comment.strip(),
        "signed_at": now.isoformat(),
        "visits": trend.visit_count,
        "measures": [m.as_dict() for m in trend.measures],
        "doses": [d.as_dict() for d in trend.doses],
    }
    report = ProgressReport(
        patient=patient,
        course=course,
        author=author,
        recipient=recipient.strip(),
        comment=comment.strip(),
        content=content,
        signed_at=now,
        nonce=secrets.token_urlsafe(32),
    )
    with transaction.atomic():
        report.full_clean()
        report.save()
    return report


def report_view(report: ProgressReport) -> ReportView:
    """The frozen content of ``report`` as values (never today's rows)."""
    c = report.content
    course = c.get("course") or {}

    def day(value: str | None) -> date | None:
        return date.fromisoformat(value) if value else None

    return ReportView(
        patient_name=c["patient"]["name"],
        date_of_birth=day(c["patient"].get("date_of_birth")),
        course_started_on=day(course.get("started_on")),
        course_closed_on=day(course.get("closed_on")),
        planned=course.get("planned", ""),
        author=c["author"],
        recipient=c["recipient"],
        comment=c["comment"],
        signed_at=datetime.fromisoformat(c["signed_at"]),
        visits=c["visits"],
        measures=[Measure.from_dict(m) for m in c["measures"]],
        doses=[Dose.from_dict(d) for d in c["doses"]],
    )


def report_text(report: ProgressReport) -> str:
    """The frozen content of ``report`` as plain lines (the patient's record export):
    each measure's verdict and scores, then the needling by visit."""
    view = report_view(report)
    lines = [f"{view.visits} visit{'s' if view.visits != 1 else ''} charted."]
    for m in view.measures:
        lines.append(describe(m))
        lines += [
            f"  {p.day:%Y-%m-%d}{f' (visit {p.visit_number})' if p.visit_number else ''}: "
            f"{number(p.score)} {m.unit}"
            for p in m.points
        ]
    for d in view.doses:
        roots = ", ".join(d.roots) or "no spinal level"
        lines.append(
            f"Visit {d.visit_number} ({d.day:%Y-%m-%d}): {d.sites} sites, "
            f"{d.insertions} insertions, {roots}."
        )
    return "\n".join(lines)
