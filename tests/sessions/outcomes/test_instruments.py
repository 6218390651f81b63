"""The instruments as data: each one's items and answer scales as published, a licence
note and a scoring source on each, and a licensed instrument shipping no wording of
its owner's (empty item text, answers labelled only by their number)."""

from decimal import Decimal

import pytest

from sessions.outcomes.instruments import INSTRUMENTS, Licence, choices, get

CODES = ["nprs", "psfs", "ndi", "odi", "lefs", "quickdash"]


def test_the_registry_holds_every_instrument_and_refuses_an_unknown_code():
    assert list(INSTRUMENTS) == CODES
    assert [code for code, _ in choices()] == CODES
    with pytest.raises(KeyError):
        get("sf-36")


@pytest.mark.parametrize(
    "code, items, lowest, highest, score_range, higher_is_better, mcid",
    [
        ("psfs", 5, 0, 10, (0, 10), True, "2"),
        ("ndi", 10, 0, 5, (0, 100), False, "10"),
        ("odi", 10, 0, 5, (0, 100), False, "10"),
        ("lefs", 20, 0, 4, (0, 80), True, "9"),
        ("quickdash", 11, 1, 5, (0, 100), False, "15.91"),
    ],
)
def test_items_scales_range_direction_and_mcid(
    code, items, lowest, highest, score_range, higher_is_better, mcid
):
    instrument = get(code)
    assert len(instrument.items) == items
    for item in instrument.items:
        assert [o.value for o in item.options] == list(range(lowest, highest + 1))
    assert (instrument.score_min, instrument.score_max) == tuple(map(Decimal, score_range))
    assert instrument.higher_is_better is higher_is_better
    assert instrument.mcid == Decimal(mcid)


@pytest.mark.parametrize("code", CODES)
def test_each_says_who_owns_it_and_where_its_scoring_comes_from(code):
    instrument = get(code)
    assert instrument.licence_note
    assert instrument.source
    assert len({item.key for item in instrument.items}) == len(instrument.items)


def test_which_are_licensed():
    licensed = {i.code for i in INSTRUMENTS.values() if i.licence == Licence.LICENSED}
    assert licensed == {"ndi", "odi", "lefs", "quickdash"}


@pytest.mark.parametrize("code", ["ndi", "odi", "lefs", "quickdash"])
def test_a_licensed_instrument_ships_no_wording(code):
    for item in get(code).items:
        assert item.text == ""
        assert [o.label for o in item.options] == [str(o.value) for o in item.options]


def test_ndi_and_odi_sections_are_keyed_by_topic():
    assert [i.key for i in get("ndi").items] == [
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
    ]
    assert [i.key for i in get("odi").items][7] == "sex_life"


def test_psfs_asks_up_to_five_named_activities_the_first_required():
    items = get("psfs").items
    assert [i.key for i in items] == [f"activity_{n}" for n in range(1, 6)]
    assert all(i.named and i.text for i in items)
    assert [i.required for i in items] == [True, False, False, False, False]
    assert items[0].options[0].label.startswith("0 (")
    assert items[0].options[-1].label.startswith("10 (")
