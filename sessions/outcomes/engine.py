"""The outcome-measure engine: what an instrument is (``Instrument``: items, answer
options, scoring rule, range, direction, MCID, licence) and the scoring rules, pure
functions of the answers. The instruments themselves are defined in ``instruments``.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum


class Licence(StrEnum):
    FREE = "free"  # wording ships with the app
    LICENSED = "licensed"  # structure and scoring only; the clinic loads the wording


@dataclass(frozen=True)
class Option:
    value: int
    label: str


@dataclass(frozen=True)
class Item:
    """One question. ``options``: the answers a patient picks from (radio buttons), in
    order. ``named``: the patient names the item themself (PSFS activities): the answer
    is a name and a rating. ``text`` is empty for a licensed instrument (the clinic's
    loaded wording stands in)."""

    key: str
    text: str
    options: tuple[Option, ...]
    required: bool = True
    named: bool = False


Answers = Mapping[str, int | None]


@dataclass(frozen=True)
class Score:
    """A scored questionnaire: ``value`` in the instrument's range (None: too many
    items missing to score, ``reason`` says so), and how many items counted."""

    value: Decimal | None
    answered: int
    reason: str = ""


@dataclass(frozen=True)
class Instrument:
    code: str
    name: str
    abbreviation: str
    purpose: str  # one line for staff: what it measures, for whom
    items: tuple[Item, ...]
    score_min: Decimal
    score_max: Decimal
    unit: str  # "points" or "%"
    higher_is_better: bool
    mcid: Decimal  # a change at least this large is clinically important
    scorer: Callable[["Instrument", Answers], Score] = field(repr=False)
    licence: Licence = Licence.FREE
    licence_note: str = ""  # who owns it, what use needs a licence (README)
    source: str = ""  # the published scoring instructions and MCID source
    # The scoring rule's limits, read by the scorers: how many items may be left
    # unanswered and still be scored, and the decimal places the score is rounded to.
    max_missing: int = 0
    places: int = 1

    def score(self, answers: Answers) -> Score:
        """Score ``answers`` ({item key: value or None}); unknown keys are ignored.
        Raises ValueError for a value outside an item's options."""
        for item in self.items:
            value = answers.get(item.key)
            if value is not None and value not in {o.value for o in item.options}:
                raise ValueError(f"{self.code}: {value!r} is not an answer to {item.key}")
        return self.scorer(self, answers)

    def improved_by(self, baseline: Decimal, latest: Decimal) -> Decimal:
        """The change from ``baseline`` to ``latest`` in the better direction (positive
        when the patient improved), in the score's unit."""
        change = latest - baseline
        return change if self.higher_is_better else -change

    def reached_mcid(self, baseline: Decimal, latest: Decimal) -> bool:
        """Whether the patient improved by at least the MCID."""
        return self.improved_by(baseline, latest) >= self.mcid


def rounded(value: Decimal, places: int = 1) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def _answered(instrument: Instrument, answers: Answers) -> list[int]:
    return [v for item in instrument.items if (v := answers.get(item.key)) is not None]


# --- Scoring rules (pure; worked examples in tests/sessions/outcomes/test_scoring.py) ----
#
# Each takes the instrument (its items, ``max_missing`` and ``places``) and the answers,
# and returns a Score; ``Instrument.score`` has already refused out-of-range values.
# Rounding is half up, to ``places`` decimals.


def _too_many_missing(instrument: Instrument, answered: list[int], noun: str) -> Score | None:
    """A refusal to score when more than ``instrument.max_missing`` items are missing."""
    total = len(instrument.items)
    missing = total - len(answered)
    if missing <= instrument.max_missing:
        return None
    return Score(
        None,
        len(answered),
        f"{missing} of {total} {noun} are missing: at most {instrument.max_missing} may be.",
    )


def score_single(instrument: Instrument, answers: Answers) -> Score:
    """One item's value is the score (NPRS)."""
    values = _answered(instrument, answers)
    if not values:
        return Score(None, 0, "The question was not answered.")
    return Score(Decimal(values[0]), 1)


def score_mean(instrument: Instrument, answers: Answers) -> Score:
    """The mean of the rated items, at least one (PSFS: the activities the patient
    named and rated)."""
    values = _answered(instrument, answers)
    if not values:
        return Score(None, 0, "No activity was rated: at least 1 must be.")
    return Score(rounded(Decimal(sum(values)) / len(values), instrument.places), len(values))


def score_percent_of_answered(instrument: Instrument, answers: Answers) -> Score:
    """The total as a percentage of the most the answered sections could add up to
    (NDI, ODI): ``total / (5 x answered) x 100`` for sections scored 0-5. With every
    section answered that is the published ``total x 2``; with some missing it equals
    letting the mean of the answered ones stand in for each missing one."""
    values = _answered(instrument, answers)
    if refusal := _too_many_missing(instrument, values, "sections"):
        return refusal
    most = sum(
        max(o.value for o in item.options)
        for item in instrument.items
        if answers.get(item.key) is not None
    )
    return Score(rounded(Decimal(sum(values)) * 100 / most, instrument.places), len(values))


def score_prorated_sum(instrument: Instrument, answers: Answers) -> Score:
    """The sum of the items (LEFS); with some missing (up to ``max_missing``), the mean
    of the answered ones times the number of items."""
    values = _answered(instrument, answers)
    if refusal := _too_many_missing(instrument, values, "items"):
        return refusal
    total = Decimal(sum(values)) * len(instrument.items) / len(values)
    return Score(rounded(total, instrument.places), len(values))


def score_dash(instrument: Instrument, answers: Answers) -> Score:
    """The (Quick)DASH disability/symptom score: ``((sum / n) - 1) x 25`` over the n
    answered items scored 1-5, from 0 (no disability) to 100."""
    values = _answered(instrument, answers)
    if refusal := _too_many_missing(instrument, values, "items"):
        return refusal
    value = (Decimal(sum(values)) / len(values) - 1) * 25
    return Score(rounded(value, instrument.places), len(values))
