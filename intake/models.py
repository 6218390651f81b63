import unicodedata

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone


def fold(text: str) -> str:
    """Lower-case, accent-free form of a name, for search ("Hélène" -> "helene")."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold().strip()


alberta_health_number = RegexValidator(
    r"^\d{9}$", "An Alberta health number has exactly 9 digits (no spaces or dashes)."
)


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
    phone = models.CharField(max_length=30, blank=True)
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
    search_name = models.CharField(max_length=300, editable=False, default="")
    search_phone = models.CharField(max_length=30, editable=False, default="")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["legal_last_name", "legal_first_name", "id"]
        indexes = [
            models.Index(fields=["search_name"], name="patient_search_name_idx"),
            models.Index(fields=["search_phone"], name="patient_search_phone_idx"),
            models.Index(fields=["email"], name="patient_email_idx"),
            models.Index(fields=["date_of_birth"], name="patient_dob_idx"),
            models.Index(
                fields=["legal_last_name", "legal_first_name", "id"], name="patient_name_idx"
            ),
        ]

    def __str__(self) -> str:
        return self.full_name

    def save(self, *args, **kwargs):
        names = " ".join(
            filter(None, [self.legal_first_name, self.preferred_name, self.legal_last_name])
        )
        self.search_name = fold(names)
        self.search_phone = "".join(c for c in self.phone if c.isdigit())
        super().save(*args, **kwargs)

    def clean(self) -> None:
        today = timezone.localdate()
        if self.date_of_birth:
            if self.date_of_birth > today:
                raise ValidationError({"date_of_birth": "The date of birth is in the future."})
            if self.date_of_birth.year < today.year - 120:
                raise ValidationError({"date_of_birth": "Please check the year of birth."})

    @property
    def full_name(self) -> str:
        first = self.preferred_name or self.legal_first_name
        return f"{first} {self.legal_last_name}"

    @property
    def initials(self) -> str:
        return f"{self.legal_first_name[:1]}{self.legal_last_name[:1]}".upper()
