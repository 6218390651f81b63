"""Contraindication screening for IMS: plain functions over plain values, no database.

``screen(facts, visit_date)`` gives a ``Verdict``: ``clear``, ``precautions`` (each
needs the physiotherapist's acknowledgement) or ``contraindicated`` (no needling on
that date). Each reason names its source and, when it runs out, the first date on
which it no longer applies. ``RULES`` describes every rule for the clinic admin.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from typing import NamedTuple

SURGERY_WINDOW_DAYS = 84  # 12 weeks


class Outcome(StrEnum):
    CLEAR = "clear"
    PRECAUTIONS = "precautions"
    CONTRAINDICATED = "contraindicated"


class Pregnancy(StrEnum):
    NO = "no"
    YES = "yes"
    POSSIBLY = "possibly"
    DISCUSS = "discuss"
    NOT_APPLICABLE = "not_applicable"


class NeedleFear(StrEnum):
    """How the patient feels about needles; ``SOME`` and ``STRONG`` are a precaution."""

    NONE = "none"
    SOME = "some"
    STRONG = "strong"


# Medical history checklist: code -> label shown to the patient.
CONDITIONS: dict[str, str] = {
    "bleeding_disorder": "A bleeding or clotting disorder",
    "anticoagulants": "Blood thinners (anticoagulant or antiplatelet medication)",
    "diabetes": "Diabetes",
    "immune": "A weakened immune system (illness or medication)",
    "epilepsy_fainting": "Epilepsy, seizures or fainting",
    "lymphoedema": "Lymphoedema (swelling after lymph node removal or damage)",
    "metal_allergy": "Allergy to metal (for example nickel)",
    "implant": "A pacemaker or other implanted device",
    "skin": "A skin infection or skin condition",
    "cancer": "Cancer (now or in the past)",
}


@dataclass(frozen=True)
class Rule:
    code: str
    kind: Outcome
    title: str
    explanation: str


RULES: list[Rule] = [
    Rule(
        "no_intake",
        Outcome.PRECAUTIONS,
        "No health questionnaire on file",
        "Without a submitted intake nothing is known about contraindications; the "
        "physiotherapist screens the patient in person before needling.",
    ),
    Rule(
        "pregnancy",
        Outcome.CONTRAINDICATED,
        "Pregnancy (yes or possibly)",
        "IMS is not given during pregnancy because needling can bring on labour. "
        "Status can change, so it is confirmed again on the day of every needling visit.",
    ),
    Rule(
        "recent_surgery",
        Outcome.CONTRAINDICATED,
        f"Surgery in the last {SURGERY_WINDOW_DAYS // 7} weeks",
        f"No needling within {SURGERY_WINDOW_DAYS} days after surgery. The window runs from "
        "the surgery date to the visit date, so the verdict names the first date needling "
        "may be considered again.",
    ),
    Rule(
        "planned_surgery",
        Outcome.PRECAUTIONS,
        "Surgery planned after the visit",
        "A surgery dated after the visit is flagged for the physiotherapist to review "
        "(needling shortly before an operation may not be wise).",
    ),
    Rule(
        "pregnancy_discuss",
        Outcome.PRECAUTIONS,
        "Pregnancy: patient prefers to discuss",
        "The physiotherapist confirms pregnancy status in person before needling.",
    ),
    *(
        Rule(
            code,
            Outcome.PRECAUTIONS,
            label,
            "Reported on the medical history checklist; needling may still be possible, "
            "but the physiotherapist must weigh it and acknowledge it first.",
        )
        for code, label in CONDITIONS.items()
    ),
    Rule(
        "needle_fear",
        Outcome.PRECAUTIONS,
        "Fear of needles",
        "Fainting and distress are more likely; the physiotherapist adapts the approach.",
    ),
]
RULES_BY_CODE = {rule.code: rule for rule in RULES}


@dataclass(frozen=True)
class Surgery:
    day: date
    description: str
    source: str  # e.g. "intake #3"


@dataclass(frozen=True)
class HealthFacts:
    """What screening needs to know about a patient, with where each fact came from."""

    source: str = ""  # e.g. "intake #3, submitted 2026-11-02"
    screened: bool = False  # False: no submitted health questionnaire yet
    pregnancy: Pregnancy | None = None
    pregnancy_source: str = ""
    conditions: frozenset[str] = frozenset()
    needle_fear: bool = False
    surgeries: tuple[Surgery, ...] = ()


@dataclass(frozen=True)
class Reason:
    code: str
    kind: Outcome
    message: str
    source: str
    until: date | None = None  # first date on which the reason no longer applies

    @property
    def title(self) -> str:
        return RULES_BY_CODE[self.code].title


class Level(StrEnum):
    """The three answers a verdict comes down to, for every role and page. How each
    looks (colour, symbol) is the presentation layer's: ``intake/templatetags/verdicts.py``."""

    GO = "go"  # needling may go ahead
    REVIEW = "review"  # the physiotherapist reviews first (or nothing is known yet)
    STOP = "stop"  # not on this date


# The level a reason of each kind brings a verdict to (a rule's kind on the rules page).
KIND_LEVEL: dict[Outcome, Level] = {
    Outcome.CLEAR: Level.GO,
    Outcome.PRECAUTIONS: Level.REVIEW,
    Outcome.CONTRAINDICATED: Level.STOP,
}


class Badge(NamedTuple):
    """A needling badge on calendars: its words and its level."""

    label: str
    level: Level


@dataclass(frozen=True)
class Wording:
    """What one verdict says: the one mapping from a verdict to its level and words."""

    level: Level
    answer: str  # front desk: may needling go ahead on the date (no clinical detail)
    badge: str  # calendar badge, after "Needling:"
    title: str  # the physiotherapist's label for the outcome


def verdict_wording(verdict: "Verdict") -> Wording:
    """Words per level. Never a "yes" unless screening found nothing: an unscreened
    patient, or one who would rather discuss pregnancy, is a review, not a go-ahead."""
    if verdict.outcome == Outcome.CONTRAINDICATED:
        if verdict.eligible_from:
            day = verdict.eligible_from.isoformat()
            return Wording(
                Level.STOP,
                f"Not before {day}, physiotherapist to review",
                f"not before {day}",
                "Contraindicated",
            )
        return Wording(
            Level.STOP,
            "Not on this date, physiotherapist to review",
            "not on this date",
            "Contraindicated",
        )
    if verdict.outcome == Outcome.PRECAUTIONS:
        if any(r.code == "no_intake" for r in verdict.reasons):
            return Wording(
                Level.REVIEW,
                "Not known yet: no health questionnaire on file, physiotherapist to screen first",
                "not screened",
                "Not screened",
            )
        return Wording(
            Level.REVIEW, "Physiotherapist to review first", "review first", "Precautions"
        )
    return Wording(Level.GO, "Yes", "may go ahead", "Clear")


@dataclass(frozen=True)
class Verdict:
    visit_date: date
    reasons: tuple[Reason, ...] = field(default_factory=tuple)

    @property
    def contraindications(self) -> list[Reason]:
        return [r for r in self.reasons if r.kind == Outcome.CONTRAINDICATED]

    @property
    def precautions(self) -> list[Reason]:
        return [r for r in self.reasons if r.kind == Outcome.PRECAUTIONS]

    @property
    def outcome(self) -> Outcome:
        if self.contraindications:
            return Outcome.CONTRAINDICATED
        if self.precautions:
            return Outcome.PRECAUTIONS
        return Outcome.CLEAR

    @property
    def eligible_from(self) -> date | None:
        """The first date every contraindication has run out, if all of them do."""
        untils = [r.until for r in self.contraindications]
        if not untils or None in untils:
            return None
        return max(u for u in untils if u is not None)

    @property
    def wording(self) -> Wording:
        return verdict_wording(self)

    def booking_badge(self) -> Badge:
        """The calendar badge: may go ahead, review first, not screened, not before <date>."""
        wording = self.wording
        return Badge(wording.badge, wording.level)

    def front_desk_answer(self) -> str:
        """Whether needling may go ahead on the date, without any clinical detail."""
        return self.wording.answer


def screen(facts: HealthFacts, visit_date: date) -> Verdict:
    """The verdict for needling on ``visit_date``: every reason found, each with its
    source; a surgery blocks for SURGERY_WINDOW_DAYS days from its date. Raises nothing."""
    reasons: list[Reason] = []
    if not facts.screened:
        reasons.append(
            Reason("no_intake", Outcome.PRECAUTIONS, "No submitted intake yet.", "patient record")
        )
    if facts.pregnancy in (Pregnancy.YES, Pregnancy.POSSIBLY):
        reasons.append(
            Reason(
                "pregnancy",
                Outcome.CONTRAINDICATED,
                f"Pregnancy reported as '{facts.pregnancy.value}'.",
                facts.pregnancy_source or facts.source,
            )
        )
    elif facts.pregnancy == Pregnancy.DISCUSS:
        reasons.append(
            Reason(
                "pregnancy_discuss",
                Outcome.PRECAUTIONS,
                "Patient prefers to discuss pregnancy in person.",
                facts.pregnancy_source or facts.source,
            )
        )
    for surgery in sorted(facts.surgeries, key=lambda s: s.day):
        label = surgery.description or "Surgery"
        if surgery.day > visit_date:
            reasons.append(
                Reason(
                    "planned_surgery",
                    Outcome.PRECAUTIONS,
                    f"{label} dated {surgery.day.isoformat()}, after the visit.",
                    surgery.source,
                )
            )
            continue
        until = surgery.day + timedelta(days=SURGERY_WINDOW_DAYS)
        if visit_date < until:
            reasons.append(
                Reason(
                    "recent_surgery",
                    Outcome.CONTRAINDICATED,
                    f"{label} on {surgery.day.isoformat()}, "
                    f"{(visit_date - surgery.day).days} days before the visit.",
                    surgery.source,
                    until=until,
                )
            )
    for code in CONDITIONS:
        if code in facts.conditions:
            reasons.append(
                Reason(
                    code,
                    Outcome.PRECAUTIONS,
                    "Ticked on the medical history checklist.",
                    facts.source,
                )
            )
    if facts.needle_fear:
        reasons.append(
            Reason("needle_fear", Outcome.PRECAUTIONS, "Reports fear of needles.", facts.source)
        )
    return Verdict(visit_date=visit_date, reasons=tuple(reasons))
