"""The patient's record export (clinic.site.export): complete, free of secrets, bounded."""

import json
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from clinic.models import AuditEvent
from clinic.roles import Role
from clinic.site import export
from intake.models import ConsentText, HealthUpdate, Intake, IntakeInvitation, Patient
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
    Muscle,
    NeedlingSite,
    ScheduledMessage,
    Visit,
)
from tests.factories import LocationFactory, PatientFactory, UserFactory

TZ = ZoneInfo("America/Edmonton")
START = datetime(2026, 11, 2, 9, 0, tzinfo=TZ)
SECRETS = {
    "invitation": "invitation-nonce-0123456789abcdef",
    "delivery": "aftercare-nonce-0123456789abcdef",
    "checkin": "checkin-nonce-0123456789abcdef",
    "reminder": "reminder-nonce-0123456789abcdef",
    "claim": "claim-token-0123456789abcdef",
}


def _record_models() -> set:
    """Every model that holds part of a patient's record: reached from Patient through
    reverse relations (a patient's intakes, their invitations, visits of appointments...)."""
    found, todo = set(), [Patient]
    while todo:
        model = todo.pop()
        if model in found:
            continue
        found.add(model)
        if model in export.NOT_RECORD:
            continue
        todo.extend(rel.related_model for rel in model._meta.related_objects if rel.related_model)
    return found


def test_every_field_of_every_record_model_is_exported_or_left_out_with_a_reason():
    models = _record_models()
    undeclared = models - set(export.RECORD) - set(export.NOT_RECORD)
    assert not undeclared, f"add these models to clinic.site.export.RECORD: {undeclared}"
    assert set(export.RECORD) <= models, "RECORD names a model outside the record"
    for model, part in export.RECORD.items():
        concrete = {f.name for f in model._meta.concrete_fields}
        declared = [*part.fields, *part.shown_as, *part.left_out]
        assert len(declared) == len(set(declared)), f"{model.__name__}: a field named twice"
        missing = concrete - set(declared)
        assert not missing, (
            f"{model.__name__}: export these fields in clinic.site.export.RECORD or list them "
            f"as left out with a reason: {sorted(missing)}"
        )
        assert not set(declared) - concrete, f"{model.__name__}: stale names in RECORD"
        assert all(reason.strip() for reason in part.left_out.values())
    assert all(reason.strip() for reason in export.NOT_RECORD.values())


@pytest.fixture
def full_record(db):
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
        claim=SECRETS["claim"],
        nonce=SECRETS["checkin"],
    )
    ScheduledMessage.objects.create(
        key=f"reminder:{appointment.pk}:1",
        kind=ScheduledMessage.Kind.REMINDER,
        patient=patient,
        appointment=appointment,
        due_at=START - timedelta(hours=20),
        status=ScheduledMessage.Status.SENT,
        sent_at=START - timedelta(hours=20),
        nonce=SECRETS["reminder"],
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
        patient=patient, alert=alert, done_by=desk, done_at=START + timedelta(hours=25), note="ok"
    )
    return patient


def _rows(data: dict) -> dict:
    """Where each model's first row sits in the export."""
    visit = data["visits"][0]
    return {
        Patient: [data["patient"]],
        Intake: data["intakes"],
        IntakeInvitation: data["intakes"][0]["invitations"],
        HealthUpdate: data["health_updates"],
        Course: data["courses"],
        Appointment: data["appointments"],
        Visit: data["visits"],
        NeedlingSite: visit["needling_sites"],
        AdverseEvent: visit["adverse_events"],
        Addendum: visit["addenda"],
        AftercareDelivery: visit["aftercare_deliveries"],
        ScheduledMessage: visit["check_ins"] + data["appointments"][0]["reminders"],
        CheckinAnswer: visit["check_ins"][0]["answers"],
        Alert: visit["alerts"],
        CallTask: [visit["alerts"][0]["call_task"]],
    }


def test_a_full_record_carries_every_exported_field_with_its_value(full_record):
    data = export.patient_export(full_record)
    rows = _rows(data)
    assert set(rows) == set(export.RECORD), "say where each model's rows sit in the export"
    for model, part in export.RECORD.items():
        assert rows[model], f"no {model.__name__} row in the export"
        for row in rows[model]:
            keys = {*part.fields, *part.shown_as.values()}
            assert keys <= set(row), f"{model.__name__}: {sorted(keys - set(row))} missing"
            filled = {key for key in keys if row[key] not in (None, "", [], {})}
            if model is not Patient:  # the factory leaves optional demographics blank
                blank_here = {"cancellation_reason", "skipped_reason", "hours_after"}  # reminders
                assert not keys - blank_here - filled, (
                    model.__name__,
                    sorted(keys - filled),
                )


def test_clean_technique_precautions_and_aftercare_template_are_exported(
    full_record, client_for, physio
):
    visit = export.patient_export(full_record)["visits"][0]
    assert visit["single_use_sterile"] is True
    assert visit["skin_antisepsis"] is True
    assert visit["gloves"] is True
    assert visit["sharps_disposal"] is True
    assert visit["clean_technique_complete"] is True
    assert visit["acknowledged_precautions"] == ["needle_fear"]
    assert visit["acknowledged_precaution_titles"] == ["Fear of needles"]
    assert visit["acknowledged_by"] == "Ada Ng"
    assert visit["aftercare_template"] == "After IMS (export)"

    page = client_for(physio).get(reverse("patient-export", args=[full_record.pk]))
    text = page.content.decode()
    assert "Clean technique: single-use sterile needles yes" in text
    assert "gloves worn yes" in text
    assert "Precautions weighed by Ada Ng" in text
    assert "Fear of needles" in text
    assert "Aftercare (After IMS (export)): Rest and drink water." in text
    assert AuditEvent.objects.filter(action="export", patient=full_record).exists()


def test_the_export_keeps_link_nonces_and_claim_tokens_out(full_record, client_for, physio):
    client = client_for(physio)
    url = reverse("patient-export", args=[full_record.pk])
    as_json = client.get(url + "?format=json").content.decode()
    page = client.get(url).content.decode()
    assert json.loads(as_json)["visits"][0]["check_ins"][0]["answers"][0]["soreness"] == 9
    for secret in SECRETS.values():
        assert secret not in as_json
        assert secret not in page


def test_the_export_keeps_its_earlier_keys(full_record):
    data = export.patient_export(full_record)
    assert set(data) >= {"exported_at", "patient", "intakes", "health_updates"}
    assert set(data) >= {"appointments", "visits"}
    assert set(data["intakes"][0]) >= {
        "number",
        "status",
        "submitted_at",
        "answers",
        "consent_version",
        "signature_name",
    }
    assert set(data["appointments"][0]) >= {
        "start",
        "type",
        "location",
        "practitioner",
        "status",
        "cancellation_reason",
    }
    visit = data["visits"][0]
    assert {"date", "practitioner", "needling_sites", "adverse_events", "addenda"} <= set(visit)
    assert visit["needling_sites"][0]["depth_cm"] == "1.5"
    assert visit["check_ins"][0]["hours_after"] == "24.00"
    assert set(visit["check_ins"][0]) >= {"hours_after", "sent_at", "answers"}
    assert visit["addenda"][0]["author"] == "Ada Ng"


def _export_queries(patient) -> int:
    with CaptureQueriesContext(connection) as queries:
        export.patient_export(patient)
    return len(queries)


def test_the_export_query_count_does_not_grow_with_the_record(full_record):
    one_visit = _export_queries(full_record)
    visit = Visit.objects.get(appointment__patient=full_record)
    appointment = visit.appointment
    for days in (7, 14, 21):
        later = Appointment.objects.create(
            patient=full_record,
            practitioner=appointment.practitioner,
            location=appointment.location,
            type=appointment.type,
            course=appointment.course,
            start=appointment.start + timedelta(days=days),
            end=appointment.end + timedelta(days=days),
            created_by=appointment.created_by,
        )
        Visit.objects.create(
            appointment=later,
            author=visit.author,
            acknowledged_by=visit.author,
            aftercare_template=visit.aftercare_template,
            safety_check=HealthUpdate.objects.create(patient=full_record, source="check"),
        )
    assert len(export.patient_export(full_record)["visits"]) == 4
    assert _export_queries(full_record) == one_visit
    assert one_visit <= 14
