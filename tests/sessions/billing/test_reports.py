"""The day sheet, accounts receivable by age and the statement: right figures, and a
fixed number of queries however much history there is."""

from datetime import date, timedelta
from decimal import Decimal as D

import pytest
from django.db import connection

from clinic import clock
from sessions.billing import services
from sessions.billing.ledgers import age_bucket, day_sheet, receivables
from sessions.billing.payments import AllocationIn, payment_take, refund_record
from sessions.billing.selectors import patient_account, patient_statement
from sessions.billing.services import LineIn
from sessions.models import CreditNote
from tests.factories import PatientFactory, PayerCaseFactory, clinic_time

pytestmark = pytest.mark.django_db


def issue(patient, location, clerk, amount="95", case=None, when=None):
    return services.invoice_issue(
        patient=patient,
        lines=[LineIn(description="Treatment", unit_price=D(amount), payer_covers=True)],
        location=location,
        issued_by=clerk,
        service_date=date(2026, 11, 20),
        payer_case=case,
        now=when,
    )


@pytest.mark.parametrize(
    ("days", "bucket"),
    [
        (0, "0-30"),
        (30, "0-30"),
        (31, "31-60"),
        (60, "31-60"),
        (61, "61-90"),
        (90, "61-90"),
        (91, "over 90"),
    ],
)
def test_age_buckets_at_their_edges(days, bucket):
    assert (
        age_bucket(issued=date(2026, 1, 1), as_of=date(2026, 1, 1) + timedelta(days=days)) == bucket
    )


def test_day_sheet_by_method_with_voids_and_refunds(patient, location, clerk):
    first = issue(patient, location, clerk)
    second = issue(patient, location, clerk, "40")
    for method, amount in (("cash", "50"), ("debit", "45"), ("credit_card", "60")):
        payment_take(
            patient=patient,
            amount=D(amount),
            method=method,
            recorded_by=clerk,
            allocations=[AllocationIn(first)],
            location=location,
        )
    refund_record(
        patient=patient,
        amount=D("20"),
        method="cash",
        reason="x",
        recorded_by=clerk,
        location=location,
    )
    services.invoice_void(invoice=second, reason="Duplicate", voided_by=clerk)
    issue(PatientFactory(), location, clerk, when=clinic_time(2026, 11, 19, 18))  # yesterday
    sheet = day_sheet(location=location, day=clock.clinic_today())
    assert sheet.by_method == {"cash": D("30.00"), "credit_card": D("60.00"), "debit": D("45.00")}
    assert sheet.taken == D("135.00")
    assert [i.number for i in sheet.invoices] == [first.number, second.number]
    assert sheet.invoiced == D("95.00")
    assert sheet.voids == [second]


def test_receivables_per_patient_and_per_payer_aged_by_issue_date(patient, location, clerk):
    case = PayerCaseFactory(patient=patient, payer_name="WCB-Alberta", payer_share_percent=D("80"))
    issue(patient, location, clerk, "100", case=case, when=clinic_time(2026, 8, 1, 12))
    paid = issue(patient, location, clerk, "50")
    payment_take(
        patient=patient,
        amount=D("50"),
        method="cash",
        recorded_by=clerk,
        allocations=[AllocationIn(paid)],
    )
    issue(patient, location, clerk, "30")
    ar = receivables(as_of=date(2026, 11, 20))
    (mine,) = ar.patients
    assert mine.buckets == {
        "0-30": D("30.00"),
        "31-60": D("0.00"),
        "61-90": D("0.00"),
        "over 90": D("20.00"),
    }
    (payer,) = ar.payers
    assert (payer.name, payer.buckets["over 90"], payer.total) == (
        "WCB-Alberta",
        D("80.00"),
        D("80.00"),
    )


def test_reads_run_a_fixed_number_of_queries(
    patient, location, clerk, django_assert_max_num_queries
):
    case = PayerCaseFactory(patient=patient, payer_share_percent=D("50"))
    for n in range(30):
        invoice = issue(patient, location, clerk, case=case if n % 2 else None)
        payment_take(
            patient=patient,
            amount=D("60"),
            method="cash",
            recorded_by=clerk,
            allocations=[AllocationIn(invoice)],
            location=location,
        )
        if n % 5 == 0:
            services.credit_note_issue(invoice=invoice, amount=D("5"), reason="x", issued_by=clerk)
    with django_assert_max_num_queries(4):
        assert len(patient_statement(patient=patient)) == 30 + 30 + 6
    with django_assert_max_num_queries(2):
        patient_account(patient=patient)
    with django_assert_max_num_queries(6):
        assert len(day_sheet(location=location, day=clock.clinic_today()).invoices) == 30
    with django_assert_max_num_queries(3):
        receivables(as_of=date(2026, 11, 20))


def test_the_day_sheets_credit_notes_are_found_by_an_index_on_issued_at():
    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, CreditNote._meta.db_table)
    assert any(c["index"] and c["columns"] == ["issued_at"] for c in found.values())
