"""Invoice numbers run 1, 2, 3... without gaps or duplicates, also under concurrent
check-outs on PostgreSQL (the sequence row is locked inside each issue)."""

import threading
from datetime import date
from decimal import Decimal as D

import pytest
from django.db import close_old_connections, connection, transaction

from sessions.billing import services
from sessions.billing.services import LineIn
from sessions.models import Invoice
from tests.factories import LocationFactory, PatientFactory, UserFactory


@pytest.mark.django_db
def test_a_rolled_back_issue_gives_its_number_back(patient, location, clerk):
    line = [LineIn(description="Report", unit_price=D("40"))]
    kwargs = {"patient": patient, "location": location, "issued_by": clerk}
    services.invoice_issue(lines=line, service_date=date(2026, 11, 20), **kwargs)
    with pytest.raises(RuntimeError), transaction.atomic():
        services.invoice_issue(lines=line, service_date=date(2026, 11, 20), **kwargs)
        raise RuntimeError("the check-out failed later")
    third = services.invoice_issue(lines=line, service_date=date(2026, 11, 20), **kwargs)
    assert third.number == 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_issues_take_numbers_one_to_twenty_once():
    clerk, location = UserFactory(), LocationFactory()
    patients = [PatientFactory(email="") for _ in range(20)]
    barrier = threading.Barrier(20)
    errors: list[str] = []

    def issue(patient):
        close_old_connections()
        try:
            barrier.wait()
            services.invoice_issue(
                patient=patient,
                lines=[LineIn(description="Treatment", unit_price=D("95"))],
                location=location,
                issued_by=clerk,
                service_date=date(2026, 11, 20),
            )
        except Exception as exc:  # noqa: BLE001 - any failure is the test's finding
            errors.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=issue, args=(p,)) for p in patients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    assert sorted(Invoice.objects.values_list("number", flat=True)) == list(range(1, 21))
