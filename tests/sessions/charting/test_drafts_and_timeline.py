"""Who may open a chart, drafts (reading a chart writes nothing; the first save starts
the draft), and the patient's timeline with its NPRS chart."""

from datetime import date, timedelta

import pytest
from django.urls import reverse

from clinic.models import AuditEvent
from intake.models import HealthUpdate
from sessions.charting import selectors as chart_selectors
from sessions.documents.services import documents_upload
from sessions.models import Addendum, AdverseEvent, CheckinAnswer, NeedlingSite, Visit
from tests.factories import AppointmentFactory, ScheduledMessageFactory, VisitFactory
from tests.sessions.charting.conftest import SAFETY, shown
from tests.sessions.conftest import local
from tests.sessions.documents.samples import make_pdf_bytes


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
            {"subjective": "Better sleep this week", "nprs_before": "5", **shown(visit)},
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
        assert "NPRS runs from 0 to 10." in page
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
        uploads = [(f"referral-{n}.pdf", make_pdf_bytes()) for n in range(5)]
        documents_upload(patient=patient, uploads=uploads, kind="referral")
        client = client_for(physio)
        with django_assert_max_num_queries(15):  # 14, plus the documents
            page = client.get(reverse("sessions:timeline", args=[patient.pk])).content.decode()
        assert page.count("<circle") == 40
        assert page.count('class="doc-thumb"') == 5
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
        # 16: the header's outcome scores of the course are one query.
        with django_assert_max_num_queries(16):
            page = client.get(url).content.decode()
        assert page.count("Gluteus medius") >= 10
        assert "visit 13 of 8–10" in page
        assert "Check-in at 48 h: soreness" in page  # the previous visit's answers

        Visit.objects.filter(pk=current.pk).update(status=Visit.Status.SIGNED)
        for n in range(4):
            Addendum.objects.create(visit=current, author=physio, reason="Typo", text=f"Fix {n}")
        with django_assert_max_num_queries(16):
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
        response = client_for(physio).post(f"{chart_url}?part=safety", SAFETY | {"version": "1"})
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
        for version, text in ((1, "Slept"), (2, "Slept better")):
            response = client.post(
                f"{chart_url}?part=note",
                {"subjective": text, "version": version},
                HTTP_X_AUTOSAVE="1",
            )
            assert response.status_code == 200
        assert Visit.objects.get().subjective == "Slept better"

    def test_an_unknown_part_is_refused(self, client_for, physio, appointment):
        chart_url = reverse("sessions:chart", args=[appointment.pk])
        response = client_for(physio).post(f"{chart_url}?part=nope", SAFETY)
        assert response.status_code == 400
        assert not Visit.objects.exists()
