"""Booking's records: locations, working hours and time off, visit types, courses,
appointments and calendar feeds."""

from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Coalesce
from django.utils import timezone

from clinic import clock

PLANNED_VISITS = [
    MinValueValidator(1, "Plan at least 1 visit."),
    MaxValueValidator(60, "Plan at most 60 visits in a course."),
]


class Location(models.Model):
    name = models.CharField(max_length=100, unique=True)
    address = models.CharField(max_length=200, blank=True)
    phone = models.CharField(max_length=30, blank=True)
    is_active = models.BooleanField(default=True)
    # Online booking (sessions.online): whether patients may book here, and whether
    # front desk approves each online booking before the patient is told it is confirmed.
    books_online = models.BooleanField("patients may book online", default=False)
    online_needs_approval = models.BooleanField(
        "front desk approves online bookings", default=False
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class WorkingHours(models.Model):
    """A practitioner's regular hours at a location on one weekday (clinic local time)."""

    class Weekday(models.IntegerChoices):
        MONDAY = 0, "Monday"
        TUESDAY = 1, "Tuesday"
        WEDNESDAY = 2, "Wednesday"
        THURSDAY = 3, "Thursday"
        FRIDAY = 4, "Friday"
        SATURDAY = 5, "Saturday"
        SUNDAY = 6, "Sunday"

    practitioner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="working_hours"
    )
    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="working_hours")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    starts = models.TimeField()
    ends = models.TimeField()

    class Meta:
        ordering = ["practitioner_id", "weekday", "starts"]
        verbose_name_plural = "working hours"
        indexes = [models.Index(fields=["location", "weekday"], name="hours_location_day_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends__gt=models.F("starts")), name="hours_end_after_start"
            )
        ]

    def __str__(self) -> str:
        day = self.get_weekday_display()
        return f"{self.practitioner} {day} {self.starts:%H:%M}-{self.ends:%H:%M}"

    def clean(self) -> None:
        if self.starts and self.ends and self.ends <= self.starts:
            raise ValidationError({"ends": "The end time must be after the start time."})


class TimeOff(models.Model):
    """An exception to working hours: a day off, or part of a day."""

    practitioner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="time_off"
    )
    day = models.DateField()
    starts = models.TimeField(null=True, blank=True, help_text="Empty: the whole day.")
    ends = models.TimeField(null=True, blank=True)
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["day", "starts"]
        verbose_name_plural = "time off"
        indexes = [models.Index(fields=["day", "practitioner"], name="timeoff_day_idx")]

    def __str__(self) -> str:
        return f"{self.practitioner} off {self.day}"

    def clean(self) -> None:
        if (self.starts is None) != (self.ends is None):
            raise ValidationError("Give both a start and an end time, or neither for a whole day.")
        if self.starts and self.ends and self.ends <= self.starts:
            raise ValidationError({"ends": "The end time must be after the start time."})


# The longest a visit can last: a search for visits overlapping a time reads only those
# starting this long before it (an index range, not every earlier visit).
LONGEST_VISIT = timedelta(minutes=480)


class AppointmentType(models.Model):
    name = models.CharField(max_length=100, unique=True)
    duration_minutes = models.PositiveSmallIntegerField(
        validators=[
            MinValueValidator(5, "A visit lasts at least 5 minutes."),
            MaxValueValidator(480, "A visit lasts at most 480 minutes (8 hours)."),
        ]
    )
    involves_needling = models.BooleanField(default=True)
    is_active = models.BooleanField(default=True)
    bookable_online = models.BooleanField("patients may book it online", default=False)
    for_new_patients = models.BooleanField(
        "a new patient may book it online",
        default=False,
        help_text="An initial assessment: the only types someone not yet a patient may book.",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def duration(self) -> timedelta:
        return timedelta(minutes=self.duration_minutes)


class Course(models.Model):
    """A patient's course of treatment: usually 8-10 visits, effects build up."""

    patient = models.ForeignKey("intake.Patient", on_delete=models.PROTECT, related_name="courses")
    planned_min = models.PositiveSmallIntegerField(
        "planned visits (at least)",
        default=8,
        validators=PLANNED_VISITS,
    )
    planned_max = models.PositiveSmallIntegerField(
        "planned visits (at most)",
        default=10,
        validators=PLANNED_VISITS,
    )
    started_on = models.DateField(default=timezone.localdate)
    closed_on = models.DateField(null=True, blank=True)
    # Who pays: visits booked in the course are billed to this case (billing).
    payer_case = models.ForeignKey(
        "treatment_sessions.PayerCase",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="courses",
    )

    class Meta:
        ordering = ["patient_id", "-started_on", "-id"]
        indexes = [models.Index(fields=["patient", "closed_on"], name="course_patient_idx")]
        constraints = [
            # Two first bookings racing for a new patient must not open two courses.
            models.UniqueConstraint(
                fields=["patient"],
                condition=models.Q(closed_on__isnull=True),
                name="one_active_course_per_patient",
            )
        ]

    def __str__(self) -> str:
        return f"Course of {self.patient} from {self.started_on}"

    def clean(self) -> None:
        if self.planned_min and self.planned_max and self.planned_max < self.planned_min:
            raise ValidationError(
                {"planned_max": "The most visits cannot be fewer than the least."}
            )

    @property
    def planned_label(self) -> str:
        if self.planned_min == self.planned_max:
            return str(self.planned_max)
        return f"{self.planned_min}–{self.planned_max}"


class AppointmentQuerySet(models.QuerySet):
    def active(self):
        """Appointments that hold their time (everything except cancelled)."""
        return self.exclude(status=Appointment.Status.CANCELLED)

    def overlapping(self, practitioner_id: int, start, end):
        return self.active().filter(
            practitioner_id=practitioner_id,
            start__lt=end,
            start__gt=start - LONGEST_VISIT,
            end__gt=start,
        )

    def with_visit_number(self):
        """Annotate ``visit_number``: this visit's place in its course (cancelled and
        no-show appointments do not count)."""
        return self.annotate(visit_number=visit_number())


def visit_number(appointment: str = ""):
    """The place in its course of the appointment at ``appointment`` (a lookup path
    from the query's model; empty for an Appointment query), as an expression."""
    prefix = f"{appointment}__" if appointment else ""
    earlier = (
        Appointment.objects.filter(
            course=models.OuterRef(f"{prefix}course"), start__lt=models.OuterRef(f"{prefix}start")
        )
        .exclude(status__in=[Appointment.Status.CANCELLED, Appointment.Status.NO_SHOW])
        .order_by()
        .values("course")
        .annotate(n=models.Count("id"))
        .values("n")
    )
    return Coalesce(models.Subquery(earlier), 0) + 1


class Confirmation(models.TextChoices):
    """How a patient confirmed a visit."""

    SMS = "sms", "By text reply"
    LINK = "link", "From the visit link"
    FRONT_DESK = "front_desk", "To front desk"


class Appointment(models.Model):
    class Status(models.TextChoices):
        BOOKED = "booked", "Booked"
        ARRIVED = "arrived", "Arrived"
        COMPLETED = "completed", "Completed"
        CANCELLED = "cancelled", "Cancelled"
        NO_SHOW = "no_show", "No-show"

    # Which status may follow which; anything else is refused.
    TRANSITIONS = {
        Status.BOOKED: {Status.ARRIVED, Status.CANCELLED, Status.NO_SHOW},
        Status.ARRIVED: {Status.COMPLETED, Status.CANCELLED},
        Status.COMPLETED: set(),
        Status.CANCELLED: set(),
        Status.NO_SHOW: set(),
    }

    patient = models.ForeignKey(
        "intake.Patient", on_delete=models.PROTECT, related_name="appointments"
    )
    practitioner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="appointments"
    )
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="appointments")
    type = models.ForeignKey(AppointmentType, on_delete=models.PROTECT, related_name="+")
    course = models.ForeignKey(
        Course, null=True, blank=True, on_delete=models.SET_NULL, related_name="appointments"
    )
    # Booked under a payer's case (billing): the course's case unless chosen otherwise.
    payer_case = models.ForeignKey(
        "treatment_sessions.PayerCase",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="appointments",
    )
    start = models.DateTimeField()
    end = models.DateTimeField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.BOOKED)
    cancellation_reason = models.CharField(max_length=300, blank=True)
    front_desk_note = models.CharField(max_length=500, blank=True)
    eligibility_override = models.CharField(
        max_length=300,
        blank=True,
        help_text="Why a needling visit was booked on a date the patient is not cleared for.",
    )
    authorisation_override = models.CharField(
        max_length=300,
        blank=True,
        help_text="Why the visit was booked beyond its payer case's authorisation.",
    )
    # Booked by the patient online (sessions.online); ``needs_approval`` while front desk
    # has not yet approved it (locations that ask for approval): it holds its time, and
    # the patient's confirmation waits for the approval.
    booked_online = models.BooleanField(default=False)
    needs_approval = models.BooleanField(default=False)
    # The patient said they will come (a text reply, the visit link, or front desk after
    # a call); cleared when the visit moves. The day calendar marks visits without it.
    confirmed_at = models.DateTimeField(null=True, blank=True)
    confirmed_via = models.CharField(max_length=10, choices=Confirmation.choices, blank=True)
    # Empty for visits not booked through the form (demo data, imports); they can still
    # be moved.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = AppointmentQuerySet.as_manager()

    class Meta:
        ordering = ["start", "id"]
        indexes = [
            models.Index(fields=["location", "start"], name="appt_location_start_idx"),
            models.Index(fields=["practitioner", "start"], name="appt_practitioner_start_idx"),
            models.Index(fields=["patient", "start"], name="appt_patient_start_idx"),
            models.Index(fields=["course", "start"], name="appt_course_start_idx"),
            models.Index(fields=["payer_case", "start"], name="appt_case_start_idx"),
            # Online bookings awaiting front desk's approval (the admin home's count, the
            # pending list): few rows among many, so a partial index.
            models.Index(
                fields=["start", "id"],
                name="appt_awaiting_approval_idx",
                condition=models.Q(needs_approval=True, status="booked"),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__gt=models.F("start")), name="appt_end_after_start"
            )
        ]
        # PostgreSQL also holds an exclusion constraint, appt_no_double_booking
        # (migration 0003): no two active appointments of a practitioner overlap.

    def __str__(self) -> str:
        return f"{self.patient} with {self.practitioner} at {self.start:%Y-%m-%d %H:%M}"

    def can_become(self, status: str) -> bool:
        return status in self.TRANSITIONS[self.Status(self.status)]

    def mark_refusal(self, status: str, now) -> str | None:
        """Why front desk cannot mark this visit ``status`` (arrived, no-show, completed)
        at ``now``, as a sentence; None when it can. A patient arrives on the visit's own
        clinic day; a visit is a no-show or completed only once it has started."""
        label = self.Status(status).label.lower()
        if status == self.Status.CANCELLED or not self.can_become(status):
            return f"A {self.get_status_display().lower()} visit cannot be marked {label}."
        starts = clock.clinic_localtime(self.start)
        if status == self.Status.ARRIVED and clock.clinic_day(now) < self.day:
            return f"The visit is on {self.day:%Y-%m-%d}: a patient is marked arrived that day."
        if status in (self.Status.NO_SHOW, self.Status.COMPLETED) and now < self.start:
            return (
                f"The visit has not started yet (it starts {starts:%Y-%m-%d %H:%M}); "
                f"it can be marked {label} once it has."
            )
        return None

    def confirm_refusal(self, now) -> str | None:
        """Why the visit cannot be confirmed at ``now`` (in words for the patient and
        front desk alike); None when it can: booked, approved and not yet started."""
        if self.status != self.Status.BOOKED:
            return f"A {self.get_status_display().lower()} visit cannot be confirmed."
        if self.needs_approval:
            return "This online booking awaits the clinic's approval; it cannot be confirmed yet."
        if self.start <= now:
            return "This visit has already started; only a visit still to come can be confirmed."
        return None

    @property
    def can_confirm_now(self) -> bool:
        """Whether a "confirm" button is offered: not confirmed yet, and could be now."""
        return self.confirmed_at is None and self.confirm_refusal(timezone.now()) is None

    @property
    def day(self) -> date:
        """The clinic day the visit starts on (``clinic.clock``), whatever zone is active."""
        return clock.clinic_day(self.start)

    @property
    def marks_now(self) -> set[str]:
        """The statuses front desk may mark this visit now (the buttons to show)."""
        now = timezone.now()
        marks = (self.Status.ARRIVED, self.Status.NO_SHOW, self.Status.COMPLETED)
        return {status for status in marks if self.mark_refusal(status, now) is None}

    @property
    def is_active(self) -> bool:
        return self.status != self.Status.CANCELLED

    @property
    def counts_as_visit(self) -> bool:
        """Whether it takes a place in the course ("visit k of N")."""
        return self.status not in (self.Status.CANCELLED, self.Status.NO_SHOW)


class CalendarFeedQuerySet(models.QuerySet):
    def live(self) -> "CalendarFeedQuerySet":
        """Feeds not revoked (at most one per practitioner). Whether a live feed's address
        still works also depends on its age: see ``feeds.feed_from_token``."""
        return self.filter(revoked_at__isnull=True)


class CalendarFeed(models.Model):
    """A practitioner's secret iCalendar address for their phone; revocable."""

    practitioner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feeds"
    )
    nonce = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = CalendarFeedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["practitioner"],
                condition=models.Q(revoked_at__isnull=True),
                name="one_live_feed_per_practitioner",
            )
        ]

    def __str__(self) -> str:
        return f"Calendar feed of {self.practitioner}"
