"""Pain ratings named in the field's terms: the visit's NPRS (numeric pain rating
scale, 0-10) before and after needling, and the check-in's soreness on the same scale.
The columns are renamed; the values stay as they are."""

import django.core.validators
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("treatment_sessions", "0010_drop_drafts_opened_but_never_saved"),
    ]

    operations = [
        migrations.RenameField(model_name="visit", old_name="pain_today", new_name="nprs_before"),
        migrations.RenameField(model_name="visit", old_name="pain_after", new_name="nprs_after"),
        migrations.AlterField(
            model_name="visit",
            name="nprs_before",
            field=models.PositiveSmallIntegerField(
                blank=True,
                help_text="Numeric pain rating scale: 0 = no pain, 10 = worst pain imaginable.",
                null=True,
                validators=[django.core.validators.MaxValueValidator(10)],
                verbose_name="NPRS before needling (0-10)",
            ),
        ),
        migrations.AlterField(
            model_name="visit",
            name="nprs_after",
            field=models.PositiveSmallIntegerField(
                blank=True,
                help_text="Numeric pain rating scale: 0 = no pain, 10 = worst pain imaginable.",
                null=True,
                validators=[django.core.validators.MaxValueValidator(10)],
                verbose_name="NPRS after needling (0-10)",
            ),
        ),
        migrations.AlterField(
            model_name="checkinanswer",
            name="soreness",
            field=models.PositiveSmallIntegerField(
                help_text="Post-needling soreness on the numeric pain rating scale: 0 = none, "
                "10 = the worst imaginable.",
                validators=[django.core.validators.MaxValueValidator(10)],
                verbose_name="soreness (NPRS 0-10)",
            ),
        ),
    ]
