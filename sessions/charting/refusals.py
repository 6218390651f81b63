"""The one answer to a refused chart write, shared by the chart's views (``views``) and
its site rows (``site_rows``): what a write refuses whatever its form says, and how
each refusal is answered, with the refused form kept as typed."""

import re

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect

from clinic import audit
from sessions.booking.models import visit_number
from sessions.charting import page
from sessions.charting.models import DraftChanged, NoteIsSigned, NotTheAuthor, Visit

# What a chart write refuses whatever the form says: someone other than the author
# (403), a note signed meanwhile (another tab, a double click on Sign), a draft written
# since the page was loaded. The services raise them; ``refused`` answers them.
REFUSALS = (NotTheAuthor, NoteIsSigned, DraftChanged)

# The version of a page that sent none, or garbage: never a draft's (they start at 1),
# so the services refuse it as written since (``DraftChanged``) rather than not check.
MISSING = 0


def chart_visits():
    """Visits with what the chart shows of them, numbered in their course."""
    # Only what the chart shows: each join adds to PostgreSQL's planning time, paid on
    # every request (the author is shown, not the booked practitioner).
    return Visit.objects.select_related(
        "appointment__patient",
        "appointment__location",
        "appointment__type",
        "appointment__course",
        "safety_check__recorded_by",
        "author",
        "acknowledged_by",
    ).annotate(visit_number=visit_number("appointment"))


def visit_or_404(pk: int) -> Visit:
    """The visit with what the chart shows of it, or 404."""
    return get_object_or_404(chart_visits(), pk=pk)


def draft_version(request: HttpRequest) -> int:
    """The draft version the sending page was shown; ``MISSING`` from a page that sent
    none (or garbage), which no draft has."""
    sent = request.POST.get("version", "")
    return int(sent) if re.fullmatch(r"[0-9]{1,9}", sent) else MISSING


def refused(
    request, visit: Visit, exc: NotTheAuthor | ValidationError, section: str = "top", **forms
) -> HttpResponse:
    """The one answer to a refused chart write, by kind, with the exception's own
    message: to someone other than the author, 403 (audited as a denial), and on a
    draft someone else started meanwhile the chart read-only with ``forms`` as typed;
    to a note signed meanwhile, 409 to autosave, else the message and the addenda; to a
    stale draft, 409 to autosave (with the version now), the chart again with ``forms``
    as typed, or the message and the chart's ``section``."""
    message = str(exc.message)
    autosave = request.headers.get("X-Autosave") == "1"
    if isinstance(exc, NotTheAuthor):
        audit.record_denied(request, message)
        if autosave:
            return JsonResponse({"error": message}, status=403)
        current = _now(visit)
        if forms and current.pk is not None and not current.is_signed:
            return page.render_refused(request, current, **forms)
        raise PermissionDenied(message)
    if isinstance(exc, DraftChanged):
        if autosave:
            return JsonResponse({"error": message, "version": exc.version}, status=409)
        if forms:
            return conflict(request, visit, exc, **forms)
        messages.error(request, message)
        return redirect(page.chart_url(visit, section))
    if autosave:
        return JsonResponse({"error": message}, status=409)
    messages.error(request, message)
    return redirect(page.chart_url(visit, "addenda"))


def _now(visit: Visit) -> Visit:
    """The visit as saved now (someone may have started it meanwhile), else ``visit``."""
    current = chart_visits().filter(appointment_id=visit.appointment_id).first()
    return current or visit


def conflict(request, visit: Visit, exc: ValidationError, **forms) -> HttpResponse:
    """The chart as it is now, with the refused form as it was typed and why (409), and
    beside it what was saved meanwhile where it differs from the typing, so that saving
    again is a choice made seeing the other write, never a silent overwrite of it."""
    for form in forms.values():
        form.add_error(None, exc)
    current = _now(visit)
    saved = page.saved_meanwhile(current, forms)
    return page.render_chart(request, current, status=409, saved_meanwhile=saved, **forms)
