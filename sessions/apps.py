from django.apps import AppConfig


class TreatmentSessionsConfig(AppConfig):
    name = "sessions"
    # "sessions" alone clashes with django.contrib.sessions.
    label = "treatment_sessions"
    verbose_name = "Treatment sessions"

    def ready(self) -> None:
        # Booking tells online booking through signals (online imports booking, not the
        # other way round); the receivers load models, so they are imported once ready.
        from django.db.models.signals import post_delete, post_save

        from sessions import tasks
        from sessions.booking.models import TimeOff, WorkingHours
        from sessions.booking.signals import course_discharged, slot_freed, visit_link_wanted
        from sessions.online import services, waitlist_mail
        from sessions.outcomes import services as outcomes

        slot_freed.connect(tasks.on_slot_freed, dispatch_uid="waitlist-offer-freed")
        waitlist_mail.mail_wanted.connect(tasks.on_waitlist_mail, dispatch_uid="waitlist-mail")
        # New working hours or time off taken back open times: offer them to the list.
        post_save.connect(tasks.on_hours_saved, sender=WorkingHours, dispatch_uid="wl-hours")
        post_delete.connect(
            tasks.on_time_off_deleted, sender=TimeOff, dispatch_uid="waitlist-time-off"
        )
        visit_link_wanted.connect(services.visit_link_answer, dispatch_uid="online-visit-link")
        course_discharged.connect(outcomes.discharge_answer, dispatch_uid="outcomes-discharge")
