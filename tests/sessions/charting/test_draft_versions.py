"""A draft edited in two tabs, or by two people: each chart form sends the version it
was shown, every write counts the version on, and a write from an older page is refused
with a message and the typing kept (409), rather than saved over the other's work."""

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from sessions.charting import services as charting
from sessions.charting import sites
from sessions.models import Visit
from tests.sessions.charting.conftest import SITE, check
from tests.sessions.conftest import local

CONFLICT = "This draft was changed in another tab or by someone else at 10:00"


def version(visit) -> int:
    return Visit.objects.values_list("version", flat=True).get(pk=visit.pk)


class TestVersions:
    def test_every_draft_write_counts_the_version_on(self, ready, physio, gluteus):
        before = version(ready)
        charting.visit_note_save(visit=ready, by=ready.author, subjective="Better")
        site = sites.site_add(visit=ready, by=ready.author, muscle=gluteus, **SITE)
        sites.site_edit(site=site, by=site.visit.author, depth_cm=5)
        sites.site_remove(site=site, by=site.visit.author)
        charting.adverse_event_add(
            visit=ready, by=ready.author, kind="bruising", description="", action_taken="Ice"
        )
        charting.visit_acknowledge(visit=ready, by=physio)
        check(ready, physio)
        assert version(ready) == before + 7

    def test_a_write_from_an_older_page_is_refused(self, ready):
        shown = version(ready)
        charting.visit_note_save(
            visit=ready, by=ready.author, version=shown, subjective="From tab one"
        )
        with pytest.raises(ValidationError, match=CONFLICT):
            charting.visit_note_save(
                visit=ready, by=ready.author, version=shown, subjective="From tab two"
            )
        ready.refresh_from_db()
        assert ready.subjective == "From tab one"

    def test_a_repeated_site_is_kept_once_not_refused(self, ready, gluteus):
        shown = version(ready)
        first = sites.site_add(visit=ready, by=ready.author, version=shown, muscle=gluteus, **SITE)
        again = sites.site_add(visit=ready, by=ready.author, version=shown, muscle=gluteus, **SITE)
        assert again == first

    def test_signing_what_the_signer_did_not_see_is_refused(self, ready, physio):
        shown = version(ready)
        charting.visit_note_save(visit=ready, by=ready.author, nprs_before=5)
        with pytest.raises(ValidationError, match=CONFLICT):
            charting.visit_sign(
                visit=ready,
                by=physio,
                aftercare_template=None,
                aftercare_text="Rest",
                home_exercises="",
                version=shown,
            )


class TestTwoTabs:
    def note_url(self, visit):
        return reverse("sessions:note-save", args=[visit.pk])

    def test_the_second_stale_save_is_refused_with_its_text_kept(self, client_for, physio, ready):
        client = client_for(physio)
        shown = version(ready)
        first = client.post(self.note_url(ready), {"subjective": "Tab one", "version": shown})
        assert first.status_code == 302
        second = client.post(
            self.note_url(ready), {"subjective": "Tab two, typed at length", "version": shown}
        )
        page = second.content.decode()
        assert second.status_code == 409
        assert CONFLICT in page
        assert "reload to see their changes — your text is kept below" in page
        assert "Tab two, typed at length</textarea>" in page
        # The form shown again carries today's version: saving it now is a choice.
        assert f'name="version" value="{version(ready)}"' in page
        ready.refresh_from_db()
        assert ready.subjective == "Tab one"

    def test_the_conflict_shows_what_was_saved_meanwhile(self, client_for, physio, ready):
        # Found by the newcomer run: the refused page carried the new version with the
        # older fields, so pressing Save again blanked the other tab's Subjective unseen.
        client = client_for(physio)
        shown = version(ready)
        client.post(self.note_url(ready), {"subjective": "A important finding", "version": shown})
        response = client.post(self.note_url(ready), {"plan": "B's plan", "version": shown})
        page = response.content.decode()
        assert response.status_code == 409
        assert "Saved meanwhile in another tab or by someone else" in page
        assert "A important finding</dd>" in page
        assert "B&#x27;s plan</textarea>" in page

    def test_no_saved_meanwhile_block_when_the_other_write_typed_the_same(
        self, client_for, physio, ready
    ):
        client = client_for(physio)
        shown = version(ready)
        client.post(self.note_url(ready), {"subjective": "Same", "version": shown})
        response = client.post(self.note_url(ready), {"subjective": "Same", "version": shown})
        assert response.status_code == 409
        assert 'id="saved-meanwhile"' not in response.content.decode()

    def test_the_conflict_names_when_the_draft_changed(self, client_for, physio, ready):
        client = client_for(physio)
        shown = version(ready)
        with time_machine.travel(local(2026, 11, 20, 10, 7), tick=False):
            client.post(self.note_url(ready), {"subjective": "Tab one", "version": shown})
        response = client.post(self.note_url(ready), {"subjective": "Two", "version": shown})
        assert "by someone else at 10:07;" in response.content.decode()

    def test_autosave_gets_409_and_the_message(self, client_for, physio, ready):
        client = client_for(physio)
        shown = version(ready)
        saved = client.post(
            self.note_url(ready), {"subjective": "One", "version": shown}, HTTP_X_AUTOSAVE="1"
        )
        assert saved.status_code == 200 and saved.json()["version"] == shown + 1
        stale = client.post(
            self.note_url(ready), {"subjective": "Two", "version": shown}, HTTP_X_AUTOSAVE="1"
        )
        assert stale.status_code == 409
        assert stale.json()["error"].startswith(CONFLICT)
        ready.refresh_from_db()
        assert ready.subjective == "One"

    def test_a_stale_site_form_keeps_what_was_typed(self, client_for, physio, ready, gluteus):
        client = client_for(physio)
        shown = version(ready)
        charting.visit_note_save(visit=ready, by=ready.author, subjective="Someone else")
        data = {"muscle": gluteus.pk, **SITE, "depth_cm": "6.5", "version": shown}
        response = client.post(reverse("sessions:site-add", args=[ready.pk]), data)
        page = response.content.decode()
        assert response.status_code == 409 and CONFLICT in page
        assert 'value="6.5"' in page
        assert not ready.sites.exists()

    def test_a_stale_safety_check_is_refused(self, client_for, physio, ready):
        shown = version(ready)
        charting.visit_note_save(visit=ready, by=ready.author, subjective="Someone else")
        response = client_for(physio).post(
            reverse("sessions:safety-check", args=[ready.pk]),
            {"pregnancy": "no", "consent_today": "on", "medication_notes": "New", "version": shown},
        )
        assert response.status_code == 409
        assert 'value="New"' in response.content.decode()

    def test_every_chart_form_sends_the_version(self, client_for, physio, ready, gluteus):
        sites.site_add(visit=ready, by=ready.author, muscle=gluteus, **SITE)
        page = client_for(physio).get(reverse("sessions:chart", args=[ready.appointment_id]))
        html = page.content.decode()
        hidden = f'name="version" value="{version(ready)}"'
        # safety, sites (add; save and remove one), note (Sign sends it), adverse;
        # acknowledge is done
        assert html.count(hidden) == 6
        chart = html[html.index('id="screening"') :]
        assert chart.count('method="post"') == 6

    @pytest.mark.parametrize("sent", [None, "", "abc", "-3", "9" * 12])
    def test_a_page_without_a_good_version_is_refused_with_its_text_kept(
        self, client_for, physio, ready, sent
    ):
        """Failing closed: a write that cannot say what it was shown is not saved over."""
        charting.visit_note_save(visit=ready, by=ready.author, subjective="One")
        data = {"subjective": "Two, typed"} | ({} if sent is None else {"version": sent})
        response = client_for(physio).post(self.note_url(ready), data)
        assert response.status_code == 409
        assert "Two, typed</textarea>" in response.content.decode()
        ready.refresh_from_db()
        assert ready.subjective == "One"

    def test_an_autosave_without_a_version_is_refused(self, client_for, physio, ready):
        response = client_for(physio).post(
            self.note_url(ready), {"subjective": "Two"}, HTTP_X_AUTOSAVE="1"
        )
        assert response.status_code == 409 and response.json()["version"] == version(ready)

    def test_the_services_own_callers_may_leave_the_version_unchecked(self, ready):
        charting.visit_note_save(visit=ready, by=ready.author, subjective="Two", version=None)
        ready.refresh_from_db()
        assert ready.subjective == "Two"
