import re
import unicodedata
from collections.abc import Collection
from datetime import date
from typing import Any, Self

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models, transaction
from django.utils import timezone
from phonenumber_field.modelfields import PhoneNumberField

from clinic import clock, locks
from clinic.text import ascii_digits
from intake import phones
from intake.names import fold_name, name_key

ASCII_DIGITS = frozenset("0123456789")
# [0-9], not \d (any script's digits), and \Z, not $ (which allows a final newline).
alberta_health_number = RegexValidator(
    r"^[0-9]{9}\Z", "An Alberta health number has exactly 9 digits (no spaces or dashes)."
)


class PatientQuerySet(models.QuerySet):
    def search(self, query: str):
        """Patients matching a name, phone, email, health number or ISO date of birth.

        Names match as ``intake.names`` folds them (case, accents, apostrophes, hyphens,
        punctuation), every word anywhere in the name, so "Last, First" finds the patient.
        On PostgreSQL trigram indexes serve the substring matches (migration 0002).
        """
        query = query.strip()[:100]
        if not query:
            return self.none()
        if "@" in query:
            return self.filter(email=query.lower())
        query = ascii_digits(unicodedata.normalize("NFKC", query))
        if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", query):
            try:
                return self.filter(date_of_birth=date.fromisoformat(query))
            except ValueError:
                return self.none()
        digits = re.sub(r"[\s().+-]", "", query)
        if re.fullmatch(r"[0-9]+", digits):
            if len(digits) < 3:
                return self.none()
            match = models.Q(search_phone__contains=digits)
            if len(digits) == 9:
                match |= models.Q(health_number=digits)
            return self.filter(match)
        qs = self
        words = fold_name(query).split()
        if not words:
            return self.none()
        for word in words:
            qs = qs.filter(search_name__contains=word)
        # Ordered by the folded name, which has no b-tree index: PostgreSQL then takes the
        # matches from the trigram index and sorts them, instead of walking every patient
        # in name order looking for matches.
        return qs.order_by("search_name", "id")


class Channel(models.TextChoices):
    """How a patient wants one kind of message: ``intake.services.channels_for`` says
    which of these may actually be used."""

    EMAIL = "email", "Email"
    SMS = "sms", "Text message"
    BOTH = "both", "Email and text message"


class MessagePurpose(models.TextChoices):
    """The kinds of message a patient chooses a channel for, separately."""

    REMINDER = "reminder", "Visit reminders"
    CHECKIN = "checkin", "Check-ins after a visit"


class SmsConsent(models.TextChoices):
    """A patient's SMS consent now; ``SmsConsentEvent`` rows are its history."""

    NONE = "none", "Not asked"
    GIVEN = "given", "Agreed to texts"
    WITHDRAWN = "withdrawn", "Declined texts"
    OPTED_OUT = "opted_out", "Opted out by replying STOP"


class Patient(models.Model):
    class Sex(models.TextChoices):
        FEMALE = "female", "Female"
        MALE = "male", "Male"
        INTERSEX = "intersex", "Intersex"
        UNDISCLOSED = "undisclosed", "Prefer not to say"

    legal_first_name = models.CharField(max_length=100)
    legal_last_name = models.CharField(max_length=100)
    preferred_name = models.CharField(max_length=100, blank=True)
    date_of_birth = models.DateField()
    sex = models.CharField(max_length=12, choices=Sex.choices, default=Sex.UNDISCLOSED)
    gender = models.CharField(max_length=60, blank=True)
    # Free text for calling (it may hold an extension or a note); texts go to ``mobile``.
    phone = models.CharField(max_length=30, blank=True)
    mobile = PhoneNumberField(
        "mobile number", blank=True, max_length=20, help_text="Text messages go to this number."
    )
    email = models.EmailField(blank=True)
    address = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    province = models.CharField(max_length=2, default="AB")
    postal_code = models.CharField(max_length=10, blank=True)
    emergency_contact_name = models.CharField(max_length=100, blank=True)
    emergency_contact_phone = models.CharField(max_length=30, blank=True)
    emergency_contact_relationship = models.CharField(max_length=60, blank=True)
    email_reminders = models.BooleanField(
        "email reminders", default=True, help_text="The patient agrees to reminders by email."
    )
    health_number = models.CharField(
        "provincial health number",
        max_length=9,
        blank=True,
        validators=[alberta_health_number],
    )
    # Folded copies of the names and digits-only phone, kept by save(), for indexed search.
    # Text, not a sized column: folding can lengthen a name (NFKD: "ﬃ" -> "ffi").
    search_name = models.TextField(editable=False, default="")
    search_phone = models.CharField(max_length=30, editable=False, default="")
    # Kept by save(): ``phone`` holds text that is not a phone number (front desk's list
    # of numbers to fix, intake:phones-to-fix).
    phone_unreadable = models.BooleanField(editable=False, default=False)
    # Messaging: the channel chosen per kind of message, and SMS consent now (its history
    # is SmsConsentEvent; only intake.services changes these).
    reminder_channel = models.CharField(
        max_length=5, choices=Channel.choices, default=Channel.EMAIL, editable=False
    )
    checkin_channel = models.CharField(
        max_length=5, choices=Channel.choices, default=Channel.EMAIL, editable=False
    )
    sms_consent = models.CharField(
        "SMS consent",
        max_length=10,
        choices=SmsConsent.choices,
        default=SmsConsent.NONE,
        editable=False,
    )
    sms_consent_changed_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PatientQuerySet.as_manager()

    class Meta:
        ordering = ["legal_last_name", "legal_first_name", "id"]
        indexes = [
            models.Index(fields=["search_phone"], name="patient_search_phone_idx"),
            models.Index(fields=["email"], name="patient_email_idx"),
            models.Index(fields=["-created_at", "-id"], name="patient_recent_idx"),
            models.Index(fields=["date_of_birth"], name="patient_dob_idx"),
            models.Index(fields=["health_number"], name="patient_health_number_idx"),
            models.Index(
                fields=["legal_last_name", "legal_first_name", "id"], name="patient_name_idx"
            ),
            models.Index(
                fields=["legal_last_name", "legal_first_name", "id"],
                condition=models.Q(phone_unreadable=True),
                name="patient_phone_unreadable_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.full_name

    def save(self, *args, **kwargs):
        # Last name first, so ordering by it reads like a list of patients.
        names = " ".join(
            filter(None, [self.legal_last_name, self.legal_first_name, self.preferred_name])
        )
        self.search_name = fold_name(names)
        self.search_phone = "".join(c for c in ascii_digits(self.phone) if c in ASCII_DIGITS)
        self.phone_unreadable = phones.is_unreadable(self.phone, settings.PHONE_DEFAULT_REGION)
        self.email = self.email.strip().lower()
        super().save(*args, **kwargs)

    def possible_duplicates(self):
        """Other patients with the same legal name and date of birth, or the same email.

        Names compare as ``intake.names.name_key`` folds them ("O’Donnell" is "ODonnell").
        """
        same_birthday = Patient.objects.filter(date_of_birth=self.date_of_birth)
        name = self.identity_key()
        matches = [p for p in same_birthday.exclude(pk=self.pk) if p.identity_key() == name]
        if self.email:
            matches += Patient.objects.filter(email=self.email.strip().lower()).exclude(
                pk__in=[self.pk, *(p.pk for p in matches)]
            )
        return matches

    def identity_key(self) -> tuple[str, str]:
        """The folded legal first and last name, as the duplicate check compares them."""
        return name_key(self.legal_first_name), name_key(self.legal_last_name)

    def clean(self) -> None:
        today = clock.clinic_today()
        if self.date_of_birth:
            if self.date_of_birth > today:
                raise ValidationError({"date_of_birth": "The date of birth is in the future."})
            if self.date_of_birth.year < today.year - 120:
                raise ValidationError({"date_of_birth": "Please check the year of birth."})

    @property
    def greeting_name(self) -> str:
        """The name to greet the patient by: their preferred name, else their legal first name."""
        return self.preferred_name or self.legal_first_name

    @property
    def full_name(self) -> str:
        """The name staff call the patient by: greeting name and legal last name."""
        return f"{self.greeting_name} {self.legal_last_name}"

    @property
    def legal_name(self) -> str:
        """The legal first and last name, as on records and in the duplicate warning."""
        return f"{self.legal_first_name} {self.legal_last_name}"

    @property
    def initials(self) -> str:
        return f"{self.legal_first_name[:1]}{self.legal_last_name[:1]}".upper()

    def channel_for(self, purpose: str) -> "Channel":
        """The channel the patient chose for ``purpose`` (a ``MessagePurpose``). Raises
        ValueError for another purpose."""
        if purpose == MessagePurpose.REMINDER:
            return Channel(self.reminder_channel)
        if purpose == MessagePurpose.CHECKIN:
            return Channel(self.checkin_channel)
        raise ValueError(f"no channel is chosen for {purpose!r}")


class ConsentText(models.Model):
    """A version of the clinic's IMS consent wording. Versions are never edited."""

    version = models.PositiveIntegerField(unique=True, editable=False)
    title = models.CharField(max_length=200, default="Consent to intramuscular stimulation")
    body = models.TextField(help_text="Plain text; blank lines separate paragraphs.")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-version"]

    def __str__(self) -> str:
        return f"{self.title} (version {self.version})"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValidationError("A consent version cannot be changed; add a new version.")
        with transaction.atomic():
            if not self.version:
                # Two versions published at once must not both take the next number.
                locks.hold("consent-version")
                latest = ConsentText.objects.aggregate(models.Max("version"))["version__max"]
                self.version = (latest or 0) + 1
            super().save(*args, **kwargs)

    @classmethod
    def current(cls) -> "ConsentText | None":
        return cls.objects.order_by("-version").first()


class IntakeQuerySet(models.QuerySet):
    def submitted(self):
        return self.filter(status=Intake.Status.SUBMITTED)


class Intake(models.Model):
    """One intake questionnaire of a patient. Submitted intakes never change."""

    _stored_status: str | None  # the status as last read or saved (None: not loaded)

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Submitted"

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="intakes")
    number = models.PositiveIntegerField(editable=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    # Per step: "answers" holds validated values, "drafts" what was typed but not yet valid.
    answers = models.JSONField(default=dict, blank=True)
    drafts = models.JSONField(default=dict, blank=True)
    consent = models.ForeignKey(ConsentText, null=True, blank=True, on_delete=models.PROTECT)
    signature_name = models.CharField(max_length=200, blank=True)
    signed_ip = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)

    objects = IntakeQuerySet.as_manager()

    class Meta:
        ordering = ["patient_id", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "number"], name="intake_patient_number_uniq"
            ),
        ]
        indexes = [models.Index(fields=["patient", "status", "-number"], name="intake_latest_idx")]

    def __str__(self) -> str:
        return f"Intake #{self.number} of {self.patient}"

    def save(self, *args, **kwargs):
        if getattr(self, "_stored_status", None) == self.Status.SUBMITTED:
            raise ValidationError("A submitted intake cannot be changed; send a new intake.")
        if not self.number:
            latest = Intake.objects.filter(patient=self.patient).aggregate(models.Max("number"))
            self.number = (latest["number__max"] or 0) + 1
        super().save(*args, **kwargs)
        self._stored_status = self.status

    @classmethod
    def from_db(
        cls, db: str | None, field_names: Collection[str], values: Collection[Any], **kwargs: Any
    ) -> Self:
        instance = super().from_db(db, field_names, values, **kwargs)
        instance._stored_status = instance.status if "status" in field_names else None
        return instance

    @property
    def is_submitted(self) -> bool:
        return self.status == self.Status.SUBMITTED


class IntakeInvitation(models.Model):
    """A signed link that lets one patient fill one intake, until it expires or is revoked."""

    class State(models.TextChoices):
        SENT = "sent", "Sent"
        OPENED = "opened", "Opened"
        IN_PROGRESS = "in_progress", "In progress"
        SUBMITTED = "submitted", "Submitted"
        EXPIRED = "expired", "Expired"
        REVOKED = "revoked", "Revoked"

    intake = models.ForeignKey(Intake, on_delete=models.PROTECT, related_name="invitations")
    nonce = models.CharField(max_length=64, unique=True, editable=False)
    email = models.EmailField()
    # Empty when no staff member sent it: the patient booked online (sessions.online).
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    expires_at = models.DateTimeField()
    opened_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["intake", "-created_at"], name="invitation_intake_idx")]
        constraints = [
            # Sending a new link revokes the earlier ones: at most one live link per intake.
            models.UniqueConstraint(
                fields=["intake"],
                condition=models.Q(revoked_at__isnull=True),
                name="invitation_one_unrevoked_per_intake",
            )
        ]

    def __str__(self) -> str:
        return f"Invitation to {self.intake}"

    def state(self, now=None) -> "IntakeInvitation.State":
        now = now or timezone.now()
        if self.intake.is_submitted:
            return self.State.SUBMITTED
        if self.revoked_at:
            return self.State.REVOKED
        if now >= self.expires_at:
            return self.State.EXPIRED
        if self.intake.answers or self.intake.drafts:
            return self.State.IN_PROGRESS
        if self.opened_at:
            return self.State.OPENED
        return self.State.SENT

    def is_usable(self, now=None) -> bool:
        return self.state(now) in {self.State.SENT, self.State.OPENED, self.State.IN_PROGRESS}

    def takes_documents(self, now=None) -> bool:
        """Whether the link still takes documents (referrals, card photos): neither
        revoked nor expired. A questionnaire already sent does not close it: the
        referral often comes later."""
        return self.revoked_at is None and (now or timezone.now()) < self.expires_at


class HealthUpdate(models.Model):
    """Health facts reported after the intake, e.g. at the day-of-visit safety check.

    Screening combines the latest submitted intake with these (intake.services).
    """

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="health_updates")
    reported_at = models.DateTimeField(default=timezone.now)
    source = models.CharField(max_length=100)
    pregnancy = models.CharField(max_length=16, blank=True)
    surgery_date = models.DateField(null=True, blank=True)
    surgery_description = models.CharField(max_length=200, blank=True)
    anticoagulants = models.BooleanField(default=False)
    medication_notes = models.CharField(max_length=500, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["patient_id", "reported_at"]
        indexes = [models.Index(fields=["patient", "reported_at"], name="healthupdate_patient_idx")]

    def __str__(self) -> str:
        return f"{self.source} for {self.patient}"


class SmsConsentEvent(models.Model):
    """One change of a patient's SMS consent: when, how, by whom. Never edited."""

    class Kind(models.TextChoices):
        GIVEN = "given", "Agreed to texts"
        WITHDRAWN = "withdrawn", "Declined texts"
        OPTED_OUT = "opted_out", "Opted out (STOP)"
        OPTED_IN = "opted_in", "Opted back in (START)"

    class Source(models.TextChoices):
        INTAKE = "intake", "At registration"
        FRONT_DESK = "front_desk", "Front desk"
        ONLINE_BOOKING = "online_booking", "Online booking"
        PATIENT_LINK = "patient_link", "The patient, from a message link"
        SMS_REPLY = "sms_reply", "The patient, by a text reply"

    patient = models.ForeignKey(
        Patient, on_delete=models.PROTECT, related_name="sms_consent_events"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    source = models.CharField(max_length=16, choices=Source.choices)
    at = models.DateTimeField(default=timezone.now)
    # Empty: the patient themself (a message link, a text reply, booking online).
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The number the consent was about, as it was then.
    mobile = PhoneNumberField(blank=True, max_length=20)

    class Meta:
        ordering = ["patient_id", "at", "id"]
        indexes = [models.Index(fields=["patient", "at"], name="smsconsent_patient_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.get_source_display()}) for {self.patient}"


class MessagesLink(models.Model):
    """A signed link to a patient's message preferences (intake:messages), carried by
    reminders and check-ins; it works for ``MESSAGES_LINK_DAYS`` from ``created_at``."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="messages_links")
    nonce = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["patient", "-created_at"], name="messageslink_patient_idx")]

    def __str__(self) -> str:
        return f"Message preferences link for {self.patient}"
