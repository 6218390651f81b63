from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
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
        ordering = ["practitioner_id", "-valid_from"]
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
        return self.active().filter(practitioner_id=practitioner_id, start__lt=end, end__gt=start)

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
        starts = timezone.localtime(self.start)
        if status == self.Status.ARRIVED and timezone.localdate(now) < starts.date():
            return f"The visit is on {starts:%Y-%m-%d}: a patient is marked arrived that day."
        if status in (self.Status.NO_SHOW, self.Status.COMPLETED) and now < self.start:
            return (
                f"The visit has not started yet (it starts {starts:%Y-%m-%d %H:%M}); "
                f"it can be marked {label} once it has."
            )
        return None

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
        constraints = [
            models.UniqueConstraint(
                fields=["practitioner"],
                condition=models.Q(revoked_at__isnull=True),
                name="one_live_feed_per_practitioner",
            )
        ]

    def __str__(self) -> str:
        return f"Calendar feed of {self.practitioner}"


# --- Charting ---------------------------------------------------------------------------


class NoteIsSigned(ValidationError):
    """A signed visit note, or anything recorded under it, cannot change. ``MESSAGE`` is
    the one wording of that refusal, for services, models and the chart's views alike."""

    MESSAGE = "This note is signed; add an addendum instead."

    def __init__(self, message: str = MESSAGE):
        super().__init__(message, code="signed")


class Muscle(models.Model):
    """The catalogue of muscles commonly needled, with their nerve-root supply."""

    class Region(models.TextChoices):
        HEAD_NECK = "head_neck", "Head and neck"
        SHOULDER = "shoulder", "Shoulder girdle"
        ARM = "arm", "Arm and forearm"
        HAND = "hand", "Hand"
        SPINE = "spine", "Spine (paraspinal)"
        TRUNK = "trunk", "Trunk"
        HIP = "hip", "Hip and buttock"
        THIGH = "thigh", "Thigh"
        LEG = "leg", "Leg and foot"

    name = models.CharField(max_length=100, unique=True)
    region = models.CharField(max_length=12, choices=Region.choices)
    nerve_roots = models.CharField(max_length=30, help_text="For example C5-C6 or L4-S1.")
    is_paraspinal = models.BooleanField(
        default=False, help_text="Sites in this muscle are charted with a spinal level."
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["region", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.nerve_roots})"


class AftercareTemplate(models.Model):
    """Clinic-editable aftercare advice; the physiotherapist adapts it per visit."""

    name = models.CharField(max_length=100, unique=True)
    body = models.TextField()
    is_active = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class VisitQuerySet(models.QuerySet):
    def update(self, **kwargs):
        if self.filter(status=Visit.Status.SIGNED).exists():
            raise NoteIsSigned()
        return super().update(**kwargs)

    def delete(self):
        if self.filter(status=Visit.Status.SIGNED).exists():
            raise NoteIsSigned()
        return super().delete()

    def to_sign(self, author):
        return self.filter(author=author, status=Visit.Status.DRAFT)


class Visit(models.Model):
    """The clinical note of one appointment. Signed notes never change (addenda only);
    on PostgreSQL triggers refuse changes too (migration 0006)."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SIGNED = "signed", "Signed"

    class Change(models.TextChoices):
        FIRST = "first", "First visit"
        BETTER = "better", "Better"
        SAME = "same", "About the same"
        WORSE = "worse", "Worse"

    appointment = models.OneToOneField(Appointment, on_delete=models.PROTECT, related_name="visit")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.DRAFT)
    # Day-of-visit safety check (the health answers are an intake.HealthUpdate).
    safety_check = models.OneToOneField(
        "intake.HealthUpdate", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    consent_today = models.BooleanField(default=False)
    # Precautions the physiotherapist weighed before needling: codes, who, when.
    acknowledged_precautions = models.JSONField(default=list, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    # Subjective / objective / assessment / plan.
    pain_today = models.PositiveSmallIntegerField(
        "pain today (0-10)", null=True, blank=True, validators=[MaxValueValidator(10)]
    )
    change_since_last = models.CharField(max_length=8, choices=Change.choices, blank=True)
    soreness_after_last = models.CharField(
        "soreness after the last visit", max_length=300, blank=True
    )
    subjective = models.TextField(blank=True, max_length=4000)
    objective = models.TextField("objective findings", blank=True, max_length=4000)
    assessment = models.TextField(blank=True, max_length=4000)
    plan = models.TextField(blank=True, max_length=4000)
    pain_after = models.PositiveSmallIntegerField(
        "pain after treatment (0-10)", null=True, blank=True, validators=[MaxValueValidator(10)]
    )
    # Needles and clean technique.
    needle_product = models.CharField(max_length=100, blank=True)
    needle_size = models.CharField(max_length=30, blank=True, help_text="For example 0.25 × 40 mm.")
    needle_lot = models.CharField("lot number", max_length=60, blank=True)
    needles_out = models.PositiveSmallIntegerField("needles taken out", null=True, blank=True)
    needles_back = models.PositiveSmallIntegerField("needles counted back", null=True, blank=True)
    single_use_sterile = models.BooleanField("single-use sterile needles", default=False)
    skin_antisepsis = models.BooleanField("skin cleaned with antiseptic", default=False)
    gloves = models.BooleanField("gloves worn throughout", default=False)
    sharps_disposal = models.BooleanField("needles into the sharps container", default=False)
    # Aftercare as given at signing.
    aftercare_template = models.ForeignKey(
        AftercareTemplate, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    aftercare_text = models.TextField(blank=True, max_length=6000)
    home_exercises = models.TextField(blank=True, max_length=4000)
    signed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = VisitQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["author", "status"], name="visit_author_status_idx")]

    def __str__(self) -> str:
        return f"Visit of {self.appointment.patient} on {self.day:%Y-%m-%d}"

    def save(self, *args, **kwargs):
        if self.pk and Visit.objects.filter(pk=self.pk, status=self.Status.SIGNED).exists():
            raise NoteIsSigned()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self.status == self.Status.SIGNED:
            raise NoteIsSigned()
        return super().delete(*args, **kwargs)

    @property
    def is_signed(self) -> bool:
        return self.status == self.Status.SIGNED

    @property
    def patient(self):
        return self.appointment.patient

    @property
    def day(self) -> date:
        return timezone.localtime(self.appointment.start).date()

    @property
    def clean_technique_complete(self) -> bool:
        return all(
            [self.single_use_sterile, self.skin_antisepsis, self.gloves, self.sharps_disposal]
        )

    @property
    def needle_count_matches(self) -> bool:
        return self.needles_out is not None and self.needles_out == self.needles_back


class SignedGuardQuerySet(models.QuerySet):
    """For rows recorded under a visit: no bulk change once the visit is signed."""

    def update(self, **kwargs):
        if self.filter(visit__status=Visit.Status.SIGNED).exists():
            raise NoteIsSigned()
        return super().update(**kwargs)

    def delete(self):
        if self.filter(visit__status=Visit.Status.SIGNED).exists():
            raise NoteIsSigned()
        return super().delete()


class UnderVisit(models.Model):
    """A row recorded under a visit: it changes only while the note is a draft."""

    visit_id: int  # each subclass has its ``visit``

    objects = SignedGuardQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if Visit.objects.filter(pk=self.visit_id, status=Visit.Status.SIGNED).exists():
            raise NoteIsSigned()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if Visit.objects.filter(pk=self.visit_id, status=Visit.Status.SIGNED).exists():
            raise NoteIsSigned()
        return super().delete(*args, **kwargs)


class NeedlingSite(UnderVisit):
    class Side(models.TextChoices):
        LEFT = "left", "Left"
        RIGHT = "right", "Right"
        BOTH = "both", "Both"

    class Twitch(models.TextChoices):
        NONE = "none", "None"
        WEAK = "weak", "Weak"
        STRONG = "strong", "Strong"

    class Tolerance(models.TextChoices):
        GOOD = "good", "Good"
        FAIR = "fair", "Fair"
        POOR = "poor", "Poor (stopped early)"

    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="sites")
    muscle = models.ForeignKey(Muscle, on_delete=models.PROTECT, related_name="+")
    side = models.CharField(max_length=5, choices=Side.choices)
    spinal_level = models.CharField(
        max_length=9,
        blank=True,
        validators=[
            RegexValidator(
                r"^(C[1-7]|T(1[0-2]|[1-9])|L[1-5]|S[1-2])-(C[1-8]|T(1[0-2]|[1-9])|L[1-5]|S[1-3])$",
                "Write the level as two segments, for example C5-C6 or L4-L5.",
            )
        ],
    )
    depth_cm = models.DecimalField(
        "depth (cm)",
        max_digits=3,
        decimal_places=1,
        validators=[MinValueValidator(Decimal("0.5")), MaxValueValidator(Decimal("12"))],
    )
    insertions = models.PositiveSmallIntegerField(
        default=1, validators=[MinValueValidator(1), MaxValueValidator(30)]
    )
    twitch = models.CharField("twitch response", max_length=6, choices=Twitch.choices)
    tolerance = models.CharField(max_length=5, choices=Tolerance.choices, default=Tolerance.GOOD)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["visit_id", "created_at", "id"]
        indexes = [models.Index(fields=["visit", "created_at"], name="site_visit_idx")]

    def __str__(self) -> str:
        return f"{self.muscle.name} ({self.get_side_display()})"

    def clean(self) -> None:
        if self.muscle_id and self.muscle.is_paraspinal and not self.spinal_level:
            raise ValidationError({"spinal_level": "Give the spinal level for a paraspinal site."})
        visit = getattr(self, "visit", None)  # may be a draft no one has saved yet
        if visit is not None:
            from sessions.charting import needling_blockers

            blockers = needling_blockers(visit)
            if blockers:
                raise ValidationError([str(b) for b in blockers])


class AdverseEvent(UnderVisit):
    class Kind(models.TextChoices):
        BRUISING = "bruising", "Bruising"
        BLEEDING = "bleeding", "Bleeding"
        FAINTING = "fainting", "Fainting or light-headedness"
        EXCESSIVE_PAIN = "pain", "Excessive pain"
        OTHER = "other", "Other"

    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="adverse_events")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    description = models.CharField(max_length=500, blank=True)
    action_taken = models.CharField(max_length=500)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["-created_at"], name="adverse_created_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} at {self.visit}"


class AddendumQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise NoteIsSigned("An addendum cannot be changed; add another one.")

    def delete(self):
        raise NoteIsSigned("An addendum cannot be deleted.")


class Addendum(models.Model):
    """A dated correction to a signed note, by its author. Never changed."""

    visit = models.ForeignKey(Visit, on_delete=models.PROTECT, related_name="addenda")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    reason = models.CharField(max_length=300)
    text = models.TextField(max_length=4000)

    objects = AddendumQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name_plural = "addenda"

    def __str__(self) -> str:
        return f"Addendum to {self.visit}"

    def save(self, *args, **kwargs):
        if self.pk:
            raise NoteIsSigned("An addendum cannot be changed; add another one.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise NoteIsSigned("An addendum cannot be deleted.")


class AftercareDelivery(models.Model):
    """What aftercare went to the patient and when, with its signed link."""

    visit = models.ForeignKey(Visit, on_delete=models.PROTECT, related_name="aftercare_deliveries")
    email = models.EmailField(blank=True)
    nonce = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    sent_at = models.DateTimeField(null=True, blank=True)
    skipped_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Aftercare for {self.visit}"


# --- Follow-ups ---------------------------------------------------------------------------


# Messages that will never go out: they do not hold their key (see the constraint).
DEAD_STATUSES = ("cancelled", "skipped")


class ScheduledMessageQuerySet(models.QuerySet):
    def live(self):
        """Rows that hold their key: everything except cancelled and skipped ones."""
        return self.exclude(status__in=DEAD_STATUSES)

    def claimable(self, now):
        """Due and waiting, or left "sending" by a worker whose lease ran out."""
        return self.filter(
            models.Q(status=ScheduledMessage.Status.PENDING, due_at__lte=now)
            | models.Q(status=ScheduledMessage.Status.SENDING, lease_until__lt=now)
        )


class ScheduledMessage(models.Model):
    """A message to a patient with a due time. The database, not the broker, holds the
    schedule; the dispatcher claims due rows and queues one send task per row."""

    class Kind(models.TextChoices):
        CHECKIN = "checkin", "Soreness check-in"
        REMINDER = "reminder", "Appointment reminder"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"
        SKIPPED = "skipped", "Skipped"

    key = models.CharField(
        max_length=80,
        db_index=True,
        help_text="One live message per purpose; cancelled and skipped rows do not count.",
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    patient = models.ForeignKey("intake.Patient", on_delete=models.PROTECT, related_name="+")
    appointment = models.ForeignKey(
        Appointment, on_delete=models.PROTECT, related_name="messages", null=True, blank=True
    )
    visit = models.ForeignKey(
        Visit, on_delete=models.PROTECT, related_name="messages", null=True, blank=True
    )
    hours_after = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    due_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    claim = models.CharField(max_length=40, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    nonce = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = ScheduledMessageQuerySet.as_manager()

    class Meta:
        ordering = ["due_at", "id"]
        indexes = [
            models.Index(fields=["status", "due_at"], name="message_status_due_idx"),
            models.Index(fields=["status", "lease_until"], name="message_status_lease_idx"),
            models.Index(fields=["status", "sent_at"], name="message_status_sent_idx"),
        ]
        constraints = [
            # A visit moved away and back, or check-ins cancelled and scheduled again,
            # must get a new live row under the old key: dead rows stay as history.
            models.UniqueConstraint(
                fields=["key"],
                condition=~models.Q(status__in=DEAD_STATUSES),
                name="message_live_key_uniq",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.key} ({self.status})"


class CheckinAnswer(models.Model):
    """One answer to a check-in; answering again adds a row (the latest counts)."""

    class Compared(models.TextChoices):
        BETTER = "better", "Better than I expected"
        AS_EXPECTED = "expected", "About as expected"
        WORSE = "worse", "Worse than I expected"

    RED_FLAGS = {
        "fever": "Fever or chills",
        "spreading_redness": "Redness, heat or swelling that is spreading",
        "numbness_weakness": "New numbness or weakness",
        "breathing": "Shortness of breath or chest pain",
        "severe_pain": "Pain above 8 out of 10 that is not easing after two days",
    }

    message = models.ForeignKey(ScheduledMessage, on_delete=models.PROTECT, related_name="answers")
    soreness = models.PositiveSmallIntegerField(validators=[MaxValueValidator(10)])
    compared = models.CharField(max_length=8, choices=Compared.choices)
    bruising = models.BooleanField(default=False)
    red_flags = models.JSONField(default=list, blank=True)
    comment = models.TextField(blank=True, max_length=2000)
    answered_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["message_id", "-answered_at", "-id"]
        indexes = [models.Index(fields=["message", "-answered_at"], name="answer_message_idx")]

    def __str__(self) -> str:
        return f"Answer to {self.message.key}"

    @property
    def needs_attention(self) -> bool:
        return bool(self.red_flags) or self.soreness >= 8

    @property
    def red_flag_labels(self) -> list[str]:
        return [self.RED_FLAGS.get(code, code) for code in self.red_flags]


class Alert(models.Model):
    """A worrying check-in for the treating physiotherapist, until acknowledged. A visit
    has at most one open alert; it points at the latest worrying answer."""

    answer = models.OneToOneField(CheckinAnswer, on_delete=models.PROTECT, related_name="alert")
    visit = models.ForeignKey(Visit, on_delete=models.PROTECT, related_name="alerts")
    physio = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="alerts"
    )
    created_at = models.DateTimeField(default=timezone.now)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    action_taken = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["physio", "acknowledged_at"], name="alert_open_idx")]
        constraints = [
            # A worrying answer given again updates the visit's open alert (see
            # followups.checkin_answer); this refuses a second one that races past.
            models.UniqueConstraint(
                fields=["visit"],
                condition=models.Q(acknowledged_at__isnull=True),
                name="alert_one_open_per_visit",
            )
        ]

    def __str__(self) -> str:
        return f"Alert for {self.visit}"


class CallTask(models.Model):
    """For front desk: call a patient back. Carries no clinical detail."""

    patient = models.ForeignKey("intake.Patient", on_delete=models.PROTECT, related_name="+")
    alert = models.OneToOneField(Alert, on_delete=models.PROTECT, related_name="call_task")
    created_at = models.DateTimeField(default=timezone.now)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    done_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["created_at"]
        indexes = [models.Index(fields=["done_at", "created_at"], name="calltask_open_idx")]

    def __str__(self) -> str:
        return f"Call {self.patient}"
