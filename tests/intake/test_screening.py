"""Screening is pure logic: no database here."""

from datetime import date, timedelta

import pytest

from intake.screening import (
    RULES,
    Badge,
    HealthFacts,
    Level,
    Outcome,
    Pregnancy,
    Surgery,
    screen,
)

VISIT = date(2027, 3, 10)


def facts(**kwargs) -> HealthFacts:
    return HealthFacts(source="intake #1, submitted 2027-01-05", screened=True, **kwargs)


def surgery(days_before_visit: int, description="Knee arthroscopy", source="intake #1"):
    return Surgery(VISIT - timedelta(days=days_before_visit), description, source)


def test_nothing_reported_is_clear():
    verdict = screen(facts(), VISIT)
    assert verdict.outcome == Outcome.CLEAR
    assert verdict.front_desk_answer() == "Yes"


def test_no_submitted_intake_needs_review():
    verdict = screen(HealthFacts(), VISIT)
    assert verdict.outcome == Outcome.PRECAUTIONS
    assert [r.code for r in verdict.reasons] == ["no_intake"]


def test_surgery_83_days_before_the_visit_is_contraindicated_until_day_84():
    verdict = screen(facts(surgeries=(surgery(83),)), VISIT)
    assert verdict.outcome == Outcome.CONTRAINDICATED
    (reason,) = verdict.contraindications
    assert reason.code == "recent_surgery"
    assert reason.until == VISIT + timedelta(days=1)
    assert verdict.eligible_from == VISIT + timedelta(days=1)
    assert reason.source == "intake #1"


def test_surgery_exactly_84_days_before_the_visit_is_eligible():
    assert screen(facts(surgeries=(surgery(84),)), VISIT).outcome == Outcome.CLEAR


def test_surgery_85_days_before_the_visit_is_eligible():
    assert screen(facts(surgeries=(surgery(85),)), VISIT).outcome == Outcome.CLEAR


def test_surgery_on_the_visit_day_is_contraindicated_for_84_days():
    verdict = screen(facts(surgeries=(surgery(0),)), VISIT)
    assert verdict.eligible_from == VISIT + timedelta(days=84)


def test_window_is_measured_to_the_visit_date_not_the_intake_date():
    """Blocked when the form was filled, eligible by a later visit."""
    surgery_day = date(2027, 1, 1)
    fs = facts(surgeries=(Surgery(surgery_day, "Hernia repair", "intake #1"),))
    assert screen(fs, date(2027, 1, 5)).outcome == Outcome.CONTRAINDICATED
    assert screen(fs, surgery_day + timedelta(days=84)).outcome == Outcome.CLEAR


def test_surgery_reported_after_the_intake_but_before_the_visit_blocks():
    """A surgery reported later (e.g. at the day-of-visit check) counts like any other."""
    later = Surgery(VISIT - timedelta(days=10), "Appendectomy", "visit check 2027-03-10")
    verdict = screen(facts(surgeries=(surgery(400), later)), VISIT)
    (reason,) = verdict.contraindications
    assert reason.source == "visit check 2027-03-10"
    assert reason.until == later.day + timedelta(days=84)


def test_several_surgeries_the_latest_decides_the_eligible_date():
    verdict = screen(facts(surgeries=(surgery(80), surgery(20, "Shoulder"), surgery(200))), VISIT)
    assert len(verdict.contraindications) == 2
    assert verdict.eligible_from == VISIT - timedelta(days=20) + timedelta(days=84)
    assert verdict.front_desk_answer() == (
        f"Not before {verdict.eligible_from.isoformat()}, physiotherapist to review"
    )


def test_surgery_dated_after_the_visit_is_flagged_for_review_not_blocked():
    verdict = screen(facts(surgeries=(surgery(-14, "Planned hip replacement"),)), VISIT)
    assert verdict.outcome == Outcome.PRECAUTIONS
    assert [r.code for r in verdict.reasons] == ["planned_surgery"]


@pytest.mark.parametrize("status", [Pregnancy.YES, Pregnancy.POSSIBLY])
def test_pregnancy_yes_or_possibly_is_contraindicated_without_end_date(status):
    verdict = screen(facts(pregnancy=status), VISIT)
    assert verdict.outcome == Outcome.CONTRAINDICATED
    assert verdict.eligible_from is None
    assert verdict.front_desk_answer() == "Not on this date, physiotherapist to review"


def test_pregnancy_and_surgery_no_end_date_while_pregnant():
    verdict = screen(facts(pregnancy=Pregnancy.POSSIBLY, surgeries=(surgery(10),)), VISIT)
    assert verdict.eligible_from is None


@pytest.mark.parametrize("status", [Pregnancy.NO, Pregnancy.NOT_APPLICABLE, None])
def test_no_pregnancy_is_clear(status):
    assert screen(facts(pregnancy=status), VISIT).outcome == Outcome.CLEAR


def test_prefer_to_discuss_pregnancy_is_a_precaution():
    verdict = screen(facts(pregnancy=Pregnancy.DISCUSS), VISIT)
    assert [r.code for r in verdict.precautions] == ["pregnancy_discuss"]


def test_checklist_items_and_needle_fear_are_precautions_with_source():
    verdict = screen(
        facts(conditions=frozenset({"anticoagulants", "epilepsy_fainting"}), needle_fear=True),
        VISIT,
    )
    assert verdict.outcome == Outcome.PRECAUTIONS
    assert {r.code for r in verdict.precautions} == {
        "anticoagulants",
        "epilepsy_fainting",
        "needle_fear",
    }
    assert all(r.source == "intake #1, submitted 2027-01-05" for r in verdict.reasons)
    assert verdict.front_desk_answer() == "Physiotherapist to review first"


def test_every_reason_code_has_a_rule_the_admin_can_read():
    codes = {rule.code for rule in RULES}
    fs = facts(
        pregnancy=Pregnancy.YES,
        conditions=frozenset({"diabetes", "lymphoedema"}),
        needle_fear=True,
        surgeries=(surgery(5), surgery(-5)),
    )
    assert {r.code for r in screen(fs, VISIT).reasons} <= codes
    assert all(rule.explanation for rule in RULES)


# --- One mapping from a verdict to its level and words -----------------------------

WORDING_CASES = {
    "clear": (facts(), Level.GO, "Yes", "may go ahead"),
    "no intake": (
        HealthFacts(),
        Level.REVIEW,
        "Not known yet: no health questionnaire on file, physiotherapist to screen first",
        "not screened",
    ),
    "discuss pregnancy": (
        facts(pregnancy=Pregnancy.DISCUSS),
        Level.REVIEW,
        "Physiotherapist to review first",
        "review first",
    ),
    "precaution": (
        facts(needle_fear=True),
        Level.REVIEW,
        "Physiotherapist to review first",
        "review first",
    ),
    "pregnancy possibly": (
        facts(pregnancy=Pregnancy.POSSIBLY),
        Level.STOP,
        "Not on this date, physiotherapist to review",
        "not on this date",
    ),
    "recent surgery": (
        facts(surgeries=(surgery(80),)),
        Level.STOP,
        f"Not before {(VISIT + timedelta(days=4)).isoformat()}, physiotherapist to review",
        f"not before {(VISIT + timedelta(days=4)).isoformat()}",
    ),
}


@pytest.mark.parametrize("case", WORDING_CASES, ids=list(WORDING_CASES))
def test_each_verdict_has_one_wording_for_front_desk_and_calendar(case):
    fs, level, answer, badge = WORDING_CASES[case]
    verdict = screen(fs, VISIT)
    assert verdict.wording.level == level
    assert verdict.front_desk_answer() == answer
    assert verdict.booking_badge() == Badge(badge, level)


@pytest.mark.parametrize("case", ["no intake", "discuss pregnancy"])
def test_front_desk_never_hears_yes_when_nothing_is_known(case):
    assert not screen(WORDING_CASES[case][0], VISIT).front_desk_answer().startswith("Yes")


def test_the_three_levels_differ_in_words():
    shown = {
        screen(WORDING_CASES[c][0], VISIT).wording
        for c in ["clear", "precaution", "pregnancy possibly"]
    }
    assert len({w.level for w in shown}) == len({w.badge for w in shown}) == 3
    assert len({w.answer for w in shown}) == len({w.title for w in shown}) == 3
