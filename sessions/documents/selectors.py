"""What the documents' lists read: a patient's kept documents, newest document date
first, without the thumbnail's bytes (``has_thumbnail`` says whether there is one), and
what a staff member may open of them."""

from dataclasses import dataclass, field

from django.db.models import F, Q
from django.db.models.functions import Coalesce, TruncDate

from clinic.roles import Role, has_role
from clinic.types import AnyUser
from intake.models import Patient
from sessions.documents import services
from sessions.documents.models import Document, DocumentQuerySet

RECENT = 10  # documents shown on the patient's page


def documents_listed() -> DocumentQuerySet:
    """Documents as lists show them: uploader loaded, thumbnail bytes left out,
    ``has_thumbnail`` and ``day`` (the document's date, else the upload's day)."""
    return (
        Document.objects.kept()
        .select_related("uploaded_by")
        .without_thumbnail_bytes()
        .defer("notes")
        .annotate(day=_day())
        .order_by(F("document_date").desc(nulls_last=True), "-uploaded_at", "-id")
    )


def _day() -> Coalesce:
    return Coalesce("document_date", TruncDate("uploaded_at"))


def timeline_documents(patient: Patient) -> list[Document]:
    """The patient's kept documents oldest first, as the timeline runs: by the
    document's date, else the upload's day."""
    return list(documents_listed().filter(patient=patient).order_by(_day(), "uploaded_at", "id"))


@dataclass
class Shelf:
    """A patient's documents as one staff member sees them: ``documents`` they may
    open, and ``hidden``, how many others there are (clinical, for physiotherapists)."""

    documents: list[Document] = field(default_factory=list)
    hidden: int = 0


def patient_documents(patient: Patient, user: AnyUser, limit: int | None = None) -> Shelf:
    """The patient's kept documents ``user`` may open (at most ``limit``), and how many
    are hidden from them. One query for physiotherapists and admins; three for front
    desk (the clinic's setting, the list, the count of the others)."""
    rows = documents_listed().filter(patient=patient)
    if has_role(user, Role.PHYSIO, Role.ADMIN):
        return Shelf(documents=list(rows[:limit] if limit else rows))
    desk = services.desk_kinds() if has_role(user, Role.FRONT_DESK) else frozenset()
    visible = rows.filter(kind__in=desk)
    hidden = Document.objects.kept().filter(Q(patient=patient) & ~Q(kind__in=desk)).count()
    return Shelf(documents=list(visible[:limit] if limit else visible), hidden=hidden)
