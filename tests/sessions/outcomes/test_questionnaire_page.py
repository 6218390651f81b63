"""The patient's questionnaire page (/q/<token>/): refusals of bad, foreign, expired,
withdrawn and finished links; answers kept as they go; scored and locked on submit;
every view and change audited as the patient."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from clinic.links import make_token
from clinic.models import AuditEvent
from sessions.outcomes import instruments, services
from sessions.outcomes.instruments import Instrument, Item, Licence, Option, score_single
from sessions.outcomes.links import QUESTIONNAIRE_PURPOSE
from sessions.outcomes.models import Questionnaire
from tests.factories import AppointmentFactory, PatientFactory
from tests.sessions.conftest import NOW

pytestmark = pytest.mark.django_db

# A patient-named instrument (PSFS-like) to show the name and rating work, as data only.
NAMED = Instrument(
    code="named-test",
    name="Named activities (test)",
    abbreviation="NAT",
    purpose="test",
    items=(
        Item(key="a1", text="Activity one", options=(Option(0, "0"), Option(10, "10")), named=True),
        Item(
            key="note",
            text="Anything else?",
            options=(Option(0, "No"), Option(1, "Yes")),
            required=False,
        ),
    ),
    score_min=Decimal(0),
    score_max=Decimal(10),
    unit="points",
    higher_is_better=True,
    mcid=Decimal(2),
    scorer=score_single,
    licence=Licence.FREE,
)


@pytest.fixture
def named_instrument(monkeypatch):
    monkeypatch.setitem(instruments.INSTRUMENTS, NAMED.code, NAMED)
    return NAMED


def make(patient=None, instrument="nprs", **kwargs) -> Questionnaire:
    return services.questionnaire_create(
        patient=patient or PatientFactory(email="zoe@example.com"),
        instrument=instrument,
        by=None,
        trigger=kwargs.pop("trigger", Questionnaire.Trigger.MANUAL),
        now=NOW,
        **kwargs,
    )


def url(q: Questionnaire, nonce: str | None = None) -> str:
    token = make_token(QUESTIONNAIRE_PURPOSE, q.pk, nonce or q.nonce)
    return reverse("sessions:questionnaire", args=[token])


class TestRefusals:
    def test_a_genuine_link_opens_the_questions_as_radio_groups(self, client):
        q = make()
        page = client.get(url(q))
        assert page.status_code == 200
        html = page.content.decode()
        assert "<fieldset" in html and "<legend" in html
        assert html.count('type="radio" name="pain"') == 11
        assert "How bad has your pain been" in html

    def test_another_patients_nonce_is_refused(self, client):
        mine, theirs = make(), make(PatientFactory(email="b@example.com"))
        page = client.get(url(mine, nonce=theirs.nonce))
        assert page.status_code == 404
        assert b"How bad" not in page.content

    def test_a_tampered_token_is_refused(self, client):
        q = make()
        page = client.get(url(q)[:-3] + "xx/")
        assert page.status_code == 404

    def test_another_kind_of_link_for_the_same_row_is_refused(self, client):
        q = make()
        token = make_token("visit", q.pk, q.nonce)
        assert client.get(reverse("sessions:questionnaire", args=[token])).status_code == 404

    def test_the_link_works_until_the_instant_it_expires(self, client, settings):
        q = make()
        assert q.expires_at == NOW + timedelta(days=settings.OUTCOME_LINK_DAYS)
        with time_machine.travel(q.expires_at - timedelta(seconds=1), tick=False):
            assert client.get(url(q)).status_code == 200
        with time_machine.travel(q.expires_at, tick=False):
            assert client.get(url(q)).status_code == 404
            assert client.post(url(q), {"pain": "3", "later": "1"}).status_code == 404
        q.refresh_from_db()
        assert q.answers == {}

    def test_a_withdrawn_questionnaire_is_refused(self, client):
        q = make()
        Questionnaire.objects.filter(pk=q.pk).update(withdrawn_at=NOW)
        assert client.get(url(q)).status_code == 404

    def test_a_finished_one_shows_thanks_never_the_answers(self, client):
        q = make()
        client.post(url(q), {"pain": "7", "submit": "1"})
        page = client.get(url(q))
        assert page.status_code == 200
        assert b"Thank you" in page.content
        assert b'type="radio"' not in page.content and b"How bad" not in page.content
        # A late POST changes nothing.
        client.post(url(q), {"pain": "1", "submit": "1"})
        q.refresh_from_db()
        assert (q.answers, q.score) == ({"pain": 7}, Decimal(7))


class TestSaveAsYouGo:
    def test_save_and_continue_later_keeps_the_answers_and_the_page_reopens_with_them(self, client):
        q = make()
        page = client.post(url(q), {"pain": "4", "later": "1"})
        assert b"Your answers are saved" in page.content
        q.refresh_from_db()
        assert q.answers == {"pain": 4} and q.started_at == NOW and q.completed_at is None
        html = client.get(url(q)).content.decode()
        assert 'value="4" id="id_pain_4" checked' in html

    def test_an_answer_not_offered_is_not_kept(self, client):
        q = make()
        client.post(url(q), {"pain": "11", "later": "1"})
        q.refresh_from_db()
        assert q.answers == {}

    def test_names_and_ratings_of_named_items_are_kept(self, client, named_instrument):
        q = make(instrument=NAMED.code)
        client.post(url(q), {"a1_name": "  Lifting   my child ", "later": "1"})
        q.refresh_from_db()
        assert q.answers == {"a1_name": "Lifting my child"}
        assert 'value="Lifting my child"' in client.get(url(q)).content.decode()


class TestSubmit:
    def test_submit_scores_and_locks(self, client):
        q = make()
        response = client.post(url(q), {"pain": "6", "submit": "1"})
        assert response.status_code == 302
        q.refresh_from_db()
        assert q.score == Decimal(6) and q.answered_items == 1 and q.completed_at == NOW

    def test_an_unanswered_required_item_gets_its_message_and_typed_answers_stay(
        self, client, named_instrument
    ):
        q = make(instrument=NAMED.code)
        page = client.post(url(q), {"a1_name": "Stairs", "note": "1", "submit": "1"})
        html = page.content.decode()
        assert page.status_code == 200
        assert "Please choose an answer." in html
        assert 'value="Stairs"' in html and 'value="1" id="id_note_1" checked' in html
        q.refresh_from_db()
        assert q.completed_at is None and q.answers == {"a1_name": "Stairs", "note": 1}

    def test_a_named_item_needs_its_name(self, client, named_instrument):
        q = make(instrument=NAMED.code)
        page = client.post(url(q), {"a1": "10", "submit": "1"})
        assert "Please name the activity." in page.content.decode()

    def test_follow_ups_start_with_the_courses_first_names(self, client, named_instrument):
        appointment = AppointmentFactory(patient=PatientFactory(email="n@example.com"))
        first = make(appointment.patient, NAMED.code, course=appointment.course)
        client.post(url(first), {"a1_name": "Running", "a1": "0", "submit": "1"})
        later = make(appointment.patient, NAMED.code, course=appointment.course)
        assert later.answers == {"a1_name": "Running"}
        assert 'value="Running"' in client.get(url(later)).content.decode()


class TestAudit:
    def test_view_save_and_submit_are_audited_as_the_patient(self, client):
        q = make()
        client.get(url(q))
        client.post(url(q), {"pain": "2", "later": "1"})
        client.post(url(q), {"pain": "2", "submit": "1"})
        events = AuditEvent.objects.filter(
            object_id=str(q.pk), object_type__endswith="questionnaire"
        )
        assert [(e.action, e.role, e.detail) for e in events.order_by("id")] == [
            ("view", "patient", ""),
            ("update", "patient", "saved"),
            ("update", "patient", "saved"),
            ("sign", "patient", "submitted"),
        ]
        assert all(e.patient_id == q.patient_id for e in events)


def test_an_ndi_with_two_sections_left_out_is_scored_and_a_third_is_refused(physio):
    """NDI scores with up to 2 of its 10 sections missing (a patient who does not
    drive); with a third missing, submitting is refused with the reason and nothing is
    scored."""
    from django.core.exceptions import ValidationError

    from sessions.outcomes.instruments import NDI
    from sessions.outcomes.wording import wording_load
    from tests.sessions.outcomes.test_wording import full_items

    wording_load(instrument=NDI, items=full_items(NDI), licence_reference="Ours", by=physio)
    keys = [item.key for item in NDI.items]

    refused = make(instrument="ndi")
    refused.answers = {key: 2 for key in keys[:7]}
    refused.save(update_fields=["answers"])
    with pytest.raises(ValidationError, match="3 of 10 sections are missing"):
        services.questionnaire_submit(questionnaire=refused, now=NOW)
    refused.refresh_from_db()
    assert refused.completed_at is None

    scored = make(instrument="ndi")
    scored.answers = {key: 2 for key in keys[:8]}  # 16 of 40: 40%
    scored.save(update_fields=["answers"])
    done = services.questionnaire_submit(questionnaire=scored, now=NOW)
    assert (done.score, done.answered_items) == (Decimal("40.0"), 8)
