"""A signed progress report as PDF, from its frozen content (``reports.ReportView``),
laid out with the billing documents' helpers (DejaVu Sans embedded, Letter pages, a
footer with "Page k of n")."""

from typing import Any

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Spacer

from clinic.clock import clinic_localtime
from sessions.billing.pdf import _build, _heading, _para, _rich, _table, _two_blocks, _x
from sessions.outcomes.charts import describe, number
from sessions.outcomes.reports import ReportView


def report_pdf(view: ReportView, *, clinic_name: str) -> bytes:
    """The report's PDF, the bytes of the file."""
    signed = clinic_localtime(view.signed_at)
    story: list[Flowable] = [
        _heading("Progress report", [clinic_name, f"Signed {signed:%Y-%m-%d %H:%M}"]),
        _two_blocks(
            _rich(
                f"<b>Patient</b><br/>{_x(view.patient_name)}"
                + (
                    f"<br/>Date of birth {view.date_of_birth:%Y-%m-%d}"
                    if view.date_of_birth
                    else ""
                )
            ),
            _rich(f"<b>To</b><br/>{_x(view.recipient)}<br/>From {_x(view.author)}"),
        ),
        Spacer(1, 4 * mm),
        _para(_course_line(view)),
        Spacer(1, 3 * mm),
    ]
    for m in view.measures:
        story.append(_rich(f"<b>{_x(m.name)} ({_x(m.abbreviation)})</b>"))
        story.append(_para(describe(m), "small"))
        rows: list[list[Any]] = [["Date", "Visit", f"Score ({m.unit})"]]
        for p in m.points:
            rows.append([f"{p.day:%Y-%m-%d}", str(p.visit_number or "—"), number(p.score)])
        story.append(_table(rows, [40 * mm, 25 * mm, 35 * mm], numbers_from=1))
        story.append(Spacer(1, 4 * mm))
    if not view.measures:
        story.append(_para("No outcome measure was completed in this course."))
    if view.doses:
        story.append(_rich("<b>Needling by visit</b>"))
        rows = [["Visit", "Date", "Sites", "Insertions", "Levels treated"]]
        for d in view.doses:
            rows.append(
                [
                    str(d.visit_number),
                    f"{d.day:%Y-%m-%d}",
                    str(d.sites),
                    str(d.insertions),
                    ", ".join(d.roots) or "—",
                ]
            )
        story.append(
            _table(rows, [15 * mm, 28 * mm, 18 * mm, 24 * mm, None], numbers_from=2, small=True)
        )
    if view.comment:
        story += [Spacer(1, 4 * mm), _rich("<b>Comment</b>"), _para(view.comment)]
    footer = f"{view.patient_name} · progress report signed by {view.author}"
    return _build(story, footer, title=f"Progress report — {view.patient_name}")


def _course_line(view: ReportView) -> str:
    course = f"Course from {view.course_started_on:%Y-%m-%d}" if view.course_started_on else ""
    if view.course_closed_on:
        course += f" to {view.course_closed_on:%Y-%m-%d}"
    visits = f"{view.visits} visit{'s' if view.visits != 1 else ''}"
    return f"{course}; {visits} charted (planned {view.planned})."
