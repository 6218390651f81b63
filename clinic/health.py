"""Checks behind /healthz. Failures are logged in full and reported in one word,
since /healthz is public and error texts can name hosts and users."""

import logging

from django.core.files.storage import storages
from django.db import connection
from kombu import Connection

logger = logging.getLogger(__name__)


def check_database() -> str | None:
    """None when the database answers, else "unavailable"."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # any driver error means "down"
        logger.exception("Health check: the database does not answer")
        return "unavailable"
    return None


def check_broker(url: str, transport_options: dict | None = None) -> str | None:
    """None when the message broker accepts a connection, else "unavailable"."""
    try:
        with Connection(url, transport_options=transport_options or {}, connect_timeout=2) as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=2)
            conn.default_channel  # noqa: B018 (opening a channel proves the broker works)
    except Exception:
        logger.exception("Health check: the message broker does not answer")
        return "unavailable"
    return None


def check_storage(alias: str) -> str | None:
    """None when the storage ``alias`` (``STORAGES``) answers a lookup, else
    "unavailable": for a bucket, a request that proves the address and the keys work."""
    try:
        storages[alias].exists("healthz-probe")
    except Exception:  # any backend error (network, credentials, permissions) means "down"
        logger.exception("Health check: storage %r does not answer", alias)
        return "unavailable"
    return None
