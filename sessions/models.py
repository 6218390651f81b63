"""The app's models, defined in its sub-packages and imported here so Django finds them
(app label ``treatment_sessions``; the tables keep their names)."""

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
from sessions.followups.models import Alert, CallTask, CheckinAnswer, ScheduledMessage

__all__ = [
    "Addendum",
    "AdverseEvent",
    "AftercareDelivery",
    "AftercareTemplate",
    "Alert",
    "Appointment",
    "AppointmentType",
    "CalendarFeed",
    "CallTask",
    "CheckinAnswer",
    "Course",
    "Location",
    "Muscle",
    "NeedlingAuthorisation",
    "NeedlingSite",
    "NoteIsSigned",
    "ScheduledMessage",
    "TimeOff",
    "Visit",
    "WorkingHours",
]
