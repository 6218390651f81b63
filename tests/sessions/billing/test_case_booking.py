"""Booking under a payer case: the Bill to select, "visit k of N authorised" on the form,
the calendars and the visit page, and the refusal (overridable with a reason) of a
visit beyond the authorisation's count or dates."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from clinic.models import AuditEvent
from sessions.billing.selectors import visit_authorisation, with_case_visit_number
from sessions.booking import services as booking
from sessions.models import Appointment, Course
from tests.factories import AppointmentFactory, PatientFactory, PayerCaseFactory
from tests.sessions.calendar_views.conftest import seed_day
from tests.sessions.conftest import local

pytestmark = pytest.mark.django_db

MONDAY = (2026, 11, 23)


@pytest.fixture
def case(patient):
    """WCB claim 12345: two visits authorised, 2026-11-01 to 2026-11-30."""
    return PayerCaseFactory(
        patient=patient,
        payer_name="WCB",
        claim_number="12345",
        authorised_visits=2,
        authorised_from=date(2026, 11, 1),
        authorised_until=date(2026, 11, 30),
    )


@pytest.fixture
def used_up(case, patient, physio, location, treatment):
    """Both authorised visits taken (last week)."""
    for day in (16, 17):
        AppointmentFactory(
            patient=patient, practitioner=physio, location=location, type=treatment,
            start=local(2026, 11, day, 9), payer_case=case, status="completed",
        )  # fmt: skip
    return case


def book(client, patient, physio, location, treatment, start="2026-11-23T09:00", **extra):
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


class TestBookingUnderACase:
    def test_the_form_preselects_the_course_case_and_says_k_of_n(
        self, client_for, front_desk, patient, physio, location, case, hours
    ):
        Course.objects.create(patient=patient, payer_case=case)
        url = (
            reverse("sessions:appointment-new")
            + f"?patient={patient.pk}&practitioner={physio.pk}&location={location.pk}"
            + "&start=2026-11-23T09:00"
        )
        page = client_for(front_desk).get(url).content.decode()
        assert f'<option value="{case.pk}" selected>' in page
        assert "At this time: visit 1 of 2 authorised." in page

    def test_a_booking_within_the_authorisation_is_billed_to_the_case(
        self, client_for, front_desk, patient, physio, location, treatment, case, hours
    ):
        response = book(client_for(front_desk), patient, physio, location, treatment,
                        payer_case=case.pk)  # fmt: skip
        assert response.status_code == 302
        visit = Appointment.objects.get()
        assert visit.payer_case == case and visit.authorisation_override == ""

    def test_beyond_the_count_is_refused_naming_the_limit(
        self, client_for, front_desk, patient, physio, location, treatment, used_up, hours
    ):
        client = client_for(front_desk)
        response = book(client, patient, physio, location, treatment, payer_case=used_up.pk,
                        front_desk_note="Sore shoulder")  # fmt: skip
        page = response.content.decode()
        assert response.status_code == 200
        assert "This would be visit 3 of 2 authorised by WCB claim 12345." in page
        assert 'value="Sore shoulder"' in page
        assert Appointment.objects.count() == 2

    def test_an_earlier_slot_pushing_a_later_visit_past_the_limit_is_refused(
        self, client_for, front_desk, patient, physio, location, treatment, case, hours
    ):
        for day in (25, 26):  # both authorised visits booked later in the week
            AppointmentFactory(
                patient=patient, practitioner=physio, location=location, type=treatment,
                start=local(2026, 11, day, 9), payer_case=case,
            )  # fmt: skip
        response = book(client_for(front_desk), patient, physio, location, treatment,
                        payer_case=case.pk)  # fmt: skip
        assert response.status_code == 200
        page = response.content.decode()
        assert "This would make 3 visits booked under WCB claim 12345, 2 authorised." in page
        assert Appointment.objects.count() == 2
        response = book(client_for(front_desk), patient, physio, location, treatment,
                        payer_case=case.pk, authorisation_override="Extended by phone")  # fmt: skip
        assert response.status_code == 302

    def test_a_blank_reason_does_not_override(
        self, client_for, front_desk, patient, physio, location, treatment, used_up, hours
    ):
        book(client_for(front_desk), patient, physio, location, treatment,
             payer_case=used_up.pk, authorisation_override="   ")  # fmt: skip
        assert Appointment.objects.count() == 2

    def test_a_reason_overrides_and_is_kept_and_audited(
        self, client_for, front_desk, patient, physio, location, treatment, used_up, hours
    ):
        reason = "Case manager extended by phone, letter to follow"
        response = book(client_for(front_desk), patient, physio, location, treatment,
                        payer_case=used_up.pk, authorisation_override=reason)  # fmt: skip
        assert response.status_code == 302
        visit = Appointment.objects.get(start=local(*MONDAY, 9))
        assert visit.authorisation_override == reason
        event = AuditEvent.objects.get(action="create", object_id=str(visit.pk))
        assert reason in event.detail

    def test_a_day_after_the_authorised_dates_is_refused(
        self, client_for, front_desk, patient, physio, location, treatment, case, hours
    ):
        page = book(client_for(front_desk), patient, physio, location, treatment,
                    start="2026-12-07T09:00", payer_case=case.pk).content.decode()  # fmt: skip
        assert "2026-12-07 is after WCB claim 12345 stopped covering visits" in page
        assert not Appointment.objects.exists()

    def test_another_patients_case_is_refused(
        self, client_for, front_desk, patient, physio, location, treatment, hours
    ):
        theirs = PayerCaseFactory(patient=PatientFactory())
        response = book(client_for(front_desk), patient, physio, location, treatment,
                        payer_case=theirs.pk)  # fmt: skip
        assert response.status_code == 200
        assert "Select a valid choice" in response.content.decode()
        assert not Appointment.objects.exists()

    def test_a_malformed_case_id_is_refused_without_a_500(
        self, client_for, front_desk, patient, physio, location, treatment, hours
    ):
        for bad in ("abc", "99999999999999999999999", "-1"):
            response = book(client_for(front_desk), patient, physio, location, treatment,
                            payer_case=bad)  # fmt: skip
            assert response.status_code == 200
        assert not Appointment.objects.exists()

    def test_moving_a_visit_past_the_dates_is_refused(
        self, front_desk, patient, physio, location, treatment, case, hours
    ):
        visit = booking.appointment_book(
            patient=patient, practitioner=physio, location=location, type=treatment,
            start=local(*MONDAY, 9), created_by=front_desk, payer_case=case,
        )  # fmt: skip
        with pytest.raises(ValidationError) as caught:
            booking.appointment_reschedule(
                appointment=visit, practitioner=physio, location=location, type=treatment,
                start=local(2026, 12, 7, 9), allow_outside_hours=True,
            )  # fmt: skip
        assert "authorisation_override" in caught.value.message_dict
        visit.refresh_from_db()
        assert visit.start == local(*MONDAY, 9) and visit.payer_case == case

    def test_moving_a_visit_does_not_count_itself(
        self, front_desk, patient, physio, location, treatment, case, hours
    ):
        for hour in (9, 10):
            visit = booking.appointment_book(
                patient=patient, practitioner=physio, location=location, type=treatment,
                start=local(*MONDAY, hour), created_by=front_desk, payer_case=case,
            )  # fmt: skip
        moved = booking.appointment_reschedule(
            appointment=visit, practitioner=physio, location=location, type=treatment,
            start=local(*MONDAY, 11),
        )  # fmt: skip
        assert moved.start == local(*MONDAY, 11)


class TestKOfN:
    def test_calendar_day_week_and_visit_page_show_k_of_n(
        self, client_for, front_desk, patient, physio, location, treatment, used_up
    ):
        extra = AppointmentFactory(
            patient=patient, practitioner=physio, location=location, type=treatment,
            start=local(*MONDAY, 9), payer_case=used_up, authorisation_override="Extended",
        )  # fmt: skip
        client = client_for(front_desk)
        day = client.get(
            reverse("sessions:calendar-day") + f"?date=2026-11-23&location={location.pk}"
        ).content.decode()
        assert "WCB visit 3 of 2 authorised (not authorised)" in day
        week = client.get(
            reverse("sessions:calendar-week")
            + f"?date=2026-11-16&location={location.pk}&practitioner={physio.pk}"
        ).content.decode()
        assert "WCB visit 1 of 2 authorised" in week and "WCB visit 2 of 2 authorised" in week
        detail = client.get(reverse("sessions:appointment-detail", args=[extra.pk]))
        text = detail.content.decode()
        assert "WCB visit 3 of 2 authorised (booked beyond it: Extended)" in text

    def test_day_calendar_query_count_unchanged_with_cases(
        self, client_for, front_desk, physio, location, treatment, hours,
        django_assert_max_num_queries,
    ):  # fmt: skip
        client = client_for(front_desk)
        url = reverse("sessions:calendar-day") + f"?date=2026-11-23&location={location.pk}"
        seed_day(physio, location, treatment, 20)
        for visit in Appointment.objects.all():
            visit.payer_case = PayerCaseFactory(patient=visit.patient, authorised_visits=8)
            visit.save()
        with django_assert_max_num_queries(16) as small:  # as without cases
            assert client.get(url).status_code == 200
        seed_day(physio, location, treatment, 20, first=20)
        for visit in Appointment.objects.filter(payer_case__isnull=True):
            visit.payer_case = PayerCaseFactory(patient=visit.patient, authorised_visits=8)
            visit.save()
        with django_assert_max_num_queries(len(small.captured_queries)):
            page = client.get(url).content.decode()
        assert page.count("visit 1 of 8 authorised") == 40


def test_the_week_of_a_case_is_counted_in_start_order(patient, physio, location, treatment, case):
    visits = [
        AppointmentFactory(
            patient=patient,
            practitioner=physio,
            location=location,
            type=treatment,
            start=local(2026, 11, 16, 9) + timedelta(days=d),
            payer_case=case,
        )  # fmt: skip
        for d in (2, 0, 1)
    ]
    rows = with_case_visit_number(
        Appointment.objects.filter(pk__in=[v.pk for v in visits]).select_related("payer_case")
    ).order_by("start")
    assert [visit_authorisation(a).number for a in rows] == [1, 2, 3]
