"""Two-way confirmation on the day calendar: each booked visit still to come is marked
confirmed (and how) or not; once its reminder has gone out without an answer it says
"Not confirmed — call"; front desk (and the physio, who also manage bookings) mark it
confirmed after a call, through ``booking.services.appointment_confirm``."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from clinic.models import AuditEvent
from sessions.booking import services
from sessions.booking.models import Appointment, Confirmation
from sessions.followups.models import ScheduledMessage
from sessions.followups.services import reminder_key
from tests.factories import AppointmentFactory, ScheduledMessageFactory
from tests.sessions.calendar_views.conftest import seed_day
from tests.sessions.conftest import NOW, local

MONDAY = local(2026, 11, 23, 9)
CALL = 'data-testid="mark-call"'


def day_url(location, day="2026-11-23"):
    return reverse("sessions:calendar-day") + f"?date={day}&location={location.pk}"


def visit_at(physio, location, type, start=MONDAY, **fields) -> Appointment:
    return AppointmentFactory(
        practitioner=physio, location=location, type=type, start=start, **fields
    )


def reminder_sent(appointment: Appointment, key: str | None = None) -> ScheduledMessage:
    """The visit's reminder, sent the day before (``key``: another time's reminder)."""
    sent = appointment.start - timedelta(days=1)
    return ScheduledMessageFactory(
        visit=None,
        appointment=appointment,
        kind=ScheduledMessage.Kind.REMINDER,
        hours_after=None,
        key=key or reminder_key(appointment),
        due_at=sent,
        status=ScheduledMessage.Status.SENT,
        sent_at=sent,
        channels="sms",
    )


def confirm_url(appointment):
    return reverse("sessions:appointment-confirm", args=[appointment.pk])


class TestCalendarMarks:
    def test_a_visit_confirmed_by_text_says_so(
        self, client_for, front_desk, physio, location, treatment, hours
    ):
        visit_at(physio, location, treatment, confirmed_at=NOW, confirmed_via=Confirmation.SMS)
        page = client_for(front_desk).get(day_url(location)).content.decode()
        assert "Confirmed by text reply" in page
        assert "Not confirmed" not in page
        assert "Mark confirmed" not in page

    def test_an_unconfirmed_visit_without_a_reminder_is_not_confirmed_but_not_to_call(
        self, client_for, front_desk, physio, location, treatment, hours
    ):
        visit_at(physio, location, treatment)
        page = client_for(front_desk).get(day_url(location)).content.decode()
        assert 'data-testid="mark-not-confirmed">Not confirmed<' in page
        assert CALL not in page
        assert "Mark confirmed" in page

    def test_a_reminder_sent_without_an_answer_says_call_in_words_with_the_number(
        self, client_for, front_desk, physio, location, treatment, hours
    ):
        visit = visit_at(physio, location, treatment)
        reminder_sent(visit)
        page = client_for(front_desk).get(day_url(location)).content.decode()
        assert CALL in page
        assert "Not confirmed — call" in page
        assert f'href="tel:{visit.patient.phone}"' in page
        assert "has not confirmed" in page  # said to screen readers, not only a colour

    def test_a_reminder_for_the_visits_earlier_time_does_not_ask_for_a_call(
        self, client_for, front_desk, physio, location, treatment, hours
    ):
        visit = visit_at(physio, location, treatment)
        reminder_sent(visit, key=f"reminder:{visit.pk}:{int(MONDAY.timestamp()) - 3600}")
        page = client_for(front_desk).get(day_url(location)).content.decode()
        assert CALL not in page
        assert "Not confirmed" in page

    def test_a_confirmed_visit_is_not_to_call_even_after_its_reminder(
        self, client_for, front_desk, physio, location, treatment, hours
    ):
        visit = visit_at(
            physio, location, treatment, confirmed_at=NOW, confirmed_via=Confirmation.LINK
        )
        reminder_sent(visit)
        page = client_for(front_desk).get(day_url(location)).content.decode()
        assert CALL not in page
        assert "Confirmed from the visit link" in page

    def test_cancelled_visits_carry_no_confirmation_mark(
        self, client_for, front_desk, physio, location, treatment, hours
    ):
        visit = visit_at(physio, location, treatment, status=Appointment.Status.CANCELLED)
        reminder_sent(visit)
        page = client_for(front_desk).get(day_url(location)).content.decode()
        assert 'data-testid="mark-' not in page.replace('data-testid="mark-online"', "")
        assert "Mark confirmed" not in page

    def test_today_a_minute_before_the_visit_it_is_still_to_call(
        self, client_for, front_desk, physio, location, treatment, hours, frozen_now
    ):
        visit = visit_at(physio, location, treatment, start=local(2026, 11, 20, 14))
        reminder_sent(visit)
        frozen_now.move_to(local(2026, 11, 20, 13, 59))
        page = client_for(front_desk).get(day_url(location, "2026-11-20")).content.decode()
        assert CALL in page

    def test_today_once_the_visit_has_started_it_is_not_to_call(
        self, client_for, front_desk, physio, location, treatment, hours, frozen_now
    ):
        visit = visit_at(physio, location, treatment, start=local(2026, 11, 20, 14))
        reminder_sent(visit)
        frozen_now.move_to(local(2026, 11, 20, 14))
        page = client_for(front_desk).get(day_url(location, "2026-11-20")).content.decode()
        assert CALL not in page
        assert "Not confirmed" not in page
        assert "Mark confirmed" not in page

    def test_the_week_view_carries_the_marks_too(
        self, client_for, front_desk, physio, location, treatment, hours
    ):
        reminder_sent(visit_at(physio, location, treatment))
        url = reverse("sessions:calendar-week") + f"?date=2026-11-23&location={location.pk}"
        assert CALL in client_for(front_desk).get(url).content.decode()

    def test_query_count_does_not_grow_with_reminders_and_confirmations(
        self,
        client_for,
        front_desk,
        physio,
        location,
        treatment,
        hours,
        django_assert_max_num_queries,
    ):
        def mark_half():
            fresh = Appointment.objects.filter(messages__isnull=True, confirmed_at__isnull=True)
            for i, visit in enumerate(fresh):
                if i % 2:
                    reminder_sent(visit)
                else:
                    visit.confirmed_at, visit.confirmed_via = NOW, Confirmation.SMS
                    visit.save()

        client = client_for(front_desk)
        seed_day(physio, location, treatment, 20)
        mark_half()
        with django_assert_max_num_queries(16) as small:
            page = client.get(day_url(location)).content.decode()
        assert page.count(CALL) == 10
        seed_day(physio, location, treatment, 20, first=20)
        mark_half()
        with django_assert_max_num_queries(len(small.captured_queries)):
            page = client.get(day_url(location)).content.decode()
        assert page.count(CALL) == 20
        assert page.count("Confirmed by text reply") == 20


class TestConfirmService:
    def test_front_desk_confirmation_is_recorded_with_how_and_when(
        self, physio, location, treatment
    ):
        visit = visit_at(physio, location, treatment)
        services.appointment_confirm(appointment=visit, via=Confirmation.FRONT_DESK)
        visit.refresh_from_db()
        assert (visit.confirmed_at, visit.confirmed_via) == (NOW, Confirmation.FRONT_DESK)

    def test_a_second_confirmation_keeps_the_first(self, physio, location, treatment):
        visit = visit_at(physio, location, treatment)
        services.appointment_confirm(appointment=visit, via=Confirmation.SMS)
        services.appointment_confirm(
            appointment=visit, via=Confirmation.FRONT_DESK, now=NOW + timedelta(hours=1)
        )
        visit.refresh_from_db()
        assert (visit.confirmed_at, visit.confirmed_via) == (NOW, Confirmation.SMS)

    def test_a_cancelled_visit_cannot_be_confirmed(self, physio, location, treatment):
        visit = visit_at(physio, location, treatment, status=Appointment.Status.CANCELLED)
        with pytest.raises(ValidationError) as refused:
            services.appointment_confirm(appointment=visit, via=Confirmation.FRONT_DESK)
        assert not hasattr(refused.value, "error_dict")  # keyed by no field
        assert refused.value.messages == ["A cancelled visit cannot be confirmed."]
        visit.refresh_from_db()
        assert visit.confirmed_at is None

    def test_a_visit_that_has_started_cannot_be_confirmed(self, physio, location, treatment):
        visit = visit_at(physio, location, treatment, start=NOW)
        with pytest.raises(ValidationError, match="already started"):
            services.appointment_confirm(appointment=visit, via=Confirmation.FRONT_DESK)
        services.appointment_confirm(
            appointment=visit, via=Confirmation.FRONT_DESK, now=NOW - timedelta(minutes=1)
        )
        visit.refresh_from_db()
        assert visit.confirmed_via == Confirmation.FRONT_DESK

    def test_an_online_booking_awaiting_approval_cannot_be_confirmed(
        self, physio, location, treatment
    ):
        visit = visit_at(physio, location, treatment, booked_online=True, needs_approval=True)
        with pytest.raises(ValidationError, match="awaits the clinic's approval"):
            services.appointment_confirm(appointment=visit, via=Confirmation.LINK)

    def test_moving_a_confirmed_visit_clears_its_confirmation(self, physio, location, talk, hours):
        visit = visit_at(physio, location, talk)
        services.appointment_confirm(appointment=visit, via=Confirmation.SMS)
        services.appointment_reschedule(
            appointment=visit,
            practitioner=physio,
            location=location,
            type=talk,
            start=local(2026, 11, 23, 11),
        )
        visit.refresh_from_db()
        assert (visit.confirmed_at, visit.confirmed_via) == (None, "")

    def test_saving_a_confirmed_visit_at_its_own_time_keeps_its_confirmation(
        self, physio, location, talk, hours
    ):
        visit = visit_at(physio, location, talk)
        services.appointment_confirm(appointment=visit, via=Confirmation.SMS)
        services.appointment_reschedule(
            appointment=visit,
            practitioner=physio,
            location=location,
            type=talk,
            start=MONDAY,
            front_desk_note="Parking at the back",
        )
        visit.refresh_from_db()
        assert visit.confirmed_via == Confirmation.SMS


class TestMarkConfirmedButton:
    def test_front_desk_marks_a_visit_confirmed_and_it_is_audited(
        self, client_for, front_desk, physio, location, treatment, hours
    ):
        visit = visit_at(physio, location, treatment)
        back = day_url(location)
        response = client_for(front_desk).post(confirm_url(visit), {"next": back})
        assert response.status_code == 302 and response.url == back
        visit.refresh_from_db()
        assert visit.confirmed_via == Confirmation.FRONT_DESK
        event = AuditEvent.objects.filter(detail="confirmed by phone").get()
        assert (event.user, event.patient) == (front_desk, visit.patient)
        page = client_for(front_desk).get(back).content.decode()
        assert "Confirmed to front desk" in page

    def test_the_physio_who_manages_bookings_may_mark_it_too(
        self, client_for, physio, location, treatment, hours
    ):
        visit = visit_at(physio, location, treatment)
        client_for(physio).post(confirm_url(visit))
        visit.refresh_from_db()
        assert visit.confirmed_via == Confirmation.FRONT_DESK

    def test_a_clinic_admin_is_refused_as_for_the_calendar(
        self, client_for, clinic_admin, physio, location, treatment
    ):
        visit = visit_at(physio, location, treatment)
        assert client_for(clinic_admin).post(confirm_url(visit)).status_code == 403
        visit.refresh_from_db()
        assert visit.confirmed_at is None

    def test_anonymous_is_sent_to_sign_in(self, client, physio, location, treatment):
        visit = visit_at(physio, location, treatment)
        response = client.post(confirm_url(visit))
        assert response.status_code == 302 and "/accounts/login/" in response.url
        visit.refresh_from_db()
        assert visit.confirmed_at is None

    def test_a_get_changes_nothing(self, client_for, front_desk, physio, location, treatment):
        visit = visit_at(physio, location, treatment)
        assert client_for(front_desk).get(confirm_url(visit)).status_code == 405
        visit.refresh_from_db()
        assert visit.confirmed_at is None

    def test_a_cancelled_visit_is_refused_with_the_reason(
        self, client_for, front_desk, physio, location, treatment, hours
    ):
        visit = visit_at(physio, location, treatment, status=Appointment.Status.CANCELLED)
        response = client_for(front_desk).post(confirm_url(visit), follow=True)
        assert "A cancelled visit cannot be confirmed." in response.content.decode()
        visit.refresh_from_db()
        assert visit.confirmed_at is None
        assert not AuditEvent.objects.filter(detail="confirmed by phone").exists()

    def test_the_appointment_page_offers_the_button_until_confirmed(
        self, client_for, front_desk, physio, location, treatment
    ):
        visit = visit_at(physio, location, treatment)
        client = client_for(front_desk)
        detail = reverse("sessions:appointment-detail", args=[visit.pk])
        page = client.get(detail).content.decode()
        assert "Not confirmed" in page and "Mark confirmed (patient reached by phone)" in page
        client.post(confirm_url(visit), {"next": detail})
        page = client.get(detail).content.decode()
        assert "Confirmed</span> to front desk" in page
        assert "Mark confirmed" not in page
