"""The three staff roles as groups. Their permissions are kept in step with
clinic.roles.ROLE_PERMISSIONS after every migrate (clinic.roles.sync_role_permissions)."""

from django.db import migrations

ROLE_NAMES = ["Clinic admin", "Physiotherapist", "Front desk"]


def create_groups(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for name in ROLE_NAMES:
        Group.objects.get_or_create(name=name)


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLE_NAMES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("clinic", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
