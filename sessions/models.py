from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Coalesce
from django.utils import timezone


class Location(models.Model):
    name = models.CharField(max_length=100, unique=True)
    address = models.CharField(max_length=200, blank=True)
    phone = models.CharField(max_length=30, blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class NeedlingAuthorisationQuerySet(models.QuerySet):
    def valid_on(self, day: date):
        return self.filter(valid_from__lte=day).filter(
            models.Q(valid_until__isnull=True) | models.Q(valid_until__gte=day)
        )


class NeedlingAuthorisation(models.Model):
    """A regulator's authorisation for a practitioner to use needles (e.g. IMS)."""

    practitioner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="needling_authorisations"
    )
    issuing_body = models.CharField(max_length=200)
    number = models.CharField("authorisation number", max_length=60)
    valid_from = models.DateField()
    valid_until = models.DateField(null=True, blank=True, help_text="Empty: no end date.")

    objects = NeedlingAuthorisationQuerySet.as_manager()

    class Meta:
        ordering = ["practitioner", "-valid_from"]
        indexes = [
            models.Index(fields=["practitioner", "valid_from"], name="auth_practitioner_idx")
        ]

    def __str__(self) -> str:
        return f"{self.issuing_body} #{self.number}"

    def clean(self) -> None:
        if self.valid_until and self.valid_from and self.valid_until < self.valid_from:
            raise ValidationError({"valid_until": "The end date is before the start date."})

    def is_valid_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_until is None or day <= self.valid_until)


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
        ordering = ["practitioner", "weekday", "starts"]
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


class AppointmentType(models.Model):
    name = models.CharField(max_length=100, unique=True)
    duration_minutes = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(5), MaxValueValidator(480)]
    )
    involves_needling = models.BooleanField(default=True)
    is_active = models.BooleanField(default=True)

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
        validators=[MinValueValidator(1), MaxValueValidator(60)],
    )
    planned_max = models.PositiveSmallIntegerField(
        "planned visits (at most)",
        default=10,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
    )
    started_on = models.DateField(default=timezone.localdate)
    closed_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["patient", "-started_on", "-id"]
        indexes = [models.Index(fields=["patient", "closed_on"], name="course_patient_idx")]

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
        return self.active().filter(practitioner_id=practitioner_id, start__lt=end, end__gt=start)

    def with_visit_number(self):
        """Annotate ``visit_number``: this visit's place in its course (cancelled and
        no-show appointments do not count)."""
        earlier = (
            Appointment.objects.filter(
                course=models.OuterRef("course"), start__lt=models.OuterRef("start")
            )
            .exclude(status__in=[Appointment.Status.CANCELLED, Appointment.Status.NO_SHOW])
            .order_by()
            .values("course")
            .annotate(n=models.Count("id"))
            .values("n")
        )
        return self.annotate(visit_number=Coalesce(models.Subquery(earlier), 0) + 1)


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
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
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

    @property
    def is_active(self) -> bool:
        return self.status != self.Status.CANCELLED

    @property
    def counts_as_visit(self) -> bool:
        """Whether it takes a place in the course ("visit k of N")."""
        return self.status not in (self.Status.CANCELLED, self.Status.NO_SHOW)


class CalendarFeed(models.Model):
    """A practitioner's secret iCalendar address for their phone; revocable."""

    practitioner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feeds"
    )
    nonce = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Calendar feed of {self.practitioner}"
