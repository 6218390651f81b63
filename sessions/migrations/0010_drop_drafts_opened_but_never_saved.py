"""Opening a chart used to start a draft at once, so charts only looked at (a future
visit's, say) wait under "Notes to sign" with nothing in them. Charts are now read
without writing; this removes the drafts nothing was ever saved on."""

from django.db import migrations

EMPTY = {
    "status": "draft",
    "safety_check__isnull": True,
    "consent_today": False,
    "acknowledged_at__isnull": True,
    "pain_today__isnull": True,
    "pain_after__isnull": True,
    "change_since_last": "",
    "soreness_after_last": "",
    "subjective": "",
    "objective": "",
    "assessment": "",
    "plan": "",
    "needle_product": "",
    "needle_size": "",
    "needle_lot": "",
    "needles_out__isnull": True,
    "needles_back__isnull": True,
    "single_use_sterile": False,
    "skin_antisepsis": False,
    "gloves": False,
    "sharps_disposal": False,
    "aftercare_template__isnull": True,
    "aftercare_text": "",
    "home_exercises": "",
    "sites__isnull": True,
    "adverse_events__isnull": True,
    "addenda__isnull": True,
    "aftercare_deliveries__isnull": True,
    "messages__isnull": True,
    "alerts__isnull": True,
}


def drop_unsaved_drafts(apps, schema_editor):
    Visit = apps.get_model("treatment_sessions", "Visit")
    Visit.objects.filter(
        pk__in=list(Visit.objects.filter(**EMPTY).values_list("pk", flat=True))
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("treatment_sessions", "0009_appointment_creator_optional_one_active_course"),
    ]

    operations = [migrations.RunPython(drop_unsaved_drafts, migrations.RunPython.noop)]
