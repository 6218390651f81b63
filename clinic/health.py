"""Checks behind /healthz."""

from django.db import connection
from kombu import Connection


def check_database() -> str | None:
    """None when the database answers, else a short error."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any driver error means "down"
        return f"{type(exc).__name__}: {exc}"[:200]
    return None


def check_broker(url: str, transport_options: dict | None = None) -> str | None:
    """None when the message broker accepts a connection, else a short error."""
    try:
        with Connection(url, transport_options=transport_options or {}, connect_timeout=2) as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=2)
            conn.default_channel  # noqa: B018 (opening a channel proves the broker works)
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"[:200]
    return None
