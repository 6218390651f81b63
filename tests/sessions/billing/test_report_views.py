"""The day sheet and receivables pages: figures by method, rows, age buckets at their
edges, a spreadsheet-safe CSV, refusals and bad query strings (a message, never a 500),
and query counts that do not grow with the day's payments."""

from datetime import date, timedelta
from decimal import Decimal as D

import pytest
from django.urls import reverse

from clinic.models import AuditEvent
from sessions.billing import services
from sessions.billing.payments import AllocationIn, payment_take, refund_record
from sessions.billing.services import LineIn
from tests.factories import LocationFactory, PatientFactory, PayerCaseFactory, clinic_time

pytestmark = pytest.mark.django_db

DAY_SHEET = reverse("sessions:day-sheet")
RECEIVABLES = reverse("sessions:receivables")


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


def pay(patient, invoice, clerk, location, amount, method="cash", reference=""):
    return payment_take(
        patient=patient,
        amount=D(amount),
        method=method,
        recorded_by=clerk,
        allocations=[AllocationIn(invoice)],
        location=location,
        reference=reference,
    )


@pytest.fixture
def desk(client_for, front_desk):
    return client_for(front_desk)


def test_day_sheet_totals_by_method_and_rows(desk, patient, location, clerk):
    invoice = issue(patient, location, clerk, "200")
    pay(patient, invoice, clerk, location, "50", "cash")
    pay(patient, invoice, clerk, location, "60", "credit_card", reference="TERM-4471")
    pay(patient, invoice, clerk, location, "40", "credit_card")
    services.credit_note_issue(invoice=invoice, amount=D("5"), reason="Goodwill", issued_by=clerk)
    other = LocationFactory(name="Elsewhere")
    pay(patient, issue(patient, other, clerk), clerk, other, "95", "debit")
    response = desk.get(DAY_SHEET, {"location": location.pk, "day": "2026-11-20"})
    assert response.status_code == 200
    sheet = response.context["sheet"]
    assert sheet.by_method == {"cash": D("50.00"), "credit_card": D("100.00")}
    assert sheet.taken == D("150.00")
    body = response.content.decode()
    assert "Credit card (terminal)" in body and "$100.00" in body
    assert "TERM-4471" in body and invoice.display_number in body
    assert "Goodwill" in body
    assert 'for="id_location"' in body and 'for="id_day"' in body
    assert AuditEvent.objects.filter(action="view", detail="day sheet 2026-11-20").exists()


def test_day_sheet_refunds_are_listed_and_subtracted(desk, patient, location, clerk):
    invoice = issue(patient, location, clerk, "50")
    pay(patient, invoice, clerk, location, "80", "cash")  # 30.00 credit
    refund_record(
        patient=patient,
        amount=D("30"),
        method="cash",
        reason="Overpaid",
        recorded_by=clerk,
        location=location,
    )
    response = desk.get(DAY_SHEET, {"location": location.pk})
    assert response.context["sheet"].by_method == {"cash": D("50.00")}
    assert "Overpaid" in response.content.decode()


def test_day_sheet_defaults_to_first_active_location_today(desk, location):
    LocationFactory(name="Zeta", is_active=True)
    LocationFactory(name="Aardvark closed", is_active=False)
    response = desk.get(DAY_SHEET)
    assert response.context["location"] == location
    assert response.context["day"] == date(2026, 11, 20)


@pytest.mark.parametrize(
    "query",
    [
        {"location": "abc"},
        {"day": "2026-02-30"},
        {"day": "yesterday", "location": "99999999"},
        {"location": "9" * 40},
    ],
)
def test_day_sheet_bad_query_gives_a_message_not_a_500(desk, location, query):
    response = desk.get(DAY_SHEET, query)
    assert response.status_code == 200
    assert "could not be read" in response.content.decode()
    assert response.context["location"] == location


def test_day_sheet_query_count_does_not_grow(desk, patient, location, clerk):
    def count() -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            assert desk.get(DAY_SHEET).status_code == 200
        return len(ctx.captured_queries)

    invoice = issue(patient, location, clerk, "5000")
    pay(patient, invoice, clerk, location, "10")
    few = count()
    for n in range(25):
        other = PatientFactory()
        pay(other, issue(other, location, clerk, "20"), clerk, location, "20", "debit")
        pay(patient, invoice, clerk, location, str(n + 1))
    assert count() == few


def test_receivables_buckets_at_their_edges(desk, patient, location, clerk):
    today = date(2026, 11, 20)
    for days, amount in ((30, "1"), (31, "2"), (60, "4"), (61, "8"), (90, "16"), (91, "32")):
        when = clinic_time(*(today - timedelta(days=days)).timetuple()[:3], 12)
        issue(patient, location, clerk, amount, when=when)
    response = desk.get(RECEIVABLES)
    (mine,) = response.context["report"].patients
    assert mine.buckets == {
        "0-30": D("1.00"),
        "31-60": D("6.00"),
        "61-90": D("24.00"),
        "over 90": D("32.00"),
    }
    assert response.context["patient_totals"][-1] == D("63.00")
    assert AuditEvent.objects.filter(action="view", detail__startswith="receivables").exists()


def test_receivables_per_payer(desk, patient, location, clerk):
    case = PayerCaseFactory(patient=patient, payer_name="WCB Alberta", payer_share_percent=D("100"))
    issue(patient, location, clerk, "88.50", case=case)
    response = desk.get(RECEIVABLES)
    (payer,) = response.context["report"].payers
    assert (payer.name, payer.total) == ("WCB Alberta", D("88.50"))
    assert "WCB Alberta" in response.content.decode()


def test_receivables_csv_is_excel_safe(desk, location, clerk):
    evil = PatientFactory(legal_first_name="=cmd|' /C calc'!A0", legal_last_name="Zoë")
    issue(evil, location, clerk, "12.50")
    response = desk.get(RECEIVABLES, {"format": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    raw = response.content
    assert raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig")
    assert "Zoë" in text
    assert "'=cmd" in text and "\n=cmd" not in text and ",=cmd" not in text
    assert "12.50" in text
    assert AuditEvent.objects.filter(action="export", detail__startswith="receivables csv").exists()


@pytest.mark.parametrize("url", [DAY_SHEET, RECEIVABLES, RECEIVABLES + "?format=csv"])
def test_physio_is_refused_and_anonymous_sent_to_sign_in(client, client_for, physio, url):
    assert client.get(url).status_code == 302
    assert client_for(physio).get(url).status_code == 403


def test_admin_reads_both(client_for, clinic_admin, location):
    admin = client_for(clinic_admin)
    assert admin.get(DAY_SHEET).status_code == 200
    assert admin.get(RECEIVABLES).status_code == 200


def test_receivables_pages_patients_with_totals_over_all(desk, location, clerk, monkeypatch):
    from sessions.billing import reports

    monkeypatch.setattr(reports, "PATIENTS_PER_PAGE", 2)
    for _ in range(3):
        issue(PatientFactory(), location, clerk, "10")
    first = desk.get(RECEIVABLES)
    assert len(first.context["patients"].object_list) == 2
    assert first.context["patient_totals"][-1] == D("30.00")
    assert "Page 1 of 2" in first.content.decode()
    assert len(desk.get(RECEIVABLES, {"page": "2"}).context["patients"].object_list) == 1
    assert desk.get(RECEIVABLES, {"page": "abc"}).status_code == 200
    csv_rows = desk.get(RECEIVABLES, {"format": "csv"}).content.decode("utf-8-sig").splitlines()
    assert len(csv_rows) == 1 + 3


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "2037-01-01"])
def test_day_sheet_far_off_day_gives_a_message_not_a_500(desk, location, day):
    response = desk.get(DAY_SHEET, {"location": location.pk, "day": day})
    assert response.status_code == 200
    assert "within 10 years of today" in response.content.decode()
    assert response.context["day"] == date(2026, 11, 20)


def test_day_sheet_ten_years_back_is_shown(desk, location):
    response = desk.get(DAY_SHEET, {"location": location.pk, "day": "2016-11-20"})
    assert response.context["day"] == date(2016, 11, 20)
