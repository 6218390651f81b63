"""Charting's records: the visit note and what is recorded under it (sites, adverse
events, addenda, aftercare sent). The clinic's catalogues (who may needle, muscles,
aftercare templates) are in ``catalogue``.

A signed note never changes: ``Visit``, the rows under it and their querysets refuse
with ``NoteIsSigned``. The hard stops before needling are ``hard_stops``, a leaf module
these models import at the top."""

from datetime import date, datetime
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils import timezone

from clinic.clock import clinic_localtime
from intake import services as intake_services
from intake.screening import Verdict
from sessions.booking.models import Appointment
from sessions.charting.catalogue import AftercareTemplate, Muscle, NeedlingAuthorisation
from sessions.charting.hard_stops import Problem, needling_blockers

# Pain is rated on the numeric pain rating scale (NPRS), the field's standard 0-10 scale.
NPRS_HELP = "Numeric pain rating scale: 0 = no pain, 10 = worst pain imaginable."


# Domain limits with plain messages (the database's own limit reads 32767 or more).
NEEDLES_MAX = MaxValueValidator(200, "A visit uses at most 200 needles: check the count.")


# The clean-technique checklist, in the order the chart shows it.
CLEAN_TECHNIQUE = ("single_use_sterile", "skin_antisepsis", "gloves", "sharps_disposal")


class NoteIsSigned(ValidationError):
    """A signed visit note, or anything recorded under it, cannot change. ``MESSAGE`` is
    the one wording of that refusal, for services, models and the chart's views alike."""

    MESSAGE = "This note is signed; add an addendum instead."

    def __init__(self, message: str = MESSAGE):
        super().__init__(message, code="signed")


class DraftChanged(ValidationError):
    """The draft was written since the page that sent this write was loaded (another
    tab, or someone else): the write is refused rather than silently undoing theirs.
    ``version`` is the draft's version now, for the form shown again with the typing."""

    def __init__(self, *, version: int, changed_at: datetime):
        when = clinic_localtime(changed_at).strftime("%H:%M")
        super().__init__(
            f"This draft was changed in another tab or by someone else at {when}; "
            "reload to see their changes — your text is kept below.",
            code="conflict",
        )
        self.version = version


class NotTheAuthor(PermissionDenied):
    """A draft note, and a signed note's addenda, are written by its author alone (the
    physiotherapist who started it); anyone else may read it. Views answer 403 and audit
    the refusal."""

    MESSAGE = "Only the author of the note can change it."

    def __init__(self, message: str = MESSAGE):
        super().__init__(message)
        self.message = message


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
    # Counts the draft's writes; each chart form sends the one it was shown, and a write
    # from an older page is refused (DraftChanged).
    version = models.PositiveIntegerField(default=1, editable=False)
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
    nprs_before = models.PositiveSmallIntegerField(
        "NPRS before needling (0-10)",
        null=True,
        blank=True,
        validators=[MaxValueValidator(10, "NPRS runs from 0 to 10.")],
        help_text=NPRS_HELP,
    )
    change_since_last = models.CharField(max_length=8, choices=Change.choices, blank=True)
    soreness_after_last = models.CharField(
        "soreness after the last visit", max_length=300, blank=True
    )
    subjective = models.TextField(blank=True, max_length=4000)
    objective = models.TextField("objective findings", blank=True, max_length=4000)
    assessment = models.TextField(blank=True, max_length=4000)
    plan = models.TextField(blank=True, max_length=4000)
    nprs_after = models.PositiveSmallIntegerField(
        "NPRS after needling (0-10)",
        null=True,
        blank=True,
        validators=[MaxValueValidator(10, "NPRS runs from 0 to 10.")],
        help_text=NPRS_HELP,
    )
    # Needles and clean technique.
    needle_product = models.CharField(max_length=100, blank=True)
    needle_size = models.CharField(max_length=30, blank=True, help_text="For example 0.25 × 40 mm.")
    needle_lot = models.CharField("lot number", max_length=60, blank=True)
    needles_out = models.PositiveSmallIntegerField(
        "needles taken out", null=True, blank=True, validators=[NEEDLES_MAX]
    )
    needles_back = models.PositiveSmallIntegerField(
        "needles counted back", null=True, blank=True, validators=[NEEDLES_MAX]
    )
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
        return self.appointment.day

    @property
    def clean_technique_complete(self) -> bool:
        return all(getattr(self, name) for name in CLEAN_TECHNIQUE)

    @property
    def needle_count_matches(self) -> bool:
        return self.needles_out is not None and self.needles_out == self.needles_back

    def verdict(self) -> Verdict:
        """The screening verdict for the visit's date, from everything known now."""
        return intake_services.patient_verdict(self.patient, self.day).verdict

    def needling_authorisation(self) -> NeedlingAuthorisation | None:
        """The author's authorisation to needle, valid on the visit's date."""
        return NeedlingAuthorisation.objects.valid_for(self.author, self.day)

    def needling_blockers(self) -> list[Problem]:
        """The hard stops (``hard_stops.needling_blockers``) as they stand now."""
        return needling_blockers(
            self, self.verdict(), authorised=self.needling_authorisation() is not None
        )


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
        validators=[
            MinValueValidator(Decimal("0.5"), "Depth is at least 0.5 cm."),
            MaxValueValidator(Decimal("12"), "Depth is at most 12 cm."),
        ],
    )
    insertions = models.PositiveSmallIntegerField(
        default=1,
        validators=[
            MinValueValidator(1, "A site has at least 1 insertion."),
            MaxValueValidator(30, "A site has at most 30 insertions; add another site."),
        ],
    )
    twitch = models.CharField("twitch response", max_length=6, choices=Twitch.choices)
    tolerance = models.CharField(max_length=5, choices=Tolerance.choices, default=Tolerance.GOOD)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["visit_id", "created_at", "id"]
        indexes = [models.Index(fields=["visit", "created_at"], name="site_visit_idx")]

    def __str__(self) -> str:
        return f"{self.muscle.name} ({self.get_side_display()})"

    def clean_site(self) -> None:
        """The rules of one site by itself (the hard stops are the visit's)."""
        if self.muscle_id and self.muscle.is_paraspinal and not self.spinal_level:
            raise ValidationError({"spinal_level": "Give the spinal level for a paraspinal site."})

    def clean(self) -> None:
        self.clean_site()
        visit = getattr(self, "visit", None)  # may be a draft no one has saved yet
        if visit is not None:
            blockers = visit.needling_blockers()
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
