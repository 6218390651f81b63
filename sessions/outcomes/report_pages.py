"""Pages of outcome trends and progress reports: physiotherapists only (front desk and
the clinic admin never see scores); every page that shows scores is audited."""

from typing import cast

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from clinic import audit
from clinic.access import require_roles
from clinic.roles import CLINICAL
from intake.models import Patient
from sessions.booking.models import Course
from sessions.outcomes import charts, reports
from sessions.outcomes.models import ProgressReport
from sessions.outcomes.pdf import report_pdf
from sessions.outcomes.selectors import CourseTrend, Measure, course_trends


class ReportForm(forms.Form):
    course = forms.ModelChoiceField(queryset=Course.objects.none(), empty_label=None)
    recipient = forms.CharField(
        max_length=200,
        help_text="The payer or referring physician it is for, e.g. “Dr A. Moreau”.",
    )
    comment = forms.CharField(
        required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 4})
    )

    def __init__(self, *args, patient: Patient, **kwargs):
        super().__init__(*args, **kwargs)
        course = cast(forms.ModelChoiceField, self.fields["course"])
        course.queryset = Course.objects.filter(patient=patient)
        course.label_from_instance = lambda c: (
            f"From {c.started_on:%Y-%m-%d}"
            + (f" to {c.closed_on:%Y-%m-%d}" if c.closed_on else " (open)")
        )


def charted(trend: CourseTrend) -> list[dict]:
    """Each measure of ``trend`` with its SVG and table rows, for the templates."""
    by_visit = {d.visit_number: d for d in trend.doses}
    key = trend.course.pk if trend.course else "none"
    return [
        {
            "measure": m,
            "svg": charts.trend_svg(m, trend.doses, chart_id=f"trend-{key}-{m.code}"),
            "rows": [
                (p, by_visit.get(p.visit_number) if p.visit_number is not None else None)
                for p in m.points
            ],
        }
        for m in trend.measures
    ]


def chart_header_measures(request, patient: Patient, course: Course | None) -> list[Measure]:
    """The compact scores for the chart's header (latest, change per measure) of the
    visit's course; audited when there are scores to show."""
    if course is None:
        return []
    measures = course_trends(patient=patient, course=course, doses=False)[0].measures
    if measures:
        audit.record(request, audit.Action.VIEW, obj=patient, detail="outcome scores (chart)")
    return measures


def timeline_measures(request, patient: Patient) -> list[Measure]:
    """The compact scores of the patient's latest course for the timeline; audited when
    there are scores to show."""
    found = [t for t in course_trends(patient=patient, doses=False) if t.course is not None]
    measures = found[0].measures if found else []
    if measures:
        audit.record(request, audit.Action.VIEW, obj=patient, detail="outcome scores (timeline)")
    return measures


@require_roles(*CLINICAL)
def trends(request, patient_pk: int):
    """The patient's scores beside the needling dose, course by course (``?course=``)."""
    patient = get_object_or_404(Patient, pk=patient_pk)
    course = None
    if request.GET.get("course", "").isdigit():
        course = get_object_or_404(Course, pk=request.GET["course"], patient=patient)
    found = course_trends(patient=patient, course=course)
    audit.record(request, audit.Action.VIEW, obj=patient, detail="outcome trends")
    return render(
        request,
        "outcomes/trend_page.html",
        {
            "patient": patient,
            "trends": [{"trend": t, "charts": charted(t)} for t in found],
            "reports": ProgressReport.objects.filter(patient=patient).select_related("author"),
        },
    )


@require_roles(*CLINICAL)
@require_http_methods(["GET", "POST"])
def report_new(request, patient_pk: int):
    patient = get_object_or_404(Patient, pk=patient_pk)
    form = ReportForm(request.POST or None, patient=patient)
    if request.method == "POST" and form.is_valid():
        try:
            report = reports.report_sign(patient=patient, author=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            audit.record(request, audit.Action.CREATE, obj=report, detail="progress report signed")
            messages.success(request, "Progress report signed.")
            return redirect("sessions:progress-report", pk=report.pk)
    return render(request, "outcomes/report_form.html", {"patient": patient, "form": form})


@require_roles(*CLINICAL)
def report_page(request, pk: int):
    report = get_object_or_404(ProgressReport.objects.select_related("patient"), pk=pk)
    view = reports.report_view(report)
    audit.record(request, audit.Action.VIEW, obj=report, detail="progress report")
    trend = CourseTrend(course=report.course, measures=view.measures, doses=view.doses)
    return render(
        request,
        "outcomes/report_page.html",
        {"report": report, "view": view, "charts": charted(trend)},
    )


@require_roles(*CLINICAL)
def report_pdf_view(request, pk: int):
    report = get_object_or_404(ProgressReport.objects.select_related("patient"), pk=pk)
    body = report_pdf(reports.report_view(report), clinic_name=settings.CLINIC_NAME)
    audit.record(request, audit.Action.EXPORT, obj=report, detail="progress report PDF")
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="progress-report-{report.pk}.pdf"'
    return response
