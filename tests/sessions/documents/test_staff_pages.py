"""The staff's document pages: adding files from the patient's documents page, the list,
a document's page, its file and thumbnail, the admin's delete and setting, and the
"send us a document" link."""

import io
import os
from datetime import date

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from clinic.models import AuditEvent
from sessions.documents import services
from sessions.documents.models import Document, DocumentPolicy, DocumentRequest
from tests.factories import AppointmentFactory, PatientFactory, PayerCaseFactory, VisitFactory
from tests.sessions.documents.samples import make_jpeg_bytes, make_pdf_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def patient():
    return PatientFactory(email="dana@example.com")


def pdf(name="referral.pdf"):
    return SimpleUploadedFile(name, make_pdf_bytes(), content_type="application/pdf")


def jpeg(name="card.jpg"):
    return SimpleUploadedFile(name, make_jpeg_bytes(gps=True), content_type="image/jpeg")


def add(patient, kind="referral", by=None, **fields) -> Document:
    result = services.documents_upload(
        patient=patient,
        uploads=[(fields.pop("name", "letter.pdf"), fields.pop("data", make_pdf_bytes()))],
        kind=kind,
        uploaded_by=by,
        **fields,
    )
    assert result.added, result.refused
    return result.added[0]


def list_url(patient) -> str:
    return reverse("sessions:documents", args=[patient.pk])


# --- Upload -----------------------------------------------------------------------------


def test_a_physio_adds_a_pdf_and_a_jpeg_at_once(client_for, physio, patient):
    visit = VisitFactory(appointment=AppointmentFactory(patient=patient))
    response = client_for(physio).post(
        list_url(patient),
        {
            "files": [pdf(), jpeg()],
            "kind": "imaging",
            "title": "MRI lumbar spine",
            "document_date": "2026-10-02",
            "notes": "From the hospital",
            "visit": visit.pk,
        },
        follow=True,
    )
    assert "2 documents added." in response.content.decode()
    added = Document.objects.filter(patient=patient).order_by("content_type")
    assert [d.content_type for d in added] == ["application/pdf", "image/jpeg"]
    assert {d.title for d in added} == {"MRI lumbar spine"}
    assert all(d.visit == visit and d.uploaded_by == physio for d in added)
    assert added[0].document_date == date(2026, 10, 2)
    creates = AuditEvent.objects.filter(action="create", object_type="treatment_sessions.document")
    assert sorted(int(e.object_id) for e in creates) == sorted(d.pk for d in added)


def test_the_upload_form_takes_several_files_of_the_allowed_types(client_for, front_desk, patient):
    text = client_for(front_desk).get(list_url(patient)).content.decode()
    assert 'enctype="multipart/form-data"' in text
    assert 'type="file"' in text and "multiple" in text
    assert 'accept="application/pdf,image/jpeg,image/png,image/heic,image/heif"' in text


def test_a_web_page_renamed_pdf_is_refused_and_the_typed_title_kept(
    client_for, front_desk, patient
):
    fake = SimpleUploadedFile("letter.pdf", b"<html><script>alert(1)</script></html>")
    response = client_for(front_desk).post(
        list_url(patient), {"files": [fake], "kind": "insurance_card", "title": "Blue Cross card"}
    )
    text = response.content.decode()
    assert response.status_code == 200
    assert "letter.pdf:" in text
    assert 'value="Blue Cross card"' in text
    assert "Choose the files again" in text
    assert not Document.objects.exists()


def test_one_bad_file_costs_only_that_file(client_for, front_desk, patient):
    fake = SimpleUploadedFile("notes.pdf", b"plain text")
    response = client_for(front_desk).post(
        list_url(patient), {"files": [fake, jpeg()], "kind": "insurance_card"}, follow=True
    )
    text = response.content.decode()
    assert "1 document added." in text and "notes.pdf:" in text
    assert Document.objects.count() == 1


def test_an_oversized_file_is_named_in_the_message(client_for, front_desk, patient, settings):
    settings.DOCUMENT_MAX_FILE_BYTES = 4096
    big = SimpleUploadedFile("scan.jpg", make_jpeg_bytes((1600, 1200), colour="red") + b"0" * 9000)
    response = client_for(front_desk).post(
        list_url(patient), {"files": [big], "kind": "insurance_card"}
    )
    text = response.content.decode()
    assert response.status_code == 200
    assert "scan.jpg: the file is larger than 4.0" in text
    assert not Document.objects.exists()


def test_no_file_chosen_is_refused(client_for, front_desk, patient):
    response = client_for(front_desk).post(list_url(patient), {"kind": "other"})
    assert response.status_code == 200
    assert "Choose at least one file." in response.content.decode()


def test_another_patients_visit_is_not_offered_nor_taken(client_for, physio, patient):
    other_visit = VisitFactory()
    other_case = PayerCaseFactory()
    response = client_for(physio).post(
        list_url(patient),
        {
            "files": [pdf()],
            "kind": "referral",
            "visit": other_visit.pk,
            "payer_case": other_case.pk,
        },
    )
    assert response.status_code == 200
    assert not Document.objects.exists()


def test_a_document_date_in_the_future_is_refused(client_for, physio, patient):
    response = client_for(physio).post(
        list_url(patient), {"files": [pdf()], "kind": "referral", "document_date": "2999-01-01"}
    )
    assert "cannot be in the future" in response.content.decode()


# --- The list -----------------------------------------------------------------------------


def test_the_list_shows_newest_document_date_first_with_thumbnails(client_for, physio, patient):
    add(patient, title="Old referral", document_date=date(2025, 1, 5))
    add(patient, title="New report", kind="imaging", document_date=date(2026, 3, 1))
    card = add(patient, title="Card", kind="insurance_card", name="c.jpg", data=make_jpeg_bytes())
    text = client_for(physio).get(list_url(patient)).content.decode()
    assert text.index("New report") < text.index("Old referral")
    assert reverse("sessions:document-thumbnail", args=[card.pk]) in text
    event = AuditEvent.objects.latest("id")
    assert (event.action, event.detail, event.patient) == ("view", "documents list", patient)


def test_front_desk_sees_only_the_kinds_allowed_and_a_count_of_the_rest(
    client_for, front_desk, patient
):
    add(patient, title="Referral from Dr Singh")
    add(patient, title="MRI report", kind="imaging")
    add(patient, title="Alberta Blue Cross", kind="insurance_card")
    text = client_for(front_desk).get(list_url(patient)).content.decode()
    assert "Alberta Blue Cross" in text
    assert "Dr Singh" not in text and "MRI report" not in text
    assert "2 clinical documents (physiotherapists only)" in text


def test_a_patients_list_shows_none_of_another_patients_documents(client_for, physio, patient):
    add(PatientFactory(), title="Someone else's referral")
    text = client_for(physio).get(list_url(patient)).content.decode()
    assert "Someone else" not in text and "No documents yet." in text


def test_list_queries_do_not_grow_with_documents(
    client_for, front_desk, patient, django_assert_max_num_queries
):
    client = client_for(front_desk)
    add(patient, kind="insurance_card", name="c.jpg", data=make_jpeg_bytes())
    client.get(list_url(patient))  # the policy row exists from here on
    with django_assert_max_num_queries(20) as one:
        assert client.get(list_url(patient)).status_code == 200
    for n in range(19):
        add(patient, kind="insurance_card" if n % 2 else "referral", title=f"Doc {n}")
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert client.get(list_url(patient)).status_code == 200


# --- A document, its file, its thumbnail --------------------------------------------------


def test_front_desk_cannot_open_a_referral(client_for, front_desk, patient):
    referral = add(patient)
    client = client_for(front_desk)
    for name in ("sessions:document", "sessions:document-file", "sessions:document-thumbnail"):
        assert client.get(reverse(name, args=[referral.pk])).status_code == 403
        event = AuditEvent.objects.filter(action="denied").latest("id")
        assert (event.object_id, event.patient) == (str(referral.pk), patient)


def test_front_desk_opens_an_insurance_card(client_for, front_desk, patient):
    card = add(patient, kind="insurance_card", name="c.jpg", data=make_jpeg_bytes())
    client = client_for(front_desk)
    page = client.get(reverse("sessions:document", args=[card.pk])).content.decode()
    assert f"{reverse('sessions:document-file', args=[card.pk])}?inline=1" in page
    response = client.get(reverse("sessions:document-file", args=[card.pk]), {"inline": "1"})
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert response["Content-Disposition"].startswith("inline")


def test_the_clinics_setting_opens_a_kind_to_front_desk(client_for, front_desk, patient):
    consent = add(patient, kind="consent")
    client = client_for(front_desk)
    assert client.get(reverse("sessions:document", args=[consent.pk])).status_code == 403
    services.policy_set(kinds=["consent"], by=front_desk)
    assert client.get(reverse("sessions:document", args=[consent.pk])).status_code == 200


def test_a_pdfs_page_offers_a_download_and_its_first_page(client_for, physio, patient):
    referral = add(patient, notes="Please see urgently")
    text = client_for(physio).get(reverse("sessions:document", args=[referral.pk])).content
    text = text.decode()
    assert "Open PDF" in text and "Please see urgently" in text
    assert reverse("sessions:document-thumbnail", args=[referral.pk]) in text
    assert "Delete this document" not in text


def test_every_download_is_audited(client_for, physio, patient):
    referral = add(patient)
    client = client_for(physio)
    url = reverse("sessions:document-file", args=[referral.pk])
    for _ in range(2):
        b"".join(client.get(url).streaming_content)
    rows = AuditEvent.objects.filter(action="view", object_id=str(referral.pk), detail="download")
    assert rows.count() == 2


def test_a_pdf_is_always_a_download_with_hardened_headers(client_for, physio, patient):
    referral = add(patient, title="Referral")
    response = client_for(physio).get(
        reverse("sessions:document-file", args=[referral.pk]), {"inline": "1"}
    )
    assert response["Content-Disposition"].startswith("attachment")
    assert f"referral-{referral.pk}.pdf" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert b"".join(response.streaming_content).startswith(b"%PDF")


def test_the_thumbnail_is_served_and_audited(client_for, physio, patient):
    referral = add(patient)
    response = client_for(physio).get(reverse("sessions:document-thumbnail", args=[referral.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert AuditEvent.objects.latest("id").detail == "thumbnail"


def test_no_thumbnail_is_not_found(client_for, physio, patient):
    referral = add(patient)
    Document.objects.filter(pk=referral.pk).update(thumbnail=None)
    url = reverse("sessions:document-thumbnail", args=[referral.pk])
    assert client_for(physio).get(url).status_code == 404


def test_a_purged_file_says_it_was_removed(client_for, clinic_admin, physio, patient):
    referral = add(patient)
    services.document_delete(document=referral, by=clinic_admin, reason="Wrong patient")
    Document.objects.filter(pk=referral.pk).update(file_purged_at=referral.uploaded_at)
    response = client_for(clinic_admin).get(reverse("sessions:document-file", args=[referral.pk]))
    assert response.status_code == 410
    assert "removed after its retention period" in response.content.decode()


# --- Delete -------------------------------------------------------------------------------


def test_the_admin_deletes_with_a_reason(client_for, clinic_admin, patient):
    referral = add(patient, title="Wrong referral")
    client = client_for(clinic_admin)
    response = client.post(
        reverse("sessions:document-delete", args=[referral.pk]), {"reason": "Wrong patient"}
    )
    assert response.status_code == 302 and response["Location"] == list_url(patient)
    referral.refresh_from_db()
    assert referral.is_deleted and referral.deletion_reason == "Wrong patient"
    event = AuditEvent.objects.filter(action="update").latest("id")
    assert event.detail == "deleted: Wrong patient"
    assert 'data-testid="document-row"' not in client.get(list_url(patient)).content.decode()
    page = client.get(reverse("sessions:document", args=[referral.pk])).content.decode()
    assert "because “Wrong patient”" in page


def test_a_delete_without_a_reason_is_refused(client_for, clinic_admin, patient):
    referral = add(patient)
    response = client_for(clinic_admin).post(
        reverse("sessions:document-delete", args=[referral.pk]), {"reason": "  "}
    )
    assert response.status_code == 200
    assert "Say why the document is deleted." in response.content.decode()
    referral.refresh_from_db()
    assert not referral.is_deleted


@pytest.mark.parametrize("who", ["physio", "front_desk"])
def test_only_the_admin_deletes(client_for, request, who, patient):
    card = add(patient, kind="insurance_card")
    url = reverse("sessions:document-delete", args=[card.pk])
    response = client_for(request.getfixturevalue(who)).post(url, {"reason": "Mine"})
    assert response.status_code == 403
    card.refresh_from_db()
    assert not card.is_deleted


def test_a_deleted_document_is_gone_for_everyone_but_the_admin(
    client_for, clinic_admin, physio, patient
):
    referral = add(patient)
    services.document_delete(document=referral, by=clinic_admin, reason="Duplicate")
    client = client_for(physio)
    for name in ("sessions:document", "sessions:document-file", "sessions:document-thumbnail"):
        assert client.get(reverse(name, args=[referral.pk])).status_code == 404


# --- The clinic admin's setting -----------------------------------------------------------


def test_the_admin_sets_what_front_desk_opens(client_for, clinic_admin):
    client = client_for(clinic_admin)
    page = client.get(reverse("sessions:document-settings")).content.decode()
    assert "always physiotherapists and admins only" in page
    assert 'value="referral"' not in page
    response = client.post(
        reverse("sessions:document-settings"), {"desk_kinds": ["insurance_card", "consent"]}
    )
    assert response.status_code == 302
    assert DocumentPolicy.get().desk_kinds == ["consent", "insurance_card"]


def test_a_clinical_kind_cannot_be_opened_to_front_desk(client_for, clinic_admin):
    response = client_for(clinic_admin).post(
        reverse("sessions:document-settings"), {"desk_kinds": ["referral"]}
    )
    assert response.status_code == 200
    assert DocumentPolicy.get().desk_kinds == ["insurance_card", "payer_letter"]


@pytest.mark.parametrize("who", ["physio", "front_desk"])
def test_only_the_admin_sets_what_front_desk_opens(client_for, request, who):
    client = client_for(request.getfixturevalue(who))
    assert client.get(reverse("sessions:document-settings")).status_code == 403


# --- "Send us a document" -----------------------------------------------------------------


def test_front_desk_emails_a_link(
    client_for, front_desk, patient, django_capture_on_commit_callbacks
):
    url = reverse("sessions:document-request-send", args=[patient.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(front_desk).post(
            url, {"note": "your referral from Dr. Singh", "back": "patient"}, follow=True
        )
    assert "Link emailed to dana@example.com." in response.content.decode()
    assert response.redirect_chain[-1][0] == reverse("intake:patient-detail", args=[patient.pk])
    row = DocumentRequest.objects.get()
    assert row.note == "your referral from Dr. Singh" and row.created_by == front_desk
    assert len(mail.outbox) == 1
    event = AuditEvent.objects.filter(action="create").latest("id")
    assert (event.object_type, event.patient) == ("treatment_sessions.documentrequest", patient)


def test_no_email_address_says_why(client_for, front_desk):
    patient = PatientFactory(email="")
    url = reverse("sessions:document-request-send", args=[patient.pk])
    response = client_for(front_desk).post(url, {"note": ""}, follow=True)
    assert "no email address" in response.content.decode()
    assert not DocumentRequest.objects.exists()


def test_the_request_link_is_post_only(client_for, front_desk, patient):
    url = reverse("sessions:document-request-send", args=[patient.pk])
    assert client_for(front_desk).get(url).status_code == 405


def phone_photo_bytes() -> bytes:
    """A photo of about 3 MB, as a phone takes: noise does not compress."""
    picture = Image.frombytes("RGB", (1600, 1200), os.urandom(1600 * 1200 * 3))
    out = io.BytesIO()
    picture.save(out, format="JPEG", quality=95)
    return out.getvalue()


def test_a_phone_photo_of_several_megabytes_is_added_under_the_default_limits(
    client_for, front_desk, patient
):
    photo = phone_photo_bytes()
    assert len(photo) > 2 * 1024 * 1024  # over the 1 MB limit of a request without files

    response = client_for(front_desk).post(
        list_url(patient),
        {"files": [SimpleUploadedFile("IMG_0042.jpg", photo)], "kind": "insurance_card"},
        follow=True,
    )

    assert response.status_code == 200
    assert "1 document added." in response.content.decode()


def test_a_file_over_20_mb_is_named_under_the_default_limits_not_refused_blank(
    client_for, front_desk, patient
):
    big = SimpleUploadedFile("scan.pdf", make_pdf_bytes() + b"0" * (21 * 1024 * 1024))

    response = client_for(front_desk).post(
        list_url(patient), {"files": [big], "kind": "referral", "title": "Kept"}
    )

    text = response.content.decode()
    assert response.status_code == 200
    assert "scan.pdf: the file is larger than 20 MB." in text
    assert 'value="Kept"' in text


def test_a_request_without_files_over_1_mb_is_still_refused(client_for, front_desk, patient):
    response = client_for(front_desk).post(
        list_url(patient),
        data="x=" + "a" * (1024 * 1024 + 10),
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 400
