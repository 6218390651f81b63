from django.apps import AppConfig


class ClinicConfig(AppConfig):
    name = "clinic"
    verbose_name = "Clinic"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from . import roles, security  # noqa: F401 (security connects the login signals)

        post_migrate.connect(roles.sync_role_permissions, dispatch_uid="sync_role_permissions")
