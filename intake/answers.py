"""The shape of an intake's answers (``Intake.answers``): read and written only here.

Stored as JSON, one object per step, under the step's slug::

    {"visit": {"reason": "...", "onset_date": "2026-01-10", "pain_now": 5, ...},
     "nerve": {"light_touch_hurts": "yes", ...},
     "history": {"conditions": ["diabetes"], "medications": "...", "allergies": ""},
     "surgeries": {"rows": [{"date": "2025-09-01", "description": "Knee arthroscopy"}]},
     "needles": {"pregnancy": "no", "needle_fear": "some", ...}}

A step is there once the patient saved it valid; its values are what the step's form
cleaned, dates as ISO text and ticked boxes once each. Steps and keys this module does
not know are kept as they are, and a key missing from an older row reads as unanswered.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

SURGERIES = "surgeries"


@dataclass(frozen=True)
class SurgeryAnswer:
    """One row of the surgeries step: a surgery or procedure, done or planned."""

    day: date
    description: str = ""

    @classmethod
    def from_json(cls, row: Mapping[str, Any]) -> "SurgeryAnswer":
        return cls(date.fromisoformat(row["date"]), row.get("description", ""))

    def to_json(self) -> dict:
        return {"date": self.day.isoformat(), "description": self.description}


def step_values(cleaned: Mapping[str, Any]) -> dict[str, Any]:
    """A step form's cleaned data as stored: dates as ISO text, a box ticked twice once."""

    def plain(value: Any) -> Any:
        if isinstance(value, date):
            return value.isoformat()
        if isinstance(value, list):
            return list(dict.fromkeys(value))
        return value

    return {name: plain(value) for name, value in cleaned.items()}


def surgeries_values(rows: Iterable[SurgeryAnswer]) -> dict:
    """The surgeries step as stored."""
    return {"rows": [row.to_json() for row in rows]}


@dataclass(frozen=True)
class IntakeAnswers:
    """An intake's answers, by step. Build one with ``from_json(intake.answers)``; a
    change gives a new one, stored with ``to_json()``."""

    steps: Mapping[str, dict] = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> "IntakeAnswers":
        return cls(dict(data or {}))

    def to_json(self) -> dict:
        return dict(self.steps)

    def has(self, slug: str) -> bool:
        """Whether the step was saved valid."""
        return slug in self.steps

    def missing(self, slugs: Iterable[str]) -> list[str]:
        return [slug for slug in slugs if slug not in self.steps]

    def step(self, slug: str) -> dict:
        """The step's stored values (empty if not answered)."""
        return self.steps.get(slug) or {}

    def initial(self, slug: str) -> dict | list[dict] | None:
        """What the step's form starts from: the stored values, or for the surgeries
        formset its rows."""
        if slug == SURGERIES:
            return self.step(SURGERIES).get("rows", [])
        return self.steps.get(slug)

    def with_step(self, slug: str, values: dict) -> "IntakeAnswers":
        """These answers with the step's values (from ``step_values`` or
        ``surgeries_values``) put in, replacing what the step held."""
        return IntakeAnswers({**self.steps, slug: values})

    def with_surgeries(self, rows: Iterable[SurgeryAnswer]) -> "IntakeAnswers":
        return self.with_step(SURGERIES, surgeries_values(rows))

    @property
    def surgeries(self) -> tuple[SurgeryAnswer, ...]:
        return tuple(SurgeryAnswer.from_json(row) for row in self.step(SURGERIES).get("rows", []))

    @property
    def conditions(self) -> frozenset[str]:
        """Codes ticked on the medical history checklist (``screening.CONDITIONS``)."""
        return frozenset(self.step("history").get("conditions", []))

    @property
    def pregnancy(self) -> str | None:
        """The pregnancy answer's code (``screening.Pregnancy``), None if skipped."""
        return self.step("needles").get("pregnancy") or None

    @property
    def needle_fear(self) -> str | None:
        """``none``, ``some`` or ``strong``."""
        return self.step("needles").get("needle_fear")
