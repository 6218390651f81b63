"""Scoring by each instrument's published rules: worked examples done by hand (the
arithmetic is in each test), the missing-item rules at and past their limits, the
ends of each range, rounding (half up), and answers that no option allows. Pure
functions: no database."""

from decimal import Decimal

import pytest

from sessions.outcomes.instruments import LEFS, NDI, NPRS, ODI, PSFS, QUICKDASH, get


def answers(instrument, values, *, skip=()):
    """{item key: value} in item order, leaving the items numbered in ``skip`` (0-based)
    unanswered (None)."""
    keys = [item.key for item in instrument.items]
    given = iter(values)
    return {key: None if n in skip else next(given) for n, key in enumerate(keys)}


# --- PSFS: mean of the rated activities (Stratford 1995) -------------------------------


def test_psfs_is_the_mean_of_the_rated_activities_to_one_decimal():
    # (3 + 4 + 6) / 3 = 13 / 3 = 4.333... -> 4.3
    score = PSFS.score({"activity_1": 3, "activity_2": 4, "activity_3": 6})
    assert score.value == Decimal("4.3")
    assert score.answered == 3


def test_psfs_rounds_a_half_up():
    # (1 + 1 + 1 + 2) / 4 = 1.25 -> 1.3 (half up; banker's rounding would say 1.2)
    score = PSFS.score({"activity_1": 1, "activity_2": 1, "activity_3": 1, "activity_4": 2})
    assert score.value == Decimal("1.3")


def test_psfs_scores_one_rated_activity_and_ignores_the_names():
    # 7 / 1 = 7.0; the activity's name is stored beside its rating and is not scored
    score = PSFS.score({"activity_1": 7, "activity_1_name": "Gardening", "activity_2": None})
    assert (score.value, score.answered) == (Decimal("7.0"), 1)


def test_psfs_with_no_activity_rated_is_not_scored():
    score = PSFS.score({"activity_1": None})
    assert score.value is None
    assert score.reason == "No activity was rated: at least 1 must be."


def test_psfs_five_activities_are_all_counted():
    # (10 + 8 + 6 + 4 + 2) / 5 = 30 / 5 = 6.0
    assert PSFS.score(answers(PSFS, [10, 8, 6, 4, 2])).value == Decimal("6.0")


# --- NDI: sum x 2 as a percentage; Vernon's rule for missing (Vernon & Mior 1991, 2008) -


def test_ndi_complete_is_the_sum_times_two():
    # 0+1+2+3+4+5+0+1+2+3 = 21 of 50 -> 21 x 2 = 42.0%
    score = NDI.score(answers(NDI, [0, 1, 2, 3, 4, 5, 0, 1, 2, 3]))
    assert (score.value, score.answered) == (Decimal("42.0"), 10)


def test_ndi_one_missing_section_is_stood_in_for_by_the_mean_of_the_others():
    # 9 answered adding up to 20: 20 / (5 x 9) x 100 = 44.44 -> 44.4%
    # (Vernon's rule: mean 20 / 9 = 2.22 stands in: (20 + 2.22) x 2 = 44.4)
    score = NDI.score(answers(NDI, [2, 2, 2, 2, 2, 2, 2, 3, 3], skip={7}))
    assert (score.value, score.answered) == (Decimal("44.4"), 9)


def test_ndi_two_missing_sections_are_still_scored():
    # 8 answered adding up to 20: 20 / 40 x 100 = 50.0%
    score = NDI.score(answers(NDI, [3, 3, 3, 3, 2, 2, 2, 2], skip={3, 7}))
    assert (score.value, score.answered) == (Decimal("50.0"), 8)


def test_ndi_three_missing_sections_are_not_scored():
    score = NDI.score(answers(NDI, [3] * 7, skip={1, 3, 7}))
    assert score.value is None
    assert score.answered == 7
    assert score.reason == "3 of 10 sections are missing: at most 2 may be."


# --- ODI v2.1a: total / (5 x answered sections) x 100 (Fairbank & Pynsent 2000) ---------


def test_odi_complete():
    # 2+2+2+2+2+2+2+0+2+2 = 18 of 50 -> 36.0%
    score = ODI.score(answers(ODI, [2, 2, 2, 2, 2, 2, 2, 0, 2, 2]))
    assert score.value == Decimal("36.0")


def test_odi_a_missing_section_leaves_the_denominator_too():
    # sex life (section 8) left out: 18 / (5 x 9) x 100 = 40.0% (not 18 / 50 = 36%)
    score = ODI.score(answers(ODI, [2] * 9, skip={7}))
    assert (score.value, score.answered) == (Decimal("40.0"), 9)


def test_odi_two_missing_is_the_limit():
    # 30 / (5 x 8) x 100 = 75.0%; a third missing is refused
    assert ODI.score(answers(ODI, [4, 4, 4, 4, 4, 4, 3, 3], skip={0, 9})).value == Decimal("75.0")
    refused = ODI.score(answers(ODI, [4] * 7, skip={0, 5, 9}))
    assert refused.value is None
    assert refused.reason == "3 of 10 sections are missing: at most 2 may be."


def test_odi_rounds_to_one_decimal():
    # 7 / (5 x 9) x 100 = 15.555... -> 15.6
    assert ODI.score(answers(ODI, [1, 1, 1, 1, 1, 1, 1, 0, 0], skip={4})).value == Decimal("15.6")


# --- LEFS: sum of 20 items 0-4; prorated with up to 4 missing; whole points ------------


def test_lefs_complete_is_the_sum():
    # ten 2s and ten 3s: 20 + 30 = 50 of 80
    score = LEFS.score(answers(LEFS, [2, 3] * 10))
    assert (score.value, score.answered) == (Decimal("50"), 20)


def test_lefs_four_missing_are_prorated():
    # 16 answered, each 3: 48 / 16 x 20 = 60
    score = LEFS.score(answers(LEFS, [3] * 16, skip={16, 17, 18, 19}))
    assert (score.value, score.answered) == (Decimal("60"), 16)


def test_lefs_prorated_rounds_half_up_to_a_whole_point():
    # 16 answered adding up to 2: 2 / 16 x 20 = 2.5 -> 3
    assert LEFS.score(answers(LEFS, [1, 1] + [0] * 14, skip={0, 1, 2, 3})).value == Decimal("3")
    # 17 answered adding up to 40: 40 / 17 x 20 = 47.06 -> 47
    values = [3] * 6 + [2] * 11  # 18 + 22 = 40
    assert LEFS.score(answers(LEFS, values, skip={5, 10, 15})).value == Decimal("47")


def test_lefs_five_missing_are_not_scored():
    score = LEFS.score(answers(LEFS, [4] * 15, skip={0, 1, 2, 3, 4}))
    assert score.value is None
    assert score.reason == "5 of 20 items are missing: at most 4 may be."


# --- QuickDASH: ((sum / n) - 1) x 25, at least 10 of 11 (IWH; Beaton 2005) -------------


def test_quickdash_complete():
    # sum 33 over 11: (33 / 11 - 1) x 25 = (3 - 1) x 25 = 50.00
    score = QUICKDASH.score(answers(QUICKDASH, [3] * 11))
    assert (score.value, score.answered) == (Decimal("50.00"), 11)


def test_quickdash_rounds_to_two_decimals_half_up():
    # ten 1s and a 2: (12 / 11 - 1) x 25 = 25 / 11 = 2.2727... -> 2.27
    assert QUICKDASH.score(answers(QUICKDASH, [1] * 10 + [2])).value == Decimal("2.27")
    # nine 1s and two 2s: (13 / 11 - 1) x 25 = 50 / 11 = 4.5454... -> 4.55
    assert QUICKDASH.score(answers(QUICKDASH, [1] * 9 + [2, 2])).value == Decimal("4.55")


def test_quickdash_one_missing_item_scores_over_the_ten_answered():
    # sum 23 over 10: (23 / 10 - 1) x 25 = 1.3 x 25 = 32.50
    score = QUICKDASH.score(answers(QUICKDASH, [2] * 7 + [3] * 3, skip={10}))
    assert (score.value, score.answered) == (Decimal("32.50"), 10)


def test_quickdash_two_missing_items_are_not_scored():
    score = QUICKDASH.score(answers(QUICKDASH, [2] * 9, skip={0, 10}))
    assert score.value is None
    assert score.reason == "2 of 11 items are missing: at most 1 may be."


# --- Every instrument: the ends of its range, and answers no option allows -------------


@pytest.mark.parametrize("code", ["nprs", "psfs", "ndi", "odi", "lefs", "quickdash"])
def test_every_lowest_answer_scores_the_minimum_and_every_highest_the_maximum(code):
    instrument = get(code)
    lowest = {i.key: min(o.value for o in i.options) for i in instrument.items}
    highest = {i.key: max(o.value for o in i.options) for i in instrument.items}
    assert instrument.score(lowest).value == instrument.score_min
    assert instrument.score(highest).value == instrument.score_max


@pytest.mark.parametrize(
    "instrument, key, value",
    [
        (PSFS, "activity_1", 11),
        (PSFS, "activity_2", -1),
        (NDI, "pain_intensity", 6),
        (ODI, "sex_life", -1),
        (LEFS, "hopping", 5),
        (QUICKDASH, "open_jar", 0),
        (QUICKDASH, "sleeping", 6),
        (NPRS, "pain", 11),
    ],
)
def test_an_answer_outside_the_options_is_refused(instrument, key, value):
    with pytest.raises(ValueError, match=key):
        instrument.score({key: value})


# --- MCID and direction ------------------------------------------------------------------


def test_ndi_lower_is_better_and_ten_points_is_the_mcid():
    assert NDI.improved_by(Decimal("40.0"), Decimal("30.0")) == Decimal("10.0")
    assert NDI.reached_mcid(Decimal("40.0"), Decimal("30.0"))
    assert not NDI.reached_mcid(Decimal("40.0"), Decimal("30.1"))
    assert not NDI.reached_mcid(Decimal("30.0"), Decimal("40.0"))  # worse


def test_psfs_higher_is_better_and_two_points_is_the_mcid():
    assert PSFS.reached_mcid(Decimal("3.0"), Decimal("5.0"))
    assert not PSFS.reached_mcid(Decimal("3.0"), Decimal("4.9"))


def test_quickdash_mcid_is_15_91_points_down():
    assert QUICKDASH.reached_mcid(Decimal("50.00"), Decimal("34.09"))
    assert not QUICKDASH.reached_mcid(Decimal("50.00"), Decimal("34.10"))


def test_lefs_mcid_is_9_points_up_and_odi_10_points_down():
    assert LEFS.reached_mcid(Decimal("40"), Decimal("49"))
    assert not LEFS.reached_mcid(Decimal("40"), Decimal("48"))
    assert ODI.reached_mcid(Decimal("50.0"), Decimal("40.0"))
    assert not ODI.reached_mcid(Decimal("50.0"), Decimal("40.1"))
