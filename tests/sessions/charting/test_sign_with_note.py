"""Sign sends the note as typed (without a script nothing else would save it): the note
is saved under the same version check before signing, kept when signing is refused;
an autosave answers with what still blocks signing; a safety check sent again keeps
the weighing of the same precautions."""

import re
from datetime import date

import pytest
from django.urls import reverse

from clinic.models import AuditEvent
from sessions.charting import services as charting
from sessions.models import Visit
from tests.charting_helpers import NOTE
from tests.factories import PatientFactory
from tests.sessions.charting.conftest import check, make_signable, post_check, shown
from tests.sessions.conftest import submitted_intake

AFTERCARE = {"aftercare_text": "Rest tonight; heat if sore.", "home_exercises": ""}
CONFLICT = "This draft was changed in another tab or by someone else"


def sign_url(visit) -> str:
    return reverse("sessions:sign", args=[visit.pk])


class TestSignCarriesTheNote:
    def test_the_typed_note_is_saved_then_signed(self, client_for, physio, ready):
        typed = NOTE | {"subjective": "Typed just before Sign", "needles_out": "0"}
        typed |= {"needles_back": "0"}
        response = client_for(physio).post(sign_url(ready), typed | AFTERCARE | shown(ready))
        assert response.status_code == 302, response.content.decode()[-1500:]
        visit = Visit.objects.get(pk=ready.pk)
        assert visit.is_signed and visit.subjective == "Typed just before Sign"
        assert visit.nprs_before == 6
        assert AuditEvent.objects.filter(action="sign").count() == 1

    def test_a_refused_sign_keeps_the_typed_note_and_lists_the_blockers(
        self, client_for, physio, ready
    ):
        # No NPRS before: signing is refused, the rest of the typing is saved all the same.
        typed = {"subjective": "Kept although not signed", "plan": "Review in a week"}
        response = client_for(physio).post(sign_url(ready), typed | AFTERCARE | shown(ready))
        page = response.content.decode()
        assert response.status_code == 200
        assert "Not signed yet" in page and "Record the NPRS before needling" in page
        assert 'href="#id_nprs_before"' in page
        visit = Visit.objects.get(pk=ready.pk)
        assert not visit.is_signed
        assert (visit.subjective, visit.plan) == ("Kept although not signed", "Review in a week")

    def test_a_stale_page_saves_nothing_and_shows_the_typing(self, client_for, physio, ready):
        make_signable(ready, sites=0)
        stale = shown(ready)
        charting.visit_note_save(visit=ready, by=physio, plan="From the other tab")
        typed = NOTE | {"plan": "Typed in the stale tab", "needles_out": "0", "needles_back": "0"}
        response = client_for(physio).post(sign_url(ready), typed | AFTERCARE | stale)
        page = response.content.decode()
        assert response.status_code == 409 and CONFLICT in page
        assert "Typed in the stale tab" in page and "From the other tab" in page
        visit = Visit.objects.get(pk=ready.pk)
        assert not visit.is_signed and visit.plan == "From the other tab"

    def test_an_invalid_note_is_marked_and_nothing_is_signed(self, client_for, physio, ready):
        make_signable(ready, sites=0)
        typed = {"nprs_before": "11", "subjective": "Typed"}
        response = client_for(physio).post(sign_url(ready), typed | AFTERCARE | shown(ready))
        assert response.status_code == 200
        assert response.context["note_form"].errors["nprs_before"]
        visit = Visit.objects.get(pk=ready.pk)
        assert not visit.is_signed and visit.nprs_before == 6

    def test_use_this_template_keeps_the_typed_note(self, client_for, physio, ready):
        typed = {"subjective": "Typed before choosing a template", "use_template": "1"}
        response = client_for(physio).post(sign_url(ready), typed | AFTERCARE | shown(ready))
        assert response.status_code == 200
        assert Visit.objects.get(pk=ready.pk).subjective == "Typed before choosing a template"

    def test_the_chart_ties_the_aftercare_fields_to_the_notes_form(self, client_for, physio, ready):
        page = client_for(physio).get(reverse("sessions:chart", args=[ready.appointment_id]))
        tag = re.search(r'<textarea[^>]*name="aftercare_text"[^>]*>', page.content.decode())
        assert tag and 'form="note-form"' in tag.group(0)


class TestAutosaveAnswersTheBlockers:
    def test_the_answer_lists_what_still_blocks_signing(self, client_for, physio, ready):
        client = client_for(physio)
        url = reverse("sessions:note-save", args=[ready.pk])
        first = client.post(url, {"subjective": "x"} | shown(ready), HTTP_X_AUTOSAVE="1")
        assert first.status_code == 200
        anchors = [b["anchor"] for b in first.json()["blockers"]]
        assert anchors == ["id_nprs_before"]
        second = client.post(
            url, {"subjective": "x", "nprs_before": "5"} | shown(ready), HTTP_X_AUTOSAVE="1"
        )
        assert second.json()["blockers"] == []


class TestSafetyCheckAgain:
    @pytest.fixture
    def patient(self, db):
        patient = PatientFactory()
        submitted_intake(patient, needles={"pregnancy": "no", "needle_fear": "strong"})
        return patient

    @pytest.fixture
    def with_precaution(self, visit, physio, authorised):
        check(visit, physio)
        visit.refresh_from_db()
        assert visit.verdict().precautions, "a fear of needles is a precaution"
        charting.visit_acknowledge(visit=visit, by=physio)
        visit.refresh_from_db()
        assert visit.acknowledged_precautions
        return visit

    def test_the_same_precautions_stay_acknowledged(self, with_precaution, physio):
        check(with_precaution, physio, medication_notes="Corrected")
        with_precaution.refresh_from_db()
        assert with_precaution.acknowledged_precautions
        assert with_precaution.acknowledged_by == physio

    def test_sent_again_through_the_page_too(self, client_for, with_precaution, physio):
        response = post_check(
            client_for(physio),
            with_precaution,
            medication_notes="Corrected",
        )
        assert response.status_code == 302, response.context["safety_form"].errors
        with_precaution.refresh_from_db()
        assert with_precaution.acknowledged_precautions

    def test_changed_precautions_are_asked_again(self, with_precaution, physio):
        check(
            with_precaution,
            physio,
            surgery_date=date(2026, 12, 15),
            surgery_description="Shoulder repair",
        )
        with_precaution.refresh_from_db()
        assert with_precaution.acknowledged_precautions == []
        assert with_precaution.acknowledged_by is None
