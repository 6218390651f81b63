import uuid

import pytest
from django.conf import settings
from django.test import override_settings
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from clinic.roles import Role
from clinic.sms.backends import locmem as sms_locmem
from tests.factories import UserFactory
from tests.fake_sms_provider import FakeTwilio


def _broker_is_redis() -> bool:
    return settings.CELERY_BROKER_URL.startswith(("redis://", "rediss://"))


def pytest_collection_modifyitems(config, items):
    """Tests that need real services skip with a reason when they are not configured."""
    on_postgres = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
    needs = {
        "postgres": (on_postgres, "needs PostgreSQL: set DATABASE_URL=postgres://..."),
        "redis": (_broker_is_redis(), "needs Redis: set CELERY_BROKER_URL=redis://..."),
        "celery_worker": (
            _broker_is_redis(),
            "needs a real broker for a Celery worker: set CELERY_BROKER_URL=redis://...",
        ),
    }
    for item in items:
        for marker, (available, reason) in needs.items():
            if marker in item.keywords and not available:
                item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(autouse=True)
def cache_of_this_test():
    """Rate-limit counters live in the cache: in Redis when REDIS_URL is set. One prefix
    per run let the bad links of every earlier test (same address, 15-minute window) add
    up until a later test's genuine refusal came back 429; each test starts at zero."""
    prefix = f"test-{uuid.uuid4().hex[:12]}"
    caches = {alias: {**conf, "KEY_PREFIX": prefix} for alias, conf in settings.CACHES.items()}
    with override_settings(CACHES=caches):
        yield


@pytest.fixture(autouse=True)
def sms_outbox():
    """Texts stay in memory, as Django's test runner keeps mail in mail.outbox: every test
    starts with an empty outbox and may read it through this fixture."""
    sms_locmem.outbox.clear()
    with override_settings(SMS_BACKEND="clinic.sms.backends.locmem.SmsBackend"):
        yield sms_locmem.outbox
    sms_locmem.outbox.clear()


@pytest.fixture
def fake_twilio(settings):
    """A running fake Twilio (tests/fake_sms_provider.py), and the settings that send
    texts to it through the real Twilio backend and library."""
    with FakeTwilio() as provider:
        settings.SMS_BACKEND = "clinic.sms.backends.twilio.SmsBackend"
        settings.TWILIO_ACCOUNT_SID = provider.account_sid
        settings.TWILIO_AUTH_TOKEN = provider.auth_token
        settings.TWILIO_FROM_NUMBER = "+15875550100"
        settings.TWILIO_MESSAGING_SERVICE_SID = ""
        settings.TWILIO_API_BASE = provider.base_url
        yield provider


@pytest.fixture(autouse=True)
def documents_storage(tmp_path_factory):
    """Document files go to a folder of this test's own, never the checkout's var/."""
    folder = tmp_path_factory.mktemp("documents")
    storages = {
        **settings.STORAGES,
        "documents": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(folder), "base_url": None},
        },
    }
    with override_settings(STORAGES=storages):
        yield folder


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # The production hasher costs ~0.3 s per password; tests create many users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def clinic_admin(db):
    return UserFactory(username="clinicadmin", role=Role.ADMIN)


@pytest.fixture
def physio(db):
    return UserFactory(username="physio", role=Role.PHYSIO)


@pytest.fixture
def front_desk(db):
    return UserFactory(username="frontdesk", role=Role.FRONT_DESK)


@pytest.fixture
def client_for(client):
    """client_for(user): the test client, signed in as that user, second factor done
    (``verified=False`` stops after the password)."""

    def sign_in(user, verified: bool = True):
        client.force_login(user)
        if verified:
            device, _ = TOTPDevice.objects.get_or_create(
                user=user, name="test", defaults={"confirmed": True}
            )
            session = client.session
            session[DEVICE_ID_SESSION_KEY] = device.persistent_id
            session.save()
        return client

    return sign_in


@pytest.fixture
def run_tasks(monkeypatch, django_capture_on_commit_callbacks):
    """Celery tasks queued after commit run here, as a worker would; use as
    ``with run_tasks(): ...`` around the request that queues them."""
    from celery.app.task import Task

    monkeypatch.setattr(
        Task,
        "apply_async",
        lambda self, args=None, kwargs=None, **options: self.apply(args, kwargs),
    )
    return lambda: django_capture_on_commit_callbacks(execute=True)
