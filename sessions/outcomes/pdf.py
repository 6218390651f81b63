"""A signed progress report as PDF, from its frozen content (``reports.ReportView``),
laid out with the billing documents' helpers (DejaVu Sans embedded, Letter pages, a
footer with "Page k of n")."""

from typing import Any

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Spacer

from clinic.clock import clinic_localtime
from sessions.billing.pdf import (
    build_pdf,
    data_table,
    heading_block,
    paragraph,
    pdf_text,
    rich_paragraph,
    two_blocks,
)
from sessions.outcomes.charts import describe, number
from sessions.outcomes.reports import ReportView


def report_pdf(view: ReportView, *, clinic_name: str) -> bytes:
    """The report's PDF, the bytes of the file."""
    signed = clinic_localtime(view.signed_at)
    story: list[Flowable] = [
        heading_block("Progress report", [clinic_name, f"Signed {signed:%Y-%m-%d %H:%M}"]),
        two_blocks(
            rich_paragraph(
                f"<b>Patient</b><br/>{pdf_text(view.patient_name)}"
                + (
                    f"<br/>Date of birth {view.date_of_birth:%Y-%m-%d}"
                    if view.date_of_birth
                    else ""
                )
            ),
            rich_paragraph(
                f"<b>To</b><br/>{pdf_text(view.recipient)}<br/>From {pdf_text(view.author)}"
            ),
        ),
        Spacer(1, 4 * mm),
        paragraph(_course_line(view)),
        Spacer(1, 3 * mm),
    ]
    for m in view.measures:
        story.append(rich_paragraph(f"<b>{pdf_text(m.name)} ({pdf_text(m.abbreviation)})</b>"))
        story.append(paragraph(describe(m), "small"))
        rows: list[list[Any]] = [["Date", "Visit", f"Score ({m.unit})"]]
        for p in m.points:
            rows.append([f"{p.day:%Y-%m-%d}", str(p.visit_number or "—"), number(p.score)])
        story.append(data_table(rows, [40 * mm, 25 * mm, 35 * mm], numbers_from=1))
        story.append(Spacer(1, 4 * mm))
    if not view.measures:
        story.append(paragraph("No outcome measure was completed in this course."))
    if view.doses:
        story.append(rich_paragraph("<b>Needling by visit</b>"))
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
            data_table(rows, [15 * mm, 28 * mm, 18 * mm, 24 * mm, None], numbers_from=2, small=True)
        )
    if view.comment:
        story += [Spacer(1, 4 * mm), rich_paragraph("<b>Comment</b>"), paragraph(view.comment)]
    footer = f"{view.patient_name} · progress report signed by {view.author}"
    return build_pdf(story, footer, title=f"Progress report — {view.patient_name}")


def _course_line(view: ReportView) -> str:
    course = f"Course from {view.course_started_on:%Y-%m-%d}" if view.course_started_on else ""
    if view.course_closed_on:
        course += f" to {view.course_closed_on:%Y-%m-%d}"
    visits = f"{view.visits} visit{'s' if view.visits != 1 else ''}"
    return f"{course}; {visits} charted (planned {view.planned})."
