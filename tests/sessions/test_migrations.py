"""Data migrations run over rows that the old code left behind."""

from datetime import timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from sessions.models import Alert, Visit
from tests.factories import (
    AppointmentFactory,
    CheckinAnswerFactory,
    PatientFactory,
    ScheduledMessageFactory,
    VisitFactory,
)
from tests.sessions.conftest import NOW

APP = "treatment_sessions"


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


def around(suffix: str):
    """(the migration before, the migration) of this app whose name ends in ``suffix``
    (found by name: migrations get renumbered when branches merge)."""
    graph = MigrationExecutor(connection).loader.graph
    (node,) = [n for n in graph.nodes if n[0] == APP and n[1].endswith(suffix)]
    (parent,) = [p for p in graph.node_map[node].parents if p.key[0] == APP]
    return [parent.key], [node], graph.leaf_nodes()


@pytest.mark.django_db(transaction=True)
def test_several_open_alerts_of_a_visit_leave_the_newest_open(physio, location, treatment):
    patient = PatientFactory()
    visit = VisitFactory(
        appointment=AppointmentFactory(
            patient=patient,
            practitioner=physio,
            location=location,
            type=treatment,
            start=NOW - timedelta(days=1),
            course=None,
        )
    )
    message = ScheduledMessageFactory(
        key="checkin:1:24h", visit=visit, hours_after=None, due_at=NOW
    )
    alerts = []
    for minutes in (0, 5, 10):
        answer = CheckinAnswerFactory(message=message, soreness=9, compared="worse")
        alerts.append(
            Alert.objects.create(
                answer=answer,
                visit=visit,
                physio=physio,
                created_at=NOW + timedelta(minutes=minutes),
                acknowledged_at=NOW,  # the new constraint allows one open alert only
            )
        )
    before, after, latest = around("live_message_keys_and_one_open_alert")
    try:
        migrate(before)
        # What the old code could leave: three open alerts for one visit.
        Alert.objects.update(acknowledged_at=None)
        migrate(after)
    finally:
        migrate(latest)
    open_alerts = Alert.objects.filter(acknowledged_at__isnull=True)
    assert list(open_alerts) == [alerts[-1]]
    closed = Alert.objects.exclude(pk=alerts[-1].pk)
    assert all("newer open alert" in a.action_taken for a in closed)


@pytest.mark.django_db(transaction=True)
def test_the_migration_drops_only_drafts_nothing_was_saved_on(physio, location, treatment):
    """Drafts that opening a chart used to start, with nothing in them, are removed; a
    draft with a note or an NPRS rating stays (across the later rename of the NPRS
    columns)."""
    patient = PatientFactory()

    def draft(days: int, **fields):
        appointment = AppointmentFactory(
            patient=patient,
            practitioner=physio,
            location=location,
            type=treatment,
            start=NOW - timedelta(days=days),
            course=None,
        )
        return VisitFactory(appointment=appointment, author=physio, **fields)

    looked_at = draft(1)
    typed = draft(2, subjective="Better")
    rated = draft(3, nprs_before=6)
    before, after, latest = around("drop_drafts_opened_but_never_saved")
    try:
        migrate(before)
        migrate(after)
    finally:
        migrate(latest)
    assert set(Visit.objects.values_list("pk", flat=True)) == {typed.pk, rated.pk}
    assert not Visit.objects.filter(pk=looked_at.pk).exists()
    assert Visit.objects.get(pk=rated.pk).nprs_before == 6
