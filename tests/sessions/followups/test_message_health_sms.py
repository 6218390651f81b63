"""Message health counts texts: handed to the provider, delivered and not delivered in
24 h, stuck "being sent", and messages that went by email because a text could not;
the admin page, ``manage.py message_health`` and /healthz report them, and failed texts
never make /healthz fail."""

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from sessions.followups import selectors
from sessions.followups.models import ScheduledMessage, SmsDelivery
from tests.factories import ScheduledMessageFactory
from tests.sessions.conftest import NOW

pytestmark = pytest.mark.django_db
DAY = timedelta(hours=24)


def text(visit, status, *, at=NOW, sent=True, created=None, **message_fields):
    """A sent reminder of ``visit``'s appointment that went as a text now in ``status``,
    its status reported ``at``."""
    message = ScheduledMessageFactory(
        visit=None,
        appointment=visit.appointment,
        kind=ScheduledMessage.Kind.REMINDER,
        hours_after=None,
        due_at=at,
        status=ScheduledMessage.Status.SENT,
        sent_at=at,
        channels="sms",
        **message_fields,
    )
    attempting = status == SmsDelivery.Status.ATTEMPTING
    return SmsDelivery.objects.create(
        message=message,
        to="+14035550123",
        body="Reminder",
        status=status,
        created_at=created or at,
        sent_at=at if sent and not attempting else None,
        status_at=None if attempting else at,
    )


def fallback(visit, *, at=NOW, reason="The text was not delivered.", channels="email"):
    return ScheduledMessageFactory(
        visit=visit,
        status=ScheduledMessage.Status.SENT,
        sent_at=at,
        due_at=at,
        channels=channels,
        fallback_reason=reason,
    )


class TestCounts:
    def test_nothing_sent_counts_zero(self, db):
        health = selectors.message_health(now=NOW)
        assert {k: v for k, v in health.items() if k.startswith("sms_")} == {
            "sms_sent_24h": 0,
            "sms_delivered_24h": 0,
            "sms_failed_24h": 0,
            "sms_stuck": 0,
        }
        assert health["email_fallback_24h"] == 0

    def test_texts_are_counted_by_what_the_provider_said_in_the_last_24_hours(self, visit):
        text(visit, SmsDelivery.Status.DELIVERED)
        text(visit, SmsDelivery.Status.QUEUED)
        text(visit, SmsDelivery.Status.UNDELIVERED)
        text(visit, SmsDelivery.Status.FAILED)
        text(visit, SmsDelivery.Status.REFUSED, sent=False)  # never taken by the provider
        health = selectors.message_health(now=NOW)
        assert health["sms_sent_24h"] == 4
        assert health["sms_delivered_24h"] == 1
        assert health["sms_failed_24h"] == 3

    def test_exactly_24_hours_ago_counts_a_second_more_does_not(self, visit):
        text(visit, SmsDelivery.Status.FAILED, at=NOW - DAY)
        text(visit, SmsDelivery.Status.DELIVERED, at=NOW - DAY - timedelta(seconds=1))
        health = selectors.message_health(now=NOW)
        assert (health["sms_failed_24h"], health["sms_sent_24h"]) == (1, 1)
        assert health["sms_delivered_24h"] == 0

    def test_a_text_sent_yesterday_and_delivered_today_counts_as_delivered_not_sent(self, visit):
        delivery = text(visit, SmsDelivery.Status.DELIVERED, at=NOW - DAY - timedelta(hours=1))
        SmsDelivery.objects.filter(pk=delivery.pk).update(status_at=NOW - timedelta(hours=1))
        health = selectors.message_health(now=NOW)
        assert (health["sms_sent_24h"], health["sms_delivered_24h"]) == (0, 1)

    def test_a_text_being_sent_for_over_five_minutes_is_stuck(self, visit):
        five = selectors.SMS_STUCK_AFTER
        text(visit, SmsDelivery.Status.ATTEMPTING, created=NOW - five)  # just in time
        text(visit, SmsDelivery.Status.ATTEMPTING, created=NOW - five - timedelta(seconds=1))
        text(visit, SmsDelivery.Status.ATTEMPTING, created=NOW - DAY * 3)  # long ago: still stuck
        assert selectors.message_health(now=NOW)["sms_stuck"] == 2

    def test_messages_that_went_by_email_instead_of_a_text_are_counted(self, visit):
        fallback(visit)
        fallback(visit, at=NOW - DAY - timedelta(seconds=1))  # too long ago
        fallback(visit, reason="")  # email chosen by the patient: no fallback
        fallback(visit, channels="both")  # the text went too
        assert selectors.message_health(now=NOW)["email_fallback_24h"] == 1

    def test_two_queries_however_many_texts(self, visit, django_assert_num_queries):
        for status in SmsDelivery.Status.values * 3:
            text(visit, status)
        with django_assert_num_queries(2):
            selectors.message_health(now=NOW)


class TestReports:
    def test_the_admin_page_shows_the_text_figures(self, client_for, clinic_admin, visit):
        text(visit, SmsDelivery.Status.UNDELIVERED)
        fallback(visit)
        page = client_for(clinic_admin).get(reverse("sessions:message-health")).content.decode()
        assert "Text messages" in page and "locmem.SmsBackend" in page
        assert '<dd class="col-6 col-md-9" id="sms-failed"><strong' in page
        assert '<dd class="col-6 col-md-9" id="email-fallback">1</dd>' in page

    def test_the_admin_page_is_for_clinic_admins_only(self, client_for, front_desk):
        response = client_for(front_desk).get(reverse("sessions:message-health"))
        assert response.status_code == 403

    def test_the_command_prints_the_backend_and_text_figures(self, visit):
        text(visit, SmsDelivery.Status.FAILED)
        out = StringIO()
        call_command("message_health", stdout=out)
        lines = out.getvalue().splitlines()
        assert "sms_backend: locmem.SmsBackend" in lines
        assert "sms_failed_24h: 1" in lines and "sms_stuck: 0" in lines

    def test_healthz_reports_texts_without_failing_on_them(self, client, visit, settings):
        text(visit, SmsDelivery.Status.FAILED)
        text(visit, SmsDelivery.Status.ATTEMPTING, created=NOW - timedelta(hours=1))
        response = client.get(reverse("healthz"))
        assert response.status_code == 200
        body = json.loads(response.content)
        assert body["status"] == "ok"
        assert body["sms"] == {"backend": "locmem.SmsBackend", "sms_failed_24h": 1, "sms_stuck": 1}
        assert settings.SMS_BACKEND.rsplit(".", 2)[0] not in json.dumps(body)  # no module path


def test_the_text_counts_read_the_status_index_not_the_whole_table(visit):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("the plan is PostgreSQL's")
    for status in SmsDelivery.Status.values:
        text(visit, status)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        with CaptureQueriesContext(connection) as queries:
            selectors.message_health(now=NOW)
        sql = queries.captured_queries[-1]["sql"]
        cursor.execute("EXPLAIN " + sql)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "smsdelivery_status_idx" in plan, plan
    # Every condition is the index's: no row is read only to be thrown away.
    assert "Seq Scan" not in plan and "Filter:" not in plan, plan
