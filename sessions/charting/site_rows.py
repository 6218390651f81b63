"""Views of the chart's needling-site rows: changing one, removing one, and repeating
the last needling visit's sites in one press. Physiotherapists only, like the rest of
the chart (``views``); every write is audited."""

import re

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from clinic import audit, once
from clinic.access import require_roles
from clinic.roles import Role
from sessions.charting import page, services
from sessions.charting.forms import SiteForm
from sessions.charting.models import DraftChanged, NeedlingSite, NoteIsSigned
from sessions.charting.views import draft_version, refuse_if_signed, visit_or_404


@require_roles(Role.PHYSIO)
@require_http_methods(["GET", "POST"])
def site_edit(request, pk: int):
    """A draft's site as a form filled with the row; saving it changes the row."""
    site = NeedlingSite.objects.select_related("muscle").filter(pk=pk).first()
    if site is None:
        raise Http404("No such site")
    visit = visit_or_404(site.visit_id)
    site.visit = visit
    if refusal := refuse_if_signed(request, visit):
        return refusal
    status = 200
    if request.method == "POST":
        form = SiteForm(request.POST, instance=site, visit=visit)
        if form.is_valid():  # the model's clean() holds the hard stops
            try:
                services.site_edit(site=site, version=draft_version(request), **form.cleaned_data)
            except DraftChanged as exc:
                form.add_error(None, exc)
                visit = visit_or_404(visit.pk)  # the version the page now carries
                status = 409
            except NoteIsSigned:
                messages.error(request, NoteIsSigned.MESSAGE)
                return redirect(page.chart_url(visit, "addenda"))
            else:
                audit.record(request, audit.Action.UPDATE, obj=site, patient=visit.patient)
                messages.success(request, f"Site changed: {site}.")
                return redirect(page.chart_url(visit, "sites"))
    else:
        form = SiteForm(instance=site, visit=visit)
        audit.record(request, audit.Action.VIEW, obj=site, patient=visit.patient)
    return render(
        request,
        "sessions/site_edit.html",
        {"visit": visit, "site": site, "patient": visit.patient, "form": form},
        status=status,
    )


@require_roles(Role.PHYSIO)
@require_POST
def sites_repeat(request, pk: int):
    """Copy the last needling visit's sites into this draft (one press, sent once)."""
    visit = visit_or_404(pk)
    back = page.chart_url(visit, "sites")
    if refusal := refuse_if_signed(request, visit):
        return refusal
    try:
        with once.claim(request) as claim:
            copies = services.sites_repeat_last(visit=visit, version=draft_version(request))
            claim.result_url = back
    except once.Replayed as replay:
        return replay.response(request, back)
    except NoteIsSigned:
        messages.error(request, NoteIsSigned.MESSAGE)
        return redirect(page.chart_url(visit, "addenda"))
    except ValidationError as exc:  # the hard stops, no visit to repeat, or DraftChanged
        messages.error(request, " ".join(exc.messages))
        return redirect(back)
    if not copies:
        messages.info(request, "The last visit's sites are in this draft already.")
        return redirect(back)
    names = ", ".join(str(site) for site in copies)
    audit.record(request, audit.Action.CREATE, obj=visit, detail=f"sites repeated: {names}")
    messages.success(
        request,
        f"Sites repeated from the last visit: {names}. Twitch is set to None and tolerance "
        "to Good on each; edit a row if today's differ.",
    )
    return redirect(back)


@require_roles(Role.PHYSIO)
@require_POST
def site_remove(request, pk: int):
    site = NeedlingSite.objects.select_related("visit").filter(pk=pk).first()
    if site is None:  # removed already (a double click): back to the chart it was on
        visit_pk = request.POST.get("visit", "")
        if not re.fullmatch(r"[0-9]{1,18}", visit_pk):
            raise Http404("No such site")
        messages.info(request, "That site was already removed.")
        return redirect(page.chart_url(visit_or_404(int(visit_pk)), "sites"))
    if refusal := refuse_if_signed(request, site.visit):
        return refusal
    try:
        services.site_remove(site=site, version=draft_version(request))
    except DraftChanged as exc:
        messages.error(request, exc.message)
        return redirect(page.chart_url(site.visit, "sites"))
    audit.record(request, audit.Action.UPDATE, obj=site.visit, detail=f"site removed: {site}")
    return redirect(page.chart_url(site.visit, "sites"))
