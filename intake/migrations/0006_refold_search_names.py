"""search_name now starts with the last name (search orders by it)."""

import unicodedata

from django.db import migrations


def fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text or "")
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold().strip()


def refold(apps, schema_editor):
    Patient = apps.get_model("intake", "Patient")
    batch = []
    for patient in Patient.objects.only(
        "legal_first_name", "legal_last_name", "preferred_name"
    ).iterator(chunk_size=5000):
        names = [patient.legal_last_name, patient.legal_first_name, patient.preferred_name]
        patient.search_name = fold(" ".join(filter(None, names)))
        batch.append(patient)
        if len(batch) >= 5000:
            Patient.objects.bulk_update(batch, ["search_name"])
            batch = []
    Patient.objects.bulk_update(batch, ["search_name"])


class Migration(migrations.Migration):
    dependencies = [("intake", "0005_search_indexes")]

    operations = [migrations.RunPython(refold, migrations.RunPython.noop)]
