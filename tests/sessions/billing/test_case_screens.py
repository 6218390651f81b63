"""The payer case pages: the list with "k of N used", the case form's checks, who may
edit, the course billed to a case, and the audit of each read and write."""

import re
from datetime import date, timedelta

import pytest
from django.urls import reverse

from clinic.models import AuditEvent
from sessions.billing.authorisations import payer_case_save
from sessions.models import Course, PayerCase
from tests.factories import AppointmentFactory, PatientFactory, PayerCaseFactory
from tests.sessions.conftest import local

pytestmark = pytest.mark.django_db


def case_data(**changes) -> dict:
    data = {
        "kind": "workers_comp",
        "payer_name": "WCB-Alberta",
        "claim_number": "12345",
        "injury_date": "2026-10-30",
        "opened_on": "2026-11-02",
        "closed_on": "",
        "authorised_visits": "8",
        "authorised_from": "2026-11-02",
        "authorised_until": "2026-12-31",
        "payer_share_percent": "100",
        "payer_share_amount": "",
        "case_manager_name": "Dana Ortiz",
        "case_manager_phone": "403-555-0100",
        "case_manager_email": "dana@example.com",
        "notes": "Fax reports weekly.",
    }
    return {**data, **changes}


def new_url(patient):
    return reverse("sessions:case-new", args=[patient.pk])


class TestCaseForm:
    def test_front_desk_opens_a_case_and_is_back_on_the_list(self, client_for, front_desk, patient):
        response = client_for(front_desk).post(new_url(patient), case_data())
        assert response.status_code == 302
        assert response.url == reverse("sessions:cases", args=[patient.pk])
        case = PayerCase.objects.get(patient=patient)
        assert (case.claim_number, case.authorised_visits) == ("12345", 8)
        assert AuditEvent.objects.filter(
            action="create", object_type="treatment_sessions.payercase", patient=patient
        ).exists()

    def test_both_shares_are_refused_and_what_was_typed_is_kept(
        self, client_for, front_desk, patient
    ):
        data = case_data(payer_share_amount="40.00")
        response = client_for(front_desk).post(new_url(patient), data)
        page = response.content.decode()
        assert response.status_code == 200
        assert "as a percent or an amount" in page
        assert 'value="Dana Ortiz"' in page
        assert not PayerCase.objects.exists()
        assert AuditEvent.objects.filter(
            action="view", patient=patient, detail="refused payer case form"
        ).exists()

    def test_the_new_case_page_is_audited_as_a_read(self, client_for, front_desk, patient):
        assert client_for(front_desk).get(new_url(patient)).status_code == 200
        assert AuditEvent.objects.filter(
            action="view", patient=patient, detail="new payer case"
        ).exists()

    def test_authorisation_ending_before_it_starts_is_refused(
        self, client_for, front_desk, patient
    ):
        data = case_data(authorised_from="2026-12-01", authorised_until="2026-11-30")
        page = client_for(front_desk).post(new_url(patient), data).content.decode()
        assert "must end after it starts" in page
        assert not PayerCase.objects.exists()

    def test_an_injury_in_the_future_is_refused(self, client_for, front_desk, patient):
        page = client_for(front_desk).post(new_url(patient), case_data(injury_date="2026-11-21"))
        assert "cannot be in the future" in page.content.decode()
        assert not PayerCase.objects.exists()

    def test_an_injury_today_is_accepted(self, patient):
        case = PayerCase(patient=patient, kind="self_pay", injury_date=date(2026, 11, 20))
        assert payer_case_save(case=case).pk

    def test_closing_before_opening_is_refused(self, client_for, front_desk, patient):
        data = case_data(closed_on="2026-11-01")
        page = client_for(front_desk).post(new_url(patient), data).content.decode()
        assert "cannot close before it opens" in page

    @pytest.mark.parametrize(
        "field,value",
        [("authorised_visits", "-3"), ("authorised_visits", "99999999999"),
         ("payer_share_percent", "abc"), ("payer_share_percent", "101"),
         ("injury_date", "2026-02-31"), ("kind", "lottery")],
    )  # fmt: skip
    def test_malformed_input_is_refused_without_a_500(
        self, client_for, front_desk, patient, field, value
    ):
        response = client_for(front_desk).post(new_url(patient), case_data(**{field: value}))
        assert response.status_code == 200
        assert "is-invalid" in response.content.decode()
        assert not PayerCase.objects.exists()

    def test_the_open_course_is_billed_to_the_case(self, client_for, front_desk, patient):
        course = Course.objects.create(patient=patient)
        client_for(front_desk).post(new_url(patient), case_data(bill_course="on"))
        course.refresh_from_db()
        assert course.payer_case == PayerCase.objects.get()

    def test_unticking_stops_the_course_billing_to_the_case(self, client_for, front_desk, patient):
        case = PayerCaseFactory(patient=patient)
        course = Course.objects.create(patient=patient, payer_case=case)
        client = client_for(front_desk)
        url = reverse("sessions:case-edit", args=[case.pk])
        box = re.search(r'<input[^>]*name="bill_course"[^>]*>', client.get(url).content.decode())
        assert box and "checked" in box.group(0)
        client.post(url, case_data())
        course.refresh_from_db()
        assert course.payer_case is None

    def test_editing_keeps_the_case_and_is_audited(self, client_for, front_desk, patient):
        case = PayerCaseFactory(patient=patient, authorised_visits=8)
        url = reverse("sessions:case-edit", args=[case.pk])
        client = client_for(front_desk)
        assert 'value="8"' in client.get(url).content.decode()
        response = client.post(url, case_data(authorised_visits="12"))
        assert response.status_code == 302
        case.refresh_from_db()
        assert case.authorised_visits == 12
        assert AuditEvent.objects.filter(action="update", object_id=str(case.pk)).exists()

    def test_a_physio_cannot_edit_a_case(self, client_for, physio, patient):
        case = PayerCaseFactory(patient=patient, authorised_visits=8)
        client = client_for(physio)
        url = reverse("sessions:case-edit", args=[case.pk])
        assert client.post(url, case_data(authorised_visits="50")).status_code == 403
        assert client.get(new_url(patient)).status_code == 403
        case.refresh_from_db()
        assert case.authorised_visits == 8
        denied = AuditEvent.objects.filter(action="denied")
        assert [e.patient_id for e in denied] == [patient.pk, patient.pk]

    def test_an_unknown_case_is_a_404(self, client_for, front_desk):
        url = reverse("sessions:case-edit", args=[987654])
        assert client_for(front_desk).get(url).status_code == 404


class TestCaseList:
    def test_shows_open_and_closed_cases_with_visits_used(
        self, client_for, front_desk, patient, physio, location, treatment
    ):
        case = PayerCaseFactory(
            patient=patient,
            claim_number="12345",
            authorised_visits=8,
            authorised_from=date(2026, 11, 1),
            authorised_until=date(2026, 12, 31),
            payer_share_percent=80,
        )
        PayerCaseFactory(
            patient=patient, kind="extended_health", payer_name="Blue Cross",
            closed_on=date(2026, 11, 10),
        )  # fmt: skip
        for day, status in ((16, "completed"), (17, "no_show"), (18, "completed")):
            AppointmentFactory(
                patient=patient, practitioner=physio, location=location, type=treatment,
                start=local(2026, 11, day, 9), payer_case=case, status=status,
            )  # fmt: skip
        page = client_for(front_desk).get(reverse("sessions:cases", args=[patient.pk]))
        text = page.content.decode()
        assert "claim 12345" in text and "2 of 8 authorised" in text
        assert "2026-11-01 to 2026-12-31" in text and "80.00%" in text
        assert "Blue Cross" in text and "Closed 2026-11-10" in text
        assert reverse("sessions:case-edit", args=[case.pk]) in text

    def test_a_physio_reads_the_list_without_edit_links(self, client_for, physio, patient):
        case = PayerCaseFactory(patient=patient)
        text = client_for(physio).get(reverse("sessions:cases", args=[patient.pk])).content
        assert case.claim_number in text.decode()
        assert reverse("sessions:case-edit", args=[case.pk]) not in text.decode()
        assert b"New case" not in text

    def test_query_count_does_not_grow_with_cases(
        self, client_for, front_desk, patient, physio, location, treatment,
        django_assert_max_num_queries,
    ):  # fmt: skip
        client = client_for(front_desk)
        url = reverse("sessions:cases", args=[patient.pk])

        def seed(n, first):
            for i in range(n):
                case = PayerCaseFactory(patient=patient)
                AppointmentFactory(
                    patient=patient, practitioner=physio, location=location, type=treatment,
                    start=local(2026, 11, 2, 8) + timedelta(hours=first + i), payer_case=case,
                )  # fmt: skip

        seed(2, 0)
        with django_assert_max_num_queries(14) as small:
            assert client.get(url).status_code == 200
        seed(10, 2)
        with django_assert_max_num_queries(len(small.captured_queries)):
            assert client.get(url).content.decode().count("1 (no visit limit)") == 12

    def test_the_patient_page_links_front_desk_to_the_cases(self, client_for, front_desk, physio):
        patient = PatientFactory()
        url = reverse("intake:patient-detail", args=[patient.pk])
        cases = reverse("sessions:cases", args=[patient.pk])
        assert cases in client_for(front_desk).get(url).content.decode()
