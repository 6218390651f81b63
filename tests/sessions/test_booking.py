import threading
from datetime import date, timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import IntegrityError, close_old_connections, connection, transaction
from django.urls import reverse

from clinic.roles import Role
from intake.models import IntakeInvitation
from sessions.booking import selectors, services
from sessions.models import Appointment, Course, TimeOff
from tests.factories import CourseFactory, PatientFactory, UserFactory
from tests.sessions.conftest import local, submitted_intake


@pytest.fixture
def book(physio, location, treatment, front_desk, hours):
    def _book(start, patient=None, type=None, **kwargs):
        return services.appointment_book(
            patient=patient or PatientFactory(email=""),
            practitioner=kwargs.pop("practitioner", physio),
            location=location,
            type=type or treatment,
            start=start,
            created_by=front_desk,
            **kwargs,
        )

    return _book


def error_codes(exc: ValidationError) -> set[str]:
    return {e.code for errors in exc.error_dict.values() for e in errors}


def test_booking_takes_the_type_duration_and_starts_a_course(book, patient, initial):
    appointment = book(local(2026, 11, 23, 9), patient=patient, type=initial)
    assert appointment.end - appointment.start == timedelta(minutes=60)
    assert appointment.course.patient == patient
    assert appointment.course.planned_label == "8–10"


def test_clash_is_refused_naming_the_other_visit(book):
    book(local(2026, 11, 23, 9))
    with pytest.raises(ValidationError) as caught:
        book(local(2026, 11, 23, 9, 15))
    assert error_codes(caught.value) == {"clash"}
    assert "already booked 2026-11-23 09:00–09:30" in str(caught.value)


def test_back_to_back_visits_are_allowed(book):
    book(local(2026, 11, 23, 9))
    book(local(2026, 11, 23, 9, 30))
    assert Appointment.objects.count() == 2


def test_a_cancelled_slot_can_be_booked_again(book):
    first = book(local(2026, 11, 23, 9))
    services.appointment_cancel(appointment=first, reason="Unwell")
    book(local(2026, 11, 23, 9))
    assert Appointment.objects.active().count() == 1


def test_another_practitioner_at_the_same_time_is_fine(book, location):
    other = UserFactory(role=Role.PHYSIO)
    book(local(2026, 11, 23, 9))
    book(local(2026, 11, 23, 9), practitioner=other, allow_outside_hours=True)
    assert Appointment.objects.count() == 2


def test_outside_working_hours_needs_confirmation(book):
    with pytest.raises(ValidationError) as caught:
        book(local(2026, 11, 23, 15, 45))  # would end 16:15
    assert error_codes(caught.value) == {"outside_hours"}
    book(local(2026, 11, 23, 15, 45), allow_outside_hours=True)


def test_a_day_off_counts_as_outside_hours(book, physio):
    TimeOff.objects.create(practitioner=physio, day="2026-11-23", reason="Course")
    with pytest.raises(ValidationError) as caught:
        book(local(2026, 11, 23, 9))
    assert error_codes(caught.value) == {"outside_hours"}


def test_past_and_far_future_times_are_refused(book):
    with pytest.raises(ValidationError) as caught:
        book(local(2026, 11, 20, 9, 30))
    assert "already passed" in str(caught.value)
    with pytest.raises(ValidationError) as caught:
        book(local(2029, 1, 8, 9))
    assert "two years ahead" in str(caught.value)


def test_only_physiotherapists_can_be_booked(book, front_desk):
    with pytest.raises(ValidationError) as caught:
        book(local(2026, 11, 23, 9), practitioner=front_desk, allow_outside_hours=True)
    assert "not_practitioner" in error_codes(caught.value)


def test_an_inactive_physiotherapist_cannot_be_booked(book, physio):
    physio.is_active = False
    physio.save(update_fields=["is_active"])
    with pytest.raises(ValidationError) as caught:
        book(local(2026, 11, 23, 9), allow_outside_hours=True)
    assert "not_practitioner" in error_codes(caught.value)


class TestEligibility:
    @pytest.fixture
    def recently_operated(self, patient):
        surgery = {"rows": [{"date": "2026-11-01", "description": "Hernia repair"}]}
        submitted_intake(patient, surgeries=surgery)
        return patient

    def test_needling_on_a_blocked_date_needs_an_override_note(self, book, recently_operated):
        with pytest.raises(ValidationError) as caught:
            book(local(2026, 11, 23, 9), patient=recently_operated)
        message = str(caught.value)
        assert error_codes(caught.value) == {"not_eligible"}
        assert "Not before 2027-01-24, physiotherapist to review" in message
        assert "Hernia" not in message

    def test_with_an_override_note_it_is_booked_and_kept(self, book, recently_operated):
        appointment = book(
            local(2026, 11, 23, 9),
            patient=recently_operated,
            override_note="Physiotherapist to reassess; no needling",
        )
        assert appointment.eligibility_override.startswith("Physiotherapist to reassess")

    def test_eligible_from_the_day_the_window_ends(self, book, recently_operated):
        book(local(2027, 1, 24, 9), patient=recently_operated)

    def test_a_type_without_needling_is_not_screened(self, book, recently_operated, talk):
        book(local(2026, 11, 23, 9), patient=recently_operated, type=talk)


class TestMessages:
    def test_first_booking_sends_intake_link_and_confirmation_after_commit(
        self, book, patient, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            book(local(2026, 11, 23, 9), patient=patient)
        subjects = sorted(m.subject for m in mail.outbox)
        assert subjects[0].startswith("Your appointment on Monday 23 November at 09:00")
        assert subjects[1].startswith("Your health questionnaire")
        assert IntakeInvitation.objects.filter(intake__patient=patient).count() == 1

    def test_confirmation_holds_no_health_information(
        self, book, patient, django_capture_on_commit_callbacks
    ):
        submitted_intake(patient)
        with django_capture_on_commit_callbacks(execute=True):
            book(local(2026, 11, 23, 9), patient=patient)
        (message,) = mail.outbox
        assert "IMS" not in message.body.replace("& IMS", "")
        assert "needl" not in message.body.lower()

    def test_the_confirmation_greets_the_patient_by_their_greeting_name(
        self, book, django_capture_on_commit_callbacks
    ):
        patient = PatientFactory(
            legal_first_name="Margaret", preferred_name="Peggy", email="peggy@example.com"
        )
        submitted_intake(patient)
        with django_capture_on_commit_callbacks(execute=True):
            book(local(2026, 11, 23, 9), patient=patient)
        (message,) = mail.outbox
        assert message.body.startswith("Hello Peggy,")

    def test_a_rolled_back_booking_sends_nothing(self, book, patient):
        with pytest.raises(RuntimeError), transaction.atomic():
            book(local(2026, 11, 23, 9), patient=patient)
            raise RuntimeError("something after the booking failed")
        assert mail.outbox == []
        assert not Appointment.objects.exists()

    def test_no_confirmation_for_a_patient_who_declined_email(
        self, book, django_capture_on_commit_callbacks
    ):
        patient = PatientFactory(email="x@example.com", email_reminders=False)
        submitted_intake(patient)
        with django_capture_on_commit_callbacks(execute=True):
            book(local(2026, 11, 23, 9), patient=patient)
        assert mail.outbox == []

    def test_an_open_intake_link_is_not_sent_twice(
        self, book, patient, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            book(local(2026, 11, 23, 9), patient=patient)
            book(local(2026, 11, 24, 9), patient=patient)
        assert IntakeInvitation.objects.filter(intake__patient=patient).count() == 1


class TestChanges:
    def test_reschedule_moves_and_checks_for_clashes(self, book, physio, location, treatment):
        other = book(local(2026, 11, 23, 11))
        moving = book(local(2026, 11, 23, 9))
        services.appointment_reschedule(
            appointment=moving,
            practitioner=physio,
            location=location,
            type=treatment,
            start=local(2026, 11, 23, 10),
        )
        moving.refresh_from_db()
        assert moving.start == local(2026, 11, 23, 10)
        with pytest.raises(ValidationError, match="already booked"):
            services.appointment_reschedule(
                appointment=moving,
                practitioner=physio,
                location=location,
                type=treatment,
                start=other.start,
            )

    def test_reschedule_into_its_own_time_is_fine(self, book, physio, location, treatment):
        appointment = book(local(2026, 11, 23, 9))
        services.appointment_reschedule(
            appointment=appointment,
            practitioner=physio,
            location=location,
            type=treatment,
            start=local(2026, 11, 23, 9, 15),
        )

    def test_status_follows_the_visit(self, book):
        appointment = book(local(2026, 11, 23, 9))
        at = local(2026, 11, 23, 9, 5)
        services.appointment_set_status(appointment=appointment, status="arrived", now=at)
        services.appointment_set_status(appointment=appointment, status="completed", now=at)
        with pytest.raises(ValidationError, match="cannot be marked"):
            services.appointment_set_status(appointment=appointment, status="no_show", now=at)

    def test_a_patient_is_marked_arrived_on_the_visit_day_not_before(self, book):
        appointment = book(local(2026, 11, 23, 9))
        with pytest.raises(ValidationError, match="marked arrived that day"):
            services.appointment_set_status(
                appointment=appointment, status="arrived", now=local(2026, 11, 22, 23, 59)
            )
        services.appointment_set_status(
            appointment=appointment, status="arrived", now=local(2026, 11, 23, 0, 0)
        )

    @pytest.mark.parametrize("status", ["no_show", "completed"])
    def test_a_visit_is_a_no_show_or_completed_only_once_it_has_started(self, book, status):
        appointment = book(local(2026, 11, 23, 9))
        if status == "completed":
            services.appointment_set_status(
                appointment=appointment, status="arrived", now=local(2026, 11, 23, 8, 50)
            )
        with pytest.raises(ValidationError, match="has not started yet"):
            services.appointment_set_status(
                appointment=appointment,
                status=status,
                now=local(2026, 11, 23, 9) - timedelta(seconds=1),
            )
        services.appointment_set_status(
            appointment=appointment, status=status, now=local(2026, 11, 23, 9)
        )
        appointment.refresh_from_db()
        assert appointment.status == status

    def test_cancel_needs_a_reason_and_is_final(self, book):
        appointment = book(local(2026, 11, 23, 9))
        with pytest.raises(ValidationError):
            services.appointment_cancel(appointment=appointment, reason="  ")
        services.appointment_cancel(appointment=appointment, reason="Unwell")
        with pytest.raises(ValidationError, match="cannot be marked"):
            services.appointment_set_status(appointment=appointment, status="arrived")

    def test_visit_numbers_count_only_kept_visits(self, book, patient):
        visits = [book(local(2026, 11, 23 + i, 9), patient=patient) for i in range(4)]
        services.appointment_cancel(appointment=visits[1], reason="Unwell")
        services.appointment_set_status(
            appointment=visits[2], status="no_show", now=local(2026, 11, 25, 9, 30)
        )
        numbers = dict(Appointment.objects.with_visit_number().values_list("pk", "visit_number"))
        assert numbers[visits[0].pk] == 1
        assert numbers[visits[3].pk] == 2


class TestDaylightSaving:
    def test_a_visit_after_spring_forward_is_stored_in_real_time(self, book):
        with_time = book(local(2027, 3, 15, 9))  # MDT, UTC-6
        assert with_time.start.utcoffset() is not None
        assert with_time.start.astimezone(local(2027, 1, 1, 0).tzinfo).hour == 9
        assert (with_time.end - with_time.start) == timedelta(minutes=30)

    @pytest.mark.parametrize("day, utc_hour", [((2026, 11, 1), 16), ((2027, 3, 14), 15)])
    def test_nine_oclock_on_a_change_day_is_nine_local(self, book, frozen_now, day, utc_hour):
        frozen_now.move_to(local(*day, 9) - timedelta(days=5))
        appointment = book(local(*day, 9))
        appointment.refresh_from_db()
        assert appointment.start.hour == utc_hour  # stored as UTC


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
class TestOneActiveCourseOnPostgres:
    def test_first_bookings_racing_for_a_new_patient_open_one_course(
        self, physio, location, treatment, hours, front_desk
    ):
        patient = PatientFactory(email="")
        barrier = threading.Barrier(4)
        results: list[str] = []

        def attempt(hour):
            close_old_connections()
            try:
                barrier.wait()
                services.appointment_book(
                    patient=patient,
                    practitioner=physio,
                    location=location,
                    type=treatment,
                    start=local(2026, 11, 23, hour),
                    created_by=front_desk,
                )
                results.append("booked")
            except Exception as exc:  # noqa: BLE001 - any failure is the test's finding
                results.append(repr(exc))
            finally:
                connection.close()

        threads = [threading.Thread(target=attempt, args=(h,)) for h in (9, 10, 11, 12)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
        assert results == ["booked"] * 4
        (course,) = Course.objects.filter(patient=patient, closed_on__isnull=True)
        assert set(Appointment.objects.values_list("course", flat=True)) == {course.pk}

    def test_the_database_refuses_a_second_active_course(self, patient):
        CourseFactory(patient=patient)
        with pytest.raises(IntegrityError), transaction.atomic():
            CourseFactory(patient=patient)
        Course.objects.filter(patient=patient).update(closed_on=date(2026, 11, 20))
        CourseFactory(patient=patient)  # a new course once the old one is closed


class TestActiveCourse:
    def test_the_active_course_is_none_without_an_open_course(self, patient):
        Course.objects.create(patient=patient, closed_on=date(2026, 11, 1))
        assert selectors.course_active(patient=patient) is None

    def test_reading_the_active_course_creates_none(self, patient):
        selectors.course_active(patient=patient)
        assert not Course.objects.exists()

    def test_the_active_course_is_the_open_one(self, patient):
        Course.objects.create(patient=patient, closed_on=date(2026, 11, 1))
        course = Course.objects.create(patient=patient)
        assert selectors.course_active(patient=patient) == course

    def test_open_or_get_opens_one_course_and_then_returns_it(self, patient):
        first = services.course_open_or_get(patient=patient)
        assert services.course_open_or_get(patient=patient) == first
        assert Course.objects.filter(patient=patient).count() == 1

    def test_a_get_of_the_course_form_creates_no_course(self, client_for, front_desk, patient):
        response = client_for(front_desk).get(reverse("sessions:course-edit", args=[patient.pk]))
        assert response.status_code == 200
        assert not Course.objects.exists()

    def test_saving_the_course_form_opens_the_course_with_the_plan(
        self, client_for, front_desk, patient
    ):
        client_for(front_desk).post(
            reverse("sessions:course-edit", args=[patient.pk]),
            {"planned_min": 6, "planned_max": 8},
        )
        (course,) = Course.objects.filter(patient=patient)
        assert (course.planned_min, course.planned_max, course.closed_on) == (6, 8, None)

    def test_saving_the_course_form_changes_the_open_course(self, client_for, front_desk, patient):
        course = Course.objects.create(patient=patient)
        client_for(front_desk).post(
            reverse("sessions:course-edit", args=[patient.pk]),
            {"planned_min": 4, "planned_max": 5},
        )
        course.refresh_from_db()
        assert (course.planned_min, course.planned_max) == (4, 5)
        assert Course.objects.filter(patient=patient).count() == 1

    def test_a_refused_course_form_creates_no_course(self, client_for, front_desk, patient):
        response = client_for(front_desk).post(
            reverse("sessions:course-edit", args=[patient.pk]),
            {"planned_min": 8, "planned_max": 2},
        )
        assert "cannot be fewer than the least" in response.content.decode()
        assert not Course.objects.exists()

    def test_the_patient_page_creates_no_course(self, client_for, front_desk, patient):
        client_for(front_desk).get(reverse("intake:patient-detail", args=[patient.pk]))
        assert not Course.objects.exists()
