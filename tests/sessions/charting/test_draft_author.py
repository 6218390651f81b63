"""A draft note is written by its author alone: another physiotherapist may read it, and
every write they send is refused (403), changes nothing and is audited as a denial. A
note signed between a page's load and a write gets the signed-note refusal from every
write, never an error page or the form again."""

import pytest
from django.urls import reverse

from clinic.models import AuditEvent
from clinic.roles import Role
from intake.models import HealthUpdate
from sessions.charting import services as charting
from sessions.charting import site_rows, sites
from sessions.charting import views as chart_views
from sessions.charting.models import NotTheAuthor
from sessions.charting.page import editable_by, read_only_reason
from sessions.models import AdverseEvent, NeedlingSite, NoteIsSigned, Visit
from tests.factories import UserFactory
from tests.sessions.charting.conftest import SAFETY, SITE, make_signable, sign

SIGNED = NoteIsSigned.MESSAGE
AFTERCARE = {"aftercare_text": "Soreness for a day or two is normal."}


@pytest.fixture
def site(ready, gluteus):
    return sites.site_add(visit=ready, by=ready.author, muscle=gluteus, **SITE)


@pytest.fixture
def colleague(db):
    """Another physiotherapist, with no authorisation to needle."""
    return UserFactory(username="physio2", first_name="Sam", last_name="Lee", role=Role.PHYSIO)


def writes(ready, site, gluteus) -> dict[str, tuple[str, dict, dict]]:
    """Each write on a draft: (URL, POST data, extra headers)."""
    by_visit = lambda name: reverse(name, args=[ready.pk])  # noqa: E731
    site_fields = {"muscle": gluteus.pk, **SITE, "depth_cm": "5.0"}
    chart = reverse("sessions:chart", args=[ready.appointment_id])
    return {
        "safety-check": (by_visit("sessions:safety-check"), SAFETY, {}),
        "acknowledge": (by_visit("sessions:acknowledge"), {}, {}),
        "note-save": (by_visit("sessions:note-save"), {"plan": "Changed"}, {}),
        "autosave": (by_visit("sessions:note-save"), {"plan": "Changed"}, {"HTTP_X_AUTOSAVE": "1"}),
        "chart-part": (f"{chart}?part=note", {"plan": "Changed"}, {}),
        "site-add": (by_visit("sessions:site-add"), site_fields, {}),
        "site-edit": (reverse("sessions:site-edit", args=[site.pk]), site_fields, {}),
        "site-remove": (reverse("sessions:site-remove", args=[site.pk]), {}, {}),
        "sites-repeat": (by_visit("sessions:sites-repeat"), {}, {}),
        "adverse-add": (
            by_visit("sessions:adverse-add"),
            {"kind": "bruising", "description": "Small bruise", "action_taken": "Ice"},
            {},
        ),
        "sign": (by_visit("sessions:sign"), AFTERCARE, {}),
        "use-template": (by_visit("sessions:sign"), {"use_template": "1", **AFTERCARE}, {}),
    }


WRITES = [
    "safety-check",
    "acknowledge",
    "note-save",
    "autosave",
    "chart-part",
    "site-add",
    "site-edit",
    "site-remove",
    "sites-repeat",
    "adverse-add",
    "sign",
    "use-template",
]


def snapshot(visit: Visit) -> tuple:
    """What any write would change: the visit's row, its sites and events, checks."""
    row = Visit.objects.filter(pk=visit.pk).values().get()
    sites = list(NeedlingSite.objects.filter(visit=visit).order_by("pk").values())
    events = list(AdverseEvent.objects.filter(visit=visit).values())
    return row, sites, events, HealthUpdate.objects.count()


@pytest.mark.parametrize("write", WRITES)
def test_another_physio_may_not_write_to_a_draft(
    write, ready, site, gluteus, colleague, client_for
):
    url, data, headers = writes(ready, site, gluteus)[write]
    before = snapshot(ready)
    response = client_for(colleague).post(url, data, **headers)
    assert response.status_code == 403, write
    assert snapshot(ready) == before, write
    denial = AuditEvent.objects.filter(action="denied", user=colleague).latest("id")
    assert denial.patient_id == ready.patient.pk
    assert "Only the author" in denial.detail


def test_the_pen_test_case_another_physio_adds_no_site(ready, gluteus, colleague, client_for):
    """physio2, with no authorisation to needle, posting a site to Priya's draft."""
    client = client_for(colleague)
    assert client.get(reverse("sessions:chart", args=[ready.appointment_id])).status_code == 200
    response = client.post(
        reverse("sessions:site-add", args=[ready.pk]), {"muscle": gluteus.pk, **SITE}
    )
    assert response.status_code == 403
    assert not NeedlingSite.objects.filter(visit=ready).exists()


def test_an_autosave_by_another_physio_is_a_403_in_json(
    ready, site, gluteus, colleague, client_for
):
    url, data, headers = writes(ready, site, gluteus)["autosave"]
    response = client_for(colleague).post(url, data, **headers)
    assert response.json() == {"error": "Only the author of the note can change it."}


@pytest.mark.parametrize("write", WRITES)
def test_the_author_still_writes(write, ready, site, gluteus, physio, client_for):
    url, data, headers = writes(ready, site, gluteus)[write]
    shown = Visit.objects.values_list("version", flat=True).get(pk=ready.pk)
    response = client_for(physio).post(url, {**data, "version": shown}, **headers)
    assert response.status_code in (200, 302), write


def test_another_physio_may_not_add_an_addendum(ready, site, physio, colleague, client_for):
    make_signable(ready)
    sign(ready, physio)
    response = client_for(colleague).post(
        reverse("sessions:addendum-add", args=[ready.pk]), {"reason": "Side", "text": "Left"}
    )
    assert response.status_code == 403
    assert not ready.addenda.exists()
    assert AuditEvent.objects.filter(action="denied", user=colleague).exists()


def test_another_physio_gets_no_site_edit_page(ready, site, colleague, client_for):
    response = client_for(colleague).get(reverse("sessions:site-edit", args=[site.pk]))
    assert response.status_code == 403


def test_any_physio_may_stop_a_signed_visits_links(ready, site, physio, colleague, client_for):
    """It changes no record, and a wrong address cannot wait for the author."""
    make_signable(ready)
    sign(ready, physio)
    response = client_for(colleague).post(reverse("sessions:links-revoke", args=[ready.pk]))
    assert response.status_code == 302


def test_a_service_refuses_someone_other_than_the_author(ready, colleague):
    with pytest.raises(NotTheAuthor):
        charting.visit_note_save(visit=ready, by=colleague, plan="Changed")
    ready.refresh_from_db()
    assert ready.plan != "Changed"


class TestEditable:
    def test_the_author_edits_their_draft(self, ready, physio):
        assert editable_by(ready, physio) and read_only_reason(ready, physio) == ""

    def test_another_physio_reads_it_and_is_told_whose_it_is(self, ready, colleague, physio):
        assert not editable_by(ready, colleague)
        name = physio.get_full_name() or physio.get_username()
        assert read_only_reason(ready, colleague) == f"Draft by {name}; only they can change it."

    def test_an_unsaved_draft_is_the_viewers_own(self, ready, colleague):
        assert editable_by(Visit(appointment=ready.appointment, author=colleague), colleague)

    def test_no_one_edits_a_signed_note(self, ready, site, physio):
        make_signable(ready)
        sign(ready, physio)
        ready.refresh_from_db()
        assert not editable_by(ready, physio) and read_only_reason(ready, physio) == ""

    def test_the_chart_page_says_so(self, ready, colleague, client_for):
        response = client_for(colleague).get(reverse("sessions:chart", args=[ready.appointment_id]))
        assert response.context["editable"] is False
        assert "only they can change it" in response.context["read_only_reason"]


@pytest.mark.parametrize("write", [w for w in WRITES if w != "use-template"])  # no write
def test_a_note_signed_after_the_page_loaded_refuses_every_write(
    write, ready, site, gluteus, physio, client_for, monkeypatch
):
    """Signed in another tab between the page's load and the write (the view holds the
    unsigned copy it loaded): the signed-note refusal, not a 500 or the form again."""
    stale = Visit.objects.get(pk=ready.pk)
    url, data, headers = writes(ready, site, gluteus)[write]
    make_signable(ready)
    sign(ready, physio)
    monkeypatch.setattr(chart_views, "visit_or_404", lambda pk: stale)
    monkeypatch.setattr(site_rows, "visit_or_404", lambda pk: stale)
    before = snapshot(ready)
    response = client_for(physio).post(url, data, **headers)
    if headers:
        assert (response.status_code, response.json()) == (409, {"error": SIGNED})
    else:
        assert response.status_code == 302, write
        assert response["Location"].endswith("#addenda"), write
        shown = client_for(physio).get(response["Location"])
        assert SIGNED in [str(m) for m in shown.context["messages"]], write
    assert snapshot(ready) == before, write
