"""Money on billing pages is written one way, by the ``money`` filter
(sessions/templatetags/billing.py -> ``money.format_money`` in CLINIC_CURRENCY): a
refund-heavy day reads "-$20.00", never "$-20.00", and no billing template formats an
amount itself."""

import re
from datetime import date
from decimal import Decimal as D
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from sessions.billing import services
from sessions.billing.payments import AllocationIn, payment_take, refund_record
from sessions.billing.services import LineIn
from sessions.templatetags.billing import money
from tests.factories import clinic_time

BILLING_TEMPLATES = Path(settings.BASE_DIR) / "templates" / "sessions" / "billing"
DAY_SHEET = reverse("sessions:day-sheet")


def test_the_filter_signs_before_the_dollar_and_names_other_currencies(settings):
    assert money(D("-20")) == "-$20.00"
    assert money(D("1234.5")) == "$1,234.50"
    assert money(None) == ""
    assert money(D("95"), "code") == "$95.00 CAD"
    settings.CLINIC_CURRENCY = "EUR"
    assert money(D("1234.5")) == "1,234.50 EUR"
    assert money(D("95"), "code") == "95.00 EUR"


def test_the_filter_refuses_a_style_it_does_not_know():
    with pytest.raises(ValueError):
        money(D("1"), "short")


@pytest.mark.django_db
def test_a_day_that_refunds_more_than_it_takes_reads_minus_dollars(
    client_for, front_desk, patient, location, clerk, settings
):
    yesterday = clinic_time(2026, 11, 19)
    invoice = services.invoice_issue(
        patient=patient,
        lines=[LineIn(description="Treatment", unit_price=D("50"))],
        location=location,
        issued_by=clerk,
        service_date=date(2026, 11, 19),
        now=yesterday,
    )
    payment_take(
        patient=patient,
        amount=D("80"),
        method="cash",
        recorded_by=clerk,
        allocations=[AllocationIn(invoice)],
        location=location,
        now=yesterday,
    )  # 30.00 of credit
    refund_record(
        patient=patient,
        amount=D("20"),
        method="cash",
        reason="Overpaid",
        recorded_by=clerk,
        location=location,
    )
    desk = client_for(front_desk)
    response = desk.get(DAY_SHEET, {"location": location.pk, "day": "2026-11-20"})
    assert response.context["sheet"].taken == D("-20.00")
    body = response.content.decode()
    assert 'id="taken-total">-$20.00<' in body
    assert "$-" not in body
    settings.CLINIC_CURRENCY = "EUR"
    body = desk.get(DAY_SHEET, {"location": location.pk, "day": "2026-11-20"}).content.decode()
    assert 'id="taken-total">-20.00 EUR<' in body


def test_every_billing_template_writes_money_with_the_one_filter():
    templates = sorted(BILLING_TEMPLATES.glob("*.html"))
    assert templates
    for path in templates:
        text = path.read_text()
        assert "floatformat" not in text, path.name
        assert "${{" not in text, path.name  # a hand-written dollar sign
        assert "receipt_money" not in text, path.name
        if "|money" in text:
            assert re.search(r"{% load [^%]*\bbilling\b", text), path.name


def test_there_is_one_money_filter():
    tags = Path(settings.BASE_DIR).glob("*/templatetags/*.py")
    found = [p.name for p in tags if re.search(r"^def \w*money\w*\(", p.read_text(), re.M)]
    assert found == ["billing.py"]
