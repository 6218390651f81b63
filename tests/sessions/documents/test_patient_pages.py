"""The patient's upload pages: through the intake link and a "send us a document"
link, on a phone, with no login."""

import io
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from clinic import links
from clinic.models import AuditEvent
from intake import services as intake_services
from intake.forms import STEP_SLUGS
from intake.models import Intake
from sessions.documents import patient_limits, services
from sessions.documents.models import Document, DocumentRequest
from tests.factories import PatientFactory
from tests.sessions.documents.samples import (
    GPS_IFD,
    make_heic_bytes,
    make_jpeg_bytes,
    make_pdf_bytes,
    make_png_bytes,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def patient():
    return PatientFactory(email="pat@example.com")


@pytest.fixture
def invitation(patient, front_desk, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return intake_services.intake_invite(patient=patient, sent_by=front_desk)


def intake_url(invitation) -> str:
    token = links.make_token(intake_services.INVITATION_PURPOSE, invitation.pk, invitation.nonce)
    return reverse("sessions:intake-documents", args=[token])


def request_url(row) -> str:
    token = links.make_token(services.REQUEST_PURPOSE, row.pk, row.nonce)
    return reverse("sessions:document-request-upload", args=[token])


@pytest.fixture
def url(invitation) -> str:
    return intake_url(invitation)


def upload(name: str, data: bytes, content_type: str = "application/octet-stream"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def send(client, url, *files, kind="referral", title="", follow=False):
    data = {"kind": kind, "title": title, "files": list(files)}
    return client.post(url, data, follow=follow)


def text(response) -> str:
    return response.content.decode()


# --- Through the intake link -------------------------------------------------------------


def test_a_phone_photo_is_kept_without_its_gps_position(client, url, patient):
    photo = make_jpeg_bytes(gps=True)
    with Image.open(io.BytesIO(photo)) as sent:
        assert sent.getexif().get_ifd(GPS_IFD)  # the sample does carry a position

    response = send(client, url, upload("IMG_0001.jpg", photo, "image/jpeg"), title="Referral")

    assert response.status_code == 302
    document = Document.objects.get(patient=patient)
    assert (document.kind, document.source, document.uploaded_by) == (
        "referral",
        Document.Source.INTAKE_LINK,
        None,
    )
    assert document.content_type == "image/jpeg"
    with services.document_open(document) as stored:
        kept = stored.read()
    with Image.open(io.BytesIO(kept)) as picture:
        exif = picture.getexif()
        assert GPS_IFD not in exif
        assert not exif.get_ifd(GPS_IFD)
    page = client.get(url)
    assert "Added: <strong>Referral</strong>" in text(page)


def test_a_heic_photo_and_a_png_are_added_in_one_go(client, url, patient):
    response = send(
        client,
        url,
        upload("card.heic", make_heic_bytes(), "image/heic"),
        upload("card-back.png", make_png_bytes(), "image/png"),
        kind="insurance_card",
    )
    assert response.status_code == 302
    kinds = sorted(Document.objects.filter(patient=patient).values_list("content_type", flat=True))
    assert kinds == ["image/jpeg", "image/png"]


def test_a_pdf_named_jpg_is_kept_as_a_pdf(client, url, patient):
    response = send(client, url, upload("letter.jpg", make_pdf_bytes(), "image/jpeg"))
    assert response.status_code == 302
    document = Document.objects.get(patient=patient)
    assert document.content_type == "application/pdf"
    assert document.storage_name.endswith(".pdf")


def test_an_html_file_named_pdf_is_refused_with_the_reason(client, url, patient):
    page = b"<!doctype html><html><script>alert(1)</script></html>"
    response = send(client, url, upload("letter.pdf", page, "application/pdf"), title="Mine")
    assert response.status_code == 200
    assert "letter.pdf: this kind of file cannot be added" in text(response)
    assert 'value="Mine"' in text(response)  # what was typed is kept
    assert not Document.objects.filter(patient=patient).exists()


def test_an_empty_file_is_refused(client, url, patient):
    response = send(client, url, upload("scan.pdf", b"", "application/pdf"))
    assert response.status_code == 200
    assert "scan.pdf: the file is empty" in text(response)
    assert not Document.objects.exists()


def test_a_file_over_the_size_limit_is_refused_and_named(client, url, patient, settings):
    settings.DOCUMENT_MAX_FILE_BYTES = 2048
    big = make_jpeg_bytes((800, 600), colour="blue") + b"\0" * 4096
    response = send(
        client,
        url,
        upload("huge-photo.jpg", big, "image/jpeg"),
        upload("small.png", make_png_bytes((10, 10)), "image/png"),
    )
    assert response.status_code == 200
    body = text(response)
    assert "huge-photo.jpg: the file is larger than 2.0" in body
    assert "Added: Referral (small)" in body  # the other file went in, and the page says so
    assert Document.objects.get(patient=patient).original_name == "small.png"


def test_only_a_file_over_the_limit_is_refused_without_asking_for_a_file(client, url, settings):
    settings.DOCUMENT_MAX_FILE_BYTES = 2048
    response = send(client, url, upload("huge.pdf", b"%PDF-1.4" + b"x" * 5000))
    body = text(response)
    assert "huge.pdf: the file is larger than" in body
    assert "Choose a file, or take a photo." not in body
    assert not Document.objects.exists()


def test_one_bad_file_does_not_stop_the_good_one(client, url, patient):
    response = send(
        client,
        url,
        upload("good.pdf", make_pdf_bytes()),
        upload("bad.pdf", b"not a pdf at all"),
        title="Letters",
    )
    assert response.status_code == 200
    body = text(response)
    assert "bad.pdf: this kind of file cannot be added" in body
    assert "Added: Letters" in body
    assert Document.objects.filter(patient=patient).count() == 1


def test_the_page_lists_only_what_this_browser_sent_through_this_link(
    client, url, patient, front_desk
):
    services.documents_upload(
        patient=patient,
        uploads=[("staff.pdf", make_pdf_bytes())],
        kind="imaging",
        title="Staff imaging report",
        uploaded_by=front_desk,
    )
    other_browser = Client()
    send(other_browser, url, upload("a.pdf", make_pdf_bytes()), title="From the laptop")
    send(client, url, upload("b.pdf", make_pdf_bytes()), title="From the phone")

    body = text(client.get(url))
    assert "From the phone" in body
    assert "From the laptop" not in body
    assert "Staff imaging report" not in body
    # No way from the page to any file.
    assert "/documents/" not in body.replace(url, "")
    assert "From the laptop" in text(other_browser.get(url))


def test_a_document_deleted_by_the_clinic_leaves_the_list(client, url, patient, physio):
    send(client, url, upload("b.pdf", make_pdf_bytes()), title="Old letter", follow=True)
    services.document_delete(document=Document.objects.get(), by=physio, reason="duplicate")
    assert "Old letter" not in text(client.get(url))


@pytest.mark.parametrize("how", ["expired", "revoked", "tampered", "other purpose"])
def test_a_dead_or_forged_intake_link_gets_the_plain_refusal(client, invitation, how):
    url = intake_url(invitation)
    if how == "expired":
        invitation.expires_at = timezone.now() - timedelta(seconds=1)
        invitation.save()
    elif how == "revoked":
        invitation.revoked_at = timezone.now()
        invitation.save()
    elif how == "tampered":
        url = url[:-3] + ("A" if url[-3] != "A" else "B") + url[-2:]
    else:
        token = links.make_token(services.REQUEST_PURPOSE, invitation.pk, invitation.nonce)
        url = reverse("sessions:intake-documents", args=[token])
    for response in (client.get(url), send(client, url, upload("a.pdf", make_pdf_bytes()))):
        assert response.status_code == 404
        assert "This link is not valid" in text(response)
        assert "Send the clinic a document" not in text(response)
    assert not Document.objects.exists()


def test_a_sent_questionnaire_still_takes_documents_until_the_link_expires(
    client, invitation, patient
):
    Intake.objects.filter(pk=invitation.intake_id).update(
        status=Intake.Status.SUBMITTED, submitted_at=timezone.now()
    )
    response = send(client, intake_url(invitation), upload("late.pdf", make_pdf_bytes()))
    assert response.status_code == 302
    assert Document.objects.filter(patient=patient).count() == 1


def test_the_thank_you_page_offers_the_documents_page_while_the_link_lives(client, invitation):
    Intake.objects.filter(pk=invitation.intake_id).update(
        status=Intake.Status.SUBMITTED, submitted_at=timezone.now()
    )
    token = links.make_token(intake_services.INVITATION_PURPOSE, invitation.pk, invitation.nonce)
    documents = reverse("sessions:intake-documents", args=[token])

    assert documents in text(client.get(reverse("intake:fill", args=[token])))

    invitation.expires_at = timezone.now() - timedelta(seconds=1)
    invitation.save(update_fields=["expires_at"])
    page = text(client.get(reverse("intake:fill", args=[token])))
    assert "your questionnaire is with the clinic" in page
    assert documents not in page


def test_the_questionnaire_pages_link_to_the_documents_page(client, invitation):
    token = links.make_token(intake_services.INVITATION_PURPOSE, invitation.pk, invitation.nonce)
    for step in (STEP_SLUGS[0], "consent"):
        response = client.get(reverse("intake:fill-step", args=[token, step]), follow=True)
        assert response.status_code == 200
        assert reverse("sessions:intake-documents", args=[token]) in text(response)
        assert "Add a referral letter or a photo of your insurance card" in text(response)
    page = text(client.get(intake_url(invitation)))
    assert reverse("intake:fill", args=[token]) in page


@pytest.mark.parametrize(
    "data, with_file, reason",
    [
        ({"title": "x"}, True, "Choose what you are sending."),
        ({"kind": "consent"}, True, "Choose one of the kinds listed."),
        ({"kind": "nonsense\x00"}, True, "Choose one of the kinds listed."),
        ({"kind": "referral"}, False, "Choose a file, or take a photo."),
        ({"kind": "referral", "title": "T" * 5000}, True, "at most 200 characters"),
        ({"kind": "referral", "title": "bad\x00title"}, True, "Null characters are not allowed."),
        ({}, False, "Choose what you are sending."),
    ],
)
def test_a_bad_form_is_refused_with_the_reason_and_never_fails(
    client, url, data, with_file, reason
):
    files = {"files": [upload("a.pdf", make_pdf_bytes())]} if with_file else {}
    response = client.post(url, {**data, **files})
    assert response.status_code == 200
    assert reason in text(response)
    assert not Document.objects.exists()


def test_the_form_is_refused_without_its_csrf_token(url):
    strict = Client(enforce_csrf_checks=True)
    response = send(strict, url, upload("a.pdf", make_pdf_bytes()))
    assert response.status_code == 403
    assert not Document.objects.exists()


def test_more_files_than_one_upload_takes_are_refused(client, url, settings):
    settings.DOCUMENT_MAX_FILES_PER_UPLOAD = 2
    pdf = make_pdf_bytes()
    response = send(client, url, *(upload(f"{n}.pdf", pdf) for n in range(3)))
    assert "Add at most 2 files at a time." in text(response)
    assert not Document.objects.exists()


def test_a_link_takes_so_many_documents_a_day(client, url, patient, monkeypatch):
    monkeypatch.setattr(patient_limits, "LINK_DOCUMENTS_PER_DAY", 2)
    pdf = make_pdf_bytes()
    response = send(client, url, *(upload(f"{n}.pdf", pdf) for n in range(3)))
    assert "This link takes 2 more documents today. Please choose fewer files." in text(response)
    assert send(client, url, upload("1.pdf", pdf), upload("2.pdf", pdf)).status_code == 302
    response = send(client, url, upload("3.pdf", pdf))
    assert "This link has taken 2 documents today" in text(response)
    assert Document.objects.filter(patient=patient).count() == 2


def test_the_day_limit_counts_the_last_24_hours_of_that_link_kind_only(patient, front_desk):
    now = timezone.now()
    pdf = make_pdf_bytes()
    for source, when in [
        (Document.Source.INTAKE_LINK, now - timedelta(hours=25)),
        (Document.Source.INTAKE_LINK, now - timedelta(hours=1)),
        (Document.Source.REQUEST_LINK, now),
        (Document.Source.STAFF, now),
    ]:
        services.documents_upload(
            patient=patient, uploads=[("a.pdf", pdf)], kind="other", source=source, now=when
        )
    left = patient_limits.link_documents_left(
        patient=patient, source=Document.Source.INTAKE_LINK, now=now
    )
    assert left == patient_limits.LINK_DOCUMENTS_PER_DAY - 1


def test_the_intake_link_pages_are_audited_as_the_patient(client, url, invitation, patient):
    client.get(url)
    send(client, url, upload("a.pdf", make_pdf_bytes()), upload("b.png", make_png_bytes()))
    view = AuditEvent.objects.get(action="view", url_name="sessions:intake-documents")
    assert (view.role, view.patient_id, view.object_type, view.object_id) == (
        "patient",
        patient.pk,
        "intake.intake",
        str(invitation.intake_id),
    )
    created = AuditEvent.objects.filter(action="create", object_type=Document._meta.label_lower)
    assert sorted(int(e.object_id) for e in created) == sorted(
        Document.objects.values_list("pk", flat=True)
    )
    assert {(e.role, e.patient_id, e.detail) for e in created} == {
        ("patient", patient.pk, "uploaded through intake link")
    }


# --- Through a "send us a document" link -------------------------------------------------


@pytest.fixture
def request_row(patient, front_desk, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return services.document_request_send(
            patient=patient, note="your referral from Dr. Singh", by=front_desk
        )


def test_the_request_page_says_what_the_clinic_asked_for(client, request_row):
    response = client.get(request_url(request_row))
    assert response.status_code == 200
    assert "The clinic asked for: <strong>your referral from Dr. Singh</strong>" in text(response)
    assert "Back to the questionnaire" not in text(response)


def test_a_request_link_adds_to_its_own_patient_only(client, request_row, patient, front_desk):
    other = PatientFactory(email="other@example.com")
    services.document_request_send(patient=other, note="", by=front_desk)
    response = send(client, request_url(request_row), upload("r.pdf", make_pdf_bytes()))
    assert response.status_code == 302
    document = Document.objects.get()
    assert (document.patient_id, document.source) == (patient.pk, Document.Source.REQUEST_LINK)
    assert not Document.objects.filter(patient=other).exists()
    # The same pk signed with another purpose or nonce opens nothing.
    forged = links.make_token(services.REQUEST_PURPOSE, request_row.pk, "guessed")
    forged_url = reverse("sessions:document-request-upload", args=[forged])
    assert send(client, forged_url, upload("r.pdf", make_pdf_bytes())).status_code == 404
    assert Document.objects.count() == 1
    created = AuditEvent.objects.get(action="create")
    assert (created.patient_id, created.detail) == (patient.pk, "uploaded through document link")


def test_a_request_link_lists_only_its_own_uploads(client, request_row, url, patient):
    send(client, url, upload("i.pdf", make_pdf_bytes()), title="Through the intake", follow=True)
    row_url = request_url(request_row)
    send(client, row_url, upload("r.pdf", make_pdf_bytes()), title="Asked for", follow=True)
    body = text(client.get(request_url(request_row)))
    assert "Asked for" in body and "Through the intake" not in body


@pytest.mark.parametrize("how", ["expired", "replaced"])
def test_a_dead_request_link_gets_the_plain_refusal(
    client, request_row, patient, front_desk, settings, how
):
    url = request_url(request_row)
    if how == "expired":
        days = settings.DOCUMENT_REQUEST_LINK_DAYS
        DocumentRequest.objects.filter(pk=request_row.pk).update(
            created_at=timezone.now() - timedelta(days=days)
        )
    else:
        services.document_request_send(patient=patient, note="again", by=front_desk)
    for response in (client.get(url), send(client, url, upload("r.pdf", make_pdf_bytes()))):
        assert response.status_code == 404
        assert "This link is not valid" in text(response)
    assert not Document.objects.exists()


def test_the_request_page_view_is_audited(client, request_row, patient):
    client.get(request_url(request_row))
    view = AuditEvent.objects.get(action="view")
    assert (view.role, view.patient_id, view.object_type) == (
        "patient",
        patient.pk,
        DocumentRequest._meta.label_lower,
    )
