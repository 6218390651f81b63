"""The trend selector: each measure's scores in order with baseline, latest, change in
the better direction and the MCID verdict, and the needling dose per visit, in a
fixed number of queries."""

import dataclasses
from datetime import timedelta
from decimal import Decimal

import pytest

from sessions.booking.models import Appointment
from sessions.outcomes import instruments
from sessions.outcomes.selectors import course_trends
from tests.factories import AppointmentFactory, PatientFactory, clinic_time
from tests.sessions.outcomes.trend_world import neck_and_back, nprs_course, questionnaire, visits

pytestmark = pytest.mark.django_db


def test_pain_falling_by_the_mcid_is_an_improvement_that_reached_it():
    patient, _ = nprs_course([7, 6, 4, 5])
    (trend,) = course_trends(patient=patient)
    (measure,) = trend.measures
    assert [p.score for p in measure.points] == [7, 6, 4, 5]
    assert [p.visit_number for p in measure.points] == [1, 2, 3, 4]
    assert measure.baseline.score == 7 and measure.latest.score == 5
    assert measure.change == Decimal(2)  # lower is better: 7 -> 5 is +2
    assert measure.reached_mcid is True


def test_pain_falling_by_less_than_the_mcid_did_not_reach_it():
    patient, _ = nprs_course([7, 6])
    measure = course_trends(patient=patient)[0].measures[0]
    assert measure.change == Decimal(1)
    assert measure.reached_mcid is False


def test_pain_rising_is_a_negative_change():
    patient, _ = nprs_course([3, 6])
    measure = course_trends(patient=patient)[0].measures[0]
    assert measure.change == Decimal(-3)
    assert measure.reached_mcid is False


def test_one_score_has_no_change_and_no_verdict():
    patient, _ = nprs_course([7])
    measure = course_trends(patient=patient)[0].measures[0]
    assert measure.change is None and measure.reached_mcid is None


def test_a_higher_is_better_instrument_improves_upwards(monkeypatch):
    function = dataclasses.replace(
        instruments.NPRS, code="func", higher_is_better=True, mcid=Decimal(3)
    )
    monkeypatch.setitem(instruments.INSTRUMENTS, "func", function)
    patient, made = nprs_course([5, 5])
    questionnaire(patient, 2, appointment=made[0].appointment, instrument="func")
    questionnaire(patient, 6, appointment=made[1].appointment, instrument="func")
    measures = {m.code: m for m in course_trends(patient=patient)[0].measures}
    assert measures["func"].change == Decimal(4)
    assert measures["func"].reached_mcid is True
    assert measures["func"].mcid_target == Decimal(5)  # baseline 2 + MCID 3
    assert measures["nprs"].mcid_target == Decimal(3)  # baseline 5 - MCID 2


def test_unfinished_withdrawn_and_unknown_questionnaires_are_left_out():
    patient, made = nprs_course([7, 3])
    visit = made[0].appointment
    questionnaire(patient, None, appointment=visit, instrument="nprs2")
    withdrawn = questionnaire(patient, 1, course=visit.course, completed_at=visit.start)
    withdrawn.withdrawn_at = visit.start
    withdrawn.save()
    questionnaire(patient, 4, course=visit.course, completed_at=visit.start, instrument="nope")
    measure = course_trends(patient=patient)[0].measures[0]
    assert [p.score for p in measure.points] == [7, 3]


def test_dose_counts_sites_insertions_and_the_levels_treated():
    patient = PatientFactory()
    (visit,) = visits(patient, 1)  # gluteus medius, L4-S1, 2 insertions
    neck_and_back(visit)
    (dose,) = course_trends(patient=patient)[0].doses
    assert dose.visit_number == 1
    assert dose.sites == 3
    assert dose.insertions == 2 + 3 + 4
    # Supraspinatus C5-C6 by its roots; multifidus by its charted level L4-L5 (not
    # its catalogue's C1-S3); gluteus medius L4-S1.
    assert dose.roots == ("C5", "C6", "L4", "L5", "S1")


def test_cancelled_and_missed_visits_take_no_place_on_the_axis():
    patient = PatientFactory()
    first, second = visits(patient, 2)
    AppointmentFactory(
        patient=patient,
        start=first.appointment.start + timedelta(days=2),
        status=Appointment.Status.CANCELLED,
    )
    questionnaire(patient, 6, appointment=second.appointment)
    trend = course_trends(patient=patient)[0]
    assert [d.visit_number for d in trend.doses] == [1, 2]
    assert trend.measures[0].points[0].visit_number == 2


def test_a_questionnaire_without_a_visit_sits_after_the_last_visit_before_it():
    patient, made = nprs_course([7, 5])
    course = made[0].appointment.course
    questionnaire(
        patient, 3, course=course, completed_at=made[1].appointment.start + timedelta(days=3)
    )
    points = course_trends(patient=patient)[0].measures[0].points
    assert [p.position for p in points] == [1, 2, Decimal("2.5")]
    assert points[-1].visit_number is None


def test_only_the_course_asked_for(physio):
    patient, made = nprs_course([7, 5])
    old_course = made[0].appointment.course
    old_course.closed_on = made[-1].appointment.day
    old_course.save()
    later = visits(patient, 1, first=clinic_time(2026, 11, 23, 10))
    questionnaire(patient, 2, appointment=later[0].appointment)
    new_course = later[0].appointment.course
    assert new_course != old_course
    both = course_trends(patient=patient)
    assert [t.course for t in both] == [new_course, old_course]  # newest first
    (only,) = course_trends(patient=patient, course=old_course)
    assert [p.score for p in only.measures[0].points] == [7, 5]


def test_query_count_does_not_grow_with_measures_or_visits(
    monkeypatch, django_assert_max_num_queries
):
    codes = [f"m{n}" for n in range(10)]
    for code in codes:
        monkeypatch.setitem(
            instruments.INSTRUMENTS, code, dataclasses.replace(instruments.NPRS, code=code)
        )
    patient = PatientFactory()
    made = visits(patient, 10)
    for visit in made:
        neck_and_back(visit)
        for n, code in enumerate(codes):
            questionnaire(patient, n % 11, appointment=visit.appointment, instrument=code)
    with django_assert_max_num_queries(3):
        (trend,) = course_trends(patient=patient)
    assert len(trend.measures) == 10
    assert all(len(m.points) == 10 for m in trend.measures)
    assert len(trend.doses) == 10


def test_content_round_trips_through_json():
    patient, made = nprs_course([7, 4])
    neck_and_back(made[0])
    trend = course_trends(patient=patient)[0]
    from sessions.outcomes.selectors import Dose, Measure

    measure = trend.measures[0]
    assert Measure.from_dict(measure.as_dict()) == measure
    assert [Dose.from_dict(d.as_dict()) for d in trend.doses] == trend.doses
