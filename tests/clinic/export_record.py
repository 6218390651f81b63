"""A patient with a row in every model of the record, for the export's tests."""

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from clinic.roles import Role
from intake.models import (
    ConsentText,
    HealthUpdate,
    Intake,
    IntakeInvitation,
    MessagesLink,
    Patient,
    SmsConsentEvent,
)
from sessions.documents.models import Document, DocumentRequest, Kind
from sessions.models import (
    Addendum,
    AdverseEvent,
    AftercareDelivery,
    AftercareTemplate,
    Alert,
    Appointment,
    AppointmentType,
    CallTask,
    CheckinAnswer,
    Course,
    EmailCheck,
    Muscle,
    NeedlingSite,
    ScheduledMessage,
    SlotHold,
    SmsDelivery,
    SmsReply,
    Visit,
    VisitLink,
    WaitListEntry,
    WaitListOffer,
)
from sessions.outcomes.models import ProgressReport, Questionnaire
from sessions.outcomes.reports import report_sign
from tests.factories import LocationFactory, PatientFactory, UserFactory

TZ = ZoneInfo("America/Edmonton")
START = datetime(2026, 11, 2, 9, 0, tzinfo=TZ)
SECRETS = {
    "invitation": "invitation-nonce-0123456789abcdef",
    "delivery": "aftercare-nonce-0123456789abcdef",
    "checkin": "checkin-nonce-0123456789abcdef",
    "reminder": "reminder-nonce-0123456789abcdef",
    "claim": "claim-token-0123456789abcdef",
    "visit_link": "visit-link-nonce-0123456789abcdef",
    "hold": "hold-nonce-0123456789abcdef",
    "email_check": "email-check-nonce-0123456789abcdef",
    "sign_in": "sign-in-nonce-0123456789abcdef",
    "wait_list": "wait-list-nonce-0123456789abcdef",
    "offer": "offer-nonce-0123456789abcdef",
    "messages": "messages-nonce-0123456789abcdef",
    "questionnaire": "questionnaire-nonce-0123456789abcdef",
    "progress_report": "progress-report-nonce-0123456789abcdef",
    "document_request": "document-request-nonce-0123456789abcdef",
}


def build_full_record() -> Patient:
    """One patient with a row in every model of the record, every optional field filled."""
    physio = UserFactory(username="dr-export", first_name="Ada", last_name="Ng", role=Role.PHYSIO)
    desk = UserFactory(username="desk-export", first_name="Bo", last_name="Li")
    patient = PatientFactory(legal_first_name="Quinn", legal_last_name="Marsh")
    consent = ConsentText.objects.create(body="Consent wording.")
    intake = Intake.objects.create(
        patient=patient,
        status=Intake.Status.SUBMITTED,
        submitted_at=START - timedelta(days=3),
        answers={"needles": {"pregnancy": "no", "fear": True}},
        drafts={"history": {"notes": "half typed"}},
        consent=consent,
        signature_name="Quinn Marsh",
        signed_ip="203.0.113.7",
    )
    IntakeInvitation.objects.create(
        intake=intake,
        nonce=SECRETS["invitation"],
        email="quinn@example.com",
        created_by=desk,
        expires_at=START,
        opened_at=START - timedelta(days=4),
        revoked_at=START - timedelta(days=3),
    )
    safety = HealthUpdate.objects.create(
        patient=patient,
        reported_at=START,
        source="day-of-visit check",
        pregnancy="no",
        surgery_date=START.date() - timedelta(days=200),
        surgery_description="knee scope",
        anticoagulants=True,
        medication_notes="apixaban",
        recorded_by=physio,
    )
    course = Course.objects.create(
        patient=patient, started_on=START.date(), closed_on=START.date() + timedelta(days=60)
    )
    kind, _ = AppointmentType.objects.get_or_create(
        name="IMS treatment", defaults={"duration_minutes": 30, "involves_needling": True}
    )
    appointment = Appointment.objects.create(
        patient=patient,
        practitioner=physio,
        location=LocationFactory(name="Kensington"),
        type=kind,
        course=course,
        start=START,
        end=START + timedelta(minutes=30),
        status=Appointment.Status.COMPLETED,
        cancellation_reason="",
        front_desk_note="prefers mornings",
        eligibility_override="cleared by phone with the surgeon",
        authorisation_override="case manager extended by phone",
        booked_online=True,
        confirmed_at=START - timedelta(hours=18),
        confirmed_via="sms",
        created_by=desk,
    )
    template = AftercareTemplate.objects.create(name="After IMS (export)", body="Rest.")
    visit = Visit.objects.create(
        appointment=appointment,
        author=physio,
        safety_check=safety,
        consent_today=True,
        acknowledged_precautions=["needle_fear"],
        acknowledged_by=physio,
        acknowledged_at=START + timedelta(minutes=5),
        nprs_before=7,
        change_since_last=Visit.Change.FIRST,
        soreness_after_last="none",
        subjective="S",
        objective="O",
        assessment="A",
        plan="P",
        nprs_after=3,
        needle_product="Seirin J",
        needle_size="0.25 × 40 mm",
        needle_lot="LOT-9",
        needles_out=4,
        needles_back=4,
        single_use_sterile=True,
        skin_antisepsis=True,
        gloves=True,
        sharps_disposal=True,
        aftercare_template=template,
        aftercare_text="Rest and drink water.",
        home_exercises="Chin tucks",
    )
    muscle, _ = Muscle.objects.get_or_create(
        name="Upper trapezius", defaults={"region": Muscle.Region.SHOULDER, "nerve_roots": "C3-C4"}
    )
    NeedlingSite.objects.create(
        visit=visit,
        muscle=muscle,
        side=NeedlingSite.Side.LEFT,
        spinal_level="C3-C4",
        depth_cm=Decimal("1.5"),
        twitch=NeedlingSite.Twitch.STRONG,
    )
    AdverseEvent.objects.create(
        visit=visit, kind=AdverseEvent.Kind.BRUISING, description="small", action_taken="ice"
    )
    AftercareDelivery.objects.create(
        visit=visit,
        email="quinn@example.com",
        nonce=SECRETS["delivery"],
        sent_at=START + timedelta(hours=1),
        skipped_reason="",
    )
    Visit.objects.filter(pk=visit.pk).update(
        status=Visit.Status.SIGNED, signed_at=START + timedelta(minutes=40)
    )
    Addendum.objects.create(visit=visit, author=physio, reason="typo", text="Left, not right.")
    report = report_sign(
        patient=patient,
        course=course,
        author=physio,
        recipient="Dr A. Moreau",
        comment="Back at work.",
        now=START + timedelta(days=1),
    )
    ProgressReport.objects.filter(pk=report.pk).update(nonce=SECRETS["progress_report"])
    checkin = ScheduledMessage.objects.create(
        key=f"checkin:{visit.pk}:24h",
        kind=ScheduledMessage.Kind.CHECKIN,
        patient=patient,
        appointment=appointment,
        visit=visit,
        hours_after=Decimal("24"),
        due_at=START + timedelta(hours=24),
        status=ScheduledMessage.Status.SENT,
        sent_at=START + timedelta(hours=24),
        channels="email",
        fallback_reason="The text was not delivered (code 30003).",
        email_sent_at=START + timedelta(hours=24, minutes=5),
        claim=SECRETS["claim"],
        nonce=SECRETS["checkin"],
    )
    SmsDelivery.objects.create(
        message=checkin,
        to="+14035550123",
        body="Clinic: how are you after your visit? https://example.com/s/abc",
        status=SmsDelivery.Status.UNDELIVERED,
        provider_id="SM" + "c" * 32,
        segments=1,
        error_code="30003",
        sent_at=START + timedelta(hours=24),
        status_at=START + timedelta(hours=24, minutes=1),
    )
    reminder = ScheduledMessage.objects.create(
        key=f"reminder:{appointment.pk}:1",
        kind=ScheduledMessage.Kind.REMINDER,
        patient=patient,
        appointment=appointment,
        due_at=START - timedelta(hours=20),
        status=ScheduledMessage.Status.SENT,
        sent_at=START - timedelta(hours=20),
        channels="both",
        fallback_reason="No SMS consent was on record then.",
        email_sent_at=START - timedelta(hours=20),
        nonce=SECRETS["reminder"],
    )
    SmsDelivery.objects.create(
        message=reminder,
        to="+14035550123",
        body="Clinic: your visit is tomorrow at 9:30 AM. Reply C to confirm.",
        status=SmsDelivery.Status.DELIVERED,
        provider_id="SM" + "d" * 32,
        segments=1,
        error_code="none",
        sent_at=START - timedelta(hours=20),
        status_at=START - timedelta(hours=20),
    )
    reply = SmsReply.objects.create(
        provider_id="SM" + "e" * 32,
        from_number="+14035550123",
        body="C",
        received_at=START - timedelta(hours=18),
        patient=patient,
        appointment=appointment,
        action=SmsReply.Action.CONFIRMED,
        answer="Thanks, your visit is confirmed.",
    )
    CallTask.objects.create(
        patient=patient,
        reason="Replied by text: read the reply",
        reply=reply,
        done_by=desk,
        done_at=START - timedelta(hours=17),
        note="called back",
    )
    answer = CheckinAnswer.objects.create(
        message=checkin,
        soreness=9,
        compared=CheckinAnswer.Compared.WORSE,
        bruising=True,
        red_flags=["fever"],
        comment="hot and red",
    )
    alert = Alert.objects.create(
        answer=answer,
        visit=visit,
        physio=physio,
        acknowledged_by=physio,
        acknowledged_at=START + timedelta(hours=26),
        action_taken="called, advised GP",
    )
    CallTask.objects.create(
        patient=patient,
        alert=alert,
        reason="Check-in alert",
        done_by=desk,
        done_at=START + timedelta(hours=25),
        note="ok",
    )
    _online_records(patient, appointment, physio, desk)
    _outcome_records(patient, appointment, physio)
    SmsConsentEvent.objects.create(
        patient=patient,
        kind=SmsConsentEvent.Kind.GIVEN,
        source=SmsConsentEvent.Source.FRONT_DESK,
        at=START - timedelta(days=5),
        recorded_by=desk,
        mobile="+14035550123",
    )
    MessagesLink.objects.create(
        patient=patient,
        nonce=SECRETS["messages"],
        created_at=START - timedelta(days=2),
        revoked_at=START - timedelta(days=1),
    )
    _document_records(patient, visit, physio, desk)
    return patient


def _document_records(patient, visit, physio, desk) -> None:
    """A document with every optional field filled (so deleted, and its file purged:
    the row keeps saying what it was), and a "send us a document" link."""
    Document.objects.create(
        patient=patient,
        visit=visit,
        kind=Kind.IMAGING,
        title="MRI lumbar spine",
        document_date=START.date() - timedelta(days=30),
        notes="L4-5 disc bulge",
        storage_name=f"patients/{patient.pk}/export-mri.pdf",
        original_name="mri.pdf",
        content_type="application/pdf",
        size=1234,
        sha256="ab" * 32,
        thumbnail=b"jpeg",
        source=Document.Source.STAFF,
        uploaded_by=desk,
        uploaded_at=START - timedelta(days=20),
        deleted_at=START - timedelta(days=10),
        deleted_by=physio,
        deletion_reason="uploaded to the wrong patient",
        file_purged_at=START - timedelta(days=1),
    )
    DocumentRequest.objects.create(
        patient=patient,
        nonce=SECRETS["document_request"],
        note="your referral from Dr. Singh",
        sent_to="quinn@example.com",
        created_by=desk,
        created_at=START - timedelta(days=25),
    )


def _online_records(patient, appointment, physio, desk) -> None:
    """Online booking's rows: the visit's self-service link, the hold it was booked
    from with its email confirmation, a sign-in, a wait-list entry and its offer, and a
    call-back request."""
    VisitLink.objects.create(appointment=appointment, nonce=SECRETS["visit_link"])
    hold = SlotHold.objects.create(
        location=appointment.location,
        practitioner=physio,
        type=appointment.type,
        start=START,
        end=START + timedelta(minutes=30),
        status=SlotHold.Status.BOOKED,
        expires_at=START - timedelta(days=5),
        patient=patient,
        first_name="Quinn",
        last_name="Marsh",
        date_of_birth=patient.date_of_birth,
        email="quinn@example.com",
        phone="403-555-0100",
        replaces=appointment,
        appointment=appointment,
        nonce=SECRETS["hold"],
        created_at=START - timedelta(days=6),
    )
    EmailCheck.objects.create(
        purpose=EmailCheck.Purpose.CONFIRM,
        email="quinn@example.com",
        patient=patient,
        hold=hold,
        nonce=SECRETS["email_check"],
        expires_at=START - timedelta(days=5),
        used_at=START - timedelta(days=6),
    )
    EmailCheck.objects.create(
        purpose=EmailCheck.Purpose.SIGN_IN,
        email="quinn@example.com",
        patient=patient,
        nonce=SECRETS["sign_in"],
        expires_at=START - timedelta(days=7),
        used_at=START - timedelta(days=7, minutes=20),
    )
    entry = WaitListEntry.objects.create(
        patient=patient,
        first_name="Quinn",
        last_name="Marsh",
        email="quinn@example.com",
        phone="403-555-0100",
        location=appointment.location,
        type=appointment.type,
        practitioner=physio,
        earliest=START.date() - timedelta(days=10),
        latest=START.date(),
        weekdays=[0, 2],
        time_of_day=WaitListEntry.TimeOfDay.MORNING,
        priority=2,
        note="any cancellation",
        source=WaitListEntry.Source.FRONT_DESK,
        status=WaitListEntry.Status.BOOKED,
        created_by=desk,
        nonce=SECRETS["wait_list"],
    )
    WaitListOffer.objects.create(
        entry=entry,
        hold=hold,
        status=WaitListOffer.Status.ACCEPTED,
        offered_at=START - timedelta(days=6),
        expires_at=START - timedelta(days=6) + timedelta(minutes=30),
        answered_at=START - timedelta(days=6) + timedelta(minutes=5),
        nonce=SECRETS["offer"],
    )
    CallTask.objects.create(
        patient=patient,
        reason="Online booking: asked for a call back to book IMS treatment",
        done_by=desk,
        done_at=START - timedelta(days=2),
        note="booked by phone",
    )


def _outcome_records(patient, appointment, physio) -> None:
    """Outcome measures' rows: a questionnaire with every optional field filled."""
    Questionnaire.objects.create(
        patient=patient,
        instrument="nprs",
        course=appointment.course,
        appointment=appointment,
        trigger=Questionnaire.Trigger.MANUAL,
        sent_by=physio,
        nonce=SECRETS["questionnaire"],
        created_at=START - timedelta(days=2),
        expires_at=START + timedelta(days=12),
        answers={"pain": 6},
        started_at=START - timedelta(days=2, minutes=-5),
        completed_at=START - timedelta(days=2, minutes=-8),
        score=Decimal("6.00"),
        answered_items=1,
        score_note="scored from 1 item",
        withdrawn_at=START - timedelta(days=1),
    )
