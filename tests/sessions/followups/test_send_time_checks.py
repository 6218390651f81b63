"""What was decided when a message was scheduled is decided again when it is sent."""

from datetime import timedelta

from django.core import mail

from sessions.followups import dispatch
from sessions.models import Appointment, ScheduledMessage
from tests.sessions.conftest import local
from tests.sessions.followups.conftest import checkin, dispatch_and_send, reschedule


class TestCheckedAgainWhenSent:
    """What was decided at scheduling is decided again at send time (time pinned)."""

    def test_a_reminder_pushed_past_quiet_hours_to_the_visit_day_says_today(
        self, book_any, frozen_now
    ):
        frozen_now.move_to(local(2026, 11, 20, 22, 30))
        book_any(local(2026, 11, 21, 9))
        reminder = ScheduledMessage.objects.get(kind="reminder")
        assert reminder.due_at == local(2026, 11, 21, 8)
        frozen_now.move_to(local(2026, 11, 21, 8))
        assert dispatch_and_send() == ["sent"]
        (email,) = mail.outbox
        assert "today at 09:00" in email.subject and "tomorrow" not in email.subject
        assert "appointment today at" in email.body

    def test_a_reminder_sent_the_day_before_says_tomorrow(self, book_any, frozen_now):
        book_any(local(2026, 11, 24, 9))
        frozen_now.move_to(local(2026, 11, 23, 10))
        dispatch_and_send()
        assert "tomorrow at 09:00" in mail.outbox[0].subject

    def test_a_reminder_held_back_two_days_names_the_day(self, book_any, frozen_now):
        appointment = book_any(local(2026, 11, 24, 9))
        ScheduledMessage.objects.update(due_at=local(2026, 11, 22, 10))
        frozen_now.move_to(local(2026, 11, 22, 10))
        dispatch_and_send()
        assert "on Tuesday 24 November at 09:00" in mail.outbox[0].subject
        assert appointment.start == local(2026, 11, 24, 9)

    def test_a_reminder_dispatched_after_the_visit_started_is_skipped_with_the_reason(
        self, book_any, frozen_now
    ):
        book_any(local(2026, 11, 24, 9))
        frozen_now.move_to(local(2026, 11, 24, 12))  # the worker was down
        assert dispatch_and_send() == [ScheduledMessage.Status.SKIPPED]
        assert mail.outbox == []
        reminder = ScheduledMessage.objects.get(kind="reminder")
        assert reminder.status == ScheduledMessage.Status.SKIPPED
        assert "had started" in reminder.last_error

    def test_a_reminder_exactly_the_margin_before_the_visit_goes_out(
        self, book_any, frozen_now, settings
    ):
        settings.REMINDER_SKIP_WITHIN_MINUTES = 30
        book_any(local(2026, 11, 24, 9))
        frozen_now.move_to(local(2026, 11, 24, 8, 30))
        assert dispatch_and_send() == ["sent"]
        assert "today at 09:00" in mail.outbox[0].subject

    def test_a_reminder_a_second_inside_the_margin_is_skipped(self, book_any, frozen_now, settings):
        settings.REMINDER_SKIP_WITHIN_MINUTES = 30
        book_any(local(2026, 11, 24, 9))
        frozen_now.move_to(local(2026, 11, 24, 8, 30) + timedelta(seconds=1))
        assert dispatch_and_send() == [ScheduledMessage.Status.SKIPPED]
        reminder = ScheduledMessage.objects.get(kind="reminder")
        assert reminder.last_error == (
            "The visit starts in less than 30 minutes: too late to remind."
        )

    def test_a_reminder_claimed_before_its_visit_moved_is_not_sent(self, book_any, frozen_now):
        appointment = book_any(local(2026, 11, 24, 9))
        frozen_now.move_to(local(2026, 11, 23, 10))
        ((pk, claim),) = dispatch.messages_claim_due()
        reschedule(appointment, local(2026, 11, 26, 9))  # while the send task waits
        assert (
            dispatch.messages_send(ids=[pk], claim=claim)[pk] == ScheduledMessage.Status.CANCELLED
        )
        assert mail.outbox == []
        assert "moved" in ScheduledMessage.objects.get(pk=pk).last_error
        (pending,) = ScheduledMessage.objects.filter(status=ScheduledMessage.Status.PENDING)
        assert pending.due_at == local(2026, 11, 25, 10)

    def test_a_reminder_for_a_no_show_is_not_sent(self, book_any, frozen_now):
        appointment = book_any(local(2026, 11, 24, 9))
        frozen_now.move_to(local(2026, 11, 23, 10))
        Appointment.objects.filter(pk=appointment.pk).update(status=Appointment.Status.NO_SHOW)
        assert dispatch_and_send() == [ScheduledMessage.Status.CANCELLED]

    def test_a_reminder_for_a_patient_who_declined_email_since_booking_is_skipped(
        self, book_any, frozen_now, patient
    ):
        book_any(local(2026, 11, 24, 9))
        patient.email_reminders = False
        patient.save()
        frozen_now.move_to(local(2026, 11, 23, 10))
        assert dispatch_and_send() == [ScheduledMessage.Status.SKIPPED]
        assert mail.outbox == []

    def test_a_checkin_of_a_cancelled_visit_is_not_sent(self, visit):
        message = checkin(visit)
        Appointment.objects.filter(pk=visit.appointment_id).update(
            status=Appointment.Status.CANCELLED
        )
        assert dispatch_and_send() == [ScheduledMessage.Status.CANCELLED]
        message.refresh_from_db()
        assert message.last_error == "The appointment is cancelled."

    def test_a_checkin_of_an_unsigned_note_is_not_sent(self, visit):
        message = checkin(visit, sign=False)  # the app schedules check-ins at signing only
        assert dispatch_and_send() == [ScheduledMessage.Status.SKIPPED]
        message.refresh_from_db()
        assert message.last_error == "The visit's note is not signed."

    def test_every_kind_has_a_send_check(self):
        assert set(dispatch.SEND_CHECKS) == set(ScheduledMessage.Kind)
