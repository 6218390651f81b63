from django.apps import AppConfig


class ClinicConfig(AppConfig):
    name = "clinic"
    verbose_name = "Clinic"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate
        from django.urls import register_converter

        from . import roles, security  # noqa: F401 (security connects the login signals)
        from .converters import RecordId

        register_converter(RecordId, "id")

        post_migrate.connect(roles.sync_role_permissions, dispatch_uid="sync_role_permissions")
