"""Missed-visit fees by the clinic's policy: proposed by booking's no-show and cancel,
late by the hours of notice (time pinned at the boundary), then charged or waived."""

from datetime import timedelta
from decimal import Decimal as D

import pytest
import time_machine
from django.core.exceptions import ValidationError

from sessions.billing import services
from sessions.billing.missed import missed_fee_charge, missed_fee_waive
from sessions.booking import services as booking
from sessions.models import Appointment, BillingPolicy, Invoice, MissedVisitFee
from tests.factories import AppointmentFactory, clinic_time

pytestmark = pytest.mark.django_db

START = clinic_time(2026, 11, 23, 9)


@pytest.fixture
def policy(db):
    policy = BillingPolicy.get()
    policy.no_show_fee_on, policy.no_show_fee = True, D("50.00")
    policy.late_cancel_fee_on, policy.late_cancel_fee = True, D("40.00")
    policy.late_cancel_hours = 24
    policy.save()
    return policy


@pytest.fixture
def booked(patient, physio, location, treatment):
    return AppointmentFactory(
        patient=patient, practitioner=physio, location=location, type=treatment, start=START
    )


def cancel_at(appointment, moment):
    with time_machine.travel(moment, tick=False):
        return booking.appointment_cancel(appointment=appointment, reason="Sick")


def test_cancelling_exactly_24_hours_ahead_proposes_nothing(policy, booked):
    cancel_at(booked, START - timedelta(hours=24))
    assert not MissedVisitFee.objects.exists()


def test_cancelling_24_hours_less_a_minute_ahead_proposes_the_late_fee(policy, booked):
    cancel_at(booked, START - timedelta(hours=24) + timedelta(minutes=1))
    fee = MissedVisitFee.objects.get(appointment=booked)
    assert (fee.kind, fee.amount, fee.status) == ("late_cancel", D("40.00"), "proposed")


def test_the_policys_hours_are_used(policy, booked):
    policy.late_cancel_hours = 48
    policy.save()
    cancel_at(booked, START - timedelta(hours=47, minutes=59))
    assert MissedVisitFee.objects.filter(appointment=booked).exists()


def test_policy_off_proposes_nothing(policy, booked):
    policy.late_cancel_fee_on = False
    policy.save()
    cancel_at(booked, START - timedelta(hours=1))
    assert not MissedVisitFee.objects.exists()


def test_a_no_show_proposes_the_no_show_fee(policy, booked):
    with time_machine.travel(START + timedelta(minutes=15), tick=False):
        booking.appointment_set_status(appointment=booked, status=Appointment.Status.NO_SHOW)
    assert MissedVisitFee.objects.get(appointment=booked).amount == D("50.00")


def test_charging_issues_a_patient_invoice_at_check_out(policy, booked, clerk):
    cancel_at(booked, START - timedelta(hours=2))
    invoice = services.invoice_issue_for_appointment(appointment=booked, issued_by=clerk)
    assert (invoice.total, invoice.patient_portion, invoice.payer_case) == (
        D("40.00"),
        D("40.00"),
        None,
    )
    assert invoice.lines.get().description == "Late-cancellation fee"
    fee = MissedVisitFee.objects.get(appointment=booked)
    assert (fee.status, fee.invoice, fee.decided_by) == ("charged", invoice, clerk)
    with pytest.raises(ValidationError, match="charged already"):
        missed_fee_charge(fee=fee, decided_by=clerk)


def test_waiving_needs_a_reason_and_bills_nothing(policy, booked, clerk):
    cancel_at(booked, START - timedelta(hours=2))
    fee = MissedVisitFee.objects.get(appointment=booked)
    with pytest.raises(ValidationError) as caught:
        missed_fee_waive(fee=fee, reason=" ", decided_by=clerk)
    assert "reason" in caught.value.message_dict
    missed_fee_waive(fee=fee, reason="Family emergency", decided_by=clerk)
    fee.refresh_from_db()
    assert (fee.status, fee.waive_reason) == ("waived", "Family emergency")
    with pytest.raises(ValidationError, match="waived already"):
        missed_fee_charge(fee=fee, decided_by=clerk)
    assert not Invoice.objects.exists()


def test_voiding_the_fee_invoice_proposes_the_fee_again(policy, booked, clerk):
    cancel_at(booked, START - timedelta(hours=2))
    invoice = services.invoice_issue_for_appointment(appointment=booked, issued_by=clerk)
    services.invoice_void(invoice=invoice, reason="Wrong visit", voided_by=clerk)
    fee = MissedVisitFee.objects.get(appointment=booked)
    assert (fee.status, fee.invoice, fee.decided_by) == ("proposed", None, None)
    again = services.invoice_issue_for_appointment(appointment=booked, issued_by=clerk)
    assert again.pk != invoice.pk and again.total == D("40.00")


def test_cancelling_after_the_patient_arrived_proposes_nothing(policy, booked):
    with time_machine.travel(START - timedelta(minutes=10), tick=False):
        booking.appointment_set_status(appointment=booked, status=Appointment.Status.ARRIVED)
    cancel_at(booked, START + timedelta(minutes=5))
    assert not MissedVisitFee.objects.exists()


def test_cancelling_after_the_start_is_not_a_late_cancel(policy, booked):
    cancel_at(booked, START + timedelta(minutes=20))
    assert not MissedVisitFee.objects.exists()
