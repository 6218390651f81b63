"""The patient's upload pages, reached only through a signed link (no login): the intake
link's (``d/i/<token>/``) and a "send us a document" link's (``d/r/<token>/``).

A page lists only what this browser sent through this link (the ids kept in the
session under the link's own key), never the rest of the record: no download, no
preview, nothing staff added."""

from dataclasses import dataclass
from datetime import datetime

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Model
from django.shortcuts import redirect, render
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import timezone

from clinic import audit, links
from clinic.access import public
from clinic.form_errors import add_refusal
from clinic.uploads import skipped_uploads
from intake import services as intake_services
from intake.models import Patient
from sessions.documents import files, patient_limits, services
from sessions.documents.models import Document, Kind

# What a patient sends, in their words; the value is the document's kind.
PATIENT_KINDS = [
    (Kind.REFERRAL.value, "Referral letter"),
    (Kind.IMAGING.value, "Imaging report (X-ray, MRI, ultrasound)"),
    (Kind.INSURANCE_CARD.value, "Insurance card"),
    (Kind.PAYER_LETTER.value, "Letter from your insurer or claim"),
    (Kind.OTHER.value, "Something else"),
]
# How many ids of what was sent one session keeps per link.
REMEMBERED = 100


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Any number of files, as a list (empty when none). Only the upload's shape is
    checked here; what a file may be is ``files.accept``'s, with its own words."""

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "image/*,application/pdf"}))
        super().__init__(required=False, allow_empty_file=True, **kwargs)

    def clean(self, data, initial=None):
        items = data if isinstance(data, (list, tuple)) else [data] if data else []
        return [super(MultipleFileField, self).clean(item, initial) for item in items]


class PatientUploadForm(forms.Form):
    kind = forms.ChoiceField(
        label="What are you sending?",
        choices=PATIENT_KINDS,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose what you are sending.",
            "invalid_choice": "Choose one of the kinds listed.",
        },
    )
    title = forms.CharField(
        label="Short description (optional)",
        max_length=200,
        required=False,
        help_text="For example “Referral from Dr. Singh”.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Added here, not declared: a form's ``files`` attribute is its uploaded files.
        self.fields["files"] = MultipleFileField(
            label="Files",
            help_text=(
                f"Photos or PDFs, up to {filesizeformat(settings.DOCUMENT_MAX_FILE_BYTES)} "
                "each. On a phone you can take a photo of the letter or card."
            ),
        )


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
    if invitation is None or not patient_limits.intake_link_takes_documents(
        invitation, timezone.now()
    ):
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
        form.add_error(
            "files",
            f"{files.display_name(name)}: the file is larger than {filesizeformat(limit)} "
            "and was not added.",
        )
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
