"""Charting a whole visit over HTTP, as a physiotherapist does in the browser."""

from django.test import TestCase
from django.urls import reverse

from sessions.models import Appointment, Muscle, Visit

# Today's safety check: nothing new, consent given.
SAFETY = {"pregnancy": "no", "consent_today": "on"}
SITE = {
    "side": "left",
    "spinal_level": "",
    "depth_cm": "3",
    "insertions": "2",
    "twitch": "weak",
    "tolerance": "good",
}
# A note that can be signed: pain ratings, one needle out and back, clean technique.
NOTE = {
    "nprs_before": "6",
    "change_since_last": "first",
    "nprs_after": "3",
    "needle_product": "Seirin J",
    "needle_size": "0.30 × 50 mm",
    "needles_out": "1",
    "needles_back": "1",
    "single_use_sterile": "on",
    "skin_antisepsis": "on",
    "gloves": "on",
    "sharps_disposal": "on",
}
AFTERCARE = {"aftercare_text": "Rest tonight; heat if sore.", "home_exercises": ""}


def _shown(appointment: Appointment) -> dict:
    """The version field of the chart as loaded now (an unsaved draft's is 1)."""
    saved = Visit.objects.filter(appointment=appointment).values_list("version", flat=True)
    return {"version": str(saved.first() or 1)}


def shown(visit: Visit) -> dict:
    """The version field of ``visit``'s chart as loaded now."""
    return _shown(visit.appointment)


def _redirected(response, step: str) -> None:
    assert response.status_code == 302, f"{step}: {response.content.decode()[-2000:]}"


def visit_chart(
    client,
    appointment: Appointment,
    *,
    muscle: Muscle,
    safety: dict | None = None,
    site: dict | None = None,
    note: dict | None = None,
    autosave_first: bool = False,
    adverse_event: dict | None = None,
    sign: dict | None = AFTERCARE,
) -> Visit:
    """Chart ``appointment`` through the pages, each step asserted to succeed: open the
    chart, record the safety check (the first save starts the draft), acknowledge the
    precautions, add one needling site on ``muscle``, save the note (after an autosave of
    it when ``autosave_first``), record ``adverse_event`` if given, and sign with ``sign``
    (aftercare), running what signing queues after commit. ``sign=None`` leaves the
    note a draft. ``client`` is signed in as the treating physiotherapist; the visit
    must have started for the note to be signed. Returns the visit, read again."""
    chart_url = reverse("sessions:chart", args=[appointment.pk])
    assert client.get(chart_url).status_code == 200
    shown = lambda: _shown(appointment)  # noqa: E731  # each step as from a page loaded now
    _redirected(
        client.post(f"{chart_url}?part=safety", (safety or SAFETY) | shown()), "safety check"
    )
    visit = Visit.objects.get(appointment=appointment)
    _redirected(
        client.post(reverse("sessions:acknowledge", args=[visit.pk]), shown()), "acknowledge"
    )
    _redirected(
        client.post(
            reverse("sessions:site-add", args=[visit.pk]),
            {"muscle": muscle.pk, **(site or SITE), **shown()},
        ),
        "needling site",
    )
    note_url = reverse("sessions:note-save", args=[visit.pk])
    if autosave_first:
        saved = client.post(note_url, (note or NOTE) | shown(), HTTP_X_AUTOSAVE="1")
        assert saved.status_code == 200
    _redirected(client.post(note_url, (note or NOTE) | shown()), "note")
    if adverse_event is not None:
        _redirected(
            client.post(reverse("sessions:adverse-add", args=[visit.pk]), adverse_event | shown()),
            "adverse event",
        )
    if sign is not None:
        with TestCase.captureOnCommitCallbacks(execute=True):
            _redirected(
                client.post(reverse("sessions:sign", args=[visit.pk]), sign | shown()), "sign"
            )
    visit.refresh_from_db()
    return visit
