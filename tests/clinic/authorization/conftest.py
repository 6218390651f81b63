"""The records every visitor of the authorization matrix is pointed at (``world``), built
once for the whole package."""

import pytest
from django.core.cache import cache
from django.db import transaction
from django.test import override_settings

from tests.clinic.authorization.requesting import FAST_HASHER
from tests.clinic.authorization.world import World, build_world


@pytest.fixture(scope="package")
def shared_world(django_db_setup, django_db_blocker):
    """The records, built once for the package's ~300 tests in a transaction that is
    rolled back at the end. Each test runs in a savepoint inside it (the ``db`` fixture),
    so whatever a request changes is undone before the next test."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            with override_settings(PASSWORD_HASHERS=[FAST_HASHER]):
                built = build_world()
        except BaseException:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            raise
    yield built
    with django_db_blocker.unblock():
        transaction.set_rollback(True)
        outer.__exit__(None, None, None)


@pytest.fixture
def world(shared_world, db, documents_storage) -> World:
    """The records, with A's document's file in this test's own documents folder."""
    path = documents_storage / shared_world.document.storage_name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(shared_world.document_content)
    return shared_world


@pytest.fixture(autouse=True)
def no_link_throttling(settings):
    # Forged links count as bad links; the per-address limit would turn 404s into 429s.
    settings.BAD_LINK_LIMIT = 1_000_000
    cache.clear()
