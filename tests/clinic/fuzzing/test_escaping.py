"""Markup typed anywhere, by a patient or by staff, is escaped on every page and in every
email."""

import re
from datetime import date, timedelta

from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from intake.models import Intake, Patient
from sessions.booking import services as sessions_services
from sessions.charting.aftercare import aftercare_link
from sessions.followups import dispatch
from sessions.followups import services as followups
from sessions.models import (
    AdverseEvent,
    AftercareTemplate,
    Alert,
    Appointment,
    AppointmentType,
    Muscle,
    ScheduledMessage,
)
from tests.charting_helpers import shown, visit_chart
from tests.clinic.fuzzing.conftest import CHECKIN_VALID, SITE, VALID_STEPS, signed_in
from tests.clinic.fuzzing.strategies import PAYLOADS
from tests.factories import LocationFactory, NeedlingAuthorisationFactory

XSS = "".join(PAYLOADS)  # 55 characters; each field below holds at least that
XSS_SHORT = PAYLOADS[0]  # for 30-character fields
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


def assert_escaped(html: str, where: str, shown: bool = True) -> None:
    """No typed markup arrives as markup; ``shown``: the page does show it, escaped."""
    lowered = html.lower()
    assert "<script>alert(1)" not in lowered, f"unescaped script in {where}"
    assert "<img src=x" not in lowered, f"unescaped img in {where}"
    if shown:
        assert ESCAPED in html, f"{where} does not show the typed text"


def test_markup_typed_anywhere_is_escaped_on_every_page_and_email(
    front_desk, physio, clinic_admin, settings, django_capture_on_commit_callbacks
):
    settings.QUIET_HOURS_START = settings.QUIET_HOURS_END = "00:00"
    NeedlingAuthorisationFactory(
        practitioner=physio, valid_from=date(2020, 1, 1), valid_until=date(2099, 1, 1)
    )
    physio.first_name, physio.last_name = "Pat", "Physio"
    physio.save()
    location = LocationFactory(name="Markup clinic", address=XSS, phone=XSS_SHORT)
    kind, _ = AppointmentType.objects.get_or_create(
        name="IMS treatment", defaults={"duration_minutes": 30, "involves_needling": True}
    )
    muscle, _ = Muscle.objects.get_or_create(
        name="Gluteus medius", defaults={"region": "hip", "nerve_roots": "L4-S1"}
    )

    # Front desk registers the patient with markup in every free-text field.
    desk = signed_in(front_desk)
    registration = {
        "legal_first_name": "Ada" + XSS,
        "legal_last_name": "Lovelace" + XSS,
        "preferred_name": XSS,
        "date_of_birth": "1961-07-23",
        "sex": "female",
        "gender": XSS,
        "phone": XSS_SHORT,
        "email": "ada.markup@example.com",
        "email_reminders": "on",
        "address": XSS,
        "city": XSS,
        "province": "AB",
        "postal_code": "T2N 1N4",
        "health_number": "123 456 789",
        "emergency_contact_name": XSS,
        "emergency_contact_phone": XSS_SHORT,
        "emergency_contact_relationship": XSS,
    }
    response = desk.post(reverse("intake:patient-create"), registration)
    assert response.status_code == 302, response.content.decode()[-2000:]
    patient = Patient.objects.get(email="ada.markup@example.com")
    assert patient.preferred_name == XSS
    with django_capture_on_commit_callbacks(execute=True):
        desk.post(reverse("intake:intake-send", args=[patient.pk]))
    (invitation_mail,) = mail.outbox
    link = re.search(r"http://\S+/i/\S+/", invitation_mail.body).group(0).removeprefix(SITE)

    # The patient fills every intake free-text field with markup.
    patient_client = Client()
    steps = {
        "visit": {
            **VALID_STEPS["visit"],
            "reason": XSS,
            "goals": XSS,
            "worse_with": XSS,
            "better_with": XSS,
        },
        "nerve": VALID_STEPS["nerve"],
        "history": {"conditions": [], "medications": XSS, "allergies": XSS},
        "surgeries": {**VALID_STEPS["surgeries"], "surgeries-0-description": XSS},
        "needles": {**VALID_STEPS["needles"], "previous_experience": XSS},
    }
    for slug, data in steps.items():
        response = patient_client.post(f"{link}{slug}/", data)
        assert response.status_code == 302, (slug, response.content.decode()[-2000:])
        page = patient_client.get(f"{link}{slug}/").content.decode()
        assert_escaped(page, f"intake {slug}", shown=slug != "nerve")
    # A rejected step shows the typing back: escaped too.
    rejected = patient_client.post(f"{link}visit/", {**steps["visit"], "pain_now": XSS})
    assert_escaped(rejected.content.decode(), "rejected intake step")
    patient_client.post(f"{link}visit/", steps["visit"])
    assert_escaped(patient_client.get(f"{link}consent/").content.decode(), "consent", shown=False)
    response = patient_client.post(f"{link}consent/", {"agree": "on", "signature_name": XSS})
    assert response.status_code == 302
    assert_escaped(patient_client.get(f"{link}consent/").content.decode(), "fill done", False)
    intake = Intake.objects.get(patient=patient)
    assert intake.is_submitted and intake.signature_name == XSS

    # Booking, with a confirmation email.
    start = timezone.localtime().replace(hour=9, minute=0, second=0, microsecond=0) + timedelta(
        days=1
    )
    with django_capture_on_commit_callbacks(execute=True):
        appointment = sessions_services.appointment_book(
            patient=patient,
            practitioner=physio,
            location=location,
            type=kind,
            start=start,
            created_by=front_desk,
            front_desk_note=XSS,
            allow_outside_hours=True,
        )
    # Charting (a day later, the visit's time).
    clinician = signed_in(physio)
    pages = {
        "patient detail (physio)": reverse("intake:patient-detail", args=[patient.pk]),
        "intake summary": reverse("intake:intake-summary", args=[intake.pk]),
        "patient list": reverse("intake:patient-list") + "?q=Lovelace",
        "appointment": reverse("sessions:appointment-detail", args=[appointment.pk]),
    }
    for where, url in pages.items():
        response = clinician.get(url)
        assert response.status_code == 200, where
        assert_escaped(response.content.decode(), where)
    response = desk.get(reverse("intake:patient-detail", args=[patient.pk]))
    assert_escaped(response.content.decode(), "patient detail (front desk)")
    assert_escaped(
        desk.get(
            reverse("sessions:calendar-day") + f"?date={start.date()}&location={location.pk}"
        ).content.decode(),
        "calendar day",
    )

    # The visit starts: moved to a few minutes ago rather than the clock a day on (the
    # sessions would time out); a note is signed only once its visit has started.
    began = timezone.now() - timedelta(minutes=5)
    Appointment.objects.filter(pk=appointment.pk).update(start=began, end=began + kind.duration)
    chart_url = reverse("sessions:chart", args=[appointment.pk])
    note = {
        "nprs_before": "6",
        "change_since_last": "first",
        "soreness_after_last": XSS,
        "subjective": XSS,
        "objective": XSS,
        "assessment": XSS,
        "plan": XSS,
        "nprs_after": "3",
        "needle_product": XSS,
        "needle_size": XSS_SHORT,
        "needle_lot": XSS,
        "needles_out": "1",
        "needles_back": "1",
        "single_use_sterile": "on",
        "skin_antisepsis": "on",
        "gloves": "on",
        "sharps_disposal": "on",
    }
    visit = visit_chart(
        clinician,
        appointment,
        muscle=muscle,
        safety={
            "pregnancy": "no",
            "surgery_since_last": "on",
            "surgery_date": "2024-01-05",
            "surgery_description": XSS,
            "medication_notes": XSS,
            "consent_today": "on",
        },
        note=note,
        sign=None,
    )
    rejected = clinician.post(
        reverse("sessions:note-save", args=[visit.pk]), {**note, "nprs_before": XSS}
    )
    assert_escaped(rejected.content.decode(), "rejected note")
    autosave = clinician.post(
        reverse("sessions:note-save", args=[visit.pk]),
        {**note, "nprs_before": XSS},
        HTTP_X_AUTOSAVE="1",
    )
    assert autosave["Content-Type"] == "application/json"
    response = clinician.post(
        reverse("sessions:adverse-add", args=[visit.pk]),
        {"kind": "other", "description": XSS, "action_taken": XSS, **shown(visit)},
    )
    assert response.status_code == 302, response.content.decode()[-3000:]
    assert_escaped(clinician.get(chart_url).content.decode(), "draft chart")
    AftercareTemplate.objects.create(name="Markup template", body=XSS)
    with django_capture_on_commit_callbacks(execute=True):
        response = clinician.post(
            reverse("sessions:sign", args=[visit.pk]),
            {"aftercare_text": XSS, "home_exercises": XSS, **shown(visit)},
        )
    assert response.status_code == 302, response.content.decode()[-3000:]
    response = clinician.post(
        reverse("sessions:addendum-add", args=[visit.pk]), {"reason": XSS, "text": XSS}
    )
    assert response.status_code == 302, response.content.decode()[-3000:]
    visit.refresh_from_db()
    assert visit.is_signed and visit.subjective == XSS and visit.addenda.get().text == XSS
    assert AdverseEvent.objects.get().description == XSS

    # A check-in, answered with markup and a red flag: the alert.
    first = visit.messages.filter(kind="checkin").order_by("due_at").first()
    later = first.due_at + timedelta(minutes=1)
    for pk, claim in dispatch.messages_claim_due(now=later):
        dispatch.messages_send(ids=[pk], claim=claim, now=later)[pk]
    message = ScheduledMessage.objects.get(pk=first.pk)
    assert message.status == "sent"
    checkin_url = followups.checkin_link(message).removeprefix(SITE)
    answer = {**CHECKIN_VALID, "comment": XSS, "red_flags": ["fever"]}
    with django_capture_on_commit_callbacks(execute=True):
        response = patient_client.post(checkin_url, answer)
    assert "sessions/checkin_thanks.html" in [t.name for t in response.templates]
    assert_escaped(response.content.decode(), "check-in thanks", shown=False)
    assert_escaped(patient_client.get(checkin_url).content.decode(), "check-in form")
    alert = Alert.objects.get()

    pages = {
        "signed chart": chart_url,
        "timeline": reverse("sessions:timeline", args=[patient.pk]),
        "printable visit": reverse("sessions:visit-print", args=[visit.pk]),
        "alert": reverse("sessions:alert", args=[alert.pk]),
        "adverse events": reverse("sessions:adverse-events"),
        "physio home": reverse("home"),
        "patient detail after the visit": reverse("intake:patient-detail", args=[patient.pk]),
    }
    for where, url in pages.items():
        response = clinician.get(url)
        assert response.status_code == 200, where
        assert_escaped(response.content.decode(), where)
    assert_escaped(desk.get(reverse("home")).content.decode(), "front desk home")
    response = clinician.post(
        reverse("sessions:alert", args=[alert.pk]), {"action_taken": XSS}, follow=True
    )
    assert_escaped(response.content.decode(), "home after acknowledging", shown=False)
    assert_escaped(
        clinician.get(reverse("sessions:alert", args=[alert.pk])).content.decode(),
        "acknowledged alert",
    )
    delivery = visit.aftercare_deliveries.get()
    aftercare_url = aftercare_link(delivery).removeprefix(SITE)
    assert_escaped(Client().get(aftercare_url).content.decode(), "aftercare page")

    # A sign-in attempt with markup as the username: the audit log shows it as text.
    Client().post(reverse("login"), {"username": XSS, "password": "wrong"})
    audit = signed_in(clinic_admin).get(reverse("audit-log")).content.decode()
    assert_escaped(audit, "audit log")

    # The reminder names the location: send one (booking scheduled it) before the visit,
    # back at the time it was booked for (it was moved to be signed; a reminder for a
    # visit moved since, or already started, is not sent).
    reminder = ScheduledMessage.objects.get(kind="reminder", appointment=appointment)
    Appointment.objects.filter(pk=appointment.pk).update(
        status="booked", start=appointment.start, end=appointment.end
    )
    before = appointment.start - timedelta(minutes=45)
    ScheduledMessage.objects.filter(pk=reminder.pk).update(status="pending", due_at=before)
    for pk, claim in dispatch.messages_claim_due(now=before):
        dispatch.messages_send(ids=[pk], claim=claim, now=before)[pk]

    # Every email's HTML part escapes; those to the patient greet her by the typed name.
    subjects = [m.subject for m in mail.outbox]
    for expected in ("questionnaire", "appointment on", "aftercare", "How are you", "Reminder"):
        assert any(expected in s for s in subjects), (expected, subjects)
    assert any("needs your attention" in s for s in subjects)
    for message in mail.outbox:
        html, mimetype = message.alternatives[0]
        assert mimetype == "text/html"
        assert_escaped(html, f"email {message.subject!r}", shown=message.to == [patient.email])
