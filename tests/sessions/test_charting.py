from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from clinic.models import AuditEvent
from intake.forms import NeedlesStep
from intake.models import HealthUpdate
from intake.screening import Outcome, Pregnancy
from sessions.booking import services
from sessions.charting import selectors as chart_selectors
from sessions.charting import services as charting
from sessions.charting import views as chart_views
from sessions.charting.forms import NoteForm, SafetyCheckForm
from sessions.models import (
    Addendum,
    AdverseEvent,
    CheckinAnswer,
    Muscle,
    NeedlingSite,
    NoteIsSigned,
    Visit,
)
from tests.factories import (
    AppointmentFactory,
    NeedlingAuthorisationFactory,
    PatientFactory,
    ScheduledMessageFactory,
    VisitFactory,
)
from tests.sessions.conftest import local, submitted_intake

SITE = {
    "side": "left",
    "depth_cm": Decimal("4.5"),
    "insertions": 2,
    "twitch": "strong",
    "tolerance": "good",
}
SIGNED = "This note is signed; add an addendum instead."
CLEAN = {
    "single_use_sterile": True,
    "skin_antisepsis": True,
    "gloves": True,
    "sharps_disposal": True,
}


@pytest.fixture
def authorised(physio):
    return NeedlingAuthorisationFactory(
        practitioner=physio, valid_from=date(2024, 1, 1), valid_until=date(2027, 1, 1)
    )


@pytest.fixture
def patient(db):
    patient = PatientFactory(email="marcus@example.com")
    submitted_intake(patient, needles={"pregnancy": "no", "needle_fear": "none"})
    return patient


@pytest.fixture
def visit(physio, patient, location, treatment):
    appointment = AppointmentFactory(
        patient=patient,
        practitioner=physio,
        location=location,
        type=treatment,
        start=local(2026, 11, 20, 9, 30),
    )
    return charting.visit_open(appointment=appointment, author=physio)


def visit_in_course(physio, patient, location, treatment, day: int, **fields) -> Visit:
    """A visit ``day`` days after 2026-09-01 in the patient's active course."""
    start = local(2026, 9, 1, 9) + timedelta(days=day)
    return VisitFactory(
        appointment=AppointmentFactory(
            patient=patient,
            practitioner=physio,
            location=location,
            type=treatment,
            start=start,
            minutes=30,
        ),
        author=physio,
        **fields,
    )


@pytest.fixture
def gluteus(db):
    return Muscle.objects.get_or_create(
        name="Gluteus medius", defaults={"region": "hip", "nerve_roots": "L4-S1"}
    )[0]


@pytest.fixture
def multifidus(db):
    return Muscle.objects.get_or_create(
        name="Lumbar multifidus",
        defaults={"region": "spine", "nerve_roots": "L1-S1", "is_paraspinal": True},
    )[0]


def check(visit, physio, **changes):
    answers = dict(
        pregnancy="no",
        surgery_date=None,
        surgery_description="",
        anticoagulants=False,
        medication_notes="",
        consent_today=True,
    )
    answers.update(changes)
    return charting.visit_safety_check(visit=visit, by=physio, **answers)


@pytest.fixture
def ready(visit, physio, authorised):
    """A draft on which needling may be recorded."""
    check(visit, physio)
    charting.visit_acknowledge(visit=visit, by=physio)
    visit.refresh_from_db()
    return visit


def make_signable(visit, sites=1, out=None, back=None):
    visit.nprs_before = 6
    visit.needle_product, visit.needle_size = "Seirin J", "0.30 × 50 mm"
    visit.needles_out = out if out is not None else sites
    visit.needles_back = back if back is not None else sites
    for name, value in CLEAN.items():
        setattr(visit, name, value)
    visit.save()


def sign(visit, physio):
    return charting.visit_sign(
        visit=visit,
        by=physio,
        aftercare_template=None,
        aftercare_text="Soreness for a day or two is normal.",
        home_exercises="Walk daily",
    )


class TestHardStops:
    def test_no_needling_before_the_safety_check(self, visit, authorised, gluteus):
        with pytest.raises(ValidationError, match="safety check"):
            charting.site_add(visit=visit, muscle=gluteus, **SITE)

    def test_no_needling_without_consent_today(self, visit, physio, authorised, gluteus):
        check(visit, physio, consent_today=False)
        with pytest.raises(ValidationError, match="consent for today"):
            charting.site_add(visit=visit, muscle=gluteus, **SITE)

    def test_no_needling_on_a_contraindicated_date(self, ready, physio, gluteus):
        check(ready, physio, surgery_date=date(2026, 11, 1), surgery_description="Hernia repair")
        charting.visit_acknowledge(visit=ready, by=physio)
        assert ready.verdict().outcome == Outcome.CONTRAINDICATED
        with pytest.raises(ValidationError, match="contraindicated on 2026-11-20"):
            charting.site_add(visit=ready, muscle=gluteus, **SITE)

    def test_pregnancy_reported_today_stops_needling_at_once(self, ready, physio, gluteus):
        check(ready, physio, pregnancy="possibly")
        charting.visit_acknowledge(visit=ready, by=physio)
        with pytest.raises(ValidationError, match="Pregnancy"):
            charting.site_add(visit=ready, muscle=gluteus, **SITE)

    def test_no_needling_with_an_expired_authorisation(self, visit, physio, authorised, gluteus):
        authorised.valid_until = date(2026, 11, 19)
        authorised.save()
        check(visit, physio)
        charting.visit_acknowledge(visit=visit, by=physio)
        with pytest.raises(ValidationError, match="no needling authorisation valid on 2026-11-20"):
            charting.site_add(visit=visit, muscle=gluteus, **SITE)

    def test_authorisation_valid_through_its_last_day(self, visit, physio, authorised, gluteus):
        authorised.valid_until = date(2026, 11, 20)
        authorised.save()
        check(visit, physio)
        charting.visit_acknowledge(visit=visit, by=physio)
        charting.site_add(visit=visit, muscle=gluteus, **SITE)

    def test_a_new_precaution_must_be_acknowledged_first(self, ready, physio, gluteus):
        check(ready, physio, anticoagulants=True)  # a new precaution resets the acknowledgement
        with pytest.raises(
            ValidationError, match="Acknowledge the precautions first: Blood thinners"
        ):
            charting.site_add(visit=ready, muscle=gluteus, **SITE)
        codes = charting.visit_acknowledge(visit=ready, by=physio)
        assert codes == ["anticoagulants"]
        ready.refresh_from_db()
        assert ready.acknowledged_by == physio and ready.acknowledged_at is not None
        charting.site_add(visit=ready, muscle=gluteus, **SITE)

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


class TestSites:
    def test_paraspinal_sites_need_a_level(self, ready, multifidus):
        with pytest.raises(ValidationError, match="spinal level"):
            charting.site_add(visit=ready, muscle=multifidus, **SITE)
        site = charting.site_add(visit=ready, muscle=multifidus, spinal_level="L4-L5", **SITE)
        assert site.spinal_level == "L4-L5"

    @pytest.mark.parametrize("depth", ["0.4", "12.1", "-1"])
    def test_depth_outside_half_to_twelve_cm_is_refused(self, ready, gluteus, depth):
        with pytest.raises(ValidationError, match="depth_cm"):
            charting.site_add(visit=ready, muscle=gluteus, **{**SITE, "depth_cm": Decimal(depth)})

    def test_malformed_level_is_explained(self, ready, multifidus):
        with pytest.raises(ValidationError, match="C5-C6 or L4-L5"):
            charting.site_add(visit=ready, muscle=multifidus, spinal_level="L9", **SITE)


class TestSigning:
    def test_needle_count_mismatch_blocks_signing(self, ready, physio, gluteus):
        charting.site_add(visit=ready, muscle=gluteus, **SITE)
        make_signable(ready, out=3, back=2)
        with pytest.raises(
            ValidationError, match="Needle count mismatch: 3 taken out, 2 counted back"
        ):
            sign(ready, physio)
        ready.refresh_from_db()
        assert not ready.is_signed

    def test_incomplete_clean_technique_blocks_signing(self, ready, physio, gluteus):
        charting.site_add(visit=ready, muscle=gluteus, **SITE)
        make_signable(ready)
        ready.gloves = False
        ready.save()
        with pytest.raises(ValidationError, match="clean-technique"):
            sign(ready, physio)

    def test_only_the_author_signs(self, ready, gluteus):
        from tests.factories import UserFactory

        other = UserFactory(role=services.Role.PHYSIO)
        make_signable(ready, sites=0)
        with pytest.raises(ValidationError, match="Only the author"):
            sign(ready, other)

    def test_signing_completes_the_visit_and_sends_aftercare_after_commit(
        self, ready, physio, gluteus, django_capture_on_commit_callbacks, client
    ):
        charting.site_add(visit=ready, muscle=gluteus, **SITE)
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
        path = charting.aftercare_link(delivery).removeprefix("http://127.0.0.1:8000")
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


class TestLock:
    @pytest.fixture
    def signed(self, ready, physio, gluteus):
        charting.site_add(visit=ready, muscle=gluteus, **SITE)
        make_signable(ready)
        sign(ready, physio)
        ready.refresh_from_db()
        return ready

    def test_save_is_refused(self, signed):
        signed.plan = "changed"
        with pytest.raises(NoteIsSigned):
            signed.save()

    def test_queryset_update_and_delete_are_refused(self, signed):
        with pytest.raises(NoteIsSigned):
            Visit.objects.filter(pk=signed.pk).update(plan="changed")
        with pytest.raises(NoteIsSigned):
            Visit.objects.filter(pk=signed.pk).delete()
        with pytest.raises(NoteIsSigned):
            NeedlingSite.objects.filter(visit=signed).update(depth_cm=1)

    def test_sites_under_a_signed_note_cannot_change(self, signed, gluteus):
        site = signed.sites.get()
        site.depth_cm = Decimal("1.0")
        with pytest.raises(NoteIsSigned):
            site.save()
        with pytest.raises(NoteIsSigned):
            site.delete()
        with pytest.raises(NoteIsSigned):
            charting.site_add(visit=signed, muscle=gluteus, **SITE)

    def test_adding_a_site_to_a_signed_note_is_the_one_signed_refusal(self, signed, gluteus):
        with pytest.raises(NoteIsSigned) as refused:
            charting.site_add(visit=signed, muscle=gluteus, **SITE)
        assert refused.value.messages == [SIGNED]

    def test_saving_a_signed_note_is_the_one_signed_refusal(self, signed):
        with pytest.raises(NoteIsSigned) as refused:
            charting.visit_note_save(visit=signed, plan="changed")
        assert refused.value.messages == [SIGNED]

    def test_the_chart_refuses_a_signed_note_in_the_one_wording(self, client_for, physio, signed):
        response = client_for(physio).post(
            reverse("sessions:note-save", args=[signed.pk]), {"plan": "x"}, follow=True
        )
        assert [str(m) for m in response.context["messages"]] == [SIGNED]

    @pytest.mark.parametrize("autosave", [False, True])
    def test_a_note_signed_while_a_form_was_open_is_refused_not_a_500(
        self, client_for, physio, ready, gluteus, monkeypatch, autosave
    ):
        """Signed in another tab between the page's check and the write (the view holds
        the unsigned copy it loaded): the signed-note refusal, not an error page."""
        stale = Visit.objects.get(pk=ready.pk)
        charting.site_add(visit=ready, muscle=gluteus, **SITE)
        make_signable(ready)
        sign(ready, physio)
        monkeypatch.setattr(chart_views, "_visit", lambda pk: stale)
        extra = {"HTTP_X_AUTOSAVE": "1"} if autosave else {}
        response = client_for(physio).post(
            reverse("sessions:note-save", args=[ready.pk]), {"plan": "changed"}, **extra
        )
        assert response.status_code == (409 if autosave else 302)
        ready.refresh_from_db()
        assert ready.plan != "changed"

    def test_autosave_of_a_signed_note_answers_the_one_wording(self, client_for, physio, signed):
        response = client_for(physio).post(
            reverse("sessions:note-save", args=[signed.pk]), {"plan": "x"}, HTTP_X_AUTOSAVE="1"
        )
        assert response.json() == {"error": SIGNED}

    def test_forms_refuse_changes_after_signing(self, client_for, physio, signed):
        client = client_for(physio)
        response = client.post(reverse("sessions:note-save", args=[signed.pk]), {"plan": "x"})
        assert response.status_code == 302
        signed.refresh_from_db()
        assert signed.plan == ""
        autosave = client.post(
            reverse("sessions:note-save", args=[signed.pk]), {"plan": "x"}, HTTP_X_AUTOSAVE="1"
        )
        assert autosave.status_code == 409

    def test_the_admin_has_no_way_to_edit_visits(self, client_for, clinic_admin, signed):
        client = client_for(clinic_admin)
        assert client.get("/admin/treatment_sessions/visit/").status_code == 404
        assert client.get(f"/admin/treatment_sessions/visit/{signed.pk}/change/").status_code == 404

    def test_addenda_by_the_author_keep_the_original(self, signed, physio):
        addendum = charting.addendum_add(
            visit=signed, author=physio, reason="Typo", text="Depth 4 cm"
        )
        signed.refresh_from_db()
        assert signed.plan == "" and addendum.created_at is not None
        with pytest.raises(NoteIsSigned):
            addendum.save()
        with pytest.raises(NoteIsSigned):
            Addendum.objects.all().update(text="x")

    def test_addenda_by_someone_else_are_refused(self, signed):
        from tests.factories import UserFactory

        with pytest.raises(ValidationError, match="Only the author"):
            charting.addendum_add(
                visit=signed, author=UserFactory(role=services.Role.PHYSIO), reason="x", text="y"
            )

    @pytest.mark.postgres
    @pytest.mark.parametrize(
        "sql",
        [
            "UPDATE treatment_sessions_visit SET plan = 'edited' WHERE id = {visit}",
            "DELETE FROM treatment_sessions_visit WHERE id = {visit}",
            "UPDATE treatment_sessions_needlingsite SET depth_cm = 1 WHERE visit_id = {visit}",
            "DELETE FROM treatment_sessions_needlingsite WHERE visit_id = {visit}",
            "INSERT INTO treatment_sessions_needlingsite (visit_id, muscle_id, side,"
            " spinal_level, depth_cm, insertions, twitch, tolerance, created_at)"
            " SELECT visit_id, muscle_id, side, '', 2, 1, 'none', 'good', now()"
            " FROM treatment_sessions_needlingsite WHERE visit_id = {visit}",
        ],
    )
    def test_postgres_refuses_changes_in_sql(self, signed, sql):
        with pytest.raises(DatabaseError, match="signed"):
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(sql.format(visit=signed.pk))
        assert Visit.objects.get(pk=signed.pk).plan == ""

    @pytest.mark.postgres
    def test_postgres_refuses_changing_an_addendum_in_sql(self, signed, physio):
        charting.addendum_add(visit=signed, author=physio, reason="Typo", text="Depth 4 cm")
        with pytest.raises(DatabaseError, match="addenda"):
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("UPDATE treatment_sessions_addendum SET text = 'x'")


class TestAccess:
    def test_front_desk_cannot_open_a_chart_and_it_is_audited(self, client_for, front_desk, visit):
        response = client_for(front_desk).get(
            reverse("sessions:chart", args=[visit.appointment_id])
        )
        assert response.status_code == 403
        assert AuditEvent.objects.filter(user=front_desk, action="denied").exists()

    @pytest.mark.parametrize(
        "name", ["sessions:timeline", "sessions:visit-print", "sessions:adverse-events"]
    )
    def test_front_desk_cannot_read_clinical_pages(self, client_for, front_desk, visit, name):
        args = {"sessions:timeline": [visit.patient.pk], "sessions:visit-print": [visit.pk]}
        url = reverse(name, args=args.get(name, []))
        assert client_for(front_desk).get(url).status_code == 403

    def test_chart_views_are_audited(self, client_for, physio, visit):
        client_for(physio).get(reverse("sessions:chart", args=[visit.appointment_id]))
        assert AuditEvent.objects.filter(
            user=physio, action="view", object_id=str(visit.pk)
        ).exists()

    def test_a_cancelled_appointment_has_no_chart(
        self, client_for, physio, patient, location, treatment
    ):
        appointment = AppointmentFactory(
            patient=patient,
            practitioner=physio,
            location=location,
            type=treatment,
            start=local(2026, 11, 20, 11),
            course=None,
            status="cancelled",
        )
        response = client_for(physio).get(
            reverse("sessions:chart", args=[appointment.pk]), follow=True
        )
        assert "cancelled" in response.content.decode()
        assert not Visit.objects.exists()


class TestDraftsAndTimeline:
    def test_autosave_keeps_the_draft(self, client_for, physio, visit):
        response = client_for(physio).post(
            reverse("sessions:note-save", args=[visit.pk]),
            {"subjective": "Better sleep this week", "nprs_before": "5"},
            HTTP_X_AUTOSAVE="1",
        )
        assert response.status_code == 200 and "saved" in response.json()
        visit.refresh_from_db()
        assert visit.subjective == "Better sleep this week"

    def test_invalid_note_keeps_what_was_typed(self, client_for, physio, visit):
        response = client_for(physio).post(
            reverse("sessions:note-save", args=[visit.pk]),
            {"subjective": "Typed <b>text</b>", "nprs_before": "11"},
        )
        page = response.content.decode()
        assert "Ensure this value is less than or equal to 10" in page
        assert "Typed &lt;b&gt;text&lt;/b&gt;" in page

    def test_notes_to_sign_on_the_physio_home(self, client_for, physio, visit):
        page = client_for(physio).get(reverse("home")).content.decode()
        assert (
            "Notes to sign" in page
            and reverse("sessions:chart", args=[visit.appointment_id]) in page
        )

    def test_timeline_queries_do_not_grow_with_visits_and_sites(
        self,
        client_for,
        physio,
        patient,
        location,
        treatment,
        authorised,
        gluteus,
        django_assert_max_num_queries,
    ):
        for i in range(20):
            visit = visit_in_course(
                physio, patient, location, treatment, i, nprs_before=7, nprs_after=3
            )
            NeedlingSite.objects.bulk_create(
                NeedlingSite(visit=visit, muscle=gluteus, side="left", depth_cm=3, twitch="weak")
                for _ in range(10)
            )
        client = client_for(physio)
        with django_assert_max_num_queries(14):
            page = client.get(reverse("sessions:timeline", args=[patient.pk])).content.decode()
        assert page.count("<circle") == 40
        assert "visit 20 of 8–10" in page

    def test_chart_queries_do_not_grow_with_the_record(
        self,
        client_for,
        physio,
        patient,
        location,
        treatment,
        authorised,
        gluteus,
        django_assert_max_num_queries,
    ):
        """A long course, a previous visit with check-ins, many sites, events and addenda."""
        for day in range(12):
            earlier = visit_in_course(
                physio, patient, location, treatment, day, nprs_before=6, nprs_after=2
            )
            for hours in (24, 48):
                message = ScheduledMessageFactory(
                    key=f"checkin:{earlier.pk}:{hours}",
                    visit=earlier,
                    hours_after=hours,
                    due_at=earlier.appointment.end + timedelta(hours=hours),
                )
                CheckinAnswer.objects.bulk_create(
                    CheckinAnswer(message=message, soreness=s, compared="expected") for s in (4, 3)
                )
            Visit.objects.filter(pk=earlier.pk).update(status=Visit.Status.SIGNED)
        current = visit_in_course(physio, patient, location, treatment, 40)
        check = HealthUpdate.objects.create(
            patient=patient, source="Day-of-visit safety check", pregnancy="no", recorded_by=physio
        )
        Visit.objects.filter(pk=current.pk).update(safety_check=check, consent_today=True)
        NeedlingSite.objects.bulk_create(
            NeedlingSite(visit=current, muscle=gluteus, side="left", depth_cm=3, twitch="weak")
            for _ in range(10)
        )
        AdverseEvent.objects.bulk_create(
            AdverseEvent(visit=current, kind="bruising", action_taken="Ice") for _ in range(5)
        )
        client = client_for(physio)
        url = reverse("sessions:chart", args=[current.appointment_id])
        with django_assert_max_num_queries(15):
            page = client.get(url).content.decode()
        assert page.count("Gluteus medius") >= 10
        assert "visit 13 of 8–10" in page
        assert "Check-in at 48 h: soreness" in page  # the previous visit's answers

        Visit.objects.filter(pk=current.pk).update(status=Visit.Status.SIGNED)
        for n in range(4):
            Addendum.objects.create(visit=current, author=physio, reason="Typo", text=f"Fix {n}")
        with django_assert_max_num_queries(15):
            page = client.get(url).content.decode()
        assert page.count("reason: Typo") == 4


def test_nprs_chart_places_points_on_a_zero_to_ten_scale():
    class V:
        def __init__(self, before, after, day):
            self.nprs_before, self.nprs_after, self.day = before, after, day

    chart = chart_selectors.nprs_chart(
        [V(10, 0, date(2026, 1, 1)), V(5, None, date(2026, 1, 8))], width=200, height=132
    )
    before, after = chart["series"]
    assert before["points"] == "32.0,32.0 168.0,66.0"
    assert after["points"] == "32.0,100.0"
    # Plain strings for the SVG: never localised (a decimal comma would break it).
    assert before["dots"][0] == ("32.0", "32.0", "10", "2026-01-01")
    assert chart["labels"] == [("32.0", "1"), ("168.0", "2")]


# --- Nothing typed is thrown away; reading writes nothing; repeats count once ---------

SAFETY = {"pregnancy": "no", "consent_today": "on"}


def post_check(client, visit, **fields):
    return client.post(reverse("sessions:safety-check", args=[visit.pk]), SAFETY | fields)


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


class TestReadingWritesNothing:
    @pytest.fixture
    def appointment(self, physio, patient, location, treatment):
        return AppointmentFactory(
            patient=patient,
            practitioner=physio,
            location=location,
            type=treatment,
            start=local(2026, 11, 27, 9, 30),
        )

    def test_opening_a_future_chart_creates_no_draft(self, client_for, physio, appointment):
        client = client_for(physio)
        response = client.get(reverse("sessions:chart", args=[appointment.pk]))
        assert response.status_code == 200
        assert "Day-of-visit safety check" in response.content.decode()
        assert not Visit.objects.exists()
        assert AuditEvent.objects.filter(
            user=physio, action="view", patient=appointment.patient
        ).exists()
        home = client.get(reverse("home")).content.decode()
        assert reverse("sessions:chart", args=[appointment.pk]) not in home

    def test_the_first_save_starts_the_draft(self, client_for, physio, appointment):
        chart_url = reverse("sessions:chart", args=[appointment.pk])
        response = client_for(physio).post(f"{chart_url}?part=safety", SAFETY)
        visit = Visit.objects.get()
        assert response.status_code == 302 and response.url == f"{chart_url}#screening"
        assert visit.appointment == appointment and visit.author == physio
        assert visit.safety_check is not None and visit.consent_today

    def test_a_refused_first_save_starts_no_draft(self, client_for, physio, appointment):
        chart_url = reverse("sessions:chart", args=[appointment.pk])
        response = client_for(physio).post(f"{chart_url}?part=safety", {"consent_today": "on"})
        assert response.status_code == 200
        assert "This field is required." in response.content.decode()
        assert not Visit.objects.exists()

    def test_the_first_autosave_starts_the_draft(self, client_for, physio, appointment):
        chart_url = reverse("sessions:chart", args=[appointment.pk])
        client = client_for(physio)
        for text in ("Slept", "Slept better"):
            response = client.post(
                f"{chart_url}?part=note", {"subjective": text}, HTTP_X_AUTOSAVE="1"
            )
            assert response.status_code == 200
        assert Visit.objects.get().subjective == "Slept better"

    def test_an_unknown_part_is_refused(self, client_for, physio, appointment):
        chart_url = reverse("sessions:chart", args=[appointment.pk])
        response = client_for(physio).post(f"{chart_url}?part=nope", SAFETY)
        assert response.status_code == 400
        assert not Visit.objects.exists()


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
        data = {"muscle": gluteus.pk, **SITE}
        for _ in range(2):
            response = client.post(reverse("sessions:site-add", args=[ready.pk]), data)
            assert response.status_code == 302
        assert ready.sites.count() == 1

    def test_a_double_clicked_remove_lands_back_on_the_chart(
        self, client_for, physio, ready, gluteus
    ):
        site = charting.site_add(visit=ready, muscle=gluteus, **SITE)
        client = client_for(physio)
        url = reverse("sessions:site-remove", args=[site.pk])
        assert client.post(url, {"visit": ready.pk}).status_code == 302
        again = client.post(url, {"visit": ready.pk})
        chart_url = reverse("sessions:chart", args=[ready.appointment_id])
        assert again.status_code == 302 and again.url == f"{chart_url}#sites"
        assert client.post(url, {"visit": "9" * 40}).status_code == 404
        assert not ready.sites.exists()

    def test_a_double_clicked_adverse_event_is_recorded_once(self, client_for, physio, visit):
        client = client_for(physio)
        data = {"kind": "bruising", "description": "Left buttock", "action_taken": "Ice"}
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


class TestAftercareTemplateChoice:
    @pytest.fixture
    def heat_and_ice(self, db):
        from sessions.models import AftercareTemplate

        AftercareTemplate.objects.all().delete()
        return (
            AftercareTemplate.objects.create(name="Heat", body="Put heat on the area."),
            AftercareTemplate.objects.create(name="Ice", body="Ice the area, rest."),
        )

    def test_a_template_chosen_but_not_loaded_is_refused_on_the_field(
        self, client_for, physio, ready, heat_and_ice
    ):
        heat, ice = heat_and_ice
        make_signable(ready, sites=0)
        response = client_for(physio).post(
            reverse("sessions:sign", args=[ready.pk]),
            {"aftercare_template": ice.pk, "aftercare_text": heat.body, "home_exercises": "Walk"},
        )
        page = response.content.decode()
        assert "The text below is the “Heat” template, not “Ice”" in page
        assert 'href="#id_aftercare_template"' in page
        ready.refresh_from_db()
        assert not ready.is_signed

    def test_an_adapted_text_is_signed_with_the_chosen_template(
        self, client_for, physio, ready, heat_and_ice
    ):
        heat, ice = heat_and_ice
        make_signable(ready, sites=0)
        client_for(physio).post(
            reverse("sessions:sign", args=[ready.pk]),
            {"aftercare_template": ice.pk, "aftercare_text": "Ice the area; walk later."},
        )
        ready.refresh_from_db()
        assert ready.is_signed and ready.aftercare_template == ice

    def test_using_a_template_loads_it_and_keeps_the_home_exercises(
        self, client_for, physio, ready, heat_and_ice
    ):
        heat, ice = heat_and_ice
        response = client_for(physio).post(
            reverse("sessions:sign", args=[ready.pk]),
            {
                "aftercare_template": ice.pk,
                "aftercare_text": heat.body,
                "home_exercises": "Cat-camel stretch",
                "use_template": "1",
            },
        )
        form = response.context["sign_form"]
        assert form["aftercare_text"].value() == ice.body
        assert form["home_exercises"].value() == "Cat-camel stretch"
        assert form["aftercare_template"].value() == ice.pk
        ready.refresh_from_db()
        assert not ready.is_signed


def test_the_safety_check_offers_the_intake_pregnancy_answers_but_talking_later():
    intake_answers = dict(NeedlesStep.base_fields["pregnancy"].choices)
    del intake_answers[Pregnancy.DISCUSS.value]
    assert dict(SafetyCheckForm.base_fields["pregnancy"].choices) == intake_answers


def test_the_intake_offers_every_pregnancy_answer_the_screening_knows():
    offered = {value for value, _ in NeedlesStep.base_fields["pregnancy"].choices}
    assert offered == {answer.value for answer in Pregnancy}


@pytest.mark.parametrize("chosen", ["abc", "1.5", "9" * 30, ""])
def test_an_odd_template_choice_with_use_template_is_no_error(client_for, physio, ready, chosen):
    """`aftercare_template=abc` with "Use this template" reached the ORM: a 500."""
    response = client_for(physio).post(
        reverse("sessions:sign", args=[ready.pk]),
        {"aftercare_template": chosen, "aftercare_text": "Rest", "use_template": "1"},
    )
    assert response.status_code == 200
    assert response.context["sign_form"]["aftercare_text"].value() == "Rest"
