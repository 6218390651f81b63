"""Rules with one owner each (issue 14): staff names, patient legal names, needling
authorisations by day, open alerts and call tasks, live calendar feeds."""

from datetime import date

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from clinic.roles import Role, display_name
from intake.models import Patient
from sessions.booking import feeds
from sessions.models import Alert, CalendarFeed, CallTask, NeedlingAuthorisation
from tests.factories import CheckinAnswerFactory, NeedlingAuthorisationFactory, UserFactory


def test_a_staff_member_is_named_by_full_name_else_username():
    assert display_name(User(username="jdoe", first_name="Jane", last_name="Doe")) == "Jane Doe"
    assert display_name(User(username="jdoe")) == "jdoe"


def test_a_patients_legal_name_is_first_then_last_never_the_preferred_name():
    patient = Patient(legal_first_name="Margaret", legal_last_name="Hale", preferred_name="Peg")
    assert patient.legal_name == "Margaret Hale"
    assert patient.full_name == "Peg Hale"


@pytest.mark.django_db
def test_an_authorisation_is_valid_from_its_first_to_its_last_day_inclusive():
    authorisation = NeedlingAuthorisationFactory(
        valid_from=date(2026, 1, 1), valid_until=date(2026, 12, 31)
    )
    physio = authorisation.practitioner
    valid_for = NeedlingAuthorisation.objects.valid_for
    assert valid_for(physio, date(2026, 1, 1)) == authorisation
    assert valid_for(physio, date(2026, 12, 31)) == authorisation
    assert valid_for(physio, date(2025, 12, 31)) is None
    assert valid_for(physio, date(2027, 1, 1)) is None
    assert valid_for(UserFactory(role=Role.PHYSIO), date(2026, 6, 1)) is None


@pytest.mark.django_db
def test_open_alerts_and_call_tasks_are_the_ones_not_yet_dealt_with():
    answers = [CheckinAnswerFactory(), CheckinAnswerFactory()]
    alerts = [
        Alert.objects.create(answer=a, visit=a.message.visit, physio=a.message.visit.author)
        for a in answers
    ]
    calls = [CallTask.objects.create(patient=a.visit.patient, alert=a) for a in alerts]
    now = timezone.now()
    Alert.objects.filter(pk=alerts[0].pk).update(acknowledged_at=now)
    CallTask.objects.filter(pk=calls[0].pk).update(done_at=now)
    assert list(Alert.objects.open()) == [alerts[1]]
    assert list(CallTask.objects.open()) == [calls[1]]


@pytest.mark.django_db
def test_a_revoked_feed_is_not_live():
    physio = UserFactory(role=Role.PHYSIO)
    feed = feeds.feed_create(practitioner=physio)
    assert list(CalendarFeed.objects.live()) == [feed]
    feeds.feed_revoke(practitioner=physio)
    assert list(CalendarFeed.objects.live()) == []
    assert CalendarFeed.objects.get(pk=feed.pk).revoked_at <= timezone.now()
