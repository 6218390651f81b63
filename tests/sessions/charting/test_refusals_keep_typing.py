"""A refused chart write never loses what was typed: a stale Sign shows the aftercare
again (409), a draft someone else started meanwhile shows the typing read-only (403);
Sign is sent once; the hard stops are weighed under the draft's lock, on what is saved."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from clinic.models import AuditEvent
from clinic.roles import Role
from sessions.charting import services as charting
from sessions.charting import sites
from sessions.models import Muscle, NeedlingSite, Visit
from tests.factories import AppointmentFactory, UserFactory
from tests.sessions.charting.conftest import SITE, make_signable, shown, sign
from tests.sessions.charting.test_carry_forward import last_visit  # noqa: F401
from tests.sessions.conftest import local

CONFLICT = "This draft was changed in another tab or by someone else"
AFTERCARE = "Ice twice a day; typed at length for this patient."


@pytest.fixture
def colleague(db):
    return UserFactory(username="physio2", first_name="Sam", last_name="Lee", role=Role.PHYSIO)


def sign_url(visit) -> str:
    return reverse("sessions:sign", args=[visit.pk])


class TestStaleSign:
    def test_keeps_the_aftercare_as_typed(self, client_for, physio, ready):
        make_signable(ready, sites=0)
        stale = shown(ready)
        charting.visit_note_save(visit=ready, by=physio, plan="From the other tab")
        response = client_for(physio).post(
            sign_url(ready),
            {"aftercare_text": AFTERCARE, "home_exercises": "Walk daily", **stale},
        )
        page = response.content.decode()
        assert response.status_code == 409 and CONFLICT in page
        assert AFTERCARE in page and "Walk daily</textarea>" in page
        assert not Visit.objects.get(pk=ready.pk).is_signed

    def test_on_a_note_signed_meanwhile_goes_to_the_addenda(self, client_for, physio, ready):
        make_signable(ready, sites=0)
        data = {"aftercare_text": AFTERCARE, **shown(ready)}
        sign(ready, physio)
        response = client_for(physio).post(sign_url(ready), data)
        assert response.status_code == 302 and response.url.endswith("#addenda")


class TestSignSentOnce:
    def test_the_second_press_goes_where_the_first_did(self, client_for, physio, ready):
        make_signable(ready, sites=0)
        client = client_for(physio)
        data = {"aftercare_text": AFTERCARE, "form_token": "s" * 32, **shown(ready)}
        first = client.post(sign_url(ready), data)
        second = client.post(sign_url(ready), data, follow=True)
        assert first.status_code == 302
        chart = reverse("sessions:chart", args=[ready.appointment_id])
        assert second.redirect_chain[-1][0] == f"{chart}#top"
        page = second.content.decode()
        assert "already sent and saved" in page and "This note is signed" not in page
        assert AuditEvent.objects.filter(action="sign").count() == 1

    def test_the_form_sign_sends_carries_a_token(self, client_for, physio, ready):
        page = client_for(physio).get(reverse("sessions:chart", args=[ready.appointment_id]))
        form = page.content.decode().split('id="note-form"')[1].split("</form>")[0]
        assert 'name="form_token"' in form


class TestStartedMeanwhile:
    """Two physiotherapists on the same unsaved chart: the second to save is told whose
    draft it is, and sees what they typed."""

    @pytest.fixture
    def appointment(self, physio, patient, location, treatment):
        return AppointmentFactory(
            patient=patient,
            practitioner=physio,
            location=location,
            type=treatment,
            start=local(2026, 11, 20, 9, 30),
        )

    def test_the_second_sees_the_typing_read_only(self, client_for, physio, colleague, appointment):
        first = charting.visit_for(appointment=appointment, author=physio)
        charting.visit_note_save(visit=first, by=physio, subjective="Physio one")
        chart = reverse("sessions:chart", args=[appointment.pk])
        response = client_for(colleague).post(
            f"{chart}?part=note", {"subjective": "Typed by physio two", "version": "1"}
        )
        page = response.content.decode()
        assert response.status_code == 403
        assert "only they can change it" in page and "a moment ago" in page
        assert "Typed by physio two" in page
        assert Visit.objects.get().subjective == "Physio one"

    def test_a_race_inside_the_service_is_answered_the_same(
        self, client_for, physio, colleague, appointment, monkeypatch
    ):
        """The draft is started between the page's check and the service's lock."""
        unsaved = charting.visit_for(appointment=appointment, author=colleague)
        charting.visit_note_save(
            visit=charting.visit_for(appointment=appointment, author=physio),
            by=physio,
            subjective="Physio one",
        )
        monkeypatch.setattr("sessions.charting.views.chart_visits", lambda: _none())
        monkeypatch.setattr("sessions.charting.views.services.visit_for", lambda **kwargs: unsaved)
        chart = reverse("sessions:chart", args=[appointment.pk])
        response = client_for(colleague).post(
            f"{chart}?part=note", {"subjective": "Typed by physio two", "version": "1"}
        )
        assert response.status_code == 403
        assert "Typed by physio two" in response.content.decode()


def _none():
    return Visit.objects.none()


class TestHardStopsUnderTheLock:
    def test_a_site_is_weighed_on_the_saved_consent(self, ready, gluteus):
        Visit.objects.filter(pk=ready.pk).update(consent_today=False)  # another tab
        assert ready.consent_today  # this request's copy, read before the lock
        with pytest.raises(ValidationError, match="consent for today"):
            sites.site_add(visit=ready, by=ready.author, muscle=gluteus, **SITE)
        assert not NeedlingSite.objects.exists()

    def test_a_site_edit_is_weighed_on_the_saved_acknowledgement(self, ready, gluteus):
        site = sites.site_add(visit=ready, by=ready.author, muscle=gluteus, **SITE)
        Visit.objects.filter(pk=ready.pk).update(consent_today=False)
        with pytest.raises(ValidationError, match="consent for today"):
            sites.site_edit(site=site, by=ready.author, depth_cm=Decimal("6"))

    def test_repeat_is_weighed_on_the_saved_consent(self, ready, last_visit):  # noqa: F811
        Visit.objects.filter(pk=ready.pk).update(consent_today=False)
        with pytest.raises(ValidationError, match="consent for today"):
            sites.sites_repeat_last(visit=ready, by=ready.author)
        assert not ready.sites.exists()

    def test_repeat_skips_a_retired_muscle_and_a_level_now_needed(
        self,
        client_for,
        physio,
        ready,
        last_visit,  # noqa: F811
    ):
        Muscle.objects.filter(name="Piriformis").update(is_active=False)
        Muscle.objects.filter(name="Gluteus medius").update(is_paraspinal=True)
        response = client_for(physio).post(
            reverse("sessions:sites-repeat", args=[ready.pk]), shown(ready), follow=True
        )
        page = response.content.decode()
        assert [s.muscle.name for s in ready.sites.all()] == ["Lumbar multifidus"]
        assert "Not repeated: Gluteus medius (Left) (Give the spinal level" in page
        assert "Piriformis (Left) (no longer in the muscle list)" in page


class TestAuditDetail:
    def test_a_site_edit_names_the_fields_changed_not_their_values(
        self, client_for, physio, ready, gluteus
    ):
        site = sites.site_add(visit=ready, by=ready.author, muscle=gluteus, **SITE)
        data = {"muscle": gluteus.pk, **SITE, "depth_cm": "6.5", "insertions": 4}
        client_for(physio).post(reverse("sessions:site-edit", args=[site.pk]), data | shown(ready))
        event = AuditEvent.objects.filter(action="update", object_id=str(site.pk)).latest("id")
        assert event.detail == "changed: depth_cm, insertions"

    def test_a_repeat_names_the_rows_it_added(
        self,
        client_for,
        physio,
        ready,
        last_visit,  # noqa: F811
    ):
        client_for(physio).post(reverse("sessions:sites-repeat", args=[ready.pk]), shown(ready))
        ids = " ".join(str(pk) for pk in ready.sites.order_by("pk").values_list("pk", flat=True))
        event = AuditEvent.objects.filter(action="create", object_id=str(ready.pk)).latest("id")
        assert event.detail.startswith(f"sites repeated: ids {ids}: Lumbar multifidus (Right)")
