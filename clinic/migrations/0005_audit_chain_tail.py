"""On PostgreSQL, one call takes the audit chain's lock and reads its last digest.

The function is VOLATILE, so its SELECT runs with a snapshot taken after the lock is
held: it sees the row of a writer that committed while this one waited.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION clinic_audit_chain_tail(lock_key bigint) RETURNS text AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(lock_key);
    RETURN (SELECT digest FROM clinic_auditevent ORDER BY id DESC LIMIT 1);
END;
$$ LANGUAGE plpgsql VOLATILE;
"""

DROP = "DROP FUNCTION IF EXISTS clinic_audit_chain_tail(bigint);"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("clinic", "0004_audit_hash_chain")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
