"""How the intake and later health updates combine into screening facts (no database)."""

from datetime import UTC, date, datetime

from intake.models import HealthUpdate, Intake
from intake.screening import Outcome, Pregnancy, screen
from intake.services import health_facts

SUBMITTED = datetime(2026, 10, 1, 16, 0, tzinfo=UTC)


def intake(**answers) -> Intake:
    return Intake(number=1, status="submitted", submitted_at=SUBMITTED, answers=answers)


def update(day: int, **fields) -> HealthUpdate:
    return HealthUpdate(
        reported_at=datetime(2026, 11, day, 17, 0, tzinfo=UTC),
        source=f"safety check 2026-11-{day}",
        **fields,
    )


def test_a_surgery_reported_at_a_visit_counts_with_its_source():
    facts = health_facts(
        intake(), [update(5, surgery_date=date(2026, 11, 1), surgery_description="Scope")]
    )
    (surgery,) = facts.surgeries
    assert surgery.source == "safety check 2026-11-5"
    assert screen(facts, date(2026, 11, 20)).outcome == Outcome.CONTRAINDICATED


def test_the_latest_pregnancy_answer_wins():
    facts = health_facts(
        intake(needles={"pregnancy": "no"}),
        [update(5, pregnancy="possibly"), update(9, pregnancy="no")],
    )
    assert facts.pregnancy == Pregnancy.NO
    assert facts.pregnancy_source == "safety check 2026-11-9"


def test_new_blood_thinners_add_a_precaution():
    facts = health_facts(intake(), [update(5, anticoagulants=True)])
    assert "anticoagulants" in facts.conditions


def test_a_newer_intake_supersedes_older_answers_but_keeps_surgeries():
    older = HealthUpdate(
        reported_at=datetime(2026, 9, 1, tzinfo=UTC),
        source="safety check 2026-09-01",
        pregnancy="yes",
        anticoagulants=True,
        surgery_date=date(2026, 8, 30),
        surgery_description="Hip",
    )
    facts = health_facts(intake(needles={"pregnancy": "no"}), [older])
    assert facts.pregnancy == Pregnancy.NO
    assert "anticoagulants" not in facts.conditions
    assert [s.description for s in facts.surgeries] == ["Hip"]


def test_updates_without_any_intake_still_screen_but_flag_the_missing_intake():
    facts = health_facts(None, [update(5, pregnancy="yes")])
    verdict = screen(facts, date(2026, 11, 20))
    assert {r.code for r in verdict.reasons} == {"no_intake", "pregnancy"}
