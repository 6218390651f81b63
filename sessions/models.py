from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models


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
