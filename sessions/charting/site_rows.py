"""Views of the chart's needling-site rows: changing one, removing one, and repeating
the last needling visit's sites in one press. Physiotherapists only, like the rest of
the chart (``views``), and a draft's rows are its author's to change; every write is
audited, and a refused one answered as the chart's are (``refusals.refused``)."""

import re

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from clinic import audit, once
from clinic.access import require_roles
from clinic.roles import CLINICAL
from sessions.charting import page, services, sites
from sessions.charting.forms import SiteForm
from sessions.charting.models import DraftChanged, NeedlingSite
from sessions.charting.refusals import REFUSALS, draft_version, refused, visit_or_404


@require_roles(*CLINICAL)
@require_http_methods(["GET", "POST"])
def site_edit(request, pk: int):
    """A draft's site as a form filled with the row; saving it changes the row and
    returns to the chart's sites (audited with the names of the fields changed). Returns
    the form again with why: 200 when refused by a rule of the site or a hard stop, 409
    when the draft was written since the page was loaded. Raises Http404 for no such
    site; someone other than the author gets 403, a signed note the addenda
    (``refusals.refused``)."""
    site = NeedlingSite.objects.select_related("muscle").filter(pk=pk).first()
    if site is None:
        raise Http404("No such site")
    visit = visit_or_404(site.visit_id)
    site.visit = visit
    form = SiteForm(request.POST if request.method == "POST" else None, instance=site, visit=visit)
    status = 200
    try:
        services.visit_check_writable(visit=visit, by=request.user)
        if request.method == "POST" and form.is_valid():  # clean() holds the hard stops
            sites.site_edit(
                site=site, by=request.user, version=draft_version(request), **form.cleaned_data
            )
            changed = ", ".join(form.changed_data) or "nothing"
            audit.record(
                request,
                audit.Action.UPDATE,
                obj=site,
                patient=visit.patient,
                detail=f"changed: {changed}",
            )
            messages.success(request, f"Site changed: {site}.")
            return redirect(page.chart_url(visit, "sites"))
    except REFUSALS as exc:
        if not isinstance(exc, DraftChanged):
            return refused(request, visit, exc, "sites")
        # This page's own conflict: the form as typed, on the draft as it is now.
        form.add_error(None, exc)
        visit, status = visit_or_404(visit.pk), 409
    except ValidationError as exc:  # a hard stop, weighed again under the draft's lock
        form.add_error(None, exc)
        visit = visit_or_404(visit.pk)
    if request.method == "GET":
        audit.record(request, audit.Action.VIEW, obj=site, patient=visit.patient)
    return render(
        request,
        "sessions/site_edit.html",
        {"visit": visit, "site": site, "patient": visit.patient, "form": form},
        status=status,
    )


@require_roles(*CLINICAL)
@require_POST
def sites_repeat(request, pk: int):
    """Copy the last needling visit's sites into this draft (one press, sent once) and
    return to the chart's sites, saying what was copied and what was not and why
    (audited with the new rows' ids). A hard stop, or no visit to repeat, is the
    message there; a second press of the same form goes where the first did. Someone
    other than the author gets 403, a signed note the addenda (``refusals.refused``)."""
    visit = visit_or_404(pk)
    back = page.chart_url(visit, "sites")
    try:
        services.visit_check_writable(visit=visit, by=request.user)
        with once.claim(request) as claim:
            copies = sites.sites_repeat_last(
                visit=visit, by=request.user, version=draft_version(request)
            )
            claim.result_url = back
    except once.Replayed as replay:
        return replay.response(request, back)
    except REFUSALS as exc:
        return refused(request, visit, exc, "sites")
    except ValidationError as exc:  # the hard stops, or no visit to repeat
        messages.error(request, " ".join(exc.messages))
        return redirect(back)
    skipped = f" Not repeated: {'; '.join(copies.skipped)}." if copies.skipped else ""
    if not copies:
        if skipped:
            messages.warning(request, "No sites were repeated." + skipped)
        else:
            messages.info(request, "The last visit's sites are in this draft already.")
        return redirect(back)
    names = ", ".join(str(site) for site in copies)
    ids = " ".join(str(site.pk) for site in copies)
    audit.record(
        request, audit.Action.CREATE, obj=visit, detail=f"sites repeated: ids {ids}: {names}"
    )
    messages.success(
        request,
        f"Sites repeated from the last visit: {names}. Twitch is set to None and tolerance "
        "to Good on each; edit a row if today's differ." + skipped,
    )
    return redirect(back)


@require_roles(*CLINICAL)
@require_POST
def site_remove(request, pk: int):
    """Remove a draft's site and return to the chart's sites; a site removed already (a
    double click) says so there. Raises Http404 for no such site and no visit named;
    someone other than the author gets 403, a signed note the addenda, a stale page the
    message (``refusals.refused``)."""
    site = NeedlingSite.objects.select_related("visit").filter(pk=pk).first()
    if site is None:  # removed already (a double click): back to the chart it was on
        visit_pk = request.POST.get("visit", "")
        if not re.fullmatch(r"[0-9]{1,18}", visit_pk):
            raise Http404("No such site")
        messages.info(request, "That site was already removed.")
        return redirect(page.chart_url(visit_or_404(int(visit_pk)), "sites"))
    try:
        sites.site_remove(site=site, by=request.user, version=draft_version(request))
    except REFUSALS as exc:
        return refused(request, site.visit, exc, "sites")
    audit.record(request, audit.Action.UPDATE, obj=site.visit, detail=f"site removed: {site}")
    return redirect(page.chart_url(site.visit, "sites"))
