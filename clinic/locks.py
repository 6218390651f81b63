"""Serialise a "check, then insert" inside the current transaction.

``hold(*keys)`` makes concurrent transactions that name the same key wait for each other
until the first one commits or rolls back, so the second one's check sees the first one's
insert. On PostgreSQL each key takes a transaction-scoped advisory lock; on SQLite every
write transaction begins IMMEDIATE (settings), which already admits one writer at a time.
"""

from django.db import connection, transaction

# The first half of PostgreSQL's two-int advisory lock key: this module's namespace.
NAMESPACE = 0x1C11


def hold(*keys: str) -> None:
    """Wait for, then hold until the transaction ends, a lock on each key (sorted: no deadlock).
    Raises RuntimeError outside a transaction."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("locks.hold() needs a transaction (transaction.atomic).")
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for key in sorted(set(keys)):
            cursor.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", [NAMESPACE, key])
