"""The first consent wording (clinics publish their own versions in the admin), and
trigram indexes so name and phone search stay fast on PostgreSQL at 100,000+ patients."""

from django.db import migrations

CONSENT_BODY = """\
Intramuscular stimulation (IMS) is a treatment for long-standing muscle and nerve pain. Your physiotherapist inserts a very fine, solid, single-use sterile needle into tight bands of muscle and moves it gently. Nothing is injected. The muscle may twitch or cramp briefly; that is expected and usually means the right spot was reached.

What you may feel afterwards: a deep ache or soreness for about one to two days, sometimes bruising, and occasionally tiredness for a few hours. Rare risks include bleeding, infection and irritation of a nerve. When needling is near the chest there is a very small risk of a collapsed lung.

Before each treatment your physiotherapist will check that IMS is still safe for you, for example that you are not pregnant and have not had recent surgery, explain what they plan to do, and answer your questions. You may ask to stop at any time, and you may withdraw this consent at any time.

By signing you confirm that the answers you gave are true to the best of your knowledge, that you understand the information above, and that you agree to receive IMS from a qualified physiotherapist at this clinic."""

TRIGRAM_SQL = """
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX IF NOT EXISTS patient_search_name_trgm
    ON intake_patient USING gin (search_name gin_trgm_ops);
CREATE INDEX IF NOT EXISTS patient_search_phone_trgm
    ON intake_patient USING gin (search_phone gin_trgm_ops);
"""

DROP_TRIGRAM_SQL = """
DROP INDEX IF EXISTS patient_search_name_trgm;
DROP INDEX IF EXISTS patient_search_phone_trgm;
"""


def add_consent(apps, schema_editor):
    ConsentText = apps.get_model("intake", "ConsentText")
    if not ConsentText.objects.exists():
        ConsentText.objects.create(version=1, body=CONSENT_BODY)


def add_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(TRIGRAM_SQL, params=None)


def drop_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_TRIGRAM_SQL, params=None)


class Migration(migrations.Migration):
    dependencies = [("intake", "0002_intake_and_consent")]

    operations = [
        migrations.RunPython(add_consent, migrations.RunPython.noop),
        migrations.RunPython(add_trigram_indexes, drop_trigram_indexes),
    ]
