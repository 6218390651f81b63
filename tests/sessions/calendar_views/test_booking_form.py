"""Booking, moving and cancelling an appointment through the form."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from sessions.booking import services
from sessions.models import Appointment
from tests.factories import AppointmentFactory, PatientFactory
from tests.sessions.calendar_views.conftest import seed_day
from tests.sessions.conftest import local, submitted_intake


class TestBookingForm:
    @pytest.fixture
    def url(self, physio, location):
        return reverse("sessions:appointment-new")

    def post(self, client, patient, physio, location, treatment, start, **extra):
        return client.post(
            reverse("sessions:appointment-new") + f"?patient={patient.pk}",
            {
                "practitioner": physio.pk,
                "location": location.pk,
                "type": treatment.pk,
                "start": start,
                **extra,
            },
        )

    def test_books_and_returns_to_the_day(
        self, client_for, front_desk, physio, location, treatment, hours
    ):
        patient = PatientFactory()
        response = self.post(
            client_for(front_desk), patient, physio, location, treatment, "2026-11-23T09:00"
        )
        assert response.status_code == 302
        assert "date=2026-11-23" in response.url
        assert Appointment.objects.get().created_by == front_desk

    def test_clash_message_keeps_what_was_typed(
        self, client_for, front_desk, physio, location, treatment, hours
    ):
        client = client_for(front_desk)
        self.post(client, PatientFactory(), physio, location, treatment, "2026-11-23T09:00")
        response = self.post(
            client,
            PatientFactory(),
            physio,
            location,
            treatment,
            "2026-11-23T09:15",
            front_desk_note="Prefers mornings",
        )
        page = response.content.decode()
        assert "is already booked 2026-11-23 09:00–09:30" in page
        assert 'value="2026-11-23T09:15"' in page
        assert 'value="Prefers mornings"' in page

    def test_a_time_that_does_not_exist_gets_a_message(
        self, client_for, front_desk, physio, location, treatment, hours, frozen_now
    ):
        frozen_now.move_to(local(2027, 3, 1, 10))
        response = self.post(
            client_for(front_desk),
            PatientFactory(),
            physio,
            location,
            treatment,
            "2027-03-14T02:30",
        )
        page = response.content.decode()
        assert response.status_code == 200
        assert "There is no 02:30 on 2027-03-14 in clinic time" in page
        assert "for example 03:30" in page
        assert "interpreted in time zone" not in page
        assert 'value="2027-03-14T02:30"' in page  # what was typed stays
        assert not Appointment.objects.exists()

    def test_a_repeated_time_asks_which_one_in_words(
        self, client_for, front_desk, physio, location, treatment, frozen_now
    ):
        frozen_now.move_to(local(2027, 11, 1, 10))
        client = client_for(front_desk)
        args = (client, PatientFactory(), physio, location, treatment, "2027-11-07T01:30")
        page = self.post(*args, allow_outside_hours="on").content.decode()
        assert "01:30 on 2027-11-07 happens twice" in page
        assert "interpreted in time zone" not in page
        assert "first 01:30 (MDT)" in page and "second 01:30 (MST)" in page
        assert not Appointment.objects.exists()
        response = self.post(*args, allow_outside_hours="on", start_fold="1")
        assert response.status_code == 302
        assert Appointment.objects.get().start == datetime(2027, 11, 7, 8, 30, tzinfo=UTC)

    def test_the_first_of_a_repeated_time_can_be_booked(
        self, client_for, front_desk, physio, location, treatment, frozen_now
    ):
        frozen_now.move_to(local(2027, 11, 1, 10))
        client = client_for(front_desk)
        args = (client, PatientFactory(), physio, location, treatment, "2027-11-07T01:30")
        assert self.post(*args, allow_outside_hours="on", start_fold="0").status_code == 302
        appointment = Appointment.objects.get()
        assert appointment.start == datetime(2027, 11, 7, 7, 30, tzinfo=UTC)
        assert appointment.end - appointment.start == timedelta(minutes=30)

    def test_an_ordinary_time_does_not_ask_which_one(
        self, client_for, front_desk, physio, location, treatment, hours
    ):
        patient = PatientFactory()
        url = reverse("sessions:appointment-new") + f"?patient={patient.pk}&start=2026-11-23T09:00"
        page = client_for(front_desk).get(url).content.decode()
        assert "happens twice" not in page and 'type="radio"' not in page

    def test_moving_a_visit_at_the_second_half_past_one_keeps_it_there(
        self, client_for, front_desk, physio, location, treatment, frozen_now
    ):
        frozen_now.move_to(local(2027, 11, 1, 10))
        start = datetime(2027, 11, 7, 8, 30, tzinfo=UTC)  # the second 01:30 (MST)
        visit = AppointmentFactory(
            patient=PatientFactory(),
            practitioner=physio,
            location=location,
            type=treatment,
            start=start,
        )
        client = client_for(front_desk)
        url = reverse("sessions:appointment-detail", args=[visit.pk])
        page = client.get(url).content.decode()
        assert "second 01:30 (MST)" in page
        assert re.search(r'value="1"[^>]*checked', page)
        response = client.post(
            url,
            {
                "practitioner": physio.pk,
                "location": location.pk,
                "type": treatment.pk,
                "start": "2027-11-07T01:30",
                "start_fold": "1",
                "front_desk_note": "Night shift worker",
                "allow_outside_hours": "on",
            },
        )
        assert response.status_code == 302
        visit.refresh_from_db()
        assert visit.start == start and visit.front_desk_note == "Night shift worker"

    def test_a_free_half_hour_preselects_a_type_that_fits(
        self, client_for, front_desk, physio, location, treatment, initial, hours
    ):
        services.appointment_book(
            patient=PatientFactory(),
            practitioner=physio,
            location=location,
            type=treatment,
            start=local(2026, 11, 23, 9, 30),
            created_by=front_desk,
        )
        new_patient = PatientFactory()
        url = (
            reverse("sessions:appointment-new")
            + f"?patient={new_patient.pk}&practitioner={physio.pk}&location={location.pk}"
            + "&start=2026-11-23T09:00"
        )
        page = client_for(front_desk).get(url).content.decode()
        assert re.search(rf'<option value="{treatment.pk}"[^>]*selected', page)
        assert re.search(
            rf'<option value="{initial.pk}"[^>]*disabled[^>]*>\s*'
            r"Initial assessment \+ IMS — 60 min, not free: overlaps the 09:30–10:00 visit",
            page,
        )

    def test_a_free_hour_preselects_the_first_visit_type_for_a_new_patient(
        self, client_for, front_desk, physio, location, treatment, initial, hours
    ):
        url = (
            reverse("sessions:appointment-new")
            + f"?patient={PatientFactory().pk}&practitioner={physio.pk}&location={location.pk}"
            + "&start=2026-11-23T09:00"
        )
        page = client_for(front_desk).get(url).content.decode()
        assert re.search(rf'<option value="{initial.pk}"[^>]*selected', page)
        assert "disabled" not in page

    def test_a_type_running_past_working_hours_is_explained_not_disabled(
        self, client_for, front_desk, physio, location, treatment, initial, hours
    ):
        url = (
            reverse("sessions:appointment-new")
            + f"?patient={PatientFactory().pk}&practitioner={physio.pk}&location={location.pk}"
            + "&start=2026-11-23T15:30"
        )
        page = client_for(front_desk).get(url).content.decode()
        assert "Initial assessment + IMS — 60 min, ends outside working hours" in page
        assert re.search(rf'<option value="{treatment.pk}"[^>]*selected', page)
        assert "disabled" not in page

    def test_a_chosen_type_that_no_longer_fits_stays_chosen_with_the_reason(
        self, client_for, front_desk, physio, location, treatment, initial, hours
    ):
        client = client_for(front_desk)
        self.post(client, PatientFactory(), physio, location, treatment, "2026-11-23T09:30")
        page = self.post(
            client, PatientFactory(), physio, location, initial, "2026-11-23T09:00"
        ).content.decode()
        assert "is already booked 2026-11-23 09:30" in page
        assert re.search(rf'<option value="{initial.pk}" selected>', page)  # not disabled

    def test_a_patient_not_cleared_that_day_is_told_before_submitting(
        self, client_for, front_desk, physio, location, treatment, initial, talk, hours
    ):
        patient = PatientFactory()
        submitted_intake(
            patient, surgeries={"rows": [{"date": "2026-11-01", "description": "Hernia repair"}]}
        )
        url = (
            reverse("sessions:appointment-new")
            + f"?patient={patient.pk}&practitioner={physio.pk}&location={location.pk}"
            + "&start=2026-11-23T09:00"
        )
        page = client_for(front_desk).get(url).content.decode()
        assert (
            "Needling on 2026-11-23: Not before 2027-01-24, physiotherapist to review. "
            "To book needling anyway, say why here." in page
        )
        assert "IMS treatment — needs an override note that day" in page
        assert re.search(rf'<option value="{talk.pk}"[^>]*selected', page)  # the one that fits
        assert "Hernia" not in page

    # Gates that could make typed values be ignored: each with the gate off and the
    # dependent fields filled. What was typed either counts or stays on the page.
    def test_an_override_note_for_a_patient_cleared_that_day_is_kept(
        self, client_for, front_desk, physio, location, treatment, hours
    ):
        patient = PatientFactory()
        submitted_intake(patient)  # nothing blocks needling: the note is not needed
        self.post(
            client_for(front_desk),
            patient,
            physio,
            location,
            treatment,
            "2026-11-23T09:00",
            eligibility_override="Check the shoulder again first",
        )
        assert Appointment.objects.get().eligibility_override == "Check the shoulder again first"

    def test_an_override_note_for_a_visit_without_needling_is_kept(
        self, client_for, front_desk, physio, location, talk, hours
    ):
        self.post(
            client_for(front_desk),
            PatientFactory(),
            physio,
            location,
            talk,
            "2026-11-23T09:00",
            eligibility_override="Talk about needling next time",
        )
        assert Appointment.objects.get().eligibility_override == "Talk about needling next time"

    def test_outside_hours_without_the_box_is_refused_on_the_box_keeping_what_was_typed(
        self, client_for, front_desk, physio, location, treatment, hours
    ):
        page = self.post(
            client_for(front_desk),
            PatientFactory(),
            physio,
            location,
            treatment,
            "2026-11-23T17:00",
            front_desk_note="After work only",
            eligibility_override="Reassess first",
        ).content.decode()
        assert not Appointment.objects.exists()
        box = page.index('name="allow_outside_hours"')
        assert "Tick the box to book it anyway" in page[box : box + 1500]
        for typed in (
            'value="2026-11-23T17:00"',
            'value="After work only"',
            'value="Reassess first"',
        ):
            assert typed in page

    def test_moving_outside_hours_without_the_box_keeps_what_was_typed(
        self, client_for, front_desk, physio, location, treatment, hours
    ):
        client = client_for(front_desk)
        self.post(client, PatientFactory(), physio, location, treatment, "2026-11-23T09:00")
        visit = Appointment.objects.get()
        page = client.post(
            reverse("sessions:appointment-detail", args=[visit.pk]),
            {
                "practitioner": physio.pk,
                "location": location.pk,
                "type": treatment.pk,
                "start": "2026-11-23T18:00",
                "front_desk_note": "Moved to the evening",
            },
        ).content.decode()
        assert "Tick the box to book it anyway" in page
        assert 'value="2026-11-23T18:00"' in page and 'value="Moved to the evening"' in page
        visit.refresh_from_db()
        assert visit.start == local(2026, 11, 23, 9)

    @pytest.mark.parametrize(
        "query",
        [
            "start=2027-11-07T01:30&start_fold=x&practitioner=99999999999999999999",
            "start=2027-03-14T02:30&location=x",
            "start=yesterday&practitioner=-1",
            "start=2027-11-07T25:30&start_fold=2",
        ],
    )
    def test_odd_booking_parameters_give_the_form_not_an_error(
        self, client_for, front_desk, location, treatment, query
    ):
        url = reverse("sessions:appointment-new") + f"?patient={PatientFactory().pk}&{query}"
        client = client_for(front_desk)
        assert client.get(url).status_code == 200
        assert client.post(url, dict(p.split("=") for p in query.split("&"))).status_code == 200

    def test_quick_create_then_book(self, client_for, front_desk):
        client = client_for(front_desk)
        response = client.post(
            reverse("sessions:appointment-new") + "?start=2026-11-23T09:00",
            {
                "legal_first_name": "Nia",
                "legal_last_name": "Obi",
                "date_of_birth": "1990-02-03",
                "phone": "403-555-0000",
                "email": "",
            },
        )
        assert response.status_code == 302
        assert "patient=" in response.url and "start=2026-11-23T09%3A00" in response.url

    def test_patient_search_when_choosing(self, client_for, front_desk):
        PatientFactory(legal_first_name="Zoë", legal_last_name="Kowalski")
        page = (
            client_for(front_desk)
            .get(reverse("sessions:appointment-new") + "?q=zoe")
            .content.decode()
        )
        assert "Kowalski, Zoë" in page

    def test_cancel_without_reason_is_explained(
        self, client_for, front_desk, physio, location, treatment, hours
    ):
        client = client_for(front_desk)
        self.post(client, PatientFactory(), physio, location, treatment, "2026-11-23T09:00")
        appointment = Appointment.objects.get()
        response = client.post(
            reverse("sessions:appointment-cancel", args=[appointment.pk]), {"reason": ""}
        )
        assert "Please give the reason for cancelling." in response.content.decode()
        assert Appointment.objects.get().status == "booked"


def test_a_refused_cancel_keeps_the_reschedule_form_filled(
    client_for, front_desk, physio, location, treatment
):
    seed_day(physio, location, treatment, 1)
    visit = Appointment.objects.get()
    page = (
        client_for(front_desk)
        .post(reverse("sessions:appointment-cancel", args=[visit.pk]), {"reason": ""})
        .content.decode()
    )
    assert 'value="2026-11-23T08:00"' in page
    assert f'action="{reverse("sessions:appointment-detail", args=[visit.pk])}"' in page
