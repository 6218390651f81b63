"""Two bookings racing for one practitioner's time: PostgreSQL's exclusion constraint
lets one through."""

import threading
from datetime import timedelta

import pytest
from django.db import IntegrityError, close_old_connections, connection, transaction

from sessions.booking import services
from sessions.models import Appointment
from tests.factories import AppointmentFactory, PatientFactory
from tests.sessions.conftest import local


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
class TestNoDoubleBookingOnPostgres:
    def test_the_database_refuses_an_overlap_even_without_the_service(
        self, physio, location, treatment
    ):
        start = local(2026, 11, 23, 9)
        common = dict(practitioner=physio, location=location, type=treatment)
        AppointmentFactory(start=start, **common)
        with pytest.raises(IntegrityError), transaction.atomic():
            AppointmentFactory(
                patient=PatientFactory(),
                start=start + timedelta(minutes=29),
                end=start + timedelta(minutes=59),
                **common,
            )
        AppointmentFactory(  # back-to-back is fine
            patient=PatientFactory(),
            start=start + timedelta(minutes=30),
            end=start + timedelta(minutes=60),
            **common,
        )

    def test_many_threads_booking_at_once_exactly_one_wins(
        self, physio, location, treatment, hours, front_desk
    ):
        patients = [PatientFactory(email="") for _ in range(8)]
        barrier = threading.Barrier(len(patients))
        results: list[str] = []

        def attempt(patient, offset):
            close_old_connections()
            try:
                barrier.wait()
                services.appointment_book(
                    patient=patient,
                    practitioner=physio,
                    location=location,
                    type=treatment,
                    start=local(2026, 11, 23, 9) + timedelta(minutes=offset),
                    created_by=front_desk,
                )
                results.append("booked")
            except services.ValidationError as exc:
                results.append(
                    "clash"
                    if "already booked" in str(exc) or "just booked" in str(exc)
                    else repr(exc)
                )
            finally:
                connection.close()

        threads = [
            threading.Thread(target=attempt, args=(p, i * 3)) for i, p in enumerate(patients)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
        assert sorted(results) == ["booked"] + ["clash"] * 7
        assert Appointment.objects.count() == 1
