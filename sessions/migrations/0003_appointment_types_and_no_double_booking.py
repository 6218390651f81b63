"""Default appointment types, and on PostgreSQL the database-level guarantee that a
practitioner is never booked twice: an exclusion constraint over [start, end) ranges
per practitioner, ignoring cancelled appointments (half-open, so back-to-back is fine)."""

from django.db import migrations

DEFAULT_TYPES = [
    ("Initial assessment + IMS", 60, True),
    ("IMS treatment", 30, True),
]

CREATE = """
CREATE EXTENSION IF NOT EXISTS btree_gist;
ALTER TABLE treatment_sessions_appointment
    ADD CONSTRAINT appt_no_double_booking
    EXCLUDE USING gist (
        practitioner_id WITH =,
        tstzrange(start, "end", '[)') WITH &&
    ) WHERE (status <> 'cancelled');
"""
DROP = """
ALTER TABLE treatment_sessions_appointment DROP CONSTRAINT IF EXISTS appt_no_double_booking;
"""


def add_types(apps, schema_editor):
    AppointmentType = apps.get_model("treatment_sessions", "AppointmentType")
    for name, minutes, needling in DEFAULT_TYPES:
        AppointmentType.objects.get_or_create(
            name=name, defaults={"duration_minutes": minutes, "involves_needling": needling}
        )


def add_exclusion(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def drop_exclusion(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("treatment_sessions", "0002_scheduling")]

    operations = [
        migrations.RunPython(add_types, migrations.RunPython.noop),
        migrations.RunPython(add_exclusion, drop_exclusion),
    ]
