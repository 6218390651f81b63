"""The patient's upload pages, reached only through a signed link (no login): the intake
link's (``d/i/<token>/``) and a "send us a document" link's (``d/r/<token>/``).

A page lists only what this browser sent through this link (the ids kept in the
session under the link's own key), never the rest of the record: no download, no
preview, nothing staff added."""

from dataclasses import dataclass
from datetime import datetime

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Model
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from clinic import audit, links
from clinic.access import public
from clinic.form_errors import add_refusal
from clinic.uploads import skipped_uploads
from intake import services as intake_services
from intake.models import Patient
from sessions.documents import files, patient_limits, services
from sessions.documents.forms import PATIENT_KINDS, PatientUploadForm
from sessions.documents.models import Document

# How many ids of what was sent one session keeps per link.
REMEMBERED = 100


@dataclass
class _Link:
    """One link's page: whose record it adds to, how (``source``), the row the audit
    names, and where this session keeps what it sent."""

    patient: Patient
    source: str
    audited: Model
    session_key: str
    detail: str
    note: str = ""
    back_url: str = ""


@public
def intake_documents(request, token: str):
    invitation = intake_services.invitation_from_token(token)
    if invitation is None or not invitation.takes_documents(timezone.now()):
        return links.refuse(request)
    link = _Link(
        patient=invitation.intake.patient,
        source=Document.Source.INTAKE_LINK,
        audited=invitation.intake,
        session_key=f"documents:intake:{invitation.pk}",
        detail="intake link",
        back_url=reverse("intake:fill", args=[token]),
    )
    return _page(request, link)


@public
def request_documents(request, token: str):
    row = services.document_request_from_token(token, now=timezone.now())
    if row is None:
        return links.refuse(request)
    link = _Link(
        patient=row.patient,
        source=Document.Source.REQUEST_LINK,
        audited=row,
        session_key=f"documents:request:{row.pk}",
        detail="document link",
        note=row.note,
    )
    return _page(request, link)


def _page(request, link: _Link):
    now = timezone.now()
    if request.method == "POST":
        form = PatientUploadForm(request.POST, request.FILES)
        added = _upload(request, form, link, now)
        if added:
            names = ", ".join(document.title for document in added)
            messages.success(request, f"Added: {names}. Thank you, the clinic has it now.")
            if not form.errors:
                return redirect(request.path)
    else:
        form = PatientUploadForm()
        audit.record(
            request,
            audit.Action.VIEW,
            obj=link.audited,
            actor_role="patient",
            detail=f"documents page, {link.detail}",
        )
    return render(
        request,
        "documents/patient_upload.html",
        {"form": form, "link": link, "sent": _sent(request, link)},
    )


def _upload(request, form: PatientUploadForm, link: _Link, now: datetime) -> list[Document]:
    """The documents added from this POST; every refusal goes on ``form``."""
    valid = form.is_valid()
    uploads = form.cleaned_data.get("files", []) if valid else []
    skipped = skipped_uploads(request)
    for name, limit in skipped:
        form.add_error("files", files.too_large(name, limit))
    if not valid:
        return []
    if not uploads:
        if not skipped:
            form.add_error("files", "Choose a file, or take a photo.")
        return []
    try:
        patient_limits.check_link_documents(
            patient=link.patient, source=link.source, count=len(uploads), now=now
        )
        result = services.documents_upload(
            patient=link.patient,
            uploads=[(upload.name, upload.read()) for upload in uploads],
            kind=form.cleaned_data["kind"],
            title=form.cleaned_data["title"],
            source=link.source,
            uploaded_by=None,
            now=now,
        )
    except ValidationError as exc:
        add_refusal(form, exc)
        return []
    for document in result.added:
        audit.record(
            request,
            audit.Action.CREATE,
            obj=document,
            actor_role="patient",
            detail=f"uploaded through {link.detail}",
        )
    for reason in result.refused:
        form.add_error("files", reason)
    kept = [*request.session.get(link.session_key, []), *(d.pk for d in result.added)]
    request.session[link.session_key] = kept[-REMEMBERED:]
    return result.added


def _sent(request, link: _Link) -> list[dict]:
    """What this session sent through this link and is still on the record: each one's
    title, kind (in the patient's words) and when."""
    ids = [pk for pk in request.session.get(link.session_key, []) if isinstance(pk, int)]
    if not ids:
        return []
    words = dict(PATIENT_KINDS)
    rows = Document.objects.kept().filter(pk__in=ids, patient=link.patient, source=link.source)
    return [
        {"title": row.title, "kind": words.get(row.kind, row.kind), "at": row.uploaded_at}
        for row in rows.only("pk", "kind", "title", "uploaded_at")
    ]
