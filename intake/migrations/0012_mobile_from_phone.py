"""Existing patients: the phone becomes the mobile number where it reads as a number
texts can go to, and the phones that cannot be read at all are marked for front desk to
fix (intake:phones-to-fix). The rules are copied here, not imported, so this migration
does tomorrow what it does today."""

import phonenumbers
from django.conf import settings
from django.db import migrations
from phonenumbers import PhoneNumberType

TEXTABLE = {
    PhoneNumberType.MOBILE,
    PhoneNumberType.FIXED_LINE_OR_MOBILE,
    PhoneNumberType.FIXED_LINE,
}
BATCH = 2000


def _read(text: str, region: str):
    text = (text or "").strip()
    if not text or len(text) > 100:
        return None
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    return number if phonenumbers.is_valid_number(number) else None


def mobile_from_phone(apps, schema_editor):
    Patient = apps.get_model("intake", "Patient")
    region = settings.PHONE_DEFAULT_REGION
    changed = []
    rows = Patient.objects.exclude(phone="").only("id", "phone", "mobile").order_by("id")
    for patient in rows.iterator(chunk_size=BATCH):
        number = _read(patient.phone, region)
        if number is None:
            patient.phone_unreadable = True
        elif (
            not patient.mobile
            and not number.extension
            and phonenumbers.number_type(number) in TEXTABLE
        ):
            patient.mobile = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        else:
            continue
        changed.append(patient)
        if len(changed) >= BATCH:
            Patient.objects.bulk_update(changed, ["mobile", "phone_unreadable"])
            changed = []
    Patient.objects.bulk_update(changed, ["mobile", "phone_unreadable"])


class Migration(migrations.Migration):
    dependencies = [("intake", "0011_mobile_and_sms_consent")]

    operations = [migrations.RunPython(mobile_from_phone, migrations.RunPython.noop)]
