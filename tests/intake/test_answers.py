"""The intake answers' shape (intake/answers.py): what is stored reads back the same, and
rows stored before a key existed still read (no database)."""

import json
from datetime import date

from intake.answers import (
    READS,
    IntakeAnswers,
    Step,
    SurgeryAnswer,
    step_values,
    surgeries_values,
)
from intake.forms import STEP_SLUGS, STEPS, NeedlesStep, SurgeryRow
from intake.screening import NeedleFear, Pregnancy

# An intake as the questionnaire has stored it since the surgeries step had rows.
STORED = {
    "visit": {
        "reason": "Low back pain",
        "pain_areas": ["low_back"],
        "onset_date": "2024-01-10",
        "onset": "gradual",
        "pain_now": 5,
        "pain_best": 2,
        "pain_worst": 8,
    },
    "history": {"conditions": ["diabetes", "anticoagulants"], "medications": "", "allergies": ""},
    "surgeries": {"rows": [{"date": "2025-09-01", "description": "Knee arthroscopy"}]},
    "needles": {"pregnancy": "possibly", "needle_fear": "some"},
}


def test_stored_answers_read_back_byte_for_byte():
    answers = IntakeAnswers.from_json(json.loads(json.dumps(STORED)))
    assert json.dumps(answers.to_json()) == json.dumps(STORED)


def test_the_fields_screening_reads():
    answers = IntakeAnswers.from_json(STORED)
    assert answers.surgeries == (SurgeryAnswer(date(2025, 9, 1), "Knee arthroscopy"),)
    assert answers.conditions == {"diabetes", "anticoagulants"}
    assert answers.pregnancy == "possibly"
    assert answers.needle_fear == "some"


def test_a_surgery_row_round_trips():
    row = SurgeryAnswer(date(2025, 9, 1), "Knee arthroscopy")
    assert SurgeryAnswer.from_json(row.to_json()) == row
    assert surgeries_values([row]) == STORED["surgeries"]


def test_missing_steps_and_keys_read_as_unanswered():
    answers = IntakeAnswers.from_json({"needles": {"needle_fear": "none"}})
    assert answers.surgeries == ()
    assert answers.conditions == frozenset()
    assert answers.pregnancy is None
    assert answers.missing(["visit", "needles"]) == ["visit"]
    assert answers.initial("surgeries") == []
    assert answers.initial("visit") is None
    assert IntakeAnswers.from_json(None).to_json() == {}


def test_a_skipped_pregnancy_question_is_no_answer():
    assert IntakeAnswers.from_json({"needles": {"pregnancy": ""}}).pregnancy is None


def test_a_row_without_a_description_reads_as_an_empty_one():
    answers = IntakeAnswers.from_json({"surgeries": {"rows": [{"date": "2025-09-01"}]}})
    assert answers.surgeries == (SurgeryAnswer(date(2025, 9, 1), ""),)


def test_saving_a_step_again_keeps_the_other_steps_and_their_order():
    answers = IntakeAnswers.from_json(STORED).with_step("history", {"conditions": []})
    assert list(answers.to_json()) == list(STORED)
    assert answers.conditions == frozenset()
    assert STORED["history"]["conditions"] == ["diabetes", "anticoagulants"]  # not changed


def test_steps_and_keys_it_does_not_know_are_kept():
    stored = {**STORED, "legacy": {"x": 1}, "needles": {**STORED["needles"], "old_key": True}}
    answers = IntakeAnswers.from_json(stored).with_surgeries([])
    assert answers.to_json()["legacy"] == {"x": 1}
    assert answers.to_json()["needles"]["old_key"] is True


def test_a_step_is_stored_with_iso_dates_and_each_box_once():
    cleaned = {"onset_date": date(2024, 1, 10), "pain_areas": ["neck", "neck"], "pain_now": 0}
    assert step_values(cleaned) == {
        "onset_date": "2024-01-10",
        "pain_areas": ["neck"],
        "pain_now": 0,
    }


def test_every_key_the_accessor_reads_is_a_field_of_its_steps_form():
    forms = dict(STEPS)
    for step, keys in READS.items():
        fields = forms[step].base_fields
        for key in keys:
            assert key in fields, f"{step} step's form has no field {key!r}"


def test_the_surgeries_rows_are_the_formsets_fields():
    assert set(SurgeryAnswer(date(2025, 9, 1), "Knee").to_json()) == set(SurgeryRow.base_fields)


def test_the_steps_are_the_forms_in_order():
    assert STEP_SLUGS == list(Step)


def test_the_needle_fear_choices_are_the_screening_codes():
    assert [code for code, _ in NeedlesStep.base_fields["needle_fear"].choices] == list(NeedleFear)


def test_the_typed_writers_store_what_the_forms_store():
    answers = (
        IntakeAnswers()
        .with_history(conditions=["diabetes", "anticoagulants"])
        .with_needles(pregnancy=Pregnancy.POSSIBLY, needle_fear=NeedleFear.SOME)
    )
    stored = json.loads(json.dumps(answers.to_json()))
    assert stored["history"] == STORED["history"]
    assert stored["needles"] == STORED["needles"]
