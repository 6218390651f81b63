"""Every intake step and the consent, fuzzed (issue 7, item 8): hypothesis-made data (200
examples per form) posted through the test client as an attacker or a confused browser
could, both form encodings, repeated and stray fields. After every post the server has
not failed, and whatever was stored is valid, checked against rules written out here
rather than by asking the forms again."""

import re
from collections import Counter
from datetime import date, timedelta

import pytest
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from intake.forms import ONSET, PAIN_AREAS, STEP_SLUGS
from intake.models import ConsentText, Intake
from intake.screening import CONDITIONS, Pregnancy
from tests.clinic.fuzzing.conftest import (
    NPRS_RATINGS,
    VALID_STEPS,
    _is_choice_list,
    _is_nprs,
    _is_text,
    assert_reached,
    new_intake_link,
    post,
)
from tests.clinic.fuzzing.strategies import FUZZ, form_data


def _capped_rows(data: dict) -> dict:
    """A surgeries row count above 40 made 41: Django renders up to 1,030 rows for a huge
    count, half a second each time; test_a_huge_surgery_row_count_... covers that once."""

    def cap(value: str) -> str:
        digits = value.strip()
        return "41" if digits.isdecimal() and (len(digits) > 2 or int(digits) > 40) else value

    value = data.get("surgeries-TOTAL_FORMS")
    if value is None:
        return data
    capped = [cap(v) for v in value] if isinstance(value, list) else cap(value)
    return {**data, "surgeries-TOTAL_FORMS": capped}


def _day(value) -> date | None:
    try:
        return date.fromisoformat(value) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value) else None
    except (TypeError, ValueError):
        return None


def invalid_answers(intake: Intake, steps=STEP_SLUGS) -> list[str]:
    """What is wrong with the stored (validated) answers of ``steps``; empty when all is
    well. A repeated choice is let through here: see test_a_repeated_choice_..."""
    today = timezone.localdate()
    dob = intake.patient.date_of_birth
    problems = []
    answers = {step: a for step, a in intake.answers.items() if step in steps}

    def expect(ok: bool, what: str) -> None:
        if not ok:
            problems.append(what)

    unknown = set(intake.answers) - set(STEP_SLUGS)
    expect(not unknown, f"unknown steps {unknown}")
    if "visit" in answers:
        a = answers["visit"]
        expect(
            set(a)
            == {
                "reason",
                "goals",
                "pain_areas",
                "onset_date",
                "onset",
                "pain_now",
                "pain_best",
                "pain_worst",
                "worse_with",
                "better_with",
            },
            f"visit keys {sorted(a)}",
        )
        expect(_is_text(a.get("reason"), 2000, required=True), "visit reason")
        for name in ("goals", "worse_with", "better_with"):
            expect(_is_text(a.get(name), 2000), f"visit {name}")
        expect(
            _is_choice_list(a.get("pain_areas"), dict(PAIN_AREAS)) and a["pain_areas"] != [],
            "pain areas",
        )
        onset = _day(a.get("onset_date"))
        expect(onset is not None and dob <= onset <= today, f"onset date {a.get('onset_date')!r}")
        expect(a.get("onset") in dict(ONSET), "onset")
        pains = [a.get("pain_now"), a.get("pain_best"), a.get("pain_worst")]
        expect(all(_is_nprs(p) for p in pains), f"pain {pains}")
        expect(not all(_is_nprs(p) for p in pains) or pains[1] <= pains[2], "best above worst")
    if "nerve" in answers:
        a = answers["nerve"]
        names = {
            "pain_outlasts_injury",
            "delayed_onset",
            "light_touch_hurts",
            "builds_and_lingers",
            "skin_changes",
        }
        expect(set(a) == names, f"nerve keys {sorted(a)}")
        expect(all(a.get(n) in {"yes", "no", "unsure"} for n in names), f"nerve {a}")
    if "history" in answers:
        a = answers["history"]
        expect(set(a) == {"conditions", "medications", "allergies"}, f"history keys {sorted(a)}")
        expect(_is_choice_list(a.get("conditions"), CONDITIONS), "conditions")
        expect(_is_text(a.get("medications"), 2000), "medications")
        expect(_is_text(a.get("allergies"), 2000), "allergies")
    if "surgeries" in answers:
        a = answers["surgeries"]
        rows = a.get("rows")
        expect(set(a) == {"rows"} and isinstance(rows, list) and len(rows) <= 30, "surgery rows")
        for row in rows or []:
            day = _day(row.get("date"))
            expect(set(row) == {"date", "description"}, f"surgery keys {sorted(row)}")
            expect(
                day is not None and dob <= day <= today + timedelta(days=366),
                f"surgery date {row.get('date')!r}",
            )
            expect(_is_text(row.get("description"), 200, required=True), "surgery description")
    if "needles" in answers:
        a = answers["needles"]
        expect(
            set(a) == {"pregnancy", "needle_fear", "previous_treatment", "previous_experience"},
            f"needles keys {sorted(a)}",
        )
        expect(a.get("pregnancy") in {"", *(p.value for p in Pregnancy)}, "pregnancy")
        expect(a.get("needle_fear") in {"none", "some", "strong"}, "needle fear")
        expect(
            _is_choice_list(
                a.get("previous_treatment"),
                {"ims", "dry_needling", "acupuncture"},
            ),
            "previous treatment",
        )
        expect(_is_text(a.get("previous_experience"), 2000), "previous experience")
    if intake.is_submitted:
        expect(set(intake.answers) == set(STEP_SLUGS), "submitted with steps missing")
        expect(intake.drafts == {}, "submitted with drafts")
        expect(intake.consent_id is not None and intake.submitted_at is not None, "no consent")
        name = intake.signature_name
        expect(
            _is_text(name, 200) and len(name) >= 3 and name == " ".join(name.split()),
            f"signature {name!r}",
        )
    return problems


YES_NO = ["yes", "no", "unsure"]
DATES = ["2025-01-10", "1961-07-22", "1961-07-23", "2099-01-01", ""]
# Row counts around max_num (30); a huge count has its own test (1,030 rows are slow).
FORM_COUNTS = ["0", "1", "2", "3", "29", "30", "31", "-1", "", "1.5"]
STEP_CHOICES = {
    "visit": {
        "pain_areas": list(dict(PAIN_AREAS)),
        "onset": list(dict(ONSET)),
        "onset_date": DATES,
        "pain_now": NPRS_RATINGS,
        "pain_best": NPRS_RATINGS,
        "pain_worst": NPRS_RATINGS,
    },
    "nerve": dict.fromkeys(VALID_STEPS["nerve"], YES_NO),
    "history": {"conditions": list(CONDITIONS)},
    "surgeries": {
        "surgeries-TOTAL_FORMS": FORM_COUNTS,
        "surgeries-INITIAL_FORMS": FORM_COUNTS,
        "surgeries-MIN_NUM_FORMS": FORM_COUNTS,
        "surgeries-MAX_NUM_FORMS": FORM_COUNTS,
        "surgeries-0-date": DATES,
        "surgeries-1-date": DATES,
    },
    "needles": {
        "pregnancy": [p.value for p in Pregnancy],
        "needle_fear": ["none", "some", "strong"],
        "previous_treatment": ["ims", "dry_needling", "acupuncture"],
    },
}


@pytest.mark.parametrize("step", STEP_SLUGS)
def test_fuzzed_intake_steps_never_fail_and_store_only_valid_answers(
    client, patient, intake_link, step
):
    url = f"{intake_link}{step}/"
    intake = Intake.objects.get(patient=patient)

    seen = Counter()  # outcomes, for assert_reached

    @FUZZ
    @given(data=form_data(VALID_STEPS[step], STEP_CHOICES[step]), urlencoded=st.booleans())
    def check(data, urlencoded):
        data = _capped_rows(data)
        # This step starts unanswered, so whatever is stored after the post, this example
        # stored. What earlier examples typed (drafts) stays: it must not break this one.
        stored = Intake.objects.get(pk=intake.pk).answers
        stored.pop(step, None)
        Intake.objects.filter(pk=intake.pk).update(answers=stored)
        response = post(client, url, data, urlencoded)
        seen[response.status_code] += 1
        assert response.status_code in (200, 302), response.status_code
        after = Intake.objects.get(pk=intake.pk)
        assert invalid_answers(after, steps=[step]) == [], data
        if "later" not in data:
            # Valid: stored and on to the next step. Invalid: kept as typing only.
            if response.status_code == 302:
                assert step in after.answers and step not in after.drafts
            else:
                assert step not in after.answers and step in after.drafts
        # What was kept must open again (reloading the page binds the drafts).
        assert client.get(url).status_code == 200

    check()
    assert_reached(seen)


def test_a_huge_surgery_row_count_is_refused_politely(client, patient, intake_link):
    data = {**VALID_STEPS["surgeries"], "surgeries-TOTAL_FORMS": "100000"}
    response = client.post(f"{intake_link}surgeries/", data)
    assert response.status_code == 200
    assert "Please submit at most 30 forms." in response.content.decode()
    assert "surgeries" not in Intake.objects.get(patient=patient).answers


def test_fuzzed_consent_never_fails_and_signs_only_valid_intakes(client, patient, front_desk):
    assert ConsentText.current() is not None  # from the data migration
    link = {"url": new_intake_link(patient, front_desk)}
    for slug, data in VALID_STEPS.items():
        assert client.post(f"{link['url']}{slug}/", data).status_code == 302
    link["url"] += "consent/"
    answers = Intake.objects.get(patient=patient).answers

    seen = Counter()  # outcomes, for assert_reached

    @FUZZ
    @given(
        data=form_data(
            {"agree": "on", "signature_name": "Ada Fuzz"},
            {"agree": ["on", "true", "false", "0", "1", "off", ""]},
        ),
        urlencoded=st.booleans(),
    )
    def check(data, urlencoded):
        intake = Intake.objects.filter(patient=patient).order_by("-number").first()
        if intake.is_submitted:  # signed by an earlier example: a fresh, complete intake
            link["url"] = new_intake_link(patient, front_desk) + "consent/"
            Intake.objects.filter(patient=patient, status="draft").update(answers=answers)
            intake = Intake.objects.get(patient=patient, status="draft")
        response = post(client, link["url"], data, urlencoded)
        seen[response.status_code] += 1
        assert response.status_code in (200, 302), response.status_code
        after = Intake.objects.get(pk=intake.pk)
        assert invalid_answers(after) == [], data
        assert after.is_submitted == (response.status_code == 302), data
        if not after.is_submitted:
            assert after.answers == answers and after.signature_name == ""
        assert client.get(link["url"]).status_code == 200

    check()
    assert_reached(seen)


def test_a_repeated_choice_is_stored_once(client, patient, intake_link):
    data = {**VALID_STEPS["history"], "conditions": ["diabetes", "diabetes"]}
    assert client.post(f"{intake_link}history/", data).status_code == 302
    assert Intake.objects.get(patient=patient).answers["history"]["conditions"] == ["diabetes"]


def test_a_nul_in_an_invalid_intake_step_is_kept_without_a_server_error(
    client, patient, intake_link
):
    response = client.post(f"{intake_link}visit/", {"reason": "Sore\x00neck"})
    assert response.status_code == 200
    assert "visit" in Intake.objects.get(patient=patient).drafts
