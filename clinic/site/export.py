"""Everything the clinic holds about one patient, for an access request (both apps'
records, so it lives in the site layer).

``RECORD`` names, for every model of a patient's record, which concrete fields the export
carries and which it leaves out on purpose (and why). tests/clinic/test_export.py walks the
models from ``Patient`` and fails when a field is neither, so a new column cannot drift
out of the export unnoticed.
"""

import json
import logging
import shutil
import tempfile
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal
from typing import IO, Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Model, Prefetch, Q
from django.utils import timezone
from phonenumbers import PhoneNumber

from clinic import clock
from clinic.models import AuditEvent
from clinic.types import StaffUser
from intake.models import (
    HealthUpdate,
    Intake,
    IntakeInvitation,
    MessagesLink,
    Patient,
    SmsConsentEvent,
)
from intake.screening import RULES_BY_CODE
from sessions.documents import serve
from sessions.documents.models import Document, DocumentRequest
from sessions.documents.services import document_open
from sessions.models import (
    Addendum,
    AdverseEvent,
    AftercareDelivery,
    Alert,
    Appointment,
    CallTask,
    CheckinAnswer,
    Course,
    CreditNote,
    EmailCheck,
    Invoice,
    InvoiceLine,
    MissedVisitFee,
    NeedlingSite,
    PayerCase,
    Payment,
    PaymentAllocation,
    ProgressReport,
    Questionnaire,
    Refund,
    ScheduledMessage,
    SlotHold,
    SmsDelivery,
    SmsReply,
    Visit,
    VisitLink,
    WaitListEntry,
    WaitListOffer,
)
from sessions.outcomes.reports import report_text

logger = logging.getLogger(__name__)

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

# Reasons used for more than one field.
BILLING_LATER = (
    "billing: the payer case joins the export with the billing screens' patient "
    "statement (issue 16)"
)
ROW_ID = "database row number, meaningless outside the clinic's database"
NESTED = "the record this row sits under: shown by where it appears in the export"
NONCE = "secret of the patient's signed link: whoever holds it can open the link"


@dataclass(frozen=True)
class Part:
    """How one model appears in the export.

    ``fields`` are copied under their own name (dates as ISO text); ``shown_as`` maps a
    field (a foreign key) to the key it appears under, as a name or date instead of an
    id; ``left_out`` maps each field the export omits to the reason.
    """

    fields: tuple[str, ...]
    shown_as: dict[str, str] = field(default_factory=dict)
    left_out: dict[str, str] = field(default_factory=dict)


RECORD: dict[type[Model], Part] = {
    Patient: Part(
        fields=(
            "legal_first_name",
            "legal_last_name",
            "preferred_name",
            "date_of_birth",
            "sex",
            "gender",
            "phone",
            "mobile",
            "email",
            "address",
            "city",
            "province",
            "postal_code",
            "health_number",
            "emergency_contact_name",
            "emergency_contact_phone",
            "emergency_contact_relationship",
            "email_reminders",
            "reminder_channel",
            "checkin_channel",
            "sms_consent",
            "sms_consent_changed_at",
            "created_at",
            "updated_at",
        ),
        left_out={
            "id": ROW_ID,
            "phone_unreadable": "front-desk helper: whether the phone could be read as a number",
            "search_name": "search helper: a folded copy of the names",
            "search_phone": "search helper: a digits-only copy of the phone number",
        },
    ),
    Intake: Part(
        fields=(
            "number",
            "status",
            "created_at",
            "updated_at",
            "submitted_at",
            "answers",
            "drafts",
            "signature_name",
            "signed_ip",
        ),
        shown_as={"consent": "consent_version"},
        left_out={"id": ROW_ID, "patient": NESTED},
    ),
    IntakeInvitation: Part(
        fields=("email", "created_at", "expires_at", "opened_at", "revoked_at"),
        shown_as={"created_by": "sent_by"},
        left_out={"id": ROW_ID, "intake": NESTED, "nonce": NONCE},
    ),
    HealthUpdate: Part(
        fields=(
            "reported_at",
            "source",
            "pregnancy",
            "surgery_date",
            "surgery_description",
            "anticoagulants",
            "medication_notes",
        ),
        shown_as={"recorded_by": "recorded_by"},
        left_out={"id": ROW_ID, "patient": NESTED},
    ),
    SmsConsentEvent: Part(
        fields=("at", "kind", "source", "mobile"),
        shown_as={"recorded_by": "recorded_by"},
        left_out={"id": ROW_ID, "patient": NESTED},
    ),
    MessagesLink: Part(
        fields=("created_at", "revoked_at"),
        left_out={"id": ROW_ID, "patient": NESTED, "nonce": NONCE},
    ),
    Course: Part(
        fields=("started_on", "closed_on", "planned_min", "planned_max"),
        left_out={"id": ROW_ID, "patient": NESTED, "payer_case": BILLING_LATER},
    ),
    Appointment: Part(
        fields=(
            "start",
            "end",
            "status",
            "cancellation_reason",
            "front_desk_note",
            "eligibility_override",
            "authorisation_override",
            "booked_online",
            "needs_approval",
            "confirmed_at",
            "confirmed_via",
            "created_at",
            "updated_at",
        ),
        shown_as={
            "type": "type",
            "location": "location",
            "practitioner": "practitioner",
            "course": "course_started_on",
            "created_by": "booked_by",
        },
        left_out={"id": ROW_ID, "patient": NESTED, "payer_case": BILLING_LATER},
    ),
    Visit: Part(
        fields=(
            "status",
            "consent_today",
            "acknowledged_precautions",
            "acknowledged_at",
            "nprs_before",
            "change_since_last",
            "soreness_after_last",
            "subjective",
            "objective",
            "assessment",
            "plan",
            "nprs_after",
            "needle_product",
            "needle_size",
            "needle_lot",
            "needles_out",
            "needles_back",
            "single_use_sterile",
            "skin_antisepsis",
            "gloves",
            "sharps_disposal",
            "aftercare_text",
            "home_exercises",
            "signed_at",
            "created_at",
            "updated_at",
        ),
        shown_as={
            "author": "practitioner",
            "safety_check": "safety_check_reported_at",
            "acknowledged_by": "acknowledged_by",
            "aftercare_template": "aftercare_template",
        },
        left_out={
            "id": ROW_ID,
            "appointment": NESTED,
            "version": "a count of the draft's saves, kept to refuse a save from an "
            "out-of-date page; says nothing about the patient",
        },
    ),
    NeedlingSite: Part(
        fields=(
            "side",
            "spinal_level",
            "depth_cm",
            "insertions",
            "twitch",
            "tolerance",
            "created_at",
        ),
        shown_as={"muscle": "muscle"},
        left_out={"id": ROW_ID, "visit": NESTED},
    ),
    AdverseEvent: Part(
        fields=("kind", "description", "action_taken", "created_at"),
        left_out={"id": ROW_ID, "visit": NESTED},
    ),
    Addendum: Part(
        fields=("created_at", "reason", "text"),
        shown_as={"author": "author"},
        left_out={"id": ROW_ID, "visit": NESTED},
    ),
    AftercareDelivery: Part(
        fields=("email", "created_at", "sent_at", "skipped_reason"),
        left_out={"id": ROW_ID, "visit": NESTED, "nonce": NONCE},
    ),
    ScheduledMessage: Part(
        fields=(
            "hours_after",
            "due_at",
            "status",
            "sent_at",
            "channels",
            "fallback_reason",
            "email_sent_at",
            "created_at",
        ),
        left_out={
            "id": ROW_ID,
            "patient": NESTED,
            "appointment": NESTED,
            "visit": NESTED,
            "kind": "shown by the list it is in: a visit's check-ins, an appointment's reminders",
            "key": "internal: the purpose key that stops a message being scheduled twice",
            "attempts": "internal: delivery retry counter",
            "last_error": "internal: the mail server's last error, for staff",
            "claim": "internal: a worker's claim token while sending",
            "lease_until": "internal: how long a worker's claim holds",
            "nonce": NONCE,
        },
    ),
    SmsDelivery: Part(
        fields=(
            "to",
            "body",
            "status",
            "segments",
            "error_code",
            "created_at",
            "sent_at",
            "status_at",
        ),
        left_out={
            "id": ROW_ID,
            "message": NESTED,
            "provider_id": "internal: the SMS provider's id, matching its status reports",
        },
    ),
    SmsReply: Part(
        fields=("from_number", "body", "received_at", "action", "answer"),
        shown_as={"appointment": "visit_at"},
        left_out={
            "id": ROW_ID,
            "patient": NESTED,
            "provider_id": "internal: the SMS provider's id, so a repeat is not acted on twice",
        },
    ),
    CheckinAnswer: Part(
        fields=("answered_at", "soreness", "compared", "bruising", "red_flags", "comment"),
        left_out={"id": ROW_ID, "message": NESTED},
    ),
    Alert: Part(
        fields=("created_at", "acknowledged_at", "action_taken"),
        shown_as={
            "answer": "answered_at",
            "physio": "physio",
            "acknowledged_by": "acknowledged_by",
        },
        left_out={"id": ROW_ID, "visit": NESTED},
    ),
    CallTask: Part(
        fields=("created_at", "reason", "done_at", "note"),
        shown_as={"done_by": "done_by"},
        left_out={
            "id": ROW_ID,
            "patient": NESTED,
            "alert": "the alert it follows, shown by where it appears: under a visit's "
            "alert, or among the call-back requests when it follows none",
            "reply": "the text reply it follows, shown among text_replies",
        },
    ),
    # Online booking: the patient's self-service link, held slots, email proofs, the
    # wait list and its offers.
    VisitLink: Part(
        fields=("created_at",),
        left_out={"id": ROW_ID, "appointment": NESTED, "nonce": NONCE},
    ),
    SlotHold: Part(
        fields=(
            "start",
            "end",
            "status",
            "expires_at",
            "first_name",
            "last_name",
            "date_of_birth",
            "email",
            "phone",
            "created_at",
        ),
        shown_as={
            "location": "location",
            "practitioner": "practitioner",
            "type": "type",
            "replaces": "replaces_visit_at",
            "appointment": "booked_visit_at",
        },
        left_out={"id": ROW_ID, "patient": NESTED, "nonce": NONCE},
    ),
    EmailCheck: Part(
        fields=("purpose", "email", "created_at", "expires_at", "used_at"),
        left_out={
            "id": ROW_ID,
            "patient": NESTED,
            "hold": "the held slot it confirmed: shown by where it appears (under the "
            "hold; a sign-in's check has none)",
            "nonce": NONCE,
        },
    ),
    WaitListEntry: Part(
        fields=(
            "first_name",
            "last_name",
            "email",
            "phone",
            "earliest",
            "latest",
            "time_of_day",
            "priority",
            "note",
            "source",
            "status",
            "created_at",
        ),
        shown_as={
            "location": "location",
            "type": "type",
            "practitioner": "practitioner",
            "weekdays": "days",
            "created_by": "added_by",
        },
        left_out={"id": ROW_ID, "patient": NESTED, "nonce": NONCE},
    ),
    WaitListOffer: Part(
        fields=("status", "offered_at", "expires_at", "answered_at"),
        shown_as={"hold": "slot_start"},
        left_out={"id": ROW_ID, "entry": NESTED, "nonce": NONCE},
    ),  # The signed report as it was sent: its frozen content written out as text.
    ProgressReport: Part(
        fields=("recipient", "comment", "signed_at"),
        shown_as={"author": "signed_by", "course": "course_started_on", "content": "report"},
        left_out={
            "id": ROW_ID,
            "patient": NESTED,
            "nonce": "internal: the report's unique signing token",
        },
    ),
    # Outcome measures: the questionnaires sent, with the patient's answers and scores.
    Questionnaire: Part(
        fields=(
            "instrument",
            "trigger",
            "created_at",
            "expires_at",
            "answers",
            "started_at",
            "completed_at",
            "score",
            "answered_items",
            "score_note",
            "withdrawn_at",
        ),
        shown_as={
            "appointment": "visit_at",
            "course": "course_started_on",
            "sent_by": "sent_by",
        },
        left_out={
            "id": ROW_ID,
            "patient": NESTED,
            "nonce": NONCE,
            "schedule": "internal: the clinic's schedule that sent it (``trigger`` says why)",
        },
    ),
    # Documents on the record: what each one is; the files themselves are in the ZIP
    # export (``record_zip``), under ``file_in_zip``. Deleted ones too, with when and why.
    Document: Part(
        fields=(
            "kind",
            "title",
            "document_date",
            "notes",
            "original_name",
            "content_type",
            "size",
            "sha256",
            "source",
            "uploaded_at",
            "deleted_at",
            "deletion_reason",
            "file_purged_at",
        ),
        shown_as={
            "visit": "visit_at",
            "uploaded_by": "uploaded_by",
            "deleted_by": "deleted_by",
        },
        left_out={
            "id": ROW_ID,
            "storage_name": "internal: the file's name in the clinic's storage; the ZIP "
            "export holds the file at ``file_in_zip``",
            "patient": NESTED,
            "payer_case": BILLING_LATER,
            "thumbnail": "a small preview picture made from the file; the file itself is in "
            "the ZIP export",
        },
    ),
    DocumentRequest: Part(
        fields=("note", "sent_to", "created_at"),
        shown_as={"created_by": "sent_by"},
        left_out={"id": ROW_ID, "patient": NESTED, "nonce": NONCE},
    ),
}

# Models that point at a patient but are not part of the patient's record.
NOT_RECORD: dict[type[Model], str] = {
    AuditEvent: (
        "the clinic's log of who read or changed the record, not the record itself; "
        "append-only and hash-chained, reviewed by clinic admins"
    ),
    # Financial records belong in the export; they join it with the billing screens
    # (patient statement), which are being built on these models (issue 16).
    **dict.fromkeys(
        (
            PayerCase,
            Invoice,
            InvoiceLine,
            CreditNote,
            Payment,
            PaymentAllocation,
            Refund,
            MissedVisitFee,
        ),
        "billing records, not exported yet: they join the export with the billing "
        "screens' patient statement (issue 16)",
    ),
}


def _value(value: Any) -> Any:
    if isinstance(value, PhoneNumber):
        return str(value)  # E.164
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _fields(obj: Model) -> dict[str, Any]:
    """The fields of ``obj`` that RECORD says the export copies as they are."""
    return {name: _value(getattr(obj, name)) for name in RECORD[type(obj)].fields}


def _name(user: StaffUser | None) -> str | None:
    return user.get_full_name() if user is not None else None


def _message(message: ScheduledMessage) -> dict:
    """A reminder or check-in, with the text it went as (None: it went by email only)."""
    text = getattr(message, "sms", None)
    return {**_fields(message), "text": _fields(text) if text else None}


def _check_in(message: ScheduledMessage) -> dict:
    return {**_message(message), "answers": [_fields(a) for a in message.answers.all()]}


def _alert(alert: Alert) -> dict:
    task = getattr(alert, "call_task", None)
    return {
        **_fields(alert),
        "answered_at": _value(alert.answer.answered_at),
        "physio": _name(alert.physio),
        "acknowledged_by": _name(alert.acknowledged_by),
        "call_task": _call_task(task) if task else None,
    }


def _visit(v: Visit) -> dict:
    messages = v.messages.all()
    return {
        "date": v.day.isoformat(),
        "practitioner": v.author.get_full_name(),
        **_fields(v),
        "safety_check_reported_at": (
            _value(v.safety_check.reported_at) if v.safety_check else None
        ),
        "acknowledged_by": _name(v.acknowledged_by),
        "acknowledged_precaution_titles": [
            RULES_BY_CODE[code].title if code in RULES_BY_CODE else code
            for code in v.acknowledged_precautions or []
        ],
        "aftercare_template": v.aftercare_template.name if v.aftercare_template else None,
        "clean_technique_complete": v.clean_technique_complete,
        "needling_sites": [{**_fields(s), "muscle": s.muscle.name} for s in v.sites.all()],
        "adverse_events": [_fields(e) for e in v.adverse_events.all()],
        "addenda": [{**_fields(a), "author": _name(a.author)} for a in v.addenda.all()],
        "check_ins": [_check_in(m) for m in messages if m.kind == ScheduledMessage.Kind.CHECKIN],
        "aftercare_deliveries": [_fields(d) for d in v.aftercare_deliveries.all()],
        "alerts": [_alert(a) for a in v.alerts.all()],
    }


def _call_task(task: CallTask) -> dict:
    return {**_fields(task), "done_by": _name(task.done_by)}


def _hold(hold: SlotHold) -> dict:
    return {
        **_fields(hold),
        "location": hold.location.name,
        "practitioner": _name(hold.practitioner),
        "type": hold.type.name,
        "replaces_visit_at": _value(hold.replaces.start) if hold.replaces else None,
        "booked_visit_at": _value(hold.appointment.start) if hold.appointment else None,
        "email_checks": [_fields(c) for c in hold.email_checks.all()],
    }


def _wait_list_entry(entry: WaitListEntry) -> dict:
    return {
        **_fields(entry),
        "location": entry.location.name,
        "type": entry.type.name,
        "practitioner": _name(entry.practitioner),
        "days": [WEEKDAYS[d] for d in entry.weekdays or [] if d in range(7)],
        "added_by": _name(entry.created_by),
        "offers": [{**_fields(o), "slot_start": _value(o.hold.start)} for o in entry.offers.all()],
    }


def _appointment(a: Appointment) -> dict:
    link = getattr(a, "visit_link", None)
    return {
        **_fields(a),
        "type": a.type.name,
        "location": a.location.name,
        "practitioner": a.practitioner.get_full_name(),
        "course_started_on": _value(a.course.started_on) if a.course else None,
        "booked_by": _name(a.created_by),
        "reminders": [
            _message(m) for m in a.messages.all() if m.kind == ScheduledMessage.Kind.REMINDER
        ],
        "self_service_link": _fields(link) if link else None,
    }


def _questionnaire(q: Questionnaire) -> dict:
    return {
        **_fields(q),
        "visit_at": _value(q.appointment.start) if q.appointment else None,
        "course_started_on": _value(q.course.started_on) if q.course else None,
        "sent_by": _name(q.sent_by),
    }


def zip_path(document: Document) -> str | None:
    """Where the document's file sits in the ZIP export, or None once it was purged."""
    if document.file_purged_at is not None:
        return None
    return f"documents/{document.pk}-{serve.download_name(document)}"


def _document(document: Document) -> dict:
    visit = document.visit
    return {
        **_fields(document),
        "visit_at": _value(visit.appointment.start) if visit else None,
        "uploaded_by": _name(document.uploaded_by),
        "deleted_by": _name(document.deleted_by),
        "file_in_zip": zip_path(document),
    }


def _documents(patient: Patient) -> list[Document]:
    """Every document of the patient, deleted ones too, oldest first."""
    return list(
        Document.objects.filter(patient=patient)
        .select_related("visit__appointment", "uploaded_by", "deleted_by")
        .order_by("uploaded_at", "id")
    )


def _intake(intake: Intake) -> dict:
    return {
        **_fields(intake),
        "consent_version": intake.consent.version if intake.consent else None,
        "invitations": [
            {**_fields(i), "sent_by": _name(i.created_by)} for i in intake.invitations.all()
        ],
    }


def patient_export(patient: Patient) -> dict:
    """A JSON-ready dict: demographics, intakes, health updates, courses, appointments,
    visits and follow-ups, documents (their metadata; the files are in ``record_zip``).
    A fixed number of queries, however long the record. Raises
    nothing."""
    intakes = (
        patient.intakes.select_related("consent")
        .prefetch_related(
            Prefetch(
                "invitations",
                queryset=IntakeInvitation.objects.select_related("created_by").order_by(
                    "created_at", "id"
                ),
            )
        )
        .order_by("number")
    )
    appointments = (
        Appointment.objects.filter(patient=patient)
        .select_related("type", "location", "practitioner", "course", "created_by", "visit_link")
        .prefetch_related(
            Prefetch(
                "messages",
                queryset=ScheduledMessage.objects.select_related("sms").order_by("due_at", "id"),
            )
        )
        .order_by("start")
    )
    visits = (
        Visit.objects.filter(appointment__patient=patient)
        .select_related(
            "appointment",
            "author",
            "safety_check",
            "acknowledged_by",
            "aftercare_template",
        )
        .prefetch_related(
            Prefetch("sites", queryset=NeedlingSite.objects.select_related("muscle")),
            "adverse_events",
            Prefetch("addenda", queryset=Addendum.objects.select_related("author")),
            "aftercare_deliveries",
            Prefetch(
                "messages",
                queryset=ScheduledMessage.objects.select_related("sms").prefetch_related("answers"),
            ),
            Prefetch(
                "alerts",
                queryset=Alert.objects.select_related(
                    "answer", "physio", "acknowledged_by", "call_task__done_by"
                ),
            ),
        )
        .order_by("appointment__start")
    )
    holds = (
        SlotHold.objects.filter(
            Q(patient=patient) | Q(appointment__patient=patient) | Q(replaces__patient=patient)
        )
        .select_related("location", "practitioner", "type", "replaces", "appointment")
        .prefetch_related(
            Prefetch("email_checks", queryset=EmailCheck.objects.order_by("created_at", "id"))
        )
        .order_by("created_at", "id")
    )
    wait_list = (
        WaitListEntry.objects.filter(patient=patient)
        .select_related("location", "type", "practitioner", "created_by")
        .prefetch_related(
            Prefetch(
                "offers",
                queryset=WaitListOffer.objects.select_related("hold").order_by("offered_at", "id"),
            )
        )
        .order_by("created_at", "id")
    )
    return {
        "exported_at": timezone.now().isoformat(),
        "patient": _fields(patient),
        "intakes": [_intake(i) for i in intakes],
        "health_updates": [
            {**_fields(u), "recorded_by": _name(u.recorded_by)}
            for u in patient.health_updates.select_related("recorded_by").order_by("reported_at")
        ],
        "sms_consent_events": [
            {**_fields(e), "recorded_by": _name(e.recorded_by)}
            for e in patient.sms_consent_events.select_related("recorded_by").order_by("at", "id")
        ],
        "messages_links": [_fields(k) for k in patient.messages_links.order_by("created_at", "id")],
        "courses": [_fields(c) for c in patient.courses.order_by("started_on", "id")],
        "appointments": [_appointment(a) for a in appointments],
        "visits": [_visit(v) for v in visits],
        "call_backs": [
            _call_task(t)
            for t in CallTask.objects.filter(patient=patient, alert__isnull=True)
            .select_related("done_by")
            .order_by("created_at", "id")
        ],
        "text_replies": [
            {**_fields(r), "visit_at": _value(r.appointment.start) if r.appointment else None}
            for r in SmsReply.objects.filter(patient=patient)
            .select_related("appointment")
            .order_by("received_at", "id")
        ],
        "progress_reports": [
            {
                **_fields(r),
                "signed_by": _name(r.author),
                "course_started_on": _value(r.course.started_on) if r.course else None,
                "report": report_text(r),
            }
            for r in patient.progress_reports.select_related("author", "course").order_by(
                "signed_at", "id"
            )
        ],
        "wait_list": [_wait_list_entry(e) for e in wait_list],
        "online_holds": [_hold(h) for h in holds.distinct()],
        "email_sign_ins": [
            _fields(c)
            for c in EmailCheck.objects.filter(patient=patient, hold__isnull=True).order_by(
                "created_at", "id"
            )
        ],
        "questionnaires": [
            _questionnaire(q)
            for q in patient.questionnaires.select_related(
                "appointment", "course", "sent_by"
            ).order_by("created_at", "id")
        ],
        "documents": [_document(d) for d in _documents(patient)],
        "document_requests": [
            {**_fields(r), "sent_by": _name(r.created_by)}
            for r in patient.document_requests.select_related("created_by").order_by(
                "created_at", "id"
            )
        ],
    }


# Files are copied into the ZIP in pieces of this size; the ZIP itself stays in memory
# up to SPOOL_BYTES, then moves to a temporary file (a patient's documents can total
# hundreds of megabytes).
COPY_BYTES = 1024 * 1024
SPOOL_BYTES = 8 * 1024 * 1024


def record_zip(patient: Patient, data: dict) -> IO[bytes]:
    """A ZIP of ``record.json`` (``data``, as the JSON export writes it) and every
    document file still kept, at its ``file_in_zip``; rewound, for a FileResponse (which
    closes it). A file missing from storage is replaced by a note saying so. Raises
    nothing else of its own."""
    out = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 (FileResponse closes it)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        record = json.dumps(data, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False)
        archive.writestr("record.json", record)
        # PDFs and images are compressed already: stored as they are.
        for document in _documents(patient):
            path = zip_path(document)
            if path is None:
                continue
            info = zipfile.ZipInfo(
                path, date_time=clock.clinic_localtime(document.uploaded_at).timetuple()[:6]
            )
            info.compress_type = zipfile.ZIP_STORED
            try:
                source = document_open(document)
            except FileNotFoundError:
                logger.warning("document %s: file missing from storage", document.pk)
                archive.writestr(
                    f"{path}.missing.txt",
                    "The clinic's copy of this file could not be found when the record "
                    "was exported.\n",
                )
                continue
            with source, archive.open(info, "w", force_zip64=True) as target:
                shutil.copyfileobj(source, target, COPY_BYTES)
    out.seek(0)
    return out
