"""The patient's check-in form, fuzzed: the server never fails and stores only valid answers."""

from collections import Counter

from hypothesis import given
from hypothesis import strategies as st

from sessions.followups import services as followups
from sessions.models import Alert, CheckinAnswer
from tests.clinic.fuzzing.conftest import (
    CHECKIN_VALID,
    NPRS_RATINGS,
    SITE,
    _is_choice_list,
    _is_nprs,
    _is_text,
    assert_reached,
    post,
)
from tests.clinic.fuzzing.strategies import FUZZ, form_data

CHECKIN_CHOICES = {
    "soreness": NPRS_RATINGS,
    "compared": ["better", "expected", "worse"],
    "bruising": ["on", "true", "false", "0", ""],
    "red_flags": list(CheckinAnswer.RED_FLAGS),
}


def invalid_checkin_answer(answer: CheckinAnswer) -> list[str]:
    problems = []
    if not _is_nprs(answer.soreness):
        problems.append(f"soreness {answer.soreness!r}")
    if answer.compared not in {"better", "expected", "worse"}:
        problems.append(f"compared {answer.compared!r}")
    if not isinstance(answer.bruising, bool):
        problems.append("bruising")
    if not _is_choice_list(answer.red_flags, CheckinAnswer.RED_FLAGS):
        problems.append(f"red flags {answer.red_flags!r}")
    if not _is_text(answer.comment, 2000):
        problems.append("comment")
    if answer.needs_attention != Alert.objects.filter(answer=answer).exists():
        problems.append("alert does not match the answer")
    return problems


def test_fuzzed_checkin_never_fails_and_stores_only_valid_answers(client, sent_checkin):
    url = followups.checkin_link(sent_checkin).removeprefix(SITE)

    seen = Counter()  # outcomes, for assert_reached

    @FUZZ
    @given(data=form_data(CHECKIN_VALID, CHECKIN_CHOICES), urlencoded=st.booleans())
    def check(data, urlencoded):
        count = CheckinAnswer.objects.count()
        response = post(client, url, data, urlencoded)
        assert response.status_code == 200, response.status_code
        thanked = "sessions/checkin_thanks.html" in [t.name for t in response.templates]
        seen[thanked] += 1
        assert CheckinAnswer.objects.count() == count + thanked, data
        if thanked:
            answer = CheckinAnswer.objects.latest("id")
            assert invalid_checkin_answer(answer) == [], data
        assert client.get(url).status_code == 200  # the latest answer fills the form again

    check()
    assert_reached(seen)
