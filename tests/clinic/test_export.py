"""The patient's record export (clinic.site.export): complete, free of secrets, bounded."""

import io
import json
import zipfile
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from clinic.models import AuditEvent
from clinic.site import export
from intake.models import (
    HealthUpdate,
    Intake,
    IntakeInvitation,
    MessagesLink,
    Patient,
    SmsConsentEvent,
)
from sessions.documents import serve, services
from sessions.documents.models import Document, DocumentRequest, Kind
from sessions.models import (
    Addendum,
    AdverseEvent,
    AftercareDelivery,
    Alert,
    Appointment,
    CallTask,
    CheckinAnswer,
    Course,
    EmailCheck,
    NeedlingSite,
    ProgressReport,
    ScheduledMessage,
    SlotHold,
    SmsDelivery,
    SmsReply,
    Visit,
    VisitLink,
    WaitListEntry,
    WaitListOffer,
)
from sessions.outcomes.models import Questionnaire
from tests.clinic.export_record import SECRETS, build_full_record
from tests.factories import PatientFactory
from tests.sessions.documents.samples import make_jpeg_bytes, make_pdf_bytes


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
        # Hidden relations too (related_name="+"): a row that names the patient without
        # a way back from Patient is still part of the record.
        todo.extend(
            f.related_model
            for f in model._meta.get_fields(include_hidden=True)
            if f.auto_created and not f.concrete and f.related_model
        )
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
    return build_full_record()


def _rows(data: dict) -> dict:
    """Where each model's first row sits in the export."""
    visit = data["visits"][0]
    return {
        Patient: [data["patient"]],
        Intake: data["intakes"],
        IntakeInvitation: data["intakes"][0]["invitations"],
        HealthUpdate: data["health_updates"],
        SmsConsentEvent: data["sms_consent_events"],
        MessagesLink: data["messages_links"],
        Course: data["courses"],
        Appointment: data["appointments"],
        Visit: data["visits"],
        NeedlingSite: visit["needling_sites"],
        AdverseEvent: visit["adverse_events"],
        Addendum: visit["addenda"],
        AftercareDelivery: visit["aftercare_deliveries"],
        ScheduledMessage: visit["check_ins"] + data["appointments"][0]["reminders"],
        CheckinAnswer: visit["check_ins"][0]["answers"],
        SmsDelivery: [
            visit["check_ins"][0]["text"],
            data["appointments"][0]["reminders"][0]["text"],
        ],
        SmsReply: data["text_replies"],
        Alert: visit["alerts"],
        CallTask: [visit["alerts"][0]["call_task"], *data["call_backs"]],
        VisitLink: [data["appointments"][0]["self_service_link"]],
        SlotHold: data["online_holds"],
        EmailCheck: data["online_holds"][0]["email_checks"] + data["email_sign_ins"],
        WaitListEntry: data["wait_list"],
        WaitListOffer: data["wait_list"][0]["offers"],
        Questionnaire: data["questionnaires"],
        ProgressReport: data["progress_reports"],
        Document: data["documents"],
        DocumentRequest: data["document_requests"],
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
    assert '<dt class="col-sm-4">Single-use sterile needles</dt><dd class="col-sm-8">yes' in text
    assert "Precautions weighed" in text
    assert "Ada Ng" in text
    assert "Fear of needles" in text
    assert "After IMS (export)" in text
    assert "Rest and drink water." in text
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
    # 14, plus online booking's six (call-backs, wait list and offers, holds and their
    # email checks, sign-ins), one each for SMS consent events and message links, and
    # one each for questionnaires and progress reports, documents and document links.
    assert one_visit <= 27


# --- The ZIP: the record's JSON and the document files --------------------------------


def _zip(client, patient):
    response = client.get(reverse("patient-export", args=[patient.pk]), {"format": "zip"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert "attachment" in response["Content-Disposition"]
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


def _upload(patient, name: str, data: bytes, kind=Kind.REFERRAL) -> Document:
    return services.documents_upload(patient=patient, uploads=[(name, data)], kind=kind).added[0]


def test_the_zip_holds_the_record_json_and_every_kept_file_byte_for_byte(db, client_for, physio):
    patient = PatientFactory()
    pdf = make_pdf_bytes("Referral from Dr. Singh")
    letter = _upload(patient, "referral.pdf", pdf)
    photo = _upload(patient, "card.jpg", make_jpeg_bytes(gps=True), kind=Kind.INSURANCE_CARD)
    gone = _upload(patient, "wrong.pdf", make_pdf_bytes("Someone else's"))
    services.document_delete(document=gone, by=physio, reason="wrong patient")

    archive = _zip(client_for(physio), patient)

    record = json.loads(archive.read("record.json"))
    assert record["patient"]["legal_last_name"] == patient.legal_last_name
    by_title = {d["title"]: d for d in record["documents"]}
    assert set(by_title) == {letter.title, photo.title, gone.title}
    assert by_title[gone.title]["deleted_at"] is not None
    assert by_title[gone.title]["deletion_reason"] == "wrong patient"
    assert all("thumbnail" not in d for d in record["documents"])
    # Deleted files are still kept (the retention period), so they are in the ZIP too.
    files = {name for name in archive.namelist() if name.startswith("documents/")}
    assert files == {d["file_in_zip"] for d in record["documents"]}
    assert archive.read(export.zip_path(letter)) == pdf
    stored = services.documents_storage().open(photo.storage_name, "rb").read()
    assert archive.read(export.zip_path(photo)) == stored
    assert export.zip_path(letter) == f"documents/{letter.pk}-{serve.download_name(letter)}"
    assert AuditEvent.objects.filter(action="export", patient=patient, detail="export zip").exists()


def test_the_zip_leaves_out_purged_files_and_other_patients_documents(db, client_for, physio):
    patient, other = PatientFactory(), PatientFactory()
    mine = _upload(patient, "mine.pdf", make_pdf_bytes("mine"))
    theirs = _upload(other, "theirs.pdf", make_pdf_bytes("theirs"))
    purged = _upload(patient, "old.pdf", make_pdf_bytes("old"))
    services.document_delete(
        document=purged, by=physio, reason="duplicate", now=timezone.now() - timedelta(days=4000)
    )
    assert services.documents_purge() == 1

    archive = _zip(client_for(physio), patient)

    record = json.loads(archive.read("record.json"))
    assert [d["title"] for d in record["documents"]] == [mine.title, purged.title]
    assert record["documents"][1]["file_in_zip"] is None
    assert record["documents"][1]["file_purged_at"] is not None
    assert sorted(archive.namelist()) == [export.zip_path(mine), "record.json"]
    assert theirs.title not in archive.read("record.json").decode()


def test_the_zip_notes_a_file_missing_from_storage_instead_of_failing(db, client_for, physio):
    patient = PatientFactory()
    document = _upload(patient, "scan.pdf", make_pdf_bytes())
    services.documents_storage().delete(document.storage_name)

    archive = _zip(client_for(physio), patient)

    assert f"{export.zip_path(document)}.missing.txt" in archive.namelist()


def test_front_desk_and_admins_cannot_download_the_zip(db, client_for, front_desk, clinic_admin):
    patient = PatientFactory()
    _upload(patient, "card.pdf", make_pdf_bytes(), kind=Kind.INSURANCE_CARD)
    url = reverse("patient-export", args=[patient.pk])
    for user in (front_desk, clinic_admin):
        assert client_for(user).get(url, {"format": "zip"}).status_code == 403
        assert client_for(user).get(url, {"format": "json"}).status_code == 403
    assert not AuditEvent.objects.filter(action="export").exists()
