"""Staff pages of documents: a patient's documents (list and upload), one document's
page, its file and thumbnail, the admin's delete and the front desk's access setting,
and the "send us a document" link emailed from the patient's page.

Front desk, physiotherapists and the clinic admin add documents of any kind; who opens
one is ``services.may_open``'s answer (front desk: the kinds the clinic allows). Every
opening of a file is audited, one row per request."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from clinic import audit, once
from clinic.access import require_roles
from clinic.form_errors import add_refusal
from clinic.roles import STAFF, Role, has_role
from clinic.uploads import skipped_uploads
from intake.models import Patient
from sessions.documents import files, selectors, serve, services
from sessions.documents.forms import (
    DeleteForm,
    PolicyForm,
    RequestForm,
    UploadForm,
    always_clinical_labels,
)
from sessions.documents.models import Document, DocumentPolicy, Kind

NOT_YOURS = "Only physiotherapists and the clinic admin open this kind of document."
CHOOSE_AGAIN = "Choose the files again: a page cannot keep files once it is sent."


def _too_large(request: HttpRequest) -> list[str]:
    return [files.too_large(name, limit) for name, limit in skipped_uploads(request)]


def _document_or_refuse(request: HttpRequest, pk: int, *, thumbnail: bool = False) -> Document:
    """The document, if the user may open it. Raises Http404 for none (or one deleted,
    to anyone but the clinic admin) and PermissionDenied (audited) for a kind they may
    not open."""
    rows = Document.objects.select_related(
        "patient", "uploaded_by", "deleted_by", "visit__appointment__type", "payer_case"
    )
    document = get_object_or_404(rows if thumbnail else rows.without_thumbnail_bytes(), pk=pk)
    if document.is_deleted and not has_role(request.user, Role.ADMIN):
        raise Http404
    if not services.may_open(request.user, document.kind):
        audit.record_denied(request, NOT_YOURS)
        raise PermissionDenied(NOT_YOURS)
    return document


class _NothingAdded(Exception):
    """Every file was refused: the form token stays unspent."""

    def __init__(self, refused: list[str]):
        super().__init__("nothing added")
        self.refused = refused


@require_roles(*STAFF)
def patient_documents(request, pk: int):
    patient = get_object_or_404(Patient, pk=pk)
    form = UploadForm(request.POST or None, request.FILES or None, patient=patient)
    back = reverse("sessions:documents", args=[patient.pk])
    if request.method == "POST":
        refused = _too_large(request)
        if form.is_valid():
            uploads = [(f.name, f.read()) for f in form.cleaned_data["files"]]
            try:
                if not uploads and refused:
                    raise _NothingAdded([])
                with once.claim(request) as claim:
                    result = services.documents_upload(
                        patient=patient,
                        uploads=uploads,
                        kind=form.cleaned_data["kind"],
                        title=form.cleaned_data["title"],
                        document_date=form.cleaned_data["document_date"],
                        notes=form.cleaned_data["notes"],
                        visit=form.cleaned_data["visit"],
                        payer_case=form.cleaned_data["payer_case"],
                        uploaded_by=request.user,
                    )
                    if not result.added:
                        raise _NothingAdded(result.refused)
                    for document in result.added:
                        audit.record(request, audit.Action.CREATE, obj=document, detail="upload")
                    claim.result_url = back
            except once.Replayed as replay:
                return replay.response(request, fallback=back)
            except ValidationError as exc:
                add_refusal(form, exc)
            except _NothingAdded as nothing:
                refused += nothing.refused
            else:
                count = len(result.added)
                messages.success(request, f"{count} document{'s' if count != 1 else ''} added.")
                for sentence in refused + result.refused:
                    messages.error(request, sentence)
                return redirect(back)
        for sentence in refused:
            form.add_error(None, sentence)
        if form.is_bound and (refused or "files" in form.errors):
            form.add_error(None, CHOOSE_AGAIN)
        audit.record(request, audit.Action.VIEW, obj=patient, detail="refused documents upload")
    else:
        audit.record(request, audit.Action.VIEW, obj=patient, detail="documents list")
    shelf = selectors.patient_documents(patient, request.user)
    return render(
        request,
        "documents/list.html",
        {
            "patient": patient,
            "shelf": shelf,
            "form": form,
            "request_form": RequestForm(),
            "max_size": files.size_words(settings.DOCUMENT_MAX_FILE_BYTES),
            "is_admin": has_role(request.user, Role.ADMIN),
        },
    )


def _detail(request, document: Document, delete_form: DeleteForm, status: int = 200):
    return render(
        request,
        "documents/detail.html",
        {
            "document": document,
            "patient": document.patient,
            "delete_form": delete_form,
            "can_delete": has_role(request.user, Role.ADMIN) and not document.is_deleted,
        },
        status=status,
    )


@require_roles(*STAFF)
def document_detail(request, pk: int):
    document = _document_or_refuse(request, pk)
    audit.record(request, audit.Action.VIEW, obj=document, detail="document page")
    return _detail(request, document, DeleteForm())


@require_roles(*STAFF)
def document_file(request, pk: int):
    document = _document_or_refuse(request, pk)
    inline = request.GET.get("inline") == "1"
    detail = "view inline" if inline and document.is_image else "download"
    audit.record(request, audit.Action.VIEW, obj=document, detail=detail)
    try:
        return serve.file_response(document, inline=inline)
    except FileNotFoundError:
        return render(request, "documents/file_gone.html", {"document": document}, status=410)


@require_roles(*STAFF)
def document_thumbnail(request, pk: int):
    document = _document_or_refuse(request, pk, thumbnail=True)
    if not document.thumbnail:
        raise Http404
    audit.record(request, audit.Action.VIEW, obj=document, detail="thumbnail")
    return serve.thumbnail_response(document)


@require_roles(Role.ADMIN)
@require_POST
def document_delete(request, pk: int):
    document = _document_or_refuse(request, pk)
    form = DeleteForm(request.POST)
    if form.is_valid():
        reason = form.cleaned_data["reason"]
        try:
            document = services.document_delete(document=document, by=request.user, reason=reason)
        except ValidationError as exc:
            add_refusal(form, exc)
        else:
            audit.record(request, audit.Action.UPDATE, obj=document, detail=f"deleted: {reason}")
            messages.success(request, f"“{document.title}” was deleted.")
            return redirect("sessions:documents", document.patient_id)
    audit.record(request, audit.Action.VIEW, obj=document, detail="refused document delete")
    return _detail(request, document, form)


@require_roles(*STAFF)
@require_POST
def request_send(request, pk: int):
    patient = get_object_or_404(Patient, pk=pk)
    back = (
        reverse("intake:patient-detail", args=[patient.pk])
        if request.POST.get("back") == "patient"
        else reverse("sessions:documents", args=[patient.pk])
    )
    form = RequestForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(m) for ms in form.errors.values() for m in ms))
        return redirect(back)
    try:
        row = services.document_request_send(
            patient=patient, note=form.cleaned_data["note"], by=request.user
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(back)
    audit.record(request, audit.Action.CREATE, obj=row, patient=patient, detail="document link")
    messages.success(request, f"Link emailed to {row.sent_to}.")
    return redirect(back)


@require_roles(Role.ADMIN)
def policy_edit(request):
    policy = DocumentPolicy.get()
    form = PolicyForm(request.POST or None, initial={"desk_kinds": policy.desk_kinds})
    if request.method == "POST" and form.is_valid():
        try:
            policy = services.policy_set(kinds=form.cleaned_data["desk_kinds"], by=request.user)
        except ValidationError as exc:
            add_refusal(form, exc)
        else:
            names = ", ".join(Kind(k).label.lower() for k in policy.desk_kinds) or "none"
            audit.record(
                request, audit.Action.UPDATE, obj=policy, detail=f"front desk opens: {names}"
            )
            messages.success(request, "Saved: front desk opens the kinds ticked.")
            return redirect("sessions:document-settings")
    return render(
        request,
        "documents/settings.html",
        {"form": form, "policy": policy, "always_clinical": always_clinical_labels()},
    )
