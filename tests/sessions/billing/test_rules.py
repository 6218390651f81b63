"""The authorisation and lateness rules at their boundaries; no database."""

from datetime import UTC, date, datetime, timedelta

from sessions.billing.rules import authorisation_status, is_late_cancellation

CASE = {
    "authorised_visits": 8,
    "authorised_from": date(2026, 11, 2),
    "authorised_until": date(2026, 11, 29),
}


def test_the_last_authorised_visit_on_the_last_day_is_within():
    status = authorisation_status(number=8, day=date(2026, 11, 29), **CASE)
    assert status.label == "visit 8 of 8 authorised"
    assert status.warnings == []
    assert not status.exceeds


def test_one_visit_over_the_authorisation_warns():
    status = authorisation_status(number=9, day=date(2026, 11, 20), **CASE)
    assert status.exceeds
    assert status.warnings == ["This would be visit 9; the payer authorised 8."]


def test_the_first_day_is_covered_and_the_day_before_is_not():
    assert authorisation_status(number=1, day=date(2026, 11, 2), **CASE).warnings == []
    (warning,) = authorisation_status(number=1, day=date(2026, 11, 1), **CASE).warnings
    assert "starts on 2026-11-02" in warning


def test_the_day_after_the_end_warns():
    (warning,) = authorisation_status(number=2, day=date(2026, 11, 30), **CASE).warnings
    assert "ended on 2026-11-29" in warning


def test_no_limits_no_warnings():
    status = authorisation_status(
        number=40,
        day=date(2030, 1, 1),
        authorised_visits=None,
        authorised_from=None,
        authorised_until=None,
    )
    assert (status.label, status.warnings) == ("visit 40", [])


START = datetime(2026, 11, 23, 16, 0, tzinfo=UTC)


def test_cancelling_exactly_the_notice_ahead_is_on_time():
    assert not is_late_cancellation(
        start=START, cancelled_at=START - timedelta(hours=24), notice_hours=24
    )


def test_cancelling_a_minute_later_is_late():
    assert is_late_cancellation(
        start=START,
        cancelled_at=START - timedelta(hours=24) + timedelta(minutes=1),
        notice_hours=24,
    )
