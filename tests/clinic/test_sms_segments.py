"""Segment arithmetic (clinic/sms/segments.py): plain functions, no database. The
boundaries are where a reminder would start to cost two texts."""

import pytest

from clinic.sms.segments import GSM7_BASIC, GSM7_EXTENSION, encoding, length, segments

EXTENSION_CHARS = ["€", "[", "]", "{", "}", "^", "~", "\\", "|"]


def test_plain_ascii_is_gsm7():
    assert encoding("Reminder: Bow River Physiotherapy, Tue 24 Nov 10:00.") == "GSM-7"


def test_the_basic_set_has_128_characters_less_the_escape():
    assert len(GSM7_BASIC) == 127
    assert "\x1b" not in GSM7_BASIC


def test_an_e_acute_is_in_gsm7_so_chloe_stays_gsm7():
    assert encoding("Hi Chloé") == "GSM-7"
    assert length("Chloé") == 5


def test_an_e_diaeresis_is_not_in_gsm7_so_zoe_needs_ucs2():
    assert encoding("Hi Zoë") == "UCS-2"


def test_one_character_outside_gsm7_makes_the_whole_text_ucs2():
    assert encoding("a" * 100 + "ë") == "UCS-2"
    assert segments("a" * 100 + "ë") == 2  # 101 units: more than 70


def test_160_gsm7_characters_are_one_segment():
    assert segments("a" * 160) == 1


def test_161_gsm7_characters_are_two_segments():
    assert segments("a" * 161) == 2


def test_two_gsm7_parts_hold_306_characters_and_307_need_three():
    assert segments("a" * 306) == 2
    assert segments("a" * 307) == 3


def test_70_ucs2_characters_are_one_segment():
    assert segments("ë" * 70) == 1


def test_71_ucs2_characters_are_two_segments():
    assert segments("ë" * 71) == 2


def test_two_ucs2_parts_hold_134_characters_and_135_need_three():
    assert segments("ë" * 134) == 2
    assert segments("ë" * 135) == 3


@pytest.mark.parametrize("char", EXTENSION_CHARS)
def test_an_extension_character_is_gsm7_and_counts_two_septets(char):
    assert char in GSM7_EXTENSION
    assert encoding(f"price {char}") == "GSM-7"
    assert length(char) == 2


@pytest.mark.parametrize("char", EXTENSION_CHARS)
def test_an_extension_character_at_the_end_of_159_septets_overflows_the_first_segment(char):
    assert segments("a" * 158 + char) == 1  # 160 septets
    assert segments("a" * 159 + char) == 2  # 161 septets


def test_an_escape_pair_is_not_split_across_parts():
    # 152 septets and then a 2-septet euro: it does not fit the 153 of the first part
    # and moves whole to the second; 152 + 2 + 152 = 306 would fit two parts if split.
    text = "a" * 152 + "€" + "a" * 152
    assert length(text) == 306
    assert segments(text) == 3


def test_an_emoji_takes_two_ucs2_units():
    assert encoding("👍") == "UCS-2"
    assert length("👍") == 2
    assert segments("a" * 68 + "👍") == 1  # 70 units
    assert segments("a" * 69 + "👍") == 2  # 71 units


def test_an_empty_text_is_one_segment():
    assert segments("") == 1
    assert encoding("") == "GSM-7"


def test_a_newline_is_one_septet():
    assert encoding("line\nline") == "GSM-7"
    assert length("a\nb") == 3


def test_french_accents_split_between_gsm7_and_ucs2():
    # É é è ù à (and capital Ç) are in the basic set; ê â ô î and small ç are not.
    assert encoding("Clinique Étoile: à demain") == "GSM-7"
    assert encoding("Rappel: votre rendez-vous, fenêtre") == "UCS-2"
    assert encoding("Françoise") == "UCS-2"
