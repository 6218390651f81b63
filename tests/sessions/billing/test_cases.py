"""Payer cases: their checks, the course's case carried onto bookings, and "visit k of
N authorised" counted from the case's visits."""

from datetime import date
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from sessions.billing.selectors import case_authorisation
from sessions.booking import services as booking
from sessions.models import Appointment, PayerCase
from tests.factories import AppointmentFactory, PayerCaseFactory, clinic_time
from tests.sessions.conftest import local

pytestmark = pytest.mark.django_db


def test_a_share_is_a_percent_or_an_amount_not_both(patient):
    case = PayerCase(
        patient=patient,
        kind="extended_health",
        payer_share_percent=D("80"),
        payer_share_amount=D("50"),
    )
    with pytest.raises(ValidationError) as caught:
        case.full_clean()
    assert "payer_share_amount" in caught.value.message_dict
    with pytest.raises(IntegrityError), transaction.atomic():
        case.save()


def test_authorisation_must_end_after_it_starts(patient):
    case = PayerCase(
        patient=patient,
        kind="workers_comp",
        authorised_from=date(2026, 11, 10),
        authorised_until=date(2026, 11, 9),
    )
    with pytest.raises(ValidationError) as caught:
        case.full_clean()
    assert "authorised_until" in caught.value.message_dict


def test_a_booking_in_a_course_with_a_case_is_billed_to_it(
    patient, physio, location, treatment, hours, front_desk
):
    case = PayerCaseFactory(patient=patient)
    course = booking.course_open_or_get(patient=patient)
    course.payer_case = case
    course.save()
    appointment = booking.appointment_book(
        patient=patient,
        practitioner=physio,
        location=location,
        type=treatment,
        start=local(2026, 11, 23, 9),
        created_by=front_desk,
    )
    assert appointment.payer_case == case


def test_visit_k_of_n_counts_the_cases_visits_that_took_place(patient, physio, location, treatment):
    case = PayerCaseFactory(
        patient=patient, authorised_visits=2, authorised_until=date(2026, 11, 30)
    )
    statuses = ["completed", "no_show", "cancelled", "completed"]
    for day, status in zip((16, 17, 18, 19), statuses, strict=True):
        AppointmentFactory(
            patient=patient,
            practitioner=physio,
            location=location,
            type=treatment,
            start=clinic_time(2026, 11, day, 9),
            status=status,
            payer_case=case,
        )
    status = case_authorisation(case=case, start=clinic_time(2026, 11, 19, 9))
    assert status.label == "visit 2 of 2 authorised"
    assert status.warnings == []
    later = case_authorisation(case=case, start=clinic_time(2026, 12, 1, 9))
    assert later.number == 3
    assert later.exceeds
    assert len(later.warnings) == 2
    assert Appointment.objects.filter(payer_case=case).count() == 4
