"""No health information in application logs or Celery task payloads (issue 7, item 9).

The main journeys run with logging as LOG_LEVEL=DEBUG would set it (the root at DEBUG;
django stays at INFO, as the settings pin it) and every Celery task's arguments recorded:
registration and patient search, the intake (filled and signed by the patient), booking,
the reminder, charting and signing, the check-in dispatch, failed sign-ins, a worrying
check-in and its alert. Then the logs and the payloads are searched for the patient's
name, birth date (in many spellings), health number, email, phone, address and the
health facts typed along the way. django.request logs 4xx/5xx with the path; paths carry
ids, and the signed tokens of patient and password-reset links are taken out of every
line (issue 13, fault 10; see test_log_redaction.py). A mail server that refuses
the patient's address must not get it into the log either."""

import re
import smtplib
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from celery.app.task import Task
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.test import Client
from django.urls import reverse

from intake.models import Intake, Patient
from sessions import tasks
from sessions.booking import services as sessions_services
from sessions.followups import services as followups
from sessions.models import (
    Alert,
    AppointmentType,
    CallTask,
    CheckinAnswer,
    Muscle,
    ScheduledMessage,
)
from tests.charting_helpers import NOTE, visit_chart
from tests.clinic.conftest import record_texts
from tests.factories import LocationFactory, NeedlingAuthorisationFactory, PatientFactory

TZ = ZoneInfo("America/Edmonton")
SITE = "http://127.0.0.1:8000"
# Monday 23 November 2026, 08:30 in Calgary.
MONDAY = datetime(2026, 11, 23, 8, 30, tzinfo=TZ)

FIRST, LAST, PREFERRED = "Zebulon", "Quartermaine", "Zebbo"
DOB = date(1958, 3, 17)
HEALTH_NUMBER = "987654321"
EMAIL = "zebulon.quartermaine@example.com"
PHONE = "403-555-0172"
# Health facts typed during the journeys: none may reach a log either.
FACTS = {
    "reason": "Zygomatic wobble since the ferry crossing",
    "medications": "Quibblex 20 mg nightly",
    "allergies": "Snorkelwort pollen",
    "surgery": "Frobnication of the left knee",
    "experience": "Felt floaty after IMS",
    "medication_notes": "Quibblex raised to 40 mg",
    "subjective": "Wobble worse after long drives",
    "adverse": "Vasovagal swoon on the table",
    "aftercare": "Ice the knee twice daily",
    "comment": "Tingling in the little toe",
}


def forbidden() -> list[str]:
    """Every spelling of the patient's identity and health facts a log must not hold."""
    day, month, year = f"{DOB.day:02d}", f"{DOB.month:02d}", str(DOB.year)
    return [
        FIRST,
        LAST,
        PREFERRED,
        EMAIL,
        EMAIL.split("@")[0],
        PHONE,
        PHONE.replace("-", ""),
        "Wombat Crescent",
        "Philippa",
        HEALTH_NUMBER,
        "987 654 321",
        "987-654-321",
        DOB.isoformat(),
        f"{year}{month}{day}",
        f"{year}/{month}/{day}",
        f"{day}/{month}/{year}",
        f"{month}/{day}/{year}",
        f"{day}.{month}.{year}",
        f"{day}-{month}-{year}",
        DOB.strftime("%B %d, %Y"),
        DOB.strftime("%d %B %Y"),
        DOB.strftime("%b %d %Y"),
        f"{DOB.strftime('%B')} {DOB.day}, {year}",
        f"{DOB.day} {DOB.strftime('%B')} {year}",
        repr(DOB),  # datetime.date(1958, 3, 17)
        *FACTS.values(),
    ]


def leaks(texts: list[str]) -> list[tuple[str, str]]:
    """(forbidden text, where) for each forbidden text found, case-insensitively."""
    found = []
    for text in texts:
        lowered = text.lower()
        for secret in forbidden():
            if secret.lower() in lowered:
                found.append((secret, text[:300]))
    return found


@pytest.fixture
def task_payloads(monkeypatch):
    """Every Celery task queued, as (task name, args, kwargs, options); nothing is sent."""
    queued = []

    def apply_async(self, args=None, kwargs=None, **options):
        queued.append((self.name, tuple(args or ()), dict(kwargs or {}), options))

    monkeypatch.setattr(Task, "apply_async", apply_async)
    return queued


def run_queued_sends(queued: list, start: int = 0) -> list[str]:
    """Run the send tasks queued since ``start`` here, as a worker would."""
    return [
        outcome
        for name, args, kwargs, _ in queued[start:]
        if name == "sessions.tasks.send_messages"
        for outcome in tasks.send_messages(*args, **kwargs).values()
    ]


def test_main_journeys_leave_no_health_information_in_logs_or_task_payloads(
    all_logs,
    task_payloads,
    client_for,
    front_desk,
    physio,
    settings,
    django_capture_on_commit_callbacks,
):
    settings.QUIET_HOURS_START = settings.QUIET_HOURS_END = "00:00"
    physio.first_name, physio.last_name = "Pat", "Physio"
    physio.save()
    NeedlingAuthorisationFactory(practitioner=physio)
    location = LocationFactory(name="Kensington")
    treatment, _ = AppointmentType.objects.get_or_create(
        name="IMS treatment", defaults={"duration_minutes": 30, "involves_needling": True}
    )
    muscle, _ = Muscle.objects.get_or_create(
        name="Gluteus medius", defaults={"region": "hip", "nerve_roots": "L4-S1"}
    )
    patient_browser = Client()

    with time_machine.travel(MONDAY, tick=False) as traveller:
        # Front desk registers the patient and sends the intake.
        desk = client_for(front_desk)
        response = desk.post(
            reverse("intake:patient-create"),
            {
                "legal_first_name": FIRST,
                "legal_last_name": LAST,
                "preferred_name": PREFERRED,
                "date_of_birth": DOB.isoformat(),
                "sex": "male",
                "phone": PHONE,
                "email": EMAIL,
                "email_reminders": "on",
                "address": "17 Wombat Crescent",
                "city": "Calgary",
                "province": "AB",
                "postal_code": "T2N 1N4",
                "health_number": "987 654 321",
                "emergency_contact_name": "Philippa Quartermaine",
                "emergency_contact_phone": "403-555-0199",
                "emergency_contact_relationship": "Sister",
            },
        )
        assert response.status_code == 302, response.content.decode()[-2000:]
        patient = Patient.objects.get(email=EMAIL)
        assert patient.health_number == HEALTH_NUMBER
        desk.get(reverse("intake:patient-list") + f"?q={LAST}")
        desk.get(reverse("intake:patient-list") + f"?q={DOB.isoformat()}")
        desk.get(reverse("intake:patient-list") + f"?q={HEALTH_NUMBER}")
        with django_capture_on_commit_callbacks(execute=True):
            desk.post(reverse("intake:intake-send", args=[patient.pk]))
        link = re.search(r"http://\S+/i/\S+/", mail.outbox[-1].body).group(0)
        link = link.removeprefix(SITE)

        # The patient fills the intake (one step refused first) and signs it.
        assert patient_browser.get(link).status_code == 302
        visit_step = {
            "reason": FACTS["reason"],
            "pain_areas": ["neck", "knee_left"],
            "onset_date": "2026-01-10",
            "onset": "gradual",
            "pain_now": "5",
            "pain_best": "2",
            "pain_worst": "8",
        }
        refused = patient_browser.post(f"{link}visit/", {**visit_step, "onset_date": "2099-01-01"})
        assert refused.status_code == 200
        steps = {
            "visit": visit_step,
            "nerve": {
                "pain_outlasts_injury": "yes",
                "delayed_onset": "no",
                "light_touch_hurts": "unsure",
                "builds_and_lingers": "yes",
                "skin_changes": "no",
            },
            "history": {
                "conditions": ["anticoagulants"],
                "medications": FACTS["medications"],
                "allergies": FACTS["allergies"],
            },
            "surgeries": {
                "surgeries-TOTAL_FORMS": "1",
                "surgeries-INITIAL_FORMS": "0",
                "surgeries-0-date": "2025-06-01",
                "surgeries-0-description": FACTS["surgery"],
            },
            "needles": {
                "pregnancy": "not_applicable",
                "needle_fear": "some",
                "previous_treatment": ["ims"],
                "previous_experience": FACTS["experience"],
            },
        }
        for slug, data in steps.items():
            response = patient_browser.post(f"{link}{slug}/", data)
            assert response.status_code == 302, (slug, response.content.decode()[-2000:])
        response = patient_browser.post(
            f"{link}consent/", {"agree": "on", "signature_name": f"{FIRST} {LAST}"}
        )
        assert response.status_code == 302
        intake = Intake.objects.get(patient=patient)
        assert intake.is_submitted
        patient_browser.get("/i/not-a-real-token/")  # a 404, logged with its path

        # Front desk books a needling visit this afternoon.
        start = MONDAY.replace(hour=14, minute=0)
        with django_capture_on_commit_callbacks(execute=True):
            appointment = sessions_services.appointment_book(
                patient=patient,
                practitioner=physio,
                location=location,
                type=treatment,
                start=start,
                created_by=front_desk,
                allow_outside_hours=True,
            )
        desk.get(reverse("sessions:calendar-day") + f"?date={start.date()}")
        desk.get(reverse("sessions:appointment-detail", args=[appointment.pk]))

        # The dispatcher sends the reminder (queued as a task, run here as a worker).
        traveller.move_to(MONDAY.replace(hour=9))
        queued_before = len(task_payloads)
        tasks.dispatch_due_messages()
        assert run_queued_sends(task_payloads, queued_before) == ["sent"]

        # A failed sign-in, and a patient who tries their email at the staff login.
        stranger = Client()
        stranger.post(reverse("login"), {"username": "physio", "password": "not-it"})
        stranger.post(reverse("login"), {"username": EMAIL, "password": DOB.isoformat()})

        # The physiotherapist charts the visit and signs it.
        traveller.move_to(start + timedelta(minutes=5))
        clinician = client_for(physio)
        clinician.get(reverse("intake:patient-detail", args=[patient.pk]))
        clinician.get(reverse("intake:intake-summary", args=[intake.pk]))
        visit = visit_chart(
            clinician,
            appointment,
            muscle=muscle,
            safety={
                "pregnancy": "not_applicable",
                "medication_notes": FACTS["medication_notes"],
                "anticoagulants": "on",
                "consent_today": "on",
            },
            note={**NOTE, "subjective": FACTS["subjective"]},
            autosave_first=True,
            adverse_event={
                "kind": "fainting",
                "description": FACTS["adverse"],
                "action_taken": "Lay flat",
            },
            sign={"aftercare_text": FACTS["aftercare"], "home_exercises": "Walk daily"},
        )
        assert visit.is_signed
        clinician.get(reverse("sessions:timeline", args=[patient.pk]))
        clinician.get(reverse("sessions:visit-print", args=[visit.pk]))

        # The next afternoon the 24-hour check-in goes out; the patient reports a red flag.
        traveller.move_to(start + timedelta(days=1, hours=1))
        queued_before = len(task_payloads)
        tasks.dispatch_due_messages()
        assert run_queued_sends(task_payloads, queued_before) == ["sent"]
        message = ScheduledMessage.objects.get(kind="checkin", status="sent")
        checkin_url = followups.checkin_link(message).removeprefix(SITE)
        patient_browser.get(checkin_url)
        with django_capture_on_commit_callbacks(execute=True):
            response = patient_browser.post(
                checkin_url,
                {
                    "soreness": "9",
                    "compared": "worse",
                    "red_flags": ["numbness_weakness"],
                    "comment": FACTS["comment"],
                },
            )
        assert CheckinAnswer.objects.get().needs_attention

        # The physiotherapist reads and acknowledges the alert; front desk calls back.
        alert = Alert.objects.get()
        clinician = client_for(physio)
        clinician.get(reverse("sessions:alert", args=[alert.pk]))
        clinician.post(reverse("sessions:alert", args=[alert.pk]), {"action_taken": "Called"})
        desk = client_for(front_desk)
        desk.get(reverse("home"))
        desk.post(reverse("sessions:call-done", args=[CallTask.objects.get().pk]), {"note": "ok"})
        alert.refresh_from_db()
        assert alert.acknowledged_at is not None and CallTask.objects.get().done_at is not None

    # The journeys happened: mail went out and tasks were queued.
    subjects = " ".join(m.subject for m in mail.outbox)
    for expected in ("questionnaire", "appointment", "Reminder", "aftercare", "How are you"):
        assert expected in subjects, subjects
    assert any(name == "sessions.tasks.send_messages" for name, *_ in task_payloads)

    # Task payloads: ids and claims only.
    for name, args, kwargs, _ in task_payloads:
        assert kwargs == {}, (name, kwargs)
        for arg in args:
            ids = arg if isinstance(arg, list) else [arg]
            assert all(isinstance(a, int) or re.fullmatch(r"[0-9a-f]{32}", a) for a in ids), args
    assert leaks([repr(payload) for payload in task_payloads]) == []

    # Logs: plenty were written (requests, sign-in throttling), none with health data.
    texts = record_texts(all_logs.records)
    assert any("[django.request]" in t for t in texts), "no request was logged at all"
    assert any("[axes" in t for t in texts), "the failed sign-ins were not logged at all"
    found = leaks(texts)
    assert found == [], "\n".join(f"{secret!r} in {where}" for secret, where in found)


class RefusingBackend(LocmemBackend):
    """A mail server that refuses the recipient, as SMTP does for an unknown mailbox; its
    error text names the address, so the failure must be logged without that text."""

    def send_messages(self, messages):
        recipients = [to for message in messages for to in message.to]
        raise smtplib.SMTPRecipientsRefused(
            {to: (550, f"5.1.1 <{to}>: Recipient address rejected".encode()) for to in recipients}
        )


def test_a_refused_recipient_is_logged_without_the_address(
    all_logs, task_payloads, physio, settings
):
    settings.EMAIL_BACKEND = f"{__name__}.RefusingBackend"
    settings.QUIET_HOURS_START = settings.QUIET_HOURS_END = "00:00"
    patient = PatientFactory(
        legal_first_name=FIRST, legal_last_name=LAST, email=EMAIL, date_of_birth=DOB
    )
    treatment, _ = AppointmentType.objects.get_or_create(
        name="IMS treatment", defaults={"duration_minutes": 30, "involves_needling": True}
    )
    with time_machine.travel(MONDAY, tick=False):
        appointment = sessions_services.appointment_book(
            patient=patient,
            practitioner=physio,
            location=LocationFactory(name="Kensington"),
            type=treatment,
            start=MONDAY + timedelta(days=2),
            created_by=physio,
            allow_outside_hours=True,
        )
        assert appointment.messages.filter(kind="reminder").exists()
        tasks.dispatch_due_messages()
    with time_machine.travel(MONDAY + timedelta(days=1, hours=2), tick=False):
        tasks.dispatch_due_messages()
        assert run_queued_sends(task_payloads) == ["retry"]
    texts = record_texts(all_logs.records)
    assert any("not sent" in t for t in texts), texts
    assert leaks(texts) == []
