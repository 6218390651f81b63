"""Adding, deleting, purging and asking for documents (sessions.documents.services)."""

from datetime import UTC, date, datetime

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory

from clinic import links
from clinic.roles import Role
from clinic.uploads import skipped_uploads
from sessions.documents import services
from sessions.documents.models import Document, DocumentPolicy, Kind
from tests.factories import PatientFactory, PayerCaseFactory, UserFactory, VisitFactory
from tests.sessions.documents.samples import make_jpeg_bytes, make_pdf_bytes

pytestmark = pytest.mark.django_db


def upload(patient, *uploads, **kwargs):
    return services.documents_upload(
        patient=patient, uploads=list(uploads), kind=kwargs.pop("kind", Kind.REFERRAL), **kwargs
    )


def test_a_file_is_stored_under_a_name_of_ours_never_the_senders(documents_storage):
    patient = PatientFactory()

    result = upload(patient, ("../../../etc/cron.d/evil.pdf", make_pdf_bytes()))

    [document] = result.added
    assert document.storage_name.startswith(f"patients/{patient.pk}/")
    assert document.storage_name.endswith(".pdf")
    assert "evil" not in document.storage_name
    assert document.original_name == "evil.pdf"
    assert (documents_storage / document.storage_name).is_file()
    assert not list(documents_storage.rglob("evil*"))


def test_a_good_file_is_added_and_a_bad_one_beside_it_named_with_its_reason():
    patient = PatientFactory()

    result = upload(
        patient,
        ("referral.pdf", make_pdf_bytes()),
        ("notes.pdf", b"<html>not a pdf</html>"),
    )

    assert [d.original_name for d in result.added] == ["referral.pdf"]
    assert len(result.refused) == 1
    assert result.refused[0].startswith("notes.pdf: this kind of file cannot be added")
    assert Document.objects.filter(patient=patient).count() == 1


def test_without_a_title_each_file_is_named_by_its_kind_and_file_name():
    result = upload(PatientFactory(), ("MRI-lumbar.pdf", make_pdf_bytes()), kind=Kind.IMAGING)

    assert result.added[0].title == "Imaging report (MRI-lumbar)"


def test_the_per_patient_limit_counts_deleted_files_which_are_kept(settings):
    patient = PatientFactory()
    pdf = make_pdf_bytes()
    settings.DOCUMENT_MAX_PATIENT_BYTES = len(pdf) * 2
    first = upload(patient, ("a.pdf", pdf), ("b.pdf", pdf)).added[0]
    services.document_delete(
        document=first, by=UserFactory(role=Role.ADMIN), reason="Wrong patient"
    )

    result = upload(patient, ("c.pdf", pdf))

    assert result.added == []
    assert result.refused == [
        "c.pdf: this patient's documents would pass "
        f"{len(pdf) * 2 / 1024:.1f}\xa0KB, the limit per patient. Ask the clinic admin to "
        "make room."
    ]


def test_the_per_patient_limit_is_per_patient(settings):
    pdf = make_pdf_bytes()
    settings.DOCUMENT_MAX_PATIENT_BYTES = len(pdf)
    upload(PatientFactory(), ("a.pdf", pdf))

    assert len(upload(PatientFactory(), ("a.pdf", pdf)).added) == 1


def test_more_files_than_allowed_at_once_are_refused_whole(settings):
    settings.DOCUMENT_MAX_FILES_PER_UPLOAD = 2
    pdf = make_pdf_bytes()

    with pytest.raises(ValidationError) as caught:
        upload(PatientFactory(), ("a.pdf", pdf), ("b.pdf", pdf), ("c.pdf", pdf))

    assert caught.value.message_dict == {"files": ["Add at most 2 files at a time."]}
    assert not Document.objects.exists()


def test_an_upload_with_no_file_is_refused():
    with pytest.raises(ValidationError) as caught:
        upload(PatientFactory())

    assert caught.value.message_dict == {"files": ["Choose at least one file."]}


@time_machine.travel(datetime(2026, 12, 1, 6, 30, tzinfo=UTC), tick=False)  # 23:30 Nov 30, Edmonton
def test_a_document_dated_tomorrow_as_the_clinic_sees_it_is_refused():
    with pytest.raises(ValidationError) as caught:
        upload(PatientFactory(), ("a.pdf", make_pdf_bytes()), document_date=date(2026, 12, 1))

    assert list(caught.value.message_dict) == ["document_date"]
    assert (
        len(
            upload(
                PatientFactory(), ("a.pdf", make_pdf_bytes()), document_date=date(2026, 11, 30)
            ).added
        )
        == 1
    )


def test_a_document_cannot_be_put_on_another_patients_visit_or_case():
    patient = PatientFactory()
    others_visit = VisitFactory()
    others_case = PayerCaseFactory()

    for extra, key in (
        (dict(visit=others_visit), "visit"),
        (dict(payer_case=others_case), "payer_case"),
    ):
        with pytest.raises(ValidationError) as caught:
            upload(patient, ("a.pdf", make_pdf_bytes()), **extra)
        assert key in caught.value.message_dict
    assert not Document.objects.exists()


def test_a_document_on_the_patients_own_visit_and_case_is_linked_to_both():
    visit = VisitFactory()
    patient = visit.appointment.patient
    case = PayerCaseFactory(patient=patient)

    [document] = upload(
        patient, ("a.pdf", make_pdf_bytes()), visit=visit, payer_case=case, kind=Kind.PAYER_LETTER
    ).added

    assert (document.visit, document.payer_case) == (visit, case)


def test_a_failed_save_leaves_no_file_behind(documents_storage, monkeypatch):
    def refuse_to_save(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(Document, "save", refuse_to_save)

    with pytest.raises(RuntimeError):
        upload(PatientFactory(), ("a.pdf", make_pdf_bytes()))

    assert [p for p in documents_storage.rglob("*") if p.is_file()] == []


def test_deleting_keeps_the_row_and_the_file_and_says_who_and_why(documents_storage):
    admin = UserFactory(role=Role.ADMIN)
    [document] = upload(PatientFactory(), ("a.pdf", make_pdf_bytes())).added

    services.document_delete(document=document, by=admin, reason="  Scanned to the\nwrong patient ")

    document.refresh_from_db()
    assert document.is_deleted
    assert (document.deleted_by, document.deletion_reason) == (
        admin,
        "Scanned to the wrong patient",
    )
    assert (documents_storage / document.storage_name).is_file()
    assert not Document.objects.kept().exists()


def test_deleting_needs_a_reason_and_happens_once():
    admin = UserFactory(role=Role.ADMIN)
    [document] = upload(PatientFactory(), ("a.pdf", make_pdf_bytes())).added

    with pytest.raises(ValidationError) as blank:
        services.document_delete(document=document, by=admin, reason="   ")
    services.document_delete(document=document, by=admin, reason="Duplicate")
    with pytest.raises(ValidationError) as twice:
        services.document_delete(document=document, by=admin, reason="Duplicate")

    assert blank.value.message_dict == {"reason": ["Say why the document is deleted."]}
    assert twice.value.message_dict == {"reason": ["This document was deleted already."]}


def test_a_deleted_file_is_purged_only_once_the_retention_period_has_passed(documents_storage):
    deleted_at = datetime(2026, 11, 30, 17, 0, tzinfo=UTC)
    [document] = upload(PatientFactory(), ("a.pdf", make_pdf_bytes())).added
    services.document_delete(
        document=document, by=UserFactory(role=Role.ADMIN), reason="Duplicate", now=deleted_at
    )
    stored = documents_storage / document.storage_name

    assert services.documents_purge(now=datetime(2036, 11, 30, 16, 59, tzinfo=UTC)) == 0
    assert stored.is_file()
    assert services.documents_purge(now=datetime(2036, 11, 30, 17, 0, tzinfo=UTC)) == 1

    document.refresh_from_db()
    assert not stored.exists()
    assert document.file_purged_at is not None and document.thumbnail is None
    with pytest.raises(FileNotFoundError):
        services.document_open(document)


def test_a_kept_document_is_never_purged(documents_storage):
    [document] = upload(PatientFactory(), ("a.pdf", make_pdf_bytes())).added

    assert services.documents_purge(now=datetime(2060, 1, 1, tzinfo=UTC)) == 0
    assert (documents_storage / document.storage_name).is_file()


def test_a_retention_period_from_29_february_ends_on_28_february():
    assert services.retention_ends(datetime(2028, 2, 29, 12, tzinfo=UTC)) == datetime(
        2038, 2, 28, 12, tzinfo=UTC
    )


@pytest.mark.parametrize(
    ("role", "referral", "insurance_card"),
    [
        (Role.PHYSIO, True, True),
        (Role.ADMIN, True, True),
        (Role.FRONT_DESK, False, True),
        (None, False, False),
    ],
)
def test_who_may_open_which_kind(role, referral, insurance_card):
    user = UserFactory(role=role)

    assert services.may_open(user, Kind.REFERRAL) is referral
    assert services.may_open(user, Kind.INSURANCE_CARD) is insurance_card


def test_the_clinic_can_let_front_desk_open_consent_forms_but_never_referrals():
    admin = UserFactory(role=Role.ADMIN)
    desk = UserFactory(role=Role.FRONT_DESK)

    services.policy_set(kinds=[Kind.CONSENT, Kind.INSURANCE_CARD], by=admin)
    with pytest.raises(ValidationError) as caught:
        services.policy_set(kinds=[Kind.REFERRAL, Kind.IMAGING], by=admin)

    assert services.may_open(desk, Kind.CONSENT)
    assert not services.may_open(desk, Kind.PAYER_LETTER)
    assert caught.value.message_dict == {
        "desk_kinds": ["Front desk never opens clinical documents (imaging report, referral)."]
    }
    assert DocumentPolicy.get().desk_kinds == ["consent", "insurance_card"]


def test_a_request_link_is_emailed_and_an_earlier_one_stops_working(
    django_capture_on_commit_callbacks,
):
    patient = PatientFactory(legal_first_name="Ana")
    desk = UserFactory(role=Role.FRONT_DESK)
    now = datetime(2026, 11, 30, 17, 0, tzinfo=UTC)

    with django_capture_on_commit_callbacks(execute=True):
        first = services.document_request_send(
            patient=patient, note="your referral", by=desk, now=now
        )
        second = services.document_request_send(patient=patient, note="", by=desk, now=now)

    assert len(mail.outbox) == 2
    assert "your referral" in mail.outbox[0].body
    assert services.request_link(second) in mail.outbox[1].body
    mailed_first = services.request_link(first)  # the address the first email carried
    assert mailed_first in mail.outbox[0].body
    token = mailed_first.rstrip("/").rsplit("/", 1)[-1]
    assert services.document_request_from_token(token, now=now) is None
    second_token = services.request_link(second).rstrip("/").rsplit("/", 1)[-1]
    assert services.document_request_from_token(second_token, now=now) == second


def test_a_request_link_works_until_its_last_instant(settings):
    settings.DOCUMENT_REQUEST_LINK_DAYS = 14
    sent = datetime(2026, 11, 30, 17, 0, tzinfo=UTC)
    row = services.document_request_send(
        patient=PatientFactory(), note="", by=UserFactory(role=Role.FRONT_DESK), now=sent
    )
    token = links.make_token(services.REQUEST_PURPOSE, row.pk, row.nonce)

    assert (
        services.document_request_from_token(
            token, now=datetime(2026, 12, 14, 16, 59, 59, tzinfo=UTC)
        )
        == row
    )
    assert (
        services.document_request_from_token(token, now=datetime(2026, 12, 14, 17, 0, tzinfo=UTC))
        is None
    )


def test_a_request_link_needs_the_patients_email_address():
    with pytest.raises(ValidationError) as caught:
        services.document_request_send(
            patient=PatientFactory(email=""), note="", by=UserFactory(role=Role.FRONT_DESK)
        )

    assert list(caught.value.message_dict) == ["email"]
    assert not mail.outbox


def test_an_oversized_file_is_skipped_as_it_streams_in_and_named(settings):
    settings.DOCUMENT_MAX_FILE_BYTES = 4096
    small = make_jpeg_bytes((20, 20))
    request = RequestFactory().post(
        "/upload/",
        {
            "title": "Cards",
            "files": [
                _named("small.jpg", small),
                _named("huge.pdf", make_pdf_bytes(pages=200)),
            ],
        },
    )

    names = [f.name for f in request.FILES.getlist("files")]

    assert names == ["small.jpg"]
    assert skipped_uploads(request) == [("huge.pdf", 4096)]
    assert request.POST["title"] == "Cards"


def _named(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data)
