"""The hard stops before needling: the day-of-visit safety check, contraindications,
consent, authorisation, and fields that only count when their question is ticked."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from clinic.models import AuditEvent
from intake.forms import NeedlesStep
from intake.models import HealthUpdate
from intake.screening import Outcome, Pregnancy
from sessions.charting import services as charting
from sessions.charting import sites
from sessions.charting.forms import SafetyCheckForm
from sessions.models import NeedlingSite
from tests.sessions.charting.conftest import SITE, check, post_check, shown


class TestHardStops:
    def test_no_needling_before_the_safety_check(self, visit, authorised, gluteus):
        with pytest.raises(ValidationError, match="safety check"):
            sites.site_add(visit=visit, by=visit.author, muscle=gluteus, **SITE)

    def test_no_needling_without_consent_today(self, visit, physio, authorised, gluteus):
        check(visit, physio, consent_today=False)
        with pytest.raises(ValidationError, match="consent for today"):
            sites.site_add(visit=visit, by=visit.author, muscle=gluteus, **SITE)

    def test_no_needling_on_a_contraindicated_date(self, ready, physio, gluteus):
        check(ready, physio, surgery_date=date(2026, 11, 1), surgery_description="Hernia repair")
        charting.visit_acknowledge(visit=ready, by=physio)
        assert ready.verdict().outcome == Outcome.CONTRAINDICATED
        with pytest.raises(ValidationError, match="contraindicated on 2026-11-20"):
            sites.site_add(visit=ready, by=ready.author, muscle=gluteus, **SITE)

    def test_pregnancy_reported_today_stops_needling_at_once(self, ready, physio, gluteus):
        check(ready, physio, pregnancy="possibly")
        charting.visit_acknowledge(visit=ready, by=physio)
        with pytest.raises(ValidationError, match="Pregnancy"):
            sites.site_add(visit=ready, by=ready.author, muscle=gluteus, **SITE)

    def test_no_needling_with_an_expired_authorisation(self, visit, physio, authorised, gluteus):
        authorised.valid_until = date(2026, 11, 19)
        authorised.save()
        check(visit, physio)
        charting.visit_acknowledge(visit=visit, by=physio)
        with pytest.raises(ValidationError, match="no needling authorisation valid on 2026-11-20"):
            sites.site_add(visit=visit, by=visit.author, muscle=gluteus, **SITE)

    def test_authorisation_valid_through_its_last_day(self, visit, physio, authorised, gluteus):
        authorised.valid_until = date(2026, 11, 20)
        authorised.save()
        check(visit, physio)
        charting.visit_acknowledge(visit=visit, by=physio)
        sites.site_add(visit=visit, by=visit.author, muscle=gluteus, **SITE)

    def test_a_new_precaution_must_be_acknowledged_first(self, ready, physio, gluteus):
        check(ready, physio, anticoagulants=True)  # a new precaution resets the acknowledgement
        with pytest.raises(
            ValidationError, match="Acknowledge the precautions first: Blood thinners"
        ):
            sites.site_add(visit=ready, by=ready.author, muscle=gluteus, **SITE)
        codes = charting.visit_acknowledge(visit=ready, by=physio)
        assert codes == ["anticoagulants"]
        ready.refresh_from_db()
        assert ready.acknowledged_by == physio and ready.acknowledged_at is not None
        sites.site_add(visit=ready, by=ready.author, muscle=gluteus, **SITE)

    def test_the_site_form_refuses_too(self, client_for, physio, visit, authorised, gluteus):
        response = client_for(physio).post(
            reverse("sessions:site-add", args=[visit.pk]),
            {
                "muscle": gluteus.pk,
                "side": "left",
                "depth_cm": "4.5",
                "insertions": "2",
                "twitch": "weak",
                "tolerance": "good",
            },
        )
        page = response.content.decode()
        assert response.status_code == 200
        summary = page[page.index('id="sites-errors"') :]  # where the refusal lands, focused
        assert "Complete the day-of-visit safety check" in summary[: summary.index("</div>")]
        assert not NeedlingSite.objects.exists()

    def test_the_safety_check_is_audited_and_feeds_screening(self, client_for, physio, visit):
        client_for(physio).post(
            reverse("sessions:safety-check", args=[visit.pk]),
            {
                "pregnancy": "no",
                "surgery_since_last": "on",
                "surgery_date": "2026-11-10",
                "surgery_description": "Wisdom tooth",
                "consent_today": "on",
                **shown(visit),
            },
        )
        assert visit.verdict().eligible_from == date(2027, 2, 2)
        assert AuditEvent.objects.filter(action="update", detail="safety check").exists()

    def test_a_future_surgery_date_in_the_check_is_refused(self, client_for, physio, visit):
        response = client_for(physio).post(
            reverse("sessions:safety-check", args=[visit.pk]),
            {
                "pregnancy": "no",
                "surgery_since_last": "on",
                "surgery_date": "2027-01-01",
                "surgery_description": "Knee",
                "consent_today": "on",
            },
        )
        assert "cannot be in the future" in response.content.decode()


class TestGatedFields:
    def test_a_surgery_date_without_the_box_ticked_is_refused_and_kept(
        self, client_for, physio, visit
    ):
        response = post_check(
            client_for(physio),
            visit,
            surgery_date="2026-11-10",
            surgery_description="Knee arthroscopy",
        )
        page = response.content.decode()
        assert response.status_code == 200
        assert "Tick “Surgery or a procedure since the last visit”" in page
        assert 'value="2026-11-10"' in page and 'value="Knee arthroscopy"' in page
        date_input = page[page.index('name="surgery_date"') :]
        assert "autofocus" in date_input[: date_input.index(">")]  # the field to fix
        url = reverse("sessions:safety-check", args=[visit.pk])
        assert f'action="{url}#safety-errors"' in page
        assert not HealthUpdate.objects.exists()

    def test_a_surgery_description_alone_without_the_box_is_refused(
        self, client_for, physio, visit
    ):
        response = post_check(client_for(physio), visit, surgery_description="Colonoscopy")
        assert "Tick “Surgery or a procedure since the last visit”" in response.content.decode()
        assert not HealthUpdate.objects.exists()

    def test_the_box_unticked_with_nothing_else_records_the_check(self, client_for, physio, visit):
        response = post_check(client_for(physio), visit)
        assert response.status_code == 302
        assert HealthUpdate.objects.get().surgery_date is None


def test_the_safety_check_offers_the_intake_pregnancy_answers_but_talking_later():
    intake_answers = dict(NeedlesStep.base_fields["pregnancy"].choices)
    del intake_answers[Pregnancy.DISCUSS.value]
    assert dict(SafetyCheckForm.base_fields["pregnancy"].choices) == intake_answers


def test_the_intake_offers_every_pregnancy_answer_the_screening_knows():
    offered = {value for value, _ in NeedlesStep.base_fields["pregnancy"].choices}
    assert offered == {answer.value for answer in Pregnancy}


def test_a_refused_chart_form_focuses_its_first_field_in_error(client_for, physio, ready):
    """The project's form renderer does it for the chart's forms too: the note's first
    refused field, and no other, takes the focus."""
    response = client_for(physio).post(
        reverse("sessions:note-save", args=[ready.pk]),
        {"needles_out": "201", "needles_back": "-1"},
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "at most 200 needles" in page
    out = page[page.index('name="needles_out"') :]
    back = page[page.index('name="needles_back"') :]
    assert "autofocus" in out[: out.index(">")]
    assert "autofocus" not in back[: back.index(">")]
