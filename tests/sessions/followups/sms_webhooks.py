"""Shared by the SMS webhook tests: signed posts through the test client, a patient who
gets texts, and a text of ours (``SmsDelivery``) as the sending code leaves it."""

from django.conf import settings
from django.urls import reverse
from twilio.request_validator import RequestValidator

from intake.models import Channel, SmsConsent
from sessions.followups.models import ScheduledMessage, SmsDelivery
from tests.factories import AppointmentFactory, PatientFactory, ScheduledMessageFactory
from tests.sessions.conftest import NOW

TOKEN = "test-auth-token"
MOBILE = "+14035550101"
CLINIC_NUMBER = "+15875550100"


def signed_post(client, name: str, params: dict[str, str], *, signature: str | None = None):
    """POST ``params`` to the webhook ``name`` ("sessions:sms-inbound") as Twilio would:
    signed over SITE_URL and the path, unless another ``signature`` is given."""
    path = reverse(name)
    if signature is None:
        signature = RequestValidator(TOKEN).compute_signature(settings.SITE_URL + path, params)
    return client.post(path, params, HTTP_X_TWILIO_SIGNATURE=signature)


def texting_patient(**fields):
    defaults = dict(
        mobile=MOBILE,
        email="pat@example.com",
        email_reminders=True,
        reminder_channel=Channel.SMS,
        checkin_channel=Channel.SMS,
        sms_consent=SmsConsent.GIVEN,
    )
    return PatientFactory(**{**defaults, **fields})


def reminder_texted(appointment, *, sid: str, to: str = MOBILE, sent_at=NOW, **fields):
    """The reminder for ``appointment``, sent (status "sent"), and its text as the
    provider took it (``SmsDelivery`` "queued")."""
    message = ScheduledMessageFactory(
        visit=None,
        appointment=appointment,
        patient=appointment.patient,
        kind=ScheduledMessage.Kind.REMINDER,
        hours_after=None,
        due_at=sent_at,
        key=f"reminder:{appointment.pk}:{sid}",
        status=ScheduledMessage.Status.SENT,
        sent_at=sent_at,
        channels=Channel.SMS,
    )
    return SmsDelivery.objects.create(
        message=message,
        to=to,
        body="Bow River Physiotherapy & IMS: your visit is ...",
        status=fields.pop("status", SmsDelivery.Status.QUEUED),
        provider_id=sid,
        segments=1,
        sent_at=sent_at,
        **fields,
    )


def visit_for(patient, start, **fields):
    return AppointmentFactory(patient=patient, start=start, **fields)
