"""Which follow-up messages signing and booking schedule, and how moving or cancelling an
appointment changes them (a message key counts live rows only)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.db import IntegrityError, transaction

from sessions.booking import services
from sessions.charting import services as charting
from sessions.charting import sites
from sessions.followups import services as followups
from sessions.models import Muscle, ScheduledMessage, Visit
from tests.factories import NeedlingAuthorisationFactory
from tests.sessions.conftest import local
from tests.sessions.followups.conftest import checkin, dispatch_and_send, make_visit, reschedule


class TestScheduling:
    def test_signing_a_needling_visit_schedules_24_and_48_hour_checkins(self, visit, physio):
        NeedlingAuthorisationFactory(practitioner=physio)
        charting.visit_safety_check(
            visit=visit,
            by=physio,
            pregnancy="no",
            surgery_date=None,
            surgery_description="",
            anticoagulants=False,
            medication_notes="",
            consent_today=True,
        )
        charting.visit_acknowledge(visit=visit, by=physio)
        muscle = Muscle.objects.create(name="Test muscle", region="hip", nerve_roots="L5")
        sites.site_add(
            visit=visit,
            by=visit.author,
            muscle=muscle,
            side="left",
            depth_cm=Decimal(3),
            twitch="weak",
        )
        Visit.objects.filter(pk=visit.pk).update(
            nprs_before=5,
            needle_product="X",
            needle_size="Y",
            needles_out=1,
            needles_back=1,
            single_use_sterile=True,
            skin_antisepsis=True,
            gloves=True,
            sharps_disposal=True,
        )
        charting.visit_sign(
            visit=visit,
            by=physio,
            aftercare_template=None,
            aftercare_text="Rest",
            home_exercises="",
        )
        due = sorted(
            ScheduledMessage.objects.filter(kind="checkin").values_list("due_at", flat=True)
        )
        assert due == [local(2026, 11, 21, 10), local(2026, 11, 22, 10)]

    def test_offsets_come_from_settings_and_may_be_decimal(self, visit, settings):
        settings.FOLLOWUP_CHECKIN_HOURS = [1.5, 36]
        messages = followups.checkins_schedule(visit=visit)
        # The visit ends at 10:00: 11:30 the same day, and 22:00 the next, which falls
        # in quiet hours and so waits until 08:00.
        assert [m.due_at for m in messages] == [local(2026, 11, 20, 11, 30), local(2026, 11, 22, 8)]
        assert [m.hours_after for m in messages] == [Decimal("1.5"), Decimal("36")]

    def test_checkins_are_scheduled_once(self, visit):
        followups.checkins_schedule(visit=visit)
        followups.checkins_schedule(visit=visit)
        assert ScheduledMessage.objects.count() == 2

    def test_a_checkin_due_in_quiet_hours_waits_for_the_morning(
        self, physio, patient, location, treatment, settings
    ):
        settings.FOLLOWUP_CHECKIN_HOURS = [24]
        late = make_visit(
            physio,
            patient,
            location,
            treatment,
            local(2026, 11, 20, 21, 30),
            local(2026, 11, 20, 22),
        )
        (message,) = followups.checkins_schedule(visit=late)
        assert message.due_at == local(2026, 11, 22, 8)

    def test_quiet_hours_end_at_eight_local_across_the_fall_back_change(
        self, physio, patient, location, treatment, settings, frozen_now
    ):
        frozen_now.move_to(local(2026, 10, 30, 12))
        settings.FOLLOWUP_CHECKIN_HOURS = [24]
        visit = make_visit(
            physio,
            patient,
            location,
            treatment,
            local(2026, 10, 31, 22),
            local(2026, 10, 31, 22, 30),
        )
        (message,) = followups.checkins_schedule(visit=visit)
        assert message.due_at == local(2026, 11, 2, 8)
        assert message.due_at.astimezone(local(2026, 11, 2, 8).tzinfo).utcoffset() == timedelta(
            hours=-7
        )

    def test_booking_schedules_a_reminder_the_day_before(self, book_any):
        appointment = book_any(local(2026, 11, 24, 9))
        reminder = ScheduledMessage.objects.get(kind="reminder")
        assert reminder.due_at == local(2026, 11, 23, 10)
        assert reminder.appointment == appointment

    def test_reminder_time_is_configurable(self, book_any, settings):
        settings.REMINDER_TIME = "17:30"
        book_any(local(2026, 11, 24, 9))
        assert ScheduledMessage.objects.get(kind="reminder").due_at == local(2026, 11, 23, 17, 30)

    def test_a_visit_tomorrow_booked_after_reminder_time_is_reminded_soon(
        self, book_any, frozen_now
    ):
        frozen_now.move_to(local(2026, 11, 20, 15))
        book_any(local(2026, 11, 21, 9))
        assert ScheduledMessage.objects.get(kind="reminder").due_at == local(2026, 11, 20, 15)

    def test_no_reminder_for_a_visit_within_two_hours(self, book_any):
        book_any(local(2026, 11, 20, 11))
        assert not ScheduledMessage.objects.filter(kind="reminder").exists()

    def test_rescheduling_moves_the_reminder_and_cancelling_cancels_it(
        self, book_any, physio, location, treatment
    ):
        appointment = book_any(local(2026, 11, 24, 9))
        services.appointment_reschedule(
            appointment=appointment,
            practitioner=physio,
            location=location,
            type=treatment,
            start=local(2026, 11, 26, 9),
        )
        pending = ScheduledMessage.objects.get(
            kind="reminder", status=ScheduledMessage.Status.PENDING
        )
        assert pending.due_at == local(2026, 11, 25, 10)
        assert (
            ScheduledMessage.objects.filter(
                kind="reminder", status=ScheduledMessage.Status.CANCELLED
            ).count()
            == 1
        )
        services.appointment_cancel(appointment=appointment, reason="Unwell")
        assert not ScheduledMessage.objects.filter(status=ScheduledMessage.Status.PENDING).exists()

    def test_a_rolled_back_booking_leaves_no_message(self, book_any):
        with pytest.raises(RuntimeError), transaction.atomic():
            book_any(local(2026, 11, 24, 9))
            raise RuntimeError("failed later in the request")
        assert not ScheduledMessage.objects.exists()

    def test_a_rolled_back_signing_leaves_no_message(self, visit):
        with pytest.raises(RuntimeError), transaction.atomic():
            followups.checkins_schedule(visit=visit)
            raise RuntimeError("failed later in the request")
        assert not ScheduledMessage.objects.exists()


class TestKeysCountLiveRowsOnly:
    def test_a_visit_moved_away_and_back_has_one_pending_reminder_for_its_time(self, book_any):
        appointment = book_any(local(2026, 11, 24, 10))
        reschedule(appointment, local(2026, 11, 24, 11))
        reschedule(appointment, local(2026, 11, 24, 10))
        (pending,) = ScheduledMessage.objects.filter(
            kind="reminder", status=ScheduledMessage.Status.PENDING
        )
        assert pending.key == followups.reminder_key(appointment)
        assert pending.due_at == local(2026, 11, 23, 10)
        assert (
            ScheduledMessage.objects.filter(status=ScheduledMessage.Status.CANCELLED).count() == 2
        )

    def test_the_pending_reminder_for_the_old_time_goes_out_for_the_new_one(
        self, book_any, frozen_now
    ):
        appointment = book_any(local(2026, 11, 24, 10))
        reschedule(appointment, local(2026, 11, 24, 11))
        reschedule(appointment, local(2026, 11, 24, 10))
        frozen_now.move_to(local(2026, 11, 23, 10))
        assert dispatch_and_send() == ["sent"]
        (email,) = mail.outbox
        assert "tomorrow at 10:00" in email.subject

    @pytest.mark.parametrize(
        "dead", [ScheduledMessage.Status.CANCELLED, ScheduledMessage.Status.SKIPPED]
    )
    def test_checkins_scheduled_again_after_their_rows_died_are_pending(self, visit, dead):
        followups.checkins_schedule(visit=visit)
        ScheduledMessage.objects.update(status=dead)
        again = followups.checkins_schedule(visit=visit)
        assert len(again) == 2
        assert ScheduledMessage.objects.filter(status=ScheduledMessage.Status.PENDING).count() == 2

    @pytest.mark.parametrize(
        "live",
        [
            ScheduledMessage.Status.PENDING,
            ScheduledMessage.Status.SENDING,
            ScheduledMessage.Status.SENT,
            ScheduledMessage.Status.FAILED,
        ],
    )
    def test_a_live_row_still_holds_its_key(self, visit, live):
        followups.checkins_schedule(visit=visit)
        ScheduledMessage.objects.update(status=live)
        assert followups.checkins_schedule(visit=visit) == []
        assert ScheduledMessage.objects.count() == 2

    def test_the_database_refuses_a_second_live_row_under_one_key(self, visit):
        checkin(visit, key="k", status=ScheduledMessage.Status.CANCELLED)
        checkin(visit, key="k", status=ScheduledMessage.Status.SKIPPED)
        checkin(visit, key="k")  # one live row next to dead ones is fine
        with pytest.raises(IntegrityError), transaction.atomic():
            checkin(visit, key="k", status=ScheduledMessage.Status.SENT)
