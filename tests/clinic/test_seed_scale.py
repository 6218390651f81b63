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
