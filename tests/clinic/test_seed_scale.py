import io

from django.core.management import call_command
from django.db.models import Count

from intake.models import Intake, Patient
from sessions.models import Appointment, NeedlingSite, ScheduledMessage, Visit


def test_seed_scale_makes_consistent_data_and_can_run_twice(db):
    options = dict(patients=60, visits=400, practitioners=4, locations=2, pending_checkins=50)
    call_command("seed_scale", stdout=io.StringIO(), **options)
    call_command("seed_scale", stdout=io.StringIO(), **options)
    assert Patient.objects.count() == 120
    assert Intake.objects.submitted().count() == 120
    assert Visit.objects.filter(status="signed").count() == 800
    assert NeedlingSite.objects.count() == 2400
    assert ScheduledMessage.objects.filter(status="pending").count() == 100
    # Nobody double-booked: per practitioner, no two visits start at the same time.
    clashes = (
        Appointment.objects.values("practitioner", "start").annotate(n=Count("id")).filter(n__gt=1)
    )
    assert not clashes.exists()
    assert Patient.objects.search(Patient.objects.first().legal_last_name[:4]).exists()


def test_seed_scale_bills_every_visit_with_sequential_numbers(db):
    from decimal import Decimal

    from clinic import clock
    from sessions.billing import services
    from sessions.billing.documents import Invoice, PaymentAllocation
    from sessions.billing.ledgers import receivables
    from sessions.billing.models import DocumentSequence

    options = dict(patients=30, visits=200, practitioners=3, locations=2, pending_checkins=20)
    call_command("seed_scale", stdout=io.StringIO(), **options)
    call_command("seed_scale", stdout=io.StringIO(), **options)
    assert Invoice.objects.count() == Appointment.objects.count() == 400
    numbers = list(Invoice.objects.order_by("number").values_list("number", flat=True))
    assert numbers == list(range(1, 401))
    assert DocumentSequence.objects.get(series="invoice").next_number == 401
    assert services.number_take(series="invoice") == 401
    assert Invoice.objects.filter(lines__line_total=Decimal("95.00")).count() == 400
    paid = PaymentAllocation.objects.count()
    assert 300 < paid < 400  # most paid, some owing
    owing = sum(r.total for r in receivables(as_of=clock.clinic_today()).patients)
    assert owing == Decimal("95.00") * (400 - paid)
