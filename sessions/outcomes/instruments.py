"""Outcome measures defined by data: an ``Instrument`` is its items, their answer
scales, which are required, its scoring rule (a pure function of the answers), its
score range and direction and its minimal clinically important difference (MCID).
One generic form (``forms.QuestionnaireForm``) asks any of them; nothing here touches
the database.

Item wording: an instrument whose licence lets clinic software carry it ships its own
(written for this app, ``licence == FREE``). One whose wording needs a licence from
its owner ships only its structure and scoring (``LICENSED``): the clinic admin loads
the wording their licence gives them (``models.InstrumentWording``), and until then it
cannot be sent. ``README.md`` ("Outcome measures") says which is which and why.

Registry: ``INSTRUMENTS`` by code; ``get(code)`` raises KeyError for an unknown one.
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


# --- Scoring rules (pure; worked examples in tests/sessions/outcomes/) --------------------


def score_single(instrument: Instrument, answers: Answers) -> Score:
    """One item's value is the score (NPRS)."""
    values = _answered(instrument, answers)
    if not values:
        return Score(None, 0, "The question was not answered.")
    return Score(Decimal(values[0]), 1)


NPRS_OPTIONS = tuple(
    Option(n, label)
    for n, label in [
        (0, "0 (no pain)"),
        *[(n, str(n)) for n in range(1, 10)],
        (10, "10 (worst pain imaginable)"),
    ]
)

NPRS = Instrument(
    code="nprs",
    name="Numeric Pain Rating Scale",
    abbreviation="NPRS",
    purpose="Pain intensity, any region: 0 no pain to 10 the worst imaginable.",
    items=(
        Item(
            key="pain",
            text="How bad has your pain been, on average, over the last 24 hours?",
            options=NPRS_OPTIONS,
        ),
    ),
    score_min=Decimal(0),
    score_max=Decimal(10),
    unit="points",
    higher_is_better=False,
    mcid=Decimal(2),
    scorer=score_single,
    licence=Licence.FREE,
    licence_note="A generic 0-10 rating scale: no owner, free to use.",
    source="Farrar JT et al. Pain 2001;94:149-58 (MCID 2 points, or 30%).",
)

INSTRUMENTS: dict[str, Instrument] = {i.code: i for i in (NPRS,)}


def get(code: str) -> Instrument:
    """The instrument with ``code``. Raises KeyError for an unknown code."""
    return INSTRUMENTS[code]


def choices() -> list[tuple[str, str]]:
    """(code, name) of every instrument, for a select."""
    return [(i.code, f"{i.name} ({i.abbreviation})") for i in INSTRUMENTS.values()]
