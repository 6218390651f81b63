from django.apps import AppConfig


class TreatmentSessionsConfig(AppConfig):
    name = "sessions"
    # "sessions" alone clashes with django.contrib.sessions.
    label = "treatment_sessions"
    verbose_name = "Treatment sessions"

    def ready(self) -> None:
        # Booking tells online booking through signals (online imports booking, not the
        # other way round); the receivers load models, so they are imported once ready.
        from sessions import tasks
        from sessions.booking.signals import slot_freed, visit_link_wanted
        from sessions.online import services

        slot_freed.connect(tasks.on_slot_freed, dispatch_uid="waitlist-offer-freed")
        visit_link_wanted.connect(services.visit_link_answer, dispatch_uid="online-visit-link")
