"""The patient's message-choices page, fuzzed: the server never fails, and whatever is
stored is a valid choice, a valid E.164 mobile, and SMS only with consent on record."""

from collections import Counter

from hypothesis import given
from hypothesis import strategies as st

from intake import services
from intake.models import Channel, Patient, SmsConsent
from tests.clinic.fuzzing.conftest import SITE, assert_reached, post
from tests.clinic.fuzzing.strategies import FUZZ, form_data
from tests.factories import PatientFactory

VALID = {
    "mobile": "(403) 555-0123",
    "reminder_channel": "sms",
    "checkin_channel": "both",
    "sms_consent": "on",
}
CHOICES = {
    "mobile": ["403 555 0123", "+44 7911 123456", "", "403-555-0123 ext 4", "1-800-555-0199"],
    "reminder_channel": list(Channel.values),
    "checkin_channel": list(Channel.values),
    "sms_consent": ["on", "true", "false", ""],
}


def test_fuzzed_message_choices_never_fail_and_store_only_valid_choices(client, db, settings):
    settings.SITE_URL = SITE
    patient = PatientFactory(email="fuzz@example.com", mobile="")
    url = services.preferences_link(patient).removeprefix(SITE)
    seen = Counter()

    @FUZZ
    @given(data=form_data(VALID, CHOICES), urlencoded=st.booleans())
    def check(data, urlencoded):
        response = post(client, url, data, urlencoded)
        assert response.status_code == 200, response.status_code
        saved = "intake/messages_saved.html" in [t.name for t in response.templates]
        seen[saved] += 1
        stored = Patient.objects.get(pk=patient.pk)
        assert stored.reminder_channel in Channel.values
        assert stored.checkin_channel in Channel.values
        assert not stored.mobile or str(stored.mobile).startswith("+")
        if stored.sms_consent != SmsConsent.GIVEN:
            assert Channel.SMS not in services.channels_for(stored, "reminder")
            assert Channel.SMS not in services.channels_for(stored, "checkin")

    check()
    assert_reached(seen)
