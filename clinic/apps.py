from django.apps import AppConfig


class ClinicConfig(AppConfig):
    name = "clinic"
    verbose_name = "Clinic"

    def ready(self) -> None:
        # Imported here, not at the top: this module is loaded before any model, and
        # roles (through Django's ModelBackend) and security (through the MFA views) load
        # models. Importing security connects the login signals.
        # tests/clinic/test_imports.py allows this one function-level import.
        from django.db.models.signals import post_migrate
        from django.urls import register_converter

        from . import roles, security  # noqa: F401
        from .converters import RecordId

        register_converter(RecordId, "id")

        post_migrate.connect(roles.sync_role_permissions, dispatch_uid="sync_role_permissions")
