"""Authorization matrix: every URL the resolver knows, requested by every kind of visitor
with real ids of other people's records, compared with one expected table.

A URL name missing from EXPECTED fails, and so does a stale entry: a new view cannot
skip this review. The whole Django admin counts as one entry, ``admin:*``.

Visitors (columns):
- anonymous: no session; patient links are opened with the patient's genuine token.
- patient: the holder of another patient's link. Patient links get a token forged from
  patient A's object id and patient B's own nonce; staff pages see no session.
- front_desk, physio, admin: signed in, second factor done. The physio is not the
  author of any visit, alert or calendar feed used here: another physiotherapist is."""

import re

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from clinic.audit import URL_SUBJECTS
from clinic.models import AuditEvent
from sessions.models import Addendum, Visit
from tests.clinic.authorization.expected import (
    ACTORS,
    ADMIN_SITE,
    ANONYMOUS,
    DENIED,
    EXPECTED,
    PATIENT,
    Refused,
)
from tests.clinic.authorization.requesting import (
    ARGS,
    POST,
    assert_not_cacheable,
    outcome,
    send,
    sign_in,
    url_patterns,
)
from tests.clinic.authorization.world import World


# Each URL name for each visitor, with real ids of other people's records.
@pytest.mark.parametrize(
    "name, actor",
    [(name, actor) for name in EXPECTED for actor in ACTORS],
    ids=[f"{name}-{actor}" for name in EXPECTED for actor in ACTORS],
)
def test_authorization_matrix(name, actor, world, client, client_for):
    expected = EXPECTED[name][ACTORS.index(actor)]
    client = sign_in(actor, world, client, client_for)
    for response in send(client, name, world, actor):
        assert_not_cacheable(response, f"{name} as {actor}")
        if isinstance(expected, Refused):
            assert response.status_code == 200, f"{name} as {actor}: expected {expected}"
            errors = response.context[expected.form].non_field_errors()
            assert expected.message in errors, f"{name} as {actor}: {errors}"
            continue
        got = outcome(response)
        assert got == expected, f"{name} as {actor}: expected {expected}, got {got}"
        if expected == DENIED:
            assert_denial_names_the_record(
                name, world, None if actor in (ANONYMOUS, PATIENT) else getattr(world, actor)
            )


def assert_denial_names_the_record(name: str, w: World, user: User | None) -> None:
    """The refusal is audited, naming the record the URL asked for and its patient."""
    event = AuditEvent.objects.filter(action="denied", user=user).latest("id")
    if name not in URL_SUBJECTS:
        return  # the URL names no record
    label, to_patient = URL_SUBJECTS[name]
    (pk,) = [value for key, value in ARGS[name](w).items() if key != "status"]
    assert (event.object_type, event.object_id) == (label.lower(), str(pk)), name
    assert event.patient == (w.patient if to_patient else None), name


def test_every_url_with_an_id_says_what_the_id_names():
    """So that a refused request's audit row names whose record was tried."""
    with_id = {
        name
        for name, route in url_patterns().items()
        if name != ADMIN_SITE and re.search(r"<(?:int|id):|\(\?P<", route)
    }
    assert with_id == URL_SUBJECTS.keys()


def test_a_denied_admin_page_names_the_record(world, client_for):
    client = client_for(world.front_desk)
    response = client.get(reverse("admin:auth_user_change", args=[world.author.pk]))
    assert response.status_code == 403
    event = AuditEvent.objects.filter(action="denied", user=world.front_desk).latest("id")
    assert (event.object_type, event.object_id) == ("auth.user", str(world.author.pk))


def test_a_physio_who_is_not_the_author_neither_signs_nor_adds_an_addendum(world, client_for):
    """Any physiotherapist may open any chart; only the note's author signs or corrects it."""
    client = client_for(world.physio)
    client.post(reverse("sessions:sign", args=[world.visit.pk]), POST["sessions:sign"])
    client.post(
        reverse("sessions:addendum-add", args=[world.signed_visit.pk]),
        POST["sessions:addendum-add"],
    )
    world.visit.refresh_from_db()
    assert world.visit.status == Visit.Status.DRAFT
    assert not Addendum.objects.exists()
