"""Spent one-time form tokens (clinic.once) are forgotten once no page can send them."""

from datetime import UTC, datetime, timedelta

import time_machine

from clinic import once
from clinic.models import FormSubmission
from clinic.tasks import purge_form_tokens

NOW = datetime(2026, 11, 30, 12, tzinfo=UTC)


def test_tokens_older_than_the_keep_time_are_purged_and_newer_kept(db, settings):
    keep = timedelta(hours=settings.FORM_TOKEN_KEEP_HOURS)
    FormSubmission.objects.create(token="a" * 32, created_at=NOW - keep - timedelta(seconds=1))
    FormSubmission.objects.create(token="b" * 32, created_at=NOW - keep)
    assert once.tokens_purge(now=NOW) == 1
    assert list(FormSubmission.objects.values_list("token", flat=True)) == ["b" * 32]


def test_tokens_outlive_a_signed_in_session(settings):
    assert settings.FORM_TOKEN_KEEP_HOURS * 3600 > settings.SESSION_COOKIE_AGE


def test_the_daily_task_purges(db, settings):
    FormSubmission.objects.create(token="c" * 32, created_at=NOW - timedelta(days=30))
    with time_machine.travel(NOW):
        assert purge_form_tokens() == 1
    assert "purge-form-tokens" in settings.CELERY_BEAT_SCHEDULE
