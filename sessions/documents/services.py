"""Adding, opening, deleting and asking for documents.

An upload is checked file by file (``files.accept``): what passes is stored and gets
its row, what does not is named with its reason, so one bad file costs the sender only
that file. The patient's row is locked while the per-patient limit is counted, so two
uploads at once cannot both slip under it. A file is written to storage before its row
commits; if the transaction then fails, the files written are removed again.
"""

import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile, File
from django.core.files.storage import Storage, storages
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from clinic import clock, emails, links
from clinic.roles import Role, user_roles
from clinic.types import AnyUser, StaffUser
from intake.models import Patient
from sessions.billing.models import PayerCase
from sessions.charting.models import Visit
from sessions.documents import files
from sessions.documents.models import (
    ALWAYS_CLINICAL,
    DESK_KINDS_DEFAULT,
    Document,
    DocumentPolicy,
    DocumentRequest,
    Kind,
)

REQUEST_PURPOSE = "document-request"


def documents_storage() -> Storage:
    """Where document files live (``STORAGES["documents"]``: var/documents/ or a bucket)."""
    return storages["documents"]


# --- Who may open what -----------------------------------------------------------------


def desk_kinds() -> frozenset[str]:
    """The kinds front desk may open, as the clinic set them (never a clinical kind).
    One query; reading writes nothing (no setting saved yet: the default)."""
    saved = DocumentPolicy.objects.filter(pk=1).values_list("desk_kinds", flat=True).first()
    return frozenset(saved if saved is not None else DESK_KINDS_DEFAULT) - ALWAYS_CLINICAL


def may_open(user: AnyUser, kind: str, desk: frozenset[str] | None = None) -> bool:
    """Whether ``user`` may open a document of ``kind``: physiotherapists and clinic
    admins any kind; front desk only the kinds in ``desk`` (default ``desk_kinds()``)."""
    roles = user_roles(user)
    if Role.PHYSIO in roles or Role.ADMIN in roles:
        return True
    if Role.FRONT_DESK in roles:
        return kind in (desk if desk is not None else desk_kinds())
    return False


def policy_set(*, kinds: list[str], by: StaffUser, now: datetime | None = None) -> DocumentPolicy:
    """Set the kinds front desk may open. Raises ValidationError keyed by ``desk_kinds``
    for a clinical or unknown kind."""
    policy = DocumentPolicy.get()
    policy.desk_kinds = sorted(set(kinds))
    policy.changed_by = by
    policy.changed_at = now or timezone.now()
    policy.full_clean()
    policy.save()
    return policy


# --- Upload ------------------------------------------------------------------------------


@dataclass
class UploadResult:
    """``added``: the new rows; ``refused``: one sentence per file not added."""

    added: list[Document] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)


def stored_bytes(patient_id: int) -> int:
    """Bytes stored for the patient: every document whose file is still kept, deleted
    ones included (they are kept for the retention period)."""
    total = Document.objects.filter(patient_id=patient_id, file_purged_at__isnull=True).aggregate(
        total=Sum("size")
    )["total"]
    return int(total or 0)


def _storage_name(patient_id: int, extension: str) -> str:
    return f"patients/{patient_id}/{secrets.token_hex(16)}.{extension}"


def documents_upload(
    *,
    patient: Patient,
    uploads: list[tuple[str, bytes]],
    kind: str,
    title: str = "",
    document_date: date | None = None,
    notes: str = "",
    visit: Visit | None = None,
    payer_case: PayerCase | None = None,
    uploaded_by: StaffUser | None = None,
    source: str = Document.Source.STAFF,
    now: datetime | None = None,
) -> UploadResult:
    """Store each of ``uploads`` ([(file name as sent, content)]) as a document of the
    patient; returns what was added and what was refused, and why.

    ``title`` names every file of this upload; empty, each file is named by its kind and
    the sender's file name. Raises ValidationError (nothing stored) keyed by ``files``
    when there is no file or more than ``DOCUMENT_MAX_FILES_PER_UPLOAD``, by
    ``document_date`` for a date in the future, and by ``visit``/``payer_case`` for
    another patient's."""
    now = now or timezone.now()
    if not uploads:
        raise ValidationError({"files": "Choose at least one file."})
    most = settings.DOCUMENT_MAX_FILES_PER_UPLOAD
    if len(uploads) > most:
        raise ValidationError({"files": f"Add at most {most} files at a time."})
    if document_date is not None and document_date > clock.clinic_day(now):
        raise ValidationError({"document_date": "The document's date cannot be in the future."})
    result = UploadResult()
    accepted: list[tuple[str, files.Accepted]] = []
    for name, data in uploads:
        try:
            accepted.append((name, files.accept(name, data)))
        except ValidationError as exc:
            result.refused.extend(exc.messages)
    if not accepted:
        return result
    storage = documents_storage()
    written: list[str] = []
    try:
        with transaction.atomic():
            Patient.objects.select_for_update(no_key=True).filter(pk=patient.pk).first()
            room = settings.DOCUMENT_MAX_PATIENT_BYTES - stored_bytes(patient.pk)
            for name, kept in accepted:
                shown = files.display_name(name)
                if len(kept.content) > room:
                    result.refused.append(
                        f"{shown}: this patient's documents would pass "
                        f"{files.size_words(settings.DOCUMENT_MAX_PATIENT_BYTES)}, the limit per "
                        "patient. Ask the clinic admin to make room."
                    )
                    continue
                document = Document(
                    patient=patient,
                    visit=visit,
                    payer_case=payer_case,
                    kind=kind,
                    title=(title.strip() or _default_title(kind, shown))[:200],
                    document_date=document_date,
                    notes=notes,
                    storage_name=_storage_name(patient.pk, kept.extension),
                    original_name=shown,
                    content_type=kept.content_type,
                    size=len(kept.content),
                    sha256=kept.sha256,
                    thumbnail=kept.thumbnail,
                    source=source,
                    uploaded_by=uploaded_by,
                    uploaded_at=now,
                )
                document.full_clean()
                document.storage_name = storage.save(
                    document.storage_name, ContentFile(kept.content)
                )
                written.append(document.storage_name)
                document.save()
                room -= document.size
                result.added.append(document)
    except BaseException:
        for name in written:
            storage.delete(name)
        raise
    return result


def _default_title(kind: str, shown: str) -> str:
    stem = shown.rsplit(".", 1)[0] if "." in shown else shown
    return f"{Kind(kind).label} ({stem})" if stem and stem != "file" else Kind(kind).label


def document_open(document: Document) -> File:
    """The stored file, opened for reading (binary). Raises FileNotFoundError when the
    file was purged after its retention period."""
    if document.file_purged_at is not None:
        raise FileNotFoundError(document.storage_name)
    return documents_storage().open(document.storage_name, "rb")


# --- Delete and purge --------------------------------------------------------------------


@transaction.atomic
def document_delete(
    *, document: Document, by: StaffUser, reason: str, now: datetime | None = None
) -> Document:
    """Take the document off the record (soft): it leaves every list, and its file is
    kept for ``DOCUMENT_RETENTION_YEARS``. Raises ValidationError keyed by ``reason``
    when none is given, or when it was deleted already."""
    reason = " ".join(reason.split())
    if not reason:
        raise ValidationError({"reason": "Say why the document is deleted."})
    locked = Document.objects.select_for_update().get(pk=document.pk)
    if locked.is_deleted:
        raise ValidationError({"reason": "This document was deleted already."})
    locked.deleted_at = now or timezone.now()
    locked.deleted_by = by
    locked.deletion_reason = reason[:300]
    locked.save(update_fields=["deleted_at", "deleted_by", "deletion_reason"])
    return locked


def retention_ends(deleted_at: datetime) -> datetime:
    """When a file deleted at ``deleted_at`` may be purged."""
    years = settings.DOCUMENT_RETENTION_YEARS
    try:
        return deleted_at.replace(year=deleted_at.year + years)
    except ValueError:  # 29 February
        return deleted_at.replace(year=deleted_at.year + years, day=28)


def documents_purge(*, now: datetime | None = None) -> int:
    """Remove from storage the files of documents deleted more than the retention period
    ago (the rows stay, saying when); returns how many."""
    now = now or timezone.now()
    years = settings.DOCUMENT_RETENTION_YEARS
    rough = now - timedelta(days=365 * years)  # then the exact date per row
    purged = 0
    storage = documents_storage()
    due = Document.objects.filter(deleted_at__lte=rough, file_purged_at__isnull=True)
    for document in due.only("pk", "storage_name", "deleted_at"):
        assert document.deleted_at is not None
        if retention_ends(document.deleted_at) > now:
            continue
        storage.delete(document.storage_name)
        Document.objects.filter(pk=document.pk).update(file_purged_at=now, thumbnail=None)
        purged += 1
    return purged


# --- "Send us a document" links ----------------------------------------------------------


def request_link(row: DocumentRequest) -> str:
    """The full address of the patient's upload page for this request."""
    return links.link_to(REQUEST_PURPOSE, row, "sessions:document-request-upload")


@transaction.atomic
def document_request_send(
    *, patient: Patient, note: str, by: StaffUser, now: datetime | None = None
) -> DocumentRequest:
    """Email the patient a link to send the clinic documents; earlier links of theirs
    stop working. The email says no more than the clinic's name and ``note``. Raises
    ValidationError keyed by ``email`` when the patient has no email address."""
    now = now or timezone.now()
    if not patient.email:
        raise ValidationError({"email": "This patient has no email address; add one to send."})
    links.links_revoke(DocumentRequest.objects.filter(patient=patient))
    row = DocumentRequest(
        patient=patient, note=" ".join(note.split()), sent_to=patient.email, created_by=by
    )
    row.created_at = now
    row.full_clean()
    row.save()
    link = request_link(row)
    expires_on = clock.clinic_day(now + timedelta(days=settings.DOCUMENT_REQUEST_LINK_DAYS))
    transaction.on_commit(
        lambda: emails.document_request(
            to=row.sent_to,
            first_name=patient.greeting_name,
            note=row.note,
            link=link,
            expires_on=expires_on,
        )
    )
    return row


def document_request_from_token(token: str, *, now: datetime) -> DocumentRequest | None:
    """The live request a token names (genuine, not revoked, not expired), else None."""
    live = DocumentRequest.objects.select_related("patient").filter(
        created_at__gt=links.issued_after(settings.DOCUMENT_REQUEST_LINK_DAYS, now)
    )
    return links.row_from_token(REQUEST_PURPOSE, token, live)
