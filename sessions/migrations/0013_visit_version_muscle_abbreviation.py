"""A draft's version (``Visit.version``: each chart form sends the one it was shown, and
a write from an older page is refused) and the muscles' common abbreviations, filled in
for the catalogue of migration 0005 where clinicians commonly use one. A clinic's own
abbreviations are kept: only empty ones are filled."""

from django.db import migrations, models

ABBREVIATIONS = {
    "Sternocleidomastoid": "SCM",
    "Levator scapulae": "LS",
    "Upper trapezius": "UT",
    "Middle trapezius": "MT",
    "Lower trapezius": "LT",
    "Serratus anterior": "SA",
    "Pectoralis major": "PMaj",
    "Pectoralis minor": "PMin",
    "Latissimus dorsi": "LD",
    "Pronator teres": "PT",
    "Brachioradialis": "BR",
    "Extensor carpi radialis longus": "ECRL",
    "Extensor carpi radialis brevis": "ECRB",
    "Extensor digitorum": "EDC",
    "Extensor carpi ulnaris": "ECU",
    "Flexor carpi radialis": "FCR",
    "Flexor carpi ulnaris": "FCU",
    "Flexor digitorum superficialis": "FDS",
    "First dorsal interosseous": "FDI",
    "Thoracic erector spinae (longissimus)": "ES",
    "Lumbar erector spinae (longissimus)": "ES",
    "Quadratus lumborum": "QL",
    "Rectus abdominis": "RA",
    "External oblique": "EO",
    "Gluteus maximus": "GMax",
    "Gluteus medius": "GMed",
    "Gluteus minimus": "GMin",
    "Tensor fasciae latae": "TFL",
    "Rectus femoris": "RF",
    "Vastus lateralis": "VL",
    "Vastus medialis": "VMO",
    "Vastus intermedius": "VI",
    "Biceps femoris": "BF",
    "Semitendinosus": "ST",
    "Semimembranosus": "SM",
    "Gastrocnemius (medial head)": "MG",
    "Gastrocnemius (lateral head)": "LG",
    "Tibialis anterior": "TA",
    "Tibialis posterior": "TP",
    "Peroneus longus": "PL",
    "Peroneus brevis": "PB",
    "Extensor digitorum longus": "EDL",
    "Flexor hallucis longus": "FHL",
}


def add_abbreviations(apps, schema_editor):
    Muscle = apps.get_model("treatment_sessions", "Muscle")
    for name, abbreviation in ABBREVIATIONS.items():
        Muscle.objects.filter(name=name, abbreviation="").update(abbreviation=abbreviation)


class Migration(migrations.Migration):
    dependencies = [
        ("treatment_sessions", "0012_domain_limits_on_counts"),
    ]

    operations = [
        migrations.AddField(
            model_name="muscle",
            name="abbreviation",
            field=models.CharField(
                blank=True,
                help_text="The common abbreviation, for example UT or QL.",
                max_length=12,
            ),
        ),
        migrations.AddField(
            model_name="visit",
            name="version",
            field=models.PositiveIntegerField(default=1, editable=False),
        ),
        migrations.RunPython(add_abbreviations, migrations.RunPython.noop),
    ]
