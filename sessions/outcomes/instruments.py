"""Outcome measures defined by data: an ``Instrument`` is its items, their answer
scales, which are required, its scoring rule (a pure function of the answers), its
score range and direction and its minimal clinically important difference (MCID).
One generic form (``forms.QuestionnaireForm``) asks any of them; nothing here touches
the database.

Item wording: an instrument whose licence lets clinic software carry it ships its own
(written for this app, ``licence == FREE``). One whose wording needs a licence from
its owner ships only its structure and scoring (``LICENSED``): the clinic admin loads
the wording their licence gives them (``models.InstrumentWording``), and until then it
cannot be sent. ``README.md`` ("Outcome measures: instruments and licences") says
which is which and why; ``wording.py`` gives the wording a patient sees.

Registry: ``INSTRUMENTS`` by code; ``get(code)`` raises KeyError for an unknown one.
"""

from decimal import Decimal

from sessions.outcomes.engine import (
    Answers,
    Instrument,
    Item,
    Licence,
    Option,
    Score,
    rounded,
    score_dash,
    score_mean,
    score_percent_of_answered,
    score_prorated_sum,
    score_single,
)

__all__ = [
    "INSTRUMENTS",
    "Answers",
    "Instrument",
    "Item",
    "Licence",
    "Option",
    "Score",
    "choices",
    "get",
    "rounded",
]


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


def _neutral(low: int, high: int) -> tuple[Option, ...]:
    """Options labelled only by their number: a licensed instrument's own labels are
    part of its wording, which the clinic loads."""
    return tuple(Option(n, str(n)) for n in range(low, high + 1))


def _licensed_items(keys: tuple[str, ...], low: int, high: int) -> tuple[Item, ...]:
    # Not required one by one: each of these instruments scores with a few items
    # missing (``max_missing``: a patient who does not drive skips NDI's driving), and
    # the scoring rule refuses beyond that (``questionnaire_submit`` says so).
    return tuple(
        Item(key=key, text="", options=_neutral(low, high), required=False) for key in keys
    )


# The wording below was written for this app; it is not the published PSFS wording.
PSFS_OPTIONS = tuple(
    Option(n, label)
    for n, label in [
        (0, "0 (I can't do it at all)"),
        *[(n, str(n)) for n in range(1, 10)],
        (10, "10 (as well as before this problem)"),
    ]
)
PSFS_TEXT = (
    "Name an everyday activity that your problem makes hard for you, then say how "
    "well you can do it today."
)

PSFS = Instrument(
    code="psfs",
    name="Patient-Specific Functional Scale",
    abbreviation="PSFS",
    purpose=(
        "Function in activities the patient chooses (3 to 5), any region: each 0 "
        "unable to 10 as before the problem; the score is their mean."
    ),
    items=tuple(
        Item(
            key=f"activity_{n}",
            text=PSFS_TEXT if n == 1 else "Another activity that is hard for you (optional).",
            options=PSFS_OPTIONS,
            required=n == 1,
            named=True,
        )
        for n in range(1, 6)
    ),
    score_min=Decimal(0),
    score_max=Decimal(10),
    unit="points",
    higher_is_better=True,
    mcid=Decimal(2),
    scorer=score_mean,
    licence=Licence.FREE,
    licence_note=(
        "Stratford P, Gill C, Westaway M, Binkley J (1995). Published in a journal, free "
        "to use; the wording here is the app's own plain-language text."
    ),
    source=(
        "Scoring: Stratford P et al. Physiother Can 1995;47:258-263 (mean of the rated "
        "activities). MCID 2 points on the mean score: Horn KK et al. J Orthop Sports Phys "
        "Ther 2012;42(1):30-42."
    ),
    max_missing=4,
    places=1,
)

NDI = Instrument(
    code="ndi",
    name="Neck Disability Index",
    abbreviation="NDI",
    purpose="Disability from neck pain: 10 sections 0-5, as a percentage (0 none, 100 most).",
    items=_licensed_items(
        (
            "pain_intensity",
            "personal_care",
            "lifting",
            "reading",
            "headaches",
            "concentration",
            "work",
            "driving",
            "sleeping",
            "recreation",
        ),
        0,
        5,
    ),
    score_min=Decimal(0),
    score_max=Decimal(100),
    unit="%",
    higher_is_better=False,
    mcid=Decimal(10),
    scorer=score_percent_of_answered,
    licence=Licence.LICENSED,
    licence_note=(
        "(c) Howard Vernon; distributed by Mapi Research Trust (ePROVIDE, "
        "https://eprovide.mapi-trust.org/). Use in commercial software needs the "
        "owner's permission: the app ships structure and scoring only."
    ),
    source=(
        "Scoring: Vernon H, Mior S. J Manipulative Physiol Ther 1991;14:409-415 (sum x 2 "
        "as a percentage). Missing sections (at most 2; the mean of the answered ones "
        "stands in): Vernon H. J Manipulative Physiol Ther 2008;31:491-502. MCID 5 of 50 "
        "points = 10 percentage points: Stratford PW et al. Physiother Can 1999;51:107-112 "
        "(published estimates range 5-10 points, Vernon 2008)."
    ),
    max_missing=2,
    places=1,
)

ODI = Instrument(
    code="odi",
    name="Oswestry Disability Index (v2.1a)",
    abbreviation="ODI",
    purpose=("Disability from low back pain: 10 sections 0-5, as a percentage (0 none, 100 most)."),
    items=_licensed_items(
        (
            "pain_intensity",
            "personal_care",
            "lifting",
            "walking",
            "sitting",
            "standing",
            "sleeping",
            "sex_life",
            "social_life",
            "travelling",
        ),
        0,
        5,
    ),
    score_min=Decimal(0),
    score_max=Decimal(100),
    unit="%",
    higher_is_better=False,
    mcid=Decimal(10),
    scorer=score_percent_of_answered,
    licence=Licence.LICENSED,
    licence_note=(
        "(c) Jeremy Fairbank; distributed by Mapi Research Trust (ePROVIDE, "
        "https://eprovide.mapi-trust.org/instruments/oswestry-disability-index). Use "
        "needs a licence from Mapi: the app ships structure and scoring only."
    ),
    source=(
        "Scoring: Fairbank JCT, Pynsent PB. Spine 2000;25:2940-2953 (total / (5 x "
        "answered sections) x 100; a missed section is left out of both). At most 2 "
        "missing is this app's limit. MCID 10 points: Ostelo RWJG et al. Spine "
        "2008;33:90-94."
    ),
    max_missing=2,
    places=1,
)

LEFS = Instrument(
    code="lefs",
    name="Lower Extremity Functional Scale",
    abbreviation="LEFS",
    purpose="Function of the leg (hip to foot): 20 activities 0-4, total 0-80 (80 no difficulty).",
    items=_licensed_items(
        (
            "usual_work",
            "hobbies",
            "bath",
            "walking_rooms",
            "shoes_socks",
            "squatting",
            "lifting_floor",
            "light_home",
            "heavy_home",
            "car",
            "walking_2_blocks",
            "walking_mile",
            "stairs",
            "standing_hour",
            "sitting_hour",
            "running_even",
            "running_uneven",
            "sharp_turns",
            "hopping",
            "rolling_bed",
        ),
        0,
        4,
    ),
    score_min=Decimal(0),
    score_max=Decimal(80),
    unit="points",
    higher_is_better=True,
    mcid=Decimal(9),
    scorer=score_prorated_sum,
    licence=Licence.LICENSED,
    licence_note=(
        "Binkley JM et al. Phys Ther 1999;79:371-383, whose form is reprinted with the "
        "permission of the American Physical Therapy Association (APTA). No free licence "
        "for software was found, so the app treats it as licensed and ships structure "
        "and scoring only."
    ),
    source=(
        "Scoring: Binkley JM et al. Phys Ther 1999;79:371-383 (sum of 20 items, 0-80; "
        "MCID 9 points). The paper gives no rule for missing items: this app prorates "
        "(mean of the answered x 20) with at most 4 missing, rounded to a whole point."
    ),
    max_missing=4,
    places=0,
)

QUICKDASH = Instrument(
    code="quickdash",
    name="QuickDASH (Disabilities of the Arm, Shoulder and Hand, short form)",
    abbreviation="QuickDASH",
    purpose="Disability and symptoms of the arm, shoulder or hand: 11 items 1-5, 0-100 (100 most).",
    items=_licensed_items(
        (
            "open_jar",
            "heavy_chores",
            "carry_bag",
            "wash_back",
            "knife",
            "recreation_force",
            "social_activities",
            "work_limited",
            "arm_pain",
            "tingling",
            "sleeping",
        ),
        1,
        5,
    ),
    score_min=Decimal(0),
    score_max=Decimal(100),
    unit="points",
    higher_is_better=False,
    mcid=Decimal("15.91"),
    scorer=score_dash,
    licence=Licence.LICENSED,
    licence_note=(
        "(c) Institute for Work & Health (IWH). Free for non-commercial clinical use; "
        "use in commercial software needs a paid IWH licence (Category B, "
        "https://dash.iwh.on.ca/licences): the app ships structure and scoring only."
    ),
    source=(
        "Scoring: IWH QuickDASH scoring instructions; Beaton DE et al. J Bone Joint Surg "
        "Am 2005;87:1038-1046 (((sum / n) - 1) x 25, at least 10 of 11 items answered). "
        "MCID 15.91 points: Franchignoni F et al. J Orthop Sports Phys Ther "
        "2014;44(1):30-39."
    ),
    max_missing=1,
    places=2,
)


INSTRUMENTS: dict[str, Instrument] = {i.code: i for i in (NPRS, PSFS, NDI, ODI, LEFS, QUICKDASH)}


def get(code: str) -> Instrument:
    """The instrument with ``code``. Raises KeyError for an unknown code."""
    return INSTRUMENTS[code]


def choices() -> list[tuple[str, str]]:
    """(code, name) of every instrument, for a select."""
    return [(i.code, f"{i.name} ({i.abbreviation})") for i in INSTRUMENTS.values()]
