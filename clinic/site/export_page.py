"""The record export as a printable page: every key of ``export.patient_export`` under a
readable label (the model field's verbose name where the key is a field), intake answers
as questions and answers, nested records as sections. What the JSON carries, the page
shows; tests/clinic/test_export_page.py holds the two together."""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models import Model
from django.utils.text import capfirst

from clinic.site.export import RECORD
from intake import selectors
from intake.models import (
    HealthUpdate,
    Intake,
    IntakeInvitation,
    MessagesLink,
    Patient,
    SmsConsentEvent,
)
from sessions.documents.models import Document, DocumentRequest
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

# (model of the row, key) -> (section title, model of the rows under the key).
CHILDREN: dict[tuple[type[Model] | None, str], tuple[str, type[Model]]] = {
    (None, "intakes"): ("Intake questionnaires", Intake),
    (None, "health_updates"): ("Health updates", HealthUpdate),
    (None, "sms_consent_events"): ("SMS consent", SmsConsentEvent),
    (None, "messages_links"): ("Message-preferences links sent", MessagesLink),
    (None, "courses"): ("Courses of treatment", Course),
    (None, "appointments"): ("Appointments", Appointment),
    (None, "visits"): ("Visits", Visit),
    (Intake, "invitations"): ("Links sent", IntakeInvitation),
    (Appointment, "reminders"): ("Reminders", ScheduledMessage),
    (Visit, "needling_sites"): ("Needling sites", NeedlingSite),
    (Visit, "adverse_events"): ("Adverse events", AdverseEvent),
    (Visit, "addenda"): ("Addenda", Addendum),
    (Visit, "check_ins"): ("Check-ins", ScheduledMessage),
    (Visit, "aftercare_deliveries"): ("Aftercare sent", AftercareDelivery),
    (Visit, "alerts"): ("Alerts", Alert),
    (ScheduledMessage, "answers"): ("Answers", CheckinAnswer),
    (ScheduledMessage, "text"): ("Text message", SmsDelivery),
    (None, "text_replies"): ("Text replies", SmsReply),
    (Alert, "call_task"): ("Call back", CallTask),
    (None, "call_backs"): ("Call-back requests", CallTask),
    (None, "wait_list"): ("Wait list", WaitListEntry),
    (None, "online_holds"): ("Times held while booking online", SlotHold),
    (None, "email_sign_ins"): ("Email sign-ins to book online", EmailCheck),
    (None, "questionnaires"): ("Questionnaires (outcome measures)", Questionnaire),
    (Appointment, "self_service_link"): ("Self-service link", VisitLink),
    (SlotHold, "email_checks"): ("Email confirmations", EmailCheck),
    (WaitListEntry, "offers"): ("Times offered", WaitListOffer),
    (None, "progress_reports"): ("Progress reports", ProgressReport),
    (None, "documents"): ("Documents", Document),
    (None, "document_requests"): ("Links sent to ask for documents", DocumentRequest),
}

# Intake JSON fields shown as questions and answers.
QUESTIONS: dict[tuple[type[Model], str], Callable[[Any], selectors.Sections]] = {
    (Intake, "answers"): selectors.answer_sections,
    (Intake, "drafts"): selectors.draft_sections,
}

# Labels of keys that are not a field of the row's model (names, dates of related rows).
LABELS = {
    "date": "Date",
    "acknowledged_precaution_titles": "Precautions weighed",
    "clean_technique_complete": "Clean technique complete",
    "safety_check_reported_at": "Day-of-visit safety check reported at",
    "course_started_on": "Course started on",
    "consent_version": "Consent version",
    "booked_by": "Booked by",
    "sent_by": "Sent by",
    "answered_at": "Answered at",
    "signed_ip": "Signed from (IP address)",
    "replaces_visit_at": "Moves the visit at",
    "booked_visit_at": "Booked as the visit at",
    "added_by": "Added by",
    "slot_start": "Time offered",
    "days": "Days",
    "visit_at": "About the visit at",
    "file_in_zip": "File in the ZIP download",
}


@dataclass
class Entry:
    label: str
    value: str = ""
    questions: list[tuple[str, list[tuple[str, str]]]] = field(default_factory=list)


@dataclass
class Row:
    entries: list[Entry]
    sections: list["Section"]


@dataclass
class Section:
    title: str
    key: str
    rows: list[Row]


def label(model: type[Model] | None, key: str) -> str:
    """The reader's name for ``key`` in a row of ``model``."""
    if key in LABELS:
        return LABELS[key]
    if model is not None:
        try:
            model_field = model._meta.get_field(key)
        except FieldDoesNotExist:
            model_field = None
        if isinstance(model_field, models.Field):
            return capfirst(str(model_field.verbose_name))
    return capfirst(key.replace("_", " "))


def display(model: type[Model], key: str, value: Any) -> str:
    """``value`` of ``key`` as the page writes it: choices by their label, yes/no, "—"."""
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    model_field = model._meta.get_field(key) if key in RECORD[model].fields else None
    if isinstance(model_field, models.Field) and model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    return str(value)


def _row(model: type[Model], data: dict) -> Row:
    row = Row(entries=[], sections=[])
    for key, value in data.items():
        if (model, key) in CHILDREN:
            title, child = CHILDREN[(model, key)]
            rows = value if isinstance(value, list) else [value] if value else []
            row.sections.append(Section(title, key, [_row(child, r) for r in rows]))
        elif (model, key) in QUESTIONS:
            row.entries.append(Entry(label(model, key), questions=QUESTIONS[(model, key)](value)))
        else:
            row.entries.append(Entry(label(model, key), display(model, key, value)))
    return row


def export_page(data: dict) -> dict:
    """From ``export.patient_export``: ``exported_at``, ``details`` (the patient's Row)
    and ``sections`` (intakes, health updates, courses, appointments, visits)."""
    sections = []
    for key, value in data.items():
        if (None, key) in CHILDREN:
            title, model = CHILDREN[(None, key)]
            sections.append(Section(title, key, [_row(model, r) for r in value]))
    return {
        "exported_at": data["exported_at"],
        "details": _row(Patient, data["patient"]),
        "sections": sections,
    }
