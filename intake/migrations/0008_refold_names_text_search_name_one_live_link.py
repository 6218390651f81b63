"""Patient search names: text (folding can lengthen a name), folded by the new rules.

The rules (intake.names): apostrophe and hyphen variants join, other punctuation separates
words, invisible format characters go. Also at most one unrevoked link per intake: any
older unrevoked links (which a race could leave) are revoked first, the newest kept.
"""

import unicodedata

from django.db import migrations, models
from django.db.models import Count
from django.utils import timezone

# A frozen copy of intake.names.fold_name as of this migration.
JOINERS = frozenset("'’‘ʼ`´ʹ′‛" + "-‐‑‒–—―−")


def fold_name(text: str) -> str:
    # Joiners go before decomposing: NFKD turns "´" into a space and a combining accent.
    joined = "".join(c for c in text or "" if c not in JOINERS)
    decomposed = unicodedata.normalize("NFKD", joined).casefold()
    kept = []
    for char in unicodedata.normalize("NFKD", decomposed):
        if unicodedata.combining(char) or char in JOINERS:
            continue
        if char.isalnum():
            kept.append(char)
        elif unicodedata.category(char)[0] != "C":
            kept.append(" ")
    return " ".join("".join(kept).split())


def refold(apps, schema_editor):
    Patient = apps.get_model("intake", "Patient")
    batch = []
    for patient in Patient.objects.only(
        "legal_first_name", "legal_last_name", "preferred_name", "search_name"
    ).iterator(chunk_size=5000):
        names = [patient.legal_last_name, patient.legal_first_name, patient.preferred_name]
        folded = fold_name(" ".join(filter(None, names)))
        if folded != patient.search_name:
            patient.search_name = folded
            batch.append(patient)
        if len(batch) >= 5000:
            Patient.objects.bulk_update(batch, ["search_name"])
            batch = []
    Patient.objects.bulk_update(batch, ["search_name"])


def revoke_extra_links(apps, schema_editor):
    IntakeInvitation = apps.get_model("intake", "IntakeInvitation")
    live = IntakeInvitation.objects.filter(revoked_at__isnull=True)
    crowded = live.values("intake").annotate(n=Count("id")).filter(n__gt=1)
    for row in crowded:
        newest = live.filter(intake=row["intake"]).order_by("-created_at", "-id").first()
        live.filter(intake=row["intake"]).exclude(pk=newest.pk).update(revoked_at=timezone.now())


class Migration(migrations.Migration):
    dependencies = [
        ("intake", "0007_ordering_by_foreign_key_column"),
    ]

    operations = [
        migrations.AlterField(
            model_name="patient",
            name="search_name",
            field=models.TextField(default="", editable=False),
        ),
        migrations.RunPython(refold, migrations.RunPython.noop),
        migrations.RunPython(revoke_extra_links, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="intakeinvitation",
            constraint=models.UniqueConstraint(
                condition=models.Q(("revoked_at__isnull", True)),
                fields=("intake",),
                name="invitation_one_unrevoked_per_intake",
            ),
        ),
    ]
