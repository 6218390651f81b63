"""Two people accepting two offers of the same freed slot at the same moment, on
PostgreSQL: exactly one booking; the other is told the time was taken."""

import threading
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import close_old_connections, connection

from sessions.booking.models import Appointment
from sessions.online import waitlist
from sessions.online.models import SlotHold, WaitListOffer
from tests.factories import PatientFactory, clinic_time
from tests.sessions.online.waitlist_world import NOW, entry_for, online_clinic


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_accepting_at_once_exactly_one_books_the_other_is_told_taken():
    clinic = online_clinic()
    entry_for(clinic, PatientFactory())
    entry_for(clinic, PatientFactory(), created_at=NOW + timedelta(minutes=1))
    offers = waitlist.slot_offer(
        location_id=clinic.location.pk,
        practitioner_id=clinic.physio.pk,
        start=clinic_time(2026, 12, 7, 10),
        now=NOW,
    )
    assert len(offers) == 2
    barrier = threading.Barrier(2)
    results: list[str] = []

    def accept(offer):
        close_old_connections()
        try:
            barrier.wait()
            waitlist.offer_accept(offer=offer, now=NOW + timedelta(minutes=1))
            results.append("booked")
        except ValidationError as error:
            results.append(waitlist.refusal_code(error) or repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=accept, args=(o,)) for o in offers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(results) == ["booked", "taken"]
    assert Appointment.objects.count() == 1
    statuses = sorted(WaitListOffer.objects.values_list("status", flat=True))
    assert statuses == ["accepted", "taken"]
    assert SlotHold.objects.get().status == SlotHold.Status.BOOKED
