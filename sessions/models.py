"""The app's models, defined in its sub-packages and imported here so Django finds them
(app label ``treatment_sessions``; the tables keep their names)."""

from sessions.billing.documents import (
    CreditNote,
    Invoice,
    InvoiceLine,
    Payment,
    PaymentAllocation,
    Refund,
)
from sessions.billing.models import (
    BillableItem,
    BillingPolicy,
    DocumentSequence,
    Fee,
    MissedVisitFee,
    PayerCase,
    ReceiptLink,
)
from sessions.booking.models import (
    Appointment,
    AppointmentType,
    CalendarFeed,
    Course,
    Location,
    TimeOff,
    WorkingHours,
)
from sessions.charting.catalogue import AftercareTemplate, Muscle, NeedlingAuthorisation
from sessions.charting.models import (
    Addendum,
    AdverseEvent,
    AftercareDelivery,
    NeedlingSite,
    NoteIsSigned,
    Visit,
)
from sessions.documents.models import Document, DocumentPolicy, DocumentRequest
from sessions.followups.models import (
    Alert,
    CallTask,
    CheckinAnswer,
    ScheduledMessage,
    SmsDelivery,
    SmsReply,
)
from sessions.online.models import (
    EmailCheck,
    OnlineBookingPolicy,
    SlotHold,
    VisitLink,
    WaitListEntry,
    WaitListOffer,
)
from sessions.outcomes.models import (
    InstrumentWording,
    OutcomeSchedule,
    ProgressReport,
    Questionnaire,
)

__all__ = [
    "Document",
    "DocumentPolicy",
    "DocumentRequest",
    "InstrumentWording",
    "OutcomeSchedule",
    "ProgressReport",
    "Questionnaire",
    "SmsDelivery",
    "SmsReply",
    "WaitListOffer",
    "WaitListEntry",
    "VisitLink",
    "SlotHold",
    "OnlineBookingPolicy",
    "EmailCheck",
    "Addendum",
    "AdverseEvent",
    "AftercareDelivery",
    "AftercareTemplate",
    "Alert",
    "Appointment",
    "AppointmentType",
    "BillableItem",
    "BillingPolicy",
    "CalendarFeed",
    "CallTask",
    "CheckinAnswer",
    "Course",
    "CreditNote",
    "DocumentSequence",
    "Fee",
    "Invoice",
    "InvoiceLine",
    "Location",
    "MissedVisitFee",
    "Muscle",
    "NeedlingAuthorisation",
    "NeedlingSite",
    "NoteIsSigned",
    "PayerCase",
    "ReceiptLink",
    "Payment",
    "PaymentAllocation",
    "Refund",
    "ScheduledMessage",
    "TimeOff",
    "Visit",
    "WorkingHours",
]
