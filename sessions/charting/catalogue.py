"""What the clinic sets up for charting and keeps up to date: who may needle
(``NeedlingAuthorisation``), the muscle catalogue and the aftercare templates. Visits
refer to these rows; nothing here refers to a visit."""

from datetime import date
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from sessions.charting import muscle_search


class NeedlingAuthorisationQuerySet(models.QuerySet):
    def valid_on(self, day: date) -> "NeedlingAuthorisationQuerySet":
        """Authorisations in force on ``day`` (both ends included; no end: open-ended)."""
        return self.filter(valid_from__lte=day).filter(
            models.Q(valid_until__isnull=True) | models.Q(valid_until__gte=day)
        )

    def valid_for(self, practitioner: Any, day: date) -> "NeedlingAuthorisation | None":
        """The practitioner's authorisation in force on ``day`` (the latest one to start),
        or None: what the needling hard stop and the physiotherapist's home page read."""
        return self.filter(practitioner=practitioner).valid_on(day).first()


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
    abbreviation = models.CharField(
        max_length=12, blank=True, help_text="The common abbreviation, for example UT or QL."
    )
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

    def search_words(self) -> frozenset[str]:
        """The folded words a search is matched against: name, abbreviation, region and
        the root text (so "CN XI" finds the trapezius)."""
        return muscle_search.words_of(
            self.name,
            self.abbreviation,
            self.get_region_display(),
            self.nerve_roots.replace("-", " "),
        )

    def root_segments(self) -> frozenset[str]:
        """The spinal segments of ``nerve_roots`` ("L4-S1" is L4, L5 and S1)."""
        return muscle_search.segments_of(self.nerve_roots)


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
