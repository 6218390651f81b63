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

The step slugs (``Step``) and the keys read here (``Key``) are named once, in this
module; the step forms' fields carry the same names, which
``tests/intake/test_answers.py`` checks, so renaming a field cannot make a key read as
unanswered in silence.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any


class Step(StrEnum):
    """The intake's steps, in order: the slug in the address and in the stored JSON."""

    VISIT = "visit"
    NERVE = "nerve"
    HISTORY = "history"
    SURGERIES = "surgeries"
    NEEDLES = "needles"


# The page after the steps: its answer is the signed consent (``IntakeConsent``), which
# is not kept in the answers.
CONSENT = "consent"


class Key:
    """The keys this module reads from a step (each is a field of the step's form)."""

    CONDITIONS = "conditions"
    PREGNANCY = "pregnancy"
    NEEDLE_FEAR = "needle_fear"
    ROWS = "rows"  # the surgeries step: a formset, stored as its filled rows


# Which keys the accessor reads, by step (the surgeries rows are SurgeryAnswer's).
READS: dict[Step, tuple[str, ...]] = {
    Step.HISTORY: (Key.CONDITIONS,),
    Step.NEEDLES: (Key.PREGNANCY, Key.NEEDLE_FEAR),
}

SURGERIES = Step.SURGERIES


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
    return {Key.ROWS: [row.to_json() for row in rows]}


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
            return self.step(SURGERIES).get(Key.ROWS, [])
        return self.steps.get(slug)

    def with_step(self, slug: str, values: dict) -> "IntakeAnswers":
        """These answers with the step's values (from ``step_values`` or
        ``surgeries_values``) put in, replacing what the step held."""
        return IntakeAnswers({**self.steps, slug: values})

    def with_surgeries(self, rows: Iterable[SurgeryAnswer]) -> "IntakeAnswers":
        return self.with_step(SURGERIES, surgeries_values(rows))

    def with_history(
        self, *, conditions: Iterable[str] = (), medications: str = "", allergies: str = ""
    ) -> "IntakeAnswers":
        """These answers with the history step written as its form would store it
        (for writers without a form, such as the seed commands)."""
        return self.with_step(
            Step.HISTORY,
            {Key.CONDITIONS: list(conditions), "medications": medications, "allergies": allergies},
        )

    def with_needles(self, *, pregnancy: str, needle_fear: str) -> "IntakeAnswers":
        """These answers with the needles step's two screened answers (codes of
        ``screening.Pregnancy`` and ``screening.NeedleFear``), as its form stores them."""
        return self.with_step(
            Step.NEEDLES, {Key.PREGNANCY: pregnancy, Key.NEEDLE_FEAR: needle_fear}
        )

    @property
    def surgeries(self) -> tuple[SurgeryAnswer, ...]:
        rows = self.step(SURGERIES).get(Key.ROWS, [])
        return tuple(SurgeryAnswer.from_json(row) for row in rows)

    @property
    def conditions(self) -> frozenset[str]:
        """Codes ticked on the medical history checklist (``screening.CONDITIONS``)."""
        return frozenset(self.step(Step.HISTORY).get(Key.CONDITIONS, []))

    @property
    def pregnancy(self) -> str | None:
        """The pregnancy answer's code (``screening.Pregnancy``), None if skipped."""
        return self.step(Step.NEEDLES).get(Key.PREGNANCY) or None

    @property
    def needle_fear(self) -> str | None:
        """The needle-fear answer's code (``screening.NeedleFear``), None if unanswered."""
        return self.step(Step.NEEDLES).get(Key.NEEDLE_FEAR)
