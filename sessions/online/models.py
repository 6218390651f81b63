"""Online booking's records.

- ``OnlineBookingPolicy``: the clinic's one policy (how far ahead, how soon, how long a
  hold and an offer last, the cancel notice) and which practitioners take online
  bookings. Locations and appointment types carry their own switches (booking models).
- ``EmailCheck``: a one-time link proving a person controls an email address (a
  returning patient signing in to book, or a new person confirming a booking).
- ``SlotHold``: a slot held while someone books it; live holds hide the slot from
  everyone else. Confirmed, it becomes an appointment.
- ``VisitLink``: the nonce behind a patient's self-service link to one booked visit
  (cancel or reschedule), sent in the confirmation and reminder.
- ``WaitListEntry`` and ``WaitListOffer``: who waits for what, and the freed slots
  offered to them.

Every link is signed by ``clinic.links`` with the row's nonce (new nonce: revoked).
Rows hold what the person typed (names, email, phone) and nothing clinical.
"""

import secrets
from datetime import date, timedelta

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from clinic import clock, locks


def new_nonce() -> str:
    return secrets.token_urlsafe(24)


class OnlineBookingPolicy(models.Model):
    """The clinic's online-booking policy: one row (``OnlineBookingPolicy.get()``)."""

    horizon_days = models.PositiveSmallIntegerField(
        "book up to (days ahead)",
        default=60,
        validators=[
            MinValueValidator(1, "Allow at least 1 day ahead."),
            MaxValueValidator(365, "At most 365 days ahead."),
        ],
    )
    min_notice_hours = models.PositiveSmallIntegerField(
        "minimum notice (hours)",
        default=12,
        validators=[MaxValueValidator(336, "At most 336 hours (two weeks).")],
        help_text="No online booking starts sooner than this.",
    )
    cancel_notice_hours = models.PositiveSmallIntegerField(
        "cancel or move online up to (hours before)",
        default=24,
        validators=[MaxValueValidator(336, "At most 336 hours (two weeks).")],
        help_text="Later than this, the patient's link says to call the clinic.",
    )
    hold_minutes = models.PositiveSmallIntegerField(
        "hold a chosen slot for (minutes)",
        default=10,
        validators=[
            MinValueValidator(2, "Hold a slot at least 2 minutes."),
            MaxValueValidator(60, "Hold a slot at most 60 minutes."),
        ],
    )
    confirm_minutes = models.PositiveSmallIntegerField(
        "wait for the email confirmation (minutes)",
        default=30,
        validators=[
            MinValueValidator(5, "Wait at least 5 minutes."),
            MaxValueValidator(720, "Wait at most 720 minutes (12 hours)."),
        ],
        help_text="How long the slot stays held once the confirmation email is sent.",
    )
    offer_minutes = models.PositiveSmallIntegerField(
        "hold a wait-list offer for (minutes)",
        default=30,
        validators=[
            MinValueValidator(5, "Hold an offer at least 5 minutes."),
            MaxValueValidator(720, "Hold an offer at most 720 minutes (12 hours)."),
        ],
    )
    offers_per_slot = models.PositiveSmallIntegerField(
        "offer a freed slot to (entries at once)",
        default=3,
        validators=[
            MinValueValidator(1, "Offer to at least 1 entry."),
            MaxValueValidator(20, "Offer to at most 20 entries at once."),
        ],
    )
    practitioners = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="+",
        help_text="The practitioners patients may book online.",
    )

    class Meta:
        verbose_name = "online booking policy"
        verbose_name_plural = "online booking policy"
        constraints = [
            models.CheckConstraint(condition=models.Q(id=1), name="one_online_booking_policy")
        ]

    def __str__(self) -> str:
        return "Online booking policy"

    def save(self, *args, **kwargs):
        self.pk = 1
        super().save(*args, **kwargs)

    @classmethod
    def get(cls) -> "OnlineBookingPolicy":
        return cls.objects.get_or_create(pk=1)[0]

    @property
    def hold(self) -> timedelta:
        return timedelta(minutes=self.hold_minutes)

    @property
    def confirm(self) -> timedelta:
        return timedelta(minutes=self.confirm_minutes)

    @property
    def offer(self) -> timedelta:
        return timedelta(minutes=self.offer_minutes)


class EmailCheck(models.Model):
    """A one-time link sent to ``email`` proving the person reading it controls the
    address. ``patient`` is the patient on file with that email, if one is (never shown
    on the page that sent it). Used once (``used_at``), then dead."""

    class Purpose(models.TextChoices):
        SIGN_IN = "sign_in", "Returning patient signs in"
        CONFIRM = "confirm", "New person confirms a booking"

    purpose = models.CharField(max_length=10, choices=Purpose.choices)
    email = models.EmailField()
    patient = models.ForeignKey(
        "intake.Patient", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    hold = models.ForeignKey(
        "treatment_sessions.SlotHold",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="email_checks",
    )
    nonce = models.CharField(max_length=64, unique=True, default=new_nonce, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["email", "created_at"], name="emailcheck_email_idx")]

    def __str__(self) -> str:
        return f"Email check {self.pk} ({self.get_purpose_display()})"


class SlotHoldQuerySet(models.QuerySet):
    def live(self, now) -> "SlotHoldQuerySet":
        """Holds that still keep their slot from others at ``now``."""
        return self.filter(
            status__in=[SlotHold.Status.HELD, SlotHold.Status.AWAITING], expires_at__gt=now
        )

    def overlapping(self, practitioner_id: int, start, end, now) -> "SlotHoldQuerySet":
        return self.live(now).filter(practitioner_id=practitioner_id, start__lt=end, end__gt=start)


class SlotHold(models.Model):
    """A slot held for someone booking it online, or for a wait-list offer.

    ``held`` while they type their details (``policy.hold``); ``awaiting`` once the
    confirmation email is out (``policy.confirm``); ``booked`` when confirmed (the
    ``appointment``); ``released`` when given up, replaced or taken by another offer.
    A hold past ``expires_at`` frees its slot whatever its status says."""

    class Status(models.TextChoices):
        HELD = "held", "Held"
        AWAITING = "awaiting", "Awaiting email confirmation"
        BOOKED = "booked", "Booked"
        RELEASED = "released", "Released"

    location = models.ForeignKey(
        "treatment_sessions.Location", on_delete=models.CASCADE, related_name="+"
    )
    practitioner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    type = models.ForeignKey(
        "treatment_sessions.AppointmentType", on_delete=models.CASCADE, related_name="+"
    )
    start = models.DateTimeField()
    end = models.DateTimeField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.HELD)
    expires_at = models.DateTimeField()
    # A returning patient who proved their email, or the wait-list entry's patient.
    patient = models.ForeignKey(
        "intake.Patient", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    # What a new person typed (kept only to create their record on confirmation).
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    date_of_birth = models.DateField(null=True, blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=30, blank=True)
    # The visit this hold replaces (a patient moving their own booking).
    replaces = models.ForeignKey(
        "treatment_sessions.Appointment",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    appointment = models.OneToOneField(
        "treatment_sessions.Appointment",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="online_hold",
    )
    nonce = models.CharField(max_length=64, unique=True, default=new_nonce, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = SlotHoldQuerySet.as_manager()

    class Meta:
        ordering = ["start", "id"]
        indexes = [
            models.Index(fields=["practitioner", "start"], name="hold_practitioner_start_idx"),
            models.Index(fields=["status", "expires_at"], name="hold_status_expires_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__gt=models.F("start")), name="hold_end_after_start"
            )
        ]

    def __str__(self) -> str:
        return f"Hold {self.pk} ({self.get_status_display()})"

    @property
    def day(self) -> date:
        """The clinic day the held time starts on."""
        return clock.clinic_day(self.start)

    @staticmethod
    def lock_practitioner(practitioner_id: int) -> None:
        """Serialise "check the time is free, then write" for one practitioner: taking a
        hold, booking it, a wait-list offer and its answer, and front desk's booking all
        take this lock first (``clinic.locks``; inside a transaction)."""
        locks.hold(f"online-slot:{practitioner_id}")


class VisitLink(models.Model):
    """The nonce behind a patient's self-service link to one visit (cancel, move).
    Made when first needed; a new nonce revokes every link sent before."""

    appointment = models.OneToOneField(
        "treatment_sessions.Appointment", on_delete=models.CASCADE, related_name="visit_link"
    )
    nonce = models.CharField(max_length=64, unique=True, default=new_nonce, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    def __str__(self) -> str:
        return f"Self-service link of appointment {self.appointment_id}"


class WaitListEntry(models.Model):
    """Someone waiting for a time: where, what, with whom (empty: anyone), between which
    dates, on which weekdays and at which time of day. Offered freed slots in order of
    ``priority`` (higher first), then age."""

    class Status(models.TextChoices):
        WAITING = "waiting", "Waiting"
        BOOKED = "booked", "Booked"
        REMOVED = "removed", "Removed"

    class Source(models.TextChoices):
        ONLINE = "online", "Online"
        FRONT_DESK = "front_desk", "Front desk"

    class TimeOfDay(models.TextChoices):
        ANY = "any", "Any time"
        MORNING = "morning", "Morning (before 12:00)"
        AFTERNOON = "afternoon", "Afternoon (12:00-17:00)"
        EVENING = "evening", "Evening (from 17:00)"

    patient = models.ForeignKey(
        "intake.Patient", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    # For someone not yet a patient (from the public "no suitable time" page).
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=30, blank=True)
    location = models.ForeignKey(
        "treatment_sessions.Location", on_delete=models.CASCADE, related_name="+"
    )
    type = models.ForeignKey(
        "treatment_sessions.AppointmentType", on_delete=models.CASCADE, related_name="+"
    )
    practitioner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text="Empty: any practitioner.",
    )
    earliest = models.DateField()
    latest = models.DateField()
    # Weekdays accepted (0 Monday .. 6 Sunday); empty: any day.
    weekdays = models.JSONField(default=list, blank=True)
    time_of_day = models.CharField(max_length=10, choices=TimeOfDay.choices, default=TimeOfDay.ANY)
    priority = models.SmallIntegerField(
        default=0,
        validators=[
            MinValueValidator(-9, "Priority runs from -9 to 9."),
            MaxValueValidator(9, "Priority runs from -9 to 9."),
        ],
        help_text="Higher is offered first; equal priorities go by age.",
    )
    note = models.CharField(max_length=300, blank=True)
    source = models.CharField(max_length=12, choices=Source.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.WAITING)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    nonce = models.CharField(max_length=64, unique=True, default=new_nonce, editable=False)

    class Meta:
        ordering = ["-priority", "created_at", "id"]
        verbose_name_plural = "wait list entries"
        indexes = [
            models.Index(
                fields=["location", "status", "latest"], name="waitlist_location_status_idx"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(latest__gte=models.F("earliest")),
                name="waitlist_latest_after_earliest",
            )
        ]

    def __str__(self) -> str:
        return f"Wait list entry {self.pk}"


class WaitListOffer(models.Model):
    """A freed slot offered to one wait-list entry by email; its ``hold`` keeps the slot
    for ``policy.offer``. The first of a slot's offers to be accepted books it; the
    others become ``taken`` and are told."""

    class Status(models.TextChoices):
        OFFERED = "offered", "Offered"
        ACCEPTED = "accepted", "Accepted"
        TAKEN = "taken", "Taken by another"
        DECLINED = "declined", "Declined"
        EXPIRED = "expired", "Expired"

    entry = models.ForeignKey(WaitListEntry, on_delete=models.CASCADE, related_name="offers")
    hold = models.ForeignKey(SlotHold, on_delete=models.CASCADE, related_name="offers")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OFFERED)
    offered_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)
    nonce = models.CharField(max_length=64, unique=True, default=new_nonce, editable=False)

    class Meta:
        ordering = ["-offered_at", "id"]
        indexes = [models.Index(fields=["status", "expires_at"], name="offer_status_expires_idx")]
        constraints = [
            models.UniqueConstraint(fields=["entry", "hold"], name="one_offer_per_entry_and_hold")
        ]

    def __str__(self) -> str:
        return f"Offer {self.pk} to wait list entry {self.entry_id}"
