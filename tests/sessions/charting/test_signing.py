"""Needling sites and signing a note: what signing requires, when it happens, what a
refused signature shows, and repeated posts that count once."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse

from clinic.roles import Role
from intake.models import HealthUpdate
from intake.screening import Outcome
from sessions.charting import sites
from sessions.charting.aftercare import aftercare_link
from sessions.charting.forms import NoteForm
from sessions.charting.models import NotTheAuthor
from sessions.models import Muscle
from tests.factories import UserFactory
from tests.sessions.charting.conftest import SITE, check, make_signable, post_check, shown, sign


@pytest.fixture
def multifidus(db):
    return Muscle.objects.get_or_create(
        name="Lumbar multifidus",
        defaults={"region": "spine", "nerve_roots": "L1-S1", "is_paraspinal": True},
    )[0]


class TestSites:
    def test_paraspinal_sites_need_a_level(self, ready, multifidus):
        with pytest.raises(ValidationError, match="spinal level"):
            sites.site_add(visit=ready, by=ready.author, muscle=multifidus, **SITE)
        site = sites.site_add(
            visit=ready, by=ready.author, muscle=multifidus, spinal_level="L4-L5", **SITE
        )
        assert site.spinal_level == "L4-L5"

    @pytest.mark.parametrize("depth", ["0.4", "12.1", "-1"])
    def test_depth_outside_half_to_twelve_cm_is_refused(self, ready, gluteus, depth):
        with pytest.raises(ValidationError, match="depth_cm"):
            sites.site_add(
                visit=ready, by=ready.author, muscle=gluteus, **{**SITE, "depth_cm": Decimal(depth)}
            )

    def test_malformed_level_is_explained(self, ready, multifidus):
        with pytest.raises(ValidationError, match="C5-C6 or L4-L5"):
            sites.site_add(
                visit=ready, by=ready.author, muscle=multifidus, spinal_level="L9", **SITE
            )


class TestSigning:
    def test_needle_count_mismatch_blocks_signing(self, ready, physio, gluteus):
        sites.site_add(visit=ready, by=ready.author, muscle=gluteus, **SITE)
        make_signable(ready, out=3, back=2)
        with pytest.raises(
            ValidationError, match="Needle count mismatch: 3 taken out, 2 counted back"
        ):
            sign(ready, physio)
        ready.refresh_from_db()
        assert not ready.is_signed

    def test_incomplete_clean_technique_blocks_signing(self, ready, physio, gluteus):
        sites.site_add(visit=ready, by=ready.author, muscle=gluteus, **SITE)
        make_signable(ready)
        ready.gloves = False
        ready.save()
        with pytest.raises(ValidationError, match="clean-technique"):
            sign(ready, physio)

    def test_needles_without_a_site_are_counted_and_checked_all_the_same(self, ready, physio):
        # Found by the attacker run: with no site charted, 3 out and 2 back signed.
        make_signable(ready, sites=0, out=3, back=2)
        ready.gloves = False
        ready.save()
        with pytest.raises(ValidationError) as refused:
            sign(ready, physio)
        text = " ".join(refused.value.messages)
        assert "Needle count mismatch: 3 taken out, 2 counted back" in text
        assert "clean-technique" in text
        assert "no needling site is recorded" in text
        ready.refresh_from_db()
        assert not ready.is_signed

    def test_needles_without_a_site_keep_the_hard_stops(self, visit, physio):
        # No safety check recorded on this draft: needles out means needling happened.
        make_signable(visit, sites=0, out=2, back=2)
        with pytest.raises(ValidationError, match="safety check"):
            sign(visit, physio)

    def test_a_visit_without_needling_signs_without_needle_fields(self, ready, physio):
        make_signable(ready, sites=0)
        ready.needle_product = ready.needle_size = ""
        ready.needles_out = ready.needles_back = None
        ready.save()
        sign(ready, physio)
        ready.refresh_from_db()
        assert ready.is_signed

    def test_only_the_author_signs(self, ready, gluteus):
        other = UserFactory(role=Role.PHYSIO)
        make_signable(ready, sites=0)
        with pytest.raises(NotTheAuthor, match="Only the author"):
            sign(ready, other)

    def test_signing_completes_the_visit_and_sends_aftercare_after_commit(
        self, ready, physio, gluteus, django_capture_on_commit_callbacks, client
    ):
        sites.site_add(visit=ready, by=ready.author, muscle=gluteus, **SITE)
        make_signable(ready)
        with django_capture_on_commit_callbacks(execute=True):
            sign(ready, physio)
        ready.refresh_from_db()
        assert ready.is_signed and ready.signed_at is not None
        assert ready.appointment.status == "completed"
        (message,) = mail.outbox
        assert message.to == ["marcus@example.com"]
        assert "Gluteus" not in message.body and "Soreness" not in message.body
        delivery = ready.aftercare_deliveries.get()
        assert delivery.sent_at is not None
        path = aftercare_link(delivery).removeprefix("http://127.0.0.1:8000")
        page = client.get(path).content.decode()
        assert "Soreness for a day or two is normal." in page and "Walk daily" in page
        assert "Gluteus" not in page

    def test_tampered_aftercare_link_is_refused(self, client, db):
        response = client.get(reverse("sessions:aftercare", args=["nope"]))
        assert response.status_code == 404

    def test_no_email_is_recorded_as_skipped(self, ready, physio):
        ready.patient.email = ""
        ready.patient.save()
        make_signable(ready, sites=0)
        sign(ready, physio)
        assert "No email address" in ready.aftercare_deliveries.get().skipped_reason


class TestRepeatsCountOnce:
    SURGERY = {
        "surgery_since_last": "on",
        "surgery_date": "2026-11-10",
        "surgery_description": "Wisdom tooth",
    }

    def test_recording_the_check_twice_lists_the_contraindication_once(
        self, client_for, physio, visit
    ):
        client = client_for(physio)
        post_check(client, visit, **self.SURGERY)
        post_check(client, visit, **self.SURGERY)
        verdict = visit.verdict()
        assert [r.code for r in verdict.reasons] == ["recent_surgery"]
        assert HealthUpdate.objects.count() == 1

    def test_a_corrected_check_replaces_the_answers_it_corrects(self, client_for, physio, visit):
        client = client_for(physio)
        post_check(client, visit, **self.SURGERY)
        post_check(client, visit)  # the surgery was a mistake
        assert visit.verdict().outcome == Outcome.CLEAR

    def test_a_surgery_in_the_intake_and_the_check_counts_once(self, physio, patient, visit):
        intake = patient.intakes.get()
        intake.answers["surgeries"] = {
            "rows": [{"date": "2026-11-10", "description": "Wisdom tooth"}]
        }
        patient.intakes.update(answers=intake.answers)
        check(visit, physio, surgery_date=date(2026, 11, 10), surgery_description="wisdom tooth ")
        verdict = visit.verdict()
        assert [r.code for r in verdict.reasons] == ["recent_surgery"]

    def test_a_double_clicked_site_is_recorded_once(self, client_for, physio, ready, gluteus):
        client = client_for(physio)
        data = {"muscle": gluteus.pk, **SITE, **shown(ready)}
        for _ in range(2):
            response = client.post(reverse("sessions:site-add", args=[ready.pk]), data)
            assert response.status_code == 302
        assert ready.sites.count() == 1

    def test_a_double_clicked_remove_lands_back_on_the_chart(
        self, client_for, physio, ready, gluteus
    ):
        site = sites.site_add(visit=ready, by=ready.author, muscle=gluteus, **SITE)
        client = client_for(physio)
        url = reverse("sessions:site-remove", args=[site.pk])
        data = {"visit": ready.pk, **shown(ready)}
        assert client.post(url, data).status_code == 302
        again = client.post(url, data)
        chart_url = reverse("sessions:chart", args=[ready.appointment_id])
        assert again.status_code == 302 and again.url == f"{chart_url}#sites"
        assert client.post(url, {"visit": "9" * 40}).status_code == 404
        assert not ready.sites.exists()

    def test_a_double_clicked_adverse_event_is_recorded_once(self, client_for, physio, visit):
        client = client_for(physio)
        data = {"kind": "bruising", "description": "Left buttock", "action_taken": "Ice"}
        data |= shown(visit)
        for _ in range(2):
            client.post(reverse("sessions:adverse-add", args=[visit.pk]), data)
        assert visit.adverse_events.count() == 1

    def test_a_double_clicked_addendum_is_recorded_once(self, client_for, physio, ready):
        make_signable(ready, sites=0)
        sign(ready, physio)
        client = client_for(physio)
        data = {"reason": "Typo", "text": "Depth 4 cm"}
        for _ in range(2):
            client.post(reverse("sessions:addendum-add", args=[ready.pk]), data)
        assert ready.addenda.count() == 1


class TestSigningTime:
    def test_a_visit_cannot_be_signed_before_it_starts(self, ready, physio):
        make_signable(ready, sites=0)
        start = ready.appointment.start
        with time_machine.travel(start - timedelta(seconds=1), tick=False):
            with pytest.raises(ValidationError, match="has not started yet"):
                sign(ready, physio)
        ready.refresh_from_db()
        assert not ready.is_signed

    def test_a_visit_can_be_signed_from_the_moment_it_starts(self, ready, physio):
        make_signable(ready, sites=0)
        with time_machine.travel(ready.appointment.start, tick=False):
            sign(ready, physio)
        ready.refresh_from_db()
        assert ready.is_signed


class TestRefusedSign:
    def test_a_refused_sign_lands_on_its_reasons_each_linked_to_its_field(
        self, client_for, physio, visit
    ):
        response = client_for(physio).post(
            reverse("sessions:sign", args=[visit.pk]), {"aftercare_text": ""}
        )
        page = response.content.decode()
        assert response.status_code == 200
        sign_url = reverse("sessions:sign", args=[visit.pk])
        assert f'action="{sign_url}#sign-problems"' in page
        summary = page[page.index('id="sign-problems"') :]
        summary = summary[: summary.index("</div>")]
        assert 'tabindex="-1"' in summary and "autofocus" in summary
        assert 'href="#id_nprs_before"' in summary and "Record the NPRS before needling" in summary
        assert 'href="#id_aftercare_text"' in summary

    def test_a_draft_lists_what_stands_before_signing_without_grabbing_focus(
        self, client_for, physio, visit
    ):
        page = client_for(physio).get(reverse("sessions:chart", args=[visit.appointment_id]))
        page = page.content.decode()
        summary = page[page.index('id="sign-problems"') :]
        summary = summary[: summary.index("</div>")]
        assert 'href="#id_nprs_before"' in summary and "autofocus" not in summary

    def test_pain_ratings_start_empty(self, client_for, physio, visit):
        page = client_for(physio).get(reverse("sessions:chart", args=[visit.appointment_id]))
        form = NoteForm(instance=visit)
        assert form["nprs_before"].value() is None and form["nprs_after"].value() is None
        assert 'name="nprs_before" value=' not in page.content.decode()
