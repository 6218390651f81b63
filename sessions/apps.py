from django.apps import AppConfig


class TreatmentSessionsConfig(AppConfig):
    name = "sessions"
    # "sessions" alone clashes with django.contrib.sessions.
    label = "treatment_sessions"
    verbose_name = "Treatment sessions"
