"""Which schedules apply to visit k of type T, and reading "1, 4, 8": pure functions over
plain values, no database."""

import pytest

from sessions.outcomes.models import OutcomeSchedule
from sessions.outcomes.services import (
    parse_visit_numbers,
    schedules_at_discharge,
    schedules_for_visit,
)


def schedule(visits=(), type_id=None, active=True, at_discharge=False, instrument="nprs"):
    return OutcomeSchedule(
        instrument=instrument,
        appointment_type_id=type_id,
        visit_numbers=list(visits),
        active=active,
        at_discharge=at_discharge,
    )


def test_a_schedule_listing_visit_4_applies_to_visit_4_only():
    every = schedule([1, 4, 8])
    assert schedules_for_visit([every], visit_number=4, type_id=7) == [every]
    assert schedules_for_visit([every], visit_number=3, type_id=7) == []
    assert schedules_for_visit([every], visit_number=5, type_id=7) == []


def test_a_schedule_for_one_type_skips_visits_of_another():
    typed = schedule([2], type_id=7)
    assert schedules_for_visit([typed], visit_number=2, type_id=7) == [typed]
    assert schedules_for_visit([typed], visit_number=2, type_id=8) == []


def test_a_schedule_for_any_type_applies_to_every_type():
    anytype = schedule([2])
    assert schedules_for_visit([anytype], visit_number=2, type_id=8) == [anytype]


def test_an_inactive_schedule_never_applies():
    assert schedules_for_visit([schedule([1], active=False)], visit_number=1, type_id=1) == []
    assert schedules_at_discharge([schedule(at_discharge=True, active=False)]) == []


def test_discharge_schedules_are_those_marked_at_discharge():
    yes, no = schedule(at_discharge=True), schedule([1])
    assert schedules_at_discharge([yes, no]) == [yes]


@pytest.mark.parametrize(
    ("typed", "numbers"),
    [("1, 4, 8", [1, 4, 8]), ("8,1,4,4", [1, 4, 8]), (" 3 ", [3]), ("", [])],
)
def test_visit_numbers_are_read_sorted_without_repeats(typed, numbers):
    assert parse_visit_numbers(typed) == numbers


@pytest.mark.parametrize("typed", ["0", "1;2", "one", "1,,2", "-1", "1, 2000"])
def test_anything_else_is_refused(typed):
    with pytest.raises(ValueError):
        parse_visit_numbers(typed)
